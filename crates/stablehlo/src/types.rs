//! Tensor types and the SSA values that carry them.

use std::borrow::Borrow;
use std::fmt;

use pallas_flash_ir::{DType, ValueType};

/// A StableHLO tensor type, printed `tensor<8x128xbf16>` (`tensor<i32>` for a scalar).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TensorType {
    pub shape: Vec<usize>,
    pub dtype: DType,
}

impl TensorType {
    pub fn new(shape: impl Into<Vec<usize>>, dtype: DType) -> Self {
        TensorType {
            shape: shape.into(),
            dtype,
        }
    }

    pub fn scalar(dtype: DType) -> Self {
        TensorType::new(Vec::new(), dtype)
    }

    /// Same shape, another dtype.
    pub fn with_dtype(&self, dtype: DType) -> Self {
        TensorType::new(self.shape.clone(), dtype)
    }

    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    /// Row-major layout (`dense<[r-1, …, 0]> : tensor<rxindex>`), what a kernel demands
    /// of its operands and results.
    pub(crate) fn row_major_layout(&self) -> String {
        let dims: Vec<String> = (0..self.rank()).rev().map(|d| d.to_string()).collect();
        format!(
            "dense<[{}]> : tensor<{}xindex>",
            dims.join(", "),
            self.rank()
        )
    }
}

impl From<&ValueType> for TensorType {
    fn from(ty: &ValueType) -> Self {
        TensorType::new(ty.shape.clone(), ty.dtype)
    }
}

impl fmt::Display for TensorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tensor<")?;
        for d in &self.shape {
            write!(f, "{d}x")?;
        }
        write!(f, "{}>", self.dtype.mlir_name())
    }
}

/// An SSA value of the text being written: its name (`%arg0`, `%v7`, `%3#1`) and type.
/// Only the writer names values, so a name always refers to something written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tensor {
    pub(crate) name: String,
    pub ty: TensorType,
}

impl Tensor {
    pub(crate) fn new(name: String, ty: TensorType) -> Self {
        Tensor { name, ty }
    }

    /// The SSA name, as it appears in the text.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// `a, b, c`.
pub(crate) fn join<T>(items: &[T], f: impl Fn(&T) -> String) -> String {
    items.iter().map(f).collect::<Vec<_>>().join(", ")
}

/// The names of `values`, comma-separated.
pub(crate) fn names<T: Borrow<Tensor>>(values: &[T]) -> String {
    join(values, |v| v.borrow().name.clone())
}

/// The types of `values`, comma-separated.
pub(crate) fn types<T: Borrow<Tensor>>(values: &[T]) -> String {
    join(values, |v| v.borrow().ty.to_string())
}

/// MLIR string-literal escaping.
pub(crate) fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}
