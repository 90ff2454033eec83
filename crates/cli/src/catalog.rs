//! The kernel catalog: kernel names, and the flags a user types turned into one
//! [`KernelFamily`] problem.
//!
//! Every command (`compile`, `tune`, `bench`) builds kernels through a [`Problem`], so a
//! kernel added here — one [`Entry`] in [`Catalog::builtin`] — is compiled, tuned and
//! benchmarked the same way. A user's own kernels join through [`Catalog::with_kernel`]
//! and [`crate::cli::main_with`].

use std::sync::Arc;

use pallas_flash::ir::DType;
use pallas_flash::kernels::drift::DriftConfig;
use pallas_flash::kernels::flash_attention::{self, BlockSizes, FlashAttentionConfig};
use pallas_flash::kernels::flash_decoding::{
    Decoding, FlashDecodingConfig, KvCacheDtype, KvLengths, PagedCache,
};
use pallas_flash::kernels::matmul::{MatmulBlocks, MatmulConfig};
use pallas_flash::kernels::memory_priority::MemoryPriorityConfig;
use pallas_flash::kernels::retrieval::{BankNorms, RetrievalConfig};
use pallas_flash::tiling::budget::VmemBudget;
use pallas_flash::tiling::family::{Blocks, BuiltKernel, KernelFamily};
use pallas_flash::tiling::precision::Precision;
use pallas_flash::tiling::{rules, Target};

use crate::error::CliError;
use crate::estimate::Work;

fn parse_target(text: &str) -> Result<Target, String> {
    text.parse()
        .map_err(|e: pallas_flash::tiling::TargetError| e.to_string())
}

pub(crate) fn parse_kv_dtype(text: &str) -> Result<KvCacheDtype, String> {
    match text {
        "bf16" => Ok(KvCacheDtype::Bf16),
        "int8" => Ok(KvCacheDtype::Int8),
        other => Err(format!(
            "unsupported KV cache dtype `{other}`: use bf16 or int8 (int8 with one f32 scale per kv head and channel)"
        )),
    }
}

fn parse_dtype(text: &str) -> Result<DType, String> {
    match text {
        "bf16" => Ok(DType::Bf16),
        "f32" => Ok(DType::F32),
        other => Err(format!("unsupported dtype `{other}`: use bf16 or f32")),
    }
}

/// `--precision`: `auto` ([`Precision::auto`] for the target) or one precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrecisionChoice {
    Auto,
    Fixed(Precision),
}

impl PrecisionChoice {
    /// The precision on `target`, or why libtpu can not run it there.
    pub fn on(self, target: &Target) -> Result<Precision, CliError> {
        let precision = match self {
            PrecisionChoice::Auto => Precision::auto(target),
            PrecisionChoice::Fixed(p) => p,
        };
        precision
            .check(target)
            .map_err(|e| CliError::Flag(e.to_string()))
    }
}

fn parse_precision(text: &str) -> Result<PrecisionChoice, String> {
    match text {
        "auto" => Ok(PrecisionChoice::Auto),
        other => other
            .parse()
            .map(PrecisionChoice::Fixed)
            .map_err(|e: pallas_flash::tiling::precision::PrecisionError| e.to_string()),
    }
}

fn parse_bank_norms(text: &str) -> Result<BankNorms, String> {
    match text {
        "kernel" => Ok(BankNorms::InKernel),
        "precomputed" => Ok(BankNorms::Precomputed),
        other => Err(format!(
            "unknown --bank-norms `{other}`: use kernel or precomputed"
        )),
    }
}

