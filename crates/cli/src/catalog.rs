//! The kernel catalog: the flags a user types, turned into one kernel configuration.
//!
//! Every command (`compile`, `tune`, `bench`) builds kernels through [`Problem`], so a
//! kernel added here is compiled, tuned and benchmarked the same way.

use pallas_flash::ir::{validate, DType, Kernel, KernelInfo};
use pallas_flash::kernels::flash_attention::{self, BlockSizes, FlashAttentionConfig};
use pallas_flash::kernels::flash_decoding::{paged_kernel, split_kernel, FlashDecodingConfig, KvLengths, PagedCache};
use pallas_flash::kernels::matmul::{MatmulBlocks, MatmulConfig};
use pallas_flash::tiling::budget::VmemBudget;
use pallas_flash::tiling::search::{Attention, Blocks, Family};
use pallas_flash::tiling::{rules, Target};

use crate::error::CliError;

/// A kernel of the catalog.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KernelName {
    /// Blocked matmul, bf16 or f32 operands, f32 accumulator and output.
    Matmul,
    /// FlashAttention-2 forward (causal or not, GQA/MQA via --kv-heads).
    FlashAttention,
    /// FlashAttention-2 backward: the dQ kernel (which also emits delta) feeding the dK/dV
    /// kernel, in one program.
    FlashAttentionBackward,
    /// Split-KV FlashDecoding, one new token per sequence: the split kernel (partials; the
    /// log-sum-exp combine is a separate small kernel), every row at --kv-len.
    FlashDecoding,
    /// FlashDecoding over a paged KV cache (--page-size positions per page, page table in
    /// SMEM, double-buffered page copies), every row at --kv-len.
    PagedDecoding,
}

impl KernelName {
    /// The name as typed on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            KernelName::Matmul => "matmul",
            KernelName::FlashAttention => "flash-attention",
            KernelName::FlashAttentionBackward => "flash-attention-backward",
            KernelName::FlashDecoding => "flash-decoding",
            KernelName::PagedDecoding => "paged-decoding",
        }
    }
}

/// A chip and the libtpu topology to compile for: `v5e` (one chip, `v5e:1x1`) or a
/// topology such as `v5e:2x2`.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetSpec {
    pub chip: Target,
    pub topology: String,
}

impl std::str::FromStr for TargetSpec {
    type Err = CliError;

    fn from_str(text: &str) -> Result<Self, CliError> {
        let (chip_name, shape) = match text.split_once(':') {
            Some((chip, shape)) => (chip, Some(shape)),
            None => (text, None),
        };
        let chip: Target = chip_name.parse()?;
        let topology = match shape {
            Some(shape) if !shape.is_empty() && shape.split('x').all(|d| d.parse::<u32>().is_ok_and(|d| d > 0)) => {
                format!("{}:{shape}", chip.name)
            }
            Some(shape) => return Err(CliError::Flag(format!("bad topology shape `{shape}` in `{text}`: use e.g. {}:2x2", chip.name))),
            None => chip.topology.to_string(),
        };
        Ok(TargetSpec { chip, topology })
    }
}

impl TargetSpec {
    /// Chips in the topology (`v5e:2x2` is 4).
    pub fn chips(&self) -> usize {
        let shape = self.topology.split_once(':').map_or("", |(_, shape)| shape);
        shape.split('x').filter_map(|d| d.parse::<usize>().ok()).product::<usize>().max(1)
    }
}

fn parse_target(text: &str) -> Result<TargetSpec, String> {
    text.parse().map_err(|e: CliError| e.to_string())
}

fn parse_dtype(text: &str) -> Result<DType, String> {
    match text {
        "bf16" => Ok(DType::Bf16),
        "f32" => Ok(DType::F32),
        other => Err(format!("unsupported dtype `{other}`: use bf16 or f32")),
    }
}

/// The problem and block flags every kernel command takes (issue 11's names).
#[derive(Clone, Debug, clap::Args)]
pub struct ShapeArgs {
    /// Chip or topology: v5e, v6e, v5e:2x2, …
    #[arg(long, default_value = "v5e", value_parser = parse_target)]
    pub target: TargetSpec,
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
}

