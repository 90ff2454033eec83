//! Golden optimized-HLO facts of every shipped kernel family, pinned to libtpu 0.0.52:
//! one small configuration each, compiled deviceless for v5e. A golden diff means XLA now
//! builds a different program around the kernel (new copies, other layouts, other bytes);
//! review it, then re-bless with `UPDATE_GOLDEN=1 cargo test -p pallas-flash-kernels --test hlo_golden`.
//!
//! Needs the `pallas-flash-worker` binary in the target dir
//! (`cargo build -p pallas-flash-runtime --bin pallas-flash-worker`).

use pallas_flash_codegen::{compile_for_tpu, CompileSettings};
use pallas_flash_hlo::golden::{facts, Golden, GOLDEN_DIR};
use pallas_flash_hlo::lint::{lint, LintOptions};
use pallas_flash_hlo::HloModule;
use pallas_flash_ir::{DType, Kernel};
use pallas_flash_kernels::flash_attention::{backward, forward, BlockSizes, FlashAttentionConfig};
use pallas_flash_kernels::flash_decoding::{
    combine_kernel, paged_kernel, split_kernel, CombineOutputs, FlashDecodingConfig, PagedCache,
};
use pallas_flash_kernels::matmul::{MatmulBlocks, MatmulConfig};
use pallas_flash_tiling::Target;

/// The shipped kernel families, each at a small configuration, named as their golden file.
fn shipped() -> Vec<(&'static str, Kernel)> {
    let attention = FlashAttentionConfig::new(1, 2, 1, 512, 512, 128)
        .causal(true)
        .blocks(BlockSizes::new(256, 256));
    let decoding = FlashDecodingConfig::new(2, 8, 2, 128, 2048).with_splits(4, 256);
    // MHA: one query row per KV head, padded to the 8-row tile (the copy-trap case).
    let mha = FlashDecodingConfig::new(8, 8, 8, 128, 2048).with_splits(4, 256);
    let backward = backward(&attention, &Target::v5e()).expect("shipped FA backward builds");
    vec![
        (
            "matmul_bf16_512",
            MatmulConfig::new(512, 512, 512)
                .blocks(MatmulBlocks::new(256, 256, 256))
                .build()
                .expect("matmul builds")
                .0,
        ),
        (
            "flash_attention_fwd_causal_gqa",
            forward(&attention, &Target::v5e()).expect("shipped FA forward builds"),
        ),
        ("flash_attention_bwd_dq_causal_gqa", backward.dq),
        ("flash_attention_bwd_dkv_causal_gqa", backward.dkv),
        (
            "flash_decoding_split_gqa",
            split_kernel(&decoding, &Target::v5e())
                .expect("split kernel builds")
                .0,
        ),
        (
            "flash_decoding_split_mha",
            split_kernel(&mha, &Target::v5e())
                .expect("MHA split kernel builds")
                .0,
        ),
        (
            "flash_decoding_combine",
            combine_kernel(
                &decoding,
                DType::Bf16,
                CombineOutputs::OutputAndLse,
                &Target::v5e(),
            )
            .expect("combine builds")
            .0,
        ),
        (
            "flash_decoding_paged_gqa",
            paged_kernel(
                &decoding,
                PagedCache {
                    page_size: 64,
                    num_pages: 80,
                },
                &Target::v5e(),
            )
            .expect("paged builds")
            .0,
        ),
    ]
}

#[test]
fn optimized_hlo_around_each_shipped_kernel_matches_its_golden_facts() {
    let golden = Golden::new(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(GOLDEN_DIR),
    );
    let mut failures = Vec::new();
    for (case, kernel) in shipped() {
        let compiled = compile_for_tpu(&kernel, &CompileSettings::new(Target::v5e()))
            .unwrap_or_else(|e| panic!("{case} did not compile: {e}"));
        let text = compiled
            .report
            .optimized_hlo_text
            .expect("optimized HLO is captured");
        let module = HloModule::parse(&text)
            .unwrap_or_else(|e| panic!("{case}: optimized HLO did not parse: {e}"));
        let report = lint(&module, &LintOptions::default());
        assert_eq!(
            report.kernels.len(),
            1,
            "{case}: expected one kernel:\n{report}"
        );
        assert!(
            report.kernels[0].findings.is_empty(),
            "{case}: copy trap around a shipped kernel:\n{report}"
        );
        if let Err(e) = golden.check(case, &facts(&module, &LintOptions::default())) {
            failures.push(e.to_string());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
