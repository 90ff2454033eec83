//! The one StableHLO text writer of Pallas-Flash, used by every program the project
//! writes: codegen's programs around `tpu_custom_call`s (and their SPMD form), the
//! interpret lowering of a kernel for the CPU plugin, the decode glue, and the plain-XLA
//! baselines of the bench.
//!
//! Text, not MLIR: no MLIR context is needed, so crates without MLIR (interpret, the
//! kernels' glue) write programs too. A program is a [`Main`] (parameters), a [`Body`]
//! (typed ops, [`while_loop`], [`if_else`], [`Body::custom_call`], [`Body::all_reduce`],
//! [`manual_computation`]) and a [`Module`]:
//!
//! ```
//! use pallas_flash_ir::DType::F32;
//! use pallas_flash_stablehlo::{Body, Main, Module, TensorType};
//!
//! let mut main = Main::new();
//! let x = main.parameter(TensorType::new([8, 128], F32));
//! let mut body = Body::new();
//! let e = body.elementwise("exponential", &[x.clone()], F32);
//! let sum = body.elementwise("add", &[x, e], F32);
//! let text = Module::new("example").print(&main.print(&body, &[(&sum, None)]));
//! assert!(text.contains("%v1 = stablehlo.add %arg0, %v0 : tensor<8x128xf32>"));
//! ```

mod body;
mod custom_call;
mod module;
mod regions;
mod types;

pub use body::Body;
pub use custom_call::{CustomCall, OutputOperandAlias};
pub use module::{Main, Module};
pub use regions::{if_else, manual_computation, while_loop, ShardedInput, ShardedOutput};
pub use types::{Tensor, TensorType};
