//! Buffers (HBM arrays, VMEM blocks and scratch, SMEM, semaphores) and the bounds-checked
//! reads and writes of memref views.

use std::sync::Arc;

use super::value::{round_f32, wrap, Data, Value, View};
use crate::error::{Fault, FaultKind};
use crate::types::{Elem, MemElem, Space};

#[derive(Clone, Debug)]
pub struct Buffer {
    /// What the buffer is, for errors (`input 1 (block)`, `scratch 0`).
    pub name: String,
    pub elem: MemElem,
    pub space: Space,
    pub shape: Vec<usize>,
    pub data: Data,
}

#[derive(Clone, Debug, Default)]
pub struct Memory {
    pub buffers: Vec<Buffer>,
}

/// What a float buffer holds before anything writes it: NaN, so a read of never-written
/// scratch poisons whatever uses it.
pub const POISON: f32 = f32::NAN;

impl Memory {
    /// A new buffer filled with [`POISON`] (floats), zero (integers and semaphores).
    pub fn alloc(
        &mut self,
        name: impl Into<String>,
        elem: MemElem,
        space: Space,
        shape: &[usize],
    ) -> usize {
        let n: usize = shape.iter().product();
        let data = match elem {
            MemElem::Data(e) if e.is_float() => Data::F(vec![POISON; n]),
            _ => Data::I(vec![0; n]),
        };
        self.buffers.push(Buffer {
            name: name.into(),
            elem,
            space,
            shape: shape.to_vec(),
            data,
        });
        self.buffers.len() - 1
    }

    pub fn buffer(&self, id: usize) -> &Buffer {
        &self.buffers[id]
    }

    /// The elements of `view`, row-major.
    pub fn read(&self, view: &View) -> Data {
        let buf = &self.buffers[view.buffer];
        match &buf.data {
            Data::F(v) => Data::F(super::vector::gather(
                v,
                view.offset,
                &view.shape,
                &view.strides,
            )),
            Data::I(v) => Data::I(super::vector::gather(
                v,
                view.offset,
                &view.shape,
                &view.strides,
            )),
        }
    }

    /// Writes `data` (row-major) into `view`; `add` accumulates; `mask` keeps elements
    /// whose mask entry is non-zero. Values are rounded to the buffer's element type.
    pub fn write(
        &mut self,
        view: &View,
        data: &Data,
        add: bool,
        mask: Option<&[i32]>,
    ) -> Result<(), Fault> {
        let buf = &mut self.buffers[view.buffer];
        let elem = match buf.elem {
            MemElem::Data(e) => e,
            _ => {
                return Err(Fault::ty(format!(
                    "a vector store into semaphores `{}`",
                    buf.name
                )))
            }
        };
        let mut i = 0;
        match (&mut buf.data, data) {
            (Data::F(dst), Data::F(src)) => view.for_each_row(|start, len, stride| {
                for j in 0..len {
                    if mask.is_none_or(|m| m[i] != 0) {
                        let slot = &mut dst[start + j * stride];
                        *slot = round_f32(elem, if add { *slot + src[i] } else { src[i] });
                    }
                    i += 1;
                }
            }),
            (Data::I(dst), Data::I(src)) => view.for_each_row(|start, len, stride| {
                for j in 0..len {
                    if mask.is_none_or(|m| m[i] != 0) {
                        let slot = &mut dst[start + j * stride];
                        let v = if add {
                            slot.wrapping_add(src[i])
                        } else {
                            src[i]
                        };
                        *slot = wrap(elem, i64::from(v)) as i32;
                    }
                    i += 1;
                }
            }),
            _ => {
                return Err(Fault::ty(format!(
                    "storing the wrong kind of values into `{}` ({})",
                    buf.name,
                    elem.name()
                )))
            }
        }
        Ok(())
    }

    /// One scalar at `indices` of `view`.
    pub fn load_scalar(&self, view: &View, indices: &[i64]) -> Result<Value, Fault> {
        let at = element(view, indices, &self.buffers[view.buffer].name)?;
        Ok(match &self.buffers[view.buffer].data {
            Data::F(v) => Value::Float(f64::from(v[at])),
            Data::I(v) => Value::Int(i64::from(v[at])),
        })
    }

    pub fn store_scalar(
        &mut self,
        view: &View,
        indices: &[i64],
        value: &Value,
    ) -> Result<(), Fault> {
        let at = element(view, indices, &self.buffers[view.buffer].name)?;
        let buf = &mut self.buffers[view.buffer];
        let elem = match buf.elem {
            MemElem::Data(e) => e,
            _ => Elem::Int(32),
        };
        match (&mut buf.data, value) {
            (Data::F(v), Value::Float(f)) => v[at] = round_f32(elem, *f as f32),
            (Data::I(v), Value::Int(i)) => v[at] = wrap(elem, *i) as i32,
            _ => {
                return Err(Fault::ty(format!(
                    "storing the wrong kind of scalar into `{}`",
                    buf.name
                )))
            }
        }
        Ok(())
    }
}

/// The flat offset of one element, bounds-checked.
fn element(view: &View, indices: &[i64], name: &str) -> Result<usize, Fault> {
    if indices.len() != view.shape.len() {
        return Err(Fault::ty(format!(
            "{} indices into a rank-{} memref `{name}`",
            indices.len(),
            view.shape.len()
        )));
    }
    let mut at = view.offset;
    for ((&i, &d), &s) in indices.iter().zip(&view.shape).zip(&view.strides) {
        if i < 0 || i as usize >= d {
            return Err(Fault::new(
                FaultKind::OutOfBounds,
                format!(
                    "scalar access at {indices:?} outside `{name}` of shape {:?}",
                    view.shape
                ),
            ));
        }
        at += i as usize * s;
    }
    Ok(at)
}

/// The sub-view of `view` at `starts` with `sizes` (trailing dims; leading dims of `view`
/// beyond `sizes` are indexed and dropped), bounds-checked.
pub fn window(
    view: &View,
    starts: &[i64],
    sizes: &[usize],
    kind: FaultKind,
    name: &str,
) -> Result<View, Fault> {
    let rank = view.shape.len();
    if starts.len() != rank || sizes.len() > rank {
        return Err(Fault::ty(format!(
            "{} indices and a rank-{} access into a rank-{rank} memref `{name}`",
            starts.len(),
            sizes.len()
        )));
    }
    let lead = rank - sizes.len();
    let mut offset = view.offset;
    for d in 0..rank {
        let size = if d < lead { 1 } else { sizes[d - lead] };
        let start = starts[d];
        if start < 0 || start as usize + size > view.shape[d] {
            return Err(Fault::new(
                kind,
                format!("access of {sizes:?} at {starts:?} reaches past `{name}` of shape {:?} (dim {d}: {start} + {size} > {})", view.shape, view.shape[d]),
            ));
        }
        offset += start as usize * view.strides[d];
    }
    Ok(View {
        buffer: view.buffer,
        offset,
        shape: sizes.to_vec(),
        strides: view.strides[lead..].to_vec(),
    })
}

pub fn memref(view: View) -> Value {
    Value::MemRef(Arc::new(view))
}
