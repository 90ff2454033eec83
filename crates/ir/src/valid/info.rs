//! Facts about a validated kernel that tiling and codegen reuse.

use crate::types::num_elements;
use crate::{Kernel, MemorySpace, Operand, RefId, RefType, Value, ValueType};

/// What validation learned: every value's type and every operand's sizes.
#[derive(Clone, Debug, PartialEq)]
pub struct KernelInfo {
    value_types: Vec<ValueType>,
    /// One per input, in order.
    pub inputs: Vec<OperandInfo>,
    /// One per output, in order.
    pub outputs: Vec<OperandInfo>,
    /// Bytes of VMEM scratch buffers (allocated once, not double-buffered).
    pub vmem_scratch_bytes: u64,
    /// Bytes of SMEM scratch buffers.
    pub smem_scratch_bytes: u64,
    /// Number of body invocations (product of the grid).
    pub grid_steps: u64,
}

/// Sizes of one input or output.
#[derive(Clone, Debug, PartialEq)]
pub struct OperandInfo {
    /// The ref the body sees.
    pub ref_type: RefType,
    /// Mosaic `window_bounds` (squeezed dims as 1); `None` for unwindowed `Any` operands.
    pub window_bounds: Option<Vec<usize>>,
    /// Blocks along each array dim (`ceil(extent / block)`); `None` without a window.
    pub blocks_per_dim: Option<Vec<usize>>,
    /// Bytes of one block (the whole array without a window). A pipelined VMEM window
    /// needs twice this for double buffering; tiling owns that policy.
    pub block_bytes: u64,
    /// Bytes of the whole array.
    pub array_bytes: u64,
}

impl KernelInfo {
    pub(super) fn new(kernel: &Kernel, value_types: Vec<ValueType>) -> Self {
        let operand_infos = |make: fn(usize) -> RefId, operands: &[Operand]| {
            operands
                .iter()
                .enumerate()
                .map(|(i, o)| OperandInfo::new(kernel, make(i), o))
                .collect()
        };
        let scratch_bytes = |wanted: MemorySpace| {
            (0..kernel.scratch.len())
                .filter_map(|i| kernel.ref_type(RefId::Scratch(i)))
                .filter(|t| matches!(t, RefType::Buffer { space, .. } if *space == wanted))
                .map(|t| t.byte_size().unwrap_or(u64::MAX))
                .fold(0u64, u64::saturating_add)
        };
        KernelInfo {
            value_types,
            inputs: operand_infos(RefId::Input, &kernel.inputs),
            outputs: operand_infos(RefId::Output, &kernel.outputs),
            vmem_scratch_bytes: scratch_bytes(MemorySpace::Vmem),
            smem_scratch_bytes: scratch_bytes(MemorySpace::Smem),
            grid_steps: kernel.grid.steps().unwrap_or(u64::MAX),
        }
    }

    /// Type of a value of the validated kernel; `None` for a handle from elsewhere.
    pub fn value_type(&self, value: Value) -> Option<&ValueType> {
        self.value_types.get(value.index())
    }
}

impl OperandInfo {
    fn new(kernel: &Kernel, id: RefId, operand: &Operand) -> Self {
        let ref_type = kernel
            .ref_type(id)
            .expect("operand ids come from the kernel's own lists");
        let window = operand.spec.window.as_ref();
        let window_bounds = window.map(|w| w.window_bounds());
        let blocks_per_dim = window_bounds.as_ref().map(|bounds| {
            operand
                .shape
                .iter()
                .zip(bounds)
                .map(|(e, b)| e.div_ceil(*b))
                .collect()
        });
        let array_bytes = num_elements(&operand.shape)
            .unwrap_or(u64::MAX)
            .saturating_mul(operand.dtype.byte_size().into());
        OperandInfo {
            block_bytes: ref_type.byte_size().unwrap_or(u64::MAX),
            ref_type,
            window_bounds,
            blocks_per_dim,
            array_bytes,
        }
    }
}
