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
//! A decode or attention record must also carry how its figure was obtained (`method`,
//! `files_counted`, `preamble_cycles`, `control`, `floor_check`; see [`PeerRecord::refusal`]):
//! decode peers keep their lengths and page tables in SMEM and splash its block masks, which
//! the profiler reads as 0; a record without that provenance once made an empty kernel plus an
//! XLA copy look like RPA v3, and splash estimate below its MXU floor. `target` names the chip
//! (`v5e` when absent).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

/// One record a peer script printed (kept whole: `bench.json` carries it with every field).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct PeerRecord {
    pub workload: String,
    pub implementation: String,
    /// The chip the figure is for (`v5e`, `v6e`); records without one are v5e's.
    #[serde(default = "v5e")]
    pub target: String,
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
    /// Read from a file of an earlier run (`--peer-records`), not printed by this run.
    #[serde(skip)]
    pub recorded: bool,
    /// Every other field the script printed (raw cycles, files not counted, …).
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

fn v5e() -> String {
    "v5e".into()
}

/// The control: the peer measured without the method (decode: no preamble; splash: its SMEM
/// lookups unpatched); it must differ from the figure, or the metadata never reached the
/// profiler. `differs` is whether the control passed; `what` says what was run (for a peer
/// without scalar prefetch, the check that it has none).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Control {
    pub cycles: Option<u64>,
    pub differs: bool,
    pub error: Option<String>,
    pub what: Option<String>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// The credibility check: below the floor (decode: the KV bytes at the model's fastest
/// streaming; attention: the MXU floor) is an artifact.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct FloorCheck {
    pub kv_bytes: Option<u64>,
    pub mxu_floor_cycles: Option<u64>,
    pub artifact_below_cycles: u64,
    pub passed: bool,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// Workloads whose peers (may) keep metadata in SMEM, which libtpu's profiler reads as 0
/// (docs/design.md §8), and the script that records them with their provenance.
const PROVENANCE_REQUIRED: &[(&str, &str)] = &[
    ("decode-", "benches/peers/flash_decoding_peers.py"),
    ("attention-", "benches/peers/flash_attention_peers.py"),
];

