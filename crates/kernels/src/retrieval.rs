//! Agent-memory retrieval: cosine similarity of queries `[Q, D]` against a bank `[M, D]`
//! in HBM, and the top-k bank rows per query with their indices.
//!
//! The split/combine shape of FlashDecoding: the **split** kernel streams the bank in
//! `block_bank`-row blocks (a parallel grid axis), scores each block on the MXU and keeps
//! its own top-k per query in a 128-lane partial (`part_vals`, `part_idx`); the **merge**
//! kernel takes the top-k of all partials. Top-k is k passes of max-extraction: the max of
//! each row, the lowest index holding it (an iota), then that entry masked to `-inf`.
//!
//! **Tie order**: equal similarities are returned lowest bank index first, in every block
//! and in the merge, so the result equals a global stable sort by descending similarity.
//!
//! Norms: the query norms are computed in the kernel; the bank norms either in the
//! kernel (`|b|²` per row, lane-dense, on the VPU: [`crate::row_sums`]) or
//! taken precomputed as an input `bank_inv_norms [1, M]` (`1 / |b|`, written when a row
//! is stored) — [`BankNorms`].
//!
//! Queries come in f32 (they are tiny; a few bf16 query rows would be a packed tile of
//! fewer than 16 rows) and are rounded to bf16 for the MXU, like the bank.
//!
//! **Bank precision** ([`Precision`], `--precision`): bf16, or int8 / fp8 e4m3 rows
//! quantized with one f32 scale per row (`row ≈ scale · stored`). The scale is not an
//! input: cosine similarity does not change when a row is multiplied by a positive
//! number, so the kernel scores the stored values themselves (and precomputed norms are
//! those of the stored row). Stored values are exact in bf16, so the MXU still runs bf16
//! and the quantized bank only halves the bytes streamed — what a memory-bound scan needs.
//!
//! ```
//! use pallas_flash_kernels::retrieval::RetrievalConfig;
//! use pallas_flash_tiling::{KernelFamily, Target};
//!
//! let cfg = RetrievalConfig::new(8, 65_536, 768, 10);
//! let built = cfg.build(&Target::v5e(), &cfg.default_blocks(&Target::v5e()))?;
//! assert_eq!(built.len(), 2, "split, then merge");
//! # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
//! ```

use crate::row_sums::{group_row_sums, GROUP};
use pallas_flash_ir::{
    ds, DType, DimensionSemantics::*, GridSpec, IndexExpr, KernelBuilder, RefId, ValidationError,
    Value,
};
use pallas_flash_tiling::family::{named, Blocks, BuildError, BuiltKernel, KernelFamily};
use pallas_flash_tiling::precision::Precision;
use pallas_flash_tiling::roofline::Work;
use pallas_flash_tiling::search::ladder;
use pallas_flash_tiling::Target;
use thiserror::Error;

/// Lanes of one partial top-k: k ≤ 128 results padded with `-inf` to a full lane tile.
pub const PARTIAL_LANES: usize = 128;
/// The largest k.
pub const MAX_TOP_K: usize = PARTIAL_LANES;
/// Index of a padding entry (never a bank row).
pub const NO_INDEX: i32 = i32::MAX;
/// Bytes of f32 similarities one split step may hold (`[Q, block_bank]`), so the
/// extraction passes stay in VMEM next to the double-buffered bank block.
const SIMILARITY_BLOCK_BYTES: usize = 1 << 20;
/// Bytes of stored bank a default block holds: 6 MiB, 12 MiB double-buffered, inside
/// v5e's 16 MiB scoped default. Few, large blocks matter: at few queries each split step
/// costs ~2.7k cycles of top-k extraction whatever its size (65,536 × 768, Q = 1,
/// precomputed norms: 320,782 cycles at 1024-row blocks, 225,200 at 2048, 187,972 at 4096).
const BANK_BLOCK_BYTES: usize = 6 << 20;
/// Guards `1/|q||b|` against zero vectors (their similarity is 0, not NaN).
const NORM_FLOOR: f64 = 1e-30;

