//! `pallas-flash hlo-check`: the copy-trap lint over an XLA dump, for CI.
//!
//! Exit status: 0 when every finding is allowed, 1 when findings exceed the allowlist,
//! 2 when a dump cannot be read or none was found (a CI job that dumped nothing
//! should fail loudly rather than pass).

use pallas_flash::hlo::dump::optimized_dumps;
use pallas_flash::hlo::lint::{lint, Allowlist, Excess, LintOptions, Report, TPU_CUSTOM_CALL};
use pallas_flash::hlo::HloModule;
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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

/// One dump's outcome.
#[derive(Serialize)]
struct Checked {
    path: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<Report>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct ExcessJson<'r> {
    path: &'r Path,
    kernel: &'r str,
    instruction: &'r str,
    kind: String,
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
    let checked: Vec<Checked> = paths.into_iter().map(|p| check(p, &options)).collect();
    let (sources, reports): (Vec<&Path>, Vec<Report>) = checked
        .iter()
        .filter_map(|c| Some((c.path.as_path(), c.report.clone()?)))
        .unzip();
    let excess = allow.excess(&reports);
    let errors = checked.iter().filter(|c| c.error.is_some()).count();
    let out = if args.json {
        render_json(&checked, &sources, &excess)
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

fn check(path: PathBuf, options: &LintOptions) -> Checked {
    let parsed = std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|text| HloModule::parse(&text).map_err(|e| e.to_string()));
    match parsed {
        Ok(module) => Checked {
            report: Some(lint(&module, options)),
            error: None,
            path,
        },
        Err(error) => Checked {
            report: None,
            error: Some(error),
            path,
        },
    }
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
            "  not allowed: {kernel} {} %{} ({at})",
            f.kind, f.instruction
        );
    }
    out
}

fn render_json(checked: &[Checked], sources: &[&Path], excess: &[Excess]) -> String {
    let excess: Vec<ExcessJson> = excess
        .iter()
        .map(|x| ExcessJson {
            path: sources[x.report],
            kernel: &x.kernel.kernel,
            instruction: &x.finding.instruction,
            kind: x.finding.kind.to_string(),
            line: x.finding.line,
        })
        .collect();
    format!(
        "{:#}\n",
        serde_json::json!({ "dumps": checked, "excess": excess })
    )
}

fn fail(message: &str) -> ExitCode {
    eprintln!("hlo-check: {message}");
    ExitCode::from(2)
}
