//! The serialized ("serde") form libtpu requires (docs/design.md §3, each fact seen by leaving it
//! out): every op but `builtin.module` renamed `stable_mosaic.<dialect>.<op>`, inherent
//! attributes (`operandSegmentSizes`, `predicate`, `sym_name`, …) written as ordinary
//! attributes, `stable_mosaic.version` on the module, MLIR bytecode version 0.
//!
//! The C API cannot rename an op, so the verified module is cloned op by op under the new
//! names; `OperationLike::attributes` returns inherent and discardable attributes alike.

use std::collections::HashMap;

use melior::ir::operation::{
    OperationBuilder, OperationLike, OperationMutLike, OperationPrintingFlags, OperationRef,
};
use melior::ir::{
    Block, BlockLike, BlockRef, BytecodeWriterConfig, Location, Module, Region, RegionLike,
    RegionRef, Type, ValueLike,
};
use melior::Context;

use super::MOSAIC_VERSION;
use crate::error::{CodegenError, Result};

/// Prefix libtpu's deserializer expects on every op name.
pub const SERDE_PREFIX: &str = "stable_mosaic.";

/// The serde form of a verified Mosaic module: bytecode v0 (what JAX writes) and the same
/// module as MLIR generic text with locations (libtpu's parser takes both; the emulator
/// reads the text).
pub(crate) fn serialize(ctx: &Context, module: &Module) -> Result<(Vec<u8>, String)> {
    let serde = Module::new(Location::unknown(ctx));
    let mut values = HashMap::new();
    let target = serde.body();
    for op in ops_of(&module.body()) {
        clone_op(&target, &op, &mut values)?;
    }
    let mut serde = serde;
    for (name, attr) in module.as_operation().attributes() {
        let name = name
            .as_string_ref()
            .as_str()
            .map_err(|e| CodegenError::mlir("module attribute name", e.to_string()))?
            .to_string();
        serde.as_operation_mut().set_attribute(&name, attr);
    }
    if !serde.as_operation().has_attribute("stable_mosaic.version") {
        return Err(CodegenError::mlir(
            "serialization",
            format!("module lacks stable_mosaic.version = {MOSAIC_VERSION}"),
        ));
    }
    let config = BytecodeWriterConfig::new();
    config.set_desired_emit_version(0);
    let bytecode = serde
        .as_operation()
        .write_bytecode_with_config(&config)
        .map_err(|e| CodegenError::mlir("writing bytecode v0", e.to_string()))?;
    let flags = OperationPrintingFlags::new()
        .print_generic_operation_form()
        .enable_debug_info(true, false);
    let text = serde
        .as_operation()
        .to_string_with_flags(flags)
        .map_err(|e| CodegenError::mlir("printing generic form", e.to_string()))?;
    Ok((bytecode, text))
}

fn ops_of<'c, 'a>(block: &BlockRef<'c, 'a>) -> Vec<OperationRef<'c, 'a>> {
    std::iter::successors(block.first_operation(), |op| op.next_in_block()).collect()
}

type ValueMap = HashMap<usize, mlir_sys::MlirValue>;

fn key(raw: mlir_sys::MlirValue) -> usize {
    raw.ptr as usize
}

fn mapped(values: &ValueMap, raw: mlir_sys::MlirValue) -> Result<mlir_sys::MlirValue> {
    values
        .get(&key(raw))
        .copied()
        .ok_or_else(|| CodegenError::mlir("serialization", "an operand defined after its use"))
}

/// Appends a copy of `op` named `stable_mosaic.<name>` to `target`, recording its results.
fn clone_op<'c: 'a, 'a>(
    target: &impl BlockLike<'c, 'a>,
    op: &OperationRef<'c, '_>,
    values: &mut ValueMap,
) -> Result<()> {
    let name = op
        .name()
        .as_string_ref()
        .as_str()
        .map_err(|e| CodegenError::mlir("op name", e.to_string()))?
        .to_string();
    let operands = op
        .operands()
        .map(|v| mapped(values, v.to_raw()))
        .collect::<Result<Vec<_>>>()?;
    let operands: Vec<_> = operands.into_iter().map(super::emit::value).collect();
    let results: Vec<Type> = op.results().map(|r| r.r#type()).collect();
    let attributes: Vec<_> = op.attributes().collect();
    let regions = op
        .regions()
        .map(|r| clone_region(&r, values))
        .collect::<Result<Vec<_>>>()?;
    let copy = OperationBuilder::new(&format!("{SERDE_PREFIX}{name}"), op.location())
        .add_operands(&operands)
        .add_results(&results)
        .add_attributes(&attributes)
        .add_regions_vec(regions)
        .build()
        .map_err(|e| CodegenError::mlir(format!("serializing `{name}`"), e.to_string()))?;
    let copy = target.append_operation(copy);
    for (old, new) in op.results().zip(copy.results()) {
        values.insert(key(old.to_raw()), new.to_raw());
    }
    Ok(())
}

fn clone_region<'c>(region: &RegionRef<'c, '_>, values: &mut ValueMap) -> Result<Region<'c>> {
    let copy = Region::new();
    let mut block = region.first_block();
    while let Some(old) = block {
        let args = (0..old.argument_count())
            .map(|i| {
                old.argument(i)
                    .map_err(|e| CodegenError::mlir("block argument", e.to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        let new = Block::new(
            &args
                .iter()
                .map(|a| (a.r#type(), a.location()))
                .collect::<Vec<_>>(),
        );
        for (i, arg) in args.iter().enumerate() {
            let new_arg = new
                .argument(i)
                .map_err(|e| CodegenError::mlir("block argument", e.to_string()))?;
            values.insert(key(arg.to_raw()), new_arg.to_raw());
        }
        let new = copy.append_block(new);
        for op in ops_of(&old) {
            clone_op(&new, &op, values)?;
        }
        block = old.next_in_region();
    }
    Ok(copy)
}
