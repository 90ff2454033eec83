//! `pallas-flash tune <kernel>`: block-size search. The tiling crate ranks every legal
//! candidate with its analytic roofline; the best `--top` are compiled by libtpu in worker
//! processes for their static estimate, and the fastest becomes the choice. The kernel's
//! own default blocks (measured with libtpu when the kernel was written) always run too,
//! so a choice is never worse than the default. Results are cached per problem, target and
//! libtpu, so a second run is instant.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use pallas_flash::runtime::pinned;
use pallas_flash::tiling::report::Bytes;
use pallas_flash::tiling::search::{evaluate, search, Candidate, SearchResult};
use pallas_flash::tiling::{Blocks, Target};
use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, Problem, ShapeArgs};
use crate::error::CliError;
use crate::estimate::{Estimate, Work};
use crate::libtpu::compile_kernel;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Kernel from the catalog (`pallas-flash kernels` lists them).
    pub kernel: String,
    #[command(flatten)]
    pub shape: ShapeArgs,
    /// How many of the roofline's best candidates libtpu estimates.
    #[arg(long, default_value_t = 6)]
    pub top: usize,
    /// Compile workers at once (each one process; big profiles take GBs of RAM).
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// Cache directory (default: <pallas-flash cache>/tune).
    #[arg(long = "cache-dir")]
    pub cache_dir: Option<PathBuf>,
    /// Ignore and overwrite a cached result.
    #[arg(long)]
    pub fresh: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// What libtpu said about one candidate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Estimated {
        cycles: u64,
        seconds: f64,
        mfu: f64,
        below_floor: bool,
    },
    Failed {
        error: String,
    },
}

/// One row of the results table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub blocks: Vec<(String, usize)>,
    pub vmem_model_bytes: u64,
    /// The tiling crate's analytic roofline for these blocks, seconds.
    pub roofline_model_seconds: f64,
    /// The kernel's default blocks (estimated whatever the roofline's rank).
    #[serde(default)]
    pub kernel_default: bool,
    pub outcome: Outcome,
}

/// A finished search, as cached.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TuneResult {
    pub key: String,
    pub problem: String,
    pub topology: String,
    pub candidates_considered: usize,
    pub candidates_rejected: usize,
    pub rows: Vec<Row>,
    /// Index into `rows` of the fastest credible estimate.
    pub chosen: Option<usize>,
}

pub fn run(catalog: &Catalog, args: &Args) -> Result<(), CliError> {
    let s = &args.shape;
    let given: Vec<&str> = [
        ("--block-m", s.block_m),
        ("--block-n", s.block_n),
        ("--block-k", s.block_k),
        ("--block-q", s.block_q),
        ("--block-kv", s.block_kv),
    ]
    .iter()
    .filter(|(_, v)| v.is_some())
    .map(|(n, _)| *n)
    .collect();
    if !given.is_empty() {
        return Err(CliError::Flag(format!(
            "tune searches the block sizes itself: drop {}",
            given.join(", ")
        )));
    }
    if args.top == 0 || args.jobs == 0 {
        return Err(CliError::Flag("--top and --jobs must be at least 1".into()));
    }
    let problem = catalog.problem(&args.kernel, s)?;
    let key = cache_key(&problem, &s.target, args.top);
    let dir = args.cache_dir.clone().unwrap_or_else(default_cache_dir);
    let path = dir.join(format!("{key}.json"));
    let cached = if args.fresh { None } else { read_cache(&path) };
    let (result, source) = match cached {
        Some(result) => (
            result,
            format!("cached ({}); --fresh to re-run", path.display()),
        ),
        None => {
            let result = tune(&problem, args, key)?;
            write_cache(&path, &result)?;
            (result, format!("saved to {}", path.display()))
        }
    };
    if args.json {
        let doc = serde_json::json!({ "result": result, "cache": source });
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).map_err(CliError::json("encoding the result"))?
        );
    } else {
        print_table(&result, &source);
    }
    match result.chosen {
        Some(_) => Ok(()),
        None => Err(CliError::Flag(
            "no candidate compiled to a credible estimate (see the table)".into(),
        )),
    }
}

