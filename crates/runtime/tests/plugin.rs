//! Plugin loading: clear errors for missing files and non-plugins; one init per process.

use pallas_flash_runtime::{Error, Plugin};

#[test]
fn a_missing_plugin_names_the_env_var_and_setup() {
    let err = Plugin::load("/nonexistent/libtpu.so").err().unwrap();
    assert!(matches!(err, Error::PluginMissing { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("cargo xtask setup") && text.contains("PALLAS_FLASH_LIBTPU"),
        "{text}"
    );
}

#[test]
fn a_library_that_is_not_a_plugin_is_refused() {
    let libm = [
        "/lib/x86_64-linux-gnu/libm.so.6",
        "/usr/lib/x86_64-linux-gnu/libm.so.6",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists())
    .expect("Debian ships libm");
    let err = Plugin::load(libm).err().unwrap();
    assert!(
        matches!(&err, Error::PluginLoad { reason, .. } if reason.contains("GetPjrtApi")),
        "{err:?}"
    );
}

#[test]
fn loading_twice_returns_the_initialized_plugin() {
    let first = Plugin::cpu().unwrap();
    let second = Plugin::load(first.path()).unwrap();
    assert_eq!(first.api_version(), second.api_version());
    assert!(first.api_version() >= pallas_flash_runtime::MIN_API_VERSION);
}
