//! `pallas-flash bench`: our kernels beside JAX Pallas (peer scripts) and plain XLA (our
//! StableHLO generators) on the standard shapes, in one run; economics columns; the
//! roofline plot; the memory wall.
//!
//! Every figure is libtpu 0.0.52's static estimate for one v5e chip (docs/design.md §8), compiled
//! in worker processes; peers run their own compiles in their Python. Nothing here is a
//! measurement on a TPU, and the output says so.

mod peers;
mod plot;
mod wall;
mod xla;

use std::path::PathBuf;

use pallas_flash::ir::DType;
use pallas_flash::kernels::flash_attention::{FlashAttentionConfig, Forward};
use pallas_flash::kernels::flash_decoding::{
    Decoding, FlashDecodingConfig, KvCacheDtype, KvLengths,
};
use pallas_flash::kernels::matmul::MatmulConfig;
use pallas_flash::runtime::CompileOptions;
use pallas_flash::tiling::Target;
use serde::Serialize;

use crate::catalog::Problem;
use crate::error::CliError;
use crate::estimate::Estimate;
use crate::libtpu::{compile_kernel, compile_program};
use pallas_flash::tiling::Blocks;
use xla::AttentionShape;

/// Google Cloud's published on-demand price of one TPU v5e chip-hour (US regions), USD:
/// <https://cloud.google.com/tpu/pricing>.
pub const V5E_PRICE_PER_CHIP_HOUR: f64 = 1.20;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Small shapes and a coarse memory wall: a smoke run in about a minute.
    #[arg(long)]
    pub quick: bool,
    /// USD per chip-hour for the $/M tokens column (default: Google's on-demand v5e price).
    #[arg(long = "price-per-chip-hour", default_value_t = V5E_PRICE_PER_CHIP_HOUR)]
    pub price_per_chip_hour: f64,
    /// Python for the peer scripts (default: python3 from PATH; each script makes its own
    /// pinned venv, see benches/peers).
    #[arg(long = "peers-python")]
    pub peers_python: Option<PathBuf>,
    /// Directory of the peer scripts (`*.py`).
    #[arg(long = "peers-dir", default_value = "benches/peers")]
    pub peers_dir: PathBuf,
    /// Read the peers' JSON records from these files (what the peer scripts printed with
    /// --json-lines in an earlier run, same pinned libtpu) instead of running the scripts.
    /// The table labels them as recorded.
    #[arg(long = "peer-records", value_name = "FILE")]
    pub peer_records: Vec<PathBuf>,
    /// Skip the memory-wall bisection.
    #[arg(long = "no-wall")]
    pub no_wall: bool,
    /// Our decode rows' KV cache dtypes (comma-separated): bf16, int8 (one f32 scale per kv
    /// head and channel). The peers' rows are bf16.
    #[arg(long = "kv-dtype", value_delimiter = ',', default_value = "bf16,int8", value_parser = crate::catalog::parse_kv_dtype)]
    pub kv_dtypes: Vec<KvCacheDtype>,
    /// Where the plot (roofline.svg/.png) and bench.json go.
    #[arg(long, default_value = "target/bench")]
    pub out: PathBuf,
}

/// One standard shape.
struct Workload {
    id: String,
    /// Our kernel for the workload, and the label of its row.
    ours: Problem,
    ours_label: String,
    /// Our other forms of the same workload (a decode over an int8 KV cache), each a row.
    variants: Vec<(String, Problem)>,
    /// Tokens one call processes (economics): rows of a matmul, query positions of
    /// attention, new tokens of decoding.
    tokens: f64,
    /// Our StableHLO for the plain-XLA version, and what it is.
    xla: String,
    xla_label: &'static str,
    /// The XLA program covers `1 / xla_scale` of the heads (or rows); its cycles are
    /// multiplied back. Long sequences are profiled at H=1 (docs/design.md §8: the profiler needs
    /// ~10 GB per head at N=32768, and H=1 × H differs from a direct profile by 0.55% at
    /// N=8192); batched decode at B=1, where the profiler does not abort.
    xla_scale: u64,
}

