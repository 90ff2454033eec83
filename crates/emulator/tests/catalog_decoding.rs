//! FlashDecoding: the split kernel, the combine kernel, the paged kernel, the int8 cache
//! and the per-chip kernel of the 2x2 mesh, each from its emitted Mosaic through the
//! emulator, against the f64 reference and against interpret.

mod common;
#[path = "../../kernels/tests/flash_decoding_common/mod.rs"]
mod flash_decoding_common;

use common::{assert_agrees_with_interpret, emulate};
use flash_decoding_common::{
    assert_close, cases, check_mesh, combine_on_host, reference, Case, Data,
};
use ndarray::Ix4;
use pallas_flash_interpret::HostArray;
use pallas_flash_ir::DType;
use pallas_flash_kernels::flash_decoding::{
    combine_kernel, paged_kernel, split_kernel, untile_output, CombineOutputs, FlashDecodingConfig,
    PagedCache,
};
use pallas_flash_tiling::Target;
use proptest::prelude::*;

/// The split kernel emulated (checked against interpret): `[o_part, m_part, l_part]`.
fn split(cfg: &FlashDecodingConfig, data: &Data) -> [HostArray; 3] {
    let (kernel, _) = split_kernel(cfg, &Target::v5e()).unwrap();
    let out = emulate(&kernel, &data.args());
    assert_agrees_with_interpret(&kernel, &data.args(), &out, 1e-3);
    out.try_into().expect("three partials")
}

/// Split, then the combine kernel, both emulated, against the reference.
fn check_case(case: &Case) {
    let cfg = case.config();
    let data = if case.int8 {
        case.data().quantized()
    } else {
        case.data()
    };
    let partials = split(&cfg, &data);
    let expected = reference(&cfg, &case.data());
    let tol = if case.int8 { 3e-2 } else { 1e-2 };
    assert_close(
        &combine_on_host(&partials, &cfg),
        &expected,
        tol,
        &format!("{case:?} host combine"),
    );
    let (combine, _) =
        combine_kernel(&cfg, DType::F32, CombineOutputs::Output, &Target::v5e()).unwrap();
    let out = emulate(&combine, &partials);
    assert_agrees_with_interpret(&combine, &partials, &out, 1e-5);
    let o = out[0].to_f64().into_dimensionality::<Ix4>().unwrap();
    assert_close(
        &untile_output(o.view(), cfg.q_len, cfg.q_heads),
        &expected,
        tol,
        &format!("{case:?} combine kernel"),
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    #[test]
    fn split_and_combine_match_the_reference(case in cases()) {
        check_case(&case);
    }
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
fn int8_cache() {
    check_case(&Case {
        batch: 2,
        q_len: 1,
        q_heads: 8,
        kv_heads: 2,
        max_kv_len: 1024,
        splits: 2,
        block_kv: 256,
        lengths: vec![1024, 700],
        int8: true,
        seed: 5,
    });
}

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
    let out = emulate(&kernel, &args);
    assert_agrees_with_interpret(&kernel, &args, &out, 1e-3);
    let partials: [HostArray; 3] = out.try_into().unwrap();
    assert_close(
        &combine_on_host(&partials, &cfg),
        &reference(&cfg, &data),
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 3, ..ProptestConfig::default() })]

    #[test]
    fn paged_matches_the_reference(
        batch in 1usize..=2,
        (q_heads, kv_heads) in prop::sample::select(vec![(2usize, 2usize), (8, 2)]),
        splits in 1usize..=2,
        page_size in prop::sample::select(vec![16usize, 64, 128]),
        seed in any::<u64>(),
        lengths in prop::collection::vec(1i32..=512, 2),
    ) {
        let case = Case { batch, q_len: 1, q_heads, kv_heads, max_kv_len: 512, splits, block_kv: 128, lengths: lengths[..batch].to_vec(), int8: false, seed };
        check_paged(&case, page_size);
    }
}

/// The 2x2 mesh: each chip's split kernel emulated (see `check_mesh`).
#[test]
fn mesh_per_chip_kernel() {
    check_mesh(
        |cfg, local| split(cfg, local).map(|a| a.to_f64()),
        "mesh per-chip kernels",
    );
}
