//! Checking many dumps: a CI job's `--xla_dump_to` directory can hold gigabytes.
//!
//! Each worker thread takes the next file, reads, parses and lints it, and drops the
//! module; only the small reports are kept. Memory therefore stays at about one dump per
//! thread however large the directory, and the threads share the work file by file.

use crate::lint::{lint, LintOptions, Report};
use crate::module::HloModule;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

/// One dump's outcome: its report, or why it could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checked {
    pub path: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<Report>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How far a check has come, for a progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    /// Bytes of dump text read so far.
    pub bytes: u64,
}

/// Reads, parses and lints `path`.
pub fn check_one(path: PathBuf, options: &LintOptions) -> (Checked, u64) {
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            let error = Some(format!("cannot read: {e}"));
            return (
                Checked {
                    path,
                    report: None,
                    error,
                },
                0,
            );
        }
    };
    let checked = match HloModule::parse(&text) {
        Ok(module) => Checked {
            report: Some(lint(&module, options)),
            error: None,
            path,
        },
        Err(e) => Checked {
            report: None,
            error: Some(e.to_string()),
            path,
        },
    };
    (checked, text.len() as u64)
}

/// Checks every path on `threads` threads (at least one) and returns the outcomes in
/// the order of `paths`. `progress` is called after each dump, from the worker threads.
pub fn check_all(
    paths: &[PathBuf],
    options: &LintOptions,
    threads: usize,
    progress: &(dyn Fn(Progress) + Sync),
) -> Vec<Checked> {
    let total = paths.len();
    let results: Vec<Mutex<Option<Checked>>> = (0..total).map(|_| Mutex::new(None)).collect();
    let (next, done, bytes) = (AtomicUsize::new(0), AtomicUsize::new(0), AtomicU64::new(0));
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, total.max(1)) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = paths.get(index) else { break };
                let (checked, read) = check_one(path.clone(), options);
                *lock(&results[index]) = Some(checked);
                progress(Progress {
                    done: done.fetch_add(1, Ordering::Relaxed) + 1,
                    total,
                    bytes: bytes.fetch_add(read, Ordering::Relaxed) + read,
                });
            });
        }
    });
    results
        .into_iter()
        .filter_map(|r| r.into_inner().unwrap_or_else(|p| p.into_inner()))
        .collect()
}

/// A poisoned lock only means another worker panicked; the data is still whole.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_in_order_on_any_number_of_threads() {
        let dir = tempfile::tempdir().unwrap();
        let good = "HloModule m\n\nENTRY %e (x: f32[8]) -> f32[8] {\n  ROOT %x = f32[8]{0} parameter(0)\n}\n";
        let mut paths = Vec::new();
        for i in 0..7 {
            let path = dir.path().join(format!("{i}.after_optimizations.txt"));
            std::fs::write(&path, if i == 3 { "not hlo" } else { good }).unwrap();
            paths.push(path);
        }
        paths.push(dir.path().join("missing.after_optimizations.txt"));
        let calls = AtomicUsize::new(0);
        for threads in [0, 1, 2, 16] {
            let out = check_all(&paths, &LintOptions::default(), threads, &|p| {
                assert!(p.done <= p.total && p.total == 8);
                calls.fetch_add(1, Ordering::Relaxed);
            });
            let names: Vec<_> = out.iter().map(|c| c.path.clone()).collect();
            assert_eq!(names, paths);
            let errors: Vec<bool> = out.iter().map(|c| c.error.is_some()).collect();
            assert_eq!(
                errors,
                [false, false, false, true, false, false, false, true]
            );
        }
        assert_eq!(calls.load(Ordering::Relaxed), 4 * 8);
        assert!(check_all(&[], &LintOptions::default(), 2, &|_| {}).is_empty());
    }
}
