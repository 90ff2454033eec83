//! `pallas-flash compile <kernel>`: build a catalog kernel, check its tiling and VMEM
//! budget, compile it with libtpu (deviceless, in a worker), and report memory stats, the
//! copy-trap verdict and the static estimate against the roofline.

use std::path::{Path, PathBuf};

use pallas_flash::tiling::budget::VmemBudget;
use pallas_flash::tiling::copy_trap;
use serde_json::json;

use crate::catalog::{KernelName, Problem, ShapeArgs, TargetSpec};
use crate::error::CliError;
use crate::estimate::{Estimate, Work};
use crate::libtpu::{compile_kernel, CompiledKernel, CopyTrapVerdict};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Kernel from the catalog.
    pub kernel: KernelName,
    #[command(flatten)]
    pub shape: ShapeArgs,
    /// Skip libtpu's static cycle estimate (faster; no cycles, MFU or roofline ratio).
    #[arg(long = "no-profile")]
    pub no_profile: bool,
    /// Print the report as one JSON document.
    #[arg(long)]
    pub json: bool,
    /// Write the artifacts here: kernel.mosaic.mlir, program.stablehlo.mlir,
    /// kernel.after_optimizations.txt (for hlo-check), hlo_module.pb, executable.bin, report.json.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: &Args) -> Result<(), CliError> {
    let problem = Problem::from_args(args.kernel, &args.shape)?;
    let built = problem.build()?;
    let chip = &args.shape.target.chip;
    let budgets = built.check(chip)?;
    let predicted: Vec<String> = built.kernels.iter().flat_map(|k| copy_trap::predict(chip, &k.kernel)).map(|t| t.to_string()).collect();
    if !args.json {
        print_plan(&problem, &args.shape.target, &budgets, &predicted);
    }
    let compiled = compile_kernel(&built, &args.shape.target.topology, !args.no_profile)?;
    let work = Work { flops: problem.flops(), min_hbm_bytes: problem.min_hbm_bytes() };
    let estimate = compiled.output.profile.as_ref().map(|p| Estimate::new(chip, p.total_cycles(), work));
    let verdict = CopyTrapVerdict::of(&compiled.output);
    let report = json_report(&problem, args, &budgets, &compiled, estimate.as_ref(), &verdict, &predicted);
    if let Some(dir) = &args.out {
        write_artifacts(dir, &compiled, &report)?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).map_err(CliError::json("encoding the report"))?);
    } else {
        print_result(&compiled, estimate.as_ref(), &verdict, &budgets, args.out.as_deref());
    }
    Ok(())
}

fn print_plan(problem: &Problem, target: &TargetSpec, budgets: &[VmemBudget], predicted: &[String]) {
    let blocks: Vec<String> = problem.blocks().iter().map(|(n, v)| format!("{n}={v}")).collect();
    println!("kernel       {} on {}", problem.describe(), target.topology);
    if target.chips() > 1 {
        println!(
            "devices      one of the {} chips: catalog kernels are single-chip programs (decode sharded over chips is the library's flash_decoding::mesh_program)",
            target.chips()
        );
    }
    for budget in budgets {
        println!("tiling       {}: grid {:?}, blocks {}, alignment ok", budget.kernel, budget.grid, blocks.join(" "));
    }
    match predicted {
        [] => println!("relayouts    none predicted (every operand row-major and tile-aligned)"),
        traps => traps.iter().for_each(|t| println!("relayouts    predicted: {t}")),
    }
    for budget in budgets {
        println!();
        print!("{budget}");
    }
    println!();
}

/// The largest kernel budget: the kernels of one program run one after the other.
fn peak_model(budgets: &[VmemBudget]) -> u64 {
    budgets.iter().map(VmemBudget::total).max().unwrap_or(0)
}

