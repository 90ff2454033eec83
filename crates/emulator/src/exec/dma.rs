//! DMAs and their semaphores. A DMA reads its source when it starts and lands in its
//! target when a wait on its semaphore completes it, so a kernel that reads the target
//! before waiting sees stale data, as it could on hardware. Waits count bytes, as the
//! hardware's semaphores do; a wait that no in-flight DMA can satisfy is a deadlock.

use std::collections::HashMap;

use super::memory::Memory;
use super::value::{Data, View};
use crate::error::{Fault, FaultKind};
use crate::types::MemElem;

struct InFlight {
    target: View,
    data: Data,
    bytes: usize,
    semaphore: (usize, usize),
    started_at: String,
}

/// The DMA engine: in-flight copies in start order, and bytes completed per semaphore.
#[derive(Default)]
pub struct DmaEngine {
    in_flight: Vec<InFlight>,
    completed: HashMap<(usize, usize), usize>,
}

fn bytes(mem: &Memory, view: &View) -> usize {
    match mem.buffer(view.buffer).elem {
        MemElem::Data(e) => view.len() * e.bytes(),
        _ => 0,
    }
}

fn overlaps(a: &View, b: &View) -> bool {
    let ((a0, a1), (b0, b1)) = (a.extent(), b.extent());
    a.buffer == b.buffer && a0 < b1 && b0 < a1
}

impl DmaEngine {
    pub fn start(
        &mut self,
        mem: &Memory,
        source: &View,
        target: &View,
        semaphore: &View,
        started_at: &str,
    ) -> Result<(), Fault> {
        if source.len() != target.len() {
            return Err(Fault::new(
                FaultKind::DmaOutOfBounds,
                format!(
                    "DMA from `{}` {:?} to `{}` {:?}: sizes differ",
                    mem.buffer(source.buffer).name,
                    source.shape,
                    mem.buffer(target.buffer).name,
                    target.shape
                ),
            ));
        }
        if let Some(other) = self.in_flight.iter().find(|d| overlaps(&d.target, target)) {
            return Err(Fault::new(
                FaultKind::DmaOverlap,
                format!("a DMA into `{}` starts while the one started at {} into the same elements is in flight", mem.buffer(target.buffer).name, other.started_at),
            ));
        }
        self.in_flight.push(InFlight {
            target: target.clone(),
            data: mem.read(source),
            bytes: bytes(mem, target),
            semaphore: (semaphore.buffer, semaphore.offset),
            started_at: started_at.to_string(),
        });
        Ok(())
    }

    /// Waits for `target`'s worth of bytes on `semaphore`, completing in-flight DMAs that
    /// signal it in start order.
    pub fn wait(&mut self, mem: &mut Memory, semaphore: &View, target: &View) -> Result<(), Fault> {
        let key = (semaphore.buffer, semaphore.offset);
        let need = bytes(mem, target);
        while self.completed.get(&key).copied().unwrap_or(0) < need {
            let Some(i) = self.in_flight.iter().position(|d| d.semaphore == key) else {
                let have = self.completed.get(&key).copied().unwrap_or(0);
                return Err(Fault::new(
                    FaultKind::Deadlock,
                    format!(
                        "waiting for {need} bytes on semaphore `{}`[{}] with {have} bytes signalled and no DMA in flight on it: this wait never returns",
                        mem.buffer(semaphore.buffer).name,
                        semaphore.offset
                    ),
                ));
            };
            let dma = self.in_flight.remove(i);
            mem.write(&dma.target, &dma.data, false, None)?;
            *self.completed.entry(key).or_default() += dma.bytes;
        }
        *self.completed.get_mut(&key).expect("counted above") -= need;
        Ok(())
    }

    /// At the end of the kernel: every DMA must have been waited for.
    pub fn finish(&self, mem: &Memory) -> Result<(), Fault> {
        match self.in_flight.first() {
            None => Ok(()),
            Some(d) => Err(Fault::new(
                FaultKind::UnwaitedDma,
                format!(
                    "{} DMA(s) never waited for; the first, into `{}`, started at {}",
                    self.in_flight.len(),
                    mem.buffer(d.target.buffer).name,
                    d.started_at
                ),
            )),
        }
    }
}
