//! The kernel body: statements (`Let`, `Store`, `When`, `ForiLoop`, DMA) in order, with
//! nested blocks for `scf.if` / `scf.for`. Expressions go to [`super::rules`], ref
//! accesses to [`super::refs`].

use melior::ir::{Block, BlockLike, Location, Region, RegionLike, Type, ValueLike};
use pallas_flash_ir::{
    Block as Stmts, Dim, Dma, ForiLoop, Kernel, KernelInfo, RefId, Stmt, Value, ValueType,
};

use super::emit::{Emitter, Raw};
use super::types;
use crate::error::{CodegenError, Result};

/// Lowering state of the kernel function: the MLIR value of every IR value defined so
/// far, and the function's arguments.
pub(crate) struct BodyLowering<'c, 'k> {
    pub em: Emitter<'c>,
    pub kernel: &'k Kernel,
    pub info: &'k KernelInfo,
    values: Vec<Option<Raw>>,
    grid_args: Vec<Raw>,
    ref_args: Vec<Raw>,
    path: Vec<String>,
}

impl<'c, 'k> BodyLowering<'c, 'k> {
    /// `args` are the kernel function's block arguments: grid indices, then refs in
    /// Mosaic order.
    pub fn new(em: Emitter<'c>, kernel: &'k Kernel, info: &'k KernelInfo, args: Vec<Raw>) -> Self {
        let rank = kernel.grid.rank().min(args.len());
        let (grid_args, ref_args) = (args[..rank].to_vec(), args[rank..].to_vec());
        BodyLowering {
            em,
            kernel,
            info,
            values: vec![None; kernel.exprs.len()],
            grid_args,
            ref_args,
            path: Vec::new(),
        }
    }

    /// Where lowering is, for errors and op locations.
    pub fn here(&self) -> String {
        if self.path.is_empty() {
            "kernel signature".to_string()
        } else {
            self.path.join(".")
        }
    }

    pub fn grid_index(&self, axis: usize) -> Result<Raw> {
        self.grid_args
            .get(axis)
            .copied()
            .ok_or_else(|| self.unsupported(format!("program_id({axis}) outside the grid")))
    }

    /// The memref argument of a ref.
    pub fn ref_arg(&self, id: RefId) -> Result<Raw> {
        let k = self.kernel;
        let position = match id {
            RefId::Prefetch(i) => i,
            RefId::Input(i) => k.scalar_prefetch.len() + i,
            RefId::Output(i) => k.scalar_prefetch.len() + k.inputs.len() + i,
            RefId::Scratch(i) => k.scalar_prefetch.len() + k.inputs.len() + k.outputs.len() + i,
        };
        self.ref_args
            .get(position)
            .copied()
            .ok_or_else(|| self.unsupported(format!("ref {id:?} that the kernel does not declare")))
    }

    /// The MLIR value of an IR value defined earlier.
    pub fn get(&self, v: Value) -> Result<Raw> {
        self.values
            .get(v.index())
            .copied()
            .flatten()
            .ok_or_else(|| {
                self.unsupported(format!("value {v} used before its definition was lowered"))
            })
    }

    fn set(&mut self, v: Value, raw: Raw) -> Result<()> {
        let here = self.here();
        let slot = self.values.get_mut(v.index()).ok_or_else(|| {
            CodegenError::unsupported(format!("value {v} outside the kernel"), here)
        })?;
        *slot = Some(raw);
        Ok(())
    }

