//! Golden text files: compare, or re-bless with `UPDATE_GOLDEN=1` after reviewing the diff.

use std::path::{Path, PathBuf};

/// The repository's `golden/` directory.
pub fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../golden")
}

/// Compares every `(path, text)` with its file, or writes them all when `UPDATE_GOLDEN` is
/// set; returns the stale or missing paths (empty when everything matched).
pub fn stale_goldens(files: impl IntoIterator<Item = (PathBuf, String)>) -> Vec<String> {
    let bless = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut stale = Vec::new();
    for (path, text) in files {
        if bless {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).expect("creating the golden directory");
            }
            std::fs::write(&path, &text).expect("writing a golden file");
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    stale
}
