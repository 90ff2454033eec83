//! Debian packages: MLIR 22 for melior 0.27 (docs/design.md §4), libclang for `xtask bindings`,
//! and pip for the plugin wheels.

use crate::cmd;
use std::process::Command;

/// Packages a fresh Debian 12 needs. MLIR 22 comes from bookworm-security.
pub const PACKAGES: &[&str] = &[
    "libmlir-22-dev",
    "mlir-22-tools",
    "llvm-22-dev",
    "libpolly-22-dev",
    "libzstd-dev",
    "libclang1-22",
    "libclang-common-22-dev",
    "python3-pip",
];

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

/// `python3-pip` only matters when no pip is usable at all (e.g. pyenv ships its own).
fn needed(package: &str) -> bool {
    if package == "python3-pip" && cmd::available("python3", &["-m", "pip", "--version"]) {
        return false;
    }
    !installed(package)
}

/// Installs whatever is missing; does nothing (and says so) when all are present.
pub fn ensure_packages() -> Result<(), String> {
    let missing: Vec<&str> = PACKAGES.iter().copied().filter(|p| needed(p)).collect();
    if missing.is_empty() {
        println!("setup: apt packages present ({})", PACKAGES.len());
        return Ok(());
    }
    println!("setup: installing apt packages: {}", missing.join(" "));
    if !is_root() {
        return Err(format!(
            "these Debian packages are missing and installing them needs root: {0}\n\
             run `sudo apt-get install -y --no-install-recommends {0}` (bookworm-security must be \
             enabled for the -22 packages), then run this command again",
            missing.join(" ")
        ));
    }
    cmd::run(Command::new("apt-get").args(["update", "-q"]))?;
    cmd::run(
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&missing),
    )
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}
