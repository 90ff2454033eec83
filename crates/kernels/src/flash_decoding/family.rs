//! Split-KV decoding as a [`KernelFamily`]: the split kernel over a contiguous or a paged
//! cache, built for a target and a `block_kv`.

use pallas_flash_tiling::family::{named, Blocks, BuildError, BuiltKernel, KernelFamily};
use pallas_flash_tiling::roofline::{mxu_padded, Work};
use pallas_flash_tiling::search::ladder;
use pallas_flash_tiling::Target;

use super::config::FlashDecodingConfig;
use super::paged::{paged_kernel, PagedCache};
use super::split::split_kernel;

/// The split kernel of a configuration (partials; the log-sum-exp combine is a separate
/// small kernel), over a contiguous cache or a paged one.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoding {
    pub cfg: FlashDecodingConfig,
    /// `Some`: the cache is paged ([`paged_kernel`]); `None`: contiguous ([`split_kernel`]).
    pub paged: Option<PagedCache>,
}

impl FlashDecodingConfig {
    fn describe(&self, name: &str) -> String {
        format!(
            "{name} b{} h{} kvh{} kv{} d{} splits{}",
            self.batch, self.q_heads, self.kv_heads, self.max_kv_len, self.head_dim, self.splits
        )
    }

    /// `self` with the `block_kv` of `blocks`, if named.
    fn with_named_blocks(&self, blocks: &Blocks) -> FlashDecodingConfig {
        let block_kv = named(blocks, "block_kv").unwrap_or(self.block_kv);
        self.clone().with_splits(self.splits, block_kv)
    }

    /// One query row block per (batch, kv head) against the whole cache.
    fn decode_flops(&self) -> f64 {
        4.0 * (self.batch * self.q_heads * self.q_len) as f64
            * self.max_kv_len as f64
            * self.head_dim as f64
    }

    /// The KV cache dominates: k and v once; q and the output are a few rows.
    fn decode_bytes(&self) -> f64 {
        let kv = 2.0
            * (self.batch * self.kv_heads * self.max_kv_len * self.head_dim) as f64
            * f64::from(self.kv_dtype.dtype().byte_size());
        kv + 2.0 * (self.batch * self.q_heads * self.q_len * self.head_dim) as f64 * 2.0
    }

    /// Every block of the cache streamed once; `tile_rows × block_kv` scores a step.
    fn decode_work(&self, target: &Target, blocks: &Blocks) -> Work {
        let c = self.with_named_blocks(blocks);
        let (rows, bkv, d) = (c.tile_rows(), c.block_kv.max(1), c.head_dim);
        let steps = (c.batch * c.kv_heads * (c.max_kv_len / bkv)) as f64;
        let edge = target.mxu_edge();
        let score = (rows * bkv) as f64 * steps;
        Work {
            mxu_flops: 4.0
                * mxu_padded(rows, edge)
                * mxu_padded(bkv, edge)
                * mxu_padded(d, edge)
                * steps,
            hbm_bytes: self.decode_bytes(),
            vpu_elements: 6.0 * score,
            transcendentals: score,
            steps,
        }
    }
}

impl KernelFamily for Decoding {
    fn describe(&self) -> String {
        match self.paged {
            None => self.cfg.describe("flash-decoding"),
            Some(cache) => format!(
                "{} page{}",
                self.cfg.describe("paged-decoding"),
                cache.page_size
            ),
        }
    }

    fn default_blocks(&self, _: &Target) -> Blocks {
        vec![("block_kv", self.cfg.block_kv)]
    }

    fn candidate_blocks(&self) -> Vec<(&'static str, Vec<usize>)> {
        vec![("block_kv", ladder(self.cfg.max_kv_len))]
    }

    fn build(&self, target: &Target, blocks: &Blocks) -> Result<Vec<BuiltKernel>, BuildError> {
        let cfg = self.cfg.with_named_blocks(blocks);
        let built = match self.paged {
            None => split_kernel(&cfg, target)?,
            Some(cache) => paged_kernel(&cfg, cache, target)?,
        };
        Ok(vec![built.into()])
    }

    fn flops(&self, _: &[BuiltKernel]) -> f64 {
        self.cfg.decode_flops()
    }

    fn min_hbm_bytes(&self, _: &[BuiltKernel]) -> f64 {
        self.cfg.decode_bytes()
    }

    fn work(&self, target: &Target, blocks: &Blocks, _: &[BuiltKernel]) -> Work {
        self.cfg.decode_work(target, blocks)
    }
}
