//! Transform functions: one `func.func @transform_<i>` per windowed operand, computing its
//! block indices from the grid indices and scalar-prefetch refs (the index map).

use melior::ir::attribute::{StringAttribute, TypeAttribute};
use melior::ir::r#type::FunctionType;
use melior::ir::{Block, BlockLike, Location, Region, RegionLike, Type, ValueLike};
use pallas_flash_ir::{IndexExpr, IndexMap, Kernel, RefId};

use super::attrs;
use super::emit::{Emitter, Raw};
use super::rules::{binary_op_name, compare_predicate};
use super::types;
use crate::error::{CodegenError, Result};

/// Symbol of the transform function of operand `index` (inputs then outputs), as JAX
/// numbers them.
pub(crate) fn symbol(index: usize) -> String {
    format!("transform_{index}")
}

/// The argument types every transform function takes: grid indices, then prefetch refs.
pub(crate) fn argument_types<'c>(em: &Emitter<'c>, kernel: &Kernel) -> Result<Vec<Type<'c>>> {
    let mut args = vec![types::i32(em.ctx); kernel.grid.rank()];
    for i in 0..kernel.scalar_prefetch.len() {
        let ty = kernel
            .ref_type(RefId::Prefetch(i))
            .ok_or_else(|| CodegenError::unsupported("a missing prefetch ref", "signature"))?;
        args.push(types::reference(em.ctx, &ty)?);
    }
    Ok(args)
}

/// `func.func @<name>(grid…, prefetch…) -> (i32…)` returning the index map's results.
pub(crate) fn lower<'c>(
    em: &Emitter<'c>,
    module_body: &Block<'c>,
    kernel: &Kernel,
    name: &str,
    map: &IndexMap,
) -> Result<()> {
    let ctx = em.ctx;
    let inputs = argument_types(em, kernel)?;
    let loc = Location::unknown(ctx);
    let block = Block::new(&inputs.iter().map(|t| (*t, loc)).collect::<Vec<_>>());
    let args = (0..inputs.len())
        .map(|i| {
            block
                .argument(i)
                .map(|a| a.to_raw())
                .map_err(|e| CodegenError::mlir("transform argument", e.to_string()))
        })
        .collect::<Result<Vec<_>>>()?;
    let results = map
        .results
        .iter()
        .map(|e| index_expr(em, &block, &args, e))
        .collect::<Result<Vec<_>>>()?;
    em.effect(&block, "func.return", &results, &[])?;
    let region = Region::new();
    region.append_block(block);
    let function_type = FunctionType::new(ctx, &inputs, &vec![types::i32(ctx); results.len()]);
    em.op(
        module_body,
        "func.func",
        &[],
        &[],
        &[
            ("sym_name", StringAttribute::new(ctx, name).into()),
            (
                "function_type",
                TypeAttribute::new(function_type.into()).into(),
            ),
        ],
        vec![region],
    )?;
    Ok(())
}

/// Integer arithmetic of index maps (`i32`, same rules as body integers).
fn index_expr<'c>(em: &Emitter<'c>, block: &Block<'c>, args: &[Raw], e: &IndexExpr) -> Result<Raw> {
    let i32_ty = types::i32(em.ctx);
    let i1_ty: Type = melior::ir::r#type::IntegerType::new(em.ctx, 1).into();
    let arg = |i: usize| {
        args.get(i).copied().ok_or_else(|| {
            CodegenError::unsupported(format!("index-map argument {i}"), "index map")
        })
    };
    match e {
        IndexExpr::Const(c) => em.const_i32(block, *c),
        IndexExpr::Arg(i) => arg(*i),
        IndexExpr::Binary { op, lhs, rhs } => {
            let name = binary_op_name(*op, false).ok_or_else(|| {
                CodegenError::unsupported(format!("`{op}` in an index map"), "index map")
            })?;
            let operands = [
                index_expr(em, block, args, lhs)?,
                index_expr(em, block, args, rhs)?,
            ];
            em.value(block, name, &operands, i32_ty, &[])
        }
        IndexExpr::Compare { op, lhs, rhs } => {
            let operands = [
                index_expr(em, block, args, lhs)?,
                index_expr(em, block, args, rhs)?,
            ];
            let predicate = attrs::i64_attr(em.ctx, compare_predicate(*op, false));
            em.value(
                block,
                "arith.cmpi",
                &operands,
                i1_ty,
                &[("predicate", predicate)],
            )
        }
        IndexExpr::Select {
            cond,
            on_true,
            on_false,
        } => {
            let operands = [
                index_expr(em, block, args, cond)?,
                index_expr(em, block, args, on_true)?,
                index_expr(em, block, args, on_false)?,
            ];
            em.value(block, "arith.select", &operands, i32_ty, &[])
        }
        IndexExpr::Load {
            arg: table,
            indices,
        } => {
            let mut operands = vec![arg(*table)?];
            for index in indices {
                let v = index_expr(em, block, args, index)?;
                operands.push(em.index_cast(block, v)?);
            }
            em.value(block, "memref.load", &operands, i32_ty, &[])
        }
    }
}