/// One row of the peer table.
#[derive(Debug, Serialize)]
struct Row {
    workload: String,
    implementation: String,
    config: String,
    estimate: Option<Estimate>,
    /// Why there is no estimate.
    note: Option<String>,
    tokens_per_call: f64,
}

fn workloads(quick: bool, kv_dtypes: &[KvCacheDtype]) -> Result<Vec<Workload>, CliError> {
    let matmul_dim = if quick { 1024 } else { 4096 };
    let attention: &[(usize, usize)] = if quick {
        &[(2, 1024)]
    } else {
        &[(8, 2048), (8, 8192)]
    };
    let decode: &[(usize, usize)] = if quick {
        &[(1, 4096)]
    } else {
        &[(1, 32768), (8, 32768)]
    };
    let mut list = vec![Workload {
        id: format!("matmul-{matmul_dim}"),
        ours: Problem::new(
            "matmul",
            MatmulConfig::new(matmul_dim, matmul_dim, matmul_dim),
        ),
        ours_label: "ours (matmul)".into(),
        variants: Vec::new(),
        tokens: matmul_dim as f64,
        xla: xla::matmul(matmul_dim, matmul_dim, matmul_dim, DType::Bf16),
        xla_label: "one dot_general",
        xla_scale: 1,
    }];
    for &(heads, seq) in attention {
        let per_head = seq >= LONG_SEQ;
        list.push(Workload {
            id: format!("attention-fwd-causal-b1-h{heads}-n{seq}-d128"),
            ours: Problem::new(
                "flash-attention",
                Forward(FlashAttentionConfig::new(1, heads, heads, seq, seq, 128).causal(true)),
            ),
            ours_label: "ours (flash-attention)".into(),
            variants: Vec::new(),
            tokens: seq as f64,
            xla: xla::attention(
                AttentionShape {
                    batch: 1,
                    heads: if per_head { 1 } else { heads },
                    seq_q: seq,
                    seq_kv: seq,
                    head_dim: 128,
                    causal: true,
                },
                DType::Bf16,
            ),
            xla_label: if per_head {
                "einsum + masked softmax + einsum, profiled at H=1 × H"
            } else {
                "einsum + masked softmax + einsum"
            },
            xla_scale: if per_head { heads as u64 } else { 1 },
        });
    }
    let [first, rest @ ..] = kv_dtypes else {
        return Err(CliError::Flag(
            "--kv-dtype needs at least one of bf16, int8".into(),
        ));
    };
    for &(batch, kv_len) in decode {
        // XLA's decode at B > 1 aborts libtpu's profiler (docs/design.md §8): profile one row, ×B.
        let per_row = batch > 1;
        let ours = |kv_dtype: KvCacheDtype| {
            let cfg = FlashDecodingConfig::new(batch, 8, 8, 128, kv_len)
                .with_kv_dtype(kv_dtype)
                .with_lengths(KvLengths::Uniform(kv_len))
                .with_default_blocks();
            let label = match kv_dtype {
                KvCacheDtype::Bf16 => "ours (flash-decoding)".to_string(),
                KvCacheDtype::Int8 => "ours (flash-decoding, int8 KV)".to_string(),
            };
            (
                label,
                Problem::new("flash-decoding", Decoding { cfg, paged: None }),
            )
        };
        let (ours_label, main) = ours(*first);
        list.push(Workload {
            id: format!("decode-b{batch}-h8-kvh8-l{kv_len}-d128"),
            ours: main,
            ours_label,
            variants: rest.iter().map(|&dtype| ours(dtype)).collect(),
            tokens: batch as f64,
            xla: xla::attention(
                AttentionShape {
                    batch: if per_row { 1 } else { batch },
                    heads: 8,
                    seq_q: 1,
                    seq_kv: kv_len,
                    head_dim: 128,
                    causal: false,
                },
                DType::Bf16,
            ),
            xla_label: if per_row {
                "einsum + softmax + einsum, 1 query, profiled at B=1 × B"
            } else {
                "einsum + softmax + einsum, 1 query"
            },
            xla_scale: if per_row { batch as u64 } else { 1 },
        });
    }
    Ok(list)
}

