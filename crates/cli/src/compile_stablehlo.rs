//! `pallas-flash compile-stablehlo`: compile any StableHLO program for a TPU topology with
//! no TPU present (libtpu's deviceless compile, in a worker process) and print its report:
//! memory stats, cost analysis, static cycle estimate, and the copy-trap lint.

use crate::libtpu::{compile_program, CopyTrapVerdict};
use pallas_flash::runtime::{CompileOptions, WorkerOutput};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// StableHLO as MLIR text or bytecode.
    program: PathBuf,
    /// libtpu topology name: v5e:1x1, v5e:2x2, v6e:1x1, v5p:2x2x1, v4:2x2x1, …
    #[arg(long, default_value = "v5e:1x1")]
    topology: String,
    /// SPMD partitions (the program must carry sharding annotations when > 1).
    #[arg(long, default_value_t = 1)]
    partitions: u32,
    /// Take libtpu's static cycle estimate (slower; an estimate, not a measurement).
    #[arg(long)]
    profile: bool,
    /// Extra XLA flag for this compile, `name=value` (repeatable), e.g. xla_msa_enable=false.
    #[arg(long = "xla-flag", value_parser = parse_flag)]
    xla_flags: Vec<(String, String)>,
    /// Write the optimized HLO and the serialized executable into this directory.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_flag(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.trim_start_matches('-').to_string(), v.to_string()))
        .ok_or_else(|| format!("expected name=value, got `{text}`"))
}

pub fn run(args: &Args) -> ExitCode {
    match compile(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn compile(args: &Args) -> Result<(), String> {
    let code = std::fs::read(&args.program)
        .map_err(|e| format!("cannot read {}: {e}", args.program.display()))?;
    let mut options = if args.partitions > 1 {
        CompileOptions::spmd(args.partitions)
    } else {
        CompileOptions::default()
    };
    for (name, value) in &args.xla_flags {
        options = match value.as_str() {
            "true" | "false" => options.flag(name, value == "true"),
            _ => match value.parse::<i64>() {
                Ok(int) => options.flag(name, int),
                Err(_) => options.flag(name, value.as_str()),
            },
        };
    }
    let output =
        compile_program(code, &args.topology, options, args.profile).map_err(|e| e.to_string())?;
    if let Some(dir) = &args.out {
        write_artifacts(dir, &output)?;
    }
    // Cycles → seconds at the clock of the topology's chip (the same profile `compile` uses).
    let clock_hz = args
        .topology
        .parse::<pallas_flash::tiling::Target>()
        .map_err(|e| e.to_string())?
        .clock_hz();
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json_report(args, &output, clock_hz))
                .map_err(|e| e.to_string())?
        );
    } else {
        print_report(args, &output, clock_hz);
    }
    Ok(())
}

fn write_artifacts(dir: &std::path::Path, output: &WorkerOutput) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let write = |name: &str, bytes: &[u8]| {
        std::fs::write(dir.join(name), bytes)
            .map_err(|e| format!("cannot write {}: {e}", dir.join(name).display()))
    };
    write(
        "optimized_hlo.txt",
        output
            .report
            .optimized_hlo_text
            .as_deref()
            .unwrap_or_default()
            .as_bytes(),
    )?;
    write("executable.bin", &output.report.serialized)?;
    write("hlo_module.pb", &output.report.hlo_module_proto)
}

fn print_report(args: &Args, output: &WorkerOutput, clock_hz: f64) {
    let r = &output.report;
    let m = &r.memory_stats;
    println!("program      {}", args.program.display());
    println!(
        "topology     {} ({} partition(s))",
        args.topology, args.partitions
    );
    println!(
        "compiled     {} in {:.0} ms",
        r.name,
        r.compile_seconds * 1e3
    );
    println!(
        "memory       arguments {} B, outputs {} B, temporaries {} B, code {} B",
        m.argument_bytes, m.output_bytes, m.temp_bytes, m.generated_code_bytes
    );
    for key in [
        "flops",
        "bytes accessed",
        "transcendentals",
        "optimal_seconds",
    ] {
        if let Some(value) = r.cost_analysis.get(key).and_then(|v| v.as_f64()) {
            println!("cost         {key}: {value}");
        }
    }
    match &output.profile {
        Some(profile) => {
            let seconds = profile.seconds_at(clock_hz);
            println!(
                "estimate     {} cycles ≈ {:.2} µs at {:.3} GHz (libtpu static estimate, not a measurement)",
                profile.total_cycles(),
                seconds * 1e6,
                clock_hz / 1e9
            );
            for op in &profile.ops {
                println!(
                    "               {:>12} cycles  {}",
                    op.estimated_cycles, op.hlo_op_name
                );
            }
        }
        None => println!("estimate     not requested (--profile)"),
    }
    println!("copy trap    {}", CopyTrapVerdict::of(output));
    println!("executable   {} bytes serialized", r.serialized.len());
}

fn json_report(args: &Args, output: &WorkerOutput, clock_hz: f64) -> serde_json::Value {
    let r = &output.report;
    serde_json::json!({
        "program": args.program,
        "topology": args.topology,
        "partitions": args.partitions,
        "compile_seconds": r.compile_seconds,
        "memory_stats": r.memory_stats,
        "cost_analysis": r.cost_analysis.iter().filter_map(|(k, v)| v.as_f64().map(|f| (k.clone(), f))).collect::<std::collections::BTreeMap<_, _>>(),
        "estimated_cycles": output.profile.as_ref().map(|p| p.total_cycles()),
        "estimated_seconds": output.profile.as_ref().map(|p| p.seconds_at(clock_hz)),
        "profile": output.profile,
        "copy_trap": CopyTrapVerdict::of(output).to_string(),
        "serialized_bytes": r.serialized.len(),
    })
}
