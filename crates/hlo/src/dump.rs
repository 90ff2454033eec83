//! Finding the optimized-HLO files in an XLA dump directory.
//!
//! `--xla_dump_to` writes many files per module (before/after each pass, buffer
//! assignment, memory reports); only `*after_optimizations.txt` is the final program.

use std::io;
use std::path::{Path, PathBuf};

/// File-name suffix of XLA's final HLO text.
pub const OPTIMIZED_SUFFIX: &str = "after_optimizations.txt";

/// `path` itself if it is a file; otherwise every `*after_optimizations.txt` below it,
/// sorted. Symlinked directories are not followed, so a loop cannot trap the walk.
pub fn optimized_dumps(path: &Path) -> io::Result<Vec<PathBuf>> {
    if std::fs::metadata(path)?.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut found = Vec::new();
    let mut dirs = vec![path.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let p = entry.path();
            if kind.is_dir() {
                dirs.push(p);
            } else if p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(OPTIMIZED_SUFFIX))
            {
                found.push(p);
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_only_final_dumps_recursively() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("run1");
        std::fs::create_dir(&sub).unwrap();
        for name in [
            "module_0001.jit_f.before_optimizations.txt",
            "module_0001.jit_f.cpu_after_optimizations.txt",
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        std::fs::write(
            sub.join("module_0002.jit_g.tpu_after_optimizations.txt"),
            "",
        )
        .unwrap();
        std::fs::write(
            sub.join("module_0002.after_optimizations-buffer-assignment.txt"),
            "",
        )
        .unwrap();
        let found = optimized_dumps(dir.path()).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(optimized_dumps(&found[0]).unwrap(), vec![found[0].clone()]);
        assert!(optimized_dumps(&dir.path().join("missing")).is_err());
    }
}
