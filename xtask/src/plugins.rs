//! The pinned PJRT plugin wheels: `pip download --no-deps`, sha256 check, unzip into the cache.

use crate::cmd;
use pallas_flash_runtime::pinned::{self, PinnedPlugin};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the repository root")
        .to_path_buf()
}

/// Downloads and unpacks every pinned plugin that is not already unpacked and verified.
pub fn ensure_all() -> Result<(), String> {
    for plugin in pinned::ALL {
        ensure(&plugin)?;
    }
    Ok(())
}

fn ensure(plugin: &PinnedPlugin) -> Result<(), String> {
    let unpacked = plugin.unpack_dir();
    let marker = unpacked.join(".sha256");
    if std::fs::read_to_string(&marker).is_ok_and(|s| s.trim() == plugin.sha256)
        && unpacked.join(plugin.library).is_file()
    {
        println!(
            "setup: {}=={} present in {}",
            plugin.project,
            plugin.version,
            unpacked.display()
        );
        return Ok(());
    }
    let wheel = download(plugin)?;
    println!(
        "setup: unpacking {} into {}",
        plugin.wheel,
        unpacked.display()
    );
    let _ = std::fs::remove_dir_all(&unpacked);
    std::fs::create_dir_all(&unpacked)
        .map_err(|e| format!("cannot create {}: {e}", unpacked.display()))?;
    unzip(&wheel, &unpacked)?;
    std::fs::write(&marker, plugin.sha256)
        .map_err(|e| format!("cannot write {}: {e}", marker.display()))
}

/// Unpacks a wheel (a zip) into `dir` with Python's `zipfile` (no `unzip` needed).
pub fn unzip(wheel: &Path, dir: &Path) -> Result<(), String> {
    cmd::run(
        Command::new("python3")
            .args(["-m", "zipfile", "-e"])
            .arg(wheel)
            .arg(dir),
    )
}

/// A wheel from PyPI pinned by file name and sha256 (a plugin's, or a tool's).
pub struct Wheel {
    pub project: &'static str,
    pub version: &'static str,
    pub wheel: &'static str,
    pub sha256: &'static str,
    /// `pip download --python-version/--platform`, for a wheel of another interpreter.
    pub target: Option<(&'static str, &'static str)>,
    /// What to do when the file on PyPI is not the pinned build.
    pub remedy: String,
}

impl From<&PinnedPlugin> for Wheel {
    fn from(plugin: &PinnedPlugin) -> Wheel {
        Wheel {
            project: plugin.project,
            version: plugin.version,
            wheel: plugin.wheel,
            sha256: plugin.sha256,
            target: Some((plugin.python_version, plugin.platform)),
            remedy: format!("point {} at a plugin you trust", plugin.env_var),
        }
    }
}

fn download(plugin: &PinnedPlugin) -> Result<PathBuf, String> {
    pinned_wheel(&Wheel::from(plugin))
}

/// Returns the verified wheel in the cache, downloading it with pip when absent or corrupt.
pub fn pinned_wheel(plugin: &Wheel) -> Result<PathBuf, String> {
    let wheels = pinned::cache_dir().join("wheels");
    let wheel = wheels.join(plugin.wheel);
    if wheel.is_file() && sha256_of(&wheel)? == plugin.sha256 {
        return Ok(wheel);
    }
    if !cmd::available("python3", &["-m", "pip", "--version"]) {
        return Err(
            "pip is not available (`python3 -m pip --version` failed): install it with \
                    `apt-get install python3-pip`, then run `cargo xtask setup` again"
                .into(),
        );
    }
    println!(
        "setup: downloading {}=={} ({}) from PyPI ...",
        plugin.project, plugin.version, plugin.wheel
    );
    cmd::run(
        Command::new("python3")
            .args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--progress-bar",
                "on",
            ])
            .args(plugin.target.iter().flat_map(|(python, platform)| {
                ["--python-version", python, "--platform", platform]
            }))
            .arg("--dest")
            .arg(&wheels)
            .arg(format!("{}=={}", plugin.project, plugin.version)),
    )?;
    if !wheel.is_file() {
        return Err(format!(
            "pip did not produce {} in {}; check the pinned wheel name in crates/runtime/src/pinned.rs",
            plugin.wheel,
            wheels.display()
        ));
    }
    let actual = sha256_of(&wheel)?;
    if actual != plugin.sha256 {
        return Err(format!(
            "sha256 mismatch for {}: expected {}, got {actual}. The file was removed; a proxy or \
             mirror may have served a different build. Run `cargo xtask setup` again, and if it \
             persists, {}",
            wheel.display(),
            plugin.sha256,
            plugin.remedy
        ))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&wheel);
        });
    }
    println!("setup: {} sha256 ok", plugin.wheel);
    Ok(wheel)
}

fn sha256_of(path: &Path) -> Result<String, String> {
    let mut file =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Path of the header the bindings come from, after setup.
#[cfg(feature = "bindgen")]
pub fn pjrt_header() -> PathBuf {
    pinned::XLA_CPU
        .unpack_dir()
        .join(pinned::HEADER_IN_CPU_WHEEL)
}
