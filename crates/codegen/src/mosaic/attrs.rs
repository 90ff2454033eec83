//! Mosaic attribute spellings: the `#tpu.*` attributes (opaque, parsed from their
//! assembly text) and the few builtin attributes every op needs.

use melior::ir::attribute::{
    BoolAttribute, DenseI32ArrayAttribute, DenseI64ArrayAttribute, IntegerAttribute,
};
use melior::ir::r#type::IntegerType;
use melior::ir::Attribute;
use melior::Context;
use pallas_flash_ir::{DimensionSemantics, DotDims, MemorySpace};

use crate::error::{CodegenError, Result};

/// Parses attribute assembly; tpu attributes become opaque attributes that libtpu re-parses
/// with its real dialect.
pub(crate) fn parse<'c>(ctx: &'c Context, text: &str) -> Result<Attribute<'c>> {
    Attribute::parse(ctx, text)
        .ok_or_else(|| CodegenError::mlir("attribute parsing", format!("`{text}` did not parse")))
}

/// Where a memref lives, as Mosaic spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Space {
    Memory(MemorySpace),
    /// DMA semaphores.
    Semaphore,
}

impl Space {
    fn name(self) -> &'static str {
        match self {
            Space::Memory(space) => space.name(),
            Space::Semaphore => "semaphore_mem",
        }
    }
}

/// `#tpu.memory_space<vmem|smem|any|semaphore_mem>`.
pub(crate) fn memory_space<'c>(ctx: &'c Context, space: Space) -> Result<Attribute<'c>> {
    parse(ctx, &format!("#tpu.memory_space<{}>", space.name()))
}

/// `#tpu.dimension_semantics<…>`.
pub(crate) fn dimension_semantics<'c>(
    ctx: &'c Context,
    semantics: DimensionSemantics,
) -> Result<Attribute<'c>> {
    parse(
        ctx,
        &format!("#tpu.dimension_semantics<{}>", semantics.name()),
    )
}

/// `#tpu.core_type<tc>`: the kernel runs on the TensorCore.
pub(crate) fn core_type_tc(ctx: &Context) -> Result<Attribute<'_>> {
    parse(ctx, "#tpu.core_type<tc>")
}

/// `#tpu.dot_dimension_numbers<lhs contracting, rhs contracting, lhs free, rhs free,
/// output dims as (operand, dim) pairs, lhs batch, rhs batch>`. The output is
/// `batch ++ lhs free ++ rhs free`, as [`DotDims`] defines it.
pub(crate) fn dot_dimension_numbers<'c>(
    ctx: &'c Context,
    dims: &DotDims,
    lhs_rank: usize,
    rhs_rank: usize,
) -> Result<Attribute<'c>> {
    let free = |rank: usize, contracting: usize| {
        (dims.batch..rank)
            .filter(|d| *d != contracting)
            .collect::<Vec<_>>()
    };
    let (lhs_free, rhs_free) = (
        free(lhs_rank, dims.lhs_contracting),
        free(rhs_rank, dims.rhs_contracting),
    );
    let batch: Vec<usize> = (0..dims.batch).collect();
    let output: Vec<usize> = batch
        .iter()
        .flat_map(|d| [0, *d])
        .chain(lhs_free.iter().flat_map(|d| [0, *d]))
        .chain(rhs_free.iter().flat_map(|d| [1, *d]))
        .collect();
    let list = |v: &[usize]| {
        v.iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    parse(
        ctx,
        &format!(
            "#tpu.dot_dimension_numbers<[{}], [{}], [{}], [{}], [{}], [{}], [{}]>",
            dims.lhs_contracting,
            dims.rhs_contracting,
            list(&lhs_free),
            list(&rhs_free),
            list(&output),
            list(&batch),
            list(&batch)
        ),
    )
}

pub(crate) fn i64_attr(ctx: &Context, value: i64) -> Attribute<'_> {
    IntegerAttribute::new(IntegerType::new(ctx, 64).into(), value).into()
}

pub(crate) fn i32_attr(ctx: &Context, value: i32) -> Attribute<'_> {
    IntegerAttribute::new(IntegerType::new(ctx, 32).into(), value.into()).into()
}

pub(crate) fn bool_attr(ctx: &Context, value: bool) -> Attribute<'_> {
    BoolAttribute::new(ctx, value).into()
}

pub(crate) fn i64_array<'c>(ctx: &'c Context, values: &[i64]) -> Attribute<'c> {
    DenseI64ArrayAttribute::new(ctx, values).into()
}

pub(crate) fn i32_array<'c>(ctx: &'c Context, values: &[i32]) -> Attribute<'c> {
    DenseI32ArrayAttribute::new(ctx, values).into()
}

/// Converts a size to `i64` for an attribute (validated kernels keep sizes far below).
pub(crate) fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
