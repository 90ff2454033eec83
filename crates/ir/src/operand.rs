//! The kernel's signature entries: operands, scalar prefetch, scratch, aliases.

use crate::{BlockSpec, DType, MemorySpace};

/// An input or output array (a `pallas_call` operand or result).
#[derive(Clone, Debug, PartialEq)]
pub struct Operand {
    /// Identifier used by the printer and in errors; unique within the kernel.
    pub name: String,
    /// Shape of the whole array.
    pub shape: Vec<usize>,
    pub dtype: DType,
    pub spec: BlockSpec,
}

/// A scalar-prefetch operand: an `i32` array copied to SMEM before the grid starts,
/// readable by index maps and by the body (page tables, sequence lengths).
#[derive(Clone, Debug, PartialEq)]
pub struct ScalarPrefetch {
    pub name: String,
    pub shape: Vec<usize>,
}

/// What a scratch entry is.
#[derive(Clone, Debug, PartialEq)]
pub enum ScratchKind {
    /// A buffer in VMEM or SMEM (`pltpu.VMEM(shape, dtype)`); it persists across grid
    /// steps and starts with unspecified contents.
    Buffer {
        space: MemorySpace,
        shape: Vec<usize>,
        dtype: DType,
    },
    /// `count` DMA semaphores (`pltpu.SemaphoreType.DMA((count,))`).
    DmaSemaphores { count: usize },
}

/// A scratch buffer or semaphore array, allocated for the whole kernel.
#[derive(Clone, Debug, PartialEq)]
pub struct Scratch {
    pub name: String,
    pub kind: ScratchKind,
}

/// Output `output` reuses the buffer of input `input` (`input_output_aliases`); the
/// two must have the same shape and dtype.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Alias {
    pub input: usize,
    pub output: usize,
}

/// Hints for XLA's scheduler (`cost_estimate` in the custom call's backend config).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct CostEstimate {
    pub flops: u64,
    pub transcendentals: u64,
    pub bytes_accessed: u64,
}
