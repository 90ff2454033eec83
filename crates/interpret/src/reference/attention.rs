//! Attention forward: `softmax(scale · q kᵀ + mask) v`, and its logsumexp.

use ndarray::{s, Array1, Array2, Array3, ArrayView2, ArrayView3, Axis};

use super::mask::{kv_head, AttentionMask};

/// The forward result: the output and the per-row logsumexp of the scaled, masked
/// scores (what the backward pass and split-KV combines need).
#[derive(Clone, Debug, PartialEq)]
pub struct Attention {
    /// `[heads, seq_q, head_dim]`.
    pub out: Array3<f64>,
    /// `[heads, seq_q]`; `-inf` for a query that sees no key.
    pub lse: Array2<f64>,
}

/// Attention of one batch element: `q` is `[H_q, N_q, D]`, `k` and `v` are
/// `[H_kv, N_kv, D]` with `H_q` a multiple of `H_kv` (GQA/MQA).
pub fn attention(
    q: ArrayView3<f64>,
    k: ArrayView3<f64>,
    v: ArrayView3<f64>,
    mask: &AttentionMask,
) -> Attention {
    let (heads, n_q, d) = q.dim();
    let mut out = Array3::zeros((heads, n_q, d));
    let mut lse = Array2::zeros((heads, n_q));
    for h in 0..heads {
        let g = kv_head(h, heads, k.dim().0);
        let (p, l) = probabilities(q.index_axis(Axis(0), h), k.index_axis(Axis(0), g), mask);
        out.slice_mut(s![h, .., ..])
            .assign(&p.dot(&v.index_axis(Axis(0), g)));
        lse.slice_mut(s![h, ..]).assign(&l);
    }
    Attention { out, lse }
}

/// Softmax probabilities `[N_q, N_kv]` of one head (masked entries 0, rows that see
/// nothing all 0) and each row's logsumexp.
pub(super) fn probabilities(
    q: ArrayView2<f64>,
    k: ArrayView2<f64>,
    mask: &AttentionMask,
) -> (Array2<f64>, Array1<f64>) {
    let scores = q.dot(&k.t()) * mask.scale;
    let mut p = Array2::zeros(scores.dim());
    let mut lse = Array1::from_elem(scores.nrows(), f64::NEG_INFINITY);
    for (i, row) in scores.outer_iter().enumerate() {
        let seen = || (0..row.len()).filter(|&j| mask.allows(i, j));
        let max = seen().map(|j| row[j]).fold(f64::NEG_INFINITY, f64::max);
        if max == f64::NEG_INFINITY {
            continue;
        }
        let total: f64 = seen().map(|j| (row[j] - max).exp()).sum();
        for j in seen() {
            p[[i, j]] = (row[j] - max).exp() / total;
        }
        lse[i] = max + total.ln();
    }
    (p, lse)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array};

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    /// Three keys with values 1, 2, 3 (D = 1).
    fn kv() -> (Array3<f64>, Array3<f64>) {
        (Array3::zeros((1, 3, 1)), array![[[1.0], [2.0], [3.0]]])
    }

    #[test]
    fn equal_scores_average_the_values() {
        let (k, v) = kv();
        let q = Array3::zeros((1, 2, 1));
        let r = attention(q.view(), k.view(), v.view(), &AttentionMask::new(1));
        assert!(r.out.iter().all(|&o| close(o, 2.0)));
        assert!(r.lse.iter().all(|&l| close(l, 3f64.ln())));
    }

    #[test]
    fn causal_rows_average_the_prefix() {
        let (k, v) = kv();
        let q = Array3::zeros((1, 3, 1));
        let r = attention(
            q.view(),
            k.view(),
            v.view(),
            &AttentionMask::new(1).causal(),
        );
        let out: Vec<f64> = r.out.iter().copied().collect();
        assert!(close(out[0], 1.0) && close(out[1], 1.5) && close(out[2], 2.0));
        assert!(close(r.lse[[0, 1]], 2f64.ln()));
    }

    #[test]
    fn window_of_one_with_causal_is_the_diagonal() {
        let (k, v) = kv();
        let q = Array3::zeros((1, 3, 1));
        let mask = AttentionMask::new(1).causal().sliding_window(1);
        let r = attention(q.view(), k.view(), v.view(), &mask);
        assert_eq!(r.out, v);
        assert!(r.lse.iter().all(|&l| close(l, 0.0)));
    }

    #[test]
    fn segments_and_fully_masked_rows() {
        let (k, v) = kv();
        let q = Array3::zeros((1, 3, 1));
        let mask = AttentionMask::new(1).segment_ids(vec![0, 1, 7], vec![0, 1, 1]);
        let r = attention(q.view(), k.view(), v.view(), &mask);
        let out: Vec<f64> = r.out.iter().copied().collect();
        assert!(close(out[0], 1.0) && close(out[1], 2.5));
        assert_eq!((out[2], r.lse[[0, 2]]), (0.0, f64::NEG_INFINITY));
    }

    #[test]
    fn scores_are_scaled_and_heads_are_grouped() {
        // Two keys, scores 0 and ln(3)/scale: weights 1/4 and 3/4.
        let scale = 0.5;
        let k = array![[[0.0], [3f64.ln() / scale]]];
        let v = array![[[0.0], [4.0]]];
        // Four query heads share the one kv head; all see the same thing.
        let q = Array::from_elem((4, 1, 1), 1.0);
        let r = attention(
            q.view(),
            k.view(),
            v.view(),
            &AttentionMask::new(1).scale(scale),
        );
        assert!(r.out.iter().all(|&o| close(o, 3.0)));
        assert!(r.lse.iter().all(|&l| close(l, 4f64.ln())));
    }
}
