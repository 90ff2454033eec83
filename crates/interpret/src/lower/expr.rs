//! Body expressions → StableHLO ops, one rule per IR op.
//!
//! Numerics follow the IR's contract: integer ops wrap, `div` truncates, float
//! `max`/`min` propagate NaN (all StableHLO's own semantics); casts round to nearest
//! even and float→int truncates (`stablehlo.convert`); a cast to `i1` is `x != 0`.
//! Two choices made here, both what the TPU does: float reductions and every `dot`
//! accumulate in f32 (i8 dots in i32), then round to the result dtype.

use pallas_flash_ir::{BinaryOp, CompareOp, DType, Expr, ReduceOp, Scalar, UnaryOp, Value};

use super::literal::literal;
use super::Lowering;
use pallas_flash_stablehlo::{Tensor, TensorType};

pub(super) fn binary_op(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "add",
        BinaryOp::Sub => "subtract",
        BinaryOp::Mul => "multiply",
        BinaryOp::Div => "divide",
        BinaryOp::Rem => "remainder",
        BinaryOp::Max => "maximum",
        BinaryOp::Min => "minimum",
        BinaryOp::And => "and",
        BinaryOp::Or => "or",
    }
}

pub(super) fn direction(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => "EQ",
        CompareOp::Ne => "NE",
        CompareOp::Lt => "LT",
        CompareOp::Le => "LE",
        CompareOp::Gt => "GT",
        CompareOp::Ge => "GE",
    }
}

fn unary_op(op: UnaryOp) -> &'static str {
    match op {
        UnaryOp::Exp => "exponential",
        UnaryOp::Log => "log",
        UnaryOp::Sqrt => "sqrt",
        UnaryOp::Rsqrt => "rsqrt",
        UnaryOp::Tanh => "tanh",
        UnaryOp::Neg => "negate",
        UnaryOp::Abs => "abs",
        UnaryOp::Not => "not",
    }
}

/// Whether a float dtype is computed through f32 (it has no host literal or is too
/// narrow to accumulate in).
fn widened(dtype: DType) -> bool {
    dtype.is_float() && dtype != DType::F32
}

