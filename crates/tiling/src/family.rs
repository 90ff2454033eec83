//! The one interface every kernel is planned, searched, compiled and reported through:
//! catalog kernels and a user's own alike.
//!
//! A [`KernelFamily`] is a problem (shapes, dtype, options) that builds its real kernels
//! for any target and block sizes. Everything that judges a kernel — the alignment rules,
//! the VMEM budget, the block search, the roofline, libtpu — judges what `build` returns,
//! so there is no second copy of a kernel's memory plan to drift from it.
//!
//! ```
//! use pallas_flash_ir::{DType::F32, GridSpec, KernelBuilder};
//! use pallas_flash_tiling::family::{Blocks, BuildError, BuiltKernel, KernelFamily};
//! use pallas_flash_tiling::{search, Target};
//!
//! /// `o = 2 · x` over `[rows, 512]`, `block` rows a step.
//! struct Double { rows: usize }
//!
//! impl KernelFamily for Double {
//!     fn describe(&self) -> String { format!("double {}x512", self.rows) }
//!     fn default_blocks(&self, _: &Target) -> Blocks { vec![("block", 256.min(self.rows))] }
//!     fn candidate_blocks(&self) -> Vec<(&'static str, Vec<usize>)> {
//!         vec![("block", search::ladder(self.rows))]
//!     }
//!     fn build(&self, _: &Target, blocks: &Blocks) -> Result<Vec<BuiltKernel>, BuildError> {
//!         let b = blocks[0].1;
//!         let mut k = KernelBuilder::new("double", GridSpec::new([self.rows / b]));
//!         let x = k.input("x", [self.rows, 512], F32, k.vmem_block([b, 512], |g| [g.grid(0), 0.into()]));
//!         let o = k.output("o", [self.rows, 512], F32, k.vmem_block([b, 512], |g| [g.grid(0), 0.into()]));
//!         let (v, two) = (k.read(x), k.full([b, 512], F32, 2.0));
//!         let y = k.mul(v, two);
//!         k.write(o, y);
//!         Ok(vec![BuiltKernel::from(k.build()?)])
//!     }
//! }
//!
//! let v5e = Target::v5e();
//! let found = search::search(&v5e, &Double { rows: 4096 }, 3)?;
//! assert!(found.ranked[0].blocks[0].1 >= 512, "big blocks: fewer grid steps");
//! # Ok::<(), pallas_flash_tiling::SearchError>(())
//! ```

use pallas_flash_ir::{DType, Expr, Kernel, KernelInfo};

use crate::cost::cost_estimate;
use crate::roofline::Work;
use crate::Target;

/// Named block sizes, in the order [`KernelFamily::candidate_blocks`] names them.
pub type Blocks = Vec<(&'static str, usize)>;

/// Why a family could not build a kernel for some blocks (its own error, boxed).
pub type BuildError = Box<dyn std::error::Error + Send + Sync>;

/// A built, validated kernel.
#[derive(Clone, Debug)]
pub struct BuiltKernel {
    pub kernel: Kernel,
    pub info: KernelInfo,
}

impl From<(Kernel, KernelInfo)> for BuiltKernel {
    fn from((kernel, info): (Kernel, KernelInfo)) -> Self {
        BuiltKernel { kernel, info }
    }
}

/// A kernel problem that builds its real kernels for a target and block sizes.
///
/// Only [`describe`](Self::describe) and [`build`](Self::build) are required: the work
/// floors default to what the built kernels' IR counts ([`cost_estimate`]), and a family
/// without blocks has nothing to search.
pub trait KernelFamily: Send + Sync {
    /// One line naming the problem: kernel, shapes, dtype, options (tables, cache keys).
    fn describe(&self) -> String;

    /// The blocks the kernel uses on `target` when none are chosen (measured defaults).
    fn default_blocks(&self, _target: &Target) -> Blocks {
        Vec::new()
    }

    /// Each block name and the sizes the search tries for it.
    fn candidate_blocks(&self) -> Vec<(&'static str, Vec<usize>)> {
        Vec::new()
    }

    /// The kernels of one call, in program order (an output of an earlier kernel feeds
    /// a later kernel's input of the same name), built and validated for `target` with
    /// `blocks` (named as [`default_blocks`](Self::default_blocks) names them).
    fn build(&self, target: &Target, blocks: &Blocks) -> Result<Vec<BuiltKernel>, BuildError>;

    /// Useful flops of one call (the roofline's compute term, MFU).
    fn flops(&self, built: &[BuiltKernel]) -> f64 {
        counted(built, |c| c.flops as f64)
    }

    /// The fewest HBM bytes one call can move (the roofline's memory term).
    fn min_hbm_bytes(&self, built: &[BuiltKernel]) -> f64 {
        counted(built, |c| c.bytes_accessed as f64)
    }

    /// The work of `built` (this family at `blocks`) as the search's roofline ranks it:
    /// re-reads of streamed blocks, padded MXU passes. The default counts each operand
    /// once; a family whose blocks change its HBM traffic says how.
    fn work(&self, _target: &Target, _blocks: &Blocks, built: &[BuiltKernel]) -> Work {
        Work {
            mxu_flops: counted(built, |c| c.flops as f64),
            hbm_bytes: counted(built, |c| c.bytes_accessed as f64),
            vpu_elements: 0.0,
            transcendentals: counted(built, |c| c.transcendentals as f64),
            steps: built.iter().map(|b| b.info.grid_steps as f64).sum(),
        }
    }
}

/// The size of block `name` in `blocks`, if named.
pub fn named(blocks: &Blocks, name: &str) -> Option<usize> {
    blocks.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// A figure of [`cost_estimate`] summed over the kernels.
fn counted(built: &[BuiltKernel], figure: impl Fn(&pallas_flash_ir::CostEstimate) -> f64) -> f64 {
    built
        .iter()
        .map(|b| figure(&cost_estimate(&b.kernel, &b.info)))
        .sum()
}

/// The operand dtype of the kernels' dots (the MXU rate they run at); bf16 without dots.
pub fn matmul_dtype(built: &[BuiltKernel]) -> DType {
    built
        .iter()
        .flat_map(|b| {
            b.kernel.exprs.iter().filter_map(|(_, expr)| match expr {
                Expr::Dot { lhs, .. } => b.info.value_type(*lhs).map(|t| t.dtype),
                _ => None,
            })
        })
        .next()
        .unwrap_or(DType::Bf16)
}
