//! Emitting body expressions and stores. Every method appends one `Let` (or one
//! `Store`) at the current position; shapes are checked later by validation.

use super::KernelBuilder;
use crate::{
    BinaryOp, CompareOp, DType, DotDims, Expr, Indexer, ReduceOp, RefId, RefView, Scalar, Stmt,
    UnaryOp, Value,
};

macro_rules! unary_ops {
    ($($(#[$doc:meta])* $name:ident => $op:ident),* $(,)?) => {$(
        $(#[$doc])*
        pub fn $name(&mut self, x: Value) -> Value {
            self.unary(UnaryOp::$op, x)
        }
    )*};
}

macro_rules! binary_ops {
    ($($(#[$doc:meta])* $name:ident => $op:ident),* $(,)?) => {$(
        $(#[$doc])*
        pub fn $name(&mut self, lhs: Value, rhs: Value) -> Value {
            self.binary(BinaryOp::$op, lhs, rhs)
        }
    )*};
}

macro_rules! compare_ops {
    ($($name:ident => $op:ident),* $(,)?) => {$(
        pub fn $name(&mut self, lhs: Value, rhs: Value) -> Value {
            self.compare(CompareOp::$op, lhs, rhs)
        }
    )*};
}

impl KernelBuilder {
    /// `jnp.full(shape, value, dtype)`.
    pub fn full(
        &mut self,
        shape: impl Into<Vec<usize>>,
        dtype: DType,
        value: impl Into<Scalar>,
    ) -> Value {
        self.emit(Expr::Constant {
            value: value.into(),
            dtype,
            shape: shape.into(),
        })
    }

    /// A scalar constant.
    pub fn scalar(&mut self, dtype: DType, value: impl Into<Scalar>) -> Value {
        self.full([], dtype, value)
    }

    /// An `i32` scalar constant, for offsets and loop bounds.
    pub fn i32(&mut self, value: i32) -> Value {
        self.scalar(DType::I32, value)
    }

    /// `pl.program_id(axis)`.
    pub fn program_id(&mut self, axis: usize) -> Value {
        self.emit(Expr::ProgramId { axis })
    }

    /// `pl.num_programs(axis)`.
    pub fn num_programs(&mut self, axis: usize) -> Value {
        self.emit(Expr::NumPrograms { axis })
    }

    /// `x_ref[indexers]`: one indexer per dim ([`crate::ds`], [`crate::at`]).
    pub fn load(&mut self, src: RefId, indexers: impl IntoIterator<Item = Indexer>) -> Value {
        self.emit(Expr::Load {
            src: src.view(indexers),
        })
    }

    /// `x_ref[...]`: the whole ref.
    pub fn read(&mut self, src: RefId) -> Value {
        self.emit(Expr::Load { src: src.into() })
    }

    /// `o_ref[indexers] = value`.
    pub fn store(&mut self, dst: RefId, indexers: impl IntoIterator<Item = Indexer>, value: Value) {
        self.push(Stmt::Store {
            dst: dst.view(indexers),
            value,
        });
    }

    /// `o_ref[...] = value`: the whole ref.
    pub fn write(&mut self, dst: RefId, value: Value) {
        self.push(Stmt::Store {
            dst: RefView::from(dst),
            value,
        });
    }

    pub fn unary(&mut self, op: UnaryOp, x: Value) -> Value {
        self.emit(Expr::Unary { op, x })
    }

    unary_ops! {
        exp => Exp,
        /// `jnp.exp2`: `2^x`.
        exp2 => Exp2,
        log => Log,
        sqrt => Sqrt,
        rsqrt => Rsqrt,
        tanh => Tanh,
        neg => Neg,
        abs => Abs,
        /// Bitwise (integers) or logical (`i1`) not.
        not => Not,
    }

    /// Elementwise; both operands have the same type (broadcast first).
    pub fn binary(&mut self, op: BinaryOp, lhs: Value, rhs: Value) -> Value {
        self.emit(Expr::Binary { op, lhs, rhs })
    }

    binary_ops! {
        add => Add,
        sub => Sub,
        mul => Mul,
        /// Float division, or integer division truncating toward zero.
        div => Div,
        /// Remainder with the dividend's sign.
        rem => Rem,
        max => Max,
        min => Min,
        and => And,
        or => Or,
    }

    /// Elementwise comparison giving an `i1` mask.
    pub fn compare(&mut self, op: CompareOp, lhs: Value, rhs: Value) -> Value {
        self.emit(Expr::Compare { op, lhs, rhs })
    }

    compare_ops! { eq => Eq, ne => Ne, lt => Lt, le => Le, gt => Gt, ge => Ge }

    /// `jnp.where(cond, on_true, on_false)`.
    pub fn select(&mut self, cond: Value, on_true: Value, on_false: Value) -> Value {
        self.emit(Expr::Select {
            cond,
            on_true,
            on_false,
        })
    }

    /// `x.astype(dtype)`; rounding rules on [`Expr::Cast`].
    pub fn cast(&mut self, x: Value, dtype: DType) -> Value {
        self.emit(Expr::Cast { x, dtype })
    }

    /// `jnp.broadcast_to(x, shape)`.
    pub fn broadcast(&mut self, x: Value, shape: impl Into<Vec<usize>>) -> Value {
        self.emit(Expr::Broadcast {
            x,
            shape: shape.into(),
        })
    }

    pub fn reshape(&mut self, x: Value, shape: impl Into<Vec<usize>>) -> Value {
        self.emit(Expr::Reshape {
            x,
            shape: shape.into(),
        })
    }

    /// `jnp.transpose(x, perm)`.
    pub fn transpose(&mut self, x: Value, perm: impl Into<Vec<usize>>) -> Value {
        self.emit(Expr::Transpose {
            x,
            perm: perm.into(),
        })
    }

    /// `lax.broadcasted_iota(int32, shape, dimension)`.
    pub fn iota(&mut self, shape: impl Into<Vec<usize>>, dimension: usize) -> Value {
        self.emit(Expr::Iota {
            shape: shape.into(),
            dimension,
        })
    }

    pub fn reduce(
        &mut self,
        op: ReduceOp,
        x: Value,
        axes: impl Into<Vec<usize>>,
        keep_dims: bool,
    ) -> Value {
        self.emit(Expr::Reduce {
            op,
            x,
            axes: axes.into(),
            keep_dims,
        })
    }

    /// `x.sum(axis, keepdims=True)`: keeping the dim lets the result broadcast back.
    pub fn sum(&mut self, x: Value, axis: usize) -> Value {
        self.reduce(ReduceOp::Sum, x, [axis], true)
    }

    /// `x.max(axis, keepdims=True)`.
    pub fn reduce_max(&mut self, x: Value, axis: usize) -> Value {
        self.reduce(ReduceOp::Max, x, [axis], true)
    }

    /// `x.min(axis, keepdims=True)`.
    pub fn reduce_min(&mut self, x: Value, axis: usize) -> Value {
        self.reduce(ReduceOp::Min, x, [axis], true)
    }

    /// `x.mean(axis, keepdims=True)`; floats only.
    pub fn mean(&mut self, x: Value, axis: usize) -> Value {
        self.reduce(ReduceOp::Mean, x, [axis], true)
    }

    /// Reduces the last axis into `lanes` identical lanes ([`Expr::ReduceLanes`]):
    /// `reduce_lanes(ReduceOp::Max, s, 128)` is the row max of `s: [bq, bkv]` as a
    /// lane-replicated `[bq, 128]` statistic.
    pub fn reduce_lanes(&mut self, op: ReduceOp, x: Value, lanes: usize) -> Value {
        self.emit(Expr::ReduceLanes { op, x, lanes })
    }

    /// `x[start[0]:start[0]+size[0], …]`: a static window of every dim.
    pub fn slice(
        &mut self,
        x: Value,
        start: impl Into<Vec<usize>>,
        size: impl Into<Vec<usize>>,
    ) -> Value {
        self.emit(Expr::Slice {
            x,
            start: start.into(),
            size: size.into(),
        })
    }

    /// `jnp.pad(x, list(zip(low, high)), constant_values=value)`.
    pub fn pad(
        &mut self,
        x: Value,
        low: impl Into<Vec<usize>>,
        high: impl Into<Vec<usize>>,
        value: impl Into<Scalar>,
    ) -> Value {
        self.emit(Expr::Pad {
            x,
            low: low.into(),
            high: high.into(),
            value: value.into(),
        })
    }

    /// `jnp.concatenate(parts, axis)`.
    pub fn concatenate(&mut self, parts: impl Into<Vec<Value>>, axis: usize) -> Value {
        self.emit(Expr::Concatenate {
            parts: parts.into(),
            axis,
        })
    }

    /// `lax.dot_general(lhs, rhs, dims, preferred_element_type=out_dtype)`.
    pub fn dot_general(
        &mut self,
        lhs: Value,
        rhs: Value,
        dims: DotDims,
        out_dtype: DType,
    ) -> Value {
        self.emit(Expr::Dot {
            lhs,
            rhs,
            dims,
            out_dtype,
        })
    }

    /// `a @ b` accumulated in f32.
    pub fn dot(&mut self, lhs: Value, rhs: Value) -> Value {
        self.dot_general(lhs, rhs, DotDims::NN, DType::F32)
    }

    /// `a @ b.T` accumulated in f32 (`q @ k.T`).
    pub fn dot_nt(&mut self, lhs: Value, rhs: Value) -> Value {
        self.dot_general(lhs, rhs, DotDims::NT, DType::F32)
    }

    /// `a.T @ b` accumulated in f32.
    pub fn dot_tn(&mut self, lhs: Value, rhs: Value) -> Value {
        self.dot_general(lhs, rhs, DotDims::TN, DType::F32)
    }
}
