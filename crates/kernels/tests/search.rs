//! The block search over the real kernels: what it picks and rejects per target (the
//! candidates are the kernels `KernelFamily::build` returns, so these are the kernels'
//! own plans, not a model of them).

use pallas_flash_kernels::flash_attention::{FlashAttentionConfig, Forward};
use pallas_flash_kernels::flash_decoding::{Decoding, FlashDecodingConfig, KvLengths};
use pallas_flash_kernels::matmul::MatmulConfig;
use pallas_flash_tiling::roofline::Bound;
use pallas_flash_tiling::search::{search, Rejection};
use pallas_flash_tiling::{KernelFamily, Target};

#[test]
fn attention_prefers_big_tiles_and_rejects_what_overflows() {
    let fwd = Forward(FlashAttentionConfig::new(1, 8, 8, 4096, 4096, 128).causal(true));
    for target in [Target::v5e(), Target::v6e()] {
        let result = search(&target, &fwd, 5).unwrap();
        assert_eq!(result.ranked.len(), 5, "{target}");
        let best = &result.ranked[0];
        assert!(
            best.blocks[0].1 >= 512,
            "{target}: {:?} {}",
            best.blocks,
            best.roofline
        );
        let limit = fwd.0.vmem_limit(&target);
        assert!(result.ranked.iter().all(|c| c.vmem_bytes() <= limit));
        // 64-row query blocks break the kernel's own 128-row rule, with its message.
        assert!(result
            .rejected
            .iter()
            .any(|r| matches!(&r.reason, Rejection::Build(m) if m.contains("block_q"))));
    }
}

#[test]
fn matmul_rejects_narrow_lanes_and_prefers_wide_blocks() {
    let matmul = MatmulConfig::new(4096, 4096, 4096);
    let result = search(&Target::v5e(), &matmul, 3).unwrap();
    assert!(
        result.ranked[0].blocks.iter().all(|(_, b)| *b >= 256),
        "{:?}",
        result.ranked[0].blocks
    );
    assert!(result
        .rejected
        .iter()
        .any(|r| r.reason.to_string().contains("multiple of 128 (lanes)")));
    assert!(search(&Target::v5e(), &MatmulConfig::new(0, 128, 128), 3).is_err());
}

#[test]
fn decode_is_bound_by_hbm() {
    let cfg = FlashDecodingConfig::new(8, 8, 8, 128, 32768).with_lengths(KvLengths::Uniform(32768));
    let decode = Decoding { cfg, paged: None };
    let result = search(&Target::v5e(), &decode, 3).unwrap();
    assert_eq!(
        result.ranked[0].roofline.bound,
        Bound::Hbm,
        "{}",
        decode.describe()
    );
    assert!(
        result.ranked.iter().all(|c| c.budgets.len() == 1),
        "one kernel a call"
    );
}
