//! Types of body values and of refs.

use std::fmt;

use crate::{DType, MemorySpace};

/// Type of an SSA value: a dtype and a static shape. Rank 0 is a scalar.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ValueType {
    pub dtype: DType,
    pub shape: Vec<usize>,
}

impl ValueType {
    pub fn new(dtype: DType, shape: impl Into<Vec<usize>>) -> Self {
        ValueType {
            dtype,
            shape: shape.into(),
        }
    }

    pub fn scalar(dtype: DType) -> Self {
        ValueType {
            dtype,
            shape: Vec::new(),
        }
    }

    pub fn is_scalar(&self) -> bool {
        self.shape.is_empty()
    }

    /// Same shape, another dtype.
    pub fn with_dtype(&self, dtype: DType) -> Self {
        ValueType {
            dtype,
            shape: self.shape.clone(),
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.dtype, Shape(&self.shape))
    }
}

/// Type of a ref as the kernel body sees it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RefType {
    /// A memref: a block window, a whole `Any` array, a scalar-prefetch array or a
    /// scratch buffer. Squeezed block dims are already dropped from `shape`.
    Buffer {
        dtype: DType,
        shape: Vec<usize>,
        space: MemorySpace,
    },
    /// `memref<count x !tpu.dma_semaphore, semaphore_mem>`.
    DmaSemaphores { count: usize },
}

impl RefType {
    /// Bytes the buffer occupies (0 for semaphores); `None` on overflow.
    pub fn byte_size(&self) -> Option<u64> {
        match self {
            RefType::Buffer { dtype, shape, .. } => {
                num_elements(shape)?.checked_mul(dtype.byte_size().into())
            }
            RefType::DmaSemaphores { .. } => Some(0),
        }
    }
}

impl fmt::Display for RefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefType::Buffer {
                dtype,
                shape,
                space,
            } => write!(f, "{space} {dtype}{}", Shape(shape)),
            RefType::DmaSemaphores { count } => write!(f, "dma_sem[{count}]"),
        }
    }
}

/// Product of the dims, `None` on overflow.
pub fn num_elements(shape: &[usize]) -> Option<u64> {
    shape
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
}

/// Prints a shape as `[8, 128]`.
pub struct Shape<'a>(pub &'a [usize]);

impl fmt::Display for Shape<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}
