//! The shape of a decode step and how it is split, checked before any IR is built.

use pallas_flash_ir::{DType, ValidationError};
use pallas_flash_tiling::BudgetError;
use thiserror::Error;

/// Most query tokens per sequence in one step (speculative decoding drafts).
pub const MAX_Q_LEN: usize = 8;

/// The query tile's rows are padded to a multiple of this (one f32 sublane tile).
///
/// XLA's default TPU layout of a small second-minor dim is not row-major: with one row
/// per KV head (MHA, `q_len` 1) the query `bf16[B, H_kv, 1, D]` gets layout
/// `{3,1,2,0}`, and 3 rows trap the same way, so XLA relayouts the operand around the
/// kernel (a copy, 16 KiB at B = 8; docs/design.md §6, the copy trap). Multiples of 8 rows are
/// row-major by default. The padding costs no vector work: an f32 `[1, n]` value fills
/// the same vregs as `[8, n]` (8 sublanes each), and the MXU pushes are the same.
pub const QUERY_ROW_TILE: usize = 8;

/// Element type of the KV cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KvCacheDtype {
    Bf16,
    /// Symmetric int8 with one f32 scale per (kv head, channel): `x ≈ scale[h, d] · q[.., d]`.
    /// A per-head scale is the case where every channel of a head has the same scale.
    Int8,
}

impl KvCacheDtype {
    pub fn dtype(self) -> DType {
        match self {
            KvCacheDtype::Bf16 => DType::Bf16,
            KvCacheDtype::Int8 => DType::I8,
        }
    }
}

/// Where the per-row KV lengths come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KvLengths {
    /// An `i32[batch]` scalar-prefetch operand (the serving case).
    Prefetch,
    /// Every row has this length, baked into the kernel as a constant. libtpu's static
    /// profiler reads scalar-prefetch values as 0 (docs/design.md §8), so benchmarks use this to
    /// make the work it simulates the work a real run does.
    Uniform(usize),
}

/// One decode step: `batch` sequences, each with `q_len` new query tokens attending to
/// its KV cache of `lengths[b]` valid positions (the new tokens included, the last
/// query token sitting at position `lengths[b] - 1`), and how the work is split.
#[derive(Clone, Debug, PartialEq)]
pub struct FlashDecodingConfig {
    pub batch: usize,
    /// Query tokens per sequence, 1..=[`MAX_Q_LEN`]; token `t` sees positions
    /// `< lengths[b] - q_len + 1 + t` (causal among the new tokens).
    pub q_len: usize,
    pub q_heads: usize,
    /// KV heads; `q_heads / kv_heads` query heads share one (GQA, MQA when 1).
    pub kv_heads: usize,
    /// Multiple of 128 (the lane width).
    pub head_dim: usize,
    /// Capacity of the cache per sequence, a multiple of `block_kv`.
    pub max_kv_len: usize,
    /// KV chunks per sequence on the parallel split axis; each writes one partial.
    pub splits: usize,
    /// KV positions per grid step, a multiple of 128.
    pub block_kv: usize,
    pub kv_dtype: KvCacheDtype,
    pub lengths: KvLengths,
    /// Softmax scale, `1 / sqrt(head_dim)` by default.
    pub scale: f64,
}

