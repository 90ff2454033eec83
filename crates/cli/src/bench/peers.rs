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
//!
//! A decode record must also carry how its figure was obtained (`method`, `files_counted`,
//! `preamble_cycles`, `control`, `floor_check`; see [`PeerRecord::refusal`]): decode peers keep
//! their lengths and page tables in SMEM, which the profiler reads as 0, and a record without
//! that provenance once made an empty kernel plus an XLA copy look like RPA v3.

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
    /// How the figure was obtained (for a peer with SMEM metadata: the preamble method).
    pub method: Option<String>,
    /// The profile files summed into `estimated_cycles` (the peer's own kernels, no XLA copies).
    pub files_counted: Option<Vec<String>>,
    /// The metadata preamble's own cost, already subtracted.
    pub preamble_cycles: Option<u64>,
    /// The peer's kernel profiled without the preamble.
    pub control: Option<Control>,
    pub floor_check: Option<FloorCheck>,
}

/// The no-preamble control: it must differ from the figure, or the metadata never reached
/// the profiler.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Control {
    pub cycles: Option<u64>,
    pub differs: bool,
    pub error: Option<String>,
}

/// The credibility check: below the KV bytes at the model's fastest streaming is an artifact.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct FloorCheck {
    pub kv_bytes: u64,
    pub artifact_below_cycles: u64,
    pub passed: bool,
}

/// Workloads whose peers keep their metadata in SMEM, which libtpu's profiler reads as 0
/// (docs/design.md §8): their records must say how that was handled.
const SMEM_METADATA_WORKLOADS: &str = "decode-";

impl PeerRecord {
    /// Why `bench` refuses this record's figure, if it does: a decode figure without its
    /// provenance (method, files counted, preamble cost, control, floor check), with a control
    /// that did not differ, or one that failed its floor check.
    pub fn refusal(&self) -> Option<String> {
        let cycles = self.estimated_cycles?;
        if !self.workload.starts_with(SMEM_METADATA_WORKLOADS) {
            return None;
        }
        let missing: Vec<&str> = [
            ("method", self.method.is_none()),
            (
                "files_counted",
                self.files_counted.as_ref().is_none_or(Vec::is_empty),
            ),
            ("preamble_cycles", self.preamble_cycles.is_none()),
            ("control", self.control.is_none()),
            ("floor_check", self.floor_check.is_none()),
        ]
        .iter()
        .filter_map(|&(name, absent)| absent.then_some(name))
        .collect();
        if !missing.is_empty() {
            return Some(format!(
                "refused: the record ({cycles} cycles) lacks {}; a peer with SMEM metadata must be measured with its metadata stored in-kernel — re-record with benches/peers/flash_decoding_peers.py",
                missing.join(", ")
            ));
        }
        if let Some(control) = self.control.as_ref().filter(|c| !c.differs) {
            return Some(format!("refused: the no-preamble control ({:?} cycles) equals the figure ({cycles}): the metadata never reached the profiler", control.cycles));
        }
        if let Some(floor) = self
            .floor_check
            .as_ref()
            .filter(|f| !f.passed || cycles < f.artifact_below_cycles)
        {
            return Some(format!("refused: {cycles} cycles is below {} (the KV bytes at the model's fastest streaming): a profiler artifact", floor.artifact_below_cycles));
        }
        None
    }

    /// The provenance in a few words for the table's config column.
    pub fn provenance(&self) -> String {
        let mut parts = Vec::new();
        if let Some(files) = &self.files_counted {
            parts.push(format!("counted {}", files.join("+")));
        }
        if let Some(p) = self.preamble_cycles {
            parts.push(format!("preamble {p} subtracted"));
        }
        if let Some(c) = &self.control {
            parts.push(c.cycles.map_or_else(
                || "control failed".to_string(),
                |cycles| format!("control {cycles}"),
            ));
        }
        parts.join(", ")
    }
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

    const PROVENANCE: &str = r#""method": "preamble", "files_counted": ["RPAd-x"], "preamble_cycles": 2309, "control": {"cycles": 2915, "differs": true}, "floor_check": {"kv_bytes": 134217728, "artifact_below_cycles": 69423, "passed": true}"#;

    fn decode_record(fields: &str) -> PeerRecord {
        let line = format!(
            r#"{{"workload": "decode-b1-h8-kvh8-l32768-d128", "implementation": "RPA", "estimated_cycles": 185259{fields}}}"#
        );
        parse_records(&line).pop().unwrap()
    }

    #[test]
    fn a_decode_record_without_its_provenance_is_refused_by_name() {
        let bare = decode_record("");
        let why = bare.refusal().unwrap();
        assert!(
            why.contains("lacks method, files_counted, preamble_cycles, control, floor_check"),
            "{why}"
        );
        let full = decode_record(&format!(", {PROVENANCE}"));
        assert_eq!(full.refusal(), None);
        assert_eq!(
            full.provenance(),
            "counted RPAd-x, preamble 2309 subtracted, control 2915"
        );
        // Attention records carry no SMEM metadata and keep the short form.
        let attention = parse_records(
            r#"{"workload": "attention-fwd", "implementation": "JAX", "estimated_cycles": 5}"#,
        );
        assert_eq!(attention[0].refusal(), None);
    }

    /// The recorded decode peers the README quotes are accepted; the 2026-11-22 ones, made
    /// without the peers' metadata, are refused.
    #[test]
    fn the_recorded_decode_peers_are_accepted_and_the_old_ones_refused() {
        let results = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../benches/results");
        let new = read(&[results.join("2026-12-02-peers-flash-decoding-libtpu-0.0.52.jsonl")]);
        assert_eq!(new.records.len(), 3, "{:?}", new.not_run);
        assert!(
            new.records.iter().all(|r| r.refusal().is_none()),
            "{:?}",
            new.records
        );
        let old = read(&[results.join("2026-11-22-peers-flash-decoding-libtpu-0.0.52.jsonl")]);
        assert!(old.records.iter().all(|r| r.refusal().is_some()));
        // The later re-records: figures accepted, RPA v3's quantized caches recorded as errors.
        let later = read(&[results.join("2026-12-02-decode-blocks-peers-libtpu-0.0.52.jsonl")]);
        assert!(later.not_run.is_empty(), "{:?}", later.not_run);
        assert!(later.records.iter().all(|r| r.refusal().is_none()));
        let (figures, errors): (Vec<_>, Vec<_>) = later
            .records
            .iter()
            .partition(|r| r.estimated_cycles.is_some());
        assert!(!figures.is_empty());
        assert!(errors.iter().all(|r| r.error.is_some()));
    }

    #[test]
    fn a_control_that_did_not_differ_or_a_failed_floor_check_is_refused() {
        let same = decode_record(&format!(
            ", {}",
            PROVENANCE.replace(r#""differs": true"#, r#""differs": false"#)
        ));
        assert!(same
            .refusal()
            .unwrap()
            .contains("never reached the profiler"));
        let below = decode_record(&format!(", {}", PROVENANCE.replace("69423", "200000")));
        assert!(
            below.refusal().unwrap().contains("below 200000"),
            "{:?}",
            below.refusal()
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