/// Readable and stable: problem, topology, candidate count, libtpu, this tool's version.
fn cache_key(problem: &Problem, target: &Target, top: usize) -> String {
    let (before, after) = key_parts(problem, target);
    format!("{before}{top}{after}")
}

/// The key around the candidate count: `<problem>-<topology>[-vmem<N>]-top` and
/// `-<libtpu>-v<version>`, as file-name-safe text.
fn key_parts(problem: &Problem, target: &Target) -> (String, String) {
    let libtpu = match std::env::var(pinned::LIBTPU.env_var) {
        Ok(path) => format!("libtpu-{}", path.replace(['/', '.'], "_")),
        Err(_) => format!("libtpu{}", pinned::LIBTPU.version),
    };
    // The scoped VMEM limit the default kernels ask for (`--vmem-limit-mib`, or the kernel's own).
    let limit = problem
        .build(target, &problem.blocks(target))
        .ok()
        .and_then(|built| built.iter().filter_map(|b| b.kernel.vmem_limit_bytes).max())
        .map_or(String::new(), |b| format!("-vmem{b}"));
    let topology = &target.topology;
    let safe = |raw: String| {
        raw.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    (
        safe(format!("{}-{topology}{limit}-top", problem.describe())),
        safe(format!(
            "-{libtpu}-v{}-s{CACHE_SCHEMA}",
            env!("CARGO_PKG_VERSION")
        )),
    )
}

/// Bumped when a search changes what it compiles (2: the kernel default always runs; 3:
/// candidates are the real kernels), so older cached choices are not reused.
const CACHE_SCHEMA: u32 = 3;

/// Where tune results live unless `--cache-dir` says otherwise.
pub fn default_cache_dir() -> PathBuf {
    pinned::cache_dir().join("tune")
}

/// The blocks a previous `tune` chose for `problem` on `topology` (any `--top`; the widest
/// search wins), from the cache in `dir`.
pub fn cached_choice(dir: &Path, problem: &Problem, target: &Target) -> Option<Blocks> {
    let (before, after) = key_parts(problem, target);
    let entries = std::fs::read_dir(dir).ok()?;
    let widest = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let top: usize = name
                .strip_prefix(&before)?
                .strip_suffix(".json")?
                .strip_suffix(&after)?
                .parse()
                .ok()?;
            Some((top, e.path()))
        })
        .max_by_key(|(top, _)| *top)?;
    let result = read_cache(&widest.1)?;
    let row = result.rows.get(result.chosen?)?;
    let names = problem.blocks(target);
    // Map the cached names back to the catalog's static names.
    Some(
        names
            .iter()
            .filter_map(|(name, _)| {
                row.blocks
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| (*name, *v))
            })
            .collect(),
    )
}

fn read_cache(path: &Path) -> Option<TuneResult> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

fn write_cache(path: &Path, result: &TuneResult) -> Result<(), CliError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(CliError::io(format!("cannot create {}", dir.display())))?;
    }
    let text =
        serde_json::to_string_pretty(result).map_err(CliError::json("encoding the tune result"))?;
    std::fs::write(path, text).map_err(CliError::io(format!("cannot write {}", path.display())))
}

fn tune(problem: &Problem, args: &Args, key: String) -> Result<TuneResult, CliError> {
    let chip = &args.shape.target;
    let found = candidates(chip, problem, args.top)?;
    let default = problem.blocks(chip);
    let considered = found.considered;
    let bar = if args.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(found.ranked.len() as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let next = AtomicUsize::new(0);
    let rows: Mutex<Vec<Option<Row>>> = Mutex::new(vec![None; found.ranked.len()]);
    std::thread::scope(|scope| {
        for _ in 0..args.jobs.min(found.ranked.len()) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some(candidate) = found.ranked.get(index) else {
                    break;
                };
                bar.set_message(blocks_text(&candidate.blocks));
                let row = estimate_candidate(problem, args, candidate, candidate.blocks == default);
                if let Ok(mut rows) = rows.lock() {
                    rows[index] = Some(row);
                }
                bar.inc(1);
            });
        }
    });
    bar.finish_and_clear();
    let rows: Vec<Row> = rows
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect();
    let chosen = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match r.outcome {
            Outcome::Estimated {
                cycles,
                below_floor: false,
                ..
            } => Some((i, cycles)),
            _ => None,
        })
        .min_by_key(|(_, cycles)| *cycles)
        .map(|(i, _)| i);
    Ok(TuneResult {
        key,
        problem: problem.describe(),
        topology: args.shape.target.topology.clone(),
        candidates_considered: considered,
        candidates_rejected: found.rejected.len(),
        rows,
        chosen,
    })
}

