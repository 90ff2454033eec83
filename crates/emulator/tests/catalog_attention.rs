//! FlashAttention-2 forward, dQ and dK/dV: the emitted Mosaic through the emulator against
//! the f64 reference and against interpret, over the proptest space the interpret tests use.

mod common;
#[path = "../../kernels/tests/flash_attention_common/mod.rs"]
mod flash_attention_common;

use common::{assert_agrees_with_interpret, emulate, relative_error};
use flash_attention_common::{
    data, head_dim_config, lane_column, row_tile_configs, small_configs, tolerance, Problem,
    HEAD_DIMS,
};
use pallas_flash_interpret::HostArray;
use pallas_flash_kernels::flash_attention::{backward, forward, BlockSizes, FlashAttentionConfig};
use pallas_flash_tiling::Target;
use proptest::prelude::*;

/// The forward kernel: output and logsumexp against the reference; the emulated outputs
/// feed the backward kernels, whose gradients are checked the same way.
fn check(cfg: FlashAttentionConfig, seed: u64, with_backward: bool) {
    let tol = tolerance(cfg.dtype);
    let problem = Problem::new(cfg.clone(), seed);
    let c = &problem.cfg;
    let fwd_kernel = forward(c, &Target::v5e()).expect("forward kernel");
    let fwd = emulate(&fwd_kernel, &problem.forward_inputs());
    let [o, lse] = problem.reference_forward();
    let (e_o, e_lse) = (
        relative_error(&problem.rows(&fwd[0]), &o),
        relative_error(&lane_column(&fwd[1]), &lse),
    );
    assert!(
        e_o < tol && e_lse < tol,
        "{cfg:?}: forward output {e_o:.2e}, lse {e_lse:.2e} (tolerance {tol:.0e})"
    );
    assert_agrees_with_interpret(&fwd_kernel, &problem.forward_inputs(), &fwd, tol);
    if !with_backward {
        return;
    }
    let d_out = data([c.batch, c.q_heads, c.seq_q, c.head_dim], seed + 3, c.dtype);
    let kernels = backward(c, &Target::v5e()).expect("backward kernels");
    let (q, k, v) = (
        problem.host(&problem.q),
        problem.host(&problem.k),
        problem.host(&problem.v),
    );
    let d_o = problem.host(&d_out);
    let with_segments = |mut args: Vec<HostArray>| {
        args.extend(problem.segment_inputs());
        args
    };
    let dq_args = with_segments(vec![
        q.clone(),
        k.clone(),
        v.clone(),
        fwd[0].clone(),
        d_o.clone(),
        fwd[1].clone(),
    ]);
    let dq = emulate(&kernels.dq, &dq_args);
    assert_agrees_with_interpret(&kernels.dq, &dq_args, &dq, tol);
    let dkv_args = with_segments(vec![q, k, v, d_o, fwd[1].clone(), dq[1].clone()]);
    let dkv = emulate(&kernels.dkv, &dkv_args);
    assert_agrees_with_interpret(&kernels.dkv, &dkv_args, &dkv, tol);
    let expected = problem.reference_backward(&d_out);
    for (name, (got, e)) in ["dq", "dk", "dv"]
        .iter()
        .zip([&dq[0], &dkv[0], &dkv[1]].into_iter().zip(&expected))
    {
        let err = relative_error(&problem.rows(got), e);
        assert!(
            err < tol,
            "{cfg:?}: {name} error {err:.2e} (tolerance {tol:.0e})"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    /// Shapes, head dims, masks, GQA ratios and dtypes from the interpret tests' space.
    #[test]
    fn forward_and_backward_match_the_reference((cfg, seed) in small_configs()) {
        check(cfg, seed, true);
    }
}

/// Row tiles on every path, forward and backward.
#[test]
fn row_tiles_and_static_diagonal_tiles() {
    for cfg in row_tile_configs() {
        check(cfg, 5, true);
    }
}

#[test]
fn sliding_window_segments_and_batches() {
    let window = FlashAttentionConfig::new(1, 4, 2, 384, 384, 64)
        .causal(true)
        .sliding_window(150)
        .blocks(BlockSizes::new(128, 128));
    check(window, 13, true);
    let segments = FlashAttentionConfig::new(2, 2, 1, 256, 256, 64)
        .causal(true)
        .segment_ids(true)
        .blocks(BlockSizes::new(128, 128));
    check(segments, 17, true);
}

#[test]
fn cross_attention_lengths() {
    check(
        FlashAttentionConfig::new(2, 2, 1, 256, 384, 64).blocks(BlockSizes::new(128, 256)),
        7,
        false,
    );
}

/// Every head dim the kernels support without a copy (`[B, H, D, N]` storage below 128
/// lanes, row-major at 128 and 256), forward and backward.
#[test]
fn every_head_dim() {
    for d in HEAD_DIMS {
        check(head_dim_config(d), 23, true);
    }
}
