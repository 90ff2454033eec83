//! Refs and views into them: what loads, stores and DMAs read and write.

use std::fmt;

use crate::Value;

/// A ref the body can use, in Mosaic argument order: scalar-prefetch refs, inputs,
/// outputs, scratch. The number indexes the matching `Kernel` list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RefId {
    Prefetch(usize),
    Input(usize),
    Output(usize),
    Scratch(usize),
}

/// A start offset or an index: static, or an `i32` scalar computed in the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dim {
    Static(usize),
    Dynamic(Value),
}

impl From<usize> for Dim {
    fn from(v: usize) -> Self {
        Dim::Static(v)
    }
}

/// For literals such as `ds(0, 8)`; a negative value becomes an out-of-range static
/// index, which validation reports.
impl From<i32> for Dim {
    fn from(v: i32) -> Self {
        Dim::Static(usize::try_from(v).unwrap_or(usize::MAX))
    }
}

impl From<Value> for Dim {
    fn from(v: Value) -> Self {
        Dim::Dynamic(v)
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::Static(v) => write!(f, "{v}"),
            Dim::Dynamic(v) => write!(f, "{v}"),
        }
    }
}

/// How one dimension of a ref is addressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Indexer {
    /// A single position; the dimension is dropped from the result (`x_ref[i]`).
    At(Dim),
    /// `size` elements from `start`, every `stride`-th (`pl.ds(start, size, stride)`);
    /// the dimension is kept with extent `size`.
    Slice {
        start: Dim,
        size: usize,
        stride: usize,
    },
}

impl Indexer {
    /// Sets the stride of a slice (`pl.ds(start, size, stride)`); no effect on `At`.
    pub fn stride(self, stride: usize) -> Self {
        match self {
            Indexer::Slice { start, size, .. } => Indexer::Slice {
                start,
                size,
                stride,
            },
            at => at,
        }
    }
}

/// `pl.ds(start, size)`: `size` contiguous elements from `start`.
pub fn ds(start: impl Into<Dim>, size: usize) -> Indexer {
    Indexer::Slice {
        start: start.into(),
        size,
        stride: 1,
    }
}

/// A single index that drops its dimension.
pub fn at(index: impl Into<Dim>) -> Indexer {
    Indexer::At(index.into())
}

/// A ref and, per dimension, how to address it. No indexers means the whole ref;
/// otherwise there is exactly one per dimension of the ref.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RefView {
    pub base: RefId,
    pub indexers: Vec<Indexer>,
}

impl RefId {
    /// A view of this ref, one indexer per dim (`x_ref.at[...]`).
    pub fn view(self, indexers: impl IntoIterator<Item = Indexer>) -> RefView {
        RefView {
            base: self,
            indexers: indexers.into_iter().collect(),
        }
    }
}

impl From<RefId> for RefView {
    /// The whole ref.
    fn from(base: RefId) -> Self {
        RefView {
            base,
            indexers: Vec::new(),
        }
    }
}

impl RefView {
    /// Dynamic values the view reads, for use-before-definition checks.
    pub fn dynamic_values(&self) -> impl Iterator<Item = Value> + '_ {
        self.indexers.iter().filter_map(|ix| match ix {
            Indexer::At(Dim::Dynamic(v))
            | Indexer::Slice {
                start: Dim::Dynamic(v),
                ..
            } => Some(*v),
            _ => None,
        })
    }
}
