//! Why a piece of HLO text could not be read.

use thiserror::Error;

/// A parse failure, located so that a user can open the dump at the right line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}, column {column}: {kind}")]
pub struct ParseError {
    /// 1-based line in the module text.
    pub line: usize,
    /// 1-based character column in that line.
    pub column: usize,
    /// What was wrong there.
    pub kind: ParseErrorKind,
}

/// The ways HLO text can be malformed, as far as this reader cares.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseErrorKind {
    #[error("expected {expected}, found {found:?}")]
    Expected {
        expected: &'static str,
        found: String,
    },
    #[error("number {0:?} does not fit")]
    BadNumber(String),
    #[error("unclosed {0:?}")]
    Unclosed(char),
    #[error("computation {0:?} is not closed by '}}'")]
    UnclosedComputation(String),
    #[error("instruction outside of any computation")]
    StrayInstruction,
    #[error("duplicate instruction name {0:?}")]
    DuplicateName(String),
    #[error("no HloModule header")]
    MissingHeader,
}