/// Default matmul size when no --m/--n/--k is given.
const MATMUL_DEFAULT_DIM: usize = 2048;
/// Default attention problem: docs/design.md §8's anchor shape (B=1, H=8, N=2048, D=128).
const ATTENTION_DEFAULTS: (usize, usize, usize, usize) = (1, 8, 2048, 128);
/// Default decode problem: docs/design.md §8's decode anchor (B=1, 8 q / 8 kv heads, KV 32768, D=128).
const DECODE_DEFAULTS: (usize, usize, usize, usize) = (1, 8, 32768, 128);
/// Default page size of paged-decoding: tpu-inference's ragged paged attention default.
const DEFAULT_PAGE_SIZE: usize = 128;

/// One configured kernel of the catalog.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    Matmul(MatmulConfig),
    FlashAttention(FlashAttentionConfig),
    FlashAttentionBackward(FlashAttentionConfig),
    FlashDecoding(FlashDecodingConfig),
    PagedDecoding(FlashDecodingConfig, PagedCache),
}

/// How the kernels of a [`Built`] problem form one program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wiring {
    /// One kernel; `main` takes its operands and returns its results.
    Single,
    /// FlashAttention's dQ kernel feeding `delta` to its dK/dV kernel.
    AttentionBackward,
}

/// Built kernels (one, or the two of a backward pass) and how they form a program.
pub struct Built {
    pub kernels: Vec<BuiltKernel>,
    pub wiring: Wiring,
}

/// One kernel and its validated facts.
pub struct BuiltKernel {
    pub kernel: Kernel,
    pub info: KernelInfo,
}

impl Problem {
    /// The configuration the flags describe; flags the kernel does not take are errors.
    pub fn from_args(kernel: KernelName, args: &ShapeArgs) -> Result<Problem, CliError> {
        match kernel {
            KernelName::Matmul => matmul(args).map(Problem::Matmul),
            KernelName::FlashAttention => attention("flash-attention", args).map(Problem::FlashAttention),
            KernelName::FlashAttentionBackward => attention("flash-attention-backward", args).map(Problem::FlashAttentionBackward),
            KernelName::FlashDecoding => decoding("flash-decoding", args).map(Problem::FlashDecoding),
            KernelName::PagedDecoding => {
                let cfg = decoding("paged-decoding", args)?;
                let page_size = args.page_size.unwrap_or(DEFAULT_PAGE_SIZE.min(cfg.block_kv));
                // Exactly the pages the batch needs: every row at --kv-len.
                let num_pages = cfg.batch * cfg.max_kv_len.div_ceil(page_size.max(1));
                Ok(Problem::PagedDecoding(cfg, PagedCache { page_size, num_pages }))
            }
        }
    }

    pub fn kernel_name(&self) -> KernelName {
        match self {
            Problem::Matmul(_) => KernelName::Matmul,
            Problem::FlashAttention(_) => KernelName::FlashAttention,
            Problem::FlashAttentionBackward(_) => KernelName::FlashAttentionBackward,
            Problem::FlashDecoding(_) => KernelName::FlashDecoding,
            Problem::PagedDecoding(..) => KernelName::PagedDecoding,
        }
    }

    /// One line naming the problem (tables, cache keys).
    pub fn describe(&self) -> String {
        let attention = |name: &str, c: &FlashAttentionConfig| {
            let causal = if c.causal { " causal" } else { "" };
            let d = c.dtype.name();
            format!("{name}{causal} b{} h{} kvh{} n{} kv{} d{} {d}", c.batch, c.q_heads, c.kv_heads, c.seq_q, c.seq_kv, c.head_dim)
        };
        let decoding = |name: &str, c: &FlashDecodingConfig| {
            format!("{name} b{} h{} kvh{} kv{} d{} splits{}", c.batch, c.q_heads, c.kv_heads, c.max_kv_len, c.head_dim, c.splits)
        };
        match self {
            Problem::Matmul(c) => format!("matmul {}x{}x{} {}", c.m, c.n, c.k, c.dtype.name()),
            Problem::FlashAttention(c) => attention("flash-attention", c),
            Problem::FlashAttentionBackward(c) => attention("flash-attention-backward", c),
            Problem::FlashDecoding(c) => decoding("flash-decoding", c),
            Problem::PagedDecoding(c, cache) => format!("{} page{}", decoding("paged-decoding", c), cache.page_size),
        }
    }