pub fn run(args: &Args) -> Result<(), CliError> {
    if !(args.price_per_chip_hour.is_finite() && args.price_per_chip_hour > 0.0) {
        return Err(CliError::Flag(format!(
            "--price-per-chip-hour must be a positive number of USD, got {}",
            args.price_per_chip_hour
        )));
    }
    let chip = Target::v5e();
    let python = args
        .peers_python
        .clone()
        .unwrap_or_else(|| PathBuf::from(peers::DEFAULT_PYTHON));
    println!(
        "bench        v5e, libtpu static estimates (not measurements){}",
        if args.quick { ", --quick shapes" } else { "" }
    );
    let workloads = workloads(args.quick, &args.kv_dtypes)?;
    let mut rows = Vec::new();
    for w in &workloads {
        eprintln!("compiling    {} (ours, XLA)", w.id);
        rows.push(ours_row(&chip, w, &w.ours, &w.ours_label));
        for (label, problem) in &w.variants {
            rows.push(ours_row(&chip, w, problem, label));
        }
        rows.push(xla_row(&chip, w));
    }
    let peer_run = if args.peer_records.is_empty() {
        eprintln!("running      peer scripts in {}", args.peers_dir.display());
        peers::run(&args.peers_dir, &python, args.quick)
    } else {
        peers::read(&args.peer_records)
    };
    for w in &workloads {
        let work = w.ours.work(&chip)?;
        for r in peer_run.records.iter().filter(|r| r.workload == w.id) {
            let recorded = if args.peer_records.is_empty() {
                ""
            } else {
                " (recorded)"
            };
            let refusal = r.refusal();
            let provenance = r.provenance();
            let config = r.config.clone().unwrap_or_default();
            rows.push(Row {
                workload: w.id.clone(),
                implementation: format!("{}{recorded}", r.implementation),
                config: if provenance.is_empty() {
                    config
                } else {
                    format!("{config}; {provenance}")
                },
                estimate: r
                    .estimated_cycles
                    .filter(|_| refusal.is_none())
                    .map(|c| Estimate::new(&chip, c, work)),
                note: refusal.or_else(|| r.error.clone()).or_else(|| {
                    r.estimated_cycles
                        .is_none()
                        .then(|| "the script gave no estimate".to_string())
                }),
                tokens_per_call: w.tokens,
            });
        }
    }
    print_table(&chip, &rows, args.price_per_chip_hour);
    for (what, why) in &peer_run.not_run {
        println!("not run      {what}: {why}");
    }
    let wall = if args.no_wall {
        None
    } else {
        Some(memory_wall(args.quick)?)
    };
    let points: Vec<plot::Point> = rows
        .iter()
        .filter_map(|r| {
            let e = r.estimate.as_ref()?;
            Some(plot::Point {
                label: format!("{} {}", r.implementation, r.workload),
                intensity: e.floors.intensity,
                tflops: e.tflops,
                ours: r.implementation.starts_with("ours"),
            })
        })
        .collect();
    let series = wall.as_ref().map(WallReport::series).unwrap_or_default();
    let (svg, png) = plot::draw(&args.out.join("roofline"), &chip, &points, &series)?;
    let doc = serde_json::json!({
        "chip": chip.name,
        "note": "libtpu 0.0.52 static estimates for one v5e chip; not measurements",
        "price_per_chip_hour_usd": args.price_per_chip_hour,
        "rows": rows,
        "not_run": peer_run.not_run,
        "memory_wall": wall,
    });
    let json_path = args.out.join("bench.json");
    let text = serde_json::to_string_pretty(&doc).map_err(CliError::json("encoding bench.json"))?;
    std::fs::write(&json_path, text).map_err(CliError::io(format!(
        "cannot write {}",
        json_path.display()
    )))?;
    println!("plot         {} and {}", svg.display(), png.display());
    println!("results      {}", json_path.display());
    Ok(())
}

