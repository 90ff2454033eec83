//! Read XLA's optimized HLO text and check what happens around custom calls.
//!
//! - [`HloModule::parse`] reads a `*after_optimizations.txt` dump from any backend.
//! - [`lint::lint`] finds the copy trap: relayout copies, pads, transposes and slices that
//!   XLA puts around a kernel because its layout does not match what the kernel demands.
//! - [`golden`] turns a module into stable facts text and compares it with a golden file.
//! - [`check::check_all`] lints a whole dump directory on several threads, one file at a
//!   time per thread.

pub mod check;
mod cursor;
pub mod dump;
pub mod element;
pub mod error;
pub mod golden;
pub mod instruction;
pub mod layout;
pub mod lint;
pub mod module;
pub mod shape;

pub use element::ElementType;
pub use error::{ParseError, ParseErrorKind};
pub use instruction::{Attributes, Instruction, Operand};
pub use layout::{Layout, Tile};
pub use module::{Computation, HloModule};
pub use shape::{ArrayShape, Dim, Shape};
