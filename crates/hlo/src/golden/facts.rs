//! The normalized facts text of a module.
//!
//! Only what is stable across recompiles goes in: opcodes, shapes with layouts, bytes,
//! the kernel's cost estimate. Instruction numbering, metadata and line numbers are left
//! out, so a golden changes only when the program XLA produced really changes.

use crate::instruction::Instruction;
use crate::lint::{kernel_label, lint, LintOptions};
use crate::module::{Computation, HloModule};
use std::collections::BTreeMap;
use std::fmt::Write;

/// First line of every facts file; bump when the format changes.
const HEADER: &str = "# pallas-flash hlo facts v1";

/// The facts of `module` around every custom call `options` selects.
pub fn facts(module: &HloModule, options: &LintOptions) -> String {
    let mut out = format!("{HEADER}\nmodule {}\n", module.name);
    if let Some(entry) = module.entry() {
        let _ = writeln!(out, "entry census: {}", census(entry));
    }
    let report = lint(module, options);
    for kernel in &report.kernels {
        let Some((comp, inst)) = module
            .instructions()
            .find(|(c, i)| c.name == kernel.computation && i.name == kernel.instruction)
        else {
            continue;
        };
        let _ = writeln!(
            out,
            "\nkernel {} target={}",
            kernel_label(&inst.name),
            kernel.target
        );
        if let Some(cost) = cost_estimate(inst) {
            let _ = writeln!(out, "  cost {cost}");
        }
        for (i, op) in inst.operands.iter().enumerate() {
            let def = comp.get(&op.name);
            let shape = def.map(|d| &d.shape).or(op.shape.as_ref());
            let from = def.map_or("?", |d| d.opcode.as_str());
            let _ = writeln!(out, "  operand {i} {} from {from}", sized(shape));
        }
        let _ = writeln!(
            out,
            "  result {} to {}",
            sized(Some(&inst.shape)),
            consumers(comp, inst)
        );
        for f in &kernel.findings {
            let at = f.operand.map_or(String::new(), |i| format!(" operand {i}"));
            let bytes = f.bytes.map_or("?".into(), |b| b.to_string());
            let _ = writeln!(
                out,
                "  {}{at} {} {bytes} B {} -> {}",
                f.side, f.kind, f.from, f.to
            );
        }
        let _ = writeln!(
            out,
            "  moved {} B in {} finding(s)",
            kernel.bytes_moved(),
            kernel.findings.len()
        );
    }
    out
}

/// `copy x4, custom-call x1, parameter x3`, sorted by opcode.
fn census(comp: &Computation) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for inst in &comp.instructions {
        *counts.entry(inst.opcode.as_str()).or_default() += 1;
    }
    counts
        .iter()
        .map(|(op, n)| format!("{op} x{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn sized(shape: Option<&crate::shape::Shape>) -> String {
    match shape {
        Some(s) => format!("{s} {} B", s.bytes().map_or("?".into(), |b| b.to_string())),
        None => "? ? B".into(),
    }
}

/// Opcodes that use the kernel's result; `output` when it is the computation's result.
fn consumers(comp: &Computation, inst: &Instruction) -> String {
    let mut users: Vec<&str> = comp
        .users(&inst.name)
        .map(|(u, _)| u.opcode.as_str())
        .collect();
    if inst.is_root {
        users.push("output");
    }
    users.sort_unstable();
    users.dedup();
    if users.is_empty() {
        "nothing".into()
    } else {
        users.join(",")
    }
}

/// The kernel author's cost estimate from a Mosaic `backend_config`, if present.
fn cost_estimate(inst: &Instruction) -> Option<String> {
    let config = inst.backend_config()?;
    let cost = config
        .get("custom_call_config")?
        .get("cost_estimate")?
        .as_object()?;
    let items: Vec<String> = cost
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                v.as_str().map_or_else(|| v.to_string(), str::to_string)
            )
        })
        .collect();
    Some(items.join(" "))
}