    /// Current block sizes, named as the tiling search names them.
    pub fn blocks(&self) -> Blocks {
        match self {
            Problem::Matmul(c) => vec![("bm", c.blocks.bm), ("bk", c.blocks.bk), ("bn", c.blocks.bn)],
            Problem::FlashAttention(c) | Problem::FlashAttentionBackward(c) => {
                let b = c.blocks.unwrap_or_else(|| c.default_blocks());
                vec![("block_q", b.block_q), ("block_kv", b.block_kv)]
            }
            Problem::FlashDecoding(c) | Problem::PagedDecoding(c, _) => vec![("block_kv", c.block_kv)],
        }
    }

    /// The same problem with `blocks` (named as [`Problem::blocks`] names them).
    pub fn with_blocks(&self, blocks: &Blocks) -> Problem {
        let get = |name: &str, current: usize| blocks.iter().find(|(n, _)| *n == name).map_or(current, |(_, v)| *v);
        let attention = |c: &FlashAttentionConfig| {
            let b = c.blocks.unwrap_or_else(|| c.default_blocks());
            c.clone().blocks(BlockSizes::measured(get("block_q", b.block_q), get("block_kv", b.block_kv)))
        };
        let decoding = |c: &FlashDecodingConfig| c.clone().with_splits(c.splits, get("block_kv", c.block_kv));
        match self {
            Problem::Matmul(c) => {
                let b = c.blocks;
                Problem::Matmul(c.blocks(MatmulBlocks::new(get("bm", b.bm), get("bn", b.bn), get("bk", b.bk))))
            }
            Problem::FlashAttention(c) => Problem::FlashAttention(attention(c)),
            Problem::FlashAttentionBackward(c) => Problem::FlashAttentionBackward(attention(c)),
            Problem::FlashDecoding(c) => Problem::FlashDecoding(decoding(c)),
            Problem::PagedDecoding(c, cache) => Problem::PagedDecoding(decoding(c), *cache),
        }
    }

    /// The tiling search family of this problem.
    pub fn family(&self) -> Family {
        let attention = |c: &FlashAttentionConfig| Attention {
            batch: c.batch,
            heads: c.q_heads,
            seq_q: c.seq_q,
            seq_kv: c.seq_kv,
            head_dim: c.head_dim,
            dtype: c.dtype,
            causal: c.causal,
        };
        match self {
            Problem::Matmul(c) => Family::Matmul { m: c.m, k: c.k, n: c.n, dtype: c.dtype, out_dtype: DType::F32 },
            Problem::FlashAttention(c) => Family::FlashFwd(attention(c)),
            Problem::FlashAttentionBackward(c) => Family::FlashBwd(attention(c)),
            Problem::FlashDecoding(c) | Problem::PagedDecoding(c, _) => Family::Decode {
                batch: c.batch,
                heads: c.q_heads,
                kv_heads: c.kv_heads,
                seq_kv: c.max_kv_len,
                head_dim: c.head_dim,
                dtype: c.kv_dtype.dtype(),
            },
        }
    }

    pub fn vmem_limit_bytes(&self) -> Option<u64> {
        match self {
            Problem::Matmul(c) => c.vmem_limit_bytes,
            Problem::FlashAttention(c) | Problem::FlashAttentionBackward(c) => Some(c.vmem_limit_bytes.unwrap_or_else(|| c.default_vmem_limit())),
            Problem::FlashDecoding(_) | Problem::PagedDecoding(..) => None,
        }
    }

    /// Useful flops of one call.
    pub fn flops(&self) -> f64 {
        match self {
            Problem::Matmul(c) => c.flops(),
            Problem::FlashAttention(c) => attention_flops(c),
            // dQ, dK, dV and the recomputed scores and dP: 2.5× the forward (docs/design.md §8).
            Problem::FlashAttentionBackward(c) => 2.5 * attention_flops(c),
            Problem::FlashDecoding(c) | Problem::PagedDecoding(c, _) => {
                4.0 * (c.batch * c.q_heads * c.q_len) as f64 * c.max_kv_len as f64 * c.head_dim as f64
            }
        }
    }

