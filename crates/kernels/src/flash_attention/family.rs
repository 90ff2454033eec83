//! FlashAttention-2 as [`KernelFamily`]s: the forward kernel, and the backward pass (dQ
//! feeding dK/dV), each built for a target and `block_q × block_kv` blocks.

use pallas_flash_ir::validate;
use pallas_flash_tiling::family::{named, Blocks, BuildError, BuiltKernel, KernelFamily};
use pallas_flash_tiling::roofline::{mxu_padded, Work};
use pallas_flash_tiling::search::ladder;
use pallas_flash_tiling::Target;

use super::backward::backward;
use super::config::{BlockSizes, FlashAttentionConfig};
use super::error::FlashAttentionError;
use super::forward::forward;

/// The forward kernel of a configuration: `q, k, v -> o, lse`.
#[derive(Clone, Debug, PartialEq)]
pub struct Forward(pub FlashAttentionConfig);

/// The backward pass of a configuration: the dQ kernel (which also emits `delta`), then
/// the dK/dV kernel.
#[derive(Clone, Debug, PartialEq)]
pub struct Backward(pub FlashAttentionConfig);

impl FlashAttentionConfig {
    /// `cfg` with `blocks` (`block_q`, `block_kv`; missing names keep the blocks in use on
    /// `target`), at the measured compute split.
    fn with_named_blocks(&self, target: &Target, blocks: &Blocks) -> FlashAttentionConfig {
        let (block_q, block_kv) = match (named(blocks, "block_q"), named(blocks, "block_kv")) {
            (None, None) => return self.clone(),
            (Some(q), Some(kv)) => (q, kv),
            (q, kv) => {
                let current = self.blocks_on(target);
                (q.unwrap_or(current.block_q), kv.unwrap_or(current.block_kv))
            }
        };
        self.clone()
            .blocks(BlockSizes::measured(block_q, block_kv, target))
    }

    fn describe(&self, name: &str) -> String {
        let causal = if self.causal { " causal" } else { "" };
        let c = self;
        format!(
            "{name}{causal} b{} h{} kvh{} n{} kv{} d{} {}",
            c.batch,
            c.q_heads,
            c.kv_heads,
            c.seq_q,
            c.seq_kv,
            c.head_dim,
            c.dtype.name()
        )
    }

    fn named_blocks(&self, target: &Target) -> Blocks {
        let b = self.blocks_on(target);
        vec![("block_q", b.block_q), ("block_kv", b.block_kv)]
    }

    fn ladders(&self) -> Vec<(&'static str, Vec<usize>)> {
        vec![
            ("block_q", ladder(self.seq_q)),
            ("block_kv", ladder(self.seq_kv)),
        ]
    }

    /// Causal attention keeps half the pairs; two matmuls of `2·N_q·N_kv·D` per head.
    fn attention_flops(&self) -> f64 {
        let full = 4.0
            * (self.batch * self.q_heads) as f64
            * self.seq_q as f64
            * self.seq_kv as f64
            * self.head_dim as f64;
        if self.causal {
            full / 2.0
        } else {
            full
        }
    }

    /// `q_side` bytes per query head and `kv_side` per kv head, each row of `D` elements.
    fn attention_bytes(&self, q_side: f64, kv_side: f64) -> f64 {
        let e = f64::from(self.dtype.byte_size()) * (self.batch * self.head_dim) as f64;
        e * (q_side * (self.q_heads * self.seq_q) as f64
            + kv_side * (self.kv_heads * self.seq_kv) as f64)
    }

    /// (q block, kv block) tile pairs one head computes: all of them, or for causal
    /// attention those whose kv block starts at or before the q block's last row.
    fn block_pairs(&self, bq: usize, bkv: usize) -> f64 {
        let (gq, gkv) = (self.seq_q / bq, self.seq_kv / bkv);
        if !self.causal {
            return (gq * gkv) as f64;
        }
        (0..gq)
            .map(|i| ((i + 1) * bq).div_ceil(bkv).min(gkv))
            .sum::<usize>() as f64
    }
}

fn built(kernel: pallas_flash_ir::Kernel) -> Result<BuiltKernel, BuildError> {
    let info = validate(&kernel).map_err(FlashAttentionError::from)?;
    Ok(BuiltKernel { kernel, info })
}

/// `(block_q, block_kv)` of `blocks`.
fn pair(blocks: &Blocks, cfg: &FlashAttentionConfig, target: &Target) -> (usize, usize) {
    let b = cfg.with_named_blocks(target, blocks).blocks_on(target);
    (b.block_q, b.block_kv)
}

impl KernelFamily for Forward {
    fn describe(&self) -> String {
        self.0.describe("flash-attention")
    }

    fn default_blocks(&self, target: &Target) -> Blocks {
        self.0.named_blocks(target)
    }

