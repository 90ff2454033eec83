//! Pallas-Flash kernel IR.

mod arena;
mod block_spec;
mod dtype;
mod expr;
mod grid;
mod index_map;
mod kernel;
mod operand;
mod ops;
mod ref_view;
mod stmt;
mod types;
mod builder;
mod print;
pub mod valid;

pub use arena::{Arena, Handle};
pub use block_spec::{BlockDim, BlockSpec, MemorySpace, Window};
pub use dtype::{DType, Scalar};
pub use expr::{DotDims, Expr, Value};
pub use grid::{DimensionSemantics, GridSpec};
pub use index_map::{IndexExpr, IndexMap};
pub use kernel::Kernel;
pub use operand::{Alias, CostEstimate, Operand, ScalarPrefetch, Scratch, ScratchKind};
pub use ops::{BinaryOp, CompareOp, ReduceOp, UnaryOp};
pub use ref_view::{at, ds, Dim, Indexer, RefId, RefView};
pub use stmt::{Block, Carry, Dma, ForiLoop, Stmt};
pub use types::{RefType, Shape, ValueType};
pub use valid::{validate, KernelInfo, ValidationError};
pub use builder::{IndexArgs, KernelBuilder};
