//! Peer scripts: `benches/peers/*.py`, run with a Python that has JAX 0.10.2 and libtpu.
//!
//! The contract (documented in `crates/cli/README.md`): each script is run as
//! `<python> <script> --json-lines [--quick]` from the repository root and prints, one per
//! line, JSON records
//!
//! ```text
//! {"workload": "attention-fwd-causal-b1-h8-n2048-d128", "implementation": "JAX splash attention",
//!  "estimated_cycles": 157255, "config": "bq=bkv=1024"}
//! {"workload": "...", "implementation": "...", "error": "why it did not run"}
//! ```
//!
//! `workload` is one of the ids `pallas-flash bench` prints; other lines are ignored. A
//! script that does not know `--json-lines` fails at once (argparse) and shows up as not run.
//! Cycles are libtpu 0.0.52's static estimate for v5e, like ours.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

/// One record a peer script printed.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PeerRecord {
    pub workload: String,
    pub implementation: String,
    pub estimated_cycles: Option<u64>,
    pub config: Option<String>,
    pub error: Option<String>,
}

/// What running the peers gave: records, and why any script did not run.
#[derive(Debug, Default)]
pub struct PeerRun {
    pub records: Vec<PeerRecord>,
    /// (script or setup step, reason) for everything that did not run.
    pub not_run: Vec<(String, String)>,
}

/// The default interpreter, from `PATH`: each script re-runs itself in its own pinned venv
/// (created on first use; see the scripts' docstrings for the venv variables).
pub const DEFAULT_PYTHON: &str = "python3";

/// How to get a Python the peers can use.
pub const SETUP_HINT: &str = "install python3 with venv and pip (Debian: apt install python3-venv python3-pip); \
     the scripts then create their pinned venvs (jax==0.10.2, jaxlib==0.10.2, libtpu==0.0.52, tpu-inference==0.32.0 --no-deps), \
     or pass --peers-python with an interpreter that has them";

/// Parses a script's stdout: every line that is a JSON record; other lines are ignored.
pub fn parse_records(stdout: &str) -> Vec<PeerRecord> {
    stdout
        .lines()
        .filter(|l| l.trim_start().starts_with('{'))
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The flag that asks a peer script for JSON records.
pub const JSON_LINES_FLAG: &str = "--json-lines";

/// Records the scripts printed in an earlier run, saved to `files`.
pub fn read(files: &[PathBuf]) -> PeerRun {
    let mut result = PeerRun::default();
    for file in files {
        match std::fs::read_to_string(file) {
            Ok(text) => {
                let records = parse_records(&text);
                if records.is_empty() {
                    result.not_run.push((
                        file.display().to_string(),
                        format!(
                            "holds no JSON records; save a script's {JSON_LINES_FLAG} output there"
                        ),
                    ));
                }
                result.records.extend(records);
            }
            Err(e) => result.not_run.push((
                file.display().to_string(),
                format!("cannot read the peer records: {e}"),
            )),
        }
    }
    result
}

/// Runs every `*.py` in `dir` (sorted) with `python` (a path, or a name found on `PATH`).
pub fn run(dir: &Path, python: &Path, quick: bool) -> PeerRun {
    let mut result = PeerRun::default();
    let mut scripts: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "py"))
            .collect(),
        Err(e) => {
            result.not_run.push((dir.display().to_string(), format!("cannot read the peer scripts ({e}); run bench from the repository root or pass --peers-dir")));
            return result;
        }
    };
    scripts.sort();
    if scripts.is_empty() {
        result.not_run.push((
            dir.display().to_string(),
            "no peer scripts (*.py) there yet".into(),
        ));
    }
    for script in scripts {
        let mut command = Command::new(python);
        command.arg(&script).arg(JSON_LINES_FLAG);
        if quick {
            command.arg("--quick");
        }
        match command.output() {
            Ok(out) => {
                let records = parse_records(&String::from_utf8_lossy(&out.stdout));
                if records.is_empty() {
                    let stderr = String::from_utf8_lossy(&out.stderr);
                    let tail = stderr.lines().last().unwrap_or("no output");
                    result.not_run.push((
                        script.display().to_string(),
                        format!("printed no records ({}): {tail} — a peer script must accept {JSON_LINES_FLAG} [--quick] and print JSON records (crates/cli/README.md)", out.status),
                    ));
                }
                result.records.extend(records);
            }
            Err(e) => result.not_run.push((
                script.display().to_string(),
                format!("cannot start {}: {e}; {SETUP_HINT}", python.display()),
            )),
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_json_lines_and_noise_is_ignored() {
        let out = "WARNING: jax\n{\"workload\": \"w\", \"implementation\": \"JAX\", \"estimated_cycles\": 12}\n{not json\n{\"workload\": \"w\", \"implementation\": \"X\", \"error\": \"HBM OOM\"}\n";
        let records = parse_records(out);
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].estimated_cycles, Some(12));
        assert_eq!(records[1].error.as_deref(), Some("HBM OOM"));
    }

    /// The runner with `/bin/sh` as the interpreter: no Python in the tests.
    #[test]
    fn a_script_that_ignores_the_contract_is_not_run_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("table.py"),
            "echo '| kernel | cycles |'; echo 'unrecognized arguments: --json-lines' >&2; exit 2\n",
        )
        .unwrap();
        let good = r#"[ "$1 $2" = "--json-lines --quick" ] || exit 3
echo '{"workload": "w", "implementation": "p", "estimated_cycles": 7}'
"#;
        std::fs::write(dir.path().join("good.py"), good).unwrap();
        let run = run(dir.path(), Path::new("/bin/sh"), true);
        assert_eq!(run.records.len(), 1, "{:?}", run.not_run);
        assert_eq!(run.records[0].estimated_cycles, Some(7));
        assert_eq!(run.not_run.len(), 1);
        let (script, why) = &run.not_run[0];
        assert!(
            script.ends_with("table.py")
                && why.contains("unrecognized arguments")
                && why.contains("must accept --json-lines"),
            "{why}"
        );
    }

    #[test]
    fn recorded_runs_are_read_back_and_bad_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("fa.jsonl");
        std::fs::write(
            &good,
            "{\"workload\": \"w\", \"implementation\": \"JAX\", \"estimated_cycles\": 5}\n",
        )
        .unwrap();
        let empty = dir.path().join("empty.jsonl");
        std::fs::write(&empty, "| table |\n").unwrap();
        let run = read(&[good, empty, dir.path().join("missing.jsonl")]);
        assert_eq!(run.records.len(), 1);
        assert_eq!(run.not_run.len(), 2);
        assert!(
            run.not_run[0].1.contains("holds no JSON records")
                && run.not_run[1].1.contains("cannot read"),
            "{:?}",
            run.not_run
        );
    }

    #[test]
    fn a_missing_python_says_how_to_set_it_up() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("peer.py"), "").unwrap();
        let run = run(dir.path(), Path::new("/nonexistent/python"), true);
        assert!(run.records.is_empty());
        let why = &run.not_run[0].1;
        assert!(
            why.contains("cannot start /nonexistent/python") && why.contains("jax==0.10.2"),
            "{why}"
        );
    }
}