    fn candidate_blocks(&self) -> Vec<(&'static str, Vec<usize>)> {
        self.0.ladders()
    }

    fn build(&self, target: &Target, blocks: &Blocks) -> Result<Vec<BuiltKernel>, BuildError> {
        Ok(vec![built(forward(
            &self.0.with_named_blocks(target, blocks),
            target,
        )?)?])
    }

    fn flops(&self, _: &[BuiltKernel]) -> f64 {
        self.0.attention_flops()
    }

    /// q and o once per query head, k and v once per kv head.
    fn min_hbm_bytes(&self, _: &[BuiltKernel]) -> f64 {
        self.0.attention_bytes(2.0, 2.0)
    }

    /// q read and o written once; k and v re-read for every q block.
    fn work(&self, target: &Target, blocks: &Blocks, _: &[BuiltKernel]) -> Work {
        let c = &self.0;
        let (bq, bkv) = pair(blocks, c, target);
        let (b, h, n, d) = (c.batch, c.q_heads, c.seq_q, c.head_dim);
        let edge = target.mxu_edge();
        let pairs = c.block_pairs(bq, bkv) * (b * h) as f64;
        let s = f64::from(c.dtype.byte_size());
        let score = (bq * bkv) as f64;
        Work {
            mxu_flops: 2.0
                * 2.0
                * mxu_padded(bq, edge)
                * mxu_padded(bkv, edge)
                * mxu_padded(d, edge)
                * pairs,
            hbm_bytes: 2.0 * (b * h * n * d) as f64 * s + 2.0 * (bkv * d) as f64 * s * pairs,
            vpu_elements: 6.0 * score * pairs,
            transcendentals: score * pairs,
            steps: (b * h * (n / bq) * (c.seq_kv / bkv)) as f64,
        }
    }
}

impl KernelFamily for Backward {
    fn describe(&self) -> String {
        self.0.describe("flash-attention-backward")
    }

    fn default_blocks(&self, target: &Target) -> Blocks {
        self.0.named_blocks(target)
    }

    fn candidate_blocks(&self) -> Vec<(&'static str, Vec<usize>)> {
        self.0.ladders()
    }

    fn build(&self, target: &Target, blocks: &Blocks) -> Result<Vec<BuiltKernel>, BuildError> {
        let kernels = backward(&self.0.with_named_blocks(target, blocks), target)?;
        Ok(vec![built(kernels.dq)?, built(kernels.dkv)?])
    }

    /// dQ, dK, dV and the recomputed scores and dP: 2.5× the forward (docs/design.md §8).
    fn flops(&self, _: &[BuiltKernel]) -> f64 {
        2.5 * self.0.attention_flops()
    }

    /// q, o, do read and dq written per query head (lse and delta are 1/D of that per
    /// lane row, left out); k, v read and dk, dv written per kv head.
    fn min_hbm_bytes(&self, _: &[BuiltKernel]) -> f64 {
        self.0.attention_bytes(4.0, 4.0)
    }

    /// dK/dV kernel: q, do, lse, delta re-read per kv block; k, v read and dk, dv written
    /// once. dQ kernel: k, v re-read per q block, q, do, lse, delta read and dq written
    /// once. 5 matmuls per tile in total (QKᵀ twice, dP, dV, dK, dQ share: 2.5× the
    /// forward's 2).
    fn work(&self, target: &Target, blocks: &Blocks, _: &[BuiltKernel]) -> Work {
        let c = &self.0;
        let (bq, bkv) = pair(blocks, c, target);
        let (b, h, n, nkv, d) = (c.batch, c.q_heads, c.seq_q, c.seq_kv, c.head_dim);
        let (gq, gkv) = (n / bq, nkv / bkv);
        let edge = target.mxu_edge();
        let heads = (b * h) as f64;
        let pairs = c.block_pairs(bq, bkv) * heads;
        let s = f64::from(c.dtype.byte_size());
        let score = (bq * bkv) as f64;
        let q_side = (b * h * n) as f64 * (2.0 * d as f64 * s + 8.0);
        let kv_side = (b * h * nkv * d) as f64 * s * 2.0;
        Work {
            mxu_flops: 5.0
                * 2.0
                * mxu_padded(bq, edge)
                * mxu_padded(bkv, edge)
                * mxu_padded(d, edge)
                * pairs,
            hbm_bytes: q_side * (pairs / (heads * gq as f64) + 1.0)
                + kv_side * (pairs / (heads * gkv as f64) + 2.0)
                + (b * h * n * d) as f64 * s,
            vpu_elements: 10.0 * score * pairs,
            transcendentals: 2.0 * score * pairs,
            steps: 2.0 * (b * h * gq * gkv) as f64,
        }
    }
}
