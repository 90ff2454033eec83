//! The interpreter's one error type: every variant says what was wrong, with the
//! numbers, and what to do about it.

use pallas_flash_ir::{DType, ValidationError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("kernel `{kernel}` is invalid: {error}; fix the kernel (pallas_flash_ir::validate reports the same)")]
    Invalid {
        kernel: String,
        error: ValidationError,
    },
    #[error("{what} `{name}` has dtype {dtype}, which has no host array type (f32, bf16, i32, i8); keep 8-bit floats inside the kernel and cast at its edges")]
    UnsupportedDtype {
        what: &'static str,
        name: String,
        dtype: DType,
    },
    #[error("{what} `{name}` dim {dim} is {extent} elements once padded to whole blocks; the interpreter addresses arrays with i32 offsets, so keep every extent below 2^31")]
    TooLarge {
        what: &'static str,
        name: String,
        dim: usize,
        extent: usize,
    },
    #[error("kernel `{kernel}` takes {expected} arrays ({prefetch} scalar-prefetch, then {inputs} inputs) but got {got}; pass them in that order")]
    ArgumentCount {
        kernel: String,
        expected: usize,
        prefetch: usize,
        inputs: usize,
        got: usize,
    },
    #[error("argument {index} (`{name}`) has shape {got:?} but the kernel declares {expected:?}; pass an array of the declared shape")]
    ArgumentShape {
        index: usize,
        name: String,
        expected: Vec<usize>,
        got: Vec<usize>,
    },
    #[error("argument {index} (`{name}`) holds {got} but the kernel declares {expected}; convert it before the call")]
    ArgumentDtype {
        index: usize,
        name: String,
        expected: DType,
        got: DType,
    },
    #[error("the index map of {operand} returned block index {index} for dim {dim} at grid point {point:?}, outside 0..{blocks} ({blocks} blocks of {block} in extent {extent}); clamp it with min/max or fix the scalar-prefetch table")]
    BlockIndexOutOfRange {
        operand: String,
        dim: usize,
        index: i32,
        point: Vec<usize>,
        blocks: usize,
        block: usize,
        extent: usize,
    },
    #[error("`{name}` dim {dim}: dynamic offset {offset} at grid point {point:?} is outside 0..={max}, so the access leaves the ref; clamp the offset")]
    OffsetOutOfRange {
        name: String,
        dim: usize,
        offset: i32,
        max: i32,
        point: Vec<usize>,
    },
    #[error("CPU PJRT runtime: {0}")]
    Runtime(#[from] pallas_flash_runtime::Error),
}