/// Where the bank norms come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BankNorms {
    /// `|b|` computed from the bank block in the split kernel.
    InKernel,
    /// `bank_inv_norms [1, M]` f32, `1 / |b|` per row, an input.
    Precomputed,
}

/// One retrieval call.
#[derive(Clone, Debug, PartialEq)]
pub struct RetrievalConfig {
    pub queries: usize,
    pub bank_rows: usize,
    /// Embedding width, a multiple of 128.
    pub dim: usize,
    pub top_k: usize,
    pub bank_norms: BankNorms,
    /// How the bank rows are stored: bf16, or int8 / fp8 with per-row scales.
    pub precision: Precision,
    /// Bank rows a split step scores; `None`: [`RetrievalConfig::default_block_bank`].
    pub block_bank: Option<usize>,
}

/// Why a retrieval configuration can not become kernels.
#[derive(Debug, Error)]
pub enum RetrievalError {
    #[error("{what} is 0; queries, bank rows and dim must be at least 1")]
    Empty { what: &'static str },
    #[error("dim {dim} is not a multiple of 128 (the lane width): pad the embeddings once when they are stored")]
    Dim { dim: usize },
    #[error("top-k {k} is outside 1..={MAX_TOP_K}")]
    TopK { k: usize },
    #[error("block_bank {block} does not divide the bank's {rows} rows, or is not a multiple of 128, or is below top-k {k}: use a multiple of 128 dividing {rows}, such as {suggestion}")]
    Block {
        block: usize,
        rows: usize,
        k: usize,
        suggestion: usize,
    },
    #[error("bank rows {rows} do not fit the i32 indices TPU kernels use")]
    TooLarge { rows: usize },
    #[error("no `{0}` block given")]
    MissingBlock(&'static str),
    #[error(
        "the generated kernel failed validation (a bug in this builder, please report it): {0}"
    )]
    Invalid(#[from] ValidationError),
}

impl RetrievalConfig {
    /// Norms computed in the kernel.
    pub fn new(queries: usize, bank_rows: usize, dim: usize, top_k: usize) -> Self {
        RetrievalConfig {
            queries,
            bank_rows,
            dim,
            top_k,
            bank_norms: BankNorms::InKernel,
            precision: Precision::Bf16,
            block_bank: None,
        }
    }

    /// The bank stored in `precision` (quantized: one scale per row, not read; see the
    /// module docs).
    pub fn precision(mut self, precision: Precision) -> Self {
        self.precision = precision;
        self
    }

    pub fn block_bank(mut self, rows: usize) -> Self {
        self.block_bank = Some(rows);
        self
    }

    pub fn bank_norms(mut self, norms: BankNorms) -> Self {
        self.bank_norms = norms;
        self
    }

    /// Bank rows a split step scores: the most (a multiple of 128 dividing M) whose
    /// `[Q, rows]` f32 similarities fit [`SIMILARITY_BLOCK_BYTES`] and whose stored rows
    /// fit [`BANK_BLOCK_BYTES`].
    pub fn default_block_bank(&self) -> usize {
        let row_bytes = self.dim.max(1) * self.precision.dtype().byte_size() as usize;
        let cap = (SIMILARITY_BLOCK_BYTES / (4 * self.queries.max(1)))
            .min(BANK_BLOCK_BYTES / row_bytes)
            .max(PARTIAL_LANES);
        largest_lane_divisor(self.bank_rows, cap)
    }

    /// Query rows a merge step takes: 8 (a sublane tile) when they divide Q, else all.
    fn merge_rows(&self) -> usize {
        match self.queries.is_multiple_of(8) {
            true => 8,
            false => self.queries,
        }
    }

    fn check(&self, block: usize) -> Result<(), RetrievalError> {
        for (what, v) in [
            ("queries", self.queries),
            ("bank rows", self.bank_rows),
            ("dim", self.dim),
        ] {
            if v == 0 {
                return Err(RetrievalError::Empty { what });
            }
        }
        if !self.dim.is_multiple_of(128) {
            return Err(RetrievalError::Dim { dim: self.dim });
        }
        if self.top_k == 0 || self.top_k > MAX_TOP_K {
            return Err(RetrievalError::TopK { k: self.top_k });
        }
        if i32::try_from(self.bank_rows).is_err() {
            return Err(RetrievalError::TooLarge {
                rows: self.bank_rows,
            });
        }
        let ok = block >= self.top_k
            && block.is_multiple_of(PARTIAL_LANES)
            && self.bank_rows.is_multiple_of(block);
        if !ok {
            return Err(RetrievalError::Block {
                block,
                rows: self.bank_rows,
                k: self.top_k,
                suggestion: self.default_block_bank(),
            });
        }
        Ok(())
    }

