//! The op interpreter: runs a function's block op by op over a value table, dispatching on
//! [`OpKind`]; faults are wrapped with the op, its location and the grid step.

use super::dma::DmaEngine;
use super::memory::{memref, window, Memory};
use super::value::{Data, Value, View};
use super::{arith, matmul, vector};
use crate::error::{Error, Fault, FaultKind, Result};
use crate::module::{Block, Func, Module, Op, OpKind};
use crate::types::{Elem, Space, Type};

/// Memory, DMAs and the grid step being run.
pub struct Machine<'m> {
    pub module: &'m Module,
    pub mem: Memory,
    pub dma: DmaEngine,
    pub step: Vec<i64>,
}

/// How a block ended.
enum Flow {
    Next,
    Yield(Vec<Value>),
    Condition(bool, Vec<Value>),
    Return(Vec<Value>),
}

type Frame = Vec<Option<Value>>;

fn get(frame: &Frame, id: u32) -> Result<&Value, Fault> {
    frame
        .get(id as usize)
        .and_then(Option::as_ref)
        .ok_or_else(|| Fault::ty(format!("value #{id} used before it was computed")))
}

fn result_elem(op: &Op) -> Result<Elem, Fault> {
    op.result_types
        .first()
        .and_then(Type::elem)
        .ok_or_else(|| Fault::ty("the result has no element type"))
}

fn operand_elem(op: &Op, i: usize) -> Result<Elem, Fault> {
    op.operand_types
        .get(i)
        .and_then(Type::elem)
        .ok_or_else(|| Fault::ty(format!("operand {i} has no element type")))
}

impl<'m> Machine<'m> {
    pub fn new(module: &'m Module) -> Self {
        Machine {
            module,
            mem: Memory::default(),
            dma: DmaEngine::default(),
            step: Vec::new(),
        }
    }

    /// Runs `func` on `args` and returns what it returns.
    pub fn call(&mut self, func: &Func, args: Vec<Value>) -> Result<Vec<Value>> {
        if args.len() != func.body.args.len() {
            return Err(Error::Signature(format!(
                "@{} takes {} arguments, got {}",
                func.name,
                func.body.args.len(),
                args.len()
            )));
        }
        let mut frame: Frame = vec![None; func.num_values];
        for (id, v) in func.body.args.iter().zip(args) {
            frame[*id as usize] = Some(v);
        }
        match self.block(&mut frame, &func.body)? {
            Flow::Return(values) => Ok(values),
            _ => Ok(Vec::new()),
        }
    }

    fn block(&mut self, frame: &mut Frame, block: &Block) -> Result<Flow> {
        for op in &block.ops {
            match self.op(frame, op).map_err(|fault| self.wrap(op, fault))? {
                Flow::Next => {}
                flow => return Ok(flow),
            }
        }
        Ok(Flow::Next)
    }

    fn wrap(&self, op: &Op, fault: Nested) -> Error {
        match fault {
            Nested::Inner(e) => e,
            Nested::Here(f) => Error::Fault {
                kind: f.kind,
                step: self.step.clone(),
                op: op.name.clone(),
                location: op.location.clone(),
                message: f.message,
            },
        }
    }

    /// Runs a region's block with `args` bound to its arguments.
    fn region(
        &mut self,
        frame: &mut Frame,
        block: &Block,
        args: Vec<Value>,
    ) -> Result<Flow, Nested> {
        for (id, v) in block.args.iter().zip(args) {
            frame[*id as usize] = Some(v);
        }
        self.block(frame, block).map_err(Nested::Inner)
    }

