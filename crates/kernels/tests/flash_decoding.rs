//! Split-KV FlashDecoding: configuration errors, validation, and numerics through the
//! interpreter (CPU plugin) against the f64 reference, with NaN in the cache past every
//! row's length to prove those positions never reach the output.

mod flash_decoding_common;

use flash_decoding_common::{
    assert_close, cases, check_mesh, combine_on_host, reference, run_split, Case,
};
use ndarray::Ix4;
use pallas_flash_interpret::{HostArray, Interpreter};
use pallas_flash_ir::DType;
use pallas_flash_kernels::flash_decoding::{
    combine_kernel, paged_kernel, split_kernel, untile_output, CombineOutputs, DecodeBlocks,
    FlashDecodingConfig, FlashDecodingError, KvLengths, PagedCache,
};
use pallas_flash_tiling::Target;
use proptest::prelude::*;

#[test]
fn bad_configurations_are_errors() {
    let ok = FlashDecodingConfig::new(2, 8, 2, 128, 1024).with_splits(2, 256);
    assert!(split_kernel(&ok, &Target::v5e()).is_ok());
    let cases: Vec<(FlashDecodingConfig, &str)> = vec![
        (
            FlashDecodingConfig {
                batch: 0,
                ..ok.clone()
            },
            "batch must be at least 1",
        ),
        (ok.clone().with_q_len(9), "q_len 9 is outside 1..=8"),
        (
            FlashDecodingConfig {
                q_heads: 6,
                kv_heads: 4,
                ..ok.clone()
            },
            "q_heads 6 is not a multiple of kv_heads 4",
        ),
        (
            FlashDecodingConfig {
                head_dim: 96,
                ..ok.clone()
            },
            "head_dim 96 is not a multiple of 128",
        ),
        (
            ok.clone().with_splits(2, 200),
            "block_kv 200 is not a multiple of 128",
        ),
        (
            FlashDecodingConfig {
                max_kv_len: 1000,
                ..ok.clone()
            },
            "max_kv_len 1000 is not a multiple of 256",
        ),
        (ok.clone().with_splits(8, 256), "8 splits over 4 blocks"),
        (
            ok.clone().with_splits(3, 256),
            "KV blocks per sequence 4 is not a multiple of 3",
        ),
        (
            ok.clone().with_lengths(KvLengths::Uniform(2048)),
            "uniform length 2048 exceeds max_kv_len 1024",
        ),
        (
            FlashDecodingConfig {
                scale: f64::NAN,
                ..ok.clone()
            },
            "softmax scale NaN",
        ),
    ];
    for (cfg, message) in cases {
        let error = split_kernel(&cfg, &Target::v5e())
            .expect_err(message)
            .to_string();
        assert!(
            error.contains(message),
            "{error:?} should mention {message:?}"
        );
        assert!(combine_kernel(&cfg, DType::Bf16, CombineOutputs::Output, &Target::v5e()).is_err());
    }
}

/// `new` starts from the measured defaults: one split, the largest power-of-two block
/// dividing the capacity whose bf16 K block is at most 8 MiB (32768 positions at D = 128).
#[test]
fn default_blocks_follow_the_measured_table() {
    for (n, d, block_kv) in [
        (32768, 128, 32768),
        (131072, 128, 32768),
        (131072, 256, 16384),
        (12288, 128, 4096),
        (1024, 128, 1024),
        (384, 128, 128),
    ] {
        let cfg = FlashDecodingConfig::new(1, 8, 8, d, n);
        assert_eq!(
            cfg.default_blocks(),
            DecodeBlocks {
                splits: 1,
                block_kv
            },
            "max_kv_len {n}, head_dim {d}"
        );
        assert_eq!((cfg.splits, cfg.block_kv), (1, block_kv));
        assert!(split_kernel(&cfg, &Target::v5e()).is_ok());
    }
}

