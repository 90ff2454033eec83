//! The whole report for any kernel, catalog or user: tiling plan, VMEM budget, copy-trap
//! prediction and lint, libtpu's memory stats and static estimate, roofline and model
//! floor — with the work taken from the kernel itself ([`KernelFamily::flops`],
//! [`KernelFamily::min_hbm_bytes`]).
//!
//! ```no_run
//! use pallas_flash::kernels::matmul::MatmulConfig;
//! use pallas_flash::report::report;
//! use pallas_flash::tiling::Target;
//!
//! let r = report(&MatmulConfig::new(1024, 1024, 1024), &Target::v5e())?;
//! print!("{r}");
//! # Ok::<(), pallas_flash::CliError>(())
//! ```

use std::fmt;
use std::path::Path;

use pallas_flash_tiling::budget::VmemBudget;
use pallas_flash_tiling::family::{Blocks, BuiltKernel, KernelFamily};
use pallas_flash_tiling::profiler_traps::profiler_traps;
use pallas_flash_tiling::report::Bytes;
use pallas_flash_tiling::{copy_trap, rules, Target};
use serde_json::json;

use crate::catalog::check;
use crate::error::CliError;
pub use crate::estimate::{Estimate, Floors, Work};
use crate::libtpu::compile_kernel;
pub use crate::libtpu::{CompiledKernel, CopyTrapVerdict};

/// What is known before libtpu runs: the kernels for a target and blocks, their alignment
/// and budget (checked), predicted relayouts and warnings.
pub struct Plan {
    pub problem: String,
    pub target: Target,
    pub blocks: Blocks,
    pub built: Vec<BuiltKernel>,
    pub budgets: Vec<VmemBudget>,
    /// Operands XLA will relayout around the kernels (the copy trap), predicted.
    pub relayouts: Vec<String>,
    /// Patterns that abort libtpu's static profiler, and MXU padding worth fixing.
    pub warnings: Vec<String>,
    pub work: Work,
}

/// libtpu's static estimate, or why there is none.
pub enum EstimateOutcome {
    Taken(Estimate),
    NotRequested,
    /// The profiler aborted; the program was compiled again without it.
    ProfilerAborted(String),
}

/// A plan after libtpu.
pub struct Report {
    pub plan: Plan,
    pub compiled: CompiledKernel,
    pub estimate: EstimateOutcome,
    pub copy_trap: CopyTrapVerdict,
}

/// The report of `family` on `target` at its default blocks, with the static estimate.
pub fn report(family: &dyn KernelFamily, target: &Target) -> Result<Report, CliError> {
    Plan::of(family, target, &family.default_blocks(target))?.compile(true)
}

impl Plan {
    /// Builds `family`'s kernels for `target` and `blocks`, checks alignment and budget.
    pub fn of(
        family: &dyn KernelFamily,
        target: &Target,
        blocks: &Blocks,
    ) -> Result<Plan, CliError> {
        let built = family
            .build(target, blocks)
            .map_err(|e| CliError::Build(e.to_string()))?;
        let budgets = check(target, &built)?;
        let relayouts = built
            .iter()
            .flat_map(|b| copy_trap::predict(target, &b.kernel))
            .map(|t| t.to_string())
            .collect();
        let warnings = built
            .iter()
            .flat_map(|b| {
                let traps = profiler_traps(&b.kernel, &b.info)
                    .into_iter()
                    .map(|t| t.to_string());
                traps.chain(
                    rules::mxu_advice(target, &b.kernel, &b.info)
                        .into_iter()
                        .map(|a| a.to_string()),
                )
            })
            .collect();
        let work = Work::of(family, &built);
        Ok(Plan {
            problem: family.describe(),
            target: target.clone(),
            blocks: blocks.clone(),
            built,
            budgets,
            relayouts,
            warnings,
            work,
        })
    }

