//! Pallas-Flash: one crate for kernel authors, re-exporting the project's crates.
//!
//! The flow is one-way: write a kernel with [`ir`]'s DSL (or take one from [`kernels`]),
//! plan it with [`tiling`], lower and compile it with [`codegen`], run its numerics on the
//! CPU with [`interpret`], and ship its serialized executable with [`runtime`] alone.

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
