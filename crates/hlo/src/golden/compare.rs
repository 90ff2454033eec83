//! Comparing facts with a golden file, and re-blessing it on request.

use similar::TextDiff;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Set to `1` to rewrite golden files instead of failing on a difference.
pub const UPDATE_ENV: &str = "UPDATE_GOLDEN";

/// A folder of golden files, one `<case>.txt` per case.
#[derive(Debug, Clone)]
pub struct Golden {
    dir: PathBuf,
}

/// What a check did when it did not fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Matched,
    /// The file was (re)written; `diff` is what changed, for the log.
    Blessed {
        path: PathBuf,
        diff: String,
    },
}

#[derive(Debug, Error)]
pub enum GoldenError {
    #[error("golden case name {0:?} must be letters, digits, '_', '-' or '.'")]
    BadCase(String),
    #[error("no golden file {path}; create it with {UPDATE_ENV}=1")]
    Missing { path: PathBuf },
    #[error(
        "{path} differs from the actual facts (re-bless with {UPDATE_ENV}=1 after review):\n{diff}"
    )]
    Mismatch { path: PathBuf, diff: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Golden {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn path(&self, case: &str) -> Result<PathBuf, GoldenError> {
        let ok = !case.is_empty()
            && !case.starts_with('.')
            && case
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if ok {
            Ok(self.dir.join(format!("{case}.txt")))
        } else {
            Err(GoldenError::BadCase(case.to_string()))
        }
    }

    /// Compares `actual` with the golden for `case`, blessing it when `UPDATE_GOLDEN=1`.
    pub fn check(&self, case: &str, actual: &str) -> Result<Outcome, GoldenError> {
        let bless = std::env::var(UPDATE_ENV).is_ok_and(|v| v == "1");
        self.check_with(case, actual, bless)
    }

    /// [`Golden::check`] with the bless decision made by the caller.
    pub fn check_with(
        &self,
        case: &str,
        actual: &str,
        bless: bool,
    ) -> Result<Outcome, GoldenError> {
        let path = self.path(case)?;
        let expected = match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => return Err(GoldenError::Io { path, source }),
        };
        if expected.as_deref() == Some(actual) {
            return Ok(Outcome::Matched);
        }
        let diff = diff(expected.as_deref().unwrap_or(""), actual, &path);
        match (bless, expected) {
            (true, _) => {
                write(&path, actual)?;
                Ok(Outcome::Blessed { path, diff })
            }
            (false, None) => Err(GoldenError::Missing { path }),
            (false, Some(_)) => Err(GoldenError::Mismatch { path, diff }),
        }
    }
}

fn write(path: &Path, text: &str) -> Result<(), GoldenError> {
    let io = |source| GoldenError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    std::fs::write(path, text).map_err(io)
}

/// A unified diff from `expected` (the golden file at `path`) to `actual`.
pub fn diff(expected: &str, actual: &str, path: &Path) -> String {
    let name = path.display().to_string();
    TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(2)
        .header(&format!("{name} (golden)"), &format!("{name} (actual)"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_mismatch_bless_match() {
        let dir = tempfile::tempdir().unwrap();
        let golden = Golden::new(dir.path());
        assert!(matches!(
            golden.check_with("k", "a\n", false),
            Err(GoldenError::Missing { .. })
        ));
        assert!(matches!(
            golden.check_with("k", "a\n", true),
            Ok(Outcome::Blessed { .. })
        ));
        assert_eq!(
            golden.check_with("k", "a\n", false).unwrap(),
            Outcome::Matched
        );
        let Err(GoldenError::Mismatch { diff, .. }) = golden.check_with("k", "b\n", false) else {
            panic!("expected a mismatch");
        };
        assert!(diff.contains("-a\n") && diff.contains("+b\n"), "{diff}");
        let Ok(Outcome::Blessed { diff, .. }) = golden.check_with("k", "b\n", true) else {
            panic!("expected a bless");
        };
        assert!(diff.contains("+b\n"));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("k.txt")).unwrap(),
            "b\n"
        );
    }

    #[test]
    fn case_names_cannot_escape_the_folder() {
        let golden = Golden::new("golden/hlo");
        for bad in ["", "../x", "a/b", ".hidden"] {
            assert!(
                matches!(golden.path(bad), Err(GoldenError::BadCase(_))),
                "{bad}"
            );
        }
        assert!(golden.path("fa2_d128.causal").is_ok());
    }
}
