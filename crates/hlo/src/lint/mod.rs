//! The copy-trap lint: data movement that XLA adds around custom calls.
//!
//! A kernel demands its operands in a fixed layout (row-major for Mosaic). When the
//! surrounding program holds them otherwise, XLA inserts copies, pads, transposes or
//! slices before the kernel and after it, which can cost more than the kernel itself
//! (docs/design.md §6). This module finds them in an optimized module.

mod allow;
mod cause;
mod finding;
mod judge;
mod render;
mod summary;
mod walk;

pub use allow::{Allowlist, AllowlistError, Excess, Rule};
pub use cause::{classify, Cause};
pub use finding::{Finding, FindingKind, Side};
pub use render::human_bytes;
pub use summary::{CauseTotal, Summary};

use crate::instruction::Instruction;
use crate::module::{Computation, HloModule};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The custom-call target of Pallas/Mosaic TPU kernels.
pub const TPU_CUSTOM_CALL: &str = "tpu_custom_call";

/// Which custom calls to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintOptions {
    /// `custom_call_target` to look for; `None` checks every custom call.
    pub target: Option<String>,
}

impl Default for LintOptions {
    fn default() -> Self {
        Self {
            target: Some(TPU_CUSTOM_CALL.to_string()),
        }
    }
}

/// The findings around one custom call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelReport {
    /// The instruction name without XLA's `.N` suffix (`flash_attention.1` -> `flash_attention`):
    /// stable across recompiles, and what allowlists match.
    pub kernel: String,
    pub instruction: String,
    pub computation: String,
    pub target: String,
    pub findings: Vec<Finding>,
}

impl KernelReport {
    /// Sum of the bytes written by the findings whose size is known.
    pub fn bytes_moved(&self) -> u64 {
        self.findings.iter().filter_map(|f| f.bytes).sum()
    }
}

/// The lint result for one module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub module: String,
    pub kernels: Vec<KernelReport>,
}

impl Report {
    pub fn findings(&self) -> impl Iterator<Item = (&KernelReport, &Finding)> {
        self.kernels
            .iter()
            .flat_map(|k| k.findings.iter().map(move |f| (k, f)))
    }

    pub fn is_clean(&self) -> bool {
        self.findings().next().is_none()
    }
}

/// Checks every matching custom call in `module`, in every computation.
pub fn lint(module: &HloModule, options: &LintOptions) -> Report {
    let fused_into = custom_fusions(module);
    let mut kernels = Vec::new();
    for (comp, inst) in module.instructions() {
        let Some(target) = inst
            .custom_call_target()
            .filter(|_| inst.opcode == "custom-call")
        else {
            continue;
        };
        if options.target.as_deref().is_some_and(|t| t != target) {
            continue;
        }
        let walker = match fused_into.get(comp.name.as_str()) {
            Some(&(outer, fusion)) => {
                let mut walker = walk::Walker::new(module, outer);
                walker.feed_fused(inst, comp, fusion);
                walker.drain(fusion);
                walker
            }
            None => {
                let mut walker = walk::Walker::new(module, comp);
                walker.feed(inst);
                walker.drain(inst);
                walker
            }
        };
        let mut findings = walker.findings;
        findings.sort_by_key(|f| (f.side, f.operand, f.line));
        kernels.push(KernelReport {
            kernel: kernel_label(&inst.name).to_string(),
            instruction: inst.name.clone(),
            computation: comp.name.clone(),
            target: target.to_string(),
            findings,
        });
    }
    Report {
        module: module.name.clone(),
        kernels,
    }
}

/// Computations called by a `kCustom` fusion (a kernel fused with the producers of its
/// operands), with the computation holding that fusion and the fusion itself.
fn custom_fusions(module: &HloModule) -> HashMap<&str, (&Computation, &Instruction)> {
    module
        .instructions()
        .filter(|(_, i)| i.opcode == "fusion" && i.attr("kind") == Some("kCustom"))
        .flat_map(|(c, i)| {
            i.called_computations()
                .into_iter()
                .map(move |n| (n, (c, i)))
        })
        .collect()
}

/// `flash_attention.1` -> `flash_attention`; names without a numeric suffix are kept.
pub fn kernel_label(name: &str) -> &str {
    match name.rsplit_once('.') {
        Some((base, n))
            if !base.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            base
        }
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(kernel_label("flash_attention.1"), "flash_attention");
        assert_eq!(kernel_label("_lambda_.12"), "_lambda_");
        assert_eq!(kernel_label("custom-call"), "custom-call");
        assert_eq!(kernel_label("a.b"), "a.b");
        assert_eq!(kernel_label(".1"), ".1");
    }

    /// As libtpu prints a loop body compiled from StableHLO: `%t#i` operands instead of
    /// get-tuple-element instructions.
    #[test]
    fn tuple_element_operands_are_followed() {
        let text = "HloModule m\n\n%slice (a: f32[4,8,128], i: s32[]) -> f32[8,128] {\n  %a = f32[4,8,128]{2,1,0:T(8,128)} parameter(0)\n  %i = s32[] parameter(1)\n  %z = s32[] constant(0)\n  %d = f32[1,8,128]{2,1,0:T(8,128)} dynamic-slice(%a, %i, %z, %z), dynamic_slice_sizes={1,8,128}\n  ROOT %b = f32[8,128]{1,0:T(8,128)} bitcast(%d)\n}\n\nENTRY %body (t: (s32[], f32[4,8,128])) -> f32[8,128] {\n  %t = (s32[]{:T(128)}, f32[4,8,128]{2,1,0:T(8,128)}) parameter(0)\n  %f = f32[8,128]{1,0:T(8,128)S(1)} fusion(%t#1, %t#0), kind=kLoop, calls=%slice\n  %k = (f32[8,128]{1,0:T(8,128)}, f32[8]{0}) custom-call(%f), custom_call_target=\"tpu_custom_call\"\n  ROOT %c = f32[8,128]{0,1:T(8,128)} copy(%k#0)\n}\n";
        let report = lint(&HloModule::parse(text).unwrap(), &LintOptions::default());
        let found: Vec<_> = report
            .findings()
            .map(|(_, f)| (f.side, f.cause, f.from.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (Side::Feed, Cause::Slice, "f32[4,8,128]{2,1,0:T(8,128)}"),
                (Side::Drain, Cause::Relayout, "f32[8,128]{1,0:T(8,128)}"),
            ]
        );
    }
}
