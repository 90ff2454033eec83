//! The kernel `func.func`: Mosaic's argument order (grid indices, scalar prefetch, inputs,
//! outputs, scratch) and the attributes libtpu reads (docs/design.md §3).

use melior::ir::attribute::{
    ArrayAttribute, DictionaryAttribute, FlatSymbolRefAttribute, StringAttribute, TypeAttribute,
};
use melior::ir::r#type::FunctionType;
use melior::ir::{
    Attribute, Block, BlockLike, Identifier, Location, Region, RegionLike, Type, ValueLike,
};
use pallas_flash_ir::{Kernel, KernelInfo, Operand};

use super::attrs;
use super::body::BodyLowering;
use super::emit::Emitter;
use super::{transform, types};
use crate::error::{CodegenError, Result};

/// Appends the kernel function (signature, attributes, lowered body) to the module.
pub(crate) fn lower<'c>(
    em: Emitter<'c>,
    module_body: &Block<'c>,
    kernel: &Kernel,
    info: &KernelInfo,
) -> Result<()> {
    let ctx = em.ctx;
    let mut inputs: Vec<Type<'c>> = vec![types::i32(ctx); kernel.grid.rank()];
    for id in kernel.refs() {
        let ty = kernel
            .ref_type(id)
            .ok_or_else(|| CodegenError::unsupported(format!("ref {id:?}"), "kernel signature"))?;
        inputs.push(types::reference(ctx, &ty)?);
    }
    let loc = Location::unknown(ctx);
    let block = Block::new(&inputs.iter().map(|t| (*t, loc)).collect::<Vec<_>>());
    let args = (0..inputs.len())
        .map(|i| {
            block
                .argument(i)
                .map(|a| a.to_raw())
                .map_err(|e| CodegenError::mlir("kernel argument", e.to_string()))
        })
        .collect::<Result<Vec<_>>>()?;
    let attributes = kernel_attributes(&em, kernel, FunctionType::new(ctx, &inputs, &[]))?;
    let mut body = BodyLowering::new(em, kernel, info, args);
    body.block(&block, &kernel.body)?;
    body.em.at("return");
    body.em.effect(&block, "func.return", &[], &[])?;
    let region = Region::new();
    region.append_block(block);
    let attributes: Vec<(&str, Attribute)> = attributes.iter().map(|(k, v)| (*k, *v)).collect();
    body.em.op(
        module_body,
        "func.func",
        &[],
        &[],
        &attributes,
        vec![region],
    )?;
    Ok(())
}

fn kernel_attributes<'c>(
    em: &Emitter<'c>,
    kernel: &Kernel,
    ty: FunctionType<'c>,
) -> Result<Vec<(&'static str, Attribute<'c>)>> {
    let ctx = em.ctx;
    let semantics = kernel
        .grid
        .dimension_semantics
        .iter()
        .map(|s| attrs::dimension_semantics(ctx, *s))
        .collect::<Result<Vec<_>>>()?;
    let bounds: Vec<i64> = kernel.grid.grid.iter().map(|d| attrs::to_i64(*d)).collect();
    let windows = kernel
        .inputs
        .iter()
        .chain(&kernel.outputs)
        .enumerate()
        .map(|(i, operand)| window_param(em, i, operand))
        .collect::<Vec<_>>();
    Ok(vec![
        ("sym_name", StringAttribute::new(ctx, &kernel.name).into()),
        ("function_type", TypeAttribute::new(ty.into()).into()),
        (
            "dimension_semantics",
            ArrayAttribute::new(ctx, &semantics).into(),
        ),
        ("iteration_bounds", attrs::i64_array(ctx, &bounds)),
        (
            "scalar_prefetch",
            attrs::i64_attr(ctx, attrs::to_i64(kernel.scalar_prefetch.len())),
        ),
        (
            "scratch_operands",
            attrs::i64_attr(ctx, attrs::to_i64(kernel.scratch.len())),
        ),
        ("tpu.core_type", attrs::core_type_tc(ctx)?),
        ("window_params", ArrayAttribute::new(ctx, &windows).into()),
    ])
}

/// `{transform_indices = @transform_<i>, window_bounds = array<i64: …>}`, or `{}` for an
/// unwindowed (`ANY`) operand.
fn window_param<'c>(em: &Emitter<'c>, index: usize, operand: &Operand) -> Attribute<'c> {
    let ctx = em.ctx;
    let entries: Vec<(Identifier, Attribute)> = match &operand.spec.window {
        None => Vec::new(),
        Some(window) => {
            let bounds: Vec<i64> = window
                .window_bounds()
                .iter()
                .map(|d| attrs::to_i64(*d))
                .collect();
            vec![
                (
                    Identifier::new(ctx, "transform_indices"),
                    FlatSymbolRefAttribute::new(ctx, &transform::symbol(index)).into(),
                ),
                (
                    Identifier::new(ctx, "window_bounds"),
                    attrs::i64_array(ctx, &bounds),
                ),
            ]
        }
    };
    DictionaryAttribute::new(ctx, &entries).into()
}
