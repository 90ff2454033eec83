//! Plain f64 ndarray implementations of the kernels we write, to check numerics
//! against: no blocking, no online softmax, nothing clever — the definitions.
//!
//! Layouts: attention takes one batch element as `[heads, seq, head_dim]`; decode
//! takes `[batch, heads, head_dim]` queries and `[batch, kv_heads, seq, head_dim]`
//! caches. GQA maps query head `h` to key/value head `h / (H_q / H_kv)`.

mod attention;
mod backward;
mod decode;
mod mask;

use ndarray::{Array2, ArrayView2};

pub use attention::{attention, Attention};
pub use backward::{attention_backward, AttentionGrads};
pub use decode::decode_attention;
pub use mask::AttentionMask;

/// `a @ b` in f64.
pub fn matmul(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Array2<f64> {
    a.dot(&b)
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    #[test]
    fn matmul_by_hand() {
        let a = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
        let b = array![[1.0, 0.0, -1.0], [2.0, 1.0, 0.5]];
        let c = super::matmul(a.view(), b.view());
        assert_eq!(
            c,
            array![[5.0, 2.0, 0.0], [11.0, 4.0, -1.0], [17.0, 6.0, -2.0]]
        );
    }
}
