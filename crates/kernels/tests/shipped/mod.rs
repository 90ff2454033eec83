//! The shipped kernel families at small configurations, shared by the golden tests
//! (optimized-HLO facts and printed Mosaic).

use pallas_flash_ir::{DType, Kernel};
use pallas_flash_kernels::flash_attention::{
    backward, forward, BlockSizes, FlashAttentionConfig, HeadLayout,
};
use pallas_flash_kernels::flash_decoding::{
    combine_kernel, paged_kernel, split_kernel, CombineOutputs, FlashDecodingConfig, PagedCache,
};
use pallas_flash_kernels::matmul::{MatmulBlocks, MatmulConfig};
use pallas_flash_tiling::Target;

/// The shipped kernel families, each at a small configuration, named as their golden file.
pub fn shipped() -> Vec<(&'static str, Kernel)> {
    let attention_d = |d| {
        FlashAttentionConfig::new(1, 2, 1, 512, 512, d)
            .causal(true)
            .blocks(BlockSizes::new(256, 256))
    };
    let attention = attention_d(128);
    let decoding = FlashDecodingConfig::new(2, 8, 2, 128, 2048).with_splits(4, 256);
    // MHA: one query row per KV head, padded to the 8-row tile (the copy-trap case).
    let mha = FlashDecodingConfig::new(8, 8, 8, 128, 2048).with_splits(4, 256);
    // Head dim 64: q, k, v, o and the gradients stored `[B, H, D, N]` (`HeadLayout::Bhdn`).
    let narrow = attention_d(64);
    assert_eq!(narrow.head_layout, HeadLayout::Bhdn);
    let narrow_backward = backward(&narrow, &Target::v5e()).expect("D = 64 backward builds");
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
            "flash_attention_fwd_causal_gqa_d64",
            forward(&narrow, &Target::v5e()).expect("D = 64 forward builds"),
        ),
        ("flash_attention_bwd_dq_causal_gqa_d64", narrow_backward.dq),
        (
            "flash_attention_bwd_dkv_causal_gqa_d64",
            narrow_backward.dkv,
        ),
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
