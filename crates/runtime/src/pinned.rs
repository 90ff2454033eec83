//! The PJRT plugins this project is tested against, pinned by version and sha256.
//!
//! `cargo xtask setup` downloads exactly these wheels into [`cache_dir`]; [`PinnedPlugin::path`]
//! is where [`crate::Plugin::libtpu`] and [`crate::Plugin::cpu`] look unless the plugin's
//! environment variable points elsewhere.

use std::path::PathBuf;

/// One plugin wheel from PyPI and the shared library inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinnedPlugin {
    /// PyPI project name.
    pub project: &'static str,
    pub version: &'static str,
    /// The exact wheel file `pip download` must produce.
    pub wheel: &'static str,
    /// Python tags `pip download` needs to pick that wheel on any interpreter.
    pub python_version: &'static str,
    pub platform: &'static str,
    pub sha256: &'static str,
    /// Path of the PJRT shared library inside the unpacked wheel.
    pub library: &'static str,
    /// Environment variable that overrides the library path.
    pub env_var: &'static str,
}

/// Google's TPU compiler and runtime; compiles deviceless for any TPU topology.
pub const LIBTPU: PinnedPlugin = PinnedPlugin {
    project: "libtpu",
    version: "0.0.52",
    wheel: "libtpu-0.0.52-cp311-cp311-manylinux_2_31_x86_64.whl",
    python_version: "3.11",
    platform: "manylinux_2_31_x86_64",
    sha256: "f5e2e596eaea9357fbb5a6755a7a9007c6ab75bfde4a55191b03eff402971140",
    library: "libtpu/libtpu.so",
    env_var: "PALLAS_FLASH_LIBTPU",
};

/// OpenXLA's CPU plugin; runs the interpret lowering for numerics. Ships `pjrt_c_api.h`.
pub const XLA_CPU: PinnedPlugin = PinnedPlugin {
    project: "xla-cpu-pjrt",
    version: "0.0.1",
    wheel: "xla_cpu_pjrt-0.0.1-py3-none-manylinux_2_27_x86_64.whl",
    python_version: "3.11",
    platform: "manylinux_2_27_x86_64",
    sha256: "55837b6b7b47daa717f2d9a5a03563ea0ceaa338d06a81a1e2d3f060d960decc",
    library: "xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so",
    env_var: "PALLAS_FLASH_PJRT_CPU",
};

/// Header the committed bindings were generated from (inside the unpacked CPU wheel).
pub const HEADER_IN_CPU_WHEEL: &str = "xla_plugins/xla_cpu_pjrt/include/pjrt_c_api.h";

pub const ALL: [PinnedPlugin; 2] = [LIBTPU, XLA_CPU];

/// Root of the download cache: `$PALLAS_FLASH_CACHE`, else `$XDG_CACHE_HOME/pallas-flash`,
/// else `~/.cache/pallas-flash`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PALLAS_FLASH_CACHE") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    base.join("pallas-flash")
}

impl PinnedPlugin {
    /// Directory the wheel is unpacked into.
    pub fn unpack_dir(&self) -> PathBuf {
        cache_dir()
            .join("plugins")
            .join(format!("{}-{}", self.project, self.version))
    }

    /// The library to load: the env override if set, else the unpacked pinned wheel.
    pub fn path(&self) -> PathBuf {
        match std::env::var_os(self.env_var) {
            Some(path) if !path.is_empty() => PathBuf::from(path),
            _ => self.unpack_dir().join(self.library),
        }
    }
}
