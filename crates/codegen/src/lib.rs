//! Pallas-Flash codegen: kernel IR → Mosaic MLIR → libtpu.

mod compile;
mod cost;
mod custom_call;
mod error;
pub mod mosaic;
mod serde;

pub use compile::{compile_for_tpu, compile_program, used_scoped_memory, CompiledKernel, ScopedMemory, Target};
pub use cost::cost_estimate;
pub use custom_call::{Program, Tensor, TensorType, TpuCustomCall};
pub use error::{CodegenError, Result};
pub use mosaic::{lower, MosaicModule, MOSAIC_VERSION};
pub use serde::SERDE_PREFIX;