    /// The validated type of an IR value.
    pub fn ty(&self, v: Value) -> Result<&'k ValueType> {
        self.info.value_type(v).ok_or_else(|| {
            self.unsupported(format!(
                "value {v} without a type (was the kernel validated?)"
            ))
        })
    }

    pub fn unsupported(&self, what: impl Into<String>) -> CodegenError {
        CodegenError::unsupported(what, self.here())
    }

    /// Lowers `stmts` into `block` (without a terminator).
    pub fn block(&mut self, block: &Block<'c>, stmts: &Stmts) -> Result<()> {
        for (i, stmt) in stmts.iter().enumerate() {
            self.path.push(format!("{}[{i}]", stmt_name(stmt)));
            self.em.at(&self.here());
            let done = self.stmt(block, stmt);
            self.path.pop();
            done?;
        }
        Ok(())
    }

    fn stmt(&mut self, block: &Block<'c>, stmt: &Stmt) -> Result<()> {
        match stmt {
            Stmt::Let(v) => {
                let raw = self.expr(block, *v)?;
                self.set(*v, raw)
            }
            Stmt::Store { dst, value } => {
                let value = self.get(*value)?;
                self.store(block, dst, value)
            }
            Stmt::When { cond, body } => self.when(block, *cond, body),
            Stmt::ForiLoop(l) => self.fori_loop(block, l),
            Stmt::DmaStart(dma) => self.dma(block, dma, true),
            Stmt::DmaWait(dma) => self.dma(block, dma, false),
        }
    }

    /// `pl.when` → `scf.if` without results and with an empty else region.
    fn when(&mut self, block: &Block<'c>, cond: Value, body: &Stmts) -> Result<()> {
        let cond = self.get(cond)?;
        let then = Block::new(&[]);
        self.block(&then, body)?;
        self.em.effect(&then, "scf.yield", &[], &[])?;
        let then_region = Region::new();
        then_region.append_block(then);
        self.em.op(
            block,
            "scf.if",
            &[cond],
            &[],
            &[],
            vec![then_region, Region::new()],
        )?;
        Ok(())
    }

    /// `fori_loop` → `scf.for` over `i32` with step 1, carries as `iter_args`.
    fn fori_loop(&mut self, block: &Block<'c>, l: &ForiLoop) -> Result<()> {
        let (lower, upper) = (self.dim_i32(block, l.lower)?, self.dim_i32(block, l.upper)?);
        let step = self.em.const_i32(block, 1)?;
        let inits = l
            .carries
            .iter()
            .map(|c| self.get(c.init))
            .collect::<Result<Vec<_>>>()?;
        let carry_types: Vec<Type<'c>> = inits.iter().map(|raw| self.em.type_of(*raw)).collect();
        let loc = Location::unknown(self.em.ctx);
        let mut args = vec![(types::i32(self.em.ctx), loc)];
        args.extend(carry_types.iter().map(|t| (*t, loc)));
        let body = Block::new(&args);
        let arg = |i: usize| {
            body.argument(i)
                .map(|a| a.to_raw())
                .map_err(|e| CodegenError::mlir("scf.for block argument", e.to_string()))
        };
        self.set(l.index, arg(0)?)?;
        for (i, carry) in l.carries.iter().enumerate() {
            self.set(carry.param, arg(i + 1)?)?;
        }
        self.block(&body, &l.body)?;
        let next = l
            .carries
            .iter()
            .map(|c| self.get(c.next))
            .collect::<Result<Vec<_>>>()?;
        self.em.effect(&body, "scf.yield", &next, &[])?;
        let region = Region::new();
        region.append_block(body);
        let mut operands = vec![lower, upper, step];
        operands.extend(inits);
        let op = self
            .em
            .op(block, "scf.for", &operands, &carry_types, &[], vec![region])?;
        for (i, carry) in l.carries.iter().enumerate() {
            let result = op
                .result(i)
                .map_err(|e| CodegenError::mlir("scf.for result", e.to_string()))?;
            self.set(carry.result, result.to_raw())?;
        }
        Ok(())
    }

    /// A static or dynamic `i32` (loop bounds, DMA semaphore slots).
    pub fn dim_i32(&self, block: &Block<'c>, dim: Dim) -> Result<Raw> {
        match dim {
            Dim::Dynamic(v) => self.get(v),
            Dim::Static(n) => {
                let n = i32::try_from(n)
                    .map_err(|_| self.unsupported(format!("static index {n} beyond i32")))?;
                self.em.const_i32(block, n)
            }
        }
    }

    /// `tpu.enqueue_dma` (start) or `tpu.wait_dma2` (wait) on views of the two refs and
    /// one semaphore of the array.
    fn dma(&mut self, block: &Block<'c>, dma: &Dma, start: bool) -> Result<()> {
        let semaphore = self.semaphore_slot(block, dma.semaphore, dma.slot)?;
        let src = self.view_memref(block, &dma.src)?;
        let dst = self.view_memref(block, &dma.dst)?;
        let ctx = self.em.ctx;
        if start {
            let segments = super::attrs::i32_array(ctx, &[1, 0, 1, 1, 0, 0, 0]);
            self.em.effect(
                block,
                "tpu.enqueue_dma",
                &[src, dst, semaphore],
                &[
                    ("operandSegmentSizes", segments),
                    ("priority", super::attrs::i32_attr(ctx, 0)),
                    ("strict_ordering", super::attrs::bool_attr(ctx, false)),
                ],
            )
        } else {
            let segments = super::attrs::i32_array(ctx, &[1, 1, 1, 0, 0]);
            self.em.effect(
                block,
                "tpu.wait_dma2",
                &[semaphore, src, dst],
                &[
                    ("operandSegmentSizes", segments),
                    ("strict_ordering", super::attrs::bool_attr(ctx, false)),
                ],
            )
        }
    }
}

fn stmt_name(stmt: &Stmt) -> &'static str {
    match stmt {
        Stmt::Let(_) => "let",
        Stmt::Store { .. } => "store",
        Stmt::When { .. } => "when",
        Stmt::ForiLoop(_) => "fori_loop",
        Stmt::DmaStart(_) => "dma_start",
        Stmt::DmaWait(_) => "dma_wait",
    }
}
