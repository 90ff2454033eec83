//! The problem (shapes, dtype, masking options) and the block sizes that tile it.

use pallas_flash_ir::DType;
use pallas_flash_tiling::family::named;
use pallas_flash_tiling::search::{evaluate, search};
use pallas_flash_tiling::Target;

use super::error::FlashAttentionError;
use super::family::Forward;
use super::layout::HeadLayout;
use super::mask::Band;

/// Lane width of the TPU vector registers: per-row statistics (`lse`, `delta`) are stored
/// replicated across one full lane tile so that every access is a plain (8, 128) tile.
pub const LANES: usize = 128;

/// How the sequences are cut: `block_q` query rows stay resident while `block_kv` key/value
/// rows stream by; each streamed block is processed `block_kv_compute` rows at a time, so
/// the f32 score tile is `block_q_compute × block_kv_compute`.
///
/// `block_q_compute` splits the resident query block into independent row tiles within one
/// grid step (the forward kernel; dQ keeps whole blocks). Unlike `block_kv_compute` it costs no scratch
/// round-trip: each row tile owns its rows of the statistics and the accumulator, so the
/// tiles are independent chains that the LLO scheduler interleaves — one tile's softmax
/// (VPU/EUP) overlaps the next tile's `q · kᵀ` (MXU) instead of leaving the MXU idle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BlockSizes {
    pub block_q: usize,
    pub block_kv: usize,
    pub block_kv_compute: usize,
    pub block_q_compute: usize,
}

impl BlockSizes {
    /// `block_kv_compute` defaults to `block_kv` capped at 512, `block_q_compute` to
    /// `block_q`.
    pub fn new(block_q: usize, block_kv: usize) -> Self {
        BlockSizes {
            block_q,
            block_kv,
            block_kv_compute: compute_block(block_kv),
            block_q_compute: block_q,
        }
    }

    pub fn compute(mut self, block_kv_compute: usize) -> Self {
        self.block_kv_compute = block_kv_compute;
        self
    }

    /// `block_q × block_kv` with the compute split that measured best (see
    /// [`FlashAttentionConfig::default_blocks`]): whole key blocks, and query row tiles as
    /// tall as the target's MXU (128 rows on v5e, 256 on v6e) when `block_q` is a multiple
    /// of that, else 128-row tiles when it is a multiple of 128.
    pub fn measured(block_q: usize, block_kv: usize, target: &Target) -> Self {
        let mxu_rows = target.mxu.rows as usize;
        let rows = [mxu_rows, LANES]
            .into_iter()
            .find(|&r| block_q.is_multiple_of(r))
            .unwrap_or(block_q);
        BlockSizes::new(block_q, block_kv)
            .compute(block_kv)
            .q_compute(rows)
    }

    pub fn q_compute(mut self, block_q_compute: usize) -> Self {
        self.block_q_compute = block_q_compute;
        self
    }
}

/// The largest chunk of at most 512 rows that divides `block_kv` in multiples of 128.
fn compute_block(block_kv: usize) -> usize {
    [512, 256, 128]
        .into_iter()
        .find(|&c| block_kv.is_multiple_of(c))
        .unwrap_or(block_kv)
}

/// One FlashAttention problem: `q` is `[batch, q_heads, seq_q, head_dim]`, `k` and `v` are
/// `[batch, kv_heads, seq_kv, head_dim]`.
///
/// Masking follows `pallas_flash_interpret::reference::AttentionMask`: query `i` sees key
/// `j` when `j <= i` (causal, positions aligned at 0), `|i - j| < window` (sliding window)
/// and the segment ids match.
#[derive(Clone, Debug, PartialEq)]
pub struct FlashAttentionConfig {
    pub batch: usize,
    pub q_heads: usize,
    pub kv_heads: usize,
    pub seq_q: usize,
    pub seq_kv: usize,
    pub head_dim: usize,
    /// How `q, k, v, o` and their gradients are stored; XLA's own layout by default
    /// ([`HeadLayout::native`]), so the call needs no relayout copy.
    pub head_layout: HeadLayout,
    pub dtype: DType,
    pub causal: bool,
    /// Multiplies `q · k`; `1 / sqrt(head_dim)` by default (when the producer zero-pads the
    /// head dim, set it for the true head dim).
    pub sm_scale: f64,
    pub sliding_window: Option<usize>,
    /// Adds `q_segment_ids` `[batch, 1, seq_q]` and `kv_segment_ids` `[batch, 1, seq_kv]`
    /// (`i32`) inputs.
    pub segment_ids: bool,
    /// `None`: [`FlashAttentionConfig::default_blocks`].
    pub blocks: Option<BlockSizes>,
    /// Scoped VMEM limit passed to libtpu; `None`: [`FlashAttentionConfig::default_vmem_limit`].
    pub vmem_limit_bytes: Option<u64>,
}