    fn op(&mut self, frame: &mut Frame, op: &Op) -> Result<Flow, Nested> {
        let arg = |i: usize| -> Result<&Value, Fault> {
            let id = *op
                .operands
                .get(i)
                .ok_or_else(|| Fault::ty(format!("missing operand {i}")))?;
            get(frame, id)
        };
        let result: Value = match &op.kind {
            OpKind::Constant(v) => v.clone(),
            OpKind::Binary(b) => arith::binary(*b, arg(0)?, arg(1)?, result_elem(op)?)?,
            OpKind::Unary(u) => arith::unary(*u, arg(0)?, result_elem(op)?)?,
            OpKind::CmpI(p) => arith::compare(false, *p, arg(0)?, arg(1)?, operand_elem(op, 0)?)?,
            OpKind::CmpF(p) => arith::compare(true, *p, arg(0)?, arg(1)?, operand_elem(op, 0)?)?,
            OpKind::Select => arith::select(arg(0)?, arg(1)?, arg(2)?)?,
            OpKind::Cast(c) => arith::cast(*c, operand_elem(op, 0)?, result_elem(op)?, arg(0)?)?,
            OpKind::VectorLoad => self.vector_load(op, frame)?,
            OpKind::VectorStore => {
                self.vector_store(op, frame, 1, op.operands.len() - 2, None, false)?;
                return Ok(Flow::Next);
            }
            OpKind::TpuVectorStore {
                indices,
                masked,
                add,
                strides,
            } => {
                if strides.iter().any(|s| *s != 1) {
                    return Err(Fault::ty(format!(
                        "strided vector stores (strides {strides:?}) are not supported"
                    ))
                    .into());
                }
                let mask = if *masked {
                    Some(arg(2 + indices)?.vector()?.clone())
                } else {
                    None
                };
                let mask = mask.as_ref().map(|m| m.ints()).transpose()?;
                self.vector_store(op, frame, 1, *indices, mask, *add)?;
                return Ok(Flow::Next);
            }
            OpKind::MemrefLoad => {
                let view = arg(0)?.view()?;
                let idx = (1..op.operands.len())
                    .map(|i| arg(i)?.index())
                    .collect::<Result<Vec<_>, _>>()?;
                self.mem.load_scalar(view, &idx)?
            }
            OpKind::MemrefStore => {
                let view = arg(1)?.view()?;
                let idx = (2..op.operands.len())
                    .map(|i| arg(i)?.index())
                    .collect::<Result<Vec<_>, _>>()?;
                self.mem.store_scalar(view, &idx, arg(0)?)?;
                return Ok(Flow::Next);
            }
            OpKind::Broadcast => vector::broadcast(arg(0)?, result_shape(op), result_elem(op)?)?,
            OpKind::ShapeCast => vector::shape_cast(arg(0)?.vector()?, result_shape(op))?,
            OpKind::Extract { position } => vector::extract(arg(0)?.vector()?, position)?,
            OpKind::ExtractStridedSlice { offsets, strides } => vector::extract_strided_slice(
                arg(0)?.vector()?,
                offsets,
                result_shape(op),
                strides,
            )?,
            OpKind::MultiReduction { kind, dims } => {
                vector::multi_reduction(*kind, arg(0)?.vector()?, arg(1)?, dims, result_elem(op)?)?
            }
            OpKind::Transpose { perm } => vector::transpose(arg(0)?.vector()?, perm)?,
            OpKind::Iota { dims } => vector::iota(result_shape(op), result_elem(op)?, dims)?,
            OpKind::Concatenate { dim } => {
                let parts = (0..op.operands.len())
                    .map(|i| arg(i)?.vector().map(|v| &**v))
                    .collect::<Result<Vec<_>, _>>()?;
                vector::concatenate(&parts, *dim, result_shape(op), result_elem(op)?)?
            }
            OpKind::Repeat { dim, times } => vector::repeat(arg(0)?.vector()?, *dim, *times)?,
            OpKind::Matmul {
                dims,
                transpose_lhs,
                transpose_rhs,
            } => matmul::matmul(
                arg(0)?.vector()?,
                arg(1)?.vector()?,
                arg(2)?.vector()?,
                dims,
                *transpose_lhs,
                *transpose_rhs,
                result_elem(op)?,
            )?,
            OpKind::MemrefSlice { offsets } => {
                let view = arg(0)?.view()?;
                let starts = (1..=*offsets)
                    .map(|i| arg(i)?.index())
                    .collect::<Result<Vec<_>, _>>()?;
                let name = self.mem.buffer(view.buffer).name.clone();
                memref(window(
                    view,
                    &starts,
                    result_shape(op),
                    FaultKind::DmaOutOfBounds,
                    &name,
                )?)
            }
            OpKind::MemrefSqueeze => memref(squeeze(arg(0)?.view()?, result_shape(op))?),
            OpKind::MemrefReshape => {
                let view = arg(0)?.view()?;
                if view.strides != super::value::row_major_strides(&view.shape) {
                    return Err(Fault::ty("reshape of a non-contiguous memref").into());
                }
                let shape = result_shape(op);
                memref(View {
                    buffer: view.buffer,
                    offset: view.offset,
                    shape: shape.to_vec(),
                    strides: super::value::row_major_strides(shape),
                })
            }
            OpKind::EnqueueDma(d) => {
                if d.remote {
                    return Err(Fault::ty("remote DMAs (device_id) are not modeled").into());
                }
                let (src, dst, sem) = (
                    arg(d.source)?.view()?.clone(),
                    arg(d.target)?.view()?.clone(),
                    arg(d.semaphore)?.view()?.clone(),
                );
                self.dma.start(&self.mem, &src, &dst, &sem, &op.location)?;
                return Ok(Flow::Next);
            }
            OpKind::WaitDma2(d) => {
                let (sem, dst) = (
                    arg(d.semaphore)?.view()?.clone(),
                    arg(d.target)?.view()?.clone(),
                );
                self.dma.wait(&mut self.mem, &sem, &dst)?;
                return Ok(Flow::Next);
            }
            OpKind::SemaphoreSignal | OpKind::SemaphoreWait => {
                let sem = arg(0)?.view()?.clone();
                let amount = arg(1)?.int()?;
                let signal = matches!(op.kind, OpKind::SemaphoreSignal);
                self.semaphore(&sem, amount, signal)?;
                return Ok(Flow::Next);
            }
            OpKind::If => {
                let cond = arg(0)?.int()? != 0;
                let block = op.regions.get(if cond { 0 } else { 1 });
                let values = match block {
                    Some(b) if !b.ops.is_empty() => match self.region(frame, b, Vec::new())? {
                        Flow::Yield(v) => v,
                        flow => return Ok(flow),
                    },
                    _ => Vec::new(),
                };
                return self.bind(frame, op, values);
            }
            OpKind::For => {
                let (lo, hi, step) = (arg(0)?.int()?, arg(1)?.int()?, arg(2)?.int()?);
                if step <= 0 {
                    return Err(Fault::ty(format!("scf.for with step {step}")).into());
                }
                let mut carries = (3..op.operands.len())
                    .map(|i| arg(i).cloned())
                    .collect::<Result<Vec<_>, _>>()?;
                let body = op
                    .regions
                    .first()
                    .ok_or_else(|| Fault::ty("scf.for without a body"))?;
                let mut i = lo;
                while i < hi {
                    let mut args = vec![Value::Int(i)];
                    args.extend(carries);
                    carries = match self.region(frame, body, args)? {
                        Flow::Yield(v) => v,
                        Flow::Next => Vec::new(),
                        flow => return Ok(flow),
                    };
                    i += step;
                }
                return self.bind(frame, op, carries);
            }
            OpKind::While => {
                let mut values = (0..op.operands.len())
                    .map(|i| arg(i).cloned())
                    .collect::<Result<Vec<_>, _>>()?;
                let (before, after) = match op.regions.as_slice() {
                    [b, a] => (b, a),
                    _ => return Err(Fault::ty("scf.while needs two regions").into()),
                };
                loop {
                    match self.region(frame, before, values)? {
                        Flow::Condition(true, v) => values = v,
                        Flow::Condition(false, v) => return self.bind(frame, op, v),
                        flow => return Ok(flow),
                    }
                    values = match self.region(frame, after, values)? {
                        Flow::Yield(v) => v,
                        flow => return Ok(flow),
                    };
                }
            }
            OpKind::Yield | OpKind::Return => {
                let values = (0..op.operands.len())
                    .map(|i| arg(i).cloned())
                    .collect::<Result<Vec<_>, _>>()?;
                return Ok(if matches!(op.kind, OpKind::Yield) {
                    Flow::Yield(values)
                } else {
                    Flow::Return(values)
                });
            }
            OpKind::Condition => {
                let cond = arg(0)?.int()? != 0;
                let values = (1..op.operands.len())
                    .map(|i| arg(i).cloned())
                    .collect::<Result<Vec<_>, _>>()?;
                return Ok(Flow::Condition(cond, values));
            }
            OpKind::Identity => arg(0)?.clone(),
            OpKind::Nop => return Ok(Flow::Next),
        };
        self.bind(frame, op, vec![result])
    }

