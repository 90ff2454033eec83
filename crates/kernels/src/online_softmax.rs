//! One online-softmax step, shared by FlashAttention and FlashDecoding, and the one
//! policy for rows that see no key.
//!
//! **The policy.** The running max starts at [`MAX_FLOOR`] (`-1e30`) instead of `-inf`.
//! Masked scores are `-inf`, so `exp(score - max)` is exactly 0 for them, and
//! `exp(old_max - new_max)` is never `exp(-inf + inf)` = NaN, even for a row that has seen
//! no key yet. It costs nothing per step: no compare-and-select on the max, which is what a
//! NaN-safe shift (`max` where finite, else 0) needs on every masked step. A row that sees
//! no key ends with `l = 0`, so the kernels normalize its output to 0 and its logsumexp
//! `m + log(l)` is `-inf`, as the references define; a combine of partials (split-KV
//! decoding) needs no shift either, since every partial max is finite.

use pallas_flash_ir::{DType, KernelBuilder, Value};

/// Where the running max starts (see the module docs).
pub const MAX_FLOOR: f64 = -1e30;

/// The base of a step's exponentials, and so the unit of its scores and running max.
///
/// The TPU computes `exp(x)` as `exp2(x · log2 e)`: one VPU multiply per score on top of
/// the EUP's `exp2`. A kernel whose scores come out of a scaled operand folds log2(e) into
/// that scale once ([`Base::Two`], scores in base-2 units) and saves the multiply on every
/// score (FlashAttention); FlashDecoding keeps natural units ([`Base::E`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Base {
    E,
    Two,
}

impl Base {
    /// The factor that turns natural-log scores into this base's units.
    pub fn per_nat(self) -> f64 {
        match self {
            Base::E => 1.0,
            Base::Two => std::f64::consts::LOG2_E,
        }
    }

    /// `base^x`.
    pub fn exp(self, k: &mut KernelBuilder, x: Value) -> Value {
        match self {
            Base::E => k.exp(x),
            Base::Two => k.exp2(x),
        }
    }
}

/// The running statistics of a tile of query rows: max `m` and sum `l` (`[rows, 1]`),
/// unnormalized output `acc` (`[rows, d]`), all f32.
pub(crate) type Stats = [Value; 3];

/// Folds the scores `s` (`[rows, cols]` f32 in `base` units, masked entries `-inf`) into
/// `[m, l, acc]`, returning the new statistics (`m` in `base` units: the row's logsumexp is
/// `m / base.per_nat() + ln l`); `pv` multiplies the probabilities (`[rows, cols]` in
/// `dtype`) by the values, e.g. `|k, p| k.dot(p, v)` for `v` stored `[cols, d]`.
pub(crate) fn step(
    k: &mut KernelBuilder,
    base: Base,
    s: Value,
    [rows, cols, d]: [usize; 3],
    [m_prev, l_prev, acc_prev]: Stats,
    pv: impl FnOnce(&mut KernelBuilder, Value) -> Value,
    dtype: DType,
) -> Stats {
    let m_cur = k.reduce_max(s, 1);
    let m_new = k.max(m_prev, m_cur);
    let m_wide = k.broadcast(m_new, [rows, cols]);
    let centered = k.sub(s, m_wide);
    let p = base.exp(k, centered);
    let m_diff = k.sub(m_prev, m_new);
    // Rescales what was accumulated so far.
    let alpha = base.exp(k, m_diff);
    let l_kept = k.mul(alpha, l_prev);
    let p_sum = k.sum(p, 1);
    let l_new = k.add(l_kept, p_sum);
    let alpha_wide = k.broadcast(alpha, [rows, d]);
    let acc_kept = k.mul(acc_prev, alpha_wide);
    let p_low = if dtype == DType::F32 {
        p
    } else {
        k.cast(p, dtype)
    };
    let pv = pv(k, p_low);
    let acc_new = k.add(acc_kept, pv);
    [m_new, l_new, acc_new]
}
