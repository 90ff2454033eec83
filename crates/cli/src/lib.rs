//! Pallas-Flash: one crate for kernel authors, re-exporting the project's crates.
//!
//! The flow is one-way: write a kernel with [`ir`]'s DSL (or take one from [`kernels`]),
//! plan it with [`tiling`], lower and compile it with [`codegen`], run its numerics on the
//! CPU with [`interpret`], and ship its serialized executable with [`runtime`] alone.
//!
//! Any kernel that implements [`tiling::KernelFamily`] gets the command's whole report
//! through [`report::report`], and the command itself through [`cli::main_with`]
//! (`examples/walkthrough` does both for two user kernels).

/// Optimized-HLO parsing, the copy-trap lint and golden facts.
pub use pallas_flash_hlo as hlo;

/// PJRT plugins, TPU topologies, deviceless compile, isolated workers, CPU execution.
pub use pallas_flash_runtime as runtime;

/// The kernel IR, its Pallas-style DSL (`KernelBuilder`) and the validator.
pub use pallas_flash_ir as ir;

/// TPU targets, block alignment rules, VMEM budget, copy-trap prediction, block search.
pub use pallas_flash_tiling as tiling;

/// IR → Mosaic MLIR → StableHLO `tpu_custom_call` → libtpu.
pub use pallas_flash_codegen as codegen;

/// IR → plain StableHLO run on the CPU plugin, and f64 references, for numerics.
pub use pallas_flash_interpret as interpret;

/// The catalog kernels: matmul, FlashAttention-2, FlashDecoding.
pub use pallas_flash_kernels as kernels;

/// Runs Mosaic (ours or JAX's) on the CPU with TPU semantics.
pub use pallas_flash_emulator as emulator;

// The command's modules name the facade's crates as `pallas_flash::…`, from inside it too.
extern crate self as pallas_flash;

mod bench;
mod catalog;
pub mod cli;
mod compile;
mod compile_stablehlo;
mod error;
mod estimate;
mod hlo_check;
mod libtpu;
pub mod report;
mod run;
mod run_mosaic;
mod tune;

pub use error::CliError;