    /// Compiles the plan with libtpu; with `static_profile`, takes the static estimate, and
    /// when the profiler aborts compiles again without it.
    pub fn compile(self, static_profile: bool) -> Result<Report, CliError> {
        let (compiled, estimate) = match compile_kernel(&self.built, &self.target, static_profile) {
            Ok(compiled) => {
                let estimate = match &compiled.output.profile {
                    Some(p) => EstimateOutcome::Taken(Estimate::new(
                        &self.target,
                        p.total_cycles(),
                        self.work,
                    )),
                    None => EstimateOutcome::NotRequested,
                };
                (compiled, estimate)
            }
            Err(CliError::Runtime(pallas_flash_runtime::Error::CompileCrashed {
                signal_name,
                stderr_tail,
                ..
            })) if static_profile => {
                let cause = stderr_tail
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                let compiled = compile_kernel(&self.built, &self.target, false)?;
                (
                    compiled,
                    EstimateOutcome::ProfilerAborted(format!("{signal_name}: {cause}")),
                )
            }
            Err(e) => return Err(e),
        };
        let copy_trap = CopyTrapVerdict::of(&compiled.output);
        Ok(Report {
            plan: self,
            compiled,
            estimate,
            copy_trap,
        })
    }

    /// The largest kernel budget: the kernels of one program run one after the other.
    pub fn peak_model_bytes(&self) -> u64 {
        self.budgets
            .iter()
            .map(VmemBudget::total)
            .max()
            .unwrap_or(0)
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let blocks: Vec<String> = self
            .blocks
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        writeln!(
            f,
            "kernel       {} on {}",
            self.problem, self.target.topology
        )?;
        if self.target.chips() > 1 {
            writeln!(f, "devices      one of the {} chips: these kernels are single-chip programs (decode sharded over chips is the library's flash_decoding::mesh_program)", self.target.chips())?;
        }
        for budget in &self.budgets {
            writeln!(
                f,
                "tiling       {}: grid {:?}, blocks {}, alignment ok",
                budget.kernel,
                budget.grid,
                blocks.join(" ")
            )?;
        }
        match self.relayouts.as_slice() {
            [] => writeln!(
                f,
                "relayouts    none predicted (every operand row-major and tile-aligned)"
            )?,
            traps => traps
                .iter()
                .try_for_each(|t| writeln!(f, "relayouts    predicted: {t}"))?,
        }
        self.warnings
            .iter()
            .try_for_each(|w| writeln!(f, "warning      {w}"))?;
        for budget in &self.budgets {
            writeln!(f)?;
            write!(f, "{budget}")?;
        }
        Ok(())
    }
}

impl Report {
    /// What libtpu said, after the plan.
    pub fn result(&self) -> String {
        let (c, plan) = (&self.compiled, &self.plan);
        let r = &c.output.report;
        let m = &r.memory_stats;
        let human = |bytes: i64| Bytes(u64::try_from(bytes).unwrap_or(0)).to_string();
        let mut lines = vec![
            format!(
                "compiled     {} in {:.0} ms (libtpu, deviceless)",
                r.name,
                r.compile_seconds * 1e3
            ),
            format!(
                "HBM          arguments {}, outputs {}, temporaries {}, code {}",
                human(m.argument_bytes),
                human(m.output_bytes),
                human(m.temp_bytes),
                human(m.generated_code_bytes)
            ),
            match c.used_vmem_bytes {
                Some(used) => format!(
                    "VMEM         libtpu allocated {} (model above: {})",
                    Bytes(used),
                    Bytes(plan.peak_model_bytes())
                ),
                None => "VMEM         libtpu reported no scoped VMEM use".to_string(),
            },
            format!("copy trap    {}", self.copy_trap),
        ];
        lines.push(match &self.estimate {
            EstimateOutcome::Taken(e) => format!("estimate     {}", e.summary()),
            EstimateOutcome::NotRequested => "estimate     not taken (--no-profile)".to_string(),
            EstimateOutcome::ProfilerAborted(cause) => format!(
                "estimate     unavailable: the static profiler aborted ({cause}); compiled again without it (see the warnings above and the README's troubleshooting)"
            ),
        });
        lines.join("\n") + "\n"
    }