    /// The fewest HBM bytes one call can move.
    pub fn min_hbm_bytes(&self) -> f64 {
        let attention = |c: &FlashAttentionConfig, q_side: f64, kv_side: f64| {
            let e = f64::from(c.dtype.byte_size()) * (c.batch * c.head_dim) as f64;
            e * (q_side * (c.q_heads * c.seq_q) as f64 + kv_side * (c.kv_heads * c.seq_kv) as f64)
        };
        match self {
            Problem::Matmul(c) => c.min_hbm_bytes(),
            // q and o once per query head, k and v once per kv head.
            Problem::FlashAttention(c) => attention(c, 2.0, 2.0),
            // q, o, do read and dq written per query head (lse and delta are 1/D of that
            // per lane row, left out); k, v read and dk, dv written per kv head.
            Problem::FlashAttentionBackward(c) => attention(c, 4.0, 4.0),
            // The KV cache dominates: k and v once; q and the output are a few rows.
            Problem::FlashDecoding(c) | Problem::PagedDecoding(c, _) => {
                let kv = 2.0 * (c.batch * c.kv_heads * c.max_kv_len * c.head_dim) as f64 * f64::from(c.kv_dtype.dtype().byte_size());
                kv + 2.0 * (c.batch * c.q_heads * c.q_len * c.head_dim) as f64 * 2.0
            }
        }
    }

    /// Tokens one call processes, for the economics columns: the rows of `x` for a matmul
    /// (one token through one projection), the query positions for attention, the new
    /// tokens for decoding.
    pub fn tokens(&self) -> f64 {
        match self {
            Problem::Matmul(c) => c.m as f64,
            Problem::FlashAttention(c) | Problem::FlashAttentionBackward(c) => (c.batch * c.seq_q) as f64,
            Problem::FlashDecoding(c) | Problem::PagedDecoding(c, _) => (c.batch * c.q_len) as f64,
        }
    }

    pub fn build(&self) -> Result<Built, CliError> {
        let attention_kernel = |kernel: Kernel| {
            let info = validate(&kernel).map_err(flash_attention::FlashAttentionError::from)?;
            Ok::<_, CliError>(BuiltKernel { kernel, info })
        };
        let single = |(kernel, info)| Built { kernels: vec![BuiltKernel { kernel, info }], wiring: Wiring::Single };
        Ok(match self {
            Problem::Matmul(c) => single(c.build()?),
            Problem::FlashAttention(c) => Built { kernels: vec![attention_kernel(flash_attention::forward(c)?)?], wiring: Wiring::Single },
            Problem::FlashAttentionBackward(c) => {
                let kernels = flash_attention::backward(c)?;
                Built { kernels: vec![attention_kernel(kernels.dq)?, attention_kernel(kernels.dkv)?], wiring: Wiring::AttentionBackward }
            }
            Problem::FlashDecoding(c) => single(split_kernel(c)?),
            Problem::PagedDecoding(c, cache) => single(paged_kernel(c, *cache)?),
        })
    }
}

/// Causal attention keeps half the pairs; two matmuls of `2·N_q·N_kv·D` per head.
fn attention_flops(c: &FlashAttentionConfig) -> f64 {
    let full = 4.0 * (c.batch * c.q_heads) as f64 * c.seq_q as f64 * c.seq_kv as f64 * c.head_dim as f64;
    if c.causal { full / 2.0 } else { full }
}

fn matmul(args: &ShapeArgs) -> Result<MatmulConfig, CliError> {
    args.only("matmul", &["--m", "--n", "--k", "--block-m", "--block-n", "--block-k", "--vmem-limit-mib"])?;
    let dim = |flag: Option<usize>| flag.unwrap_or(MATMUL_DEFAULT_DIM);
    let mut cfg = MatmulConfig::new(dim(args.m), dim(args.n), dim(args.k)).dtype(args.dtype);
    let b = cfg.blocks;
    cfg = cfg.blocks(MatmulBlocks::new(args.block_m.unwrap_or(b.bm), args.block_n.unwrap_or(b.bn), args.block_k.unwrap_or(b.bk)));
    if let Some(mib) = args.vmem_limit_mib {
        cfg = cfg.vmem_limit_bytes(mib << 20);
    }
    Ok(cfg)
}

