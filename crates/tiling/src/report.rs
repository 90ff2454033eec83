//! The budget report: one table a kernel author reads to see where VMEM goes.
//!
//! `BUDGET.md` walks through an example line by line.

use std::fmt;

use pallas_flash_ir::Shape;

use crate::budget::{LimitSource, VmemBudget};
use crate::bytes::Bytes;

fn dims(shape: &[usize]) -> String {
    let joined: Vec<String> = shape.iter().map(usize::to_string).collect();
    joined.join("×")
}

impl fmt::Display for VmemBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let steps: u64 = self.grid.iter().map(|&g| g as u64).product();
        writeln!(
            f,
            "VMEM budget of `{}` on {} (grid {} = {steps} steps)",
            self.kernel,
            self.target,
            Shape(&self.grid)
        )?;
        writeln!(
            f,
            "{:<22} {:<8} {:<5} {:>14} {:>14} {:>11} {:>2} {:>11} {:>6}",
            "buffer", "role", "dtype", "shape", "padded", "each", "×", "total", "share"
        )?;
        let total = self.total();
        for b in &self.buffers {
            let share = if total == 0 {
                0.0
            } else {
                100.0 * b.total() as f64 / total as f64
            };
            writeln!(
                f,
                "{:<22} {:<8} {:<5} {:>14} {:>14} {:>11} {:>2} {:>11} {:>5.1}%",
                b.name,
                b.role.name(),
                b.dtype.name(),
                dims(&b.shape),
                dims(&b.padded),
                Bytes(b.bytes_each).to_string(),
                b.count,
                Bytes(b.total()).to_string(),
                share
            )?;
        }
        let source = match self.limit_source {
            LimitSource::TargetDefault => "target default",
            LimitSource::Kernel => "vmem_limit_bytes",
        };
        let used = 100.0 * total as f64 / self.limit as f64;
        writeln!(f, "total {:>93}", Bytes(total).to_string())?;
        writeln!(
            f,
            "scoped limit ({source}): {} — {used:.1}% used",
            Bytes(self.limit)
        )?;
        writeln!(
            f,
            "physical VMEM per core: {}",
            Bytes(self.target.vmem_bytes)
        )?;
        write!(
            f,
            "outside VMEM: SMEM {}, {} DMA semaphore(s)",
            Bytes(self.smem_bytes),
            self.dma_semaphores
        )
    }
}
