//! Body statements: evaluation order, side effects and control flow.

use crate::{Dim, RefId, RefView, Value};

/// A sequence of statements, run in order.
pub type Block = Vec<Stmt>;

/// One body statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// Evaluates an expression here; each expression is defined exactly once, and is
    /// visible to the rest of this block and blocks nested in it.
    Let(Value),
    /// Writes `value` (whose type is the view's shape) into the view.
    Store {
        dst: RefView,
        value: Value,
    },
    /// Runs `body` if the `i1` scalar `cond` is true (`pl.when`).
    When {
        cond: Value,
        body: Block,
    },
    ForiLoop(ForiLoop),
    /// Starts an asynchronous copy that signals `semaphore[slot]` when done.
    DmaStart(Dma),
    /// Waits for the copy described by the same fields to complete.
    DmaWait(Dma),
}

/// `lax.fori_loop(lower, upper, body, carries)`: step 1, upper bound exclusive, no
/// iterations when `upper <= lower`; bounds are `i32`.
#[derive(Clone, Debug, PartialEq)]
pub struct ForiLoop {
    pub lower: Dim,
    pub upper: Dim,
    /// A `LoopIndex` expression, visible in `body`.
    pub index: Value,
    pub carries: Vec<Carry>,
    pub body: Block,
}

/// One loop-carried value.
#[derive(Clone, Debug, PartialEq)]
pub struct Carry {
    /// Initial value, defined before the loop.
    pub init: Value,
    /// A `LoopCarry` expression: the value at the start of each iteration.
    pub param: Value,
    /// The value for the next iteration, visible at the end of `body`.
    pub next: Value,
    /// A `LoopResult` expression: the value after the loop, visible after it.
    pub result: Value,
}

/// An async copy between two views of equal shape and dtype (`pltpu.make_async_copy`).
#[derive(Clone, Debug, PartialEq)]
pub struct Dma {
    pub src: RefView,
    pub dst: RefView,
    /// A DMA-semaphore scratch ref.
    pub semaphore: RefId,
    pub slot: Dim,
}

impl Dma {
    pub fn new(
        src: impl Into<RefView>,
        dst: impl Into<RefView>,
        semaphore: RefId,
        slot: impl Into<Dim>,
    ) -> Self {
        Dma {
            src: src.into(),
            dst: dst.into(),
            semaphore,
            slot: slot.into(),
        }
    }
}