/// The roofline's `top` candidates, then the kernel's default blocks if they are not among
/// them (unless the alignment rules or the budget refuse them).
fn candidates(chip: &Target, problem: &Problem, top: usize) -> Result<SearchResult, CliError> {
    let family = problem.family.as_ref();
    let mut found = search(chip, family, top)?;
    let default = problem.blocks(chip);
    if !found.ranked.iter().any(|c| c.blocks == default) {
        if let Ok(candidate) = evaluate(chip, family, &default) {
            found.ranked.push(candidate);
        }
    }
    Ok(found)
}

fn estimate_candidate(
    problem: &Problem,
    args: &Args,
    candidate: &Candidate,
    kernel_default: bool,
) -> Row {
    let chip = &args.shape.target;
    let outcome = problem.build(chip, &candidate.blocks).and_then(|built| {
        let compiled = compile_kernel(&built, chip, true)?;
        let cycles = compiled
            .output
            .profile
            .map(|p| p.total_cycles())
            .ok_or_else(|| CliError::Flag("libtpu returned no static profile".into()))?;
        Ok((cycles, Work::of(problem.family.as_ref(), &built)))
    });
    let outcome = match outcome {
        Ok((cycles, work)) => {
            let e = Estimate::new(chip, cycles, work);
            Outcome::Estimated {
                cycles,
                seconds: e.estimated_seconds,
                mfu: e.mfu,
                below_floor: e.below_floor,
            }
        }
        Err(e) => Outcome::Failed {
            error: e
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .chars()
                .take(220)
                .collect(),
        },
    };
    Row {
        blocks: candidate
            .blocks
            .iter()
            .map(|(n, v)| (n.to_string(), *v))
            .collect(),
        vmem_model_bytes: candidate.vmem_bytes(),
        roofline_model_seconds: candidate.roofline.seconds,
        kernel_default,
        outcome,
    }
}

