//! Interpret mode for Pallas-Flash kernels: the same [`pallas_flash_ir::Kernel`] that
//! codegen turns into Mosaic, lowered instead to plain StableHLO and run on the OpenXLA CPU PJRT plugin —
//! our equivalent of Pallas's `interpret=True`. A `tpu_custom_call` can not run on a
//! CPU, so this is how kernel numerics are tested without a TPU.
//!
//! This crate is a separate backend in naga's sense: it consumes the validated IR
//! directly (no MLIR, no melior, no LLVM), beside the Mosaic backend in
//! `pallas-flash-codegen`, so users who only check numerics need neither. The
//! [`mod@reference`] module holds plain f64 ndarray implementations of the kernels we
//! write (attention forward and backward, decode, matmul) to compare against.
//!
//! # Semantics
//!
//! The lowering follows the contract in `pallas_flash_ir`'s crate docs (row-major
//! grid; windows reloaded / written back by block index; persistent scratch; integer
//! wrap, truncating division, round-to-nearest-even casts). Where the contract leaves
//! things unspecified, the interpreter makes them loud rather than plausible:
//!
//! - memory nobody wrote — input padding past a partial last block, a fresh output
//!   window, scratch before its first store, an output element never written back —
//!   holds NaN (floats) or the integer minimum;
//! - a block index outside the array (possible with scalar-prefetch index maps) or a
//!   dynamic offset that leaves its ref is reported as
//!   [`Error::BlockIndexOutOfRange`] / [`Error::OffsetOutOfRange`] with the grid
//!   point, instead of being clamped;
//! - a DMA copies at `dma_start`; `dma_wait` does nothing;
//! - float reductions and `dot`s accumulate in f32 (i8 dots in i32), as the TPU does;
//!   f32 dots run at full f32 precision.
//!
//! # Example
//!
//! ```
//! use ndarray::Array2;
//! use pallas_flash_interpret::{interpret, HostArray};
//! use pallas_flash_ir::{DType::F32, GridSpec, KernelBuilder};
//!
//! // y = 2x over 8x128 blocks of a 16x128 array.
//! let mut k = KernelBuilder::new("double", GridSpec::new([2]));
//! let x = k.input("x", [16, 128], F32, k.vmem_block([8, 128], |g| [g.grid(0), 0.into()]));
//! let y = k.output("y", [16, 128], F32, k.vmem_block([8, 128], |g| [g.grid(0), 0.into()]));
//! let v = k.read(x);
//! let two = k.full([8, 128], F32, 2.0);
//! let doubled = k.mul(v, two);
//! k.write(y, doubled);
//! let kernel = k.finish();
//!
//! let input = Array2::from_shape_fn((16, 128), |(i, j)| (i * 128 + j) as f32);
//! let out = interpret(&kernel, &[HostArray::from(input.clone())])?;
//! assert_eq!(out[0].get::<f32>().unwrap(), &(input * 2.0).into_dyn());
//! # Ok::<(), pallas_flash_interpret::Error>(())
//! ```

mod diagnostic;
mod error;
mod host;
mod interpreter;
mod lower;
pub mod reference;

pub use error::Error;
pub use host::{HostArray, HostElement};
pub use interpreter::{interpret, lower_to_stablehlo, Interpreter};
