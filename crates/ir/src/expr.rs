//! Body expressions: typed SSA values, stored in `Kernel::exprs`.
//!
//! An expression is evaluated where the body has its `Stmt::Let`, except loop indices,
//! loop-carried parameters and loop results, which the `Stmt::ForiLoop` that owns them
//! defines. There are no implicit broadcasts or conversions: operand types must match
//! exactly, and `Broadcast` / `Cast` say the rest.

use crate::{BinaryOp, CompareOp, DType, Handle, ReduceOp, RefView, Scalar, UnaryOp};

/// An SSA value: a handle to the expression that computes it.
pub type Value = Handle<Expr>;

/// Dimension numbers of a matmul (Mosaic `dot_dimension_numbers`).
///
/// Exactly one contracting dim per operand; optional batch dims come first in both
/// operands and in the result. The result is `batch ++ lhs free ++ rhs free`. A
/// contracting dim that is not the last of `lhs` (or not the first non-batch dim of
/// `rhs`) means a transposed operand (`transpose_lhs` / `transpose_rhs` in Mosaic).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DotDims {
    pub lhs_contracting: usize,
    pub rhs_contracting: usize,
    /// Number of leading batch dims shared by both operands (0 or 1).
    pub batch: usize,
}

impl DotDims {
    /// `(m, k) x (k, n)`.
    pub const NN: DotDims = DotDims {
        lhs_contracting: 1,
        rhs_contracting: 0,
        batch: 0,
    };
    /// `(m, k) x (n, k)`: `a @ b.T`, as in `q @ k.T`.
    pub const NT: DotDims = DotDims {
        lhs_contracting: 1,
        rhs_contracting: 1,
        batch: 0,
    };
    /// `(k, m) x (k, n)`: `a.T @ b`, as in the `dK`/`dV` products of attention backward.
    pub const TN: DotDims = DotDims {
        lhs_contracting: 0,
        rhs_contracting: 0,
        batch: 0,
    };
}

/// A body expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// `value` splatted to `shape` (a scalar when `shape` is empty).
    Constant {
        value: Scalar,
        dtype: DType,
        shape: Vec<usize>,
    },
    /// This step's index along a grid axis (`pl.program_id`), `i32`.
    ProgramId {
        axis: usize,
    },
    /// Extent of a grid axis (`pl.num_programs`), `i32`.
    NumPrograms {
        axis: usize,
    },
    /// Reads a view: a vector from VMEM, a scalar from SMEM.
    Load {
        src: RefView,
    },
    Unary {
        op: UnaryOp,
        x: Value,
    },
    Binary {
        op: BinaryOp,
        lhs: Value,
        rhs: Value,
    },
    Compare {
        op: CompareOp,
        lhs: Value,
        rhs: Value,
    },
    /// Elementwise choice; `cond` is `i1` of the same shape.
    Select {
        cond: Value,
        on_true: Value,
        on_false: Value,
    },
    /// Converts the dtype. Float to float rounds to nearest even; float to int
    /// truncates toward zero (out of range is undefined); int to float rounds to nearest
    /// even; int to int wraps (narrowing) or sign-extends; `i1` becomes 0/1; a cast to
    /// `i1` is `x != 0`.
    Cast {
        x: Value,
        dtype: DType,
    },
    /// NumPy broadcasting to `shape`: dims align at the right; each source dim is 1 or
    /// equal to the target dim.
    Broadcast {
        x: Value,
        shape: Vec<usize>,
    },
    /// Same elements in row-major order, new shape.
    Reshape {
        x: Value,
        shape: Vec<usize>,
    },
    /// Result dim `i` is source dim `perm[i]`.
    Transpose {
        x: Value,
        perm: Vec<usize>,
    },
    /// `i32` values equal to the position along `dimension`.
    Iota {
        shape: Vec<usize>,
        dimension: usize,
    },
    /// Reduces `axes` (sorted, distinct); `keep_dims` keeps them with extent 1.
    Reduce {
        op: ReduceOp,
        x: Value,
        axes: Vec<usize>,
        keep_dims: bool,
    },
    /// Reduces the last axis and repeats the result over `lanes` positions: `[.., n]` becomes
    /// `[.., lanes]`, every lane holding the row's reduction. A per-row statistic kept this
    /// way (`lanes = 128`) is lane-shaped: it meets `[rows, 128]` operands without a
    /// broadcast and is stored as whole (8, 128) tiles (FlashAttention's `m`, `l`, `lse`).
    ReduceLanes {
        op: ReduceOp,
        x: Value,
        lanes: usize,
    },
    /// The static window `start[d] .. start[d] + size[d]` of every dim (`x[a:b, c:d]`).
    Slice {
        x: Value,
        start: Vec<usize>,
        size: Vec<usize>,
    },
    /// `low[d]` copies of `value` before and `high[d]` after every dim
    /// (`jnp.pad(x, [(low, high), …], constant_values=value)`).
    Pad {
        x: Value,
        low: Vec<usize>,
        high: Vec<usize>,
        value: Scalar,
    },
    /// `parts` joined along `axis` (`jnp.concatenate(parts, axis)`); every other dim and the
    /// dtype agree.
    Concatenate {
        parts: Vec<Value>,
        axis: usize,
    },
    /// Matrix product on the MXU, accumulated and returned in `out_dtype` (f32 for
    /// float inputs, i32 for i8).
    Dot {
        lhs: Value,
        rhs: Value,
        dims: DotDims,
        out_dtype: DType,
    },
    /// The index of the enclosing `ForiLoop` (defined by that statement), `i32`.
    LoopIndex,
    /// A loop-carried value inside the loop body (defined by its `ForiLoop`).
    LoopCarry,
    /// The final value of a carry after the loop (defined by its `ForiLoop`).
    LoopResult,
}

