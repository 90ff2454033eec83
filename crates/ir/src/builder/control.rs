//! Control flow and DMA: `when`, `fori_loop`, async copies.

use super::KernelBuilder;
use crate::{Carry, Dim, Dma, Expr, ForiLoop, RefId, RefView, Stmt, Value};

impl KernelBuilder {
    /// `@pl.when(cond)`: runs `body` if the `i1` scalar `cond` is true. Values defined
    /// inside are not visible after it.
    pub fn when(&mut self, cond: Value, body: impl FnOnce(&mut Self)) {
        let (body, ()) = self.nested(body);
        self.push(Stmt::When { cond, body });
    }

    /// `lax.fori_loop(lower, upper, body, inits)`: `body(k, i, carries)` returns the
    /// next carries; the call returns the final ones.
    pub fn fori_loop<const N: usize>(
        &mut self,
        lower: impl Into<Dim>,
        upper: impl Into<Dim>,
        inits: [Value; N],
        body: impl FnOnce(&mut Self, Value, [Value; N]) -> [Value; N],
    ) -> [Value; N] {
        let index = self.kernel.exprs.append(Expr::LoopIndex);
        let params = inits.map(|_| self.kernel.exprs.append(Expr::LoopCarry));
        let (block, nexts) = self.nested(|k| body(k, index, params));
        let results = inits.map(|_| self.kernel.exprs.append(Expr::LoopResult));
        let carries = (0..N)
            .map(|i| Carry {
                init: inits[i],
                param: params[i],
                next: nexts[i],
                result: results[i],
            })
            .collect();
        let fori = ForiLoop {
            lower: lower.into(),
            upper: upper.into(),
            index,
            carries,
            body: block,
        };
        self.push(Stmt::ForiLoop(fori));
        results
    }

    /// `pltpu.make_async_copy(src, dst, sem.at[slot]).start()`.
    pub fn dma_start(
        &mut self,
        src: impl Into<RefView>,
        dst: impl Into<RefView>,
        semaphore: RefId,
        slot: impl Into<Dim>,
    ) {
        self.push(Stmt::DmaStart(Dma::new(src, dst, semaphore, slot)));
    }

    /// `.wait()` on the copy with the same views and semaphore.
    pub fn dma_wait(
        &mut self,
        src: impl Into<RefView>,
        dst: impl Into<RefView>,
        semaphore: RefId,
        slot: impl Into<Dim>,
    ) {
        self.push(Stmt::DmaWait(Dma::new(src, dst, semaphore, slot)));
    }
}
