//! Pallas-Flash's Mosaic emulator: runs a Mosaic kernel — the module libtpu receives — on
//! the CPU with TPU semantics, so the artifact we ship is executed and checked, not only
//! compiled.
//!
//! It reads MLIR **generic-form text** with its own parser, in the serialized form libtpu
//! takes (`stable_mosaic.*` op names) or plain generic form, and depends on neither the
//! kernel IR nor codegen: an independent reading of Mosaic is what makes it a check on our
//! codegen rather than a copy of it. Layers, as in naga or cranelift: [`text`] (syntax) →
//! [`module`] (decoded ops; an op without semantics is an error at load time naming the op
//! and its location) → `exec` (the interpreter) and [`pipeline`] (the grid around it).
//!
//! ```no_run
//! use pallas_flash_emulator::{Emulator, HostArray, Elem};
//! let emulator = Emulator::parse(&std::fs::read_to_string("kernel.mlir")?)?;
//! let x = HostArray::floats(Elem::Bf16, vec![256, 256], vec![0.5; 256 * 256]);
//! let outputs = emulator.run(&[x.clone(), x])?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What is modeled: the Pallas TPU pipeline (grid order, transform functions, block
//! copy-in and write-back, partial edge blocks reading NaN), scalar prefetch in SMEM, VMEM
//! scratch (NaN until written), DMAs with byte-counting semaphores, bf16 rounding to
//! nearest even, f32 matmul accumulation, f32 transcendentals, integer wraparound; and
//! checks the hardware does not make (out-of-bounds vector access and DMA, deadlocked
//! waits, two in-flight DMAs into one buffer, DMAs never waited for). What is not: timing,
//! VMEM capacity and layouts (libtpu checks those), multiple cores and remote DMAs.

pub mod abi;
mod array;
mod decode;
pub mod error;
mod exec;
pub mod module;
pub mod npy;
pub mod pipeline;
pub mod text;
pub mod types;

pub use abi::KernelAbi;
pub use array::HostArray;
pub use decode::{load, SERDE_PREFIX};
pub use error::{Error, Fault, FaultKind, ParseError, Result};
pub use exec::Data;
pub use pipeline::{GridOrder, RunOptions};
pub use types::Elem;

/// A loaded kernel, ready to run.
#[derive(Clone, Debug)]
pub struct Emulator {
    module: module::Module,
    abi: KernelAbi,
}

impl Emulator {
    /// Parses and decodes generic-form Mosaic text and reads its kernel ABI.
    pub fn parse(text: &str) -> Result<Self> {
        let module = load(text)?;
        let abi = KernelAbi::of(&module)?;
        Ok(Emulator { module, abi })
    }

    pub fn abi(&self) -> &KernelAbi {
        &self.abi
    }

    /// Runs the kernel in grid order on `operands` (scalar prefetch first, then inputs);
    /// output shapes are inferred from the grid.
    pub fn run(&self, operands: &[HostArray]) -> Result<Vec<HostArray>> {
        self.run_with(operands, &RunOptions::default())
    }

    pub fn run_with(&self, operands: &[HostArray], options: &RunOptions) -> Result<Vec<HostArray>> {
        pipeline::run(&self.module, &self.abi, operands, options)
    }
}