#[test]
fn blocks_that_do_not_fit_vmem_are_an_error_and_big_ones_raise_the_limit() {
    // 4 × 8192 × 1024 × 2 B = 64 MiB of double-buffered K/V: over the 16 MiB default.
    let big = FlashDecodingConfig::new(1, 8, 8, 1024, 16384).with_splits(1, 8192);
    let (kernel, _) = split_kernel(&big, &Target::v5e()).unwrap();
    assert!(kernel.vmem_limit_bytes.is_some_and(|l| l >= 64 << 20));
    let huge = FlashDecodingConfig::new(1, 8, 8, 2048, 16384).with_splits(1, 16384);
    assert!(matches!(
        split_kernel(&huge, &Target::v5e()),
        Err(FlashDecodingError::Vmem(_))
    ));
}

#[test]
fn the_kernels_validate_for_the_shipped_shapes() {
    for (b, hq, hkv, n, s, bkv) in [
        (1, 8, 8, 32768, 8, 1024),
        (8, 32, 8, 131072, 16, 2048),
        (64, 8, 1, 4096, 2, 512),
    ] {
        let cfg = FlashDecodingConfig::new(b, hq, hkv, 128, n).with_splits(s, bkv);
        let (kernel, info) = split_kernel(&cfg, &Target::v5e()).unwrap();
        assert_eq!(info.grid_steps as usize, b * hkv * n / bkv);
        assert_eq!(kernel.grid.grid, vec![b, hkv, s, n / bkv / s]);
        // One partial per split: S × B × H_kv × tile_rows × D floats (H_q rows padded to
        // a multiple of 8 per KV head), never more.
        assert_eq!(
            info.outputs[0].array_bytes as usize,
            s * b * hkv * (hq / hkv).next_multiple_of(8) * 128 * 4
        );
        let (_, info) = combine_kernel(
            &cfg,
            DType::Bf16,
            CombineOutputs::OutputAndLse,
            &Target::v5e(),
        )
        .unwrap();
        assert_eq!(info.grid_steps as usize, b * hkv);
    }
}

/// The partials combined on the host and by the combine kernel both match the reference.
fn check_case(case: &Case) {
    let cfg = case.config();
    let data = case.data();
    let partials = run_split(&cfg, &data);
    let expected = reference(&cfg, &data);
    assert_close(
        &combine_on_host(&partials, &cfg),
        &expected,
        1e-2,
        &format!("{case:?} host combine"),
    );

    let (combine, _) =
        combine_kernel(&cfg, DType::F32, CombineOutputs::Output, &Target::v5e()).unwrap();
    let out = Interpreter::new(&combine).unwrap().run(&partials).unwrap();
    let o = out[0].to_f64().into_dimensionality::<Ix4>().unwrap();
    assert_close(
        &untile_output(o.view(), cfg.q_len, cfg.q_heads),
        &expected,
        1e-2,
        &format!("{case:?} combine kernel"),
    );
}

#[test]
fn gqa_with_ragged_lengths_and_speculative_tokens() {
    check_case(&Case {
        batch: 3,
        q_len: 3,
        q_heads: 8,
        kv_heads: 2,
        max_kv_len: 1024,
        splits: 4,
        block_kv: 128,
        lengths: vec![1000, 3, 129],
        int8: false,
        seed: 7,
    });
}

#[test]
fn empty_rows_give_zeros() {
    let case = Case {
        batch: 2,
        q_len: 1,
        q_heads: 2,
        kv_heads: 2,
        max_kv_len: 512,
        splits: 2,
        block_kv: 128,
        lengths: vec![0, 300],
        int8: false,
        seed: 3,
    };
    let cfg = case.config();
    let [o_part, m_part, l_part] = run_split(&cfg, &case.data());
    let (combine, _) = combine_kernel(
        &cfg,
        DType::F32,
        CombineOutputs::OutputAndLse,
        &Target::v5e(),
    )
    .unwrap();
    let out = Interpreter::new(&combine)
        .unwrap()
        .run(&[o_part, m_part, l_part])
        .unwrap();
    let (o, lse) = (out[0].to_f64(), out[1].to_f64());
    assert!(o
        .slice(ndarray::s![0, .., .., ..])
        .iter()
        .all(|&x| x == 0.0));
    assert!(lse
        .slice(ndarray::s![0, .., .., ..])
        .iter()
        .all(|&x| x == f64::NEG_INFINITY));
    assert!(lse
        .slice(ndarray::s![1, .., .., ..])
        .iter()
        .all(|x| x.is_finite()));
}

