//! A downstream user of a compiled kernel: no DSL, no MLIR, only `pallas-flash-runtime`.
//!
//! `pallas-flash compile <kernel> --out DIR` writes `program.stablehlo.mlir`, a StableHLO
//! program whose `tpu_custom_call` carries the serialized Mosaic kernel. This binary loads
//! that artifact and compiles it for a TPU topology — here deviceless, for v5e; on a TPU VM
//! the same program goes to `Client::compile` and runs (see README.md).
//!
//! Usage: `pallas-flash-downstream-example DIR [TOPOLOGY]` (default `v5e:1x1`).

use pallas_flash_runtime::{CompileOptions, CompileRequest, IsolatedCompiler, Program};
use std::process::ExitCode;

/// The artifact `pallas-flash compile --out DIR` writes for this purpose.
const PROGRAM_FILE: &str = "program.stablehlo.mlir";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: pallas-flash-downstream-example DIR [TOPOLOGY]\n  DIR: the --out directory of `pallas-flash compile`");
        return ExitCode::from(2);
    };
    let topology = args.next().unwrap_or_else(|| "v5e:1x1".to_string());
    match run(&dir, &topology) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(dir: &str, topology: &str) -> Result<(), String> {
    let path = std::path::Path::new(dir).join(PROGRAM_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "cannot read {}: {e} (run `pallas-flash compile <kernel> --out {dir}` first)",
            path.display()
        )
    })?;
    // A kernel is untrusted input for libtpu: compile it in a worker process.
    let worker = IsolatedCompiler::new().map_err(|e| e.to_string())?;
    let request = CompileRequest::new(
        topology,
        &Program::mlir_text(text),
        CompileOptions::default(),
    );
    let output = worker.compile(&request).map_err(|e| e.to_string())?;
    let report = output.report;
    let stats = report.memory_stats;
    println!("loaded       {}", path.display());
    println!(
        "compiled     {} for {topology} in {:.0} ms (deviceless)",
        report.name,
        report.compile_seconds * 1e3
    );
    println!(
        "HBM          arguments {} B, outputs {} B, temporaries {} B",
        stats.argument_bytes, stats.output_bytes, stats.temp_bytes
    );
    println!(
        "executable   {} bytes serialized (what a TPU host would load)",
        report.serialized.len()
    );
    Ok(())
}