impl Lowering<'_> {
    /// The lowered value of an already lowered expression.
    pub(super) fn value(&self, v: Value) -> Tensor {
        self.values[v.index()]
            .clone()
            .expect("validated kernels define values before use")
    }

    /// Lowers the expression a `Let` defines.
    pub(super) fn let_expr(&mut self, v: Value) {
        let ty = TensorType::from(
            self.info
                .value_type(v)
                .expect("validated kernels type every value"),
        );
        let lowered = match &self.kernel.exprs[v] {
            Expr::Constant { value, dtype, .. } => self.constant(*value, &ty, *dtype),
            Expr::ProgramId { axis } => self.grid[*axis].clone(),
            Expr::NumPrograms { axis } => self.w.i32(self.kernel.grid.grid[*axis] as i64),
            Expr::Load { src } => self.load(src),
            Expr::Unary { op, x } => {
                let x = self.value(*x);
                self.w.elementwise(unary_op(*op), &[x], ty.dtype)
            }
            Expr::Binary { op, lhs, rhs } => {
                let args = [self.value(*lhs), self.value(*rhs)];
                self.w.elementwise(binary_op(*op), &args, ty.dtype)
            }
            Expr::Compare { op, lhs, rhs } => {
                let (a, b) = (self.value(*lhs), self.value(*rhs));
                self.w.compare(direction(*op), &a, &b)
            }
            Expr::Select {
                cond,
                on_true,
                on_false,
            } => {
                let (c, t, f) = (
                    self.value(*cond),
                    self.value(*on_true),
                    self.value(*on_false),
                );
                self.w.select(&c, &t, &f)
            }
            Expr::Cast { x, dtype } => {
                let x = self.value(*x);
                self.cast(&x, *dtype)
            }
            Expr::Broadcast { x, shape } => {
                let x = self.value(*x);
                let offset = shape.len() - x.ty.shape.len();
                let dims: Vec<usize> = (offset..shape.len()).collect();
                self.w.broadcast_in_dim(&x, &dims, shape)
            }
            Expr::Reshape { x, shape } => {
                let x = self.value(*x);
                self.w.reshape(&x, shape)
            }
            Expr::Transpose { x, perm } => {
                let x = self.value(*x);
                self.w.transpose(&x, perm)
            }
            Expr::Iota { shape, dimension } => self.w.iota(shape, *dimension),
            Expr::Reduce { op, x, axes, .. } => {
                let x = self.value(*x);
                let reduced = self.reduce(*op, &x, axes);
                self.w.reshape(&reduced, &ty.shape)
            }
            Expr::ReduceLanes { op, x, .. } => {
                let x = self.value(*x);
                let rows = x.ty.shape.len() - 1;
                let reduced = self.reduce(*op, &x, &[rows]);
                let dims: Vec<usize> = (0..rows).collect();
                self.w.broadcast_in_dim(&reduced, &dims, &ty.shape)
            }
            Expr::Slice { x, start, size } => {
                let x = self.value(*x);
                let limit: Vec<usize> = start.iter().zip(size).map(|(s, n)| s + n).collect();
                self.w.slice(&x, start, &limit, &vec![1; start.len()])
            }
            Expr::Pad {
                x,
                low,
                high,
                value,
            } => {
                let x = self.value(*x);
                let fill = self.constant(*value, &TensorType::scalar(ty.dtype), ty.dtype);
                self.w.pad(&x, &fill, [low, high, &vec![0; low.len()]])
            }
            Expr::Concatenate { parts, axis } => {
                let parts: Vec<Tensor> = parts.iter().map(|p| self.value(*p)).collect();
                self.w.concatenate(&parts, *axis)
            }
            Expr::Dot { lhs, rhs, dims, .. } => {
                let accumulator = if ty.dtype == DType::I32 {
                    DType::I32
                } else {
                    DType::F32
                };
                let a = self.value(*lhs);
                let b = self.value(*rhs);
                let (a, b) = (
                    self.w.convert(&a, accumulator),
                    self.w.convert(&b, accumulator),
                );
                let contracting = [dims.lhs_contracting, dims.rhs_contracting];
                let product = self
                    .w
                    .dot_general(&a, &b, dims.batch, contracting, accumulator);
                self.w.convert(&product, ty.dtype)
            }
            Expr::LoopIndex | Expr::LoopCarry | Expr::LoopResult => {
                unreachable!("validation rejects a let of a loop-owned value")
            }
        };
        self.values[v.index()] = Some(lowered);
    }

    fn constant(&mut self, value: Scalar, ty: &TensorType, dtype: DType) -> Tensor {
        if matches!(dtype, DType::F8E4M3Fn | DType::F8E5M2) {
            let wide = self
                .w
                .constant(ty.with_dtype(DType::F32), &literal(value, DType::F32));
            return self.w.convert(&wide, dtype);
        }
        self.w.constant(ty.clone(), &literal(value, dtype))
    }

    fn cast(&mut self, x: &Tensor, dtype: DType) -> Tensor {
        if dtype != DType::I1 || x.ty.dtype == DType::I1 {
            return self.w.convert(x, dtype);
        }
        let zero = match x.ty.dtype {
            d if d.is_float() => Scalar::Float(0.0),
            _ => Scalar::Int(0),
        };
        let zero = self.constant(zero, &x.ty, x.ty.dtype);
        self.w.compare("NE", x, &zero)
    }

    /// Reduces `axes` away (the caller restores kept dims); floats through f32, and a mean
    /// divides the f32 sum by the reduced count before rounding.
    fn reduce(&mut self, op: ReduceOp, x: &Tensor, axes: &[usize]) -> Tensor {
        let dtype = x.ty.dtype;
        let work = if widened(dtype) { DType::F32 } else { dtype };
        let init = match (op, work.int_range()) {
            (ReduceOp::Sum | ReduceOp::Mean, None) => Scalar::Float(0.0),
            (ReduceOp::Sum, Some(_)) => Scalar::Int(0),
            (ReduceOp::Max, None) => Scalar::Float(f64::NEG_INFINITY),
            (ReduceOp::Max, Some((min, _))) => Scalar::Int(min),
            (ReduceOp::Min, None) => Scalar::Float(f64::INFINITY),
            (ReduceOp::Min, Some((_, max))) => Scalar::Int(max),
            (ReduceOp::Mean, Some(_)) => unreachable!("validation keeps mean to floats"),
        };
        let name = match op {
            ReduceOp::Sum | ReduceOp::Mean => "add",
            ReduceOp::Max => "maximum",
            ReduceOp::Min => "minimum",
        };
        let wide = self.w.convert(x, work);
        let init = self
            .w
            .constant(TensorType::scalar(work), &literal(init, work));
        let mut reduced = self.w.reduce(name, &wide, &init, axes);
        if op == ReduceOp::Mean {
            let count: usize = axes.iter().map(|a| x.ty.shape[*a]).product();
            let count = self.w.constant(
                reduced.ty.clone(),
                &literal(Scalar::Float(count as f64), work),
            );
            reduced = self.w.elementwise("divide", &[reduced, count], work);
        }
        self.w.convert(&reduced, dtype)
    }
}