fn attention(name: &str, args: &ShapeArgs) -> Result<FlashAttentionConfig, CliError> {
    let takes = ["--batch", "--heads", "--kv-heads", "--seq", "--kv-len", "--head-dim", "--causal", "--block-q", "--block-kv", "--vmem-limit-mib"];
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
    if args.block_q.is_some() || args.block_kv.is_some() {
        let d = cfg.default_blocks();
        cfg = cfg.blocks(BlockSizes::measured(args.block_q.unwrap_or(d.block_q), args.block_kv.unwrap_or(d.block_kv)));
    }
    if let Some(mib) = args.vmem_limit_mib {
        cfg = cfg.vmem_limit_bytes(mib << 20);
    }
    Ok(cfg)
}

/// The decode problem of `flash-decoding` and `paged-decoding`: every row at `--kv-len`,
/// as static lengths, so libtpu's profiler sees every block (docs/design.md §8).
fn decoding(name: &str, args: &ShapeArgs) -> Result<FlashDecodingConfig, CliError> {
    let takes = ["--batch", "--heads", "--kv-heads", "--kv-len", "--head-dim", "--block-kv", "--splits", "--page-size"];
    let paged = name == "paged-decoding";
    args.only(name, &takes[..takes.len() - usize::from(!paged)])?;
    if args.dtype != DType::Bf16 {
        return Err(CliError::Flag(format!("{name} takes a bf16 cache (int8 caches are a library option, not a flag yet)")));
    }
    let (batch, heads, kv_len, head_dim) = DECODE_DEFAULTS;
    let heads = args.heads.unwrap_or(heads);
    let kv_len = args.kv_len.unwrap_or(kv_len);
    let cfg = FlashDecodingConfig::new(args.batch.unwrap_or(batch), heads, args.kv_heads.unwrap_or(heads), args.head_dim.unwrap_or(head_dim), kv_len);
    let measured = cfg.default_blocks();
    let (splits, block_kv) = (args.splits.unwrap_or(measured.splits), args.block_kv.unwrap_or(measured.block_kv));
    Ok(cfg.with_splits(splits, block_kv).with_lengths(KvLengths::Uniform(kv_len)))
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
        ];
        let mut given: Vec<&'static str> = sizes.iter().filter(|(_, v)| v.is_some()).map(|(name, _)| *name).collect();
        given.extend(self.causal.then_some("--causal"));
        given.extend(self.vmem_limit_mib.is_some().then_some("--vmem-limit-mib"));
        given
    }

    /// An error naming every given flag `kernel` does not take, and the ones it does.
    fn only(&self, kernel: &str, takes: &[&str]) -> Result<(), CliError> {
        let extra: Vec<&str> = self.given().into_iter().filter(|flag| !takes.contains(flag)).collect();
        match extra.is_empty() {
            true => Ok(()),
            false => Err(CliError::Flag(format!("{} do(es) not apply to {kernel}: it takes {}", extra.join(", "), takes.join(" ")))),
        }
    }
}

impl Built {
    /// Alignment rules and VMEM budget of every kernel on `chip`: what libtpu would
    /// reject, said before compiling, with the numbers.
    pub fn check(&self, chip: &Target) -> Result<Vec<VmemBudget>, CliError> {
        self.kernels.iter().map(|k| k.check(chip)).collect()
    }
}

impl BuiltKernel {
    fn check(&self, chip: &Target) -> Result<VmemBudget, CliError> {
        let misaligned = rules::check_kernel(chip, &self.kernel);
        if !misaligned.is_empty() {
            return Err(CliError::Alignment(misaligned));
        }
        let budget = VmemBudget::of(chip, &self.kernel, &self.info);
        budget.check()?;
        Ok(budget)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        shape: ShapeArgs,
    }

    fn problem(args: &[&str]) -> Result<Problem, String> {
        let cli = Cli::try_parse_from(std::iter::once("x").chain(args.iter().copied())).map_err(|e| e.to_string())?;
        Problem::from_args(KernelName::Matmul, &cli.shape).map_err(|e| e.to_string())
    }

