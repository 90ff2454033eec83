//! The backward kernels (dQ + delta, then dK/dV) through the interpret path against the
//! f64 reference gradients, fed by the forward kernel's own `o` and `lse`.

mod flash_attention_common;

use flash_attention_common::{
    data, head_dim_config, row_tile_configs, small_configs, tolerance, Problem, HEAD_DIMS,
};
use pallas_flash_interpret::{interpret, HostArray};
use pallas_flash_ir::DType;
use pallas_flash_kernels::flash_attention::{backward, forward, BlockSizes, FlashAttentionConfig};
use pallas_flash_test_support::max_relative_error;
use pallas_flash_tiling::Target;
use proptest::prelude::*;

/// Errors of dq, dk, dv against the reference.
fn backward_errors(cfg: FlashAttentionConfig, seed: u64) -> [f64; 3] {
    let problem = Problem::new(cfg, seed);
    let c = &problem.cfg;
    let fwd = interpret(
        &forward(c, &Target::v5e()).expect("forward kernel"),
        &problem.forward_inputs(),
    )
    .expect("forward");
    let d_out = data([c.batch, c.q_heads, c.seq_q, c.head_dim], seed + 3, c.dtype);
    let kernels = backward(c, &Target::v5e()).expect("backward kernels");

    let (q, k, v, o, lse) = (
        problem.host(&problem.q),
        problem.host(&problem.k),
        problem.host(&problem.v),
        fwd[0].clone(),
        fwd[1].clone(),
    );
    let d_o = problem.host(&d_out);
    let with_segments = |mut args: Vec<HostArray>| {
        args.extend(problem.segment_inputs());
        args
    };
    let dq = interpret(
        &kernels.dq,
        &with_segments(vec![
            q.clone(),
            k.clone(),
            v.clone(),
            o,
            d_o.clone(),
            lse.clone(),
        ]),
    )
    .expect("dq");
    let dkv = interpret(
        &kernels.dkv,
        &with_segments(vec![q, k, v, d_o, lse, dq[1].clone()]),
    )
    .expect("dkv");

    let expected = problem.reference_backward(&d_out);
    [&dq[0], &dkv[0], &dkv[1]]
        .into_iter()
        .zip(&expected)
        .map(|(actual, e)| max_relative_error(&problem.rows(actual), e))
        .collect::<Vec<_>>()
        .try_into()
        .expect("three gradients")
}

fn check(cfg: FlashAttentionConfig, seed: u64) {
    let tol = tolerance(cfg.dtype);
    let [dq, dk, dv] = backward_errors(cfg.clone(), seed);
    assert!(
        dq < tol && dk < tol && dv < tol,
        "{cfg:?}: dq {dq:.2e}, dk {dk:.2e}, dv {dv:.2e} (tolerance {tol:.0e})"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn matches_the_reference((cfg, seed) in small_configs()) {
        check(cfg, seed);
    }
}

/// Row tiles on every path (see `row_tile_configs`).
#[test]
fn row_tiles_and_static_diagonal_tiles() {
    for cfg in row_tile_configs() {
        check(cfg, 9);
    }
}

#[test]
fn sliding_window_causal_gqa() {
    let cfg = FlashAttentionConfig::new(1, 4, 2, 384, 384, 64)
        .causal(true)
        .sliding_window(150)
        .blocks(BlockSizes::new(128, 128));
    check(cfg, 13);
}

#[test]
fn segment_ids_and_batches() {
    let cfg = FlashAttentionConfig::new(2, 2, 1, 256, 256, 64)
        .causal(true)
        .segment_ids(true)
        .blocks(BlockSizes::new(128, 128));
    check(cfg, 17);
}

#[test]
fn cross_attention_lengths_in_f32() {
    let cfg = FlashAttentionConfig::new(1, 2, 1, 256, 200, 64)
        .dtype(DType::F32)
        .blocks(BlockSizes::new(128, 128));
    check(cfg, 19);
}

/// Every head dim of `HEAD_DIMS`, in the head layout XLA gives it.
#[test]
fn every_head_dim() {
    for d in HEAD_DIMS {
        check(head_dim_config(d), 31);
    }
}