/// Why a configuration can not be built.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum FlashDecodingError {
    #[error("{what} must be at least 1")]
    Zero { what: &'static str },
    #[error("q_len {q_len} is outside 1..={MAX_Q_LEN}")]
    QLen { q_len: usize },
    #[error(
        "q_heads {q_heads} is not a multiple of kv_heads {kv_heads} (GQA groups must be equal)"
    )]
    Gqa { q_heads: usize, kv_heads: usize },
    #[error("{what} {value} is not a multiple of {multiple} ({why})")]
    NotMultiple {
        what: &'static str,
        value: usize,
        multiple: usize,
        why: &'static str,
    },
    #[error("{splits} splits over {blocks} blocks of {block_kv} positions leave splits with no block; use at most {blocks} splits or smaller blocks")]
    TooManySplits {
        splits: usize,
        blocks: usize,
        block_kv: usize,
    },
    #[error("uniform length {length} exceeds max_kv_len {max_kv_len}")]
    LengthOverCapacity { length: usize, max_kv_len: usize },
    #[error("{what} = {value} does not fit the i32 index arithmetic of the kernel")]
    TooLarge { what: &'static str, value: usize },
    #[error("softmax scale {scale} is not a finite positive number")]
    Scale { scale: f64 },
    #[error("{what} {value} is outside {range}")]
    Paging {
        what: &'static str,
        value: usize,
        range: &'static str,
    },
    #[error(transparent)]
    Vmem(#[from] BudgetError),
    /// A bug in this module: the kernel it built does not validate.
    #[error("the generated kernel does not validate: {0}")]
    Invalid(#[from] ValidationError),
}

/// How a decode step is cut: KV chunks per sequence on the parallel split axis, and KV
/// positions per grid step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeBlocks {
    pub splits: usize,
    pub block_kv: usize,
}

/// The most bytes of one K (or V) block the default takes: 8 MiB, so the double-buffered
/// K and V blocks fill 32 MiB of v5e's 128 MiB VMEM (the kernel raises its scoped limit
/// to fit). Bigger blocks measured faster up to this size (table in
/// [`FlashDecodingConfig::default_blocks`]).
const MAX_DEFAULT_BLOCK_BYTES: usize = 8 << 20;

/// The largest power of two from 128 dividing `max_kv_len` whose bf16 `[block, head_dim]`
/// block stays within [`MAX_DEFAULT_BLOCK_BYTES`].
fn default_block_kv(max_kv_len: usize, head_dim: usize) -> usize {
    let most = MAX_DEFAULT_BLOCK_BYTES / (2 * head_dim.max(1));
    (7..usize::BITS - 1)
        .rev()
        .map(|p| 1usize << p)
        .filter(|b| *b <= most)
        .find(|b| max_kv_len.is_multiple_of(*b))
        .unwrap_or(128)
}

impl FlashDecodingConfig {
    /// A bf16 cache with lengths in scalar prefetch and the measured default blocks
    /// ([`Self::default_blocks`]; set the fields or [`Self::with_splits`] to change them).
    pub fn new(
        batch: usize,
        q_heads: usize,
        kv_heads: usize,
        head_dim: usize,
        max_kv_len: usize,
    ) -> Self {
        FlashDecodingConfig {
            batch,
            q_len: 1,
            q_heads,
            kv_heads,
            head_dim,
            max_kv_len,
            splits: 1,
            block_kv: default_block_kv(max_kv_len, head_dim),
            kv_dtype: KvCacheDtype::Bf16,
            lengths: KvLengths::Prefetch,
            scale: 1.0 / (head_dim as f64).sqrt(),
        }
    }

    /// The measured best cut for this shape on v5e: one split, and `block_kv` the largest
    /// power of two dividing `max_kv_len` whose bf16 K block is at most 8 MiB (32768
    /// positions at D = 128; 128 when none divides, and `check` then reports the capacity).
    ///
    /// Static estimates of the split kernel (libtpu 0.0.52, v5e, 8/8, D = 128, S = 1;
    /// `benches/results/2026-12-02-decode-blocks-v5e-libtpu-0.0.52.txt`):
    ///
    /// | KV length, B | bkv 8192 | bkv 16384 | **bkv 32768** |
    /// |---|---|---|---|
    /// | 32768, 1 | 192,864 | 180,678 | **175,609** |
    /// | 32768, 8 | 1,525,005 | 1,416,299 | **1,354,462** |
    /// | 131072, 1 | 760,560 | | **683,289** |
    ///
    /// Each grid step costs ~600 cycles of pipeline overhead in the model, and larger DMAs
    /// stream faster in it (module docs, "where the time goes"); 4096 and below are further
    /// behind (220,080 at 4096). At 32768 the double-buffered K/V blocks take 32 MiB: the
    /// kernel raises its scoped VMEM limit (v5e has 128 MiB).
    ///
    /// The table is for full caches. A row fetches whole blocks up to its length (the
    /// pipeline's window is the block), so a row far shorter than the capacity reads up to
    /// one block minus one position more than it needs: at 32768 up to 16 MiB of K and V
    /// per (row, KV head), 4× what 8192 over-reads. For serving batches of short rows in a
    /// long cache, pass a smaller `block_kv` (`--block-kv 8192`): on a chip the bytes, not
    /// the model's step count, set the time.
    ///
    /// Why one split: v5e has one TensorCore, so the parallel split axis runs serially and
    /// each extra split only adds partial writes and combine work (S = 1, 2, 4, 8 at 32k,
    /// B = 1, 8 heads: see the table in the module docs). Splits pay on chips with two
    /// cores per chip (v4, v5p) when B × H_kv is small; this default is for v5e.
    pub fn default_blocks(&self) -> DecodeBlocks {
        DecodeBlocks {
            splits: 1,
            block_kv: default_block_kv(self.max_kv_len, self.head_dim),
        }
    }

    /// Sets [`Self::default_blocks`].
    pub fn with_default_blocks(self) -> Self {
        let DecodeBlocks { splits, block_kv } = self.default_blocks();
        self.with_splits(splits, block_kv)
    }

    pub fn with_splits(mut self, splits: usize, block_kv: usize) -> Self {
        self.splits = splits;
        self.block_kv = block_kv;
        self
    }

    pub fn with_q_len(mut self, q_len: usize) -> Self {
        self.q_len = q_len;
        self
    }

    pub fn with_kv_dtype(mut self, kv_dtype: KvCacheDtype) -> Self {
        self.kv_dtype = kv_dtype;
        self
    }

    pub fn with_lengths(mut self, lengths: KvLengths) -> Self {
        self.lengths = lengths;
        self
    }

    /// Query heads per KV head.
    pub fn group(&self) -> usize {
        self.q_heads / self.kv_heads.max(1)
    }

    /// Query rows of one KV head: `q_len × group`, token-major.
    pub fn rows(&self) -> usize {
        self.q_len * self.group()
    }

    /// Rows of the query tile as the kernels see it: [`Self::rows`] padded to a multiple
    /// of [`QUERY_ROW_TILE`] (the padding rows are the caller's zeros, see
    /// [`super::query_tile`]; their outputs are dropped by [`super::untile_output`]).
    pub fn tile_rows(&self) -> usize {
        self.rows().next_multiple_of(QUERY_ROW_TILE)
    }

    /// KV blocks per sequence.
    pub fn kv_blocks(&self) -> usize {
        self.max_kv_len / self.block_kv.max(1)
    }

    /// KV blocks each split walks.
    pub fn blocks_per_split(&self) -> usize {
        self.kv_blocks() / self.splits.max(1)
    }

    /// Checks every rule the kernels rely on.
    pub fn check(&self) -> Result<(), FlashDecodingError> {
        let sizes = [
            ("batch", self.batch),
            ("q_heads", self.q_heads),
            ("kv_heads", self.kv_heads),
            ("head_dim", self.head_dim),
            ("max_kv_len", self.max_kv_len),
            ("splits", self.splits),
            ("block_kv", self.block_kv),
        ];
        if let Some((what, _)) = sizes.iter().find(|(_, v)| *v == 0) {
            return Err(FlashDecodingError::Zero { what });
        }
        if let Some((what, value)) = sizes.iter().find(|(_, v)| i32::try_from(*v).is_err()) {
            return Err(FlashDecodingError::TooLarge {
                what,
                value: *value,
            });
        }
        if !(1..=MAX_Q_LEN).contains(&self.q_len) {
            return Err(FlashDecodingError::QLen { q_len: self.q_len });
        }
        if !self.q_heads.is_multiple_of(self.kv_heads) {
            return Err(FlashDecodingError::Gqa {
                q_heads: self.q_heads,
                kv_heads: self.kv_heads,
            });
        }
        let multiples = [
            (
                "head_dim",
                self.head_dim,
                128,
                "the lane width; smaller heads make XLA relayout the cache",
            ),
            ("block_kv", self.block_kv, 128, "scores are lane-dense"),
            (
                "max_kv_len",
                self.max_kv_len,
                self.block_kv,
                "the cache holds whole blocks",
            ),
        ];
        if let Some((what, value, multiple, why)) = multiples
            .into_iter()
            .find(|(_, v, m, _)| !v.is_multiple_of(*m))
        {
            return Err(FlashDecodingError::NotMultiple {
                what,
                value,
                multiple,
                why,
            });
        }
        if self.splits > self.kv_blocks() {
            return Err(FlashDecodingError::TooManySplits {
                splits: self.splits,
                blocks: self.kv_blocks(),
                block_kv: self.block_kv,
            });
        }
        if !self.kv_blocks().is_multiple_of(self.splits) {
            return Err(FlashDecodingError::NotMultiple {
                what: "KV blocks per sequence",
                value: self.kv_blocks(),
                multiple: self.splits,
                why: "every split walks the same number of blocks",
            });
        }
        if let KvLengths::Uniform(length) = self.lengths {
            if length > self.max_kv_len {
                return Err(FlashDecodingError::LengthOverCapacity {
                    length,
                    max_kv_len: self.max_kv_len,
                });
            }
        }
        if !(self.scale.is_finite() && self.scale > 0.0) {
            return Err(FlashDecodingError::Scale { scale: self.scale });
        }
        Ok(())
    }
}
