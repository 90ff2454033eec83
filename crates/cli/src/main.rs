//! The `pallas-flash` command: one subcommand per module.

mod bench;
mod catalog;
mod compile;
mod compile_stablehlo;
mod error;
mod estimate;
mod hlo_check;
mod libtpu;
mod run;
mod run_mosaic;
mod tune;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "pallas-flash",
    version,
    about = "Pallas-Flash kernel compiler tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build a catalog kernel, compile it for a TPU (no TPU needed) and report tiling, VMEM,
    /// memory, copy traps and libtpu's static estimate against the roofline.
    Compile(compile::Args),
    /// Search block sizes: tiling candidates ranked by a roofline, then libtpu estimates;
    /// cached, so a second run is instant.
    Tune(tune::Args),
    /// Peer table (ours vs JAX Pallas vs plain XLA) with economics, roofline plot and the
    /// memory wall; libtpu static estimates, not measurements. Takes minutes (--quick: less).
    Bench(bench::Args),
    /// Lint XLA optimized-HLO dumps for copies, pads, transposes and slices around kernels.
    HloCheck(hlo_check::Args),
    /// Compile a StableHLO program for a TPU topology (no TPU needed) and print its report.
    CompileStablehlo(compile_stablehlo::Args),
    /// Run a catalog kernel's Mosaic on the CPU (the emulator) and compare it with interpret.
    Run(run::Args),
    /// Run any Mosaic module (generic-form text, ours or dumped from JAX) on the CPU.
    RunMosaic(run_mosaic::Args),
    /// Internal: the isolated compile worker (reads a request on stdin).
    #[command(name = WORKER_SUBCOMMAND, hide = true)]
    Worker,
}

/// The hidden subcommand that makes this binary its own compile worker.
pub(crate) const WORKER_SUBCOMMAND: &str = "__compile-worker";

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Compile(args) => error::exit_code(compile::run(&args)),
        Command::Tune(args) => error::exit_code(tune::run(&args)),
        Command::Bench(args) => error::exit_code(bench::run(&args)),
        Command::HloCheck(args) => hlo_check::run(&args),
        Command::CompileStablehlo(args) => compile_stablehlo::run(&args),
        Command::Run(args) => error::exit_code(run::run(&args)),
        Command::RunMosaic(args) => error::exit_code(run_mosaic::run(&args)),
        Command::Worker => ExitCode::from(u8::try_from(pallas_flash::runtime::worker::serve()).unwrap_or(2)),
    }
}
