//! Executing the module IR: values, memory, DMAs, and the op semantics.

mod arith;
mod dma;
mod interp;
mod matmul;
mod memory;
mod value;
mod vector;

pub use interp::Machine;
pub use memory::{memref, Memory, POISON};
pub use value::{round, round_f32, row_major_strides, wrap, Data, Value, Vector, View};
