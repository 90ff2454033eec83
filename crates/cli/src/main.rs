//! The `pallas-flash` command: one subcommand per module.

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
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::HloCheck(args) => hlo_check::run(&args),
    }
}
