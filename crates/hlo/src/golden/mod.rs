//! Golden facts: a stable text summary of what XLA did around each kernel, checked in
//! under `golden/hlo/<case>.txt` so that a compiler or kernel change shows up as a diff.
//!
//! Re-bless workflow: run the failing test with `UPDATE_GOLDEN=1`; [`Golden::check`]
//! rewrites the file, prints the diff it applied, and the diff is reviewed in the commit.
//!
//! ```text
//! UPDATE_GOLDEN=1 cargo test -p pallas-flash-hlo --test golden
//! git diff golden/ crates/hlo/tests/golden/
//! ```

mod compare;
mod facts;

pub use compare::{diff, Golden, GoldenError, Outcome, UPDATE_ENV};
pub use facts::facts;

/// Where shipped kernel goldens live, relative to the repository root.
pub const GOLDEN_DIR: &str = "golden/hlo";