    #[test]
    fn targets_name_a_chip_and_optionally_a_topology() {
        let spec: TargetSpec = "v5e:2x2".parse().unwrap();
        assert_eq!((spec.chip.name, spec.topology.as_str(), spec.chips()), ("v5e", "v5e:2x2", 4));
        assert_eq!("v5e".parse::<TargetSpec>().unwrap().chips(), 1);
        assert_eq!("v6e".parse::<TargetSpec>().unwrap().topology, "v6e:1x1");
        assert!("v5e:2xq".parse::<TargetSpec>().unwrap_err().to_string().contains("use e.g. v5e:2x2"));
        assert!("v9".parse::<TargetSpec>().unwrap_err().to_string().contains("known targets"));
    }

    #[test]
    fn matmul_flags_set_the_config_and_attention_flags_are_refused() {
        let Ok(Problem::Matmul(c)) = problem(&["--m", "1024", "--block-k", "256", "--dtype", "f32"]) else { panic!("a matmul") };
        assert_eq!((c.m, c.n, c.k, c.blocks.bk, c.dtype), (1024, 2048, 2048, 256, DType::F32));
        let err = problem(&["--seq", "128", "--causal"]).unwrap_err();
        assert!(err.contains("--seq, --causal do(es) not apply to matmul"), "{err}");
    }

    #[test]
    fn attention_flags_fill_the_config_and_matmul_flags_are_refused() {
        let cli = Cli::try_parse_from(["x", "--seq", "1024", "--heads", "4", "--kv-heads", "2", "--causal", "--block-q", "256"]).unwrap();
        let Ok(Problem::FlashAttention(c)) = Problem::from_args(KernelName::FlashAttention, &cli.shape) else { panic!("an attention problem") };
        assert_eq!((c.q_heads, c.kv_heads, c.seq_kv, c.causal), (4, 2, 1024, true));
        assert_eq!(c.blocks.map(|b| b.block_q), Some(256));
        let cli = Cli::try_parse_from(["x", "--m", "128"]).unwrap();
        let err = Problem::from_args(KernelName::FlashAttention, &cli.shape).unwrap_err();
        assert!(err.to_string().contains("--m do(es) not apply to flash-attention"), "{err}");
    }

    #[test]
    fn decoding_uses_static_lengths_so_the_profiler_sees_every_block() {
        let cli = Cli::try_parse_from(["x", "--kv-len", "4096", "--block-kv", "1024", "--splits", "2"]).unwrap();
        let Ok(Problem::FlashDecoding(c)) = Problem::from_args(KernelName::FlashDecoding, &cli.shape) else { panic!("a decode problem") };
        assert_eq!((c.max_kv_len, c.block_kv, c.splits, c.lengths), (4096, 1024, 2, KvLengths::Uniform(4096)));
        let cli = Cli::try_parse_from(["x", "--causal"]).unwrap();
        assert!(Problem::from_args(KernelName::FlashDecoding, &cli.shape).is_err());
    }

    #[test]
    fn attention_blocks_keep_the_measured_compute_split() {
        for n in [512, 2048, 8192] {
            let cfg = FlashAttentionConfig::new(1, 8, 8, n, n, 128).causal(true);
            let problem = Problem::FlashAttention(cfg.clone());
            let Problem::FlashAttention(tuned) = problem.with_blocks(&problem.blocks()) else { panic!("attention") };
            assert_eq!(tuned.blocks, Some(cfg.default_blocks()), "N={n}: the default's row in `tune` is the real default");
        }
    }

    #[test]
    fn with_blocks_round_trips_through_the_search_names() {
        let p = problem(&["--m", "512", "--n", "512", "--k", "512"]).unwrap();
        let q = p.with_blocks(&vec![("bm", 128), ("bk", 256), ("bn", 512)]);
        assert_eq!(q.blocks(), vec![("bm", 128), ("bk", 256), ("bn", 512)]);
    }

    #[test]
    fn misaligned_and_oversized_blocks_fail_the_target_check() {
        let v5e = Target::v5e();
        let built = problem(&["--m", "512", "--block-m", "4"]).unwrap().build().unwrap();
        assert!(matches!(built.check(&v5e), Err(CliError::Alignment(_))));
        let big = problem(&["--m", "4096", "--n", "4096", "--k", "4096", "--block-m", "4096", "--block-n", "4096", "--block-k", "512"]).unwrap();
        let err = big.build().unwrap().check(&v5e).unwrap_err();
        assert!(matches!(err, CliError::Budget(_)), "{err}");
    }
}
