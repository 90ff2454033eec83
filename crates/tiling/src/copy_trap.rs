//! Copy-trap prediction: which operands XLA will relayout around the kernel.
//!
//! A kernel demands row-major operands. XLA's default TPU layout for an array whose
//! minor dim is not a multiple of 128 is not row-major, so XLA copies such an input
//! into row-major before the kernel and copies such an output back after it (docs/design.md §6).
//! Measured with libtpu 0.0.52 on v5e (`tests/data/traps.jsonl`): minor dims 32, 64, 96,
//! 192 and 200 each cost one copy per side, for bf16 and f32; 128, 256, 640 and 768
//! cost none. Each copy reads and writes the whole array in HBM.
//!
//! The prediction works from array shapes alone, so it holds for `Any` operands too.
//! Two fixes are proposed:
//! - pad the minor dim at the producer to the next multiple of 128 (zeros), take blocks
//!   of the padded width and ignore (mask) the padding in the kernel;
//! - when the block already covers the trailing dims whole, fold them into one minor
//!   dim that is a multiple of 128 (a free row-major reshape) and take a full-dim block
//!   over it.

use std::fmt;

use pallas_flash_ir::{BlockDim, DType, Kernel};

use crate::bytes::Bytes;
use crate::rules::labelled_operands;
use crate::Target;

/// Which side of the kernel the copy lands on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Before the kernel: a copy into row-major.
    Feed,
    /// After the kernel: a copy out of row-major.
    Drain,
}

/// How to avoid the copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fix {
    /// Pad `dim` from `from` to `to` where the array is produced; the kernel takes
    /// blocks of `to` and masks the padding. Costs `extra_bytes` of HBM.
    PadAtProducer {
        dim: usize,
        from: usize,
        to: usize,
        extra_bytes: u64,
    },
    /// Reshape to `shape` (dims `from_dim..` folded into the minor dim, a multiple of
    /// 128) and take a full-dim block over the folded dim.
    FoldIntoMinorDim { from_dim: usize, shape: Vec<usize> },
}

impl fmt::Display for Fix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fix::PadAtProducer { dim, from, to, extra_bytes } => write!(
                f,
                "pad dim {dim} from {from} to {to} at the producer and mask the padding in the kernel (+{} HBM)",
                Bytes(*extra_bytes)
            ),
            Fix::FoldIntoMinorDim { from_dim, shape } => write!(
                f,
                "fold dims {from_dim}.. into the minor dim (reshape to {shape:?}, free in row-major) and take a full-dim block over it"
            ),
        }
    }
}

/// A predicted relayout copy around the kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyTrap {
    /// `input `q``, `output `o``.
    pub operand: String,
    pub side: Side,
    pub shape: Vec<usize>,
    pub dtype: DType,
    /// HBM bytes the copy reads and writes (2 × the array).
    pub copy_bytes: u64,
    /// Fixes, cheapest first.
    pub fixes: Vec<Fix>,
}

impl fmt::Display for CopyTrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = match self.side {
            Side::Feed => "copied into row-major before the kernel",
            Side::Drain => "copied out of row-major after the kernel",
        };
        let minor = self.shape.last().copied().unwrap_or(0);
        write!(
            f,
            "{} {}{:?}: minor dim {minor} is not a multiple of 128, so XLA's default layout is not row-major and it is {side} ({} of HBM traffic)",
            self.operand,
            self.dtype,
            self.shape,
            Bytes(self.copy_bytes)
        )?;
        for fix in &self.fixes {
            write!(f, "; fix: {fix}")?;
        }
        Ok(())
    }
}

/// Whether an array of this shape gets a non-row-major default layout on `target`.
pub fn needs_relayout(target: &Target, shape: &[usize]) -> bool {
    shape.len() >= 2 && !shape[shape.len() - 1].is_multiple_of(target.lanes as usize)
}

/// Predicts the copies XLA adds around `kernel` and proposes fixes.
pub fn predict(target: &Target, kernel: &Kernel) -> Vec<CopyTrap> {
    let lanes = target.lanes as usize;
    labelled_operands(kernel)
        .filter(|(_, o)| needs_relayout(target, &o.shape))
        .map(|(label, o)| {
            let rank = o.shape.len();
            let minor = o.shape[rank - 1];
            let array_bytes: u64 =
                o.shape.iter().map(|&d| d as u64).product::<u64>() * u64::from(o.dtype.byte_size());
            let padded = minor.div_ceil(lanes) * lanes;
            let mut fixes = vec![Fix::PadAtProducer {
                dim: rank - 1,
                from: minor,
                to: padded,
                extra_bytes: array_bytes / minor as u64 * (padded - minor) as u64,
            }];
            let whole = |dim: usize| match &o.spec.window {
                None => true,
                Some(w) => w.block_shape[dim] == BlockDim::Blocked(o.shape[dim]),
            };
            let fold = (0..rank - 1)
                .rev()
                .take_while(|&d| whole(d) && whole(rank - 1))
                .find(|&d| o.shape[d..].iter().product::<usize>() % lanes == 0);
            if let Some(from_dim) = fold {
                let mut shape = o.shape[..from_dim].to_vec();
                shape.push(o.shape[from_dim..].iter().product());
                fixes.insert(0, Fix::FoldIntoMinorDim { from_dim, shape });
            }
            let side = if label.starts_with("input") {
                Side::Feed
            } else {
                Side::Drain
            };
            CopyTrap {
                operand: label,
                side,
                shape: o.shape.clone(),
                dtype: o.dtype,
                copy_bytes: 2 * array_bytes,
                fixes,
            }
        })
        .collect()
}