    /// The split kernel: per bank block, the block's top-k per query.
    pub fn split_kernel(&self, block: usize) -> Result<BuiltKernel, RetrievalError> {
        self.check(block)?;
        let (q, d, n, m) = (self.queries, self.dim, block, self.bank_rows);
        let blocks = m / n;
        let grid = GridSpec::new([blocks]).semantics([Parallel]);
        let mut k = KernelBuilder::new("retrieval_split", grid);
        let zero = || IndexExpr::Const(0);
        let queries = k.input(
            "queries",
            [q, d],
            DType::F32,
            k.vmem_block([q, d], |_| [zero(), zero()]),
        );
        let bank = k.input(
            "bank",
            [m, d],
            self.precision.dtype(),
            k.vmem_block([n, d], |g| [g.grid(0), zero()]),
        );
        let inv_norms = (self.bank_norms == BankNorms::Precomputed).then(|| {
            k.input(
                "bank_inv_norms",
                [1, m],
                DType::F32,
                k.vmem_block([1, n], |g| [zero(), g.grid(0)]),
            )
        });
        let partial = |k: &KernelBuilder| k.vmem_block([q, PARTIAL_LANES], |g| [zero(), g.grid(0)]);
        let part_vals = k.output(
            "part_vals",
            [q, blocks * PARTIAL_LANES],
            DType::F32,
            partial(&k),
        );
        let part_idx = k.output(
            "part_idx",
            [q, blocks * PARTIAL_LANES],
            DType::I32,
            partial(&k),
        );

        let dots = similarity_dots(&mut k, queries, (bank, self.precision.dtype()), [q, n, d]);
        let qv = k.read(queries);
        let q_sq = k.mul(qv, qv);
        let q_norm_sq = k.sum(q_sq, 1);
        let floor = k.full([q, 1], DType::F32, NORM_FLOOR);
        let q_guarded = k.add(q_norm_sq, floor);
        let q_inv = k.rsqrt(q_guarded);
        let q_inv = k.broadcast(q_inv, [q, n]);
        let b_inv = match inv_norms {
            Some(norms) => {
                let row = k.read(norms);
                k.broadcast(row, [q, n])
            }
            None => {
                let groups: Vec<Value> = (0..n)
                    .step_by(GROUP)
                    .map(|g| group_row_sums(&mut k, &[bank], &[(0, 0)], g, d)[0])
                    .collect();
                let b_norm_sq = k.concatenate(groups, 1);
                let floor = k.full([1, n], DType::F32, NORM_FLOOR);
                let guarded = k.add(b_norm_sq, floor);
                let row = k.rsqrt(guarded);
                k.broadcast(row, [q, n])
            }
        };
        let scaled = k.mul(dots, q_inv);
        let sims = k.mul(scaled, b_inv);

        let local = k.iota([q, n], 1);
        let step = k.program_id(0);
        let rows = k.i32(n as i32); // n divides m, which fits i32 (checked)
        let base = k.mul(step, rows);
        let (vals, idx) = top_k(
            &mut k,
            (q, n),
            sims,
            local,
            self.top_k,
            PARTIAL_LANES,
            Some(base),
        );
        k.write(part_vals, vals);
        k.write(part_idx, idx);
        Ok(k.build()?.into())
    }

