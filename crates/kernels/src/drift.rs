//! Agent-memory drift: the per-row cosine distance `1 − a·b / (|a| |b|)` between two
//! snapshots `before`, `after` `[M, D]` bf16 of a bank, and how many rows moved more than
//! a threshold. HBM-bound (4·D bytes read per row, 4 written): the kernel's job is to
//! stream both snapshots at the DMA rate.
//!
//! The block is processed 128 rows at a time: the row sums `a·b`, `|a|²`, `|b|²` in f32,
//! lane-dense ([`crate::row_sums`]), so `distance [1, M]` is written with full lane tiles
//! instead of one lane per row.
//!
//! The count of rows over the threshold is one number, accumulated across the grid in a
//! resident `[1, 128]` output block (every lane holds it), so the grid axis is
//! `arbitrary`. Zero rows: a row zero in both snapshots has distance 0 (nothing moved); a
//! row zero in one snapshot only has distance 1 (similarity 0, as in retrieval).
//!
//! ```
//! use pallas_flash_kernels::drift::DriftConfig;
//! use pallas_flash_tiling::{KernelFamily, Target};
//!
//! let cfg = DriftConfig::new(1 << 20, 768, 0.1);
//! let built = cfg.build(&Target::v5e(), &cfg.default_blocks(&Target::v5e()))?;
//! assert_eq!(built[0].info.grid_steps, 1024);
//! # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
//! ```

use crate::row_sums::group_row_sums;
use pallas_flash_ir::{
    ds, DType, DimensionSemantics::*, GridSpec, IndexExpr, KernelBuilder, RefId, ValidationError,
    Value,
};
use pallas_flash_tiling::family::{named, Blocks, BuildError, BuiltKernel, KernelFamily};
use pallas_flash_tiling::roofline::Work;
use pallas_flash_tiling::search::ladder;
use pallas_flash_tiling::Target;
use thiserror::Error;

/// The lane width: row sums accumulate this many columns at a time, and bank blocks are
/// multiples of it (the distances are lanes of `[1, rows]`).
pub const LANES: usize = 128;
/// Bank elements (rows × D) a step streams per snapshot by default: 1M bf16 is 2 MiB, so
/// both snapshots double-buffered take 8 MiB, half of v5e's 16 MiB scoped default.
const DEFAULT_BLOCK_ELEMENTS: usize = 1 << 20;
/// Guards `1/|a|` against a zero row (its similarity is 0, not NaN).
const NORM_FLOOR: f64 = 1e-30;

/// One drift call: `rows` × `dim` snapshots, rows with distance `> threshold` counted.
#[derive(Clone, Debug, PartialEq)]
pub struct DriftConfig {
    pub rows: usize,
    /// Embedding width, a multiple of 128.
    pub dim: usize,
    pub threshold: f64,
    /// Bank rows a step; `None`: [`DriftConfig::default_block_rows`].
    pub block_rows: Option<usize>,
}

/// Why a drift configuration can not become a kernel.
#[derive(Debug, Error)]
pub enum DriftError {
    #[error("{what} is 0; rows and dim must be at least 1")]
    Empty { what: &'static str },
    #[error("dim {dim} is not a multiple of 128 (the lane width): pad the embeddings once when they are stored")]
    Dim { dim: usize },
    #[error("{rows} rows is not a multiple of 128 (the distances are written as lanes): size the bank in whole lane tiles, e.g. {suggestion}")]
    Rows { rows: usize, suggestion: usize },
    #[error("block_rows {block} does not divide the bank's {rows} rows, or is not a multiple of 128: use e.g. {suggestion}")]
    Block {
        block: usize,
        rows: usize,
        suggestion: usize,
    },
    #[error("bank rows {rows} do not fit the i32 count the kernel returns")]
    TooLarge { rows: usize },
    #[error(
        "the generated kernel failed validation (a bug in this builder, please report it): {0}"
    )]
    Invalid(#[from] ValidationError),
}

impl DriftConfig {
    pub fn new(rows: usize, dim: usize, threshold: f64) -> Self {
        DriftConfig {
            rows,
            dim,
            threshold,
            block_rows: None,
        }
    }

    pub fn block_rows(mut self, rows: usize) -> Self {
        self.block_rows = Some(rows);
        self
    }

    /// The most rows (a multiple of 128 dividing the bank) whose block holds at most
    /// [`DEFAULT_BLOCK_ELEMENTS`] elements, else 128.
    pub fn default_block_rows(&self) -> usize {
        let cap = (DEFAULT_BLOCK_ELEMENTS / self.dim.max(1)).max(LANES);
        (1..=cap / LANES)
            .rev()
            .map(|t| t * LANES)
            .find(|b| self.rows.is_multiple_of(*b))
            .unwrap_or(LANES)
    }

    fn check(&self, block: usize) -> Result<(), DriftError> {
        for (what, v) in [("rows", self.rows), ("dim", self.dim)] {
            if v == 0 {
                return Err(DriftError::Empty { what });
            }
        }
        if !self.dim.is_multiple_of(LANES) {
            return Err(DriftError::Dim { dim: self.dim });
        }
        if !self.rows.is_multiple_of(LANES) {
            return Err(DriftError::Rows {
                rows: self.rows,
                suggestion: self.rows.div_ceil(LANES) * LANES,
            });
        }
        if i32::try_from(self.rows).is_err() {
            return Err(DriftError::TooLarge { rows: self.rows });
        }
        if block == 0 || !block.is_multiple_of(LANES) || !self.rows.is_multiple_of(block) {
            return Err(DriftError::Block {
                block,
                rows: self.rows,
                suggestion: self.default_block_rows(),
            });
        }
        Ok(())
    }

