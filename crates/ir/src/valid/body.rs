//! Walks the body: defines values in order, enforces scoping, and type-checks every
//! statement with the rules in `expr` and `access`.

use thiserror::Error;

use super::access::{self, AccessError, Lookup};
use super::expr::{self, ExprError};
use super::path::{OpPath, PathSegment};
use super::ValidationError;
use crate::{Block, DType, Dim, Dma, Expr, ForiLoop, Kernel, RefView, Stmt, Value, ValueType};

/// A problem in one body statement.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum BodyError {
    #[error(transparent)]
    Expr(#[from] ExprError),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error("value {value} does not exist (the kernel has {count} expressions)")]
    UnknownValue { value: Value, count: usize },
    #[error("value {value} is used before its definition or outside the block that defines it")]
    NotVisible { value: Value },
    #[error(
        "value {value} is defined twice; every expression is defined by exactly one statement"
    )]
    Redefined { value: Value },
    #[error("value {value} is never defined; add a let for it or remove it")]
    NeverDefined { value: Value },
    #[error("value {value} is a {found} but the statement needs a {expected} here")]
    WrongKind {
        value: Value,
        found: &'static str,
        expected: &'static str,
    },
    #[error("{what} is {ty}; it must be an {expected} scalar")]
    NotAScalar {
        what: &'static str,
        ty: ValueType,
        expected: DType,
    },
    #[error("{what} {bound} does not fit in i32; loop bounds are i32")]
    LoopBound { what: &'static str, bound: usize },
    #[error("carry {index} starts as {init} but the body yields {next}; yield the same type")]
    CarryType {
        index: usize,
        init: ValueType,
        next: ValueType,
    },
    #[error("storing {value} into a view of type {view}; the value must have the view's shape and dtype")]
    StoreType { value: ValueType, view: ValueType },
    #[error(
        "DMA copies {src} into {dst}; source and destination views need the same shape and dtype"
    )]
    DmaType { src: ValueType, dst: ValueType },
}

/// Validates the body and returns the type of every value (all are defined).
pub(super) fn check(kernel: &Kernel) -> Result<Vec<ValueType>, ValidationError> {
    let count = kernel.exprs.len();
    let mut walker = Walker {
        kernel,
        types: vec![None; count],
        visible: vec![false; count],
        path: OpPath::default(),
    };
    walker.block(&kernel.body)?;
    walker
        .types
        .into_iter()
        .enumerate()
        .map(|(i, ty)| {
            ty.ok_or(ValidationError::Body {
                path: OpPath::default(),
                error: Box::new(BodyError::NeverDefined {
                    value: Value::from_index(i),
                }),
            })
        })
        .collect()
}

struct Walker<'k> {
    kernel: &'k Kernel,
    /// Type of each defined value.
    types: Vec<Option<ValueType>>,
    /// Whether each value is in scope at the current statement.
    visible: Vec<bool>,
    path: OpPath,
}

