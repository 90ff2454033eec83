//! One lowering rule per IR expression, all registered in [`BodyLowering::expr`]: each
//! `Expr` variant maps to the Mosaic ops that compute it. An op/dtype pair without a rule
//! is one [`CodegenError::Unsupported`](crate::CodegenError::Unsupported), never a panic.

use melior::ir::attribute::{DenseElementsAttribute, FloatAttribute, IntegerAttribute};
use melior::ir::{Attribute, Block};
use pallas_flash_ir::{
    BinaryOp, CompareOp, DType, DotDims, Expr, ReduceOp, Scalar, UnaryOp, Value, ValueType,
};

use super::attrs;
use super::body::BodyLowering;
use super::emit::Raw;
use super::types;
use crate::error::{CodegenError, Result};

/// `arith` spelling of a binary op on floats, or on integers (and `i1`).
pub(crate) fn binary_op_name(op: BinaryOp, float: bool) -> Option<&'static str> {
    Some(match (op, float) {
        (BinaryOp::Add, true) => "arith.addf",
        (BinaryOp::Sub, true) => "arith.subf",
        (BinaryOp::Mul, true) => "arith.mulf",
        (BinaryOp::Div, true) => "arith.divf",
        (BinaryOp::Rem, true) => "arith.remf",
        (BinaryOp::Max, true) => "arith.maximumf",
        (BinaryOp::Min, true) => "arith.minimumf",
        (BinaryOp::Add, false) => "arith.addi",
        (BinaryOp::Sub, false) => "arith.subi",
        (BinaryOp::Mul, false) => "arith.muli",
        (BinaryOp::Div, false) => "arith.divsi",
        (BinaryOp::Rem, false) => "arith.remsi",
        (BinaryOp::Max, false) => "arith.maxsi",
        (BinaryOp::Min, false) => "arith.minsi",
        (BinaryOp::And, false) => "arith.andi",
        (BinaryOp::Or, false) => "arith.ori",
        (BinaryOp::And | BinaryOp::Or, true) => return None,
    })
}

/// `arith.cmpi` predicate (signed) and `arith.cmpf` predicate (ordered, `une` for `ne`),
/// as their enum values.
pub(crate) fn compare_predicate(op: CompareOp, float: bool) -> i64 {
    match (op, float) {
        (CompareOp::Eq, false) => 0,
        (CompareOp::Ne, false) => 1,
        (CompareOp::Lt, false) => 2,
        (CompareOp::Le, false) => 3,
        (CompareOp::Gt, false) => 4,
        (CompareOp::Ge, false) => 5,
        (CompareOp::Eq, true) => 1,
        (CompareOp::Gt, true) => 2,
        (CompareOp::Ge, true) => 3,
        (CompareOp::Lt, true) => 4,
        (CompareOp::Le, true) => 5,
        (CompareOp::Ne, true) => 13,
    }
}