    /// The merge kernel: the top-k of every block's partial, `merge_rows` queries a step.
    pub fn merge_kernel(&self, block: usize) -> Result<BuiltKernel, RetrievalError> {
        self.check(block)?;
        let (q, kk) = (self.queries, self.top_k);
        let width = self.bank_rows / block * PARTIAL_LANES;
        let rows = self.merge_rows();
        let grid = GridSpec::new([q / rows]).semantics([Parallel]);
        let mut k = KernelBuilder::new("retrieval_merge", grid);
        let zero = || IndexExpr::Const(0);
        let part = |k: &KernelBuilder| k.vmem_block([rows, width], |g| [g.grid(0), zero()]);
        let part_vals = k.input("part_vals", [q, width], DType::F32, part(&k));
        let part_idx = k.input("part_idx", [q, width], DType::I32, part(&k));
        let out = |k: &KernelBuilder| k.vmem_block([rows, kk], |g| [g.grid(0), zero()]);
        let values = k.output("values", [q, kk], DType::F32, out(&k));
        let indices = k.output("indices", [q, kk], DType::I32, out(&k));
        let (vals, idx) = (k.read(part_vals), k.read(part_idx));
        let (top_vals, top_idx) = top_k(&mut k, (rows, width), vals, idx, kk, kk, None);
        k.write(values, top_vals);
        k.write(indices, top_idx);
        Ok(k.build()?.into())
    }

    fn block(blocks: &Blocks) -> Result<usize, RetrievalError> {
        named(blocks, "block_bank").ok_or(RetrievalError::MissingBlock("block_bank"))
    }

    /// Bytes one call must move: the bank (and its norms), the queries, the results.
    pub fn min_hbm_bytes(&self) -> f64 {
        let (q, m, d, kk) = (
            self.queries as f64,
            self.bank_rows as f64,
            self.dim as f64,
            self.top_k as f64,
        );
        let norms = match self.bank_norms {
            BankNorms::Precomputed => 4.0 * m,
            BankNorms::InKernel => 0.0,
        };
        let bank = m * d * f64::from(self.precision.dtype().byte_size());
        bank + norms + 4.0 * q * d + 8.0 * q * kk
    }
}

/// `queries · bankᵀ` `[q, n]` in f32 from bf16 operands; a bank `stored` in int8 or fp8
/// is converted (exactly) 128 lanes at a time, so no bf16 copy of the block is live.
/// libtpu's static profiler aborts on a bf16 dot of exactly 8 rows contracting over more
/// than 128 (`pallas_flash_tiling::profiler_traps`), so 8 queries contract 128 lanes at a
/// time too.
///
/// The bank is the MXU's stationary operand. The other orientation (`bank · qᵀ`, queries
/// padded to 128 stationary rows, one transpose per 128 bank rows) was measured slower
/// at Q = 1 (268,694 against 226,492 cycles, 65,536 × 768, top-10): at few queries the
/// time goes to the top-k's per-step extraction, not to the MXU.
fn similarity_dots(
    k: &mut KernelBuilder,
    queries: RefId,
    (bank, stored): (RefId, DType),
    [q, n, d]: [usize; 3],
) -> Value {
    let chunk = match q == 8 || stored != DType::Bf16 {
        true => 128,
        false => d,
    };
    let mut dots: Option<Value> = None;
    for start in (0..d).step_by(chunk) {
        let qc = k.load(queries, [ds(0, q), ds(start, chunk)]);
        let q16 = k.cast(qc, DType::Bf16);
        let bc = k.load(bank, [ds(0, n), ds(start, chunk)]);
        let bc = match stored {
            DType::Bf16 => bc,
            _ => k.cast(bc, DType::Bf16),
        };
        let part = k.dot_nt(q16, bc);
        dots = Some(match dots {
            Some(sum) => k.add(sum, part),
            None => part,
        });
    }
    dots.expect("d >= 128 (checked)")
}

/// The largest multiple of 128 dividing `rows` not above `cap`, else `rows`.
fn largest_lane_divisor(rows: usize, cap: usize) -> usize {
    (1..=cap / PARTIAL_LANES)
        .rev()
        .map(|t| t * PARTIAL_LANES)
        .find(|b| rows.is_multiple_of(*b))
        .unwrap_or(rows)
}

/// `k` passes of max-extraction over the rows of `scores` `[r, c]`, whose entries carry
/// `ids` (i32, `[r, c]`, unique per row): returns `[r, lanes]` values and ids, the
/// first `k` columns the top-k in descending order (ties: lowest id first), the rest
/// `-inf` / [`NO_INDEX`]. `offset` (a scalar) is added to the ids returned.
fn top_k(
    k: &mut KernelBuilder,
    (r, c): (usize, usize),
    scores: Value,
    ids: Value,
    count: usize,
    lanes: usize,
    offset: Option<Value>,
) -> (Value, Value) {
    let neg_inf = k.full([r, c], DType::F32, f64::NEG_INFINITY);
    let none = k.full([r, c], DType::I32, NO_INDEX);
    let column = k.iota([r, lanes], 1);
    let init_vals = k.full([r, lanes], DType::F32, f64::NEG_INFINITY);
    let init_ids = k.full([r, lanes], DType::I32, NO_INDEX);
    let [_, vals, out_ids] = k.fori_loop(
        0,
        count,
        [scores, init_vals, init_ids],
        |k, i, [s, vals, out_ids]| {
            let best = k.reduce_max(s, 1);
            let best_wide = k.broadcast(best, [r, c]);
            let is_best = k.eq(s, best_wide);
            let candidates = k.select(is_best, ids, none);
            let id = k.reduce_min(candidates, 1);
            let id_wide = k.broadcast(id, [r, c]);
            let taken = k.eq(ids, id_wide);
            let rest = k.select(taken, neg_inf, s);
            let here = k.broadcast(i, [r, lanes]);
            let slot = k.eq(column, here);
            let best_lanes = k.broadcast(best, [r, lanes]);
            let id = match offset {
                Some(base) => {
                    let base = k.broadcast(base, [r, 1]);
                    k.add(id, base)
                }
                None => id,
            };
            let id_lanes = k.broadcast(id, [r, lanes]);
            let vals = k.select(slot, best_lanes, vals);
            let out_ids = k.select(slot, id_lanes, out_ids);
            [rest, vals, out_ids]
        },
    );
    (vals, out_ids)
}

impl KernelFamily for RetrievalConfig {
    fn describe(&self) -> String {
        let norms = match self.bank_norms {
            BankNorms::InKernel => "norms in kernel",
            BankNorms::Precomputed => "precomputed bank norms",
        };
        format!(
            "retrieval q{} bank {}x{} {} top-{} ({norms})",
            self.queries, self.bank_rows, self.dim, self.precision, self.top_k
        )
    }

