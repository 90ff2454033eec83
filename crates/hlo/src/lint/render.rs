//! Human-readable lint output, one line per finding.

use super::{KernelReport, Report};
use std::fmt;

/// Bytes in the unit a reader expects (`3.0 MiB`).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

impl fmt::Display for KernelReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "kernel {} (%{}, {})",
            self.kernel, self.instruction, self.target
        )?;
        if self.findings.is_empty() {
            return writeln!(f, ": clean");
        }
        writeln!(
            f,
            ": {} finding(s), {} moved",
            self.findings.len(),
            human_bytes(self.bytes_moved())
        )?;
        for x in &self.findings {
            let side = match x.operand {
                Some(i) => format!("{} operand {i}", x.side),
                None => x.side.to_string(),
            };
            let bytes = x.bytes.map_or_else(|| "? B".into(), human_bytes);
            writeln!(
                f,
                "    {side:<15} {:<9} %{} ({}, line {}): {bytes}",
                x.cause, x.instruction, x.kind, x.line
            )?;
            writeln!(f, "        {} -> {}", x.from, x.to)?;
        }
        Ok(())
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kernels.is_empty() {
            return writeln!(f, "module {}: no matching custom calls", self.module);
        }
        writeln!(f, "module {}:", self.module)?;
        for k in &self.kernels {
            write!(f, "  {k}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn units() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(196_608), "192.0 KiB");
        assert_eq!(human_bytes(3 << 20), "3.0 MiB");
    }
}
