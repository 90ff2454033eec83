//! Validation: the only gate between a kernel and the compiler.
//!
//! Split by concern like naga's `valid/`: `signature` (names, grid, BlockSpecs,
//! scratch, aliases), `index_map` (arity, types, block ranges), and the body walk
//! (`body`) with its type rules (`expr`) and ref-access rules (`access`). Each has
//! its own error enum; [`ValidationError`] wraps them with where they arose.
//!
//! The promise: `validate` never panics, on any input. If it returns `Ok`, tiling and
//! codegen may rely on every fact checked here (and on the returned [`KernelInfo`]).

mod access;
mod body;
mod expr;
mod index_map;
mod info;
mod path;
mod signature;

use std::borrow::Cow;

use thiserror::Error;

pub use access::AccessError;
pub use body::BodyError;
pub use expr::ExprError;
pub use index_map::IndexMapError;
pub use info::{KernelInfo, OperandInfo};
pub use path::{OpPath, PathSegment};
pub use signature::SignatureError;

use crate::Kernel;

/// Why a kernel is invalid, and where.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum ValidationError {
    #[error("kernel signature: {0}")]
    Signature(#[from] SignatureError),
    #[error("index map of {operand}: {error}")]
    IndexMap {
        operand: String,
        error: IndexMapError,
    },
    /// Boxed because type errors carry whole types and errors should stay cheap to return.
    #[error("at {path}: {error}")]
    Body { path: OpPath, error: Box<BodyError> },
}

impl ValidationError {
    /// The body error, if this is one.
    pub fn body_error(&self) -> Option<&BodyError> {
        match self {
            ValidationError::Body { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Checks the whole kernel and returns the facts later passes reuse.
pub fn validate(kernel: &Kernel) -> Result<KernelInfo, ValidationError> {
    signature::check(kernel)?;
    let operands = kernel
        .inputs
        .iter()
        .map(|o| ("input", o))
        .chain(kernel.outputs.iter().map(|o| ("output", o)));
    for (side, operand) in operands {
        if let Some(window) = &operand.spec.window {
            index_map::check(kernel, operand, window).map_err(|error| {
                ValidationError::IndexMap {
                    operand: format!("{side} `{}`", operand.name),
                    error,
                }
            })?;
        }
    }
    let value_types = body::check(kernel)?;
    Ok(KernelInfo::new(kernel, value_types))
}

/// A kernel that passed [`validate`], carrying the [`KernelInfo`] it produced.
///
/// Backends (Mosaic lowering, the custom-call wrapper, the interpreter) take one through
/// [`Validated`], so a pipeline validates once (`ValidKernel::new`) however many passes
/// read the kernel; each still accepts a plain [`Kernel`], validated on the spot.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidKernel {
    kernel: Kernel,
    info: KernelInfo,
}

impl ValidKernel {
    /// Validates `kernel`.
    pub fn new(kernel: Kernel) -> Result<Self, ValidationError> {
        let info = validate(&kernel)?;
        Ok(ValidKernel { kernel, info })
    }

    pub fn kernel(&self) -> &Kernel {
        &self.kernel
    }

    pub fn info(&self) -> &KernelInfo {
        &self.info
    }

    pub fn into_parts(self) -> (Kernel, KernelInfo) {
        (self.kernel, self.info)
    }
}

/// What a backend accepts: a [`ValidKernel`] as it is, or a [`Kernel`] validated now
/// (`as_ref` gives the kernel either way, e.g. for its name in an error).
pub trait Validated: AsRef<Kernel> {
    fn validated(&self) -> Result<Cow<'_, ValidKernel>, ValidationError>;
}

impl AsRef<Kernel> for ValidKernel {
    fn as_ref(&self) -> &Kernel {
        &self.kernel
    }
}

impl AsRef<Kernel> for Kernel {
    fn as_ref(&self) -> &Kernel {
        self
    }
}

impl Validated for ValidKernel {
    fn validated(&self) -> Result<Cow<'_, ValidKernel>, ValidationError> {
        Ok(Cow::Borrowed(self))
    }
}

impl Validated for Kernel {
    fn validated(&self) -> Result<Cow<'_, ValidKernel>, ValidationError> {
        ValidKernel::new(self.clone()).map(Cow::Owned)
    }
}
