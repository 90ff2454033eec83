//! `cargo xtask <command>`: everything a fresh Debian 12 machine needs, in one place.
//!
//! * `setup`    — apt packages for MLIR 22 and the pinned PJRT plugin wheels (idempotent).
//! * `test`     — setup, then build and run every test of the workspace.
//! * `demo`     — setup, then the main job (compile FlashAttention-2 for TPU v5e, print its report).
//! * `bindings` — regenerate `crates/runtime/src/sys/bindings.rs` from the pinned CPU plugin's header.

mod apt;
mod bindings;
mod cmd;
mod plugins;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup(),
        Some("test") => setup().and_then(|()| test(&args[1..])),
        Some("demo") => setup().and_then(|()| demo(&args[1..])),
        Some("bindings") => bindings::regenerate(),
        Some("help") | Some("--help") | Some("-h") | None => {
            print!("{}", HELP);
            Ok(())
        }
        Some(other) => Err(format!("unknown xtask command `{other}`\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}

const HELP: &str = "\
usage: cargo xtask <command>

  setup      install the MLIR 22 apt packages and the pinned PJRT plugins (idempotent)
  test       setup + build + run every test in the workspace (extra args go to `cargo test`)
  demo       setup + compile FlashAttention-2 for TPU v5e and print its report
             (extra args run `pallas-flash <args>` instead)
  bindings   regenerate the PJRT C API bindings (needs libclang; installed by setup)
";

fn setup() -> Result<(), String> {
    apt::ensure_packages()?;
    plugins::ensure_all()?;
    println!("setup: done");
    Ok(())
}

fn test(extra: &[String]) -> Result<(), String> {
    // Benches are compiled (never run) so that they cannot rot.
    cmd::cargo(&["test", "--workspace", "--benches", "--no-run"], &[])?;
    let mut args = vec!["test", "--workspace"];
    args.extend(extra.iter().map(String::as_str));
    cmd::cargo(&args, &[])
}

/// The main job. Extra args replace the default `compile-stablehlo` invocation.
fn demo(extra: &[String]) -> Result<(), String> {
    // The dev profile shares its build with `cargo xtask test`; libtpu does the heavy work.
    let mut args = vec!["run", "--package", "pallas-flash", "--"];
    if extra.is_empty() {
        args.extend(DEMO_ARGS);
    } else {
        args.extend(extra.iter().map(String::as_str));
    }
    cmd::cargo(&args, &[])
}

/// FlashAttention-2 forward, causal, B=1 H=8 N=2048 D=128 bf16, for one v5e chip: tiling
/// plan, VMEM budget, libtpu compile, copy-trap verdict and static estimate.
const DEMO_ARGS: &[&str] = &["compile", "flash-attention", "--seq", "2048", "--causal", "--out", "target/demo"];
