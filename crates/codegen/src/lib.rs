//! Pallas-Flash codegen: kernel IR → Mosaic MLIR → StableHLO `tpu_custom_call` → libtpu.
//!
//! # Lowering a kernel
//!
//! ```no_run
//! use pallas_flash_codegen::{compile_for_tpu, lower, CompileSettings, Program, TpuCustomCall};
//! use pallas_flash_tiling::Target;
//! # fn kernel() -> pallas_flash_ir::Kernel { unimplemented!() }
//! let kernel = kernel(); // built with pallas_flash_ir::KernelBuilder
//! // Kernel → Mosaic: printed text (the golden form) and the serialized body.
//! let mosaic = lower(&kernel)?;
//! // Mosaic → StableHLO: one kernel as the whole program, or several with glue (`Program`).
//! let call = TpuCustomCall::new(&kernel, &mosaic)?;
//! let stablehlo = Program::single_kernel(&call)?;
//! // Or all the way through libtpu (in a worker process), with the static estimate:
//! let compiled = compile_for_tpu(&kernel, &CompileSettings::new(Target::v5e()).with_static_profile())?;
//! println!("{:?} cycles, {:?} B scoped VMEM", compiled.estimated_cycles(), compiled.used_vmem_bytes());
//! # Ok::<(), pallas_flash_codegen::CodegenError>(())
//! ```
//!
//! [`lower`] validates the kernel first (an invalid kernel never reaches MLIR:
//! [`CodegenError::Invalid`]), then relies on what validation proved. It never panics:
//! a construct without a lowering rule is [`CodegenError::Unsupported`] naming the
//! statement's path in validation's format (`body[3] when / body[0] %7 = exp`), and an op MLIR's verifier rejects is
//! [`CodegenError::Verifier`] naming the same path.
//!
//! The module follows JAX 0.10.2's layout (docs/design.md §3): the kernel `func.func` takes grid
//! indices (`i32`), scalar-prefetch refs (SMEM), inputs, outputs and scratch (VMEM buffers,
//! `!tpu.dma_semaphore` arrays) and carries `dimension_semantics`, `iteration_bounds`,
//! `scalar_prefetch`, `scratch_operands`, `tpu.core_type` and `window_params`; each windowed
//! operand `i` gets `@transform_<i>` returning block indices. Body ops: `vector.load`,
//! `tpu.vector_store`, `memref.load/store` (SMEM), `arith`/`math`, `vector.broadcast`,
//! `vector.shape_cast`, `vector.multi_reduction`, `tpu.matmul` (transposed operands in its
//! dimension numbers), `tpu.iota`, `tpu.transpose`, `scf.if`, `scf.for`, and for DMA
//! `tpu.memref_slice`/`tpu.memref_squeeze` views with `tpu.enqueue_dma`/`tpu.wait_dma2`.
//! Upstream ops are built as real registered ops, verified, and canonicalized + CSE'd.
//!
//! # The serialized form libtpu requires
//!
//! Proven end to end with libtpu 0.0.52 (each seen failing when left out):
//! - every op except `builtin.module` is named `stable_mosaic.<dialect>.<op>`
//!   ([`SERDE_PREFIX`]) — upstream ops too; plain names fail with "Operation not in a
//!   serialized form";
//! - inherent attributes are ordinary attributes, `operandSegmentSizes` included;
//! - `stable_mosaic.version = 15 : i64` ([`MOSAIC_VERSION`]) on the module;
//! - MLIR bytecode version 0, base64 in the backend config's `custom_call_config.body`,
//!   with both `"serialization_format": 1` and `"needs_layout_passes": true`.
//!
//! The tpu dialect is not upstream: the context allows unregistered dialects, tpu ops are
//! generic operations, tpu attributes are parsed into opaque attributes, and tpu memrefs use
//! the unchecked `MemRefType::new` (MLIR's checked constructor and its text parser reject
//! the opaque memory space), so modules are built programmatically and never re-parsed
//! in-process. libtpu re-parses those attributes with its real dialect.
//!
//! # VMEM
//!
//! A kernel's `vmem_limit_bytes` becomes `scoped_memory_configs` (override it per compile
//! with [`CompileSettings::with_vmem_limit`] or [`TpuCustomCall::with_vmem_limit`]); a kernel over
//! libtpu's limit fails with libtpu's E1001 as `pallas_flash_runtime::Error::VmemOom`
//! ([`CodegenError::is_vmem_oom`]). What libtpu really allocated is
//! [`CompiledKernel::used_scoped_memory`], read from the optimized `HloModuleProto`.
//!
//! # Golden files
//!
//! `golden/mosaic/<name>.mlir` holds the printed Mosaic of every catalog kernel
//! configuration; `tests/golden.rs` compares them. After an intended codegen change,
//! re-bless and review the diff:
//!
//! ```text
//! UPDATE_GOLDEN=1 cargo test -p pallas-flash-codegen --test golden
//! git diff golden/mosaic
//! ```
//!
//! `golden/mosaic/jax/` holds what JAX 0.10.2's Pallas emits for the same kernels
//! (regenerate with `tests/jax/reference.py`); `tests/parity.rs` checks that the kernel
//! signature, attributes and transform functions are identical.

mod chain;
mod compile;
mod custom_call;
mod error;
pub mod mosaic;
mod program;
pub mod spmd;

pub use chain::chain_program;
pub use compile::{
    compile_for_tpu, compile_program, used_scoped_memory, CompileSettings, CompiledKernel,
    ScopedMemory,
};
pub use custom_call::TpuCustomCall;
pub use error::{CodegenError, Result};
pub use mosaic::{lower, MosaicModule, MOSAIC_VERSION, SERDE_PREFIX};
/// The StableHLO writer programs are built with ([`Program::body`] for plain ops).
pub use pallas_flash_stablehlo as stablehlo;
pub use pallas_flash_stablehlo::{Tensor, TensorType};
pub use pallas_flash_tiling::cost::cost_estimate;
pub use program::Program;
pub use spmd::{Mesh, Reduction, Sharding};
