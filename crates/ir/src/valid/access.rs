//! Ref access checks: views in bounds, memory-space rules, read-only refs, semaphores.
//!
//! libtpu does not check vector accesses against block bounds, so every static index
//! and slice is checked here, and dynamic slices must at least fit their dimension.

use thiserror::Error;

use crate::types::Shape;
use crate::{DType, Dim, Indexer, Kernel, MemorySpace, RefId, RefType, RefView, Value, ValueType};

/// A problem with how a ref is addressed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum AccessError {
    #[error("ref {id:?} does not exist")]
    UnknownRef { id: RefId },
    #[error("`{name}` is a DMA semaphore array; only DMA starts and waits take semaphores")]
    SemaphoreAsBuffer { name: String },
    #[error("`{name}` is not a DMA semaphore array; allocate one with dma_semaphores")]
    NotASemaphore { name: String },
    #[error("`{name}` is in `any` memory and can not be loaded or stored; copy it to a vmem scratch buffer with a DMA")]
    AnyNotAddressable { name: String },
    #[error("`{name}` has rank {rank} but the view has {indexers} indexers; give one per dim, or none for the whole ref")]
    IndexerCount {
        name: String,
        rank: usize,
        indexers: usize,
    },
    #[error("`{name}` dim {dim}: index {index} is outside 0..{extent}")]
    IndexOutOfBounds {
        name: String,
        dim: usize,
        index: usize,
        extent: usize,
    },
    #[error("`{name}` dim {dim}: slice ds({start}, {size}) stride {stride} reaches element {last}, outside 0..{extent}; shrink the slice or move its start")]
    SliceOutOfBounds {
        name: String,
        dim: usize,
        start: usize,
        size: usize,
        stride: usize,
        last: u128,
        extent: usize,
    },
    #[error("`{name}` dim {dim}: dynamic slice of size {size} stride {stride} spans {span} elements, more than the extent {extent}")]
    DynamicSliceTooLong {
        name: String,
        dim: usize,
        size: usize,
        stride: usize,
        span: u128,
        extent: usize,
    },
    #[error("`{name}` dim {dim}: slice size {size} and stride {stride} must both be at least 1")]
    EmptySlice {
        name: String,
        dim: usize,
        size: usize,
        stride: usize,
    },
    #[error("`{name}` dim {dim}: dynamic offset {value} is {ty}; offsets are i32 scalars")]
    OffsetType {
        name: String,
        dim: usize,
        value: Value,
        ty: ValueType,
    },
    #[error("`{name}` is in smem, which holds scalars; index every dim with `at` (this view has shape {})", Shape(shape))]
    SmemVector { name: String, shape: Vec<usize> },
    #[error("`{name}` is in vmem, which is accessed as vectors; keep at least one dim as a slice")]
    VmemScalar { name: String },
    #[error("`{name}` is read-only (an input or scalar-prefetch ref); write to an output or a scratch buffer, or alias the input to an output")]
    ReadOnly { name: String },
    #[error("semaphore slot {slot} of `{name}` is outside 0..{count}")]
    SemaphoreSlot {
        name: String,
        slot: usize,
        count: usize,
    },
    #[error("semaphore slot {value} of `{name}` is {ty}; slots are i32 scalars")]
    SemaphoreSlotType {
        name: String,
        value: Value,
        ty: ValueType,
    },
}

/// Looks up the type of an already visible value.
pub(super) type Lookup<'a> = dyn Fn(Value) -> Option<ValueType> + 'a;

/// A view's element type and shape, and the memory space of its ref.
pub(super) struct ViewType {
    pub space: MemorySpace,
    pub ty: ValueType,
}

/// Checks a load (`write = false`) or store view: vmem as vectors, smem as scalars.
pub(super) fn vector_access(
    kernel: &Kernel,
    view: &RefView,
    lookup: &Lookup,
    write: bool,
) -> Result<ValueType, AccessError> {
    let name = name(kernel, view.base);
    let ViewType { space, ty } = self::view(kernel, view, lookup, write)?;
    match space {
        MemorySpace::Any => Err(AccessError::AnyNotAddressable { name }),
        MemorySpace::Smem if !ty.is_scalar() => Err(AccessError::SmemVector {
            name,
            shape: ty.shape,
        }),
        MemorySpace::Vmem if ty.is_scalar() => Err(AccessError::VmemScalar { name }),
        _ => Ok(ty),
    }
}

