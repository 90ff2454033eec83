//! `pallas-flash bench`: our kernels beside JAX Pallas and tpu-inference (peer scripts) and
//! plain XLA (our StableHLO generators) on the standard shapes, in one run, on v5e and v6e;
//! economics at public on-demand prices with the break-even against plain XLA; the roofline
//! plot; the memory wall.
//!
//! Every figure is libtpu 0.0.52's static estimate for one chip (docs/design.md §8), compiled
//! in worker processes; peers run their own compiles in their Python. Nothing here is a
//! measurement on a TPU, and the output says so.

mod economics;
mod peers;
mod plot;
mod wall;
mod xla;

use std::path::PathBuf;

use pallas_flash::ir::DType;
use pallas_flash::kernels::flash_attention::{Backward, FlashAttentionConfig, Forward};
use pallas_flash::kernels::flash_decoding::{
    Decoding, FlashDecodingConfig, KvCacheDtype, KvLengths,
};
use pallas_flash::kernels::matmul::MatmulConfig;
use pallas_flash::kernels::retrieval::RetrievalConfig;
use pallas_flash::runtime::CompileOptions;
use pallas_flash::tiling::Target;
use serde::Serialize;

use crate::catalog::Problem;
use crate::error::CliError;
use crate::estimate::Estimate;
use crate::libtpu::{compile_kernel, compile_program};
use economics::{BreakEven, ChipPrice};
use pallas_flash::tiling::Blocks;
use xla::AttentionShape;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Small shapes and a coarse memory wall: a smoke run in about a minute.
    #[arg(long)]
    pub quick: bool,
    /// USD per chip-hour of a chip, CHIP=USD (repeatable or comma-separated), replacing the
    /// built-in on-demand list price (v5e $1.20, v6e $2.70; Google Cloud, us-central1).
    #[arg(long = "price", value_name = "CHIP=USD", value_delimiter = ',', value_parser = economics::parse_price)]
    pub prices: Vec<(String, f64)>,
    /// Python for the peer scripts (default: python3 from PATH; each script makes its own
    /// pinned venv, see benches/peers).
    #[arg(long = "peers-python")]
    pub peers_python: Option<PathBuf>,
    /// Directory of the peer scripts (`*.py`).
    #[arg(long = "peers-dir", default_value = "benches/peers")]
    pub peers_dir: PathBuf,
    /// Run only these peer scripts (file stems, comma-separated, e.g.
    /// flash_attention_peers); with --peer-records the others' records are read instead.
    #[arg(long = "peer-scripts", value_delimiter = ',')]
    pub peer_scripts: Vec<String>,
    /// Read the peers' JSON records from these files (what the peer scripts printed with
    /// --json-lines in an earlier run, same pinned libtpu). Without --peer-scripts no
    /// script runs. The table labels these rows as recorded.
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

/// Plain XLA's version of a workload: our StableHLO of the same math.
struct XlaBaseline {
    text: String,
    label: &'static str,
    /// The program covers `1 / scale` of the heads (or rows); its cycles are multiplied
    /// back. Long sequences are profiled at H=1 (docs/design.md §8: the profiler needs ~10 GB
    /// per head at N=32768, and H=1 × H differs from a direct profile by 0.55% at N=8192);
    /// batched decode at B=1, where the profiler does not abort.
    scale: u64,
}

/// One standard shape on one chip.
struct Workload {
    id: String,
    chip: Target,
    /// Our kernel for the workload, and the label of its row.
    ours: Problem,
    ours_label: String,
    /// Our other forms of the same workload (a decode over an int8 KV cache), each a row.
    variants: Vec<(String, Problem)>,
    /// Units one call processes (economics), and what they are: matmul rows, attention
    /// query positions and decode new tokens are `tokens`; retrieval counts `queries`.
    units: f64,
    unit: &'static str,
    /// Plain XLA of the same math, where we generate it (not for the attention backward).
    xla: Option<XlaBaseline>,
}

