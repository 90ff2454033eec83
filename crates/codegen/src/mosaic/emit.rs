//! Building operations: every op of the module goes through [`Emitter::op`], generic and
//! by name, so registered upstream ops and unregistered tpu ops are built the same way.
//!
//! Values are kept as raw `MlirValue` handles between ops. That is sound because nothing is
//! erased while a module is being built: every value stays owned by an op of the module,
//! and blocks keep their address when they move into a region.

use melior::ir::operation::OperationBuilder;
use melior::ir::{
    Attribute, Block, BlockLike, Identifier, Location, OperationRef, Region, Type, Value, ValueLike,
};
use melior::Context;
use mlir_sys::MlirValue;

use super::{attrs, types};
use crate::error::{CodegenError, Result};

/// An SSA value of the module being built.
pub(crate) type Raw = MlirValue;

/// The view of a raw value the builder API wants.
pub(crate) fn value<'c, 'a>(raw: Raw) -> Value<'c, 'a> {
    // SAFETY: see the module docs: the value's defining op lives as long as the module.
    unsafe { Value::from_raw(raw) }
}

/// Builds ops at the current location (an IR path such as `body[3].when[0]`, so verifier
/// errors name the statement that produced the op).
pub(crate) struct Emitter<'c> {
    pub ctx: &'c Context,
    pub loc: Location<'c>,
}

impl<'c> Emitter<'c> {
    pub fn new(ctx: &'c Context) -> Self {
        Emitter {
            ctx,
            loc: Location::unknown(ctx),
        }
    }

    /// Names the location of the ops built from now on.
    pub fn at(&mut self, path: &str) {
        self.loc = Location::name(self.ctx, path, Location::unknown(self.ctx));
    }

    /// Appends `name(operands) {attrs} (regions) : results` to `block`.
    pub fn op<'b>(
        &self,
        block: &'b Block<'c>,
        name: &str,
        operands: &[Raw],
        results: &[Type<'c>],
        attributes: &[(&str, Attribute<'c>)],
        regions: Vec<Region<'c>>,
    ) -> Result<OperationRef<'c, 'b>> {
        let operands: Vec<Value> = operands.iter().map(|raw| value(*raw)).collect();
        let attributes: Vec<_> = attributes
            .iter()
            .map(|(k, v)| (Identifier::new(self.ctx, k), *v))
            .collect();
        let op = OperationBuilder::new(name, self.loc)
            .add_operands(&operands)
            .add_results(results)
            .add_attributes(&attributes)
            .add_regions_vec(regions)
            .build()
            .map_err(|e| CodegenError::mlir(format!("building `{name}`"), e.to_string()))?;
        Ok(block.append_operation(op))
    }

    /// An op with exactly one result.
    pub fn value(
        &self,
        block: &Block<'c>,
        name: &str,
        operands: &[Raw],
        result: Type<'c>,
        attributes: &[(&str, Attribute<'c>)],
    ) -> Result<Raw> {
        let op = self.op(block, name, operands, &[result], attributes, Vec::new())?;
        let result = op
            .result(0)
            .map_err(|e| CodegenError::mlir(format!("result of `{name}`"), e.to_string()))?;
        Ok(result.to_raw())
    }

    /// An op without results.
    pub fn effect(
        &self,
        block: &Block<'c>,
        name: &str,
        operands: &[Raw],
        attributes: &[(&str, Attribute<'c>)],
    ) -> Result<()> {
        self.op(block, name, operands, &[], attributes, Vec::new())
            .map(|_| ())
    }

    pub fn const_i32(&self, block: &Block<'c>, v: i32) -> Result<Raw> {
        self.value(
            block,
            "arith.constant",
            &[],
            types::i32(self.ctx),
            &[("value", attrs::i32_attr(self.ctx, v))],
        )
    }

    pub fn const_index(&self, block: &Block<'c>, v: usize) -> Result<Raw> {
        let index = Type::index(self.ctx);
        let attr = melior::ir::attribute::IntegerAttribute::new(index, attrs::to_i64(v)).into();
        self.value(block, "arith.constant", &[], index, &[("value", attr)])
    }

    /// `i32` to `index`, for memory accesses.
    pub fn index_cast(&self, block: &Block<'c>, v: Raw) -> Result<Raw> {
        self.value(block, "arith.index_cast", &[v], Type::index(self.ctx), &[])
    }

    /// The type of a value.
    pub fn type_of(&self, raw: Raw) -> Type<'c> {
        value::<'c, '_>(raw).r#type()
    }
}