/// The problem and block flags every kernel command takes (issue 11's names).
#[derive(Clone, Debug, clap::Args)]
pub struct ShapeArgs {
    /// Chip or topology: v5e, v6e, v5e:2x2, …
    #[arg(long, default_value = "v5e", value_parser = parse_target)]
    pub target: Target,
    /// Batch size (attention, decoding).
    #[arg(long)]
    pub batch: Option<usize>,
    /// Query heads (attention, decoding).
    #[arg(long)]
    pub heads: Option<usize>,
    /// Key/value heads, dividing --heads (GQA/MQA).
    #[arg(long = "kv-heads")]
    pub kv_heads: Option<usize>,
    /// Query sequence length (attention).
    #[arg(long)]
    pub seq: Option<usize>,
    /// Key/value length (attention, decoding).
    #[arg(long = "kv-len")]
    pub kv_len: Option<usize>,
    /// Head dimension (attention, decoding).
    #[arg(long = "head-dim")]
    pub head_dim: Option<usize>,
    /// Causal mask (attention).
    #[arg(long)]
    pub causal: bool,
    /// Operand dtype.
    #[arg(long, default_value = "bf16", value_parser = parse_dtype)]
    pub dtype: DType,
    /// KV cache dtype (decoding): bf16, or int8 with one f32 scale per (kv head, channel),
    /// about half the HBM bytes a decode step moves.
    #[arg(long = "kv-dtype", value_parser = parse_kv_dtype)]
    pub kv_dtype: Option<KvCacheDtype>,
    /// Query block rows (attention).
    #[arg(long = "block-q")]
    pub block_q: Option<usize>,
    /// Key/value block rows (attention, decoding).
    #[arg(long = "block-kv")]
    pub block_kv: Option<usize>,
    /// Matmul rows of x and o (default 2048).
    #[arg(long)]
    pub m: Option<usize>,
    /// Matmul columns of y and o (default 2048).
    #[arg(long)]
    pub n: Option<usize>,
    /// Matmul contraction dim (default 2048).
    #[arg(long)]
    pub k: Option<usize>,
    /// Matmul block along M.
    #[arg(long = "block-m")]
    pub block_m: Option<usize>,
    /// Matmul block along N.
    #[arg(long = "block-n")]
    pub block_n: Option<usize>,
    /// Matmul block along K.
    #[arg(long = "block-k")]
    pub block_k: Option<usize>,
    /// KV splits (parallel grid axis) of flash-decoding and paged-decoding.
    #[arg(long)]
    pub splits: Option<usize>,
    /// Positions per KV page (paged-decoding; a multiple of 16 dividing --block-kv).
    #[arg(long = "page-size")]
    pub page_size: Option<usize>,
    /// Scoped VMEM limit for the kernel, MiB (default: the kernel's own, else the chip's).
    #[arg(long = "vmem-limit-mib")]
    pub vmem_limit_mib: Option<u64>,
    /// Precision: auto (the target's fastest measured), bf16, int8 or fp8 (quantized with
    /// per-channel scales) — of matmul's operands (overrides --dtype), retrieval's bank
    /// (one scale per row), or decode's KV cache (bf16 or int8, as --kv-dtype).
    #[arg(long, value_parser = parse_precision)]
    pub precision: Option<PrecisionChoice>,
    /// Queries per call (retrieval).
    #[arg(long)]
    pub queries: Option<usize>,
    /// Bank rows (retrieval, drift).
    #[arg(long)]
    pub bank: Option<usize>,
    /// Embedding width, a multiple of 128 (retrieval, drift).
    #[arg(long)]
    pub dim: Option<usize>,
    /// Results per query, 1..=128 (retrieval).
    #[arg(long = "top-k")]
    pub top_k: Option<usize>,
    /// Bank rows a step streams (retrieval's split kernel, drift).
    #[arg(long = "block-bank")]
    pub block_bank: Option<usize>,
    /// Memories (memory-priority; a multiple of 1024).
    #[arg(long)]
    pub memories: Option<usize>,
    /// Threshold: priority α (memory-priority), cosine distance (drift).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Bank norms computed in the kernel, or precomputed as an input (retrieval).
    #[arg(long = "bank-norms", value_parser = parse_bank_norms)]
    pub bank_norms: Option<BankNorms>,
}

/// Default matmul size when no --m/--n/--k is given.
const MATMUL_DEFAULT_DIM: usize = 2048;
/// Default retrieval problem: the anchor (Q=8, M=65,536, D=768), top-10.
const RETRIEVAL_DEFAULTS: (usize, usize, usize, usize) = (8, 65_536, 768, 10);
/// Default memory-priority problem: 1M memories (2^20), α = 0.25.
const PRIORITY_DEFAULTS: (usize, f64) = (1 << 20, 0.25);
/// Default drift problem: 1M rows (2^20) of D=768, distance threshold 0.1.
const DRIFT_DEFAULTS: (usize, usize, f64) = (1 << 20, 768, 0.1);
/// Default attention problem: docs/design.md §8's anchor shape (B=1, H=8, N=2048, D=128).
const ATTENTION_DEFAULTS: (usize, usize, usize, usize) = (1, 8, 2048, 128);
/// Default decode problem: docs/design.md §8's decode anchor (B=1, 8 q / 8 kv heads, KV 32768, D=128).
const DECODE_DEFAULTS: (usize, usize, usize, usize) = (1, 8, 32768, 128);
/// Default page size of paged-decoding: tpu-inference's ragged paged attention default.
const DEFAULT_PAGE_SIZE: usize = 128;

/// One configured kernel: a [`KernelFamily`] and the name it is known by.
#[derive(Clone)]
pub struct Problem {
    /// The catalog name (`flash-attention`, or a user kernel's).
    pub name: String,
    pub family: Arc<dyn KernelFamily>,
}

