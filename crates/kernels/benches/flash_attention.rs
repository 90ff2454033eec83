//! Static cycle estimates of the FlashAttention kernels on a TPU target (v5e unless
//! `--target`; libtpu 0.0.52, deviceless): a benchmark, not a test. Needs the compile worker in the target dir
//! (`cargo build -p pallas-flash-runtime --bin pallas-flash-worker`).
//!
//! ```text
//! cargo bench -p pallas-flash-kernels --bench flash_attention -- [--n 2048,8192] [--heads 8]
//!     [--bq 1024 --bkv 1024 --bc 512 --bqc 256] [--vmem-mib 64] [--bwd] [--d 128] [--non-causal]
//!     [--target v6e]
//! ```
//!
//! FLOPs follow docs/design.md §8: causal forward = 2·B·H·N²·D, backward = 2.5× that; est. MFU is
//! FLOPs / (cycles / clock) / bf16 peak, both the target's (v5e: 1.5 GHz, 197 TFLOP/s). Long sequences are profiled at `--heads`
//! (default: 8 up to N = 8192, else 1) and scaled to 8 heads, as docs/design.md §8 prescribes.

use std::process::ExitCode;

use pallas_flash_codegen::{compile_for_tpu, CompileSettings};
use pallas_flash_ir::Kernel;
use pallas_flash_kernels::flash_attention::{backward, forward, BlockSizes, FlashAttentionConfig};
use pallas_flash_tiling::Target;

const REPORTED_HEADS: usize = 8;

struct Args {
    seqs: Vec<usize>,
    heads: Option<usize>,
    head_dim: usize,
    blocks: Option<BlockSizes>,
    vmem_mib: Option<u64>,
    backward: bool,
    causal: bool,
    target: Target,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        seqs: vec![2048, 8192, 32768],
        heads: None,
        head_dim: 128,
        blocks: None,
        vmem_mib: None,
        backward: false,
        causal: true,
        target: Target::v5e(),
    };
    let (mut bq, mut bkv, mut bc, mut bqc) = (None, None, None, None);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || -> Result<usize, String> {
            let v = it.next().ok_or(format!("{flag} needs a value"))?;
            v.parse().map_err(|e| format!("{flag} {v}: {e}"))
        };
        match flag.as_str() {
            "--bench" => {}
            "--n" => {
                let v = std::env::args()
                    .skip_while(|a| a != "--n")
                    .nth(1)
                    .unwrap_or_default();
                args.seqs = v
                    .split(',')
                    .map(|s| s.parse().map_err(|e| format!("--n {s}: {e}")))
                    .collect::<Result<_, _>>()?;
                it.next();
            }
            "--heads" => args.heads = Some(value()?),
            "--d" => args.head_dim = value()?,
            "--bq" => bq = Some(value()?),
            "--bkv" => bkv = Some(value()?),
            "--bc" => bc = Some(value()?),
            "--bqc" => bqc = Some(value()?),
            "--vmem-mib" => args.vmem_mib = Some(value()? as u64),
            "--bwd" => args.backward = true,
            "--non-causal" => args.causal = false,
            "--target" => {
                let name = it.next().ok_or("--target needs a value")?;
                args.target = name.parse().map_err(|e| format!("--target {name}: {e}"))?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if let (Some(bq), Some(bkv)) = (bq, bkv) {
        let blocks = BlockSizes::new(bq, bkv);
        let blocks = bc.map_or(blocks, |c| blocks.compute(c));
        args.blocks = Some(bqc.map_or(blocks, |c| blocks.q_compute(c)));
    }
    Ok(args)
}

/// Estimated cycles of one kernel, or why it failed.
fn cycles(kernel: &Kernel, target: &Target) -> Result<u64, String> {
    let compiled = compile_for_tpu(
        kernel,
        &CompileSettings::new(target.clone()).with_static_profile(),
    )
    .map_err(|e| e.to_string())?;
    compiled
        .estimated_cycles()
        .ok_or_else(|| "no static profile".to_string())
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    println!("| kernel | N | heads profiled | blocks (q, kv, kv_compute, q_compute) | VMEM limit | est. cycles (H=8) | MXU floor | est. MFU |");
    println!("|---|---|---|---|---|---|---|---|");
    for &n in &args.seqs {
        let heads = args
            .heads
            .unwrap_or(if n <= 8192 { REPORTED_HEADS } else { 1 });
        let mut cfg =
            FlashAttentionConfig::new(1, heads, heads, n, n, args.head_dim).causal(args.causal);
        if let Some(blocks) = args.blocks {
            cfg = cfg.blocks(blocks);
        }
        if let Some(mib) = args.vmem_mib {
            cfg = cfg.vmem_limit_bytes(mib << 20);
        }
        let blocks = cfg
            .blocks
            .unwrap_or_else(|| cfg.default_blocks(&args.target));
        let fwd_flops = 2.0
            * (REPORTED_HEADS * n * n * args.head_dim) as f64
            * if args.causal { 1.0 } else { 2.0 };
        let (name, kernels, flops) = if args.backward {
            match backward(&cfg, &args.target) {
                Ok(b) => ("bwd (dq + dkv)", vec![b.dq, b.dkv], 2.5 * fwd_flops),
                Err(e) => {
                    println!("| bwd | {n} | {heads} | {blocks:?} | | error: {e} | | |");
                    continue;
                }
            }
        } else {
            match forward(&cfg, &args.target) {
                Ok(k) => ("fwd", vec![k], fwd_flops),
                Err(e) => {
                    println!("| fwd | {n} | {heads} | {blocks:?} | | error: {e} | | |");
                    continue;
                }
            }
        };
        let mut total = 0u64;
        for kernel in &kernels {
            match cycles(kernel, &args.target) {
                Ok(c) => {
                    eprintln!("{} N={n} H={heads}: {c} cycles", kernel.name);
                    total += c;
                }
                Err(e) => {
                    println!(
                        "| {name} | {n} | {heads} | {blocks:?} | | {}: {e} | | |",
                        kernel.name
                    );
                    total = 0;
                    break;
                }
            }
        }
        if total == 0 {
            continue;
        }
        let scaled = total as f64 * (REPORTED_HEADS as f64 / heads as f64);
        let (clock, peak) = (args.target.clock_hz(), args.target.peaks.bf16);
        let floor = flops / peak * clock;
        let mfu = flops / (scaled / clock) / peak;
        let verdict = if scaled < floor {
            " BELOW FLOOR (profiler artifact)"
        } else {
            ""
        };
        println!(
            "| {name} | {n} | {heads} | {}, {}, {}, {} | {} MiB | {:.0} | {:.0} | {:.1}%{verdict} |",
            blocks.block_q,
            blocks.block_kv,
            blocks.block_kv_compute,
            blocks.block_q_compute,
            cfg.vmem_limit(&args.target) >> 20,
            scaled,
            floor,
            mfu * 100.0
        );
    }
    ExitCode::SUCCESS
}
