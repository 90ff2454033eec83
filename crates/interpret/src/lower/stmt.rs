//! Statements: stores and DMAs update state slots; `when` becomes `stablehlo.if` and
//! `fori_loop` a `stablehlo.while`, each threading exactly the slots its body writes.
//!
//! DMA: a start performs the whole copy at once and a wait does nothing, so the
//! destination holds the data from the start on (on a TPU it is only defined after
//! the wait; validation-clean kernels do not read it earlier).

use std::collections::BTreeSet;

use pallas_flash_ir::{Block, Dim, Expr, ForiLoop, Kernel, RefId, RefView, Stmt, Value};

use super::{Lowering, Slot};
use pallas_flash_stablehlo::{if_else, while_loop, Tensor};

/// Adds what touching `view` may change: its slot when written, the diagnostic when
/// it has a dynamic offset.
fn note(view: &RefView, write: bool, slots: &mut BTreeSet<Slot>) {
    if view.dynamic_values().next().is_some() {
        slots.insert(Slot::Diag);
    }
    match view.base {
        RefId::Output(i) if write => slots.insert(Slot::Output(i)),
        RefId::Scratch(i) if write => slots.insert(Slot::Scratch(i)),
        _ => false,
    };
}

/// The slots a block may change: refs it stores or copies into, and the diagnostic
/// when it addresses anything at a dynamic offset.
fn written(kernel: &Kernel, block: &Block) -> BTreeSet<Slot> {
    let mut slots = BTreeSet::new();
    for stmt in block {
        match stmt {
            Stmt::Let(v) => {
                if let Expr::Load { src } = &kernel.exprs[*v] {
                    note(src, false, &mut slots);
                }
            }
            Stmt::Store { dst, .. } => note(dst, true, &mut slots),
            Stmt::DmaStart(dma) => {
                note(&dma.src, false, &mut slots);
                note(&dma.dst, true, &mut slots);
            }
            Stmt::DmaWait(_) => {}
            Stmt::When { body, .. } | Stmt::ForiLoop(ForiLoop { body, .. }) => {
                slots.extend(written(kernel, body));
            }
        }
    }
    slots
}

impl Lowering<'_> {
    pub(super) fn block(&mut self, block: &Block) {
        for stmt in block {
            match stmt {
                Stmt::Let(v) => self.let_expr(*v),
                Stmt::Store { dst, value } => {
                    let value = self.value(*value);
                    self.store(dst, &value);
                }
                Stmt::When { cond, body } => self.when(*cond, body),
                Stmt::ForiLoop(fori) => self.fori_loop(fori),
                Stmt::DmaStart(dma) => {
                    let data = self.load(&dma.src);
                    self.store(&dma.dst, &data);
                }
                Stmt::DmaWait(_) => {}
            }
        }
    }

    fn slot_values(&self, slots: &[Slot]) -> Vec<Tensor> {
        slots.iter().map(|s| self.state[s].clone()).collect()
    }

    fn set_slots(&mut self, slots: &[Slot], values: &[Tensor]) {
        for (slot, value) in slots.iter().zip(values) {
            self.state.insert(*slot, value.clone());
        }
    }

    fn when(&mut self, cond: Value, body: &Block) {
        let slots: Vec<Slot> = written(self.kernel, body).into_iter().collect();
        if slots.is_empty() {
            // Nothing outlives the block: it has no effect.
            return;
        }
        let before = self.slot_values(&slots);
        let cond = self.value(cond);
        let after = if_else(
            self,
            &cond,
            |cx| {
                cx.block(body);
                cx.slot_values(&slots)
            },
            |cx| {
                cx.set_slots(&slots, &before);
                before.clone()
            },
        );
        self.set_slots(&slots, &after);
    }

    fn fori_loop(&mut self, fori: &ForiLoop) {
        let slots: Vec<Slot> = written(self.kernel, &fori.body).into_iter().collect();
        let lower = self.bound(fori.lower);
        let upper = self.bound(fori.upper);
        let carries = fori.carries.len();
        let mut inits = vec![lower];
        inits.extend(fori.carries.iter().map(|c| self.value(c.init)));
        inits.extend(self.slot_values(&slots));
        let results = while_loop(
            self,
            &inits,
            |cx, p| cx.w.compare("LT", &p[0], &upper),
            |cx, p| {
                cx.values[fori.index.index()] = Some(p[0].clone());
                for (carry, param) in fori.carries.iter().zip(&p[1..]) {
                    cx.values[carry.param.index()] = Some(param.clone());
                }
                cx.set_slots(&slots, &p[1 + carries..]);
                cx.block(&fori.body);
                let one = cx.w.i32(1);
                let mut next = vec![cx.w.elementwise("add", &[p[0].clone(), one], p[0].ty.dtype)];
                next.extend(fori.carries.iter().map(|c| cx.value(c.next)));
                next.extend(cx.slot_values(&slots));
                next
            },
        );
        for (carry, result) in fori.carries.iter().zip(&results[1..]) {
            self.values[carry.result.index()] = Some(result.clone());
        }
        self.set_slots(&slots, &results[1 + carries..]);
    }

    fn bound(&mut self, bound: Dim) -> Tensor {
        match bound {
            Dim::Static(b) => self.w.i32(b as i64),
            Dim::Dynamic(v) => self.value(v),
        }
    }
}