fn blocks_text(blocks: &Blocks) -> String {
    blocks
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn ours_row(chip: &Target, w: &Workload, problem: &Problem, label: &str) -> Row {
    // The blocks a previous `pallas-flash tune` chose, when it ran for this problem.
    let tuned = crate::tune::cached_choice(&crate::tune::default_cache_dir(), problem, chip);
    let blocks = tuned.clone().unwrap_or_else(|| problem.blocks(chip));
    let estimate = problem
        .build(chip, &blocks)
        .and_then(|built| crate::catalog::check(chip, &built).map(|_| built))
        .and_then(|built| compile_kernel(&built, chip, true))
        .and_then(|c| {
            c.output
                .profile
                .map(|p| p.total_cycles())
                .ok_or_else(|| CliError::Flag("libtpu returned no static profile".into()))
        });
    let config = format!(
        "{}{}",
        blocks_text(&blocks),
        if tuned.is_some() {
            " (tuned)"
        } else {
            " (default blocks; `tune` to improve)"
        }
    );
    row(chip, w, problem, label.to_string(), config, estimate)
}

fn xla_row(chip: &Target, w: &Workload) -> Row {
    let estimate = compile_program(
        w.xla.clone().into_bytes(),
        &chip.topology,
        CompileOptions::default(),
        true,
    )
    .and_then(|out| {
        out.profile
            .map(|p| p.total_cycles() * w.xla_scale)
            .ok_or_else(|| CliError::Flag("libtpu returned no static profile".into()))
    });
    row(
        chip,
        w,
        &w.ours,
        "plain XLA".into(),
        w.xla_label.into(),
        estimate,
    )
}

fn row(
    chip: &Target,
    w: &Workload,
    problem: &Problem,
    implementation: String,
    config: String,
    cycles: Result<u64, CliError>,
) -> Row {
    let (estimate, note) = match cycles {
        Ok(c) => match problem.work(chip) {
            Ok(work) => (Some(Estimate::new(chip, c, work)), None),
            Err(e) => (None, Some(e.to_string())),
        },
        Err(e) => (
            None,
            Some(e.to_string().lines().next().unwrap_or_default().to_string()),
        ),
    };
    Row {
        workload: w.id.clone(),
        implementation,
        config,
        estimate,
        note,
        tokens_per_call: w.tokens,
    }
}

/// USD per million tokens at `price` per chip-hour for a call of `seconds` on `tokens`.
pub fn usd_per_million_tokens(price_per_chip_hour: f64, seconds: f64, tokens: f64) -> f64 {
    price_per_chip_hour / 3600.0 * seconds / tokens * 1e6
}

fn print_table(chip: &Target, rows: &[Row], price: f64) {
    println!();
    println!(
        "{:<40} {:<34} {:>12} {:>9} {:>8} {:>6} {:>7} {:>9} {:>9} {:>12} {:>10}  config / note",
        "workload",
        "implementation",
        "cycles",
        "µs",
        "TFLOP/s",
        "MFU",
        "×roof",
        "HBM MB",
        "proj µs",
        "tokens/s",
        "$/M tok"
    );
    for r in rows {
        let head = format!("{:<40} {:<34}", r.workload, r.implementation);
        match &r.estimate {
            Some(e) => {
                let tokens_per_s = r.tokens_per_call / e.estimated_seconds;
                let flag = if e.below_floor {
                    "  BELOW FLOOR: profiler artifact"
                } else {
                    ""
                };
                println!(
                    "{head} {:>12} {:>9.1} {:>8.1} {:>5.1}% {:>7.2} {:>9.1} {:>9.1} {:>12.3e} {:>10.3e}  {}{flag}",
                    e.estimated_cycles,
                    e.estimated_seconds * 1e6,
                    e.tflops,
                    e.mfu * 100.0,
                    e.roofline_ratio(),
                    e.hbm_bytes / 1e6,
                    e.projected_seconds * 1e6,
                    tokens_per_s,
                    usd_per_million_tokens(price, e.estimated_seconds, r.tokens_per_call),
                    r.config
                );
            }
            None => println!(
                "{head} {:>12}  {}",
                "not run",
                r.note.as_deref().unwrap_or("no estimate")
            ),
        }
    }
    println!();
    println!("projected    proj µs = max(model estimate, HBM MB / {:.0} GB/s): on a real {} a decode step is bound by its bytes; the model streams HBM faster than the spec", chip.hbm_bytes_per_s / 1e9, chip.name);
    println!("economics    tokens/s and $/M tokens for this kernel call alone at ${price:.2} per chip-hour (--price-per-chip-hour)");
}

/// The memory-wall section: plain XLA attention bisected, and ours far beyond it.
#[derive(Debug, Serialize)]
struct WallReport {
    heads: usize,
    head_dim: usize,
    xla: wall::Wall,
    /// Our FlashAttention-2 at sequence lengths past the wall.
    ours: Vec<wall::Probe>,
}

impl WallReport {
    fn series(&self) -> Vec<plot::WallSeries> {
        let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
        let split = |probes: &[wall::Probe], label: String, ours: bool| plot::WallSeries {
            label,
            fits: probes
                .iter()
                .filter_map(|p| p.hbm_bytes.map(|b| (p.seq, gib(b))))
                .collect(),
            ooms: probes
                .iter()
                .filter_map(|p| p.needed_bytes.map(|b| (p.seq, gib(b))))
                .collect(),
            ours,
        };
        vec![
            split(
                &self.xla.probes,
                format!(
                    "plain XLA attention (H={}, D={}): last fit N={}",
                    self.heads, self.head_dim, self.xla.last_fit
                ),
                false,
            ),
            split(&self.ours, "ours: FlashAttention-2".into(), true),
        ]
    }
}

/// From this sequence length on, plain-XLA attention is profiled one head at a time.
const LONG_SEQ: usize = 8192;

const WALL_HEADS: usize = 16;
const WALL_HEAD_DIM: usize = 128;

fn memory_wall(quick: bool) -> Result<WallReport, CliError> {
    let (low, high, step) = if quick {
        (8192, 65536, 8192)
    } else {
        (1024, 131072, 512)
    };
    eprintln!("memory wall  bisecting plain XLA attention (B=1, H={WALL_HEADS}, D={WALL_HEAD_DIM}, bf16) between N={low} and N={high}");
    let xla = wall::find_wall(low, high, step, |seq| {
        let shape = AttentionShape {
            batch: 1,
            heads: WALL_HEADS,
            seq_q: seq,
            seq_kv: seq,
            head_dim: WALL_HEAD_DIM,
            causal: false,
        };
        let text = xla::attention(shape, DType::Bf16);
        let probe = probe(
            seq,
            compile_program(
                text.into_bytes(),
                "v5e:1x1",
                CompileOptions::default(),
                false,
            )
            .map(|o| o.report.memory_stats),
        );
        eprintln!(
            "               N={seq}: {}",
            probe.as_ref().map_or_else(
                |e| e.to_string(),
                |p| if p.fits() {
                    "fits".into()
                } else {
                    "HBM OOM".into()
                }
            )
        );
        probe
    })?;
    let beyond: &[usize] = if quick { &[131072] } else { &[131072, 262144] };
    let mut ours = Vec::new();
    for &seq in beyond {
        let v5e = Target::v5e();
        let problem = Problem::new(
            "flash-attention",
            Forward(FlashAttentionConfig::new(
                1,
                WALL_HEADS,
                WALL_HEADS,
                seq,
                seq,
                WALL_HEAD_DIM,
            )),
        );
        let compiled = problem
            .build(&v5e, &problem.blocks(&v5e))
            .and_then(|b| compile_kernel(&b, &v5e, false));
        let p = probe(seq, compiled.map(|c| c.output.report.memory_stats))?;
        eprintln!(
            "               ours N={seq}: {}",
            if p.fits() { "fits" } else { "HBM OOM" }
        );
        ours.push(p);
    }
    print_wall(&xla, &ours);
    Ok(WallReport {
        heads: WALL_HEADS,
        head_dim: WALL_HEAD_DIM,
        xla,
        ours,
    })
}

/// A compile's outcome as a wall probe: memory when it fit, the need when it ran out of HBM.
fn probe(
    seq: usize,
    compiled: Result<pallas_flash::runtime::MemoryStats, CliError>,
) -> Result<wall::Probe, CliError> {
    match compiled {
        Ok(m) => {
            let bytes = [m.argument_bytes, m.output_bytes, m.temp_bytes]
                .iter()
                .map(|b| u64::try_from(*b).unwrap_or(0))
                .sum();
            Ok(wall::Probe {
                seq,
                hbm_bytes: Some(bytes),
                needed_bytes: None,
            })
        }
        Err(e) if e.is_hbm_oom() => Ok(wall::Probe {
            seq,
            hbm_bytes: None,
            needed_bytes: wall::needed_bytes(&e.to_string()),
        }),
        Err(e) => Err(e),
    }
}

fn print_wall(xla: &wall::Wall, ours: &[wall::Probe]) {
    let gib = |b: u64| format!("{:.2} GiB", b as f64 / (1u64 << 30) as f64);
    println!();
    println!("memory wall  B=1, H={WALL_HEADS}, D={WALL_HEAD_DIM}, bf16, one v5e (16 GiB HBM), libtpu compile-time HBM check");
    println!("{:<34} {:>8} {:>16}", "implementation", "N", "HBM");
    for p in &xla.probes {
        let hbm = match (p.hbm_bytes, p.needed_bytes) {
            (Some(b), _) => gib(b),
            (None, Some(b)) => format!("OOM (needs {})", gib(b)),
            (None, None) => "OOM".into(),
        };
        println!("{:<34} {:>8} {:>16}", "plain XLA attention", p.seq, hbm);
    }
    for p in ours {
        println!(
            "{:<34} {:>8} {:>16}",
            "ours: FlashAttention-2",
            p.seq,
            p.hbm_bytes.map_or("OOM".into(), gib)
        );
    }
    match xla.first_oom {
        Some(oom) => println!(
            "wall         plain XLA compiles up to N={} and runs out of HBM at N={oom}",
            xla.last_fit
        ),
        None => println!(
            "wall         plain XLA compiled even at N={}: no wall in range",
            xla.last_fit
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_per_million_tokens() {
        // One second per call on 1e6 tokens at $3600/h costs $1 per million tokens.
        assert!((usd_per_million_tokens(3600.0, 1.0, 1e6) - 1.0).abs() < 1e-12);
        assert!(
            (usd_per_million_tokens(1.2, 1e-3, 2048.0) - 1.2 / 3600.0 * 1e-3 / 2048.0 * 1e6).abs()
                < 1e-15
        );
    }

    #[test]
    fn quick_workloads_are_small_and_have_both_sides() {
        let list = workloads(true, &[KvCacheDtype::Bf16, KvCacheDtype::Int8]).unwrap();
        assert_eq!(list[0].id, "matmul-1024");
        assert!(list
            .iter()
            .all(|w| w.ours.work(&Target::v5e()).unwrap().flops < 1e10
                && w.xla.contains("func.func public @main")));
    }

    #[test]
    fn an_hbm_oom_is_a_probe_and_other_errors_are_not() {
        let oom = CliError::Runtime(pallas_flash::runtime::Error::HbmOom {
            message: "HLO temporaries (20.00G) exceeds".into(),
        });
        let p = probe(4096, Err(oom)).unwrap();
        assert!(!p.fits() && p.needed_bytes == Some(20 << 30));
        assert!(probe(4096, Err(CliError::Flag("crash".into()))).is_err());
    }
}