impl PeerRecord {
    /// Why `bench` refuses this record's figure, if it does: a decode or attention figure
    /// without its provenance (method, files counted, preamble cost, control, floor check),
    /// with a control that did not pass, or one that failed its floor check.
    pub fn refusal(&self) -> Option<String> {
        let cycles = self.estimated_cycles?;
        let (_, script) = PROVENANCE_REQUIRED
            .iter()
            .find(|(prefix, _)| self.workload.starts_with(prefix))?;
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
                "refused: the record ({cycles} cycles) lacks {}; a peer with SMEM metadata must be measured with that metadata made known to the profiler — re-record with {script}",
                missing.join(", ")
            ));
        }
        if let Some(control) = self.control.as_ref().filter(|c| !c.differs) {
            return Some(match control.cycles {
                Some(c) => format!("refused: the control ({c} cycles) is close to the figure ({cycles}): the metadata never reached the profiler"),
                None => format!("refused: the control did not pass: {}", control.what.as_deref().unwrap_or("no reason given")),
            });
        }
        if let Some(floor) = self
            .floor_check
            .as_ref()
            .filter(|f| !f.passed || cycles < f.artifact_below_cycles)
        {
            let what = if floor.kv_bytes.is_some() {
                "the KV bytes at the model's fastest streaming"
            } else {
                "the MXU floor"
            };
            return Some(format!(
                "refused: {cycles} cycles is below {} ({what}): a profiler artifact",
                floor.artifact_below_cycles
            ));
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
            parts.push(match (c.cycles, &c.error) {
                (Some(cycles), _) => format!("control {cycles}"),
                (None, Some(_)) => "control failed".to_string(),
                (None, None) => format!("control: {}", c.what.as_deref().unwrap_or("none")),
            });
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
                let mut records = parse_records(&text);
                for r in &mut records {
                    r.recorded = true;
                }
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

/// Runs every `*.py` in `dir` (sorted) with `python` (a path, or a name found on `PATH`), or
/// only those whose file stem is in `only` when it is not empty.
pub fn run(dir: &Path, python: &Path, quick: bool, only: &[String]) -> PeerRun {
    let mut result = PeerRun::default();
    let mut scripts: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "py"))
            .filter(|p| {
                only.is_empty()
                    || p.file_stem()
                        .is_some_and(|s| only.iter().any(|o| s.to_str() == Some(o)))
            })
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
            if only.is_empty() {
                "no peer scripts (*.py) there yet".into()
            } else {
                format!("no peer script named {} there", only.join(", "))
            },
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
        let run = run(dir.path(), Path::new("/bin/sh"), true, &[]);
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
        // Attention records too: splash keeps its block masks in SMEM.
        let attention = parse_records(
            r#"{"workload": "attention-fwd", "implementation": "JAX", "estimated_cycles": 5}"#,
        );
        let why = attention[0].refusal().unwrap();
        assert!(
            why.contains("lacks method") && why.contains("flash_attention_peers.py"),
            "{why}"
        );
        assert_eq!(attention[0].target, "v5e");
    }

    /// A peer without scalar prefetch passes its control without a control run, and says so.
    #[test]
    fn a_control_without_cycles_passes_or_fails_by_its_own_word() {
        let line = |differs: bool, what: &str| {
            format!(
                r#"{{"workload": "attention-fwd-causal-b1-h8-n8192-d128", "target": "v6e", "implementation": "JAX flash_attention", "estimated_cycles": 2000000, "method": "as shipped", "files_counted": ["flash_attention.1"], "preamble_cycles": 0, "control": {{"cycles": null, "differs": {differs}, "what": "{what}"}}, "floor_check": {{"mxu_floor_cycles": 1000000, "artifact_below_cycles": 1000000, "passed": true}}}}"#
            )
        };
        let ok = parse_records(&line(true, "not needed: no scalar prefetch in its kernels"))
            .pop()
            .unwrap();
        assert_eq!((ok.refusal(), ok.target.as_str()), (None, "v6e"));
        assert!(
            ok.provenance()
                .ends_with("control: not needed: no scalar prefetch in its kernels"),
            "{}",
            ok.provenance()
        );
        let bad = parse_records(&line(false, "its kernels take scalar prefetch"))
            .pop()
            .unwrap();
        assert!(
            bad.refusal()
                .unwrap()
                .contains("did not pass: its kernels take scalar prefetch"),
            "{:?}",
            bad.refusal()
        );
        let below =
            parse_records(&line(true, "x").replace(r#""passed": true"#, r#""passed": false"#))
                .pop()
                .unwrap();
        assert!(below.refusal().unwrap().contains("(the MXU floor)"));
    }

    /// The recorded peers the README quotes are accepted; the 2026-11-22 ones, made without
    /// the peers' metadata (or without saying how), are refused.
    #[test]
    fn the_recorded_peers_are_accepted_and_the_old_ones_refused() {
        let results = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../benches/results");
        let new = read(&[results.join("2026-12-02-peers-flash-decoding-libtpu-0.0.52.jsonl")]);
        assert_eq!(new.records.len(), 3, "{:?}", new.not_run);
        assert!(
            new.records.iter().all(|r| r.refusal().is_none()),
            "{:?}",
            new.records
        );
        let old = read(&[
            results.join("2026-11-22-peers-flash-decoding-libtpu-0.0.52.jsonl"),
            results.join("2026-11-22-peers-flash-attention-libtpu-0.0.52.jsonl"),
        ]);
        assert!(old
            .records
            .iter()
            .all(|r| r.estimated_cycles.is_none() || r.refusal().is_some()));
        let attention =
            read(&[results.join("2026-12-02-peers-flash-attention-libtpu-0.0.52.jsonl")]);
        let figures: Vec<&PeerRecord> = attention
            .records
            .iter()
            .filter(|r| r.estimated_cycles.is_some())
            .collect();
        assert!(figures.len() >= 6, "{:?}", attention.records);
        assert!(
            figures.iter().all(|r| r.refusal().is_none() && r.recorded),
            "{figures:?}"
        );
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
        let run = run(dir.path(), Path::new("/nonexistent/python"), true, &[]);
        assert!(run.records.is_empty());
        let why = &run.not_run[0].1;
        assert!(
            why.contains("cannot start /nonexistent/python") && why.contains("jax==0.10.2"),
            "{why}"
        );
    }
}