    fn bind(&self, frame: &mut Frame, op: &Op, values: Vec<Value>) -> Result<Flow, Nested> {
        if values.len() != op.results.len() {
            return Err(Fault::ty(format!(
                "{} values for {} results",
                values.len(),
                op.results.len()
            ))
            .into());
        }
        for (id, v) in op.results.iter().zip(values) {
            frame[*id as usize] = Some(v);
        }
        Ok(Flow::Next)
    }

    /// `vector.load base[indices]`: a bounds-checked window of the memref.
    fn vector_load(&self, op: &Op, frame: &Frame) -> Result<Value, Fault> {
        let view = get(frame, op.operands[0])?.view()?;
        let starts = op.operands[1..]
            .iter()
            .map(|id| get(frame, *id)?.index())
            .collect::<Result<Vec<_>, _>>()?;
        let shape = result_shape(op);
        let name = &self.mem.buffer(view.buffer).name;
        self.vector_reachable(view)?;
        let w = window(view, &starts, shape, FaultKind::OutOfBounds, name)?;
        let elem = result_elem(op)?;
        Ok(arith::vector(shape.to_vec(), elem, self.mem.read(&w)))
    }

    /// A vector store: operand 0 is the value, `base` the memref, then `indices` indices.
    fn vector_store(
        &mut self,
        op: &Op,
        frame: &Frame,
        base: usize,
        indices: usize,
        mask: Option<&[i32]>,
        add: bool,
    ) -> Result<(), Fault> {
        let value = get(frame, op.operands[0])?.vector()?.clone();
        let view = get(frame, op.operands[base])?.view()?.clone();
        let starts = op.operands[base + 1..base + 1 + indices]
            .iter()
            .map(|id| get(frame, *id)?.index())
            .collect::<Result<Vec<_>, _>>()?;
        let name = self.mem.buffer(view.buffer).name.clone();
        self.vector_reachable(&view)?;
        let w = window(&view, &starts, &value.shape, FaultKind::OutOfBounds, &name)?;
        if let Some(m) = mask {
            if m.len() != value.data.len() {
                return Err(Fault::ty(format!(
                    "mask of {} elements for a {:?} store",
                    m.len(),
                    value.shape
                )));
            }
        }
        self.mem.write(&w, &value.data, add, mask)
    }

