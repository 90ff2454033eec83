//! `pallas-flash hlo-check`: the copy-trap lint over an XLA dump, for CI.
//!
//! Exit status: 0 when every finding is allowed, 1 when findings exceed the allowlist,
//! 2 when a dump cannot be read or none was found (a CI job that dumped nothing
//! should fail loudly rather than pass). Dumps are checked one file at a time per core
//! (`hlo::check`); a progress line goes to stderr when it is a terminal.

use pallas_flash::hlo::check::{check_all, Checked, Progress};
use pallas_flash::hlo::dump::optimized_dumps;
use pallas_flash::hlo::lint::{Allowlist, Excess, LintOptions, Report, Summary, TPU_CUSTOM_CALL};
use serde::Serialize;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// An XLA dump directory (`--xla_dump_to`) or one `*after_optimizations.txt` file.
    path: PathBuf,
    /// custom_call_target to check; `*` checks every custom call.
    #[arg(long, default_value = TPU_CUSTOM_CALL)]
    target: String,
    /// Allowlist file: lines of `KERNEL KIND MAX` (see the hlo crate's README).
    #[arg(long)]
    allow: Option<PathBuf>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct ExcessJson<'r> {
    path: &'r Path,
    kernel: &'r str,
    instruction: &'r str,
    kind: String,
    cause: String,
    line: usize,
}

pub fn run(args: &Args) -> ExitCode {
    let allow = match args.allow.as_deref().map(read_allowlist).transpose() {
        Ok(allow) => allow.unwrap_or_default(),
        Err(message) => return fail(&message),
    };
    let paths = match optimized_dumps(&args.path) {
        Ok(paths) if paths.is_empty() => {
            return fail(&format!(
                "no *after_optimizations.txt under {}",
                args.path.display()
            ))
        }
        Ok(paths) => paths,
        Err(e) => return fail(&format!("{}: {e}", args.path.display())),
    };
    let options = LintOptions {
        target: (args.target != "*").then(|| args.target.clone()),
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let checked = if std::io::stderr().is_terminal() {
        let line = ProgressLine::default();
        let checked = check_all(&paths, &options, threads, &|p| line.show(p));
        line.clear();
        checked
    } else {
        check_all(&paths, &options, threads, &|_| {})
    };
    let (sources, reports): (Vec<&Path>, Vec<Report>) = checked
        .iter()
        .filter_map(|c| Some((c.path.as_path(), c.report.clone()?)))
        .unzip();
    let excess = allow.excess(&reports);
    let errors = checked.iter().filter(|c| c.error.is_some()).count();
    let out = if args.json {
        render_json(&checked, &reports, &sources, &excess)
    } else {
        render_text(&checked, &reports, &sources, &excess)
    };
    // A closed pipe (`| head`) is the reader's choice, not an error worth a panic.
    let _ = std::io::stdout().write_all(out.as_bytes());
    match (errors, excess.len()) {
        (0, 0) => ExitCode::SUCCESS,
        (0, _) => ExitCode::from(1),
        _ => ExitCode::from(2),
    }
}

fn read_allowlist(path: &Path) -> Result<Allowlist, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.parse().map_err(|e| format!("{}: {e}", path.display()))
}

/// `hlo-check: 120/4000 dumps, 310 MB` on one terminal line, at most ten times a second.
#[derive(Default)]
struct ProgressLine {
    shown: Mutex<Option<Instant>>,
}

impl ProgressLine {
    fn show(&self, p: Progress) {
        let mut shown = self.shown.lock().unwrap_or_else(|e| e.into_inner());
        if shown.is_some_and(|t| t.elapsed() < Duration::from_millis(100)) && p.done < p.total {
            return;
        }
        *shown = Some(Instant::now());
        eprint!(
            "\rhlo-check: {}/{} dumps, {} MB ",
            p.done,
            p.total,
            p.bytes / 1_000_000
        );
    }

    fn clear(&self) {
        eprint!("\r\x1b[2K");
    }
}

fn summary(reports: &[Report]) -> Summary {
    let mut summary = Summary::default();
    for r in reports {
        summary.add(r);
    }
    summary
}

fn render_text(
    checked: &[Checked],
    reports: &[Report],
    sources: &[&Path],
    excess: &[Excess],
) -> String {
    let mut out = String::new();
    for c in checked {
        match (&c.report, &c.error) {
            (Some(r), _) if !r.kernels.is_empty() => {
                let _ = write!(out, "{}\n{r}", c.path.display());
            }
            (_, Some(e)) => eprintln!("{}: error: {e}", c.path.display()),
            _ => {}
        }
    }
    let kernels: usize = reports.iter().map(|r| r.kernels.len()).sum();
    let findings: usize = reports.iter().map(|r| r.findings().count()).sum();
    let _ = write!(out, "{}", summary(reports));
    let _ = writeln!(
        out,
        "hlo-check: {} dump(s), {kernels} kernel(s), {findings} finding(s), {} over the allowlist",
        checked.len(),
        excess.len()
    );
    for x in excess {
        let (kernel, f) = (&x.kernel.kernel, x.finding);
        let at = format!("{}:{}", sources[x.report].display(), f.line);
        let _ = writeln!(
            out,
            "  not allowed: {kernel} {} ({}) %{} ({at})",
            f.cause, f.kind, f.instruction
        );
    }
    out
}

fn render_json(
    checked: &[Checked],
    reports: &[Report],
    sources: &[&Path],
    excess: &[Excess],
) -> String {
    let excess: Vec<ExcessJson> = excess
        .iter()
        .map(|x| ExcessJson {
            path: sources[x.report],
            kernel: &x.kernel.kernel,
            instruction: &x.finding.instruction,
            kind: x.finding.kind.to_string(),
            cause: x.finding.cause.to_string(),
            line: x.finding.line,
        })
        .collect();
    format!(
        "{:#}\n",
        serde_json::json!({ "dumps": checked, "excess": excess, "summary": summary(reports).by_bytes() })
    )
}

fn fail(message: &str) -> ExitCode {
    eprintln!("hlo-check: {message}");
    ExitCode::from(2)
}