/// Checks one side of a DMA: any buffer, in bounds.
pub(super) fn view(
    kernel: &Kernel,
    view: &RefView,
    lookup: &Lookup,
    write: bool,
) -> Result<ViewType, AccessError> {
    let id = view.base;
    let name = name(kernel, id);
    let (dtype, shape, space) = match kernel.ref_type(id) {
        None => return Err(AccessError::UnknownRef { id }),
        Some(RefType::DmaSemaphores { .. }) => return Err(AccessError::SemaphoreAsBuffer { name }),
        Some(RefType::Buffer {
            dtype,
            shape,
            space,
        }) => (dtype, shape, space),
    };
    if write && matches!(id, RefId::Input(_) | RefId::Prefetch(_)) {
        return Err(AccessError::ReadOnly { name });
    }
    if view.indexers.is_empty() {
        return Ok(ViewType {
            space,
            ty: ValueType::new(dtype, shape),
        });
    }
    if view.indexers.len() != shape.len() {
        return Err(AccessError::IndexerCount {
            name,
            rank: shape.len(),
            indexers: view.indexers.len(),
        });
    }
    let mut result = Vec::new();
    for (dim, (indexer, &extent)) in view.indexers.iter().zip(&shape).enumerate() {
        if let Some(size) = indexer_extent(&name, dim, *indexer, extent, lookup)? {
            result.push(size);
        }
    }
    Ok(ViewType {
        space,
        ty: ValueType::new(dtype, result),
    })
}

/// Checks one indexer; returns the kept extent (`None` for `At`).
fn indexer_extent(
    name: &str,
    dim: usize,
    indexer: Indexer,
    extent: usize,
    lookup: &Lookup,
) -> Result<Option<usize>, AccessError> {
    let name = name.to_owned();
    match indexer {
        Indexer::At(Dim::Static(index)) if index >= extent => Err(AccessError::IndexOutOfBounds {
            name,
            dim,
            index,
            extent,
        }),
        Indexer::At(start) => offset(&name, dim, start, lookup).map(|_| None),
        Indexer::Slice { size, stride, .. } if size == 0 || stride == 0 => {
            Err(AccessError::EmptySlice {
                name,
                dim,
                size,
                stride,
            })
        }
        Indexer::Slice {
            start,
            size,
            stride,
        } => {
            offset(&name, dim, start, lookup)?;
            // Elements touched past `start`: (size - 1) * stride, computed without overflow.
            let span = (size as u128 - 1) * stride as u128;
            match start {
                Dim::Static(start) if start as u128 + span >= extent as u128 => {
                    Err(AccessError::SliceOutOfBounds {
                        name,
                        dim,
                        start,
                        size,
                        stride,
                        last: start as u128 + span,
                        extent,
                    })
                }
                Dim::Dynamic(_) if span >= extent as u128 => {
                    Err(AccessError::DynamicSliceTooLong {
                        name,
                        dim,
                        size,
                        stride,
                        span: span + 1,
                        extent,
                    })
                }
                _ => Ok(Some(size)),
            }
        }
    }
}

/// A dynamic offset must be an `i32` scalar.
fn offset(name: &str, dim: usize, start: Dim, lookup: &Lookup) -> Result<(), AccessError> {
    match start {
        Dim::Dynamic(value) => i32_scalar(value, lookup).map_err(|ty| AccessError::OffsetType {
            name: name.to_owned(),
            dim,
            value,
            ty,
        }),
        Dim::Static(_) => Ok(()),
    }
}

/// `Err` with the actual type unless `value` is an `i32` scalar.
fn i32_scalar(value: Value, lookup: &Lookup) -> Result<(), ValueType> {
    match lookup(value) {
        Some(ty) if ty == ValueType::scalar(DType::I32) => Ok(()),
        // Callers check visibility first; an unknown value is reported as `i1`.
        other => Err(other.unwrap_or(ValueType::scalar(DType::I1))),
    }
}

/// Checks a semaphore ref and slot.
pub(super) fn semaphore(
    kernel: &Kernel,
    id: RefId,
    slot: Dim,
    lookup: &Lookup,
) -> Result<(), AccessError> {
    let name = name(kernel, id);
    let count = match kernel.ref_type(id) {
        None => return Err(AccessError::UnknownRef { id }),
        Some(RefType::Buffer { .. }) => return Err(AccessError::NotASemaphore { name }),
        Some(RefType::DmaSemaphores { count }) => count,
    };
    match slot {
        Dim::Static(slot) if slot >= count => Err(AccessError::SemaphoreSlot { name, slot, count }),
        Dim::Static(_) => Ok(()),
        Dim::Dynamic(value) => i32_scalar(value, lookup)
            .map_err(|ty| AccessError::SemaphoreSlotType { name, value, ty }),
    }
}

fn name(kernel: &Kernel, id: RefId) -> String {
    kernel
        .ref_name(id)
        .map_or_else(|| format!("{id:?}"), str::to_owned)
}