#[test]
fn uniform_lengths_match_the_prefetch_kernel() {
    let case = Case {
        batch: 2,
        q_len: 2,
        q_heads: 4,
        kv_heads: 1,
        max_kv_len: 768,
        splits: 3,
        block_kv: 256,
        lengths: vec![700, 700],
        int8: false,
        seed: 11,
    };
    let cfg = case.config().with_lengths(KvLengths::Uniform(700));
    let data = case.data();
    let (kernel, _) = split_kernel(&cfg, &Target::v5e()).unwrap();
    let without_lengths: Vec<HostArray> = data.args().into_iter().skip(1).collect();
    let out = Interpreter::new(&kernel)
        .unwrap()
        .run(&without_lengths)
        .unwrap();
    let with_lengths = run_split(&case.config(), &data);
    for (a, b) in out.iter().zip(&with_lengths) {
        assert_eq!(a, b);
    }
}

/// The accuracy cost of an int8 cache with per-(head, channel) scales, measured against
/// the f64 reference on the original bf16 cache: (max, rms) abs error of the bf16 and the
/// int8 cache.
fn int8_errors(bf16: Case) -> [(f64, f64); 2] {
    let int8 = Case {
        int8: true,
        ..bf16.clone()
    };
    let data = bf16.data();
    let expected = reference(&bf16.config(), &data);
    let mut errors = Vec::new();
    for case in [&bf16, &int8] {
        let cfg = case.config();
        let quantized = if case.int8 {
            data.quantized()
        } else {
            data.clone()
        };
        let got = combine_on_host(&run_split(&cfg, &quantized), &cfg);
        let err = (&got - &expected).mapv(f64::abs);
        let rms = (err.mapv(|e| e * e).mean().unwrap()).sqrt();
        errors.push((err.fold(0.0f64, |a, &b| a.max(b)), rms));
    }
    println!(
        "max / rms abs error vs f64: bf16 cache {:?}, int8 cache {:?}",
        errors[0], errors[1]
    );
    [errors[0], errors[1]]
}

#[test]
fn int8_cache_accuracy() {
    let errors = int8_errors(Case {
        batch: 2,
        q_len: 1,
        q_heads: 8,
        kv_heads: 2,
        max_kv_len: 1024,
        splits: 2,
        block_kv: 256,
        lengths: vec![1024, 700],
        int8: false,
        seed: 5,
    });
    assert!(errors[0].0 < 1e-2);
    assert!(errors[1].0 < 3e-2, "int8 error {:?}", errors[1]);
}

/// The accuracy target at the bench's KV length and default block (N=32768, one 32768-
/// position block): int8 within 2e-3 of f64, bf16 within 1e-4. One KV head under 8 query
/// heads keeps the run short; at the bench's 8/8 heads and bkv 8192 the same seed gave
/// 1.23e-4 (int8) and 2.7e-5 (bf16) max abs error. The softmax averages over the whole
/// cache, so the error at 32k is far below the 1024-position case's.
#[test]
fn int8_cache_accuracy_at_32k() {
    let errors = int8_errors(Case {
        batch: 1,
        q_len: 1,
        q_heads: 8,
        kv_heads: 1,
        max_kv_len: 32768,
        splits: 1,
        block_kv: FlashDecodingConfig::new(1, 8, 1, 128, 32768).block_kv,
        lengths: vec![32768],
        int8: false,
        seed: 11,
    });
    assert!(errors[0].0 <= 1e-4, "bf16 error {:?}", errors[0]);
    assert!(errors[1].0 <= 2e-3, "int8 error {:?}", errors[1]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]
    #[test]
    fn split_and_combine_match_the_reference(case in cases()) {
        check_case(&case);
    }
}

/// The paged kernel gives the contiguous kernel's numbers on the same cache, paged.
fn check_paged(case: &Case, page_size: usize) {
    let cfg = case.config();
    let data = case.data();
    let (args, num_pages) = data.paged_args(page_size);
    let (kernel, _) = paged_kernel(
        &cfg,
        PagedCache {
            page_size,
            num_pages,
        },
        &Target::v5e(),
    )
    .unwrap();
    let out = Interpreter::new(&kernel).unwrap().run(&args).unwrap();
    let partials: [HostArray; 3] = out.try_into().unwrap();
    let expected = reference(&cfg, &data);
    assert_close(
        &combine_on_host(&partials, &cfg),
        &expected,
        1e-2,
        &format!("{case:?} paged {page_size}"),
    );
}

