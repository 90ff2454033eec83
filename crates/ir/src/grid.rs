//! The grid: how many times the body runs and how the iterations may be scheduled.

use std::fmt;

/// How the iterations along one grid axis may be scheduled (`dimension_semantics`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DimensionSemantics {
    /// Iterations are independent: they may run in any order or be split across cores.
    Parallel,
    /// Iterations run in order on one core; use it for axes that carry state (an
    /// accumulator in scratch, an output block revisited across steps).
    Arbitrary,
    /// Split across the TensorCores of a chip (v4/v5p megacore).
    CoreParallel,
}

impl DimensionSemantics {
    /// Mosaic spelling: `parallel`, `arbitrary`, `core_parallel`.
    pub fn name(self) -> &'static str {
        match self {
            DimensionSemantics::Parallel => "parallel",
            DimensionSemantics::Arbitrary => "arbitrary",
            DimensionSemantics::CoreParallel => "core_parallel",
        }
    }
}

impl fmt::Display for DimensionSemantics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Grid extents and their semantics (Mosaic `iteration_bounds`, `dimension_semantics`).
///
/// The grid runs in row-major order: the last axis varies fastest. The number of
/// scalar-prefetch operands is not stored here: it is `Kernel::scalar_prefetch.len()`,
/// so the two can not disagree.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GridSpec {
    pub grid: Vec<usize>,
    pub dimension_semantics: Vec<DimensionSemantics>,
}

impl GridSpec {
    /// A grid whose axes are all `Parallel`; refine with [`GridSpec::semantics`].
    pub fn new(grid: impl Into<Vec<usize>>) -> Self {
        let grid = grid.into();
        let dimension_semantics = vec![DimensionSemantics::Parallel; grid.len()];
        GridSpec {
            grid,
            dimension_semantics,
        }
    }

    pub fn semantics(mut self, semantics: impl Into<Vec<DimensionSemantics>>) -> Self {
        self.dimension_semantics = semantics.into();
        self
    }

    pub fn rank(&self) -> usize {
        self.grid.len()
    }

    /// Total number of body invocations, `None` on overflow.
    pub fn steps(&self) -> Option<u64> {
        crate::types::num_elements(&self.grid)
    }
}
