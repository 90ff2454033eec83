//! Host-side companions of the kernels: the query-tile layout and the log-sum-exp
//! combine in f64, the same formula as [`super::combine_kernel`] (used to check the
//! kernels and to combine per-chip partials).

use ndarray::{Array3, Array4, ArrayView4, ArrayView5};

use super::config::QUERY_ROW_TILE;

/// `[B, q_len, H_q, D]` → `[B, H_kv, tile_rows, D]`: token-major rows `t·G + g` per KV
/// head, then zero rows up to a multiple of [`QUERY_ROW_TILE`]
/// ([`super::FlashDecodingConfig::tile_rows`]). This is what a caller passes as `q`.
pub fn query_tile<T: Clone + Default>(q: ArrayView4<T>, kv_heads: usize) -> Array4<T> {
    let (b, q_len, hq, d) = q.dim();
    let group = hq / kv_heads.max(1);
    let rows = q_len * group;
    Array4::from_shape_fn(
        (b, kv_heads, rows.next_multiple_of(QUERY_ROW_TILE), d),
        |(bi, h, row, di)| {
            if row < rows {
                q[[bi, row / group, h * group + row % group, di]].clone()
            } else {
                T::default()
            }
        },
    )
}

/// The inverse of [`query_tile`]: `[B, H_kv, tile_rows, D]` → `[B, q_len, H_q, D]`,
/// dropping the padding rows.
pub fn untile_output<T: Clone>(o: ArrayView4<T>, q_len: usize, q_heads: usize) -> Array4<T> {
    let (b, hkv, _, d) = o.dim();
    let group = q_heads / hkv.max(1);
    Array4::from_shape_fn((b, q_len, q_heads, d), |(bi, t, h, di)| {
        o[[bi, h / group, t * group + h % group, di]].clone()
    })
}

/// Combines partials `acc: [B, H, S, rows, D]`, `m`, `l: [B, H, S, rows, lanes]` (lane 0
/// is read) over the split axis: `o = Σ α_s acc_s / Σ α_s l_s`, `α_s = exp(m_s - max m)`,
/// and returns `(o: [B, H, rows, D], lse: [B, H, rows])`; an empty row gives 0 and `-inf`.
pub fn combine_partials(
    acc: ArrayView5<f64>,
    m: ArrayView5<f64>,
    l: ArrayView5<f64>,
) -> (Array4<f64>, Array3<f64>) {
    let (b, h, s, rows, d) = acc.dim();
    let mut o = Array4::zeros((b, h, rows, d));
    let mut lse = Array3::from_elem((b, h, rows), f64::NEG_INFINITY);
    for ((bi, hi, r), lse_out) in lse.indexed_iter_mut() {
        let stat = |x: &ArrayView5<f64>, si: usize| x[[bi, hi, si, r, 0]];
        let max = (0..s)
            .map(|si| stat(&m, si))
            .fold(f64::NEG_INFINITY, f64::max);
        let shift = if max == f64::NEG_INFINITY { 0.0 } else { max };
        let alpha: Vec<f64> = (0..s).map(|si| (stat(&m, si) - shift).exp()).collect();
        let total: f64 = (0..s).map(|si| alpha[si] * stat(&l, si)).sum();
        *lse_out = shift + total.ln();
        if total == 0.0 {
            continue;
        }
        for di in 0..d {
            let sum: f64 = (0..s).map(|si| alpha[si] * acc[[bi, hi, si, r, di]]).sum();
            o[[bi, hi, r, di]] = sum / total;
        }
    }
    (o, lse)
}