    /// The kernel, `block` bank rows a step. Outputs: `distance [1, M]` f32 and
    /// `over_threshold [1, 128]` i32 (the count, in every lane).
    pub fn kernel(&self, block: usize) -> Result<BuiltKernel, DriftError> {
        self.check(block)?;
        let (m, d, n) = (self.rows, self.dim, block);
        let grid = GridSpec::new([m / n]).semantics([Arbitrary]);
        let mut k = KernelBuilder::new("drift", grid);
        let zero = || IndexExpr::Const(0);
        let snapshot = |k: &KernelBuilder| k.vmem_block([n, d], |g| [g.grid(0), zero()]);
        let before = k.input("before", [m, d], DType::Bf16, snapshot(&k));
        let after = k.input("after", [m, d], DType::Bf16, snapshot(&k));
        let distance = k.output(
            "distance",
            [1, m],
            DType::F32,
            k.vmem_block([1, n], |g| [zero(), g.grid(0)]),
        );
        let over = k.output(
            "over_threshold",
            [1, LANES],
            DType::I32,
            k.vmem_block([1, LANES], |_| [zero(), zero()]),
        );

        let alpha = k.full([1, LANES], DType::F32, self.threshold);
        let mut over_lanes: Option<Value> = None;
        for group in (0..n).step_by(LANES) {
            let dist = group_distances(&mut k, before, after, group, d);
            k.store(distance, [ds(0, 1), ds(group, LANES)], dist);
            let is_over = k.gt(dist, alpha);
            let (one, zero) = (
                k.full([1, LANES], DType::I32, 1),
                k.full([1, LANES], DType::I32, 0),
            );
            let flags = k.select(is_over, one, zero);
            over_lanes = Some(match over_lanes {
                Some(sum) => k.add(sum, flags),
                None => flags,
            });
        }
        let over_lanes = over_lanes.expect("block >= 128 (checked)");
        let count = k.sum(over_lanes, 1);
        let count = k.broadcast(count, [1, LANES]);
        let step = k.program_id(0);
        let first = k.i32(0);
        let first = k.eq(step, first);
        k.when(first, |k| {
            let zeros = k.full([1, LANES], DType::I32, 0);
            k.write(over, zeros);
        });
        let so_far = k.read(over);
        let total = k.add(so_far, count);
        k.write(over, total);
        Ok(k.build()?.into())
    }

    /// Bytes one call must move: both snapshots in, the distances and the count out.
    pub fn min_hbm_bytes(&self) -> f64 {
        let (m, d) = (self.rows as f64, self.dim as f64);
        4.0 * m * d + 4.0 * m + 4.0 * LANES as f64
    }
}

/// Distances `[1, 128]` of the 128 rows from `group` of the `[n, d]` blocks, from the
/// lane-dense row sums `a·b`, `|a|²`, `|b|²` ([`group_row_sums`]).
fn group_distances(
    k: &mut KernelBuilder,
    before: RefId,
    after: RefId,
    group: usize,
    d: usize,
) -> Value {
    let sums = group_row_sums(k, &[before, after], &[(0, 1), (0, 0), (1, 1)], group, d);
    let (ab, aa, bb) = (sums[0], sums[1], sums[2]);
    let inv = |k: &mut KernelBuilder, sq: Value| {
        let floor = k.full([1, LANES], DType::F32, NORM_FLOOR);
        let guarded = k.add(sq, floor);
        k.rsqrt(guarded)
    };
    let (inv_a, inv_b) = (inv(k, aa), inv(k, bb));
    let scaled = k.mul(ab, inv_a);
    let cosine = k.mul(scaled, inv_b);
    let one = k.full([1, LANES], DType::F32, 1.0);
    let moved = k.sub(one, cosine);
    let both_sq = k.add(aa, bb);
    let none = k.full([1, LANES], DType::F32, 0.0);
    let both_zero = k.eq(both_sq, none);
    k.select(both_zero, none, moved)
}

impl KernelFamily for DriftConfig {
    fn describe(&self) -> String {
        format!(
            "drift {}x{} bf16 snapshots, threshold {}",
            self.rows, self.dim, self.threshold
        )
    }

    fn default_blocks(&self, _: &Target) -> Blocks {
        vec![(
            "block_rows",
            self.block_rows.unwrap_or_else(|| self.default_block_rows()),
        )]
    }

    fn candidate_blocks(&self) -> Vec<(&'static str, Vec<usize>)> {
        let lane_multiples = ladder(self.rows.max(1))
            .into_iter()
            .filter(|b| b.is_multiple_of(LANES))
            .collect();
        vec![("block_rows", lane_multiples)]
    }

    fn build(&self, _: &Target, blocks: &Blocks) -> Result<Vec<BuiltKernel>, BuildError> {
        let block = named(blocks, "block_rows").unwrap_or_else(|| self.default_block_rows());
        Ok(vec![self.kernel(block)?])
    }

    fn flops(&self, _: &[BuiltKernel]) -> f64 {
        0.0
    }

    fn min_hbm_bytes(&self, _: &[BuiltKernel]) -> f64 {
        DriftConfig::min_hbm_bytes(self)
    }

    /// HBM-bound: three multiply-adds per element pair on the VPU, two rsqrt per row.
    fn work(&self, _: &Target, blocks: &Blocks, _: &[BuiltKernel]) -> Work {
        let block = named(blocks, "block_rows")
            .unwrap_or_else(|| self.default_block_rows())
            .max(1);
        let elements = (self.rows * self.dim) as f64;
        Work {
            mxu_flops: 0.0,
            hbm_bytes: DriftConfig::min_hbm_bytes(self),
            vpu_elements: 6.0 * elements,
            transcendentals: 2.0 * self.rows as f64,
            steps: (self.rows / block) as f64,
        }
    }
}
