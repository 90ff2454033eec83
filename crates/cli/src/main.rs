//! The `pallas-flash` command: one subcommand per module.

mod compile_stablehlo;
mod hlo_check;

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
    /// Lint XLA optimized-HLO dumps for copies, pads, transposes and slices around kernels.
    HloCheck(hlo_check::Args),
    /// Compile a StableHLO program for a TPU topology (no TPU needed) and print its report.
    CompileStablehlo(compile_stablehlo::Args),
    /// Internal: the isolated compile worker (reads a request on stdin).
    #[command(name = WORKER_SUBCOMMAND, hide = true)]
    Worker,
}

/// The hidden subcommand that makes this binary its own compile worker.
pub(crate) const WORKER_SUBCOMMAND: &str = "__compile-worker";

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::HloCheck(args) => hlo_check::run(&args),
        Command::CompileStablehlo(args) => compile_stablehlo::run(&args),
        Command::Worker => ExitCode::from(u8::try_from(pallas_flash::runtime::worker::serve()).unwrap_or(2)),
    }
}