impl Problem {
    pub fn new(name: impl Into<String>, family: impl KernelFamily + 'static) -> Problem {
        Problem {
            name: name.into(),
            family: Arc::new(family),
        }
    }

    /// One line naming the problem (tables, cache keys).
    pub fn describe(&self) -> String {
        self.family.describe()
    }

    /// The blocks the kernel uses on `target` unless told otherwise.
    pub fn blocks(&self, target: &Target) -> Blocks {
        self.family.default_blocks(target)
    }

    /// The work of one call on `target` (at the default blocks).
    pub fn work(&self, target: &Target) -> Result<Work, CliError> {
        Ok(Work::of(
            self.family.as_ref(),
            &self.build(target, &self.blocks(target))?,
        ))
    }

    /// The kernels of one call, built for `target` with `blocks`.
    pub fn build(&self, target: &Target, blocks: &Blocks) -> Result<Vec<BuiltKernel>, CliError> {
        self.family
            .build(target, blocks)
            .map_err(|e| CliError::Build(e.to_string()))
    }
}

/// Turns the command line's flags into a problem (flags the kernel does not take are errors).
type MakeProblem = dyn Fn(&ShapeArgs) -> Result<Problem, CliError> + Send + Sync;

/// A kernel the commands know by name.
pub struct Entry {
    pub name: String,
    /// One line for `--help` and error messages.
    pub about: String,
    make: Box<MakeProblem>,
}

/// The kernels the commands know: the built-in catalog, a user's own, or both.
pub struct Catalog {
    entries: Vec<Entry>,
}

impl Catalog {
    /// No kernels (start a user's own catalog here, or from [`Catalog::builtin`]).
    pub fn empty() -> Catalog {
        Catalog {
            entries: Vec::new(),
        }
    }

    /// The project's kernels.
    pub fn builtin() -> Catalog {
        Catalog::empty()
            .with_entry("matmul", "Blocked matmul, bf16 or f32 operands, f32 accumulator and output.", |a| Ok(Problem::new("matmul", matmul(a)?)))
            .with_entry(
                "retrieval",
                "Cosine-similarity top-k of --queries against a bf16 --bank of --dim-wide embeddings: a split kernel per bank block, then a merge (ties: lowest index).",
                |a| Ok(Problem::new("retrieval", retrieval(a)?)),
            )
            .with_entry(
                "memory-priority",
                "Agent-memory priority sim × centrality × recency × intrinsic over --memories f32 entries, zeroed at or below --threshold (HBM-bound).",
                |a| {
                    a.only("memory-priority", &["--memories", "--threshold"])?;
                    let (memories, threshold) = PRIORITY_DEFAULTS;
                    Ok(Problem::new(
                        "memory-priority",
                        MemoryPriorityConfig::new(a.memories.unwrap_or(memories), a.threshold.unwrap_or(threshold)),
                    ))
                },
            )
            .with_entry(
                "drift",
                "Per-row cosine distance between two bf16 snapshots (--bank rows of --dim) of a bank, rows over --threshold counted (HBM-bound).",
                |a| Ok(Problem::new("drift", drift(a)?)),
            )
            .with_entry("flash-attention", "FlashAttention-2 forward (causal or not, GQA/MQA via --kv-heads).", |a| {
                Ok(Problem::new("flash-attention", flash_attention::Forward(attention("flash-attention", a)?)))
            })
            .with_entry(
                "flash-attention-backward",
                "FlashAttention-2 backward: the dQ kernel (which also emits delta) feeding the dK/dV kernel, in one program.",
                |a| Ok(Problem::new("flash-attention-backward", flash_attention::Backward(attention("flash-attention-backward", a)?))),
            )
            .with_entry(
                "flash-decoding",
                "Split-KV FlashDecoding, one new token per sequence: the split kernel (partials; the log-sum-exp combine is a separate small kernel), every row at --kv-len.",
                |a| Ok(Problem::new("flash-decoding", Decoding { cfg: decoding("flash-decoding", a, &DECODE_FLAGS)?, paged: None })),
            )
            .with_entry(
                "paged-decoding",
                "FlashDecoding over a paged KV cache (--page-size positions per page, page table in SMEM, double-buffered page copies), every row at --kv-len.",
                |a| {
                    let cfg = decoding("paged-decoding", a, &[DECODE_FLAGS.as_slice(), &["--page-size"]].concat())?;
                    let page_size = a.page_size.unwrap_or(DEFAULT_PAGE_SIZE.min(cfg.block_kv));
                    // Exactly the pages the batch needs: every row at --kv-len.
                    let num_pages = cfg.batch * cfg.max_kv_len.div_ceil(page_size.max(1));
                    Ok(Problem::new("paged-decoding", Decoding { cfg, paged: Some(PagedCache { page_size, num_pages }) }))
                },
            )
    }