    pub fn estimate(&self) -> Option<&Estimate> {
        match &self.estimate {
            EstimateOutcome::Taken(e) => Some(e),
            _ => None,
        }
    }

    /// The report as one JSON document; `kernel` is the name it was asked for by.
    pub fn to_json(&self, kernel: &str) -> serde_json::Value {
        let (plan, c, estimate) = (&self.plan, &self.compiled, self.estimate());
        json!({
            "kernel": kernel,
            "problem": plan.problem,
            "target": plan.target.name,
            "topology": plan.target.topology,
            "chips_used": 1,
            "chips_in_topology": plan.target.chips(),
            "blocks": plan.blocks.iter().copied().collect::<std::collections::BTreeMap<_, _>>(),
            "grid": plan.budgets.first().map(|b| &b.grid),
            "kernels": plan.budgets.iter().map(|b| json!({"name": b.kernel, "grid": b.grid, "vmem_model_bytes": b.total(), "vmem_limit_bytes": b.limit})).collect::<Vec<_>>(),
            "flops": plan.work.flops,
            "min_hbm_bytes": plan.work.min_hbm_bytes,
            "vmem_bytes": c.used_vmem_bytes,
            "vmem_model_bytes": plan.peak_model_bytes(),
            "vmem_limit_bytes": plan.budgets.first().map(|b| b.limit),
            "memory_stats": c.output.report.memory_stats,
            "compile_seconds": c.output.report.compile_seconds,
            "estimated_cycles": estimate.map(|e| e.estimated_cycles),
            "estimated_seconds": estimate.map(|e| e.estimated_seconds),
            "tflops": estimate.map(|e| e.tflops),
            "mfu": estimate.map(|e| e.mfu),
            "roofline_seconds": estimate.map(|e| e.floors.roofline_seconds),
            "model_floor_seconds": estimate.map(|e| e.floors.model_floor_seconds),
            "below_floor": estimate.map(|e| e.below_floor),
            "estimate_note": match &self.estimate {
                EstimateOutcome::ProfilerAborted(cause) => format!("estimate unavailable: the static profiler aborted ({cause})"),
                _ => "libtpu static estimate, not a measurement (docs/design.md §8)".to_string(),
            },
            "warnings": plan.warnings,
            "copy_trap_findings": self.copy_trap.findings(),
            "copy_trap_predicted": plan.relayouts,
            "copy_trap": self.copy_trap.to_string(),
            "serialized_bytes": c.output.report.serialized.len(),
        })
    }

    /// Writes kernel.mosaic.mlir, program.stablehlo.mlir, the optimized HLO (named like
    /// XLA's dumps, for `hlo-check`), hlo_module.pb, executable.bin and `report`.
    pub fn write_artifacts(&self, dir: &Path, report: &serde_json::Value) -> Result<(), CliError> {
        let c = &self.compiled;
        std::fs::create_dir_all(dir)
            .map_err(CliError::io(format!("cannot create {}", dir.display())))?;
        let report_text =
            serde_json::to_string_pretty(report).map_err(CliError::json("encoding the report"))?;
        let hlo_name = format!("kernel.{}", pallas_flash_hlo::dump::OPTIMIZED_SUFFIX);
        let files: [(&str, &[u8]); 6] = [
            ("kernel.mosaic.mlir", c.mosaic_text.as_bytes()),
            ("program.stablehlo.mlir", c.stablehlo.as_bytes()),
            (
                &hlo_name,
                c.output
                    .report
                    .optimized_hlo_text
                    .as_deref()
                    .unwrap_or_default()
                    .as_bytes(),
            ),
            ("hlo_module.pb", &c.output.report.hlo_module_proto),
            ("executable.bin", &c.output.report.serialized),
            ("report.json", report_text.as_bytes()),
        ];
        for (name, bytes) in files {
            let path = dir.join(name);
            std::fs::write(&path, bytes)
                .map_err(CliError::io(format!("cannot write {}", path.display())))?;
        }
        Ok(())
    }
}

impl fmt::Display for Report {
    /// The plan, then the result: what `pallas-flash compile` prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n{}", self.plan, self.result())
    }
}