impl FlashAttentionConfig {
    /// bf16, not causal, no window or segments, scale `1/sqrt(head_dim)`, XLA's layout
    /// for the head dim, default blocks.
    pub fn new(
        batch: usize,
        q_heads: usize,
        kv_heads: usize,
        seq_q: usize,
        seq_kv: usize,
        head_dim: usize,
    ) -> Self {
        FlashAttentionConfig {
            batch,
            q_heads,
            kv_heads,
            seq_q,
            seq_kv,
            head_dim,
            head_layout: HeadLayout::native(head_dim),
            dtype: DType::Bf16,
            causal: false,
            sm_scale: 1.0 / (head_dim.max(1) as f64).sqrt(),
            sliding_window: None,
            segment_ids: false,
            blocks: None,
            vmem_limit_bytes: None,
        }
    }

    pub fn head_layout(mut self, layout: HeadLayout) -> Self {
        self.head_layout = layout;
        self
    }

    pub fn dtype(mut self, dtype: DType) -> Self {
        self.dtype = dtype;
        self
    }

    pub fn causal(mut self, causal: bool) -> Self {
        self.causal = causal;
        self
    }

    pub fn sm_scale(mut self, sm_scale: f64) -> Self {
        self.sm_scale = sm_scale;
        self
    }

    pub fn sliding_window(mut self, window: usize) -> Self {
        self.sliding_window = Some(window);
        self
    }

    pub fn segment_ids(mut self, segment_ids: bool) -> Self {
        self.segment_ids = segment_ids;
        self
    }

    pub fn blocks(mut self, blocks: BlockSizes) -> Self {
        self.blocks = Some(blocks);
        self
    }

    pub fn vmem_limit_bytes(mut self, bytes: u64) -> Self {
        self.vmem_limit_bytes = Some(bytes);
        self
    }

    /// Query heads per key/value head.
    pub fn group(&self) -> usize {
        self.q_heads / self.kv_heads.max(1)
    }

    /// The scoped VMEM limit the kernels ask for: half the target's VMEM (64 MiB on
    /// v5e's 128 MiB), which leaves the large resident query blocks room that the 16 MiB
    /// default does not; never below the target's default scoped limit.
    pub fn default_vmem_limit(&self, target: &Target) -> u64 {
        (target.vmem_bytes / 2).max(target.default_scoped_vmem_bytes)
    }

    /// The scoped VMEM limit the kernels are built with on `target`.
    pub fn vmem_limit(&self, target: &Target) -> u64 {
        self.vmem_limit_bytes
            .unwrap_or_else(|| self.default_vmem_limit(target))
    }

