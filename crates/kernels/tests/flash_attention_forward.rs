//! The forward kernel through the interpret path against the f64 reference.

mod flash_attention_common;

use flash_attention_common::{
    head_dim_config, lane_column, row_tile_configs, small_configs, tolerance, Problem, HEAD_DIMS,
};
use pallas_flash_interpret::interpret;
use pallas_flash_ir::DType;
use pallas_flash_kernels::flash_attention::{forward, BlockSizes, FlashAttentionConfig};
use pallas_flash_test_support::max_relative_error;
use pallas_flash_tiling::Target;
use proptest::prelude::*;

/// Runs the forward kernel and returns (output error, logsumexp error).
fn forward_errors(cfg: FlashAttentionConfig, seed: u64) -> (f64, f64) {
    let problem = Problem::new(cfg, seed);
    let kernel = forward(&problem.cfg, &Target::v5e()).expect("forward kernel");
    let out = interpret(&kernel, &problem.forward_inputs()).expect("interpret");
    let [o, lse] = problem.reference_forward();
    (
        max_relative_error(&problem.rows(&out[0]), &o),
        max_relative_error(&lane_column(&out[1]), &lse),
    )
}

fn check(cfg: FlashAttentionConfig, seed: u64) {
    let tol = tolerance(cfg.dtype);
    let (o, lse) = forward_errors(cfg.clone(), seed);
    assert!(
        o < tol && lse < tol,
        "{cfg:?}: output error {o:.2e}, lse error {lse:.2e} (tolerance {tol:.0e})"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// Shapes, head dims, masks, GQA ratios and dtypes from `small_configs`.
    #[test]
    fn matches_the_reference((cfg, seed) in small_configs()) {
        check(cfg, seed);
    }
}

#[test]
fn batches_and_cross_attention_lengths() {
    let cfg = FlashAttentionConfig::new(2, 2, 1, 256, 384, 64).blocks(BlockSizes::new(128, 256));
    check(cfg, 7);
}

/// Row tiles on every path (see `row_tile_configs`).
#[test]
fn row_tiles_and_static_diagonal_tiles() {
    for cfg in row_tile_configs() {
        check(cfg, 5);
    }
}

#[test]
fn sliding_window_with_and_without_causal() {
    for causal in [false, true] {
        let cfg = FlashAttentionConfig::new(1, 2, 2, 384, 384, 64)
            .causal(causal)
            .sliding_window(100)
            .blocks(BlockSizes::new(128, 128));
        check(cfg, 11);
    }
}

#[test]
fn segment_ids_including_rows_that_see_nothing() {
    // Query segments start half a segment before the key segments, so under the causal
    // mask some rows see no key at all (zero output, lse -inf).
    let cfg = FlashAttentionConfig::new(2, 2, 1, 256, 256, 64)
        .causal(true)
        .segment_ids(true)
        .blocks(BlockSizes::new(128, 128));
    check(cfg, 3);
}

#[test]
fn a_custom_scale_and_f32() {
    let cfg = FlashAttentionConfig::new(1, 1, 1, 256, 256, 128)
        .dtype(DType::F32)
        .sm_scale(0.3)
        .causal(true)
        .blocks(BlockSizes::new(256, 256).compute(128));
    check(cfg, 5);
}

/// Bad configurations are errors that name the numbers, never panics.
#[test]
fn configuration_errors() {
    use pallas_flash_kernels::flash_attention::{backward, FlashAttentionError as E};
    let ok = FlashAttentionConfig::new(1, 4, 2, 512, 512, 128);
    type Case = (FlashAttentionConfig, fn(&E) -> bool);
    let cases: Vec<Case> = vec![
        (FlashAttentionConfig::new(1, 6, 4, 512, 512, 128), |e| {
            matches!(
                e,
                E::HeadGroups {
                    q_heads: 6,
                    kv_heads: 4
                }
            )
        }),
        (FlashAttentionConfig::new(1, 4, 2, 0, 512, 128), |e| {
            matches!(e, E::EmptyDim { what: "seq_q" })
        }),
        (ok.clone().dtype(DType::I8), |e| {
            matches!(e, E::DType { .. })
        }),
        (ok.clone().sliding_window(0), |e| {
            matches!(e, E::EmptyWindow)
        }),
        (ok.clone().sm_scale(f64::NAN), |e| {
            matches!(e, E::Scale { .. })
        }),
        (ok.clone().blocks(BlockSizes::new(100, 128)), |e| {
            matches!(
                e,
                E::Block {
                    name: "block_q",
                    block: 100,
                    seq: 512
                }
            )
        }),
        (ok.clone().blocks(BlockSizes::new(1024, 128)), |e| {
            matches!(
                e,
                E::Block {
                    name: "block_q",
                    ..
                }
            )
        }),
        (
            ok.clone().blocks(BlockSizes::new(128, 512).compute(384)),
            |e| {
                matches!(
                    e,
                    E::ComputeBlock {
                        name: "block_kv_compute",
                        compute: 384,
                        block: 512
                    }
                )
            },
        ),
        (
            ok.clone()
                .blocks(BlockSizes::measured(512, 512, &Target::v5e()))
                .vmem_limit_bytes(1 << 20),
            |e| matches!(e, E::Vmem(_)),
        ),
    ];
    // Default blocks are chosen on the real kernel: under a tight limit they are ones that
    // fit (the search's old copy of the plan under-counted and picked blocks that did not).
    let tight = ok.clone().vmem_limit_bytes(1 << 20);
    let kernel = forward(&tight, &Target::v5e()).expect("the default blocks fit 1 MiB");
    assert_eq!(kernel.vmem_limit_bytes, Some(1 << 20));
    for (cfg, expected) in cases {
        let err = forward(&cfg, &Target::v5e()).expect_err("invalid config");
        assert!(expected(&err), "{cfg:?}: unexpected {err}");
        assert!(backward(&cfg, &Target::v5e()).is_err());
        assert!(!err.to_string().is_empty());
    }
    let short = FlashAttentionConfig::new(1, 1, 1, 200, 200, 64);
    assert!(
        forward(&short, &Target::v5e()).is_ok() && backward(&short, &Target::v5e()).is_ok(),
        "default blocks fit a short sequence"
    );
}

/// The measured default: the whole sequence up to 2048, then 1024 × 1024, unchunked.
#[test]
fn default_blocks() {
    let blocks = |n| {
        FlashAttentionConfig::new(1, 8, 8, n, n, 128)
            .causal(true)
            .default_blocks(&Target::v5e())
    };
    let measured = BlockSizes::new(2048, 2048).compute(2048).q_compute(128);
    for n in [2048, 8192, 32768] {
        assert_eq!(blocks(n), measured);
    }
    assert_eq!(
        blocks(512),
        BlockSizes::new(512, 512).compute(512).q_compute(128)
    );
    assert_eq!(blocks(200), BlockSizes::new(200, 200).compute(200));
}

/// Every head dim of `HEAD_DIMS`, in the head layout XLA gives it.
#[test]
fn every_head_dim() {
    for d in HEAD_DIMS {
        check(head_dim_config(d), 29);
    }
}
