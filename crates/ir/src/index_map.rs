//! Index maps: small integer programs from grid indices and scalar-prefetch tables to
//! block indices (Mosaic `transform_*` functions).
//!
//! They are trees rather than arena graphs because they are tiny and because owned
//! trees let the DSL use ordinary operators (`g.grid(0) * 2 + 1`). Values are `i32`;
//! the arithmetic follows the integer rules in [`crate::ops`].

use std::ops;

use crate::{BinaryOp, CompareOp};

/// An index-map expression. `Arg(i)` for `i < grid rank` is grid index `i`; arguments
/// after the grid indices are the scalar-prefetch refs, read with `Load`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum IndexExpr {
    Const(i32),
    /// A grid-index argument.
    Arg(usize),
    Binary {
        op: BinaryOp,
        lhs: Box<IndexExpr>,
        rhs: Box<IndexExpr>,
    },
    /// Boolean result, only usable as a `Select` condition.
    Compare {
        op: CompareOp,
        lhs: Box<IndexExpr>,
        rhs: Box<IndexExpr>,
    },
    Select {
        cond: Box<IndexExpr>,
        on_true: Box<IndexExpr>,
        on_false: Box<IndexExpr>,
    },
    /// Element of a scalar-prefetch argument (`arg` counts from 0 over all arguments,
    /// so the first prefetch ref is `grid rank`), one index per dimension.
    Load {
        arg: usize,
        indices: Vec<IndexExpr>,
    },
}

/// An index map: `num_args` = grid rank + number of scalar-prefetch operands (the
/// transform function's arity), one result per array dimension.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IndexMap {
    pub num_args: usize,
    pub results: Vec<IndexExpr>,
}

impl IndexExpr {
    fn binary(op: BinaryOp, lhs: IndexExpr, rhs: IndexExpr) -> IndexExpr {
        IndexExpr::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        }
    }

    fn compare(op: CompareOp, lhs: IndexExpr, rhs: impl Into<IndexExpr>) -> IndexExpr {
        IndexExpr::Compare {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs.into()),
        }
    }

    pub fn min(self, rhs: impl Into<IndexExpr>) -> IndexExpr {
        Self::binary(BinaryOp::Min, self, rhs.into())
    }

    pub fn max(self, rhs: impl Into<IndexExpr>) -> IndexExpr {
        Self::binary(BinaryOp::Max, self, rhs.into())
    }

    pub fn eq(self, rhs: impl Into<IndexExpr>) -> IndexExpr {
        Self::compare(CompareOp::Eq, self, rhs)
    }

    pub fn ne(self, rhs: impl Into<IndexExpr>) -> IndexExpr {
        Self::compare(CompareOp::Ne, self, rhs)
    }

    pub fn lt(self, rhs: impl Into<IndexExpr>) -> IndexExpr {
        Self::compare(CompareOp::Lt, self, rhs)
    }

    pub fn le(self, rhs: impl Into<IndexExpr>) -> IndexExpr {
        Self::compare(CompareOp::Le, self, rhs)
    }

    pub fn gt(self, rhs: impl Into<IndexExpr>) -> IndexExpr {
        Self::compare(CompareOp::Gt, self, rhs)
    }

    pub fn ge(self, rhs: impl Into<IndexExpr>) -> IndexExpr {
        Self::compare(CompareOp::Ge, self, rhs)
    }

    /// `if self { on_true } else { on_false }`; `self` must be a comparison.
    pub fn select(
        self,
        on_true: impl Into<IndexExpr>,
        on_false: impl Into<IndexExpr>,
    ) -> IndexExpr {
        IndexExpr::Select {
            cond: Box::new(self),
            on_true: Box::new(on_true.into()),
            on_false: Box::new(on_false.into()),
        }
    }

    /// Whether the expression reads scalar-prefetch memory (then it can not be
    /// evaluated before the kernel runs).
    pub fn reads_prefetch(&self) -> bool {
        match self {
            IndexExpr::Const(_) | IndexExpr::Arg(_) => false,
            IndexExpr::Load { .. } => true,
            IndexExpr::Binary { lhs, rhs, .. } | IndexExpr::Compare { lhs, rhs, .. } => {
                lhs.reads_prefetch() || rhs.reads_prefetch()
            }
            IndexExpr::Select {
                cond,
                on_true,
                on_false,
            } => cond.reads_prefetch() || on_true.reads_prefetch() || on_false.reads_prefetch(),
        }
    }
}

impl From<i32> for IndexExpr {
    fn from(v: i32) -> Self {
        IndexExpr::Const(v)
    }
}

macro_rules! index_operator {
    ($($trait:ident $method:ident $op:ident),*) => {$(
        impl<R: Into<IndexExpr>> ops::$trait<R> for IndexExpr {
            type Output = IndexExpr;
            fn $method(self, rhs: R) -> IndexExpr {
                IndexExpr::binary(BinaryOp::$op, self, rhs.into())
            }
        }
    )*};
}
index_operator!(Add add Add, Sub sub Sub, Mul mul Mul, Div div Div, Rem rem Rem);