#[test]
fn paged_cache_with_gqa_and_ragged_lengths() {
    check_paged(
        &Case {
            batch: 2,
            q_len: 2,
            q_heads: 8,
            kv_heads: 2,
            max_kv_len: 1024,
            splits: 2,
            block_kv: 256,
            lengths: vec![1000, 77],
            int8: false,
            seed: 9,
        },
        64,
    );
}

#[test]
fn bad_page_sizes_are_errors() {
    let cfg = FlashDecodingConfig::new(1, 8, 8, 128, 1024).with_splits(2, 256);
    for (page_size, num_pages) in [(0, 8), (24, 8), (96, 8), (128, 0)] {
        let error = paged_kernel(
            &cfg,
            PagedCache {
                page_size,
                num_pages,
            },
            &Target::v5e(),
        )
        .unwrap_err();
        assert!(
            matches!(error, FlashDecodingError::Paging { .. }),
            "{error}"
        );
    }
}

fn paged_cases() -> impl Strategy<Value = (Case, usize)> {
    (
        1usize..=2,
        prop::sample::select(vec![(2usize, 2usize), (8, 2)]),
        1usize..=2,
        prop::sample::select(vec![16usize, 64, 128]),
        any::<u64>(),
    )
        .prop_flat_map(|(batch, (q_heads, kv_heads), splits, page_size, seed)| {
            let (block_kv, max_kv_len) = (128, 512);
            prop::collection::vec(1..=max_kv_len as i32, batch).prop_map(move |lengths| {
                (
                    Case {
                        batch,
                        q_len: 1,
                        q_heads,
                        kv_heads,
                        max_kv_len,
                        splits,
                        block_kv,
                        lengths,
                        int8: false,
                        seed,
                    },
                    page_size,
                )
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]
    #[test]
    fn paged_matches_the_reference((case, page_size) in paged_cases()) {
        check_paged(&case, page_size);
    }
}

/// The mesh, through the interpreter (see `check_mesh`).
#[test]
fn sharded_partials_combine_to_the_reference() {
    // Every shard runs the same kernel: compile it for the CPU plugin once.
    let interpreter = std::cell::OnceCell::new();
    check_mesh(
        |cfg, local| {
            let interpreter = interpreter.get_or_init(|| {
                let (kernel, _) = split_kernel(cfg, &Target::v5e()).unwrap();
                Interpreter::new(&kernel).unwrap()
            });
            let out: [HostArray; 3] = interpreter.run(&local.args()).unwrap().try_into().unwrap();
            out.map(|a| a.to_f64())
        },
        "mesh host combine",
    );
}

/// Partials keep their documented shapes: `[B, H_kv, S, tile_rows, D]` floats of `acc`,
/// the `q_len · G` rows padded to a multiple of 8 (2 · 2 = 4 rows here → 8).
#[test]
fn partial_shapes() {
    let case = Case {
        batch: 1,
        q_len: 2,
        q_heads: 4,
        kv_heads: 2,
        max_kv_len: 512,
        splits: 4,
        block_kv: 128,
        lengths: vec![512],
        int8: false,
        seed: 1,
    };
    let cfg = case.config();
    let [o, m, l] = run_split(&cfg, &case.data());
    assert_eq!(o.shape(), [1, 2, 4, 8, 128]);
    assert_eq!(m.shape(), l.shape());
    assert_eq!(m.shape(), [1, 2, 4, 8, 128]);
}

/// MHA decode has one query row per KV head, speculative MHA a few: the padded tile
/// rows (zeros from `query_tile`) change nothing in the real rows.
#[test]
fn mha_rows_are_padded_to_the_sublane_tile() {
    for (q_len, lengths) in [(1, vec![1000, 129]), (3, vec![700, 3])] {
        check_case(&Case {
            batch: 2,
            q_len,
            q_heads: 4,
            kv_heads: 4,
            max_kv_len: 1024,
            splits: 2,
            block_kv: 256,
            lengths,
            int8: false,
            seed: 13,
        });
    }
}
