//! The kernel: signature, grid and body, as plain data.

use crate::{
    Alias, Arena, Block, CostEstimate, DType, Expr, GridSpec, MemorySpace, Operand, RefId, RefType,
    ScalarPrefetch, Scratch, ScratchKind,
};

/// A whole kernel (one `pallas_call`).
///
/// Plain data: build it with [`crate::KernelBuilder`] or by hand, check it with
/// [`crate::validate`]. Consumers (tiling, codegen, interpret) assume a validated
/// kernel and may return errors, but never panic, on one.
///
/// Grid semantics, which every lowering follows: the grid runs in row-major order.
/// At each step, every input window whose block index changed since the previous
/// step is (re)loaded; output windows persist while consecutive steps map to the same
/// block index and are written back when it changes and after the last step. An output
/// window's contents before the body first writes it are unspecified, so a kernel must
/// write every element it reads. Scratch persists for the whole grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Kernel {
    /// Kernel symbol name: an identifier (`[A-Za-z_][A-Za-z0-9_]*`).
    pub name: String,
    pub grid: GridSpec,
    pub scalar_prefetch: Vec<ScalarPrefetch>,
    pub inputs: Vec<Operand>,
    pub outputs: Vec<Operand>,
    pub scratch: Vec<Scratch>,
    pub aliases: Vec<Alias>,
    /// Scoped VMEM limit for the compiler (`scoped_memory_configs`); `None` keeps the
    /// target's default.
    pub vmem_limit_bytes: Option<u64>,
    pub cost_estimate: Option<CostEstimate>,
    pub exprs: Arena<Expr>,
    pub body: Block,
}

impl Kernel {
    /// An empty kernel: no operands, empty body.
    pub fn new(name: impl Into<String>, grid: GridSpec) -> Self {
        Kernel {
            name: name.into(),
            grid,
            scalar_prefetch: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            scratch: Vec::new(),
            aliases: Vec::new(),
            vmem_limit_bytes: None,
            cost_estimate: None,
            exprs: Arena::new(),
            body: Vec::new(),
        }
    }

    /// The name of a ref, or `None` if it does not exist.
    pub fn ref_name(&self, id: RefId) -> Option<&str> {
        match id {
            RefId::Prefetch(i) => self.scalar_prefetch.get(i).map(|p| p.name.as_str()),
            RefId::Input(i) => self.inputs.get(i).map(|o| o.name.as_str()),
            RefId::Output(i) => self.outputs.get(i).map(|o| o.name.as_str()),
            RefId::Scratch(i) => self.scratch.get(i).map(|s| s.name.as_str()),
        }
    }

    /// Every ref in Mosaic argument order (prefetch, inputs, outputs, scratch).
    pub fn refs(&self) -> impl Iterator<Item = RefId> {
        let prefetch = (0..self.scalar_prefetch.len()).map(RefId::Prefetch);
        let inputs = (0..self.inputs.len()).map(RefId::Input);
        let outputs = (0..self.outputs.len()).map(RefId::Output);
        let scratch = (0..self.scratch.len()).map(RefId::Scratch);
        prefetch.chain(inputs).chain(outputs).chain(scratch)
    }
}

impl Kernel {
    /// The type of a ref as the body sees it, or `None` if it does not exist.
    ///
    /// Windowed operands are block-shaped (squeezed dims dropped) in their memory
    /// space; `Any` operands are the whole array; scalar-prefetch refs are `i32` SMEM.
    pub fn ref_type(&self, id: RefId) -> Option<RefType> {
        let operand = |o: &Operand| {
            let shape = match &o.spec.window {
                Some(window) => window.ref_shape(),
                None => o.shape.clone(),
            };
            RefType::Buffer {
                dtype: o.dtype,
                shape,
                space: o.spec.memory_space,
            }
        };
        Some(match id {
            RefId::Prefetch(i) => {
                let p = self.scalar_prefetch.get(i)?;
                RefType::Buffer {
                    dtype: DType::I32,
                    shape: p.shape.clone(),
                    space: MemorySpace::Smem,
                }
            }
            RefId::Input(i) => operand(self.inputs.get(i)?),
            RefId::Output(i) => operand(self.outputs.get(i)?),
            RefId::Scratch(i) => match &self.scratch.get(i)?.kind {
                ScratchKind::Buffer {
                    space,
                    shape,
                    dtype,
                } => RefType::Buffer {
                    dtype: *dtype,
                    shape: shape.clone(),
                    space: *space,
                },
                ScratchKind::DmaSemaphores { count } => RefType::DmaSemaphores { count: *count },
            },
        })
    }
}
