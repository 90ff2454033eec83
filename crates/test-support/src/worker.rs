//! The compile worker for tests that compile through libtpu, so a plain
//! `cargo test -p <crate>` works without building `pallas-flash-worker` first.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The worker's binary name (`pallas_flash_runtime::WORKER_BINARY`; not imported, so this
/// crate stays free of the runtime's dependencies).
const WORKER_BINARY: &str = "pallas-flash-worker";

/// Makes sure `pallas-flash-worker` is where `IsolatedCompiler::new` looks for it (the
/// directory above the test executable, where cargo puts binaries), building it with the
/// cargo that runs the tests if it is missing. `PALLAS_FLASH_WORKER`, when set, wins and
/// nothing is built. Panics with the command to run by hand if the build fails.
pub fn ensure_worker() {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    if let Err(message) = BUILT.get_or_init(build_if_missing) {
        panic!("{message}");
    }
}

fn build_if_missing() -> Result<(), String> {
    if std::env::var_os("PALLAS_FLASH_WORKER").is_some() {
        return Ok(());
    }
    let exe =
        std::env::current_exe().map_err(|e| format!("cannot locate the test executable: {e}"))?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("the test executable has no target directory")?;
    let worker = profile_dir.join(WORKER_BINARY);
    if worker.is_file() {
        return Ok(());
    }
    let cargo =
        std::env::var_os("CARGO").map_or_else(|| PathBuf::from(env!("CARGO")), PathBuf::from);
    let mut command = Command::new(&cargo);
    command.args([
        "build",
        "-p",
        "pallas-flash-runtime",
        "--bin",
        WORKER_BINARY,
    ]);
    if profile_dir
        .file_name()
        .is_some_and(|name| name == "release")
    {
        command.arg("--release");
    }
    let hint = format!(
        "{WORKER_BINARY} is missing from {} and building it failed; run \
         `cargo build -p pallas-flash-runtime --bin {WORKER_BINARY}` or set PALLAS_FLASH_WORKER",
        profile_dir.display()
    );
    let status = command
        .status()
        .map_err(|e| format!("{hint} ({} did not start: {e})", cargo.display()))?;
    if !status.success() || !worker.is_file() {
        return Err(format!("{hint} (cargo exited with {status})"));
    }
    Ok(())
}
