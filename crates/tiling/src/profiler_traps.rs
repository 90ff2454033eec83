//! Kernels the validator accepts and libtpu compiles, but whose static profile aborts
//! libtpu 0.0.52 (SIGABRT in the compile worker, an `LLO_CHECK` type check: `Expected
//! vector-bf16packed, got vector-int16`). Predicted before compiling, with the cure.
//!
//! Measured on v5e with `compile_for_tpu(…, with_static_profile())` (one-step grids):
//! - a rank-1 bf16 window (`w: bf16[768]` read and broadcast) aborts in `vunpack`; the
//!   same window in f32, or viewed as `[1, 768]`, profiles;
//! - a bf16 dot whose left operand has 8 rows aborts in `vmatmul.bf16` when it contracts
//!   over more than 128 (k = 256, 512, 768); 1, 4, 12 and 16 rows profile, and so do 8
//!   rows at k = 128 (FlashDecoding's 8-row query tiles at D = 128).

use std::fmt;

use pallas_flash_ir::{DType, Expr, Kernel, KernelInfo, MemorySpace, RefType};

/// One pattern that aborts the static profiler, where, and what to do instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProfilerTrap {
    /// An operand whose window the body sees as a rank-1 bf16 ref.
    Rank1Bf16Window { operand: String, length: usize },
    /// A bf16 dot whose left operand has 8 rows and contracts over more than 128.
    EightRowBf16Dot {
        value: String,
        rows: usize,
        k: usize,
    },
}

impl fmt::Display for ProfilerTrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProfilerTrap::Rank1Bf16Window { operand, length } => write!(
                f,
                "`{operand}` is a rank-1 bf16 window [{length}]: libtpu's static profiler aborts on it (vunpack); view it as [1, {length}]"
            ),
            ProfilerTrap::EightRowBf16Dot { value, rows, k } => write!(
                f,
                "dot {value} multiplies a bf16 operand of {rows} rows over k = {k}: libtpu's static profiler aborts on it (vmatmul.bf16); pad the rows to 16"
            ),
        }
    }
}

/// Every profiler trap in a validated kernel.
pub fn profiler_traps(kernel: &Kernel, info: &KernelInfo) -> Vec<ProfilerTrap> {
    let operands = kernel.inputs.iter().chain(&kernel.outputs);
    let infos = info.inputs.iter().chain(&info.outputs);
    let windows =
        operands
            .zip(infos)
            .filter_map(|(operand, operand_info)| match &operand_info.ref_type {
                RefType::Buffer {
                    dtype: DType::Bf16,
                    shape,
                    space: MemorySpace::Vmem,
                } if shape.len() == 1 => Some(ProfilerTrap::Rank1Bf16Window {
                    operand: operand.name.clone(),
                    length: shape[0],
                }),
                _ => None,
            });
    let dots = kernel.exprs.iter().filter_map(|(value, expr)| {
        let Expr::Dot { lhs, dims, .. } = expr else {
            return None;
        };
        let l = info.value_type(*lhs)?;
        let rank = l.shape.len();
        let rows_dim = if dims.lhs_contracting == rank - 1 {
            rank.checked_sub(2)?
        } else {
            rank - 1
        };
        let (rows, k) = (l.shape[rows_dim], l.shape[dims.lhs_contracting]);
        (l.dtype == DType::Bf16 && rows == 8 && k > 128).then(|| ProfilerTrap::EightRowBf16Dot {
            value: value.to_string(),
            rows,
            k,
        })
    });
    windows.chain(dots).collect()
}