    /// Default blocks, from libtpu's static estimate on v5e (the table in the module docs):
    /// the whole sequence up to 2048 rows, else 2048 × 2048, with `block_kv_compute =
    /// block_kv` (chunking the score tile along the keys measured slower, even with the
    /// statistics carried as values) and `block_q_compute` = the MXU's rows (128 on v5e):
    /// thin row tiles as wide as the kv block keep each score tile at 1 MiB on v5e,
    /// overlap one tile's softmax with the next one's matmuls, and cut causal diagonal
    /// blocks close to their triangle. On v6e (256 × 256 MXUs) 256-row tiles measured
    /// 797,390 est. cycles at N = 8192 (H = 8, causal) against 814,990 with 128-row tiles,
    /// and 1024 × 1024 blocks 1,208,678. 4096 blocks
    /// measured 2% faster at N = 8192 but compile 4× slower; 8192 overflows VMEM. The
    /// forward kernel built with these blocks for `target` must pass the alignment rules
    /// and fit [`Self::vmem_limit`]; if it does not, the block search over the real kernel
    /// decides (its roofline ranking is the fallback, not the first choice: it preferred
    /// smaller blocks than the static estimate does).
    pub fn default_blocks(&self, target: &Target) -> BlockSizes {
        let measured = |seq: usize| seq.min(2048);
        let (bq, bkv) = (measured(self.seq_q), measured(self.seq_kv));
        let family = Forward(FlashAttentionConfig {
            blocks: None,
            ..self.clone()
        });
        if evaluate(target, &family, &vec![("block_q", bq), ("block_kv", bkv)]).is_ok() {
            return BlockSizes::measured(bq, bkv, target);
        }
        let searched = search(target, &family, 64).ok().and_then(|result| {
            result.ranked.iter().find_map(|c| {
                let (bq, bkv) = (named(&c.blocks, "block_q")?, named(&c.blocks, "block_kv")?);
                let fits = |b: usize, seq: usize| b.is_multiple_of(LANES) || b == seq;
                (fits(bq, self.seq_q) && fits(bkv, self.seq_kv))
                    .then(|| BlockSizes::measured(bq, bkv, target))
            })
        });
        searched.unwrap_or_else(|| BlockSizes::new(fit(512, self.seq_q), fit(512, self.seq_kv)))
    }

    /// The blocks in use on `target`: the configured ones, else the defaults.
    pub fn blocks_on(&self, target: &Target) -> BlockSizes {
        self.blocks.unwrap_or_else(|| self.default_blocks(target))
    }

    /// The blocks in use, checked against the problem.
    pub(crate) fn checked_blocks(
        &self,
        target: &Target,
    ) -> Result<BlockSizes, FlashAttentionError> {
        let blocks = self.blocks_on(target);
        for (name, block, seq) in [
            ("block_q", blocks.block_q, self.seq_q),
            ("block_kv", blocks.block_kv, self.seq_kv),
        ] {
            let aligned = block.is_multiple_of(LANES) && block <= seq;
            if block == 0 || !(aligned || block == seq) {
                return Err(FlashAttentionError::Block { name, block, seq });
            }
        }
        for (name, compute, block) in [
            ("block_kv_compute", blocks.block_kv_compute, blocks.block_kv),
            ("block_q_compute", blocks.block_q_compute, blocks.block_q),
        ] {
            if compute == 0
                || !block.is_multiple_of(compute)
                || !(compute.is_multiple_of(LANES) || compute == block)
            {
                return Err(FlashAttentionError::ComputeBlock {
                    name,
                    compute,
                    block,
                });
            }
        }
        Ok(blocks)
    }

    /// Checks everything but the blocks and VMEM.
    pub(crate) fn check(&self) -> Result<(), FlashAttentionError> {
        for (what, value) in [
            ("batch", self.batch),
            ("q_heads", self.q_heads),
            ("kv_heads", self.kv_heads),
            ("seq_q", self.seq_q),
            ("seq_kv", self.seq_kv),
            ("head_dim", self.head_dim),
        ] {
            if value == 0 {
                return Err(FlashAttentionError::EmptyDim { what });
            }
            if i32::try_from(value).is_err() {
                return Err(FlashAttentionError::TooLarge { what, value });
            }
        }
        if !self.q_heads.is_multiple_of(self.kv_heads) {
            return Err(FlashAttentionError::HeadGroups {
                q_heads: self.q_heads,
                kv_heads: self.kv_heads,
            });
        }
        if !matches!(self.dtype, DType::Bf16 | DType::F32) {
            return Err(FlashAttentionError::DType { dtype: self.dtype });
        }
        if !self.sm_scale.is_finite() || self.sm_scale == 0.0 {
            return Err(FlashAttentionError::Scale {
                sm_scale: self.sm_scale,
            });
        }
        if self.sliding_window == Some(0) {
            return Err(FlashAttentionError::EmptyWindow);
        }
        Ok(())
    }

    /// Which `col - row` offsets may attend.
    pub(crate) fn band(&self) -> Band {
        Band::new(self.causal, self.sliding_window)
    }
}

/// `block` if the sequence is long enough, else the whole (short) sequence.
fn fit(block: usize, seq: usize) -> usize {
    if seq <= block {
        seq
    } else {
        block
    }
}
