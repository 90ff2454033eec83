//! Errors: text that does not parse, ops the emulator cannot run, operands that do not
//! match the kernel, and faults found while running (the checks the hardware does not make).

use thiserror::Error;

/// Where in the text a parse failed.
#[derive(Debug, Error, Clone, PartialEq)]
#[error("line {line}, column {column}: {message} (near `{near}`)")]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub near: String,
}

/// What went wrong while a kernel ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// A vector or scalar access outside its buffer (libtpu does not check these).
    OutOfBounds,
    /// A DMA source or target, or a memref slice, outside its buffer.
    DmaOutOfBounds,
    /// A wait on a semaphore no in-flight DMA or signal will ever satisfy.
    Deadlock,
    /// Two in-flight DMAs writing overlapping parts of one buffer.
    DmaOverlap,
    /// A DMA started and never waited for by the end of the kernel.
    UnwaitedDma,
    /// Values of the wrong kind or shape reached an op (a malformed module).
    Type,
}

/// A fault raised by one op, before the executor adds where it happened.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    pub kind: FaultKind,
    pub message: String,
}

impl Fault {
    pub fn new(kind: FaultKind, message: impl Into<String>) -> Self {
        Fault {
            kind,
            message: message.into(),
        }
    }

    pub fn ty(message: impl Into<String>) -> Self {
        Fault::new(FaultKind::Type, message)
    }
}

#[derive(Debug, Error)]
pub enum Error {
    #[error("Mosaic text does not parse: {0}")]
    Parse(#[from] ParseError),

    #[error("unknown op `{op}` at {location} (line {line}): the emulator has no semantics for it")]
    UnknownOp {
        op: String,
        location: String,
        line: usize,
    },

    #[error("`{op}` at {location} (line {line}): {message}")]
    Malformed {
        op: String,
        location: String,
        line: usize,
        message: String,
    },

    #[error("kernel signature: {0}")]
    Signature(String),

    #[error("operand {index} ({what}): {message}")]
    Operand {
        index: usize,
        what: String,
        message: String,
    },

    #[error("{kind:?} at grid step {step:?}, `{op}` at {location}: {message}")]
    Fault {
        kind: FaultKind,
        step: Vec<i64>,
        op: String,
        location: String,
        message: String,
    },

    #[error("{path}: {message}")]
    Npy { path: String, message: String },
}

impl Error {
    /// The kind of a runtime fault, if this is one.
    pub fn fault_kind(&self) -> Option<FaultKind> {
        match self {
            Error::Fault { kind, .. } => Some(*kind),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
