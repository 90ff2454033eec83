//! The DSL: a builder object that reads like a Pallas kernel.
//!
//! Why a builder object rather than nested closures for everything: a kernel body is
//! mostly straight-line code, and `k.exp(x)` on one mutable builder keeps it flat and
//! borrow-friendly; closures appear only where Pallas has them too (`when`,
//! `fori_loop`, index maps). The builder does no type checking of its own:
//! [`KernelBuilder::build`] runs [`crate::validate`], so there is one set of rules.

mod body;
mod control;
mod signature;

pub use signature::IndexArgs;

use crate::{validate, Block, Expr, GridSpec, Kernel, KernelInfo, Stmt, ValidationError, Value};

/// Builds a [`Kernel`]: declare the signature, then emit the body in order.
pub struct KernelBuilder {
    kernel: Kernel,
    /// Blocks being filled, innermost last; the first is the body itself.
    blocks: Vec<Block>,
}

impl KernelBuilder {
    /// A kernel called `name` over `grid` (`pallas_call(kernel, grid_spec=...)`).
    pub fn new(name: impl Into<String>, grid: GridSpec) -> Self {
        KernelBuilder {
            kernel: Kernel::new(name, grid),
            blocks: vec![Vec::new()],
        }
    }

    /// The kernel as built, without validation.
    pub fn finish(mut self) -> Kernel {
        // Blocks above the root only exist while a `when`/`fori_loop` closure runs.
        self.kernel.body = self.blocks.swap_remove(0);
        self.kernel
    }

    /// The kernel and its [`KernelInfo`], or the first problem found.
    pub fn build(self) -> Result<(Kernel, KernelInfo), ValidationError> {
        let kernel = self.finish();
        let info = validate(&kernel)?;
        Ok((kernel, info))
    }

    /// Appends an expression and evaluates it here.
    fn emit(&mut self, expr: Expr) -> Value {
        let value = self.kernel.exprs.append(expr);
        self.push(Stmt::Let(value));
        value
    }

    fn push(&mut self, stmt: Stmt) {
        self.blocks
            .last_mut()
            .expect("the root block is never popped")
            .push(stmt);
    }

    /// Runs `f` with a fresh innermost block and returns what it emitted.
    fn nested<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> (Block, R) {
        self.blocks.push(Vec::new());
        let result = f(self);
        let block = self.blocks.pop().expect("pushed above");
        (block, result)
    }
}