    fn default_blocks(&self, _: &Target) -> Blocks {
        let block = self.block_bank.unwrap_or_else(|| self.default_block_bank());
        vec![("block_bank", block)]
    }

    fn candidate_blocks(&self) -> Vec<(&'static str, Vec<usize>)> {
        vec![("block_bank", ladder(self.bank_rows))]
    }

    fn build(&self, _: &Target, blocks: &Blocks) -> Result<Vec<BuiltKernel>, BuildError> {
        let block = Self::block(blocks)?;
        Ok(vec![self.split_kernel(block)?, self.merge_kernel(block)?])
    }

    /// The similarity dots (and the in-kernel bank norms' dot).
    fn flops(&self, _: &[BuiltKernel]) -> f64 {
        let dots = 2.0 * (self.queries * self.bank_rows * self.dim) as f64;
        match self.bank_norms {
            BankNorms::InKernel => 2.0 * dots,
            BankNorms::Precomputed => dots,
        }
    }

    fn min_hbm_bytes(&self, _: &[BuiltKernel]) -> f64 {
        RetrievalConfig::min_hbm_bytes(self)
    }

    /// Memory-bound: the bank once; the VPU does ~8 ops per score per extraction pass.
    fn work(&self, _: &Target, blocks: &Blocks, built: &[BuiltKernel]) -> Work {
        let block = Self::block(blocks).unwrap_or(self.bank_rows).max(1);
        let scores = (self.queries * self.bank_rows) as f64;
        Work {
            mxu_flops: KernelFamily::flops(self, built),
            hbm_bytes: RetrievalConfig::min_hbm_bytes(self),
            vpu_elements: 8.0 * scores * self.top_k as f64,
            transcendentals: scores,
            steps: (self.bank_rows / block) as f64,
        }
    }
}
