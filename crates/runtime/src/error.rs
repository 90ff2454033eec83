//! The runtime's one error type. Every PJRT failure keeps its status code and message; the
//! failures a user can act on (missing plugin, unknown topology, out of memory, a crashed
//! compile) get their own variants with what to do.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A PJRT / absl status code (`PJRT_Error_Code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorCode {
    Cancelled,
    Unknown,
    InvalidArgument,
    DeadlineExceeded,
    NotFound,
    AlreadyExists,
    PermissionDenied,
    ResourceExhausted,
    FailedPrecondition,
    Aborted,
    OutOfRange,
    Unimplemented,
    Internal,
    Unavailable,
    DataLoss,
    Unauthenticated,
}

impl ErrorCode {
    pub(crate) fn from_raw(code: u32) -> Self {
        use ErrorCode::*;
        match code {
            1 => Cancelled,
            3 => InvalidArgument,
            4 => DeadlineExceeded,
            5 => NotFound,
            6 => AlreadyExists,
            7 => PermissionDenied,
            8 => ResourceExhausted,
            9 => FailedPrecondition,
            10 => Aborted,
            11 => OutOfRange,
            12 => Unimplemented,
            13 => Internal,
            14 => Unavailable,
            15 => DataLoss,
            16 => Unauthenticated,
            _ => Unknown,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
pub enum Error {
    #[error(
        "PJRT plugin not found at {path}: run `cargo xtask setup` to download the pinned plugins, \
         or set {env_var} to the plugin's .so"
    )]
    PluginMissing { path: PathBuf, env_var: String },

    #[error("cannot load PJRT plugin {path}: {reason}")]
    PluginLoad { path: PathBuf, reason: String },

    #[error(
        "PJRT plugin {path} speaks C API {found_major}.{found_minor}, but this runtime needs \
         {required_major}.{required_minor} or newer: use a newer plugin (see crates/runtime/src/pinned.rs)"
    )]
    ApiVersionTooOld {
        path: PathBuf,
        found_major: i32,
        found_minor: i32,
        required_major: i32,
        required_minor: i32,
    },

    #[error("the plugin does not implement {function} (PJRT C API {api_major}.{api_minor})")]
    Unsupported {
        function: String,
        api_major: i32,
        api_minor: i32,
    },

    #[error("{operation} failed with {code:?}: {message}")]
    Pjrt {
        operation: String,
        code: ErrorCode,
        message: String,
    },

    #[error(
        "unknown TPU topology `{name}`: use `<chip>:<shape>` such as v5e:1x1, v5e:2x2, v6e:1x1, \
         v5p:2x2x1 or v4:2x2x1 (plugin said: {message})"
    )]
    UnknownTopology { name: String, message: String },

    #[error(
        "this kernel needs a TPU target: compile it against a TPU topology (`Topology::tpu`), not \
         the CPU plugin; run it on CPU through the interpret lowering instead (plugin said: {message})"
    )]
    NeedsTpuTarget { message: String },

    #[error(
        "HBM out of memory at compile time (libtpu E1000): {message}. Shrink the problem, \
         shard it over more chips, or use a kernel that does not materialize the temporaries"
    )]
    HbmOom { message: String },

    #[error(
        "scoped VMEM out of memory at compile time (libtpu E1001): {message}. Use smaller blocks \
         or raise the kernel's vmem_limit_bytes (up to the chip's physical VMEM)"
    )]
    VmemOom { message: String },

    #[error(
        "the compile worker died from signal {signal} ({signal_name}); last stderr:\n{stderr_tail}"
    )]
    CompileCrashed {
        signal: i32,
        signal_name: String,
        stderr_tail: String,
    },

    #[error("compile worker failed: {message}")]
    Worker { message: String },

    #[error("host data does not match the buffer: {message}")]
    HostData { message: String },

    #[error("static profile unavailable: {message}")]
    Profile { message: String },

    #[error("{context}: {message}")]
    Io { context: String, message: String },
}

impl Error {
    /// Classifies a PJRT failure: the cases users act on get their own variant.
    pub(crate) fn from_pjrt(operation: &str, code: ErrorCode, message: String) -> Self {
        if message.contains("CompileTimeHbmOom") {
            Error::HbmOom { message }
        } else if message.contains("CompileTimeScopedVmemOom") {
            Error::VmemOom { message }
        } else if message.contains("tpu_custom_call") && code == ErrorCode::NotFound {
            Error::NeedsTpuTarget { message }
        } else {
            Error::Pjrt {
                operation: operation.to_string(),
                code,
                message,
            }
        }
    }

    pub(crate) fn io(context: impl Into<String>, error: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            message: error.to_string(),
        }
    }

    /// The PJRT status code, when the error came from the plugin.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::Pjrt { code, .. } => Some(*code),
            Error::HbmOom { .. } | Error::VmemOom { .. } => Some(ErrorCode::ResourceExhausted),
            Error::NeedsTpuTarget { .. } => Some(ErrorCode::NotFound),
            Error::UnknownTopology { .. } => Some(ErrorCode::InvalidArgument),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_libtpu_out_of_memory() {
        let hbm = Error::from_pjrt(
            "compile",
            ErrorCode::ResourceExhausted,
            "E1000: CompileTimeHbmOom: HLO temporaries (33.25G) exceeds available HBM (15.75G)"
                .into(),
        );
        assert!(matches!(hbm, Error::HbmOom { .. }));
        assert!(hbm.to_string().contains("33.25G"));
        let vmem = Error::from_pjrt(
            "compile",
            ErrorCode::ResourceExhausted,
            "E1001: CompileTimeScopedVmemOom: exceeded scoped vmem limit by 65.49M".into(),
        );
        assert!(matches!(vmem, Error::VmemOom { .. }));
        assert_eq!(vmem.code(), Some(ErrorCode::ResourceExhausted));
    }

    #[test]
    fn custom_call_on_cpu_says_to_use_a_tpu_topology() {
        let e = Error::from_pjrt(
            "compile",
            ErrorCode::NotFound,
            "No registered implementation for untyped custom call to tpu_custom_call for Host"
                .into(),
        );
        assert!(e.to_string().contains("this kernel needs a TPU target"));
    }

    #[test]
    fn other_failures_keep_code_and_message() {
        let e = Error::from_pjrt("compile", ErrorCode::Unknown, "parse error at 3:7".into());
        assert_eq!(e.code(), Some(ErrorCode::Unknown));
        assert!(e.to_string().contains("parse error at 3:7"));
    }
}
