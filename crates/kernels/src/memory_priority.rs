//! Agent-memory priority: `priority = sim × centrality × recency × intrinsic` per memory,
//! zeroed where it does not exceed the threshold α — elementwise over `[M]` f32 arrays,
//! so HBM-bound: the kernel's job is to stream 20 bytes per memory at the DMA rate.
//!
//! The `[M]` arrays are passed as `[M / 128, 128]` (a free reshape of the same bytes): a
//! rank-1 window would be a lane-sparse vector, and M must be a multiple of 1024 (one
//! (8, 128) tile) — an error otherwise, never a silent pad.
//!
//! ```
//! use pallas_flash_kernels::memory_priority::MemoryPriorityConfig;
//! use pallas_flash_tiling::{KernelFamily, Target};
//!
//! let cfg = MemoryPriorityConfig::new(1 << 20, 0.25);
//! let built = cfg.build(&Target::v5e(), &cfg.default_blocks(&Target::v5e()))?;
//! assert_eq!(built[0].info.grid_steps, 4);
//! # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
//! ```

use pallas_flash_ir::{
    DType, DimensionSemantics::*, GridSpec, IndexExpr, KernelBuilder, ValidationError,
};
use pallas_flash_tiling::family::{named, Blocks, BuildError, BuiltKernel, KernelFamily};
use pallas_flash_tiling::search::ladder;
use pallas_flash_tiling::Target;
use thiserror::Error;

/// Lanes of the `[M / 128, 128]` view.
pub const LANES: usize = 128;
/// The factors, in the order the kernel takes them.
pub const FACTORS: [&str; 4] = ["sim", "centrality", "recency", "intrinsic"];
/// Default rows of 128 a step: 2048 × 128 f32 is 1 MiB per array; five arrays
/// double-buffered is 10 MiB, inside v5e's 16 MiB scoped default.
const DEFAULT_BLOCK_ROWS: usize = 2048;

/// One priority call over `memories` entries with threshold `threshold`.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryPriorityConfig {
    pub memories: usize,
    pub threshold: f64,
    /// Rows of 128 a step; `None`: the largest divisor up to 2048.
    pub block_rows: Option<usize>,
}

/// Why a priority configuration can not become a kernel.
#[derive(Debug, Error)]
pub enum MemoryPriorityError {
    #[error("{memories} memories is not a positive multiple of 1024 (one 8 x 128 f32 tile): size the arrays in whole tiles, e.g. {suggestion}")]
    Memories { memories: usize, suggestion: usize },
    #[error("block_rows {block} does not divide the {rows} rows of 128, or is not a multiple of 8: use e.g. {suggestion}")]
    Block {
        block: usize,
        rows: usize,
        suggestion: usize,
    },
    #[error(
        "the generated kernel failed validation (a bug in this builder, please report it): {0}"
    )]
    Invalid(#[from] ValidationError),
}

impl MemoryPriorityConfig {
    pub fn new(memories: usize, threshold: f64) -> Self {
        MemoryPriorityConfig {
            memories,
            threshold,
            block_rows: None,
        }
    }

    fn rows(&self) -> usize {
        self.memories / LANES
    }

    fn default_block_rows(&self) -> usize {
        let rows = self.rows();
        (1..=DEFAULT_BLOCK_ROWS.min(rows) / 8)
            .rev()
            .map(|t| t * 8)
            .find(|b| rows.is_multiple_of(*b))
            .unwrap_or(rows)
    }

    /// Builds the kernel with `block` rows of 128 a step.
    pub fn kernel(&self, block: usize) -> Result<BuiltKernel, MemoryPriorityError> {
        if self.memories == 0 || !self.memories.is_multiple_of(8 * LANES) {
            return Err(MemoryPriorityError::Memories {
                memories: self.memories,
                suggestion: self.memories.div_ceil(8 * LANES).max(1) * 8 * LANES,
            });
        }
        let rows = self.rows();
        if block == 0 || !block.is_multiple_of(8) || !rows.is_multiple_of(block) {
            return Err(MemoryPriorityError::Block {
                block,
                rows,
                suggestion: self.default_block_rows(),
            });
        }
        let grid = GridSpec::new([rows / block]).semantics([Parallel]);
        let mut k = KernelBuilder::new("memory_priority", grid);
        let tile =
            |k: &KernelBuilder| k.vmem_block([block, LANES], |g| [g.grid(0), IndexExpr::Const(0)]);
        let inputs = FACTORS.map(|name| k.input(name, [rows, LANES], DType::F32, tile(&k)));
        let priority = k.output("priority", [rows, LANES], DType::F32, tile(&k));
        let values = inputs.map(|r| k.read(r));
        let product = values[1..].iter().fold(values[0], |acc, v| k.mul(acc, *v));
        let alpha = k.full([block, LANES], DType::F32, self.threshold);
        let kept = k.gt(product, alpha);
        let zero = k.full([block, LANES], DType::F32, 0.0);
        let out = k.select(kept, product, zero);
        k.write(priority, out);
        Ok(k.build()?.into())
    }

    /// Bytes one call must move: four f32 factors in, the priority out.
    pub fn min_hbm_bytes(&self) -> f64 {
        20.0 * self.memories as f64
    }
}

impl KernelFamily for MemoryPriorityConfig {
    fn describe(&self) -> String {
        format!(
            "memory-priority {} memories f32, threshold {}",
            self.memories, self.threshold
        )
    }

    fn default_blocks(&self, _: &Target) -> Blocks {
        vec![(
            "block_rows",
            self.block_rows.unwrap_or_else(|| self.default_block_rows()),
        )]
    }

    fn candidate_blocks(&self) -> Vec<(&'static str, Vec<usize>)> {
        vec![("block_rows", ladder(self.rows().max(1)))]
    }

    fn build(&self, _: &Target, blocks: &Blocks) -> Result<Vec<BuiltKernel>, BuildError> {
        let block = named(blocks, "block_rows").unwrap_or_else(|| self.default_block_rows());
        Ok(vec![self.kernel(block)?])
    }

    fn flops(&self, _: &[BuiltKernel]) -> f64 {
        0.0
    }

    fn min_hbm_bytes(&self, _: &[BuiltKernel]) -> f64 {
        MemoryPriorityConfig::min_hbm_bytes(self)
    }
}
