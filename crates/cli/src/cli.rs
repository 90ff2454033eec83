//! The `pallas-flash` command, for the project's catalog or a user's own:
//! `main_with(Catalog::builtin())` is the `pallas-flash` binary; a user binary calling
//! `main_with(Catalog::empty().with_kernel("rmsnorm", my_kernel))` gets `compile`, `tune`
//! and the rest for its kernels (and serves as its own compile worker).

use std::process::ExitCode;
use std::sync::OnceLock;

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

pub use crate::catalog::{Catalog, Entry, Problem, ShapeArgs};
use crate::{bench, compile, compile_stablehlo, error, hlo_check, run, run_mosaic, tune};

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
    /// List the kernels of the catalog.
    Kernels,
    /// Peer table (ours vs JAX Pallas vs plain XLA) with economics, roofline plot and the
    /// memory wall; libtpu static estimates, not measurements. Takes minutes (--quick: less).
    Bench(bench::Args),
    /// Lint XLA optimized-HLO dumps for copies, pads, transposes and slices around kernels.
    HloCheck(hlo_check::Args),
    /// Compile a StableHLO program for a TPU topology (no TPU needed) and print its report.
    CompileStablehlo(compile_stablehlo::Args),
    /// Run a kernel's Mosaic on the CPU (the emulator) and compare it with interpret.
    Run(run::Args),
    /// Run any Mosaic module (generic-form text, ours or dumped from JAX) on the CPU.
    RunMosaic(run_mosaic::Args),
    /// Internal: the isolated compile worker (reads a request on stdin).
    #[command(name = WORKER_SUBCOMMAND, hide = true)]
    Worker,
}

/// The hidden subcommand that makes a `main_with` binary its own compile worker.
pub(crate) const WORKER_SUBCOMMAND: &str = "__compile-worker";

/// Set by [`main_with`]: this executable serves [`WORKER_SUBCOMMAND`].
static SELF_WORKER: OnceLock<()> = OnceLock::new();

/// Whether this process is a `main_with` binary (its compiles use itself as the worker).
pub(crate) fn is_self_worker() -> bool {
    SELF_WORKER.get().is_some()
}

/// Runs the command line over `catalog`'s kernels.
pub fn main_with(catalog: Catalog) -> ExitCode {
    let _ = SELF_WORKER.set(());
    let cli = Cli::from_arg_matches(&with_kernel_names(&catalog).get_matches())
        .unwrap_or_else(|e| e.exit());
    match cli.command {
        Command::Compile(args) => error::exit_code(compile::run(&catalog, &args)),
        Command::Tune(args) => error::exit_code(tune::run(&catalog, &args)),
        Command::Kernels => {
            println!("{}", catalog.help());
            ExitCode::SUCCESS
        }
        Command::Bench(args) => error::exit_code(bench::run(&args)),
        Command::HloCheck(args) => hlo_check::run(&args),
        Command::CompileStablehlo(args) => compile_stablehlo::run(&args),
        Command::Run(args) => error::exit_code(run::run(&catalog, &args)),
        Command::RunMosaic(args) => error::exit_code(run_mosaic::run(&args)),
        Command::Worker => {
            ExitCode::from(u8::try_from(pallas_flash_runtime::worker::serve()).unwrap_or(2))
        }
    }
}

/// The command line with `compile` and `tune` taking the catalog's kernel names (so a
/// wrong name is a usage error listing them, and `--help` describes each).
fn with_kernel_names(catalog: &Catalog) -> clap::Command {
    // clap keeps the names for the whole run, as `&'static str`: leak them once.
    let names: Vec<PossibleValue> = catalog
        .entries()
        .iter()
        .map(|e| {
            PossibleValue::new(&*Box::leak(e.name.clone().into_boxed_str()))
                .help(&*Box::leak(e.about.clone().into_boxed_str()))
        })
        .collect();
    ["compile", "tune"]
        .into_iter()
        .fold(Cli::command(), |command, sub| {
            command.mut_subcommand(sub, |c| {
                c.mut_arg("kernel", |a| {
                    a.value_parser(PossibleValuesParser::new(names.clone()))
                })
            })
        })
}