    /// Vector loads and stores reach VMEM (and SMEM), never HBM: that takes a DMA.
    fn vector_reachable(&self, view: &View) -> Result<(), Fault> {
        let buf = self.mem.buffer(view.buffer);
        if matches!(buf.space, Space::Any | Space::Hbm) {
            return Err(Fault::ty(format!(
                "a vector access to `{}` in HBM (memory space any); copy it to VMEM with a DMA",
                buf.name
            )));
        }
        Ok(())
    }

    fn semaphore(&mut self, sem: &View, amount: i64, signal: bool) -> Result<(), Fault> {
        let name = self.mem.buffer(sem.buffer).name.clone();
        let Data::I(counts) = &mut self.mem.buffers[sem.buffer].data else {
            return Err(Fault::ty("semaphore memory holds floats"));
        };
        let count = &mut counts[sem.offset];
        if signal {
            *count += amount as i32;
        } else if i64::from(*count) < amount {
            return Err(Fault::new(
                FaultKind::Deadlock,
                format!(
                    "waiting for {amount} on semaphore `{name}`[{}] which holds {count}",
                    sem.offset
                ),
            ));
        } else {
            *count -= amount as i32;
        }
        Ok(())
    }
}

fn result_shape(op: &Op) -> &[usize] {
    op.result_types.first().map_or(&[], Type::shape)
}

/// Drops unit dims of `view` until it has `shape`.
fn squeeze(view: &View, shape: &[usize]) -> Result<View, Fault> {
    let mut out = View {
        buffer: view.buffer,
        offset: view.offset,
        shape: Vec::new(),
        strides: Vec::new(),
    };
    for (i, (&d, &s)) in view.shape.iter().zip(&view.strides).enumerate() {
        let droppable = view.shape.len() - i > shape.len() - out.shape.len();
        if d == 1 && droppable {
            continue;
        }
        out.shape.push(d);
        out.strides.push(s);
    }
    if out.shape != shape {
        return Err(Fault::ty(format!(
            "cannot squeeze {:?} to {shape:?}",
            view.shape
        )));
    }
    Ok(out)
}

/// A fault raised by this op, or an error already wrapped by an op of a nested region.
pub(crate) enum Nested {
    Here(Fault),
    Inner(Error),
}

impl From<Fault> for Nested {
    fn from(f: Fault) -> Self {
        Nested::Here(f)
    }
}
