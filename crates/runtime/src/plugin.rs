//! Loading a PJRT plugin (`libtpu.so`, `xla_cpu_pjrt.so`) and initializing it once per process.

use crate::api::Api;
use crate::error::{Error, Result};
use crate::pinned::{self, PinnedPlugin};
use crate::sys::{self, args};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// Oldest C API this runtime accepts: the version of the header the bindings come from.
pub const MIN_API_VERSION: (i32, i32) = (sys::PJRT_API_MAJOR as i32, sys::PJRT_API_MINOR as i32);

/// Environment libtpu needs to compile with no TPU present (docs/design.md §6). Applied by
/// [`Plugin::libtpu`] for variables the user has not set; on a real TPU VM set
/// `PALLAS_FLASH_TPU_HOST=1` so libtpu talks to its metadata server as usual.
pub const DEVICELESS_ENV: &[(&str, &str)] = &[
    // Without it, initialize hangs on the cloud metadata server.
    ("TPU_SKIP_MDS_QUERY", "1"),
    ("TPU_ACCELERATOR_TYPE", "v5litepod-4"),
    ("TPU_WORKER_HOSTNAMES", "localhost"),
    // libtpu's multi-process lock file would fail a second process (parallel tests, workers).
    ("ALLOW_MULTIPLE_LIBTPU_LOAD", "1"),
];

/// A loaded, initialized PJRT plugin. Cheap to clone.
///
/// A plugin can be initialized only once per process and is never unloaded: loading the same
/// path twice returns the same plugin. All methods are thread-safe.
#[derive(Clone)]
pub struct Plugin {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    api: Api,
}

fn registry() -> &'static Mutex<HashMap<PathBuf, Plugin>> {
    static LOADED: OnceLock<Mutex<HashMap<PathBuf, Plugin>>> = OnceLock::new();
    LOADED.get_or_init(Default::default)
}

impl Plugin {
    /// The pinned libtpu (or `$PALLAS_FLASH_LIBTPU`), set up for deviceless compilation.
    pub fn libtpu() -> Result<Plugin> {
        if std::env::var_os("PALLAS_FLASH_TPU_HOST").is_none() {
            for (key, value) in DEVICELESS_ENV {
                if std::env::var_os(key).is_none() {
                    std::env::set_var(key, value);
                }
            }
        }
        Self::load_pinned(&pinned::LIBTPU)
    }

    /// The pinned OpenXLA CPU plugin (or `$PALLAS_FLASH_PJRT_CPU`).
    pub fn cpu() -> Result<Plugin> {
        Self::load_pinned(&pinned::XLA_CPU)
    }

    fn load_pinned(pin: &PinnedPlugin) -> Result<Plugin> {
        let path = pin.path();
        if !path.is_file() {
            return Err(Error::PluginMissing {
                path,
                env_var: pin.env_var.to_string(),
            });
        }
        Self::load(path)
    }

    /// dlopens `path`, checks its C API version and calls `PJRT_Plugin_Initialize`.
    pub fn load(path: impl AsRef<Path>) -> Result<Plugin> {
        let path = path.as_ref();
        let key = path.canonicalize().map_err(|_| Error::PluginMissing {
            path: path.to_path_buf(),
            env_var: "PALLAS_FLASH_LIBTPU / PALLAS_FLASH_PJRT_CPU".into(),
        })?;
        let mut loaded = registry().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(plugin) = loaded.get(&key) {
            return Ok(plugin.clone());
        }
        let load_error = |reason: String| Error::PluginLoad {
            path: key.clone(),
            reason,
        };
        // SAFETY: loading a PJRT plugin runs its initializers; that is what plugins are for.
        let library =
            unsafe { libloading::Library::new(&key) }.map_err(|e| load_error(e.to_string()))?;
        // SAFETY: `GetPjrtApi` is the documented entry point of every PJRT plugin.
        let raw = unsafe {
            let get_api: libloading::Symbol<unsafe extern "C" fn() -> *const sys::PJRT_Api> =
                library
                    .get(b"GetPjrtApi\0")
                    .map_err(|e| load_error(format!("not a PJRT plugin (no GetPjrtApi): {e}")))?;
            get_api()
        };
        if raw.is_null() {
            return Err(load_error("GetPjrtApi returned null".into()));
        }
        // The library must outlive every object it hands out: keep it loaded for good.
        std::mem::forget(library);
        // SAFETY: non-null, points into the library that is now never unloaded.
        let api = Api::new(unsafe { &*raw });
        let (found_major, found_minor) = api.version();
        if (found_major, found_minor) < MIN_API_VERSION {
            return Err(Error::ApiVersionTooOld {
                path: key,
                found_major,
                found_minor,
                required_major: MIN_API_VERSION.0,
                required_minor: MIN_API_VERSION.1,
            });
        }
        api.call(
            "PJRT_Plugin_Initialize",
            api.raw().PJRT_Plugin_Initialize,
            &mut args!(PJRT_Plugin_Initialize_Args {}),
        )?;
        let plugin = Plugin {
            inner: Arc::new(Inner {
                path: key.clone(),
                api,
            }),
        };
        loaded.insert(key, plugin.clone());
        Ok(plugin)
    }

    /// The plugin's PJRT C API version, `(major, minor)`.
    pub fn api_version(&self) -> (i32, i32) {
        self.inner.api.version()
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    pub(crate) fn api(&self) -> Api {
        self.inner.api
    }
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (major, minor) = self.api_version();
        write!(
            f,
            "Plugin({}, API {major}.{minor})",
            self.inner.path.display()
        )
    }
}
