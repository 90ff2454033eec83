//! Operand layouts and BlockSpecs shared by the forward and backward kernels.
//!
//! Every `[batch, heads, seq, width]` array is windowed one (batch, head) at a time with a
//! `rows × width` block; GQA maps query head `h` to key/value head `h / group` in the
//! index map, so K and V are never repeated in memory. `q, k, v, o` and their gradients
//! are stored in the [`HeadLayout`] XLA gives them, `[B, H, N, D]` or `[B, H, D, N]`.
//! Segment ids are `[batch, 1, seq]` (lane-major rows, one `(1, block)` tile per block).

use pallas_flash_ir::{
    BlockDim::{Blocked, Squeezed},
    BlockSpec, DType, IndexArgs, IndexExpr, Indexer, Kernel, KernelBuilder, Value,
};
use pallas_flash_tiling::{Target, VmemBudget};

use super::config::{FlashAttentionConfig, LANES};
use super::error::FlashAttentionError;

/// A `[batch, heads, seq, width]` window of `rows × width`; `map` gives (batch, head,
/// row block).
pub(crate) fn seq_block(
    k: &KernelBuilder,
    rows: usize,
    width: usize,
    map: impl FnOnce(&IndexArgs) -> [IndexExpr; 3],
) -> BlockSpec {
    k.vmem_block([Squeezed, Squeezed, Blocked(rows), Blocked(width)], |g| {
        let [b, h, i] = map(g);
        [b, h, i, IndexExpr::Const(0)]
    })
}

/// How `q, k, v, o` (and `do, dq, dk, dv`) are stored in HBM.
///
/// XLA picks the TPU layout of every array; a kernel that demands another one gets a
/// relayout copy on each side (the copy trap, docs/design.md §6). For `[B, H, N, D]`
/// libtpu 0.0.52 picks (v5e, bf16 and f32, measured for B ≤ 2, H ∈ {1, 2, 4, 8, 12, 16,
/// 32}, N ∈ {512, …, 8192}): row-major `{3,2,1,0}` for D ∈ {128, 256}, and `{2,3,1,0}` —
/// N minor, the bytes of `[B, H, D, N]` — for D ∈ {32, 64, 80, 96, 192}. So the kernels
/// take `[B, H, D, N]` for such head dims: the producer's `transpose(x, [0, 1, 3, 2])` is a
/// bitcast, K arrives as Kᵀ, and `q · kᵀ` is a plain `[rows, D] × [D, cols]` matmul.
///
/// D = 100 is the exception: there XLA picks `{2,1,3,0}` (the bytes of `[B, D, H, N]`)
/// whenever H is a multiple of 8 (and for H ∈ {2, 4}), `{2,3,1,0}` for H = 12. A head is
/// then one sublane of every `(8, 128)` tile, which no block can window; such a parameter
/// reaches the kernel through one copy, while a `[B, H, 100, N]` array produced by the
/// program itself (a QKV projection) is written in the kernel's layout directly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HeadLayout {
    /// `[B, H, N, D]`, row-major.
    Bhnd,
    /// `[B, H, D, N]`: XLA's `{2,3,1,0}` layout of `[B, H, N, D]`.
    Bhdn,
}

impl HeadLayout {
    /// The layout XLA gives `[B, H, N, head_dim]`: row-major when the head dim fills whole
    /// 128-lane tiles, else N minor.
    pub fn native(head_dim: usize) -> HeadLayout {
        match head_dim.is_multiple_of(LANES) {
            true => HeadLayout::Bhnd,
            false => HeadLayout::Bhdn,
        }
    }

    /// The stored shape of a `[batch, heads, seq, head_dim]` array.
    pub fn shape(self, [b, h, n, d]: [usize; 4]) -> [usize; 4] {
        match self {
            HeadLayout::Bhnd => [b, h, n, d],
            HeadLayout::Bhdn => [b, h, d, n],
        }
    }

    /// The position of sequence axis in a stored `[seq, d]` block.
    pub(crate) fn seq_axis(self) -> usize {
        match self {
            HeadLayout::Bhnd => 0,
            HeadLayout::Bhdn => 1,
        }
    }

    /// A view of sequence rows `rows` (all `d` columns) of a stored block.
    pub(crate) fn rows(self, rows: Indexer, d: usize) -> [Indexer; 2] {
        let all = pallas_flash_ir::ds(0, d);
        match self {
            HeadLayout::Bhnd => [rows, all],
            HeadLayout::Bhdn => [all, rows],
        }
    }

    /// The shape of a stored block of `rows` sequence rows.
    pub(crate) fn block_shape(self, rows: usize, d: usize) -> [usize; 2] {
        match self {
            HeadLayout::Bhnd => [rows, d],
            HeadLayout::Bhdn => [d, rows],
        }
    }

    /// `x · yᵀ` for a stored block `y` of `n` rows (`x`: `[m, d]`, result `[m, n]`), e.g.
    /// `q · kᵀ`: a plain matmul when `y` is stored transposed.
    pub(crate) fn dot_t(self, k: &mut KernelBuilder, x: Value, y: Value) -> Value {
        match self {
            HeadLayout::Bhnd => k.dot_nt(x, y),
            HeadLayout::Bhdn => k.dot(x, y),
        }
    }

