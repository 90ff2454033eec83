//! `cargo xtask <command>`: everything a fresh Debian 12 machine needs, in one place.
//!
//! * `setup`    — apt packages for MLIR 22 and the pinned PJRT plugin wheels (idempotent).
//! * `test`     — setup, then `cargo fmt --check`, `cargo clippy -D warnings`, every test of the workspace, and the Python package's pytest suite.
//! * `wheel`    — setup, then build the `pallas-flash` Python wheel (maturin, pinned venv) into `target/wheels/`.
//! * `pytest`   — setup, wheel, install it into the pinned venv, run `python/tests` (the end of `test`).
//! * `demo`     — setup, then the main job (compile FA2 and FlashDecoding for v5e, hlo-check, recorded table).
//! * `bindings` — regenerate `crates/runtime/src/sys/bindings.rs` from the pinned CPU plugin's header.

mod apt;
mod bindings;
mod cmd;
mod plugins;
mod python;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup(),
        Some("test") => setup().and_then(|()| test(&args[1..])),
        Some("demo") => setup().and_then(|()| demo(&args[1..])),
        Some("wheel") => setup().and_then(|()| python::wheel().map(|_| ())),
        Some("pytest") => setup().and_then(|()| python::test()),
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
  test       setup + fmt check + clippy -D warnings + every test in the workspace, then the
             Python package's pytest suite in its pinned venv
             (extra args go to `cargo test`)
  wheel      setup + build the pallas-flash Python wheel (pyo3 + maturin) into target/wheels/
  pytest     setup + wheel + install it into the pinned venv + the Python tests (part of `test`)
  demo       setup + compile FlashAttention-2 and FlashDecoding for TPU v5e, check their HLO,
             show the recorded peer table
             (extra args run `pallas-flash <args>` instead)
  bindings   regenerate the PJRT C API bindings (needs libclang; installed by setup)
";

fn setup() -> Result<(), String> {
    ensure_style_tools()?;
    apt::ensure_packages()?;
    plugins::ensure_all()?;
    println!("setup: done");
    Ok(())
}

/// `cargo xtask test` gates on rustfmt and clippy; say so up front if the toolchain lacks them.
fn ensure_style_tools() -> Result<(), String> {
    for tool in ["fmt", "clippy"] {
        if !cmd::available("cargo", &[tool, "--version"]) {
            return Err(format!(
                "`cargo {tool}` is not installed; run `rustup component add rustfmt clippy`, then run this command again"
            ));
        }
    }
    Ok(())
}

fn test(extra: &[String]) -> Result<(), String> {
    // Style gates first: they are cheap, and a red one means nothing lands.
    cmd::cargo(&["fmt", "--all", "--", "--check"], &[])?;
    cmd::cargo(
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    // Benches are compiled (never run) so that they cannot rot.
    cmd::cargo(&["test", "--workspace", "--benches", "--no-run"], &[])?;
    let mut args = vec!["test", "--workspace"];
    args.extend(extra.iter().map(String::as_str));
    cmd::cargo(&args, &[])?;
    // The Python package: wheel, installed into its pinned venv, pytest.
    python::test()
}

/// The main job: with no args, the representative subset of the issue tracker's demo
/// (each step a `pallas-flash` command); with args, `pallas-flash <args>`.
fn demo(extra: &[String]) -> Result<(), String> {
    if !extra.is_empty() {
        return pallas_flash(&extra.iter().map(String::as_str).collect::<Vec<_>>());
    }
    let out = plugins::repo_root().join("target/demo");
    // hlo-check reads every dump below it: start from an empty directory.
    let _ = std::fs::remove_dir_all(&out);
    for step in DEMO_STEPS {
        pallas_flash(step)?;
    }
    // A downstream crate (runtime only, no MLIR) loads the compiled artifact.
    cmd::cargo(
        &[
            "build",
            "--quiet",
            "--package",
            "pallas-flash-runtime",
            "--bin",
            "pallas-flash-worker",
        ],
        &[],
    )?;
    cmd::cargo(
        &[
            "run",
            "--quiet",
            "--package",
            "pallas-flash-downstream-example",
            "--",
            "target/demo/flash-attention",
        ],
        &[],
    )?;
    for file in RECORDED_BENCH {
        let recorded = plugins::repo_root().join(file);
        let text = std::fs::read_to_string(&recorded)
            .map_err(|e| format!("cannot read {}: {e}", recorded.display()))?;
        println!("\n{text}");
    }
    Ok(())
}

/// Runs `pallas-flash <args>` in the dev profile, which shares its build with `cargo xtask test`.
fn pallas_flash(args: &[&str]) -> Result<(), String> {
    let mut all = vec!["run", "--quiet", "--package", "pallas-flash", "--"];
    all.extend(args);
    cmd::cargo(&all, &[])
}

/// FlashAttention-2 and FlashDecoding for one v5e chip (tiling plan, VMEM budget, libtpu
/// compile, copy-trap verdict, static estimate), then the copy-trap lint over their HLO.
const DEMO_STEPS: &[&[&str]] = &[
    &[
        "compile",
        "flash-attention",
        "--seq",
        "2048",
        "--causal",
        "--out",
        "target/demo/flash-attention",
    ],
    &[
        "compile",
        "flash-decoding",
        "--batch",
        "8",
        "--heads",
        "32",
        "--kv-heads",
        "8",
        "--kv-len",
        "32768",
        "--out",
        "target/demo/flash-decoding",
    ],
    &["hlo-check", "target/demo"],
];

/// Recorded results printed at the end of the demo (each labelled as recorded): the last full
/// `pallas-flash bench` run, then the decode block change measured after it, which supersedes
/// its decode rows.
const RECORDED_BENCH: [&str; 2] = [
    "benches/results/2026-12-02-v5e-libtpu-0.0.52.txt",
    "benches/results/2026-12-02-decode-blocks-v5e-libtpu-0.0.52.txt",
];
