//! A program handed to PJRT: StableHLO as MLIR text or bytecode.

/// StableHLO (or any MLIR the plugin accepts) in PJRT's `"mlir"` format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    code: Vec<u8>,
}

impl Program {
    /// MLIR in its textual form (`module { func.func @main … }`).
    pub fn mlir_text(text: impl Into<String>) -> Program {
        Program {
            code: text.into().into_bytes(),
        }
    }

    /// MLIR bytecode (what `jax.jit(...).lower(...)` serializes); PJRT's "mlir" format takes both.
    pub fn mlir_bytecode(bytes: impl Into<Vec<u8>>) -> Program {
        Program { code: bytes.into() }
    }

    pub fn code(&self) -> &[u8] {
        &self.code
    }

    pub(crate) const FORMAT: &'static str = "mlir";
}