    /// `x · y` for a stored block `y` of `n` rows (`x`: `[m, n]`, result `[m, d]`), e.g.
    /// `p · v`.
    pub(crate) fn dot(self, k: &mut KernelBuilder, x: Value, y: Value) -> Value {
        match self {
            HeadLayout::Bhnd => k.dot(x, y),
            HeadLayout::Bhdn => k.dot_nt(x, y),
        }
    }

    /// A stored block as `[seq, d]` rows, or `[seq, d]` rows as a stored block (a
    /// transpose for [`HeadLayout::Bhdn`], done once per resident block).
    pub(crate) fn swap(self, k: &mut KernelBuilder, x: Value) -> Value {
        match self {
            HeadLayout::Bhnd => x,
            HeadLayout::Bhdn => k.transpose(x, [1, 0]),
        }
    }
}

/// A `[batch, heads, seq, head_dim]` window of `rows` sequence rows, stored in `layout`;
/// `map` gives (batch, head, row block).
pub(crate) fn head_block(
    k: &KernelBuilder,
    layout: HeadLayout,
    rows: usize,
    d: usize,
    map: impl FnOnce(&IndexArgs) -> [IndexExpr; 3],
) -> BlockSpec {
    match layout {
        HeadLayout::Bhnd => seq_block(k, rows, d, map),
        HeadLayout::Bhdn => k.vmem_block([Squeezed, Squeezed, Blocked(d), Blocked(rows)], |g| {
            let [b, h, i] = map(g);
            [b, h, IndexExpr::Const(0), i]
        }),
    }
}

/// A `[batch, 1, seq]` segment-id window of `cols` ids; `map` gives (batch, block).
pub(crate) fn segment_block(
    k: &KernelBuilder,
    cols: usize,
    map: impl FnOnce(&IndexArgs) -> [IndexExpr; 2],
) -> BlockSpec {
    k.vmem_block([Squeezed, Blocked(1), Blocked(cols)], |g| {
        let [b, i] = map(g);
        [b, IndexExpr::Const(0), i]
    })
}

/// A `[1, n]` row of segment ids as an `[n, 1]` column: broadcast to `[128, n]`, one
/// 32-bit transpose, and a lane reduction (every lane holds the same id).
pub(crate) fn segment_column(k: &mut KernelBuilder, row: Value, n: usize) -> Value {
    let wide = k.broadcast(row, [LANES, n]);
    let column_major = k.transpose(wide, [1, 0]);
    k.reduce_max(column_major, 1)
}

/// A `[rows, 1]` column stored replicated across 128 lanes (`lse`, `delta`).
pub(crate) fn lanes_wide(k: &mut KernelBuilder, column: Value, rows: usize) -> Value {
    k.broadcast(column, [rows, LANES])
}

/// Shapes of the operands.
pub(crate) struct Shapes {
    /// `q` and `o` (and `do`, `dq`), `k` and `v` (and `dk`, `dv`), stored in `layout`.
    pub q: [usize; 4],
    pub kv: [usize; 4],
    /// `lse` and `delta`: one f32 per query row, replicated over 128 lanes.
    pub rows: [usize; 4],
    pub q_segments: [usize; 3],
    pub kv_segments: [usize; 3],
}

impl Shapes {
    pub fn of(cfg: &FlashAttentionConfig) -> Shapes {
        let (b, d, layout) = (cfg.batch, cfg.head_dim, cfg.head_layout);
        Shapes {
            q: layout.shape([b, cfg.q_heads, cfg.seq_q, d]),
            kv: layout.shape([b, cfg.kv_heads, cfg.seq_kv, d]),
            rows: [b, cfg.q_heads, cfg.seq_q, LANES],
            q_segments: [b, 1, cfg.seq_q],
            kv_segments: [b, 1, cfg.seq_kv],
        }
    }
}

/// Sets the VMEM limit, validates, and checks the VMEM budget on `target`.
pub(crate) fn finish(
    mut k: KernelBuilder,
    cfg: &FlashAttentionConfig,
    target: &Target,
) -> Result<Kernel, FlashAttentionError> {
    k.vmem_limit_bytes(cfg.vmem_limit(target));
    let (kernel, info) = k.build()?;
    VmemBudget::of(target, &kernel, &info).check()?;
    Ok(kernel)
}

/// `x * scale` in f32, back in `dtype` (a block scaled once, not every tile).
pub(crate) fn scaled(
    k: &mut KernelBuilder,
    x: Value,
    shape: [usize; 2],
    scale: f64,
    dtype: DType,
) -> Value {
    let wide = convert(k, x, dtype, DType::F32);
    let s = k.full(shape, DType::F32, scale);
    let product = k.mul(wide, s);
    convert(k, product, DType::F32, dtype)
}

/// A cast, or nothing when the dtypes already agree.
pub(crate) fn convert(k: &mut KernelBuilder, x: Value, from: DType, to: DType) -> Value {
    if from == to {
        x
    } else {
        k.cast(x, to)
    }
}
