//! The findings of many reports grouped by cause, largest first: what a CI log shows
//! after the per-kernel detail, so the reader sees which fix saves the most bytes.
//! An op that feeds two kernels (a slice read by both backward kernels) is two findings
//! but writes its bytes once, so bytes are counted per op.

use super::render::human_bytes;
use super::{Cause, Report, Side};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;

/// The findings of one cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CauseTotal {
    pub cause: Cause,
    pub findings: usize,
    /// Distinct ops behind the findings.
    pub ops: usize,
    /// Bytes those ops write (where the size is known).
    pub bytes: u64,
    /// Kernel labels with at least one such finding.
    pub kernels: BTreeSet<String>,
    /// The sides the findings are on, each with its cure.
    pub cures: BTreeMap<Side, String>,
}

/// Totals per cause over every report added, for any number of reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    totals: BTreeMap<Cause, CauseTotal>,
}

impl Summary {
    pub fn add(&mut self, report: &Report) {
        let mut ops = HashSet::new();
        for (kernel, f) in report.findings() {
            let total = self.totals.entry(f.cause).or_insert_with(|| CauseTotal {
                cause: f.cause,
                findings: 0,
                ops: 0,
                bytes: 0,
                kernels: BTreeSet::new(),
                cures: BTreeMap::new(),
            });
            total.findings += 1;
            if ops.insert((&f.computation, &f.instruction)) {
                total.ops += 1;
                total.bytes += f.bytes.unwrap_or(0);
            }
            total.kernels.insert(kernel.kernel.clone());
            total.cures.entry(f.side).or_insert_with(|| f.cure.clone());
        }
    }

    /// The causes found, most bytes first (severity follows the bytes).
    pub fn by_bytes(&self) -> Vec<&CauseTotal> {
        let mut totals: Vec<&CauseTotal> = self.totals.values().collect();
        totals.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.cause.cmp(&b.cause)));
        totals
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let totals = self.by_bytes();
        if totals.is_empty() {
            return Ok(());
        }
        writeln!(f, "by cause, most bytes first:")?;
        for t in totals {
            writeln!(
                f,
                "  {:<9} {} finding(s) in {} kernel(s), {} op(s) writing {}",
                t.cause,
                t.findings,
                t.kernels.len(),
                t.ops,
                human_bytes(t.bytes)
            )?;
            for (side, cure) in &t.cures {
                writeln!(f, "      cure ({side}): {cure}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{lint, LintOptions};
    use crate::HloModule;

    #[test]
    fn groups_by_cause_largest_first() {
        let text = "HloModule m\n\nENTRY %e (x: f32[64,256]) -> f32[64,128] {\n  %x = f32[64,256]{1,0:T(8,128)} parameter(0)\n  %s = f32[64,128]{1,0:T(8,128)} slice(%x), slice={[0:64], [0:128]}\n  %c = f32[64,128]{0,1:T(8,128)} copy(%s)\n  %b = bf16[64,128]{0,1:T(8,128)(2,1)} convert(%c)\n  ROOT %k = f32[64,128]{1,0} custom-call(%b), custom_call_target=\"tpu_custom_call\"\n}\n";
        let report = lint(&HloModule::parse(text).unwrap(), &LintOptions::default());
        let mut summary = Summary::default();
        summary.add(&report);
        summary.add(&report);
        let causes: Vec<(Cause, usize, u64)> = summary
            .by_bytes()
            .iter()
            .map(|t| (t.cause, t.findings, t.bytes))
            .collect();
        assert_eq!(
            causes,
            [
                (Cause::Relayout, 2, 2 * 32768),
                (Cause::Slice, 2, 2 * 32768),
                (Cause::Convert, 2, 2 * 16384)
            ]
        );
        let text = summary.to_string();
        assert!(
            text.contains("slice     2 finding(s) in 1 kernel(s), 2 op(s) writing 64.0 KiB"),
            "{text}"
        );
        assert!(
            text.contains("cure (feed): set allow_input_fusion"),
            "{text}"
        );
    }
}
