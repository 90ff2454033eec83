//! The crate's one error type.

use pallas_flash_ir::ValidationError;
use thiserror::Error;

/// Why a kernel could not be lowered, wrapped or compiled.
#[derive(Debug, Error)]
pub enum CodegenError {
    /// The kernel failed `pallas_flash_ir::validate`; nothing reached MLIR.
    #[error("invalid kernel (fix it before codegen): {0}")]
    Invalid(#[from] ValidationError),

    /// A valid kernel uses something this backend has no lowering rule for.
    #[error(
        "no Mosaic lowering for {what} at {at}: rewrite the kernel without it, or add a rule in \
         crates/codegen/src/mosaic/rules.rs"
    )]
    Unsupported { what: String, at: String },

    /// MLIR's verifier rejected an op we built: a codegen bug, reported with the op's IR path.
    #[error("MLIR verifier rejected the op at {op}: {message} (a codegen bug: please report it with the kernel's text)")]
    Verifier { op: String, message: String },

    /// An MLIR call failed (an attribute or type that did not parse, a pass that failed).
    #[error("MLIR {context} failed: {message}")]
    Mlir { context: String, message: String },

    /// The kernel's VMEM plan exceeds its scoped limit (checked before libtpu sees it).
    #[error(
        "{0} (to let libtpu judge anyway, compile with CompileSettings::without_budget_check)"
    )]
    Budget(#[from] pallas_flash_tiling::BudgetError),

    /// A StableHLO program was assembled from inconsistent pieces.
    #[error("StableHLO program: {0}")]
    Program(String),

    /// libtpu (or the compile worker) failed; `VmemOom` is libtpu's E1001.
    #[error(transparent)]
    Compile(#[from] pallas_flash_runtime::Error),
}

impl CodegenError {
    /// Whether libtpu rejected the kernel for exceeding its scoped VMEM limit (E1001).
    pub fn is_vmem_oom(&self) -> bool {
        matches!(
            self,
            CodegenError::Compile(pallas_flash_runtime::Error::VmemOom { .. })
        )
    }

    pub(crate) fn unsupported(what: impl Into<String>, at: impl Into<String>) -> Self {
        CodegenError::Unsupported {
            what: what.into(),
            at: at.into(),
        }
    }

    pub(crate) fn mlir(context: impl Into<String>, message: impl Into<String>) -> Self {
        CodegenError::Mlir {
            context: context.into(),
            message: message.into(),
        }
    }
}

pub type Result<T, E = CodegenError> = std::result::Result<T, E>;
