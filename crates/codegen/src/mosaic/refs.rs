//! Ref accesses: vector loads/stores on VMEM, scalar loads/stores on SMEM, and memref
//! views (`tpu.memref_slice` + `tpu.memref_squeeze`) for DMA sources, targets and semaphores.

use melior::ir::Block;
use pallas_flash_ir::{Dim, Indexer, MemorySpace, RefId, RefType, RefView, ValueType};

use super::attrs::{self, Space};
use super::body::BodyLowering;
use super::emit::Raw;
use super::types;
use crate::error::Result;

/// Per dim of a view: where it starts, how many elements it keeps, whether it is dropped.
struct Window {
    starts: Vec<Dim>,
    sizes: Vec<usize>,
    dropped: Vec<bool>,
}

impl<'c> BodyLowering<'c, '_> {
    fn ref_type(&self, id: RefId) -> Result<RefType> {
        self.kernel
            .ref_type(id)
            .ok_or_else(|| self.unsupported(format!("ref {id:?} that the kernel does not declare")))
    }

    /// Starts, sizes and dropped dims of a view (no indexers: the whole ref).
    fn window(&self, view: &RefView, shape: &[usize]) -> Result<Window> {
        if view.indexers.is_empty() {
            return Ok(Window {
                starts: vec![Dim::Static(0); shape.len()],
                sizes: shape.to_vec(),
                dropped: vec![false; shape.len()],
            });
        }
        let mut w = Window {
            starts: Vec::new(),
            sizes: Vec::new(),
            dropped: Vec::new(),
        };
        for indexer in &view.indexers {
            let (start, size, dropped) = match *indexer {
                Indexer::At(at) => (at, 1, true),
                Indexer::Slice {
                    start,
                    size,
                    stride: 1,
                } => (start, size, false),
                Indexer::Slice { stride, .. } => {
                    return Err(self.unsupported(format!("strided access (stride {stride})")))
                }
            };
            w.starts.push(start);
            w.sizes.push(size);
            w.dropped.push(dropped);
        }
        Ok(w)
    }

    fn indices(&self, block: &Block<'c>, starts: &[Dim]) -> Result<Vec<Raw>> {
        starts
            .iter()
            .map(|d| match *d {
                Dim::Static(n) => self.em.const_index(block, n),
                Dim::Dynamic(v) => {
                    let v = self.get(v)?;
                    self.em.index_cast(block, v)
                }
            })
            .collect()
    }

    /// `vector.load` (+ `vector.shape_cast` when dims are dropped) from VMEM, `memref.load` from SMEM.
    pub fn load(&self, block: &Block<'c>, view: &RefView, result: &ValueType) -> Result<Raw> {
        let base = self.ref_arg(view.base)?;
        let RefType::Buffer {
            shape,
            space,
            dtype,
        } = self.ref_type(view.base)?
        else {
            return Err(self.unsupported("a load from DMA semaphores"));
        };
        let w = self.window(view, &shape)?;
        let mut operands = vec![base];
        operands.extend(self.indices(block, &w.starts)?);
        let ctx = self.em.ctx;
        match space {
            MemorySpace::Smem => self.em.value(
                block,
                "memref.load",
                &operands,
                types::value(ctx, result),
                &[],
            ),
            MemorySpace::Vmem => {
                let loaded_ty = ValueType::new(dtype, w.sizes.clone());
                let loaded = self.em.value(
                    block,
                    "vector.load",
                    &operands,
                    types::value(ctx, &loaded_ty),
                    &[],
                )?;
                self.reshape_to(block, loaded, &loaded_ty, result)
            }
            MemorySpace::Any => {
                Err(self
                    .unsupported("a vector load from an ANY (HBM) ref; copy it to VMEM with DMA"))
            }
        }
    }

    /// `tpu.vector_store` into VMEM (after a `vector.shape_cast` restoring dropped dims),
    /// `memref.store` into SMEM.
    pub fn store(&self, block: &Block<'c>, view: &RefView, value: Raw) -> Result<()> {
        let base = self.ref_arg(view.base)?;
        let RefType::Buffer {
            shape,
            space,
            dtype,
        } = self.ref_type(view.base)?
        else {
            return Err(self.unsupported("a store into DMA semaphores"));
        };
        let w = self.window(view, &shape)?;
        let indices = self.indices(block, &w.starts)?;
        let ctx = self.em.ctx;
        match space {
            MemorySpace::Smem => {
                let mut operands = vec![value, base];
                operands.extend(indices);
                self.em.effect(block, "memref.store", &operands, &[])
            }
            MemorySpace::Vmem => {
                let stored_ty = ValueType::new(dtype, w.sizes.clone());
                let stored = self.em.value(
                    block,
                    "vector.shape_cast",
                    &[value],
                    types::value(ctx, &stored_ty),
                    &[],
                )?;
                let segments = attrs::i32_array(
                    ctx,
                    &[1, 1, i32::try_from(indices.len()).unwrap_or(i32::MAX), 0],
                );
                let mut operands = vec![stored, base];
                operands.extend(indices);
                self.em.effect(
                    block,
                    "tpu.vector_store",
                    &operands,
                    &[
                        ("add", attrs::bool_attr(ctx, false)),
                        ("operandSegmentSizes", segments),
                        ("strides", attrs::i32_array(ctx, &[])),
                    ],
                )
            }
            MemorySpace::Any => {
                Err(self.unsupported("a vector store into an ANY (HBM) ref; copy it with DMA"))
            }
        }
    }

    /// A memref view for DMA: `tpu.memref_slice` to the window (offsets are `i32`), then
    /// `tpu.memref_squeeze` dropping `at` dims. The whole ref needs neither.
    pub fn view_memref(&self, block: &Block<'c>, view: &RefView) -> Result<Raw> {
        let base = self.ref_arg(view.base)?;
        if view.indexers.is_empty() {
            return Ok(base);
        }
        let (elem, shape, space) = match self.ref_type(view.base)? {
            RefType::Buffer {
                dtype,
                shape,
                space,
            } => (
                types::element(self.em.ctx, dtype),
                shape,
                Space::Memory(space),
            ),
            RefType::DmaSemaphores { count } => (
                types::dma_semaphore(self.em.ctx)?,
                vec![count],
                Space::Semaphore,
            ),
        };
        let w = self.window(view, &shape)?;
        let ctx = self.em.ctx;
        let mut operands = vec![base];
        for start in &w.starts {
            operands.push(self.dim_i32(block, *start)?);
        }
        let segments = attrs::i32_array(
            ctx,
            &[1, i32::try_from(w.starts.len()).unwrap_or(i32::MAX), 0],
        );
        let sliced_ty = types::memref(ctx, elem, &w.sizes, space)?;
        let sliced = self.em.value(
            block,
            "tpu.memref_slice",
            &operands,
            sliced_ty,
            &[("operandSegmentSizes", segments)],
        )?;
        if !w.dropped.iter().any(|d| *d) {
            return Ok(sliced);
        }
        let kept: Vec<usize> = w
            .sizes
            .iter()
            .zip(&w.dropped)
            .filter(|(_, d)| !**d)
            .map(|(s, _)| *s)
            .collect();
        self.em.value(
            block,
            "tpu.memref_squeeze",
            &[sliced],
            types::memref(ctx, elem, &kept, space)?,
            &[],
        )
    }

    /// One semaphore of a DMA-semaphore array, as a rank-0 memref.
    pub fn semaphore_slot(&self, block: &Block<'c>, semaphores: RefId, slot: Dim) -> Result<Raw> {
        self.view_memref(block, &semaphores.view([Indexer::At(slot)]))
    }
}
