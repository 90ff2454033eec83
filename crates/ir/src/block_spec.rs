//! BlockSpec: which window of an operand each grid step sees, and where it lives.

use std::fmt;

use crate::IndexMap;

/// Where a ref lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemorySpace {
    /// Vector memory: windows are pipelined (copied in and out around each step).
    Vmem,
    /// Scalar memory: small integer tables, scalar loads and stores only.
    Smem,
    /// Left where the caller put it (HBM); not windowed, only reachable through DMA.
    Any,
}

impl MemorySpace {
    /// Mosaic spelling: `vmem`, `smem`, `any`.
    pub fn name(self) -> &'static str {
        match self {
            MemorySpace::Vmem => "vmem",
            MemorySpace::Smem => "smem",
            MemorySpace::Any => "any",
        }
    }
}

impl fmt::Display for MemorySpace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One dimension of a block shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BlockDim {
    /// Blocks of this many elements; the index map returns the block number.
    Blocked(usize),
    /// Size 1 and dropped from the ref the body sees (Pallas `None` / `pl.Squeezed`);
    /// Mosaic's `window_bounds` records it as 1.
    Squeezed,
}

impl BlockDim {
    /// Extent in the array's coordinates (`Squeezed` is 1).
    pub fn extent(self) -> usize {
        match self {
            BlockDim::Blocked(n) => n,
            BlockDim::Squeezed => 1,
        }
    }
}

impl From<usize> for BlockDim {
    fn from(n: usize) -> Self {
        BlockDim::Blocked(n)
    }
}

impl fmt::Display for BlockDim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlockDim::Blocked(n) => write!(f, "{n}"),
            BlockDim::Squeezed => f.write_str("squeezed"),
        }
    }
}

/// A block shape and the index map that places the block for each grid step.
///
/// The index map returns **block indices** (element offset = index × block extent),
/// one per array dimension, squeezed dims included. The last block along a dim may be
/// partial when the block does not divide the array: reads past the array end give
/// unspecified values and writes past it are dropped.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub block_shape: Vec<BlockDim>,
    pub index_map: IndexMap,
}

impl Window {
    /// `window_bounds` for Mosaic: the block shape with squeezed dims as 1.
    pub fn window_bounds(&self) -> Vec<usize> {
        self.block_shape.iter().map(|d| d.extent()).collect()
    }

    /// Shape of the ref the body sees: squeezed dims dropped.
    pub fn ref_shape(&self) -> Vec<usize> {
        self.block_shape
            .iter()
            .filter_map(|d| match d {
                BlockDim::Blocked(n) => Some(*n),
                BlockDim::Squeezed => None,
            })
            .collect()
    }
}

/// How an input or output is presented to the body (Pallas `BlockSpec`).
///
/// `Vmem` and `Smem` operands must have a window; `Any` operands must not (the body
/// gets the whole array and moves data itself with DMA).
#[derive(Clone, Debug, PartialEq)]
pub struct BlockSpec {
    pub memory_space: MemorySpace,
    pub window: Option<Window>,
}

impl BlockSpec {
    /// A VMEM window.
    pub fn vmem(
        block_shape: impl IntoIterator<Item = impl Into<BlockDim>>,
        index_map: IndexMap,
    ) -> Self {
        Self::windowed(MemorySpace::Vmem, block_shape, index_map)
    }

    /// An SMEM window.
    pub fn smem(
        block_shape: impl IntoIterator<Item = impl Into<BlockDim>>,
        index_map: IndexMap,
    ) -> Self {
        Self::windowed(MemorySpace::Smem, block_shape, index_map)
    }

    /// The whole array, left in place (`pl.ANY`).
    pub fn any() -> Self {
        BlockSpec {
            memory_space: MemorySpace::Any,
            window: None,
        }
    }

    fn windowed(
        memory_space: MemorySpace,
        block_shape: impl IntoIterator<Item = impl Into<BlockDim>>,
        index_map: IndexMap,
    ) -> Self {
        let block_shape = block_shape.into_iter().map(Into::into).collect();
        BlockSpec {
            memory_space,
            window: Some(Window {
                block_shape,
                index_map,
            }),
        }
    }
}