fn print_result(c: &CompiledKernel, estimate: Option<&Estimate>, verdict: &CopyTrapVerdict, budgets: &[VmemBudget], out: Option<&Path>) {
    let r = &c.output.report;
    let m = &r.memory_stats;
    println!("compiled     {} in {:.0} ms (libtpu, deviceless)", r.name, r.compile_seconds * 1e3);
    println!(
        "HBM          arguments {}, outputs {}, temporaries {}, code {}",
        human(m.argument_bytes),
        human(m.output_bytes),
        human(m.temp_bytes),
        human(m.generated_code_bytes)
    );
    match c.used_vmem_bytes {
        Some(used) => println!(
            "VMEM         libtpu allocated {} (model above: {})",
            pallas_flash::tiling::report::Bytes(used),
            pallas_flash::tiling::report::Bytes(peak_model(budgets))
        ),
        None => println!("VMEM         libtpu reported no scoped VMEM use"),
    }
    println!("copy trap    {verdict}");
    match estimate {
        Some(e) => println!("estimate     {}", e.summary()),
        None => println!("estimate     not taken (--no-profile)"),
    }
    if let Some(dir) = out {
        println!("artifacts    {}", dir.display());
    }
}

fn human(bytes: i64) -> String {
    pallas_flash::tiling::report::Bytes(u64::try_from(bytes).unwrap_or(0)).to_string()
}

fn json_report(
    problem: &Problem,
    args: &Args,
    budgets: &[VmemBudget],
    c: &CompiledKernel,
    estimate: Option<&Estimate>,
    verdict: &CopyTrapVerdict,
    predicted: &[String],
) -> serde_json::Value {
    json!({
        "kernel": problem.kernel_name(),
        "problem": problem.describe(),
        "target": args.shape.target.chip.name,
        "topology": args.shape.target.topology,
        "chips_used": 1,
        "chips_in_topology": args.shape.target.chips(),
        "blocks": problem.blocks().into_iter().collect::<std::collections::BTreeMap<_, _>>(),
        "grid": budgets.first().map(|b| &b.grid),
        "kernels": budgets.iter().map(|b| json!({"name": b.kernel, "grid": b.grid, "vmem_model_bytes": b.total(), "vmem_limit_bytes": b.limit})).collect::<Vec<_>>(),
        "flops": problem.flops(),
        "min_hbm_bytes": problem.min_hbm_bytes(),
        "vmem_bytes": c.used_vmem_bytes,
        "vmem_model_bytes": peak_model(budgets),
        "vmem_limit_bytes": budgets.first().map(|b| b.limit),
        "memory_stats": c.output.report.memory_stats,
        "compile_seconds": c.output.report.compile_seconds,
        "estimated_cycles": estimate.map(|e| e.estimated_cycles),
        "estimated_seconds": estimate.map(|e| e.estimated_seconds),
        "tflops": estimate.map(|e| e.tflops),
        "mfu": estimate.map(|e| e.mfu),
        "roofline_seconds": estimate.map(|e| e.floors.roofline_seconds),
        "model_floor_seconds": estimate.map(|e| e.floors.model_floor_seconds),
        "below_floor": estimate.map(|e| e.below_floor),
        "estimate_note": "libtpu static estimate, not a measurement (docs/design.md §8)",
        "copy_trap_findings": verdict.findings(),
        "copy_trap_predicted": predicted,
        "copy_trap": verdict.to_string(),
        "serialized_bytes": c.output.report.serialized.len(),
    })
}

fn write_artifacts(dir: &Path, c: &CompiledKernel, report: &serde_json::Value) -> Result<(), CliError> {
    std::fs::create_dir_all(dir).map_err(CliError::io(format!("cannot create {}", dir.display())))?;
    let report_text = serde_json::to_string_pretty(report).map_err(CliError::json("encoding the report"))?;
    // Named like XLA's dumps, so `pallas-flash hlo-check <dir>` finds it.
    let hlo_name = format!("kernel.{}", pallas_flash::hlo::dump::OPTIMIZED_SUFFIX);
    let files: [(&str, &[u8]); 6] = [
        ("kernel.mosaic.mlir", c.mosaic_text.as_bytes()),
        ("program.stablehlo.mlir", c.stablehlo.as_bytes()),
        (&hlo_name, c.output.report.optimized_hlo_text.as_deref().unwrap_or_default().as_bytes()),
        ("hlo_module.pb", &c.output.report.hlo_module_proto),
        ("executable.bin", &c.output.report.serialized),
        ("report.json", report_text.as_bytes()),
    ];
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(CliError::io(format!("cannot write {}", path.display())))?;
    }
    Ok(())
}
