//! Runtime values: scalars, vectors as flat arrays with a shape (f32 for every float type,
//! i32 for every integer type, already rounded or wrapped to their element type), and
//! memref views.

use std::sync::Arc;

use crate::error::Fault;
use crate::types::Elem;

#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    F(Vec<f32>),
    I(Vec<i32>),
}

impl Data {
    pub fn len(&self) -> usize {
        match self {
            Data::F(v) => v.len(),
            Data::I(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Vector {
    pub shape: Vec<usize>,
    pub elem: Elem,
    pub data: Data,
}

impl Vector {
    pub fn floats(&self) -> Result<&[f32], Fault> {
        match &self.data {
            Data::F(v) => Ok(v),
            Data::I(_) => Err(Fault::ty(format!(
                "expected a float vector, got {}",
                self.elem.name()
            ))),
        }
    }

    pub fn ints(&self) -> Result<&[i32], Fault> {
        match &self.data {
            Data::I(v) => Ok(v),
            Data::F(_) => Err(Fault::ty(format!(
                "expected an integer vector, got {}",
                self.elem.name()
            ))),
        }
    }
}

/// A strided window of a buffer: what a memref value is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    pub buffer: usize,
    pub offset: usize,
    pub shape: Vec<usize>,
    pub strides: Vec<usize>,
}

impl View {
    /// The whole of a buffer of `shape`, row-major.
    pub fn whole(buffer: usize, shape: &[usize]) -> Self {
        View {
            buffer,
            offset: 0,
            shape: shape.to_vec(),
            strides: row_major_strides(shape),
        }
    }

    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The lowest and one-past-highest element offsets the view touches.
    pub fn extent(&self) -> (usize, usize) {
        if self.is_empty() {
            return (self.offset, self.offset);
        }
        let last: usize = self
            .shape
            .iter()
            .zip(&self.strides)
            .map(|(d, s)| (d - 1) * s)
            .sum();
        (self.offset, self.offset + last + 1)
    }

    /// Element offsets of the view in row-major order.
    pub fn offsets(&self) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.len());
        self.for_each_row(|start, len, stride| out.extend((0..len).map(|i| start + i * stride)));
        out
    }

    /// Calls `f(start, len, stride)` for every innermost row, in row-major order.
    pub fn for_each_row(&self, mut f: impl FnMut(usize, usize, usize)) {
        let rank = self.shape.len();
        if rank == 0 {
            f(self.offset, 1, 1);
            return;
        }
        if self.is_empty() {
            return;
        }
        let (inner, inner_stride) = (self.shape[rank - 1], self.strides[rank - 1]);
        let mut index = vec![0usize; rank - 1];
        loop {
            let start = self.offset
                + index
                    .iter()
                    .zip(&self.strides)
                    .map(|(i, s)| i * s)
                    .sum::<usize>();
            f(start, inner, inner_stride);
            let mut d = rank - 1;
            loop {
                if d == 0 {
                    return;
                }
                d -= 1;
                index[d] += 1;
                if index[d] < self.shape[d] {
                    break;
                }
                index[d] = 0;
            }
        }
    }
}

pub fn row_major_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * shape[d + 1];
    }
    strides
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Any integer scalar (`i1` … `i64`, `index`), wrapped to its width.
    Int(i64),
    /// Any float scalar, rounded to its type.
    Float(f64),
    Vector(Arc<Vector>),
    MemRef(Arc<View>),
}

impl Value {
    pub fn int(&self) -> Result<i64, Fault> {
        match self {
            Value::Int(i) => Ok(*i),
            other => Err(Fault::ty(format!(
                "expected an integer scalar, got {}",
                other.kind()
            ))),
        }
    }

    pub fn float(&self) -> Result<f64, Fault> {
        match self {
            Value::Float(f) => Ok(*f),
            other => Err(Fault::ty(format!(
                "expected a float scalar, got {}",
                other.kind()
            ))),
        }
    }

    pub fn vector(&self) -> Result<&Arc<Vector>, Fault> {
        match self {
            Value::Vector(v) => Ok(v),
            other => Err(Fault::ty(format!(
                "expected a vector, got {}",
                other.kind()
            ))),
        }
    }

    pub fn view(&self) -> Result<&Arc<View>, Fault> {
        match self {
            Value::MemRef(v) => Ok(v),
            other => Err(Fault::ty(format!(
                "expected a memref, got {}",
                other.kind()
            ))),
        }
    }

    /// An index for memory accesses.
    pub fn index(&self) -> Result<i64, Fault> {
        self.int()
    }

    fn kind(&self) -> &'static str {
        match self {
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Vector(_) => "a vector",
            Value::MemRef(_) => "a memref",
        }
    }
}

/// A float rounded to what `elem` can hold (bf16 and f16 round to nearest even).
pub fn round(elem: Elem, x: f64) -> f64 {
    match elem {
        Elem::F64 => x,
        Elem::Bf16 => f64::from(half::bf16::from_f64(x).to_f32()),
        Elem::F16 => f64::from(half::f16::from_f64(x).to_f32()),
        _ => f64::from(x as f32),
    }
}

/// An f32 rounded to `elem` (the vector path).
#[inline]
pub fn round_f32(elem: Elem, x: f32) -> f32 {
    match elem {
        Elem::Bf16 => half::bf16::from_f32(x).to_f32(),
        Elem::F16 => half::f16::from_f32(x).to_f32(),
        _ => x,
    }
}

/// An integer wrapped to `elem`'s width (two's complement; `i1` is 0 or 1).
pub fn wrap(elem: Elem, x: i64) -> i64 {
    match elem {
        Elem::Int(1) => x & 1,
        Elem::Int(bits) if bits < 64 => {
            let shift = 64 - u32::from(bits);
            (x << shift) >> shift
        }
        _ => x,
    }
}
