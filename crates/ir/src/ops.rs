//! Operator kinds shared by body expressions and index maps.
//!
//! Integer semantics (both languages): two's-complement wrap-around; `Div` truncates
//! toward zero and `Rem` takes the dividend's sign (`arith.divsi`/`arith.remsi`,
//! `stablehlo.divide`/`remainder`); division by zero is undefined. Float `Max`/`Min`
//! propagate NaN (`arith.maximumf`, `stablehlo.maximum`).

use std::fmt;

/// Elementwise unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// Floats only: `e^x`.
    Exp,
    /// Floats only: `2^x`. The TPU's EUP computes exponentials in base 2, so `exp` costs a
    /// multiply by log2(e) per element that `exp2` does not (fold the factor into an
    /// operand computed once instead, e.g. the softmax scale).
    Exp2,
    /// Floats only: natural logarithm.
    Log,
    /// Floats only.
    Sqrt,
    /// Floats only: `1/sqrt(x)`.
    Rsqrt,
    /// Floats only.
    Tanh,
    /// Floats and integers.
    Neg,
    /// Floats and integers.
    Abs,
    /// Bitwise not on integers, logical not on `i1`.
    Not,
}

/// Elementwise binary operators; both operands have the same type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Max,
    Min,
    /// Integers and `i1` only (bitwise / logical).
    And,
    /// Integers and `i1` only (bitwise / logical).
    Or,
}

/// Comparisons; the result is `i1`. Floats compare ordered (false if either is NaN,
/// except `Ne`, which is true).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Reductions over axes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    Sum,
    Max,
    Min,
    /// Floats only: the sum divided by the number of reduced elements (`jnp.mean`).
    Mean,
}

impl UnaryOp {
    pub fn name(self) -> &'static str {
        match self {
            UnaryOp::Exp => "exp",
            UnaryOp::Exp2 => "exp2",
            UnaryOp::Log => "log",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Rsqrt => "rsqrt",
            UnaryOp::Tanh => "tanh",
            UnaryOp::Neg => "neg",
            UnaryOp::Abs => "abs",
            UnaryOp::Not => "not",
        }
    }

    /// Transcendental ops, which only make sense on floats.
    pub fn float_only(self) -> bool {
        matches!(
            self,
            UnaryOp::Exp
                | UnaryOp::Exp2
                | UnaryOp::Log
                | UnaryOp::Sqrt
                | UnaryOp::Rsqrt
                | UnaryOp::Tanh
        )
    }
}

impl BinaryOp {
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Rem => "rem",
            BinaryOp::Max => "max",
            BinaryOp::Min => "min",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
        }
    }

    /// Infix spelling in index-map text (`+`, `/`, `&`, …); `None` for `max`/`min`,
    /// which print as calls.
    pub fn symbol(self) -> Option<&'static str> {
        Some(match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
            BinaryOp::And => "&",
            BinaryOp::Or => "|",
            BinaryOp::Max | BinaryOp::Min => return None,
        })
    }

    /// Bitwise ops, which do not apply to floats.
    pub fn is_bitwise(self) -> bool {
        matches!(self, BinaryOp::And | BinaryOp::Or)
    }
}

impl CompareOp {
    pub fn name(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
        }
    }
}

impl ReduceOp {
    pub fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Max => "max",
            ReduceOp::Min => "min",
            ReduceOp::Mean => "mean",
        }
    }
}

macro_rules! display_by_name {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    )*};
}
display_by_name!(UnaryOp, BinaryOp, CompareOp, ReduceOp);