impl Walker<'_> {
    fn block(&mut self, block: &Block) -> Result<(), ValidationError> {
        let mut scope = Vec::new();
        let result = self.stmts(block, &mut scope);
        self.close(scope);
        result
    }

    fn stmts(&mut self, block: &Block, scope: &mut Vec<Value>) -> Result<(), ValidationError> {
        for (index, stmt) in block.iter().enumerate() {
            self.path
                .segments
                .push(PathSegment::new(self.kernel, index, stmt));
            self.stmt(stmt, scope)?;
            self.path.segments.pop();
        }
        Ok(())
    }

    /// Ends a scope: its values are no longer visible.
    fn close(&mut self, scope: Vec<Value>) {
        for value in scope {
            self.visible[value.index()] = false;
        }
    }

    /// Attaches the current path to an error.
    fn at(&self, error: impl Into<BodyError>) -> ValidationError {
        ValidationError::Body {
            path: self.path.clone(),
            error: Box::new(error.into()),
        }
    }

    fn stmt(&mut self, stmt: &Stmt, scope: &mut Vec<Value>) -> Result<(), ValidationError> {
        match stmt {
            Stmt::Let(value) => {
                let ty = self.infer(*value).map_err(|e| self.at(e))?;
                self.define(*value, ty, scope).map_err(|e| self.at(e))
            }
            Stmt::Store { dst, value } => self.store(dst, *value).map_err(|e| self.at(e)),
            Stmt::When { cond, body } => {
                self.expect_scalar("when condition", *cond, DType::I1)
                    .map_err(|e| self.at(e))?;
                self.block(body)
            }
            Stmt::ForiLoop(fori) => self.fori_loop(fori, scope),
            Stmt::DmaStart(dma) | Stmt::DmaWait(dma) => self.dma(dma).map_err(|e| self.at(e)),
        }
    }

    fn store(&self, dst: &RefView, value: Value) -> Result<(), BodyError> {
        let value_ty = self.use_value(value)?.clone();
        self.use_dims(dst.dynamic_values())?;
        let view = access::vector_access(self.kernel, dst, &self.lookup(), true)?;
        if view != value_ty {
            return Err(BodyError::StoreType {
                value: value_ty,
                view,
            });
        }
        Ok(())
    }

    fn fori_loop(
        &mut self,
        fori: &ForiLoop,
        scope: &mut Vec<Value>,
    ) -> Result<(), ValidationError> {
        let inits = self.loop_header(fori).map_err(|e| self.at(e))?;
        // The index and carry parameters live in the body's scope.
        let mut body_scope = Vec::new();
        let result = self.loop_body(fori, &inits, &mut body_scope);
        self.close(body_scope);
        result?;
        for (carry, init) in fori.carries.iter().zip(inits) {
            self.define_kind(carry.result, &Expr::LoopResult, init, scope)
                .map_err(|e| self.at(e))?;
        }
        Ok(())
    }

    /// Checks the bounds and returns the carry types.
    fn loop_header(&self, fori: &ForiLoop) -> Result<Vec<ValueType>, BodyError> {
        for (what, bound) in [
            ("loop lower bound", fori.lower),
            ("loop upper bound", fori.upper),
        ] {
            match bound {
                Dim::Dynamic(v) => self.expect_scalar(what, v, DType::I32)?,
                Dim::Static(bound) if i32::try_from(bound).is_err() => {
                    return Err(BodyError::LoopBound { what, bound });
                }
                Dim::Static(_) => {}
            }
        }
        fori.carries
            .iter()
            .map(|carry| self.use_value(carry.init).cloned())
            .collect()
    }

    /// Defines the loop's parameters, checks the body, then checks that each `next`
    /// (defined in the body) matches its carry before the body's scope closes.
    fn loop_body(
        &mut self,
        fori: &ForiLoop,
        inits: &[ValueType],
        scope: &mut Vec<Value>,
    ) -> Result<(), ValidationError> {
        let index_ty = ValueType::scalar(DType::I32);
        self.define_kind(fori.index, &Expr::LoopIndex, index_ty, scope)
            .map_err(|e| self.at(e))?;
        for (carry, init) in fori.carries.iter().zip(inits) {
            self.define_kind(carry.param, &Expr::LoopCarry, init.clone(), scope)
                .map_err(|e| self.at(e))?;
        }
        self.stmts(&fori.body, scope)?;
        for (index, (carry, init)) in fori.carries.iter().zip(inits).enumerate() {
            let next = self.use_value(carry.next).map_err(|e| self.at(e))?;
            if next != init {
                return Err(self.at(BodyError::CarryType {
                    index,
                    init: init.clone(),
                    next: next.clone(),
                }));
            }
        }
        Ok(())
    }

    fn dma(&self, dma: &Dma) -> Result<(), BodyError> {
        self.use_dims(dma.src.dynamic_values().chain(dma.dst.dynamic_values()))?;
        if let Dim::Dynamic(slot) = dma.slot {
            self.use_value(slot)?;
        }
        let lookup = self.lookup();
        let src = access::view(self.kernel, &dma.src, &lookup, false)?.ty;
        let dst = access::view(self.kernel, &dma.dst, &lookup, true)?.ty;
        access::semaphore(self.kernel, dma.semaphore, dma.slot, &lookup)?;
        if src != dst {
            return Err(BodyError::DmaType { src, dst });
        }
        Ok(())
    }

    /// Type of a `Let`'s expression, from the types of its (visible) operands.
    fn infer(&self, value: Value) -> Result<ValueType, BodyError> {
        let e = self.expr(value)?;
        for operand in e.operands() {
            self.use_value(operand)?;
        }
        let ty = |v: Value| {
            self.types[v.index()]
                .as_ref()
                .expect("operands checked visible")
        };
        let grid_rank = self.kernel.grid.rank();
        Ok(match e {
            Expr::Constant {
                value,
                dtype,
                shape,
            } => expr::constant(*value, *dtype, shape)?,
            Expr::ProgramId { axis } | Expr::NumPrograms { axis } => {
                expr::grid_axis(*axis, grid_rank)?
            }
            Expr::Load { src } => access::vector_access(self.kernel, src, &self.lookup(), false)?,
            Expr::Unary { op, x } => expr::unary(*op, ty(*x))?,
            Expr::Binary { op, lhs, rhs } => expr::binary(*op, ty(*lhs), ty(*rhs))?,
            Expr::Compare { op, lhs, rhs } => expr::compare(op.name(), ty(*lhs), ty(*rhs))?,
            Expr::Select {
                cond,
                on_true,
                on_false,
            } => expr::select(ty(*cond), ty(*on_true), ty(*on_false))?,
            Expr::Cast { x, dtype } => ty(*x).with_dtype(*dtype),
            Expr::Broadcast { x, shape } => expr::broadcast(ty(*x), shape)?,
            Expr::Reshape { x, shape } => expr::reshape(ty(*x), shape)?,
            Expr::Transpose { x, perm } => expr::transpose(ty(*x), perm)?,
            Expr::Iota { shape, dimension } => expr::iota(shape, *dimension)?,
            Expr::Reduce {
                op,
                x,
                axes,
                keep_dims,
            } => expr::reduce(*op, ty(*x), axes, *keep_dims)?,
            Expr::ReduceLanes { op, x, lanes } => expr::reduce_lanes(*op, ty(*x), *lanes)?,
            Expr::Slice { x, start, size } => expr::slice(ty(*x), start, size)?,
            Expr::Pad {
                x,
                low,
                high,
                value,
            } => expr::pad(ty(*x), low, high, *value)?,
            Expr::Concatenate { parts, axis } => {
                let parts: Vec<&ValueType> = parts.iter().map(|p| ty(*p)).collect();
                expr::concatenate(&parts, *axis)?
            }
            Expr::Dot {
                lhs,
                rhs,
                dims,
                out_dtype,
            } => expr::dot(ty(*lhs), ty(*rhs), dims, *out_dtype)?,
            Expr::LoopIndex | Expr::LoopCarry | Expr::LoopResult => {
                return Err(BodyError::WrongKind {
                    value,
                    found: e.name(),
                    expected: "let-able expression",
                })
            }
        })
    }

    fn expr(&self, value: Value) -> Result<&Expr, BodyError> {
        self.kernel.exprs.get(value).ok_or(BodyError::UnknownValue {
            value,
            count: self.kernel.exprs.len(),
        })
    }

    /// The type of a value that must be in scope.
    fn use_value(&self, value: Value) -> Result<&ValueType, BodyError> {
        self.expr(value)?;
        match &self.types[value.index()] {
            Some(ty) if self.visible[value.index()] => Ok(ty),
            _ => Err(BodyError::NotVisible { value }),
        }
    }

    fn use_dims(&self, mut values: impl Iterator<Item = Value>) -> Result<(), BodyError> {
        values.try_for_each(|v| self.use_value(v).map(drop))
    }

    fn expect_scalar(
        &self,
        what: &'static str,
        value: Value,
        expected: DType,
    ) -> Result<(), BodyError> {
        let ty = self.use_value(value)?;
        if *ty != ValueType::scalar(expected) {
            return Err(BodyError::NotAScalar {
                what,
                ty: ty.clone(),
                expected,
            });
        }
        Ok(())
    }

    fn lookup(&self) -> Box<Lookup<'_>> {
        Box::new(|v: Value| self.types.get(v.index()).cloned().flatten())
    }

    /// Defines a value owned by a loop, which must be an expression of that kind.
    fn define_kind(
        &mut self,
        value: Value,
        kind: &Expr,
        ty: ValueType,
        scope: &mut Vec<Value>,
    ) -> Result<(), BodyError> {
        let e = self.expr(value)?;
        if e != kind {
            return Err(BodyError::WrongKind {
                value,
                found: e.name(),
                expected: kind.name(),
            });
        }
        self.define(value, ty, scope)
    }

    fn define(
        &mut self,
        value: Value,
        ty: ValueType,
        scope: &mut Vec<Value>,
    ) -> Result<(), BodyError> {
        self.expr(value)?;
        let slot = &mut self.types[value.index()];
        if slot.is_some() {
            return Err(BodyError::Redefined { value });
        }
        *slot = Some(ty);
        self.visible[value.index()] = true;
        scope.push(value);
        Ok(())
    }
}
