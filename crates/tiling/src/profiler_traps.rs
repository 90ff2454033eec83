//! Kernels the validator accepts and libtpu compiles, but whose static profile aborts
//! libtpu 0.0.52 (SIGABRT in the compile worker, an `LLO_CHECK` type check: `Expected
//! vector-bf16packed, got vector-int16`). Predicted before compiling, with the cure.
//!
//! Measured on v5e with `compile_for_tpu(…, with_static_profile())` (one-step grids):
//! - a rank-1 bf16 window (`w: bf16[768]` read and broadcast) aborts in `vunpack`; the
//!   same window in f32 profiles;
//! - so does broadcasting a bf16 row (`[1, 768]` to `[16, 768]`); a `[1, d]` bf16 window
//!   cast to f32 before its broadcast profiles (the walkthrough's RMSNorm weight);
//! - a bf16 dot whose left operand is 8 rows loaded from a ref aborts in `vmatmul.bf16`
//!   when it contracts over more than 128 (k = 256, 512, 768); 1, 4, 12 and 16 rows
//!   profile, and so do 8 rows at k = 128 (FlashDecoding's 8-row query tiles at D = 128)
//!   and 8 computed rows (FlashDecoding's `p · v` over 4096 keys).

use std::fmt;

use pallas_flash_ir::{DType, Expr, Kernel, KernelInfo, MemorySpace, RefType};

/// One pattern that aborts the static profiler, where, and what to do instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProfilerTrap {
    /// An operand whose window the body sees as a rank-1 bf16 ref.
    Rank1Bf16Window { operand: String, length: usize },
    /// A bf16 row (rank 1, or one row) broadcast to more rows.
    Bf16RowBroadcast { value: String, rows: usize },
    /// A bf16 dot whose left operand is 8 rows loaded from a ref, contracting over more
    /// than 128.
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
            ProfilerTrap::Bf16RowBroadcast { value, rows } => write!(
                f,
                "{value} broadcasts a bf16 row to {rows} rows: libtpu's static profiler aborts on it (vunpack); cast the row to f32 before broadcasting"
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
        let loaded = matches!(kernel.exprs.get(*lhs), Some(Expr::Load { .. }));
        let l = info.value_type(*lhs)?;
        let rank = l.shape.len();
        let rows_dim = if dims.lhs_contracting == rank - 1 {
            rank.checked_sub(2)?
        } else {
            rank - 1
        };
        let (rows, k) = (l.shape[rows_dim], l.shape[dims.lhs_contracting]);
        (loaded && l.dtype == DType::Bf16 && rows == 8 && k > 128).then(|| {
            ProfilerTrap::EightRowBf16Dot {
                value: value.to_string(),
                rows,
                k,
            }
        })
    });
    let broadcasts = kernel.exprs.iter().filter_map(|(value, expr)| {
        let Expr::Broadcast { x, shape } = expr else {
            return None;
        };
        let from = info.value_type(*x)?;
        let one_row = from.shape.len() < 2 || from.shape[from.shape.len() - 2] == 1;
        let rows = if shape.len() >= 2 {
            shape[shape.len() - 2]
        } else {
            1
        };
        (from.dtype == DType::Bf16 && one_row && rows > 1).then(|| ProfilerTrap::Bf16RowBroadcast {
            value: value.to_string(),
            rows,
        })
    });
    windows.chain(broadcasts).chain(dots).collect()
}