fn blocks_text<S: AsRef<str>>(blocks: &[(S, usize)]) -> String {
    blocks
        .iter()
        .map(|(n, v)| format!("{}={v}", n.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn print_table(result: &TuneResult, source: &str) {
    println!("tune         {} on {}", result.problem, result.topology);
    println!(
        "search       {} candidates, {} rejected by the alignment rules or the VMEM budget; libtpu estimates {}: the analytic roofline's best and the kernel's default",
        result.candidates_considered,
        result.candidates_rejected,
        result.rows.len()
    );
    println!();
    println!(
        "{:<2} {:<38} {:>10} {:>12} {:>14} {:>11} {:>7}",
        "", "blocks", "VMEM", "model µs", "libtpu cycles", "est. µs", "MFU"
    );
    for (i, row) in result.rows.iter().enumerate() {
        let mark = if result.chosen == Some(i) { "*" } else { "" };
        let name = blocks_text(&row.blocks) + if row.kernel_default { " (default)" } else { "" };
        let head = format!(
            "{mark:<2} {name:<38} {:>10} {:>12.1}",
            Bytes(row.vmem_model_bytes).to_string(),
            row.roofline_model_seconds * 1e6
        );
        match &row.outcome {
            Outcome::Estimated {
                cycles,
                seconds,
                mfu,
                below_floor,
            } => {
                let flag = if *below_floor {
                    "  below floor: profiler artifact"
                } else {
                    ""
                };
                println!(
                    "{head} {cycles:>14} {:>11.1} {:>6.1}%{flag}",
                    seconds * 1e6,
                    mfu * 100.0
                );
            }
            Outcome::Failed { error } => println!("{head}  failed: {error}"),
        }
    }
    println!();
    match result.chosen.and_then(|i| result.rows.get(i)) {
        Some(row) => println!(
            "chosen       {} (libtpu static estimate, not a measurement)",
            blocks_text(&row.blocks)
        ),
        None => println!("chosen       none: no candidate compiled to a credible estimate"),
    }
    println!("cache        {source}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use pallas_flash::kernels::matmul::MatmulConfig;

    fn matmul(m: usize, n: usize, k: usize) -> Problem {
        Problem::new("matmul", MatmulConfig::new(m, n, k))
    }

    #[test]
    fn cache_keys_are_file_names_that_separate_problems_and_targets() {
        let (a, b) = (matmul(512, 512, 512), matmul(512, 512, 1024));
        let v5e = Target::v5e();
        let key = cache_key(&a, &v5e, 4);
        assert!(
            key.starts_with("matmul-512x512x512-bf16-v5e-1x1-top4-libtpu"),
            "{key}"
        );
        assert!(!key.contains('/') && !key.contains(' '));
        assert_ne!(key, cache_key(&b, &v5e, 4));
        assert_ne!(key, cache_key(&a, &Target::v6e(), 4));
        assert_ne!(key, cache_key(&a, &v5e, 5));
        let (before, after) = key_parts(&a, &v5e);
        assert_eq!(key, format!("{before}4{after}"));
    }

    #[test]
    fn the_kernel_default_is_always_a_candidate() {
        use pallas_flash::kernels::flash_attention::{FlashAttentionConfig, Forward};
        let v5e = pallas_flash::tiling::Target::v5e();
        let mut appended = 0;
        for n in [512, 1024, 2048, 4096, 8192] {
            let problem = Problem::new(
                "flash-attention",
                Forward(FlashAttentionConfig::new(1, 8, 8, n, n, 128).causal(true)),
            );
            let best = search(&v5e, problem.family.as_ref(), 1).unwrap().ranked;
            let found = candidates(&v5e, &problem, 1).unwrap().ranked;
            assert_eq!(found[0].blocks, best[0].blocks, "the roofline's best first");
            assert_eq!(
                found
                    .iter()
                    .filter(|c| c.blocks == problem.blocks(&v5e))
                    .count(),
                1,
                "N={n}: the default, once"
            );
            appended += found.len() - 1;
        }
        assert!(
            appended > 0,
            "some default lies outside the roofline's top (else this test proves nothing)"
        );
    }

    #[test]
    fn bench_finds_the_widest_cached_choice() {
        let dir = tempfile::tempdir().unwrap();
        let problem = matmul(512, 512, 512);
        let v5e = &Target::v5e();
        assert_eq!(cached_choice(dir.path(), &problem, v5e), None);
        let estimated = Outcome::Estimated {
            cycles: 10,
            seconds: 1e-6,
            mfu: 0.5,
            below_floor: false,
        };
        for (top, bm) in [(2, 128), (6, 256)] {
            let row = Row {
                blocks: vec![("bm".into(), bm), ("bk".into(), 512), ("bn".into(), 128)],
                vmem_model_bytes: 0,
                roofline_model_seconds: 0.0,
                kernel_default: false,
                outcome: estimated.clone(),
            };
            let result = TuneResult {
                key: cache_key(&problem, v5e, top),
                problem: problem.describe(),
                topology: v5e.topology.clone(),
                candidates_considered: 1,
                candidates_rejected: 0,
                rows: vec![row],
                chosen: Some(0),
            };
            write_cache(&dir.path().join(format!("{}.json", result.key)), &result).unwrap();
        }
        assert_eq!(
            cached_choice(dir.path(), &problem, v5e),
            Some(vec![("bm", 256), ("bk", 512), ("bn", 128)])
        );
        assert_eq!(cached_choice(dir.path(), &problem, &Target::v6e()), None);
    }
}