/// One row of the peer table.
#[derive(Debug, Serialize)]
struct Row {
    workload: String,
    chip: String,
    implementation: String,
    config: String,
    estimate: Option<Estimate>,
    /// Why there is no estimate.
    note: Option<String>,
    units_per_call: f64,
    unit: &'static str,
}

/// The sequence lengths of the attention rows (forward on v5e; the backward and v6e at the
/// longest), and decode's (batch, KV length).
struct Shapes {
    matmul: usize,
    heads: usize,
    attention: &'static [usize],
    decode: &'static [(usize, usize)],
    retrieval: (usize, usize, usize, usize),
}

const FULL: Shapes = Shapes {
    matmul: 4096,
    heads: 8,
    attention: &[2048, 8192],
    decode: &[(1, 32768), (8, 32768)],
    retrieval: (8, 65_536, 768, 10),
};

const QUICK: Shapes = Shapes {
    matmul: 1024,
    heads: 2,
    attention: &[1024],
    decode: &[(1, 4096)],
    retrieval: (8, 8192, 768, 10),
};

fn attention_shape(heads: usize, seq: usize) -> FlashAttentionConfig {
    FlashAttentionConfig::new(1, heads, heads, seq, seq, 128).causal(true)
}

fn attention_workload(chip: &Target, heads: usize, seq: usize, backward: bool) -> Workload {
    let per_head = seq >= LONG_SEQ;
    let cfg = attention_shape(heads, seq);
    let (direction, ours, ours_label) = if backward {
        (
            "bwd",
            Problem::new("flash-attention-backward", Backward(cfg)),
            "ours (flash-attention-backward)",
        )
    } else {
        (
            "fwd",
            Problem::new("flash-attention", Forward(cfg)),
            "ours (flash-attention)",
        )
    };
    Workload {
        id: format!("attention-{direction}-causal-b1-h{heads}-n{seq}-d128"),
        chip: chip.clone(),
        ours,
        ours_label: ours_label.into(),
        variants: Vec::new(),
        units: seq as f64,
        unit: "tokens",
        xla: (!backward).then(|| XlaBaseline {
            text: xla::attention(
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
            label: if per_head {
                "einsum + masked softmax + einsum, profiled at H=1 × H"
            } else {
                "einsum + masked softmax + einsum"
            },
            scale: if per_head { heads as u64 } else { 1 },
        }),
    }
}

fn decode_workload(
    chip: &Target,
    batch: usize,
    kv_len: usize,
    kv_dtypes: &[KvCacheDtype],
) -> Result<Workload, CliError> {
    let [first, rest @ ..] = kv_dtypes else {
        return Err(CliError::Flag(
            "--kv-dtype needs at least one of bf16, int8".into(),
        ));
    };
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
    Ok(Workload {
        id: format!("decode-b{batch}-h8-kvh8-l{kv_len}-d128"),
        chip: chip.clone(),
        ours: main,
        ours_label,
        variants: rest.iter().map(|&dtype| ours(dtype)).collect(),
        units: batch as f64,
        unit: "tokens",
        xla: Some(XlaBaseline {
            text: xla::attention(
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
            label: if per_row {
                "einsum + softmax + einsum, 1 query, profiled at B=1 × B"
            } else {
                "einsum + softmax + einsum, 1 query"
            },
            scale: if per_row { batch as u64 } else { 1 },
        }),
    })
}

fn retrieval_workload(chip: &Target, (q, m, d, k): (usize, usize, usize, usize)) -> Workload {
    Workload {
        id: format!("retrieval-q{q}-m{m}-d{d}-k{k}"),
        chip: chip.clone(),
        ours: Problem::new("retrieval", RetrievalConfig::new(q, m, d, k)),
        ours_label: "ours (retrieval, norms in kernel)".into(),
        variants: Vec::new(),
        units: q as f64,
        unit: "queries",
        xla: Some(XlaBaseline {
            text: xla::retrieval(q, m, d, k),
            label: "dot + norms + chlo.top_k",
            scale: 1,
        }),
    }
}

/// The standard workloads: everything on v5e; on v6e (issue 21, issue 20's economics per
/// generation) the longest forward attention, the B=1 decode and retrieval.
fn workloads(quick: bool, kv_dtypes: &[KvCacheDtype]) -> Result<Vec<Workload>, CliError> {
    let shapes = if quick { &QUICK } else { &FULL };
    let (v5e, v6e) = (Target::v5e(), Target::v6e());
    let dim = shapes.matmul;
    let mut list = vec![Workload {
        id: format!("matmul-{dim}"),
        chip: v5e.clone(),
        ours: Problem::new("matmul", MatmulConfig::new(dim, dim, dim)),
        ours_label: "ours (matmul)".into(),
        variants: Vec::new(),
        units: dim as f64,
        unit: "tokens",
        xla: Some(XlaBaseline {
            text: xla::matmul(dim, dim, dim, DType::Bf16),
            label: "one dot_general",
            scale: 1,
        }),
    }];
    let longest = *shapes.attention.last().unwrap_or(&1024);
    for &seq in shapes.attention {
        list.push(attention_workload(&v5e, shapes.heads, seq, false));
    }
    list.push(attention_workload(&v5e, shapes.heads, longest, true));
    list.push(attention_workload(&v6e, shapes.heads, longest, false));
    for &(batch, kv_len) in shapes.decode {
        list.push(decode_workload(&v5e, batch, kv_len, kv_dtypes)?);
    }
    let (batch, kv_len) = shapes.decode[0];
    list.push(decode_workload(&v6e, batch, kv_len, kv_dtypes)?);
    list.push(retrieval_workload(&v5e, shapes.retrieval));
    list.push(retrieval_workload(&v6e, shapes.retrieval));
    Ok(list)
}

pub fn run(args: &Args) -> Result<(), CliError> {
    let prices = economics::prices(&args.prices)?;
    let python = args
        .peers_python
        .clone()
        .unwrap_or_else(|| PathBuf::from(peers::DEFAULT_PYTHON));
    println!(
        "bench        v5e and v6e, libtpu static estimates (not measurements){}",
        if args.quick { ", --quick shapes" } else { "" }
    );
    let workloads = workloads(args.quick, &args.kv_dtypes)?;
    let mut rows = Vec::new();
    for w in &workloads {
        eprintln!("compiling    {} on {} (ours, XLA)", w.id, w.chip.name);
        rows.push(ours_row(w, &w.ours, &w.ours_label));
        for (label, problem) in &w.variants {
            rows.push(ours_row(w, problem, label));
        }
        if let Some(baseline) = &w.xla {
            rows.push(xla_row(w, baseline));
        }
    }
    let mut peer_run = if args.peer_records.is_empty() || !args.peer_scripts.is_empty() {
        eprintln!("running      peer scripts in {}", args.peers_dir.display());
        peers::run(&args.peers_dir, &python, args.quick, &args.peer_scripts)
    } else {
        peers::PeerRun::default()
    };
    let recorded = peers::read(&args.peer_records);
    peer_run.records.extend(recorded.records);
    peer_run.not_run.extend(recorded.not_run);
    for w in &workloads {
        let work = w.ours.work(&w.chip)?;
        for r in peer_run
            .records
            .iter()
            .filter(|r| r.workload == w.id && r.target == w.chip.name)
        {
            let refusal = r.refusal();
            let provenance = r.provenance();
            let config = r.config.clone().unwrap_or_default();
            rows.push(Row {
                workload: w.id.clone(),
                chip: w.chip.name.to_string(),
                implementation: format!(
                    "{}{}",
                    r.implementation,
                    if r.recorded { " (recorded)" } else { "" }
                ),
                config: if provenance.is_empty() {
                    config
                } else {
                    format!("{config}; {provenance}")
                },
                estimate: r
                    .estimated_cycles
                    .filter(|_| refusal.is_none())
                    .map(|c| Estimate::new(&w.chip, c, work)),
                note: refusal.or_else(|| r.error.clone()).or_else(|| {
                    r.estimated_cycles
                        .is_none()
                        .then(|| "the script gave no estimate".to_string())
                }),
                units_per_call: w.units,
                unit: w.unit,
            });
        }
    }
    print_table(&rows, &prices);
    let break_even = break_even(&workloads, &rows, &prices);
    print_break_even(&break_even, &prices);
    for (what, why) in &peer_run.not_run {
        println!("not run      {what}: {why}");
    }
    let wall = if args.no_wall {
        None
    } else {
        Some(memory_wall(args.quick)?)
    };
    let v5e = Target::v5e();
    let points: Vec<plot::Point> = rows
        .iter()
        .filter(|r| r.chip == v5e.name)
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
    let (svg, png) = plot::draw(&args.out.join("roofline"), &v5e, &points, &series)?;
    let doc = serde_json::json!({
        "chips": ["v5e", "v6e"],
        "note": "libtpu 0.0.52 static estimates for one chip; not measurements",
        "prices": prices,
        "rows": rows,
        "break_even_vs_xla": break_even,
        "peer_records": peer_run.records,
        "not_run": peer_run.not_run,
        "memory_wall": wall,
    });
    let json_path = args.out.join("bench.json");
    let text = serde_json::to_string_pretty(&doc).map_err(CliError::json("encoding bench.json"))?;
    std::fs::write(&json_path, text).map_err(CliError::io(format!(
        "cannot write {}",
        json_path.display()
    )))?;
    println!(
        "plot         {} and {} (v5e rows)",
        svg.display(),
        png.display()
    );
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

fn ours_row(w: &Workload, problem: &Problem, label: &str) -> Row {
    let chip = &w.chip;
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
    row(w, problem, label.to_string(), config, estimate)
}

fn xla_row(w: &Workload, baseline: &XlaBaseline) -> Row {
    let estimate = compile_program(
        baseline.text.clone().into_bytes(),
        &w.chip.topology,
        CompileOptions::default(),
        true,
    )
    .and_then(|out| {
        out.profile
            .map(|p| p.total_cycles() * baseline.scale)
            .ok_or_else(|| CliError::Flag("libtpu returned no static profile".into()))
    });
    row(
        w,
        &w.ours,
        XLA_LABEL.into(),
        baseline.label.into(),
        estimate,
    )
}

const XLA_LABEL: &str = "plain XLA";

fn row(
    w: &Workload,
    problem: &Problem,
    implementation: String,
    config: String,
    cycles: Result<u64, CliError>,
) -> Row {
    let (estimate, note) = match cycles {
        Ok(c) => match problem.work(&w.chip) {
            Ok(work) => (Some(Estimate::new(&w.chip, c, work)), None),
            Err(e) => (None, Some(e.to_string())),
        },
        Err(e) => (
            None,
            Some(e.to_string().lines().next().unwrap_or_default().to_string()),
        ),
    };
    Row {
        workload: w.id.clone(),
        chip: w.chip.name.to_string(),
        implementation,
        config,
        estimate,
        note,
        units_per_call: w.units,
        unit: w.unit,
    }
}

fn price_of<'a>(prices: &'a [ChipPrice], chip: &str) -> Option<&'a ChipPrice> {
    prices.iter().find(|p| p.chip == chip)
}

fn print_table(rows: &[Row], prices: &[ChipPrice]) {
    println!();
    println!(
        "{:<40} {:<4} {:<34} {:>12} {:>9} {:>8} {:>6} {:>7} {:>9} {:>9} {:>12} {:>10}  config / note",
        "workload",
        "chip",
        "implementation",
        "cycles",
        "µs",
        "TFLOP/s",
        "MFU",
        "×roof",
        "HBM MB",
        "proj µs",
        "units/s",
        "$/M units"
    );
    for r in rows {
        let head = format!("{:<40} {:<4} {:<34}", r.workload, r.chip, r.implementation);
        match &r.estimate {
            Some(e) => {
                let per_s = r.units_per_call / e.projected_seconds;
                let usd = price_of(prices, &r.chip).map_or("no price".to_string(), |p| {
                    format!(
                        "{:.3e}",
                        economics::usd_per_million(
                            p.usd_per_chip_hour,
                            e.projected_seconds,
                            r.units_per_call
                        )
                    )
                });
                let flag = if e.below_floor {
                    "  BELOW FLOOR: profiler artifact"
                } else {
                    ""
                };
                println!(
                    "{head} {:>12} {:>9.1} {:>8.1} {:>5.1}% {:>7.2} {:>9.1} {:>9.1} {:>12.3e} {:>10}  {}{flag}",
                    e.estimated_cycles,
                    e.estimated_seconds * 1e6,
                    e.tflops,
                    e.mfu * 100.0,
                    e.roofline_ratio(),
                    e.hbm_bytes / 1e6,
                    e.projected_seconds * 1e6,
                    per_s,
                    usd,
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
    println!(
        "cycles       at each chip's clock (v5e 1.5 GHz, v6e 1.75 GHz); MFU against its bf16 peak"
    );
    println!("projected    proj µs = max(model estimate, HBM MB / spec HBM rate: v5e 819 GB/s, v6e 1640 GB/s): on a real chip a memory-bound call is bound by its bytes; the model streams HBM faster than the spec");
    println!("units        tokens (matmul rows, attention query positions, decode new tokens) or queries (retrieval); units/s and $/M units from the projected time, for this kernel call alone");
}

/// Our main row against plain XLA's, per workload where both have an estimate.
fn break_even(workloads: &[Workload], rows: &[Row], prices: &[ChipPrice]) -> Vec<BreakEven> {
    workloads
        .iter()
        .filter_map(|w| {
            let find = |label: &str| {
                rows.iter()
                    .find(|r| {
                        r.workload == w.id && r.chip == w.chip.name && r.implementation == label
                    })
                    .and_then(|r| r.estimate.as_ref())
            };
            let (ours, xla) = (find(&w.ours_label)?, find(XLA_LABEL)?);
            Some(BreakEven::new(
                price_of(prices, w.chip.name)?,
                &w.id,
                w.unit,
                w.units,
                ours.projected_seconds,
                xla.projected_seconds,
            ))
        })
        .collect()
}

fn print_break_even(list: &[BreakEven], prices: &[ChipPrice]) {
    println!();
    for p in prices {
        println!(
            "price        {} ${:.2} per chip-hour — {} (--price {}=USD overrides)",
            p.chip, p.usd_per_chip_hour, p.source, p.chip
        );
    }
    println!(
        "{:<40} {:<4} {:>14} {:>14} {:>9} {:>22}",
        "break-even vs plain XLA", "chip", "ours $/M", "XLA $/M", "XLA/ours", "ours pays off up to"
    );
    for b in list {
        println!(
            "{:<40} {:<4} {:>14.3e} {:>14.3e} {:>8.2}× {:>14.2} $/chip-h  (per M {})",
            b.workload,
            b.chip,
            b.ours_usd_per_million,
            b.xla_usd_per_million,
            b.xla_over_ours,
            b.break_even_usd_per_chip_hour,
            b.unit
        );
    }
    println!("break-even   the chip-hour price at which our kernel costs per unit what plain XLA costs at the list price on the same chip (projected times)");
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
    fn quick_workloads_are_small_and_have_both_sides() {
        let list = workloads(true, &[KvCacheDtype::Bf16, KvCacheDtype::Int8]).unwrap();
        assert_eq!(list[0].id, "matmul-1024");
        assert!(list
            .iter()
            .all(|w| w.ours.work(&w.chip).unwrap().flops < 1e10
                && w.xla
                    .as_ref()
                    .is_none_or(|x| x.text.contains("func.func public @main"))));
        let on = |chip: &str| {
            list.iter()
                .filter(|w| w.chip.name == chip)
                .map(|w| w.id.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            on("v6e"),
            [
                "attention-fwd-causal-b1-h2-n1024-d128",
                "decode-b1-h8-kvh8-l4096-d128",
                "retrieval-q8-m8192-d768-k10"
            ]
        );
        let backward = list
            .iter()
            .find(|w| w.id.starts_with("attention-bwd"))
            .unwrap();
        assert!(backward.xla.is_none() && backward.ours.name == "flash-attention-backward");
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