    /// Adds a kernel whose problem the shape flags describe.
    pub fn with_entry(
        mut self,
        name: impl Into<String>,
        about: impl Into<String>,
        make: impl Fn(&ShapeArgs) -> Result<Problem, CliError> + Send + Sync + 'static,
    ) -> Catalog {
        self.entries.push(Entry {
            name: name.into(),
            about: about.into(),
            make: Box::new(make),
        });
        self
    }

    /// Adds a kernel of one fixed problem: it takes `--target` and no shape flags.
    pub fn with_kernel(
        self,
        name: impl Into<String>,
        family: impl KernelFamily + Clone + 'static,
    ) -> Catalog {
        let name = name.into();
        let about = family.describe();
        let (entry_name, kernel) = (name.clone(), family);
        self.with_entry(name, about, move |args| {
            args.only(&entry_name, &[])?;
            Ok(Problem::new(entry_name.clone(), kernel.clone()))
        })
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The problem `name` and the flags describe.
    pub fn problem(&self, name: &str, args: &ShapeArgs) -> Result<Problem, CliError> {
        match self.entries.iter().find(|e| e.name == name) {
            Some(entry) => (entry.make)(args),
            None => Err(CliError::Flag(format!(
                "no kernel `{name}` in the catalog; known kernels: {}",
                self.entries
                    .iter()
                    .map(|e| e.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// `name  about` lines for help text.
    pub fn help(&self) -> String {
        self.entries
            .iter()
            .map(|e| format!("  {:<26} {}", e.name, e.about))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn matmul(args: &ShapeArgs) -> Result<MatmulConfig, CliError> {
    args.only(
        "matmul",
        &[
            "--m",
            "--n",
            "--k",
            "--block-m",
            "--block-n",
            "--block-k",
            "--vmem-limit-mib",
            "--precision",
        ],
    )?;
    let dim = |flag: Option<usize>| flag.unwrap_or(MATMUL_DEFAULT_DIM);
    let mut cfg = MatmulConfig::new(dim(args.m), dim(args.n), dim(args.k)).dtype(args.dtype);
    if let Some(choice) = args.precision {
        cfg = cfg.precision(choice.on(&args.target)?);
    }
    let b = cfg.blocks;
    cfg = cfg.blocks(MatmulBlocks::new(
        args.block_m.unwrap_or(b.bm),
        args.block_n.unwrap_or(b.bn),
        args.block_k.unwrap_or(b.bk),
    ));
    if let Some(mib) = args.vmem_limit_mib {
        cfg = cfg.vmem_limit_bytes(mib << 20);
    }
    Ok(cfg)
}

fn retrieval(args: &ShapeArgs) -> Result<RetrievalConfig, CliError> {
    args.only(
        "retrieval",
        &[
            "--queries",
            "--bank",
            "--dim",
            "--top-k",
            "--block-bank",
            "--bank-norms",
            "--precision",
        ],
    )?;
    if args.dtype != DType::Bf16 {
        return Err(CliError::Flag(
            "retrieval's bank is bf16 unless --precision int8|fp8 quantizes it; --dtype does not apply"
                .to_string(),
        ));
    }
    let (q, m, d, k) = RETRIEVAL_DEFAULTS;
    let cfg = RetrievalConfig::new(
        args.queries.unwrap_or(q),
        args.bank.unwrap_or(m),
        args.dim.unwrap_or(d),
        args.top_k.unwrap_or(k),
    )
    .bank_norms(args.bank_norms.unwrap_or(BankNorms::InKernel));
    let cfg = match args.precision {
        Some(choice) => cfg.precision(choice.on(&args.target)?),
        None => cfg,
    };
    Ok(match args.block_bank {
        Some(block) => cfg.block_bank(block),
        None => cfg,
    })
}

fn drift(args: &ShapeArgs) -> Result<DriftConfig, CliError> {
    args.only("drift", &["--bank", "--dim", "--threshold", "--block-bank"])?;
    if args.dtype != DType::Bf16 {
        return Err(CliError::Flag("drift takes bf16 snapshots".to_string()));
    }
    let (rows, dim, threshold) = DRIFT_DEFAULTS;
    let cfg = DriftConfig::new(
        args.bank.unwrap_or(rows),
        args.dim.unwrap_or(dim),
        args.threshold.unwrap_or(threshold),
    );
    Ok(match args.block_bank {
        Some(block) => cfg.block_rows(block),
        None => cfg,
    })
}

fn attention(name: &str, args: &ShapeArgs) -> Result<FlashAttentionConfig, CliError> {
    let takes = [
        "--batch",
        "--heads",
        "--kv-heads",
        "--seq",
        "--kv-len",
        "--head-dim",
        "--causal",
        "--block-q",
        "--block-kv",
        "--vmem-limit-mib",
    ];
    args.only(name, &takes)?;
    let (batch, heads, seq, head_dim) = ATTENTION_DEFAULTS;
    let heads = args.heads.unwrap_or(heads);
    let seq = args.seq.unwrap_or(seq);
    let mut cfg = FlashAttentionConfig::new(
        args.batch.unwrap_or(batch),
        heads,
        args.kv_heads.unwrap_or(heads),
        seq,
        args.kv_len.unwrap_or(seq),
        args.head_dim.unwrap_or(head_dim),
    )
    .dtype(args.dtype)
    .causal(args.causal);
    if let Some(mib) = args.vmem_limit_mib {
        cfg = cfg.vmem_limit_bytes(mib << 20);
    }
    if args.block_q.is_some() || args.block_kv.is_some() {
        let d = cfg.default_blocks(&args.target);
        cfg = cfg.blocks(BlockSizes::measured(
            args.block_q.unwrap_or(d.block_q),
            args.block_kv.unwrap_or(d.block_kv),
            &args.target,
        ));
    }
    Ok(cfg)
}

/// The flags `flash-decoding` takes (`paged-decoding` adds `--page-size`).
const DECODE_FLAGS: [&str; 8] = [
    "--kv-dtype",
    "--precision",
    "--batch",
    "--heads",
    "--kv-heads",
    "--kv-len",
    "--head-dim",
    "--block-kv",
];

/// The decode problem of `flash-decoding` and `paged-decoding`: every row at `--kv-len`,
/// as static lengths, so libtpu's profiler sees every block (docs/design.md §8).
fn decoding(name: &str, args: &ShapeArgs, takes: &[&str]) -> Result<FlashDecodingConfig, CliError> {
    args.only(name, &[takes, &["--splits"]].concat())?;
    if args.dtype != DType::Bf16 {
        return Err(CliError::Flag(format!(
            "{name} takes bf16 queries; choose the cache with --kv-dtype bf16|int8"
        )));
    }
    let (batch, heads, kv_len, head_dim) = DECODE_DEFAULTS;
    let heads = args.heads.unwrap_or(heads);
    let kv_len = args.kv_len.unwrap_or(kv_len);
    let cfg = FlashDecodingConfig::new(
        args.batch.unwrap_or(batch),
        heads,
        args.kv_heads.unwrap_or(heads),
        args.head_dim.unwrap_or(head_dim),
        kv_len,
    )
    .with_lengths(KvLengths::Uniform(kv_len));
    let measured = cfg.default_blocks();
    let (splits, block_kv) = (
        args.splits.unwrap_or(measured.splits),
        args.block_kv.unwrap_or(measured.block_kv),
    );
    Ok(cfg
        .with_splits(splits, block_kv)
        .with_kv_dtype(kv_cache_dtype(args)?))
}

/// The KV cache dtype of `--kv-dtype` or `--precision` (one of them). The cache has bf16
/// and int8 forms; `auto` takes the target's [`Precision::auto`], int8 where that is fp8.
fn kv_cache_dtype(args: &ShapeArgs) -> Result<KvCacheDtype, CliError> {
    let choice =
        match (args.kv_dtype, args.precision) {
            (Some(_), Some(_)) => return Err(CliError::Flag(
                "give --kv-dtype or --precision, not both (they both choose the KV cache dtype)"
                    .to_string(),
            )),
            (Some(dtype), None) => return Ok(dtype),
            (None, None) => return Ok(KvCacheDtype::Bf16),
            (None, Some(choice)) => choice,
        };
    let precision = match (choice, Precision::auto(&args.target)) {
        (PrecisionChoice::Auto, Precision::Fp8) => PrecisionChoice::Fixed(Precision::Int8),
        _ => choice,
    };
    match precision.on(&args.target)? {
        Precision::Bf16 => Ok(KvCacheDtype::Bf16),
        Precision::Int8 => Ok(KvCacheDtype::Int8),
        Precision::Fp8 => Err(CliError::Flag(
            "the decode KV cache has no fp8 form: use --precision int8 (one f32 scale per kv head and channel) or bf16".to_string(),
        )),
    }
}

impl ShapeArgs {
    /// The problem and block flags given on the command line (`--target` and `--dtype`
    /// apply to every kernel).
    fn given(&self) -> Vec<&'static str> {
        let sizes = [
            ("--batch", self.batch),
            ("--heads", self.heads),
            ("--kv-heads", self.kv_heads),
            ("--seq", self.seq),
            ("--kv-len", self.kv_len),
            ("--head-dim", self.head_dim),
            ("--block-q", self.block_q),
            ("--block-kv", self.block_kv),
            ("--m", self.m),
            ("--n", self.n),
            ("--k", self.k),
            ("--block-m", self.block_m),
            ("--block-n", self.block_n),
            ("--block-k", self.block_k),
            ("--splits", self.splits),
            ("--page-size", self.page_size),
            ("--queries", self.queries),
            ("--bank", self.bank),
            ("--dim", self.dim),
            ("--top-k", self.top_k),
            ("--block-bank", self.block_bank),
            ("--memories", self.memories),
        ];
        let mut given: Vec<&'static str> = sizes
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(name, _)| *name)
            .collect();
        given.extend(self.causal.then_some("--causal"));
        given.extend(self.kv_dtype.is_some().then_some("--kv-dtype"));
        given.extend(self.vmem_limit_mib.is_some().then_some("--vmem-limit-mib"));
        given.extend(self.precision.is_some().then_some("--precision"));
        given.extend(self.bank_norms.is_some().then_some("--bank-norms"));
        given.extend(self.threshold.is_some().then_some("--threshold"));
        given
    }

    /// An error naming every given flag `kernel` does not take, and the ones it does.
    pub fn only(&self, kernel: &str, takes: &[&str]) -> Result<(), CliError> {
        let extra: Vec<&str> = self
            .given()
            .into_iter()
            .filter(|flag| !takes.contains(flag))
            .collect();
        match extra.is_empty() {
            true => Ok(()),
            false => Err(CliError::Flag(format!(
                "{} do(es) not apply to {kernel}: it takes {}",
                extra.join(", "),
                takes.join(" ")
            ))),
        }
    }
}

/// Alignment rules and VMEM budget of every kernel on `target`: what libtpu would reject,
/// said before compiling, with the numbers.
pub fn check(target: &Target, built: &[BuiltKernel]) -> Result<Vec<VmemBudget>, CliError> {
    built
        .iter()
        .map(|b| {
            let misaligned = rules::check_kernel(target, &b.kernel);
            if !misaligned.is_empty() {
                return Err(CliError::Alignment(misaligned));
            }
            let budget = VmemBudget::of(target, &b.kernel, &b.info);
            budget.check()?;
            Ok(budget)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use pallas_flash::tiling::search::{evaluate, search};

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        shape: ShapeArgs,
    }

    fn args(flags: &[&str]) -> ShapeArgs {
        Cli::try_parse_from(std::iter::once("x").chain(flags.iter().copied()))
            .unwrap()
            .shape
    }

    fn problem(kernel: &str, flags: &[&str]) -> Result<Problem, String> {
        Catalog::builtin()
            .problem(kernel, &args(flags))
            .map_err(|e| e.to_string())
    }

    /// The blocks `kernel` uses on v5e with `flags`.
    fn blocks(kernel: &str, flags: &[&str]) -> Blocks {
        problem(kernel, flags).unwrap().blocks(&Target::v5e())
    }

    #[test]
    fn targets_name_a_chip_and_optionally_a_topology() {
        let spec = args(&["--target", "v5e:2x2"]).target;
        assert_eq!(
            (spec.name, spec.topology.as_str(), spec.chips()),
            ("v5e", "v5e:2x2", 4)
        );
        assert_eq!(args(&[]).target.chips(), 1);
        assert_eq!(args(&["--target", "v6e"]).target.topology, "v6e:1x1");
        let err = |t: &str| {
            Cli::try_parse_from(["x", "--target", t])
                .err()
                .unwrap()
                .to_string()
        };
        assert!(err("v5e:2xq").contains("use e.g. v5e:2x2"));
        assert!(err("v9").contains("known targets"));
    }

    #[test]
    fn matmul_flags_set_the_config_and_attention_flags_are_refused() {
        let flags = ["--m", "1024", "--block-k", "256", "--dtype", "f32"];
        assert_eq!(
            problem("matmul", &flags).unwrap().describe(),
            "matmul 1024x2048x2048 f32"
        );
        assert_eq!(
            blocks("matmul", &flags),
            vec![("bm", 512), ("bk", 256), ("bn", 512)]
        );
        let err = problem("matmul", &["--seq", "128", "--causal"])
            .err()
            .unwrap();
        assert!(
            err.contains("--seq, --causal do(es) not apply to matmul"),
            "{err}"
        );
        let err = problem("softmax", &[]).err().unwrap();
        assert!(
            err.contains("no kernel `softmax`") && err.contains("paged-decoding"),
            "{err}"
        );
    }

    #[test]
    fn matmul_precision_follows_the_target_or_is_refused_where_libtpu_lacks_it() {
        let describe = |flags: &[&str]| problem("matmul", flags).map(|p| p.describe());
        assert_eq!(
            describe(&["--precision", "auto"]).unwrap(),
            "matmul 2048x2048x2048 i8",
            "v5e: int8 is measured faster"
        );
        assert_eq!(
            describe(&["--precision", "auto", "--target", "v4"]).unwrap(),
            "matmul 2048x2048x2048 bf16"
        );
        assert_eq!(
            describe(&["--precision", "fp8"]).unwrap(),
            "matmul 2048x2048x2048 f8e4m3fn"
        );
        let err = describe(&["--precision", "int8", "--target", "v4"])
            .err()
            .unwrap();
        assert!(
            err.contains("int8 matmuls do not compile for v4") && err.contains("--precision bf16"),
            "{err}"
        );
        let err = Cli::try_parse_from(["x", "--precision", "int4"])
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("use auto, bf16, int8 or fp8"), "{err}");
    }

    #[test]
    fn retrieval_flags_fill_the_config() {
        let flags = [
            "--queries",
            "256",
            "--bank",
            "8192",
            "--dim",
            "1024",
            "--top-k",
            "32",
            "--bank-norms",
            "precomputed",
        ];
        assert_eq!(
            problem("retrieval", &flags).unwrap().describe(),
            "retrieval q256 bank 8192x1024 bf16 top-32 (precomputed bank norms)"
        );
        assert_eq!(
            blocks("retrieval", &flags),
            vec![("block_bank", 1024)],
            "[256, 1024] f32 similarities: 1 MiB"
        );
        assert_eq!(
            blocks("retrieval", &["--block-bank", "512"]),
            vec![("block_bank", 512)]
        );
        let err = problem("retrieval", &["--m", "4"]).err().unwrap();
        assert!(err.contains("--m do(es) not apply to retrieval"), "{err}");
    }

    #[test]
    fn precision_chooses_the_bank_and_the_kv_cache() {
        let describe = |kernel: &str, flags: &[&str]| problem(kernel, flags).map(|p| p.describe());
        assert_eq!(
            describe("retrieval", &["--precision", "int8"]).unwrap(),
            "retrieval q8 bank 65536x768 int8 top-10 (norms in kernel)"
        );
        assert_eq!(
            blocks("retrieval", &["--precision", "auto"]),
            vec![("block_bank", 8192)],
            "auto is int8 on v5e: 6 MiB of int8 rows"
        );
        let err = describe("retrieval", &["--precision", "int8", "--target", "v4"]).unwrap_err();
        assert!(
            err.contains("E2001") && err.contains("--precision bf16"),
            "{err}"
        );
        assert!(describe("flash-decoding", &["--precision", "int8"])
            .unwrap()
            .contains("kv-int8"));
        let err = describe("flash-decoding", &["--precision", "fp8"]).unwrap_err();
        assert!(err.contains("no fp8 form"), "{err}");
        let err = describe(
            "flash-decoding",
            &["--precision", "int8", "--kv-dtype", "int8"],
        )
        .unwrap_err();
        assert!(err.contains("not both"), "{err}");
    }

    #[test]
    fn drift_flags_fill_the_config() {
        let flags = ["--bank", "8192", "--dim", "1536", "--threshold", "0.25"];
        assert_eq!(
            problem("drift", &flags).unwrap().describe(),
            "drift 8192x1536 bf16 snapshots, threshold 0.25"
        );
        assert_eq!(blocks("drift", &flags), vec![("block_rows", 512)]);
        let err = problem("drift", &["--queries", "4"]).err().unwrap();
        assert!(err.contains("--queries do(es) not apply to drift"), "{err}");
    }

    #[test]
    fn attention_flags_fill_the_config_and_matmul_flags_are_refused() {
        let flags = [
            "--seq",
            "1024",
            "--heads",
            "4",
            "--kv-heads",
            "2",
            "--causal",
            "--block-q",
            "256",
        ];
        let p = problem("flash-attention", &flags).unwrap();
        assert_eq!(
            p.describe(),
            "flash-attention causal b1 h4 kvh2 n1024 kv1024 d128 bf16"
        );
        assert_eq!(
            blocks("flash-attention", &flags),
            vec![("block_q", 256), ("block_kv", 1024)]
        );
        let err = problem("flash-attention", &["--m", "128"]).err().unwrap();
        assert!(
            err.contains("--m do(es) not apply to flash-attention"),
            "{err}"
        );
    }

    #[test]
    fn decoding_uses_static_lengths_so_the_profiler_sees_every_block() {
        let flags = ["--kv-len", "4096", "--block-kv", "1024", "--splits", "2"];
        let p = problem("flash-decoding", &flags).unwrap();
        assert_eq!(
            p.describe(),
            "flash-decoding b1 h8 kvh8 kv4096 d128 splits2"
        );
        let built = p.build(&Target::v5e(), &p.blocks(&Target::v5e())).unwrap();
        assert!(
            built[0].kernel.scalar_prefetch.is_empty(),
            "uniform lengths are constants, not a prefetch table"
        );
        assert!(problem("flash-decoding", &["--causal"]).is_err());
        let err = problem("flash-decoding", &["--page-size", "64"])
            .err()
            .unwrap();
        assert!(err.contains("--page-size do(es) not apply"), "{err}");
        assert!(problem("paged-decoding", &["--page-size", "64"])
            .unwrap()
            .describe()
            .ends_with("page64"));
    }

    #[test]
    fn misaligned_and_oversized_blocks_fail_the_target_check() {
        let v5e = Target::v5e();
        let built = |flags: &[&str]| {
            let p = problem("matmul", flags).unwrap();
            p.build(&v5e, &p.blocks(&v5e)).unwrap()
        };
        assert!(matches!(
            check(&v5e, &built(&["--m", "512", "--block-m", "4"])),
            Err(CliError::Alignment(_))
        ));
        let big = [
            "--m",
            "4096",
            "--n",
            "4096",
            "--k",
            "4096",
            "--block-m",
            "4096",
            "--block-n",
            "4096",
            "--block-k",
            "512",
        ];
        let err = check(&v5e, &built(&big)).unwrap_err();
        assert!(matches!(err, CliError::Budget(_)), "{err}");
    }

    /// One shape per catalog kernel, small enough to search quickly.
    const SHAPES: [(&str, &[&str]); 8] = [
        ("matmul", &["--m", "512", "--n", "256", "--k", "1024"]),
        (
            "retrieval",
            &["--queries", "16", "--bank", "4096", "--dim", "256"],
        ),
        ("memory-priority", &["--memories", "65536"]),
        ("drift", &["--bank", "65536", "--dim", "256"]),
        (
            "flash-attention",
            &[
                "--seq",
                "1024",
                "--heads",
                "4",
                "--kv-heads",
                "2",
                "--causal",
            ],
        ),
        (
            "flash-attention-backward",
            &["--seq", "512", "--heads", "2", "--kv-heads", "1"],
        ),
        (
            "flash-decoding",
            &["--kv-len", "4096", "--heads", "8", "--kv-heads", "2"],
        ),
        ("paged-decoding", &["--kv-len", "4096", "--batch", "2"]),
    ];

    #[test]
    fn the_search_judges_the_real_kernel_of_every_catalog_entry() {
        let catalog = Catalog::builtin();
        let names: Vec<&str> = catalog.entries().iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            SHAPES.map(|(name, _)| name),
            "every catalog kernel has a shape here"
        );
        for target in [Target::v5e(), Target::v6e()] {
            for (name, flags) in SHAPES {
                let p = problem(name, flags).unwrap();
                let family = p.family.as_ref();
                let found = search(&target, family, 3)
                    .unwrap_or_else(|e| panic!("{name} on {target}: {e}"));
                assert!(!found.ranked.is_empty(), "{name}");
                for candidate in found
                    .ranked
                    .iter()
                    .chain(evaluate(&target, family, &p.blocks(&target)).as_ref())
                {
                    let built = p.build(&target, &candidate.blocks).unwrap();
                    let real: Vec<VmemBudget> = built
                        .iter()
                        .map(|b| VmemBudget::of(&target, &b.kernel, &b.info))
                        .collect();
                    assert_eq!(
                        candidate.budgets, real,
                        "{name} {:?} on {target}",
                        candidate.blocks
                    );
                }
            }
        }
    }

    #[test]
    fn catalog_kernels_raise_no_profiler_trap() {
        // They all profile (the bench's estimates); a warning here would be a false alarm.
        let v5e = Target::v5e();
        for (name, flags) in SHAPES {
            let p = problem(name, flags).unwrap();
            for b in p.build(&v5e, &p.blocks(&v5e)).unwrap() {
                let traps =
                    pallas_flash::tiling::profiler_traps::profiler_traps(&b.kernel, &b.info);
                assert!(traps.is_empty(), "{name}: {traps:?}");
            }
        }
    }

    #[test]
    fn default_blocks_plan_against_the_target() {
        // The same attention problem asks for half of each chip's VMEM.
        let limit = |target: &str| {
            let p = problem("flash-attention", &["--target", target]).unwrap();
            let t: Target = target.parse().unwrap();
            p.build(&t, &p.blocks(&t)).unwrap()[0]
                .kernel
                .vmem_limit_bytes
        };
        assert_eq!(limit("v5e"), Some(64 << 20));
        assert_eq!(
            limit("v5p"),
            Some(32 << 20),
            "v5p has 64 MiB of VMEM per core"
        );
    }
}
