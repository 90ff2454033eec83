//! IR types to MLIR types: dtypes, scalar/vector values, and memrefs in tpu memory spaces.

use melior::ir::r#type::{IntegerType, MemRefType};
use melior::ir::Type;
use melior::Context;
use pallas_flash_ir::{DType, RefType, ValueType};

use super::attrs::{self, Space};
use crate::error::{CodegenError, Result};

pub(crate) fn element<'c>(ctx: &'c Context, dtype: DType) -> Type<'c> {
    match dtype {
        DType::Bf16 => Type::bfloat16(ctx),
        DType::F32 => Type::float32(ctx),
        DType::I32 => IntegerType::new(ctx, 32).into(),
        DType::I8 => IntegerType::new(ctx, 8).into(),
        DType::I1 => IntegerType::new(ctx, 1).into(),
        DType::F8E4M3Fn => Type::float8_e4m3fn(ctx),
        DType::F8E5M2 => Type::float8_e5m2(ctx),
    }
}

pub(crate) fn i32(ctx: &Context) -> Type<'_> {
    IntegerType::new(ctx, 32).into()
}

/// A scalar for rank 0, else `vector<shape x dtype>`.
pub(crate) fn value<'c>(ctx: &'c Context, ty: &ValueType) -> Type<'c> {
    let elem = element(ctx, ty.dtype);
    if ty.shape.is_empty() {
        elem
    } else {
        Type::vector(
            &ty.shape.iter().map(|d| *d as u64).collect::<Vec<_>>(),
            elem,
        )
    }
}

/// A memref in a tpu memory space. Built with the unchecked constructor: MLIR's checked one
/// rejects the (opaque) tpu memory space, and libtpu re-parses it as the real attribute.
pub(crate) fn memref<'c>(
    ctx: &'c Context,
    elem: Type<'c>,
    shape: &[usize],
    space: Space,
) -> Result<Type<'c>> {
    let dims: Vec<i64> = shape.iter().map(|d| attrs::to_i64(*d)).collect();
    Ok(MemRefType::new(elem, &dims, None, Some(attrs::memory_space(ctx, space)?)).into())
}

/// `!tpu.dma_semaphore`.
pub(crate) fn dma_semaphore(ctx: &Context) -> Result<Type<'_>> {
    Type::parse(ctx, "!tpu.dma_semaphore")
        .ok_or_else(|| CodegenError::mlir("type parsing", "`!tpu.dma_semaphore` did not parse"))
}

/// The memref a ref is passed as.
pub(crate) fn reference<'c>(ctx: &'c Context, ty: &RefType) -> Result<Type<'c>> {
    match ty {
        RefType::Buffer {
            dtype,
            shape,
            space,
        } => memref(ctx, element(ctx, *dtype), shape, Space::Memory(*space)),
        RefType::DmaSemaphores { count } => {
            memref(ctx, dma_semaphore(ctx)?, &[*count], Space::Semaphore)
        }
    }
}
