//! Kernel IR → Mosaic MLIR.
//!
//! [`lower`] validates the kernel, builds one module (the kernel function, then one
//! transform function per windowed operand), verifies it, runs canonicalize + CSE, prints it
//! (the golden text) and serializes it in the form libtpu reads (see the crate docs).
//!
//! One concept per module: `attrs` and `types` spell tpu attributes and memrefs,
//! `kernel_fn` the kernel signature, `transform` the index maps, `body` statements,
//! `refs` ref accesses and `rules` the expression rule table; `emit` builds every op;
//! `serde` writes the serialized form libtpu reads.

mod attrs;
mod body;
mod context;
pub(crate) mod emit;
mod kernel_fn;
mod refs;
mod rules;
mod serde;
mod transform;
mod types;

use melior::ir::operation::{OperationLike, OperationMutLike};
use melior::ir::{Location, Module};
use melior::pass::{transform as passes, PassManager};
use pallas_flash_ir::Validated;

use crate::error::{CodegenError, Result};
use context::MlirContext;
use emit::Emitter;
pub use serde::SERDE_PREFIX;

/// The `stable_mosaic.version` this crate emits: what JAX 0.10.2 writes; libtpu 0.0.52
/// accepts up to 20.
pub const MOSAIC_VERSION: i64 = 15;

/// A kernel lowered to Mosaic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MosaicModule {
    /// Kernel symbol (`kernel_name` of the custom call).
    pub name: String,
    /// The canonicalized module, printed by MLIR (upstream ops in their custom syntax, tpu
    /// ops generic): what the golden files hold.
    pub text: String,
    /// The serialized ("serde") form as MLIR bytecode v0: the custom call's `body`.
    pub bytecode: Vec<u8>,
    /// The same serde module as MLIR generic text with locations (`stable_mosaic.*` op
    /// names): what `pallas-flash-emulator` executes.
    pub serde_text: String,
}

/// Lowers a kernel to Mosaic, validating it first unless it is a [`pallas_flash_ir::ValidKernel`].
///
/// Errors: [`CodegenError::Invalid`] before any MLIR is built; [`CodegenError::Unsupported`]
/// for a construct without a rule; [`CodegenError::Verifier`] naming the IR path of an op
/// MLIR rejects. Never panics on any kernel.
pub fn lower(kernel: &impl Validated) -> Result<MosaicModule> {
    let valid = kernel.validated()?;
    let (kernel, info) = (valid.kernel(), valid.info());
    let mlir = MlirContext::new();
    let ctx = &mlir.context;
    let mut module = Module::new(Location::unknown(ctx));
    module.as_operation_mut().set_attribute(
        "stable_mosaic.version",
        attrs::i64_attr(ctx, MOSAIC_VERSION),
    );
    let body = module.body();
    kernel_fn::lower(Emitter::new(ctx), &body, kernel, info)?;
    let em = Emitter::new(ctx);
    for (i, operand) in kernel.inputs.iter().chain(&kernel.outputs).enumerate() {
        if let Some(window) = &operand.spec.window {
            // Named as validation names it: "index map of input `x`".
            let side = if i < kernel.inputs.len() {
                "input"
            } else {
                "output"
            };
            let at = format!("index map of {side} `{}`", operand.name);
            transform::lower(
                &em,
                &body,
                kernel,
                &transform::symbol(i),
                &window.index_map,
                &at,
            )?;
        }
    }
    verify(&mlir, &module)?;
    let manager = PassManager::new(ctx);
    manager.add_pass(passes::create_canonicalizer());
    manager.add_pass(passes::create_cse());
    manager.run(&mut module).map_err(|e| {
        CodegenError::mlir("canonicalize + cse", format!("{e}: {}", mlir.take_errors()))
    })?;
    verify(&mlir, &module)?;
    let text = module.as_operation().to_string();
    let (bytecode, serde_text) = serde::serialize(ctx, &module)?;
    Ok(MosaicModule {
        name: kernel.name.clone(),
        text,
        bytecode,
        serde_text,
    })
}

/// Runs MLIR's verifier; a failure names the op's location (its IR path).
fn verify(mlir: &MlirContext, module: &Module) -> Result<()> {
    if module.as_operation().verify() {
        return Ok(());
    }
    let message = mlir.take_errors();
    let op = message
        .split("[at loc(\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("an unnamed op")
        .to_string();
    Err(CodegenError::Verifier { op, message })
}

#[cfg(test)]
mod tests {
    use super::*;
    use melior::ir::{Block, Region, RegionLike};

    #[test]
    fn a_verifier_failure_names_the_op_path() {
        let mlir = MlirContext::new();
        let ctx = &mlir.context;
        let module = Module::new(Location::unknown(ctx));
        let mut em = Emitter::new(ctx);
        em.at("body[2] when / body[0] %1 = add");
        let block = Block::new(&[]);
        let int = em.const_i32(&block, 1).unwrap();
        // `arith.addf` on integers: a type error MLIR's verifier reports.
        em.value(&block, "arith.addf", &[int, int], types::i32(ctx), &[])
            .unwrap();
        em.effect(&block, "func.return", &[], &[]).unwrap();
        let region = Region::new();
        region.append_block(block);
        let ty = melior::ir::r#type::FunctionType::new(ctx, &[], &[]);
        em.op(
            &module.body(),
            "func.func",
            &[],
            &[],
            &[
                (
                    "sym_name",
                    melior::ir::attribute::StringAttribute::new(ctx, "f").into(),
                ),
                (
                    "function_type",
                    melior::ir::attribute::TypeAttribute::new(ty.into()).into(),
                ),
            ],
            vec![region],
        )
        .unwrap();
        let Err(CodegenError::Verifier { op, message }) = verify(&mlir, &module) else {
            panic!("the verifier accepted addf on i32")
        };
        assert_eq!(op, "body[2] when / body[0] %1 = add", "{message}");
        assert!(message.contains("arith.addf"), "{message}");
    }
}
