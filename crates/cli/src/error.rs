//! Every way a command fails, each saying what to change.

use pallas_flash::codegen::CodegenError;
use pallas_flash::kernels::flash_attention::FlashAttentionError;
use pallas_flash::kernels::flash_decoding::FlashDecodingError;
use pallas_flash::kernels::matmul::MatmulError;
use pallas_flash::runtime;
use pallas_flash::tiling::{AlignmentError, BudgetError, SearchError, TargetError};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum CliError {
    /// A flag combination the kernel cannot take.
    #[error("{0}")]
    Flag(String),

    /// A kernel family refused to build (its own error, with its numbers).
    #[error("{0}")]
    Build(String),

    #[error("{0}")]
    Target(#[from] TargetError),

    #[error(transparent)]
    Matmul(#[from] MatmulError),

    #[error(transparent)]
    FlashAttention(#[from] FlashAttentionError),

    #[error(transparent)]
    FlashDecoding(#[from] FlashDecodingError),

    #[error("misaligned block{}:\n  {}", if .0.len() > 1 { "s" } else { "" }, .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  "))]
    Alignment(Vec<AlignmentError>),

    #[error("VMEM over budget: {0} (or pass --vmem-limit-mib)")]
    Budget(#[from] BudgetError),

    #[error(transparent)]
    Search(#[from] SearchError),

    #[error(transparent)]
    Codegen(#[from] CodegenError),

    #[error(transparent)]
    Runtime(#[from] runtime::Error),

    #[error("emulator: {0}")]
    Emulator(#[from] pallas_flash::emulator::Error),

    #[error(transparent)]
    Interpret(#[from] pallas_flash::interpret::Error),

    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },

    #[error("{context}: {source}")]
    Json {
        context: String,
        source: serde_json::Error,
    },
}

impl CliError {
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> CliError {
        let context = context.into();
        move |source| CliError::Io { context, source }
    }

    pub fn json(context: impl Into<String>) -> impl FnOnce(serde_json::Error) -> CliError {
        let context = context.into();
        move |source| CliError::Json { context, source }
    }

    /// libtpu's compile-time HBM OOM (E1000), however it reached us.
    pub fn is_hbm_oom(&self) -> bool {
        matches!(
            self,
            CliError::Runtime(runtime::Error::HbmOom { .. })
                | CliError::Codegen(CodegenError::Compile(runtime::Error::HbmOom { .. }))
        )
    }
}

/// Runs a command body: prints the error and turns it into exit status 1.
pub fn exit_code(result: Result<(), CliError>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