impl Expr {
    /// Short op name used by the printer and in error paths.
    pub fn name(&self) -> &'static str {
        match self {
            Expr::Constant { .. } => "constant",
            Expr::ProgramId { .. } => "program_id",
            Expr::NumPrograms { .. } => "num_programs",
            Expr::Load { .. } => "load",
            Expr::Unary { op, .. } => op.name(),
            Expr::Binary { op, .. } => op.name(),
            Expr::Compare { op, .. } => op.name(),
            Expr::Select { .. } => "select",
            Expr::Cast { .. } => "cast",
            Expr::Broadcast { .. } => "broadcast",
            Expr::Reshape { .. } => "reshape",
            Expr::Transpose { .. } => "transpose",
            Expr::Iota { .. } => "iota",
            Expr::Reduce { .. } => "reduce",
            Expr::ReduceLanes { .. } => "reduce_lanes",
            Expr::Slice { .. } => "slice",
            Expr::Pad { .. } => "pad",
            Expr::Concatenate { .. } => "concatenate",
            Expr::Dot { .. } => "dot",
            Expr::LoopIndex => "loop_index",
            Expr::LoopCarry => "loop_carry",
            Expr::LoopResult => "loop_result",
        }
    }

    /// Values this expression reads (in a fixed order), including dynamic offsets.
    pub fn operands(&self) -> Vec<Value> {
        match self {
            Expr::Constant { .. }
            | Expr::ProgramId { .. }
            | Expr::NumPrograms { .. }
            | Expr::Iota { .. }
            | Expr::LoopIndex
            | Expr::LoopCarry
            | Expr::LoopResult => Vec::new(),
            Expr::Load { src } => src.dynamic_values().collect(),
            Expr::Unary { x, .. }
            | Expr::Cast { x, .. }
            | Expr::Broadcast { x, .. }
            | Expr::Reshape { x, .. }
            | Expr::Transpose { x, .. }
            | Expr::Reduce { x, .. }
            | Expr::ReduceLanes { x, .. }
            | Expr::Slice { x, .. }
            | Expr::Pad { x, .. } => vec![*x],
            Expr::Concatenate { parts, .. } => parts.clone(),
            Expr::Binary { lhs, rhs, .. }
            | Expr::Compare { lhs, rhs, .. }
            | Expr::Dot { lhs, rhs, .. } => {
                vec![*lhs, *rhs]
            }
            Expr::Select {
                cond,
                on_true,
                on_false,
            } => vec![*cond, *on_true, *on_false],
        }
    }
}
