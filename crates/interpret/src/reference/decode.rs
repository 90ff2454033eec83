//! Decode attention: one query token per sequence against a KV cache of which only
//! the first `lengths[b]` positions are valid.

use ndarray::{s, Array2, Array3, ArrayView1, ArrayView3, ArrayView4, Axis};

use super::attention::{attention, Attention};
use super::mask::AttentionMask;

/// `q` is `[B, H_q, D]`, `k` and `v` are `[B, H_kv, S, D]`, `lengths[b] <= S`. Returns
/// `out` as `[B, H_q, D]` and `lse` as `[B, H_q]` in an [`Attention`]; a sequence of
/// length 0 gives zeros and `-inf`.
pub fn decode_attention(
    q: ArrayView3<f64>,
    k: ArrayView4<f64>,
    v: ArrayView4<f64>,
    lengths: ArrayView1<i32>,
    scale: f64,
) -> Attention {
    let (batch, heads, d) = q.dim();
    let mut out = Array3::zeros((batch, heads, d));
    let mut lse = Array2::zeros((batch, heads));
    let mask = AttentionMask::new(d).scale(scale);
    for b in 0..batch {
        let len = usize::try_from(lengths[b]).expect("lengths are non-negative");
        let qb = q.index_axis(Axis(0), b).insert_axis(Axis(1));
        let one = attention(
            qb,
            k.slice(s![b, .., ..len, ..]),
            v.slice(s![b, .., ..len, ..]),
            &mask,
        );
        out.slice_mut(s![b, .., ..])
            .assign(&one.out.index_axis(Axis(1), 0));
        lse.slice_mut(s![b, ..])
            .assign(&one.lse.index_axis(Axis(1), 0));
    }
    Attention { out, lse }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr1, Array4};

    #[test]
    fn only_the_first_lengths_positions_count() {
        // Keys all zero; values 0, 10, 20, 30 along the sequence.
        let k = Array4::zeros((2, 1, 4, 1));
        let v = Array4::from_shape_fn((2, 1, 4, 1), |(_, _, j, _)| 10.0 * j as f64);
        let q = Array3::ones((2, 2, 1)); // two query heads share the kv head
        let r = decode_attention(q.view(), k.view(), v.view(), arr1(&[1, 3]).view(), 1.0);
        assert!(r.out.slice(s![0, .., 0]).iter().all(|&o| o == 0.0));
        assert!(r
            .out
            .slice(s![1, .., 0])
            .iter()
            .all(|&o| (o - 10.0).abs() < 1e-12));
        assert!((r.lse[[1, 0]] - 3f64.ln()).abs() < 1e-12);
        let empty = decode_attention(q.view(), k.view(), v.view(), arr1(&[0, 0]).view(), 1.0);
        assert!(empty.out.iter().all(|&o| o == 0.0));
        assert!(empty.lse.iter().all(|&l| l == f64::NEG_INFINITY));
    }
}
