//! Attention backward: gradients of `sum(out ∘ d_out)` with respect to q, k and v.

use ndarray::{s, Array3, ArrayView3, Axis};

use super::attention::probabilities;
use super::mask::{kv_head, AttentionMask};

/// Gradients, each shaped like its input.
#[derive(Clone, Debug, PartialEq)]
pub struct AttentionGrads {
    pub dq: Array3<f64>,
    pub dk: Array3<f64>,
    pub dv: Array3<f64>,
}

/// The backward pass of [`super::attention`] given `d_out` (`[H_q, N_q, D]`). With GQA
/// the key/value gradients sum over the query heads of each group.
///
/// Per head, with `P` the probabilities: `dV = Pᵀ dO`, `dP = dO Vᵀ`,
/// `dS = P ∘ (dP − rowsum(dO ∘ O))`, `dQ = scale · dS K`, `dK = scale · dSᵀ Q`.
pub fn attention_backward(
    q: ArrayView3<f64>,
    k: ArrayView3<f64>,
    v: ArrayView3<f64>,
    d_out: ArrayView3<f64>,
    mask: &AttentionMask,
) -> AttentionGrads {
    let heads = q.dim().0;
    let mut grads = AttentionGrads {
        dq: Array3::zeros(q.dim()),
        dk: Array3::zeros(k.dim()),
        dv: Array3::zeros(v.dim()),
    };
    for h in 0..heads {
        let g = kv_head(h, heads, k.dim().0);
        let (qh, kh, vh) = (
            q.index_axis(Axis(0), h),
            k.index_axis(Axis(0), g),
            v.index_axis(Axis(0), g),
        );
        let doh = d_out.index_axis(Axis(0), h);
        let (p, _) = probabilities(qh, kh, mask);
        let out = p.dot(&vh);
        let dp = doh.dot(&vh.t());
        let delta = (&doh * &out).sum_axis(Axis(1)).insert_axis(Axis(1));
        let ds = &p * &(dp - delta);
        grads
            .dq
            .slice_mut(s![h, .., ..])
            .assign(&(ds.dot(&kh) * mask.scale));
        let mut dk = grads.dk.slice_mut(s![g, .., ..]);
        dk += &(ds.t().dot(&qh) * mask.scale);
        let mut dv = grads.dv.slice_mut(s![g, .., ..]);
        dv += &p.t().dot(&doh);
    }
    grads
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::attention;
    use ndarray::{array, Array3};

    /// Deterministic values in [-1, 1).
    fn data(shape: (usize, usize, usize), seed: usize) -> Array3<f64> {
        Array3::from_shape_fn(shape, |(a, b, c)| {
            ((a * 37 + b * 11 + c * 5 + seed * 17) % 23) as f64 / 11.5 - 1.0
        })
    }

    #[test]
    fn uniform_attention_by_hand() {
        // q = k = 0: P = 1/2 everywhere. dV = Pᵀ dO = column means of dO; dS = 0
        // because dP − rowsum(dO ∘ O) vanishes when every row of V is the same.
        let zeros = Array3::<f64>::zeros((1, 2, 1));
        let (q, k) = (zeros.clone(), zeros.clone());
        let v = array![[[3.0], [3.0]]];
        let d_out = array![[[1.0], [5.0]]];
        let g = attention_backward(
            q.view(),
            k.view(),
            v.view(),
            d_out.view(),
            &AttentionMask::new(1),
        );
        assert_eq!(g.dv, array![[[3.0], [3.0]]]);
        assert_eq!(g.dq, zeros);
        assert_eq!(g.dk, zeros);
    }

    #[test]
    fn matches_finite_differences_with_gqa_causal_and_window() {
        let mask = AttentionMask::new(4).causal().sliding_window(3);
        let (q, k, v) = (data((4, 5, 4), 1), data((2, 5, 4), 2), data((2, 5, 4), 3));
        let d_out = data((4, 5, 4), 4);
        let loss = |q: &Array3<f64>, k: &Array3<f64>, v: &Array3<f64>| {
            (attention(q.view(), k.view(), v.view(), &mask).out * &d_out).sum()
        };
        let g = attention_backward(q.view(), k.view(), v.view(), d_out.view(), &mask);
        let eps = 1e-6;
        let numeric = |which: usize, index: (usize, usize, usize)| {
            let mut inputs = [q.clone(), k.clone(), v.clone()];
            inputs[which][index] += eps;
            let up = loss(&inputs[0], &inputs[1], &inputs[2]);
            inputs[which][index] -= 2.0 * eps;
            let down = loss(&inputs[0], &inputs[1], &inputs[2]);
            (up - down) / (2.0 * eps)
        };
        for (which, grad) in [&g.dq, &g.dk, &g.dv].into_iter().enumerate() {
            for (index, &analytic) in grad.indexed_iter() {
                let n = numeric(which, index);
                assert!(
                    (n - analytic).abs() < 1e-6,
                    "input {which} at {index:?}: {n} vs {analytic}"
                );
            }
        }
    }
}
