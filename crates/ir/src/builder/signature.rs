//! Declaring the signature: scalar prefetch, inputs, outputs, scratch, aliases.

use super::KernelBuilder;
use crate::{
    Alias, BlockDim, BlockSpec, CostEstimate, DType, IndexExpr, IndexMap, MemorySpace, Operand,
    RefId, ScalarPrefetch, Scratch, ScratchKind,
};

/// The arguments an index-map closure receives: grid indices, then scalar-prefetch refs.
pub struct IndexArgs {
    grid_rank: usize,
    num_args: usize,
}

impl IndexArgs {
    /// Grid index `axis` (the `i`, `j`, … of a Pallas index map).
    pub fn grid(&self, axis: usize) -> IndexExpr {
        IndexExpr::Arg(axis)
    }

    /// Reads a scalar-prefetch ref (`lengths_ref[b]`, `page_table[b, j]`). Any other
    /// ref becomes an invalid argument that validation reports.
    pub fn load(&self, prefetch: RefId, indices: impl IntoIterator<Item = IndexExpr>) -> IndexExpr {
        let arg = match prefetch {
            RefId::Prefetch(i) => self.grid_rank + i,
            _ => self.num_args,
        };
        IndexExpr::Load {
            arg,
            indices: indices.into_iter().collect(),
        }
    }
}

impl KernelBuilder {
    /// An index map over the current grid and scalar-prefetch refs, so declare scalar
    /// prefetch first.
    pub fn index_map<R: IntoIterator<Item = IndexExpr>>(
        &self,
        f: impl FnOnce(&IndexArgs) -> R,
    ) -> IndexMap {
        let grid_rank = self.kernel.grid.rank();
        let num_args = grid_rank + self.kernel.scalar_prefetch.len();
        let results = f(&IndexArgs {
            grid_rank,
            num_args,
        })
        .into_iter()
        .collect();
        IndexMap { num_args, results }
    }

    /// A VMEM BlockSpec: `BlockSpec(block_shape, index_map)`.
    pub fn vmem_block<R: IntoIterator<Item = IndexExpr>>(
        &self,
        block_shape: impl IntoIterator<Item = impl Into<BlockDim>>,
        f: impl FnOnce(&IndexArgs) -> R,
    ) -> BlockSpec {
        BlockSpec::vmem(block_shape, self.index_map(f))
    }

    /// An `i32` array placed in SMEM before the grid runs, readable by index maps.
    pub fn scalar_prefetch(
        &mut self,
        name: impl Into<String>,
        shape: impl Into<Vec<usize>>,
    ) -> RefId {
        let prefetch = ScalarPrefetch {
            name: name.into(),
            shape: shape.into(),
        };
        RefId::Prefetch(push(&mut self.kernel.scalar_prefetch, prefetch))
    }

    /// An input array and how each step sees it.
    pub fn input(
        &mut self,
        name: impl Into<String>,
        shape: impl Into<Vec<usize>>,
        dtype: DType,
        spec: BlockSpec,
    ) -> RefId {
        let operand = Operand {
            name: name.into(),
            shape: shape.into(),
            dtype,
            spec,
        };
        RefId::Input(push(&mut self.kernel.inputs, operand))
    }

    /// An output array and how each step sees it.
    pub fn output(
        &mut self,
        name: impl Into<String>,
        shape: impl Into<Vec<usize>>,
        dtype: DType,
        spec: BlockSpec,
    ) -> RefId {
        let operand = Operand {
            name: name.into(),
            shape: shape.into(),
            dtype,
            spec,
        };
        RefId::Output(push(&mut self.kernel.outputs, operand))
    }

    /// A VMEM scratch buffer (`pltpu.VMEM(shape, dtype)`).
    pub fn scratch_vmem(
        &mut self,
        name: impl Into<String>,
        shape: impl Into<Vec<usize>>,
        dtype: DType,
    ) -> RefId {
        self.scratch(
            name,
            ScratchKind::Buffer {
                space: MemorySpace::Vmem,
                shape: shape.into(),
                dtype,
            },
        )
    }

    /// An SMEM scratch buffer (`pltpu.SMEM(shape, dtype)`).
    pub fn scratch_smem(
        &mut self,
        name: impl Into<String>,
        shape: impl Into<Vec<usize>>,
        dtype: DType,
    ) -> RefId {
        self.scratch(
            name,
            ScratchKind::Buffer {
                space: MemorySpace::Smem,
                shape: shape.into(),
                dtype,
            },
        )
    }

    /// `count` DMA semaphores (`pltpu.SemaphoreType.DMA((count,))`).
    pub fn dma_semaphores(&mut self, name: impl Into<String>, count: usize) -> RefId {
        self.scratch(name, ScratchKind::DmaSemaphores { count })
    }

    fn scratch(&mut self, name: impl Into<String>, kind: ScratchKind) -> RefId {
        let scratch = Scratch {
            name: name.into(),
            kind,
        };
        RefId::Scratch(push(&mut self.kernel.scratch, scratch))
    }

    /// Output `output` reuses input `input`'s buffer (`input_output_aliases`). Refs of
    /// the wrong kind become out-of-range indices, which validation reports.
    pub fn alias(&mut self, input: RefId, output: RefId) {
        let index = |id, want: fn(usize) -> RefId| match id {
            RefId::Input(i) | RefId::Output(i) if want(i) == id => i,
            _ => usize::MAX,
        };
        let alias = Alias {
            input: index(input, RefId::Input),
            output: index(output, RefId::Output),
        };
        self.kernel.aliases.push(alias);
    }

    /// Sets the scoped VMEM limit passed to the compiler.
    pub fn vmem_limit_bytes(&mut self, bytes: u64) {
        self.kernel.vmem_limit_bytes = Some(bytes);
    }

    pub fn cost_estimate(&mut self, estimate: CostEstimate) {
        self.kernel.cost_estimate = Some(estimate);
    }
}

/// Appends and returns the new entry's index.
fn push<T>(list: &mut Vec<T>, item: T) -> usize {
    list.push(item);
    list.len() - 1
}
