//! Operand layouts and BlockSpecs shared by the forward and backward kernels.
//!
//! Every `[batch, heads, seq, width]` array is windowed one (batch, head) at a time with a
//! `rows × width` block; GQA maps query head `h` to key/value head `h / group` in the
//! index map, so K and V are never repeated in memory. Segment ids are `[batch, 1, seq]`
//! (lane-major rows, one `(1, block)` tile per block).

use pallas_flash_ir::{
    BlockDim::{Blocked, Squeezed},
    BlockSpec, DType, IndexArgs, IndexExpr, Kernel, KernelBuilder, Value,
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
    pub q: [usize; 4],
    pub kv: [usize; 4],
    /// `lse` and `delta`: one f32 per query row, replicated over 128 lanes.
    pub rows: [usize; 4],
    pub q_segments: [usize; 3],
    pub kv_segments: [usize; 3],
}

impl Shapes {
    pub fn of(cfg: &FlashAttentionConfig) -> Shapes {
        let (b, d) = (cfg.batch, cfg.head_dim);
        Shapes {
            q: [b, cfg.q_heads, cfg.seq_q, d],
            kv: [b, cfg.kv_heads, cfg.seq_kv, d],
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