impl<'c> BodyLowering<'c, '_> {
    /// The rule table: lowers the expression defining `v`.
    pub fn expr(&mut self, block: &Block<'c>, v: Value) -> Result<Raw> {
        let expr = self
            .kernel
            .exprs
            .get(v)
            .ok_or_else(|| self.unsupported(format!("value {v} outside the kernel")))?;
        let ty = self.ty(v)?;
        match expr {
            Expr::Constant { value, .. } => self.constant(block, *value, ty),
            Expr::ProgramId { axis } => self.grid_index(*axis),
            Expr::NumPrograms { axis } => {
                let n = self
                    .kernel
                    .grid
                    .grid
                    .get(*axis)
                    .copied()
                    .unwrap_or_default();
                let n = i32::try_from(n)
                    .map_err(|_| self.unsupported(format!("grid extent {n} beyond i32")))?;
                self.em.const_i32(block, n)
            }
            Expr::Load { src } => self.load(block, src, ty),
            Expr::Unary { op, x } => self.unary(block, *op, *x, ty),
            Expr::Binary { op, lhs, rhs } => {
                let name = binary_op_name(*op, ty.dtype.is_float())
                    .ok_or_else(|| self.unsupported(format!("`{op}` on {}", ty.dtype)))?;
                let (l, r) = (self.get(*lhs)?, self.get(*rhs)?);
                self.arith(block, name, &[l, r], ty)
            }
            Expr::Compare { op, lhs, rhs } => {
                let float = self.ty(*lhs)?.dtype.is_float();
                let (l, r) = (self.get(*lhs)?, self.get(*rhs)?);
                self.compare(block, *op, float, l, r, ty)
            }
            Expr::Select {
                cond,
                on_true,
                on_false,
            } => {
                let operands = [self.get(*cond)?, self.get(*on_true)?, self.get(*on_false)?];
                self.em.value(
                    block,
                    "arith.select",
                    &operands,
                    types::value(self.em.ctx, ty),
                    &[],
                )
            }
            Expr::Cast { x, .. } => self.cast(block, *x, ty),
            Expr::Broadcast { x, .. } => {
                let (raw, from) = (self.get(*x)?, self.ty(*x)?);
                self.reshape_to(block, raw, from, ty)
            }
            Expr::Reshape { x, .. } => {
                let (raw, from) = (self.get(*x)?, self.ty(*x)?);
                self.reshape_to(block, raw, from, ty)
            }
            Expr::Transpose { x, perm } => {
                let x = self.get(*x)?;
                if perm.iter().enumerate().all(|(i, p)| i == *p) {
                    return Ok(x);
                }
                let perm: Vec<i64> = perm.iter().map(|p| attrs::to_i64(*p)).collect();
                let attr = attrs::i64_array(self.em.ctx, &perm);
                self.em.value(
                    block,
                    "tpu.transpose",
                    &[x],
                    types::value(self.em.ctx, ty),
                    &[("permutation", attr)],
                )
            }
            Expr::Iota { dimension, .. } => {
                let d = i32::try_from(*dimension).unwrap_or(i32::MAX);
                let attr = attrs::i32_array(self.em.ctx, &[d]);
                self.em.value(
                    block,
                    "tpu.iota",
                    &[],
                    types::value(self.em.ctx, ty),
                    &[("dimensions", attr)],
                )
            }
            Expr::Reduce { op, x, axes, .. } => self.reduce(block, *op, *x, axes, ty),
            Expr::ReduceLanes { op, x, .. } => {
                // As JAX: reduce the last axis, `shape_cast` it back as a unit dim, broadcast.
                let last = self.ty(*x)?.shape.len() - 1;
                let mut column = ty.clone();
                column.shape[last] = 1;
                let reduced = self.reduce(block, *op, *x, &[last], &column)?;
                self.reshape_to(block, reduced, &column, ty)
            }
            Expr::Slice { x, start, .. } => {
                let raw = self.get(*x)?;
                self.extract_slice(block, raw, start, ty)
            }
            Expr::Pad {
                x,
                low,
                high,
                value,
            } => self.pad(block, *x, low, high, *value),
            Expr::Concatenate { parts, axis } => {
                let raws = parts
                    .iter()
                    .map(|p| self.get(*p))
                    .collect::<Result<Vec<_>>>()?;
                self.concatenate(block, &raws, *axis, ty)
            }
            Expr::Dot { lhs, rhs, dims, .. } => self.dot(block, *lhs, *rhs, dims, ty),
            Expr::LoopIndex | Expr::LoopCarry | Expr::LoopResult => Err(self.unsupported(format!(
                "`{}` outside the fori_loop that defines it",
                expr.name()
            ))),
        }
    }

    /// An `arith`/`math` op whose result has the expression's type.
    fn arith(
        &self,
        block: &Block<'c>,
        name: &str,
        operands: &[Raw],
        ty: &ValueType,
    ) -> Result<Raw> {
        self.em
            .value(block, name, operands, types::value(self.em.ctx, ty), &[])
    }

    /// `arith.constant`: a scalar, or a splat `dense<…>` vector.
    pub fn constant(&self, block: &Block<'c>, value: Scalar, ty: &ValueType) -> Result<Raw> {
        let ctx = self.em.ctx;
        let elem_ty = types::element(ctx, ty.dtype);
        let elem: Attribute = match value {
            Scalar::Float(f) => FloatAttribute::new(ctx, elem_ty, f).into(),
            Scalar::Int(i) => IntegerAttribute::new(elem_ty, i).into(),
            Scalar::Bool(b) => IntegerAttribute::new(elem_ty, i64::from(b)).into(),
        };
        let full_ty = types::value(ctx, ty);
        let attr = if ty.is_scalar() {
            elem
        } else {
            DenseElementsAttribute::new(full_ty, &[elem])
                .map_err(|e| CodegenError::mlir("splat constant", e.to_string()))?
                .into()
        };
        self.em
            .value(block, "arith.constant", &[], full_ty, &[("value", attr)])
    }

    fn unary(&self, block: &Block<'c>, op: UnaryOp, x: Value, ty: &ValueType) -> Result<Raw> {
        let raw = self.get(x)?;
        let float = ty.dtype.is_float();
        let name = match (op, float) {
            (UnaryOp::Exp, true) => "math.exp",
            (UnaryOp::Exp2, true) => "math.exp2",
            (UnaryOp::Log, true) => "math.log",
            (UnaryOp::Sqrt, true) => "math.sqrt",
            (UnaryOp::Rsqrt, true) => "math.rsqrt",
            (UnaryOp::Tanh, true) => "math.tanh",
            (UnaryOp::Neg, true) => "arith.negf",
            (UnaryOp::Abs, true) => "math.absf",
            (UnaryOp::Abs, false) => "math.absi",
            (UnaryOp::Neg, false) => {
                let zero = self.constant(block, Scalar::Int(0), ty)?;
                return self.arith(block, "arith.subi", &[zero, raw], ty);
            }
            (UnaryOp::Not, false) => {
                let ones = if ty.dtype.is_bool() {
                    Scalar::Bool(true)
                } else {
                    Scalar::Int(-1)
                };
                let ones = self.constant(block, ones, ty)?;
                return self.arith(block, "arith.xori", &[raw, ones], ty);
            }
            // Listed, not a catch-all: a new op must get a rule or an entry here.
            (
                UnaryOp::Exp
                | UnaryOp::Exp2
                | UnaryOp::Log
                | UnaryOp::Sqrt
                | UnaryOp::Rsqrt
                | UnaryOp::Tanh,
                false,
            )
            | (UnaryOp::Not, true) => {
                return Err(self.unsupported(format!("`{op}` on {}", ty.dtype)))
            }
        };
        self.arith(block, name, &[raw], ty)
    }

    fn compare(
        &self,
        block: &Block<'c>,
        op: CompareOp,
        float: bool,
        l: Raw,
        r: Raw,
        ty: &ValueType,
    ) -> Result<Raw> {
        let name = if float { "arith.cmpf" } else { "arith.cmpi" };
        let predicate = attrs::i64_attr(self.em.ctx, compare_predicate(op, float));
        self.em.value(
            block,
            name,
            &[l, r],
            types::value(self.em.ctx, ty),
            &[("predicate", predicate)],
        )
    }

    /// Dtype conversions, following `Expr::Cast`'s rounding rules.
    fn cast(&self, block: &Block<'c>, x: Value, ty: &ValueType) -> Result<Raw> {
        let (raw, from) = (self.get(x)?, self.ty(x)?);
        let (a, b) = (from.dtype, ty.dtype);
        let name = match () {
            _ if a == b => return Ok(raw),
            _ if b.is_bool() => {
                let zero = if a.is_float() {
                    Scalar::Float(0.0)
                } else {
                    Scalar::Int(0)
                };
                let zero = self.constant(block, zero, from)?;
                return self.compare(block, CompareOp::Ne, a.is_float(), raw, zero, ty);
            }
            _ if a.is_float() && b.is_float() => {
                if a.bits() < b.bits() {
                    "arith.extf"
                } else {
                    "arith.truncf"
                }
            }
            _ if a.is_float() => "arith.fptosi",
            _ if a.is_bool() && b.is_float() => "arith.uitofp",
            _ if b.is_float() => "arith.sitofp",
            _ if a.is_bool() => "arith.extui",
            _ if a.bits() < b.bits() => "arith.extsi",
            _ => "arith.trunci",
        };
        self.arith(block, name, &[raw], ty)
    }

    /// Moves a value to another shape with the same elements or NumPy broadcasting:
    /// nothing, `vector.shape_cast`, `vector.broadcast` (from a scalar or stretching
    /// unit dims), or `vector.extract` (to a scalar).
    pub fn reshape_to(
        &self,
        block: &Block<'c>,
        raw: Raw,
        from: &ValueType,
        to: &ValueType,
    ) -> Result<Raw> {
        let ctx = self.em.ctx;
        let to_ty = types::value(ctx, to);
        let same_count = from.shape.iter().product::<usize>() == to.shape.iter().product::<usize>();
        if from.shape == to.shape {
            Ok(raw)
        } else if to.is_scalar() {
            let zeros = vec![0; from.shape.len()];
            self.em.value(
                block,
                "vector.extract",
                &[raw],
                to_ty,
                &[("static_position", attrs::i64_array(ctx, &zeros))],
            )
        } else if from.is_scalar()
            || !same_count
            || (from.shape.len() < to.shape.len() && to.shape.ends_with(&from.shape))
        {
            self.em.value(block, "vector.broadcast", &[raw], to_ty, &[])
        } else {
            self.em
                .value(block, "vector.shape_cast", &[raw], to_ty, &[])
        }
    }

    /// `vector.multi_reduction` from the op's identity, then back to the kept shape.
    fn reduce(
        &self,
        block: &Block<'c>,
        op: ReduceOp,
        x: Value,
        axes: &[usize],
        ty: &ValueType,
    ) -> Result<Raw> {
        let (raw, from) = (self.get(x)?, self.ty(x)?);
        let dtype = from.dtype;
        let unsupported = || self.unsupported(format!("reduce `{op}` over {dtype}"));
        // Floats, then integers with their range; `i1` has neither.
        let (kind, identity) = match (op, dtype.is_float(), dtype.int_range()) {
            (ReduceOp::Sum | ReduceOp::Mean, true, _) => ("add", Scalar::Float(0.0)),
            (ReduceOp::Max, true, _) => ("maximumf", Scalar::Float(f64::NEG_INFINITY)),
            (ReduceOp::Min, true, _) => ("minimumf", Scalar::Float(f64::INFINITY)),
            (ReduceOp::Sum, false, Some(_)) => ("add", Scalar::Int(0)),
            (ReduceOp::Max, false, Some((lo, _))) => ("maxsi", Scalar::Int(lo)),
            (ReduceOp::Min, false, Some((_, hi))) => ("minsi", Scalar::Int(hi)),
            (ReduceOp::Mean, false, _) => return Err(unsupported()),
            (ReduceOp::Sum | ReduceOp::Max | ReduceOp::Min, false, None) => {
                return Err(unsupported())
            }
        };
        let reduced_shape: Vec<usize> = from
            .shape
            .iter()
            .enumerate()
            .filter(|(i, _)| !axes.contains(i))
            .map(|(_, d)| *d)
            .collect();
        let reduced = ValueType::new(dtype, reduced_shape);
        let acc = self.constant(block, identity, &reduced)?;
        let ctx = self.em.ctx;
        let kind_attr = attrs::parse(ctx, &format!("#vector.kind<{kind}>"))?;
        let dims: Vec<i64> = axes.iter().map(|a| attrs::to_i64(*a)).collect();
        let out = self.em.value(
            block,
            "vector.multi_reduction",
            &[raw, acc],
            types::value(ctx, &reduced),
            &[
                ("kind", kind_attr),
                ("reduction_dims", attrs::i64_array(ctx, &dims)),
            ],
        )?;
        let kept = self.reshape_to(block, out, &reduced, ty)?;
        if op != ReduceOp::Mean {
            return Ok(kept);
        }
        // `jnp.mean`: the sum divided by the reduced count, as JAX emits it.
        let count: usize = axes.iter().map(|a| from.shape[*a]).product();
        let count = self.constant(block, Scalar::Float(count as f64), ty)?;
        self.arith(block, "arith.divf", &[kept, count], ty)
    }

    /// `vector.extract_strided_slice` of the window at `start` with `ty`'s shape.
    fn extract_slice(
        &self,
        block: &Block<'c>,
        raw: Raw,
        start: &[usize],
        ty: &ValueType,
    ) -> Result<Raw> {
        let ctx = self.em.ctx;
        let attributes = [
            ("offsets", attrs::i64_list(ctx, start)),
            ("sizes", attrs::i64_list(ctx, &ty.shape)),
            ("strides", attrs::i64_list(ctx, &vec![1; start.len()])),
        ];
        self.em.value(
            block,
            "vector.extract_strided_slice",
            &[raw],
            types::value(ctx, ty),
            &attributes,
        )
    }

    /// `tpu.concatenate` along `axis`; `ty` is the joined type.
    fn concatenate(
        &self,
        block: &Block<'c>,
        parts: &[Raw],
        axis: usize,
        ty: &ValueType,
    ) -> Result<Raw> {
        if let [one] = parts {
            return Ok(*one);
        }
        let dimension = attrs::i32_attr(self.em.ctx, i32::try_from(axis).unwrap_or(i32::MAX));
        self.em.value(
            block,
            "tpu.concatenate",
            parts,
            types::value(self.em.ctx, ty),
            &[("dimension", dimension)],
        )
    }

    /// As JAX lowers `lax.pad`: per padded dim, splat constants joined before and after
    /// with `tpu.concatenate`.
    fn pad(
        &self,
        block: &Block<'c>,
        x: Value,
        low: &[usize],
        high: &[usize],
        value: Scalar,
    ) -> Result<Raw> {
        let (mut raw, mut current) = (self.get(x)?, self.ty(x)?.clone());
        for (axis, (&before, &after)) in low.iter().zip(high).enumerate() {
            let mut parts = Vec::new();
            let mut joined = current.clone();
            for (extent, is_operand) in
                [(before, false), (current.shape[axis], true), (after, false)]
            {
                if is_operand {
                    parts.push(raw);
                } else if extent > 0 {
                    let mut splat = current.clone();
                    splat.shape[axis] = extent;
                    parts.push(self.constant(block, value, &splat)?);
                }
            }
            joined.shape[axis] += before + after;
            raw = self.concatenate(block, &parts, axis, &joined)?;
            current = joined;
        }
        Ok(raw)
    }

    /// `tpu.matmul(lhs, rhs, zeros)` with explicit dimension numbers (transposed operands
    /// are expressed there, as JAX does, not with `transpose_*` flags).
    fn dot(
        &self,
        block: &Block<'c>,
        lhs: Value,
        rhs: Value,
        dims: &DotDims,
        ty: &ValueType,
    ) -> Result<Raw> {
        let (l, r) = (self.get(lhs)?, self.get(rhs)?);
        let (lhs_rank, rhs_rank) = (self.ty(lhs)?.shape.len(), self.ty(rhs)?.shape.len());
        let acc_value = if ty.dtype.is_float() {
            Scalar::Float(0.0)
        } else {
            Scalar::Int(0)
        };
        if ty.dtype == DType::I1 {
            return Err(self.unsupported("a dot producing i1"));
        }
        let acc = self.constant(block, acc_value, ty)?;
        let ctx = self.em.ctx;
        let numbers = attrs::dot_dimension_numbers(ctx, dims, lhs_rank, rhs_rank)?;
        let no = attrs::bool_attr(ctx, false);
        self.em.value(
            block,
            "tpu.matmul",
            &[l, r, acc],
            types::value(ctx, ty),
            &[
                ("dimension_numbers", numbers),
                ("transpose_lhs", no),
                ("transpose_lhs_hint", no),
                ("transpose_rhs", no),
            ],
        )
    }
}
