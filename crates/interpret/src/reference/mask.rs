//! Which keys a query may attend to.

/// The attention mask and softmax scale shared by the forward and backward references.
///
/// Query `i` sees key `j` when every enabled rule allows it: `causal` → `j <= i`
/// (positions aligned at 0, as in JAX's flash attention); `sliding_window = Some(w)` →
/// `|i - j| < w`; `segment_ids = Some((q, kv))` → `q[i] == kv[j]`. A query that sees no
/// key gets a zero output and a logsumexp of `-inf`.
#[derive(Clone, Debug, PartialEq)]
pub struct AttentionMask {
    pub causal: bool,
    pub sliding_window: Option<usize>,
    pub segment_ids: Option<(Vec<i32>, Vec<i32>)>,
    /// Multiplies `q · k` before the softmax (usually `1 / sqrt(head_dim)`).
    pub scale: f64,
}

impl AttentionMask {
    /// No masking, scale `1 / sqrt(head_dim)`.
    pub fn new(head_dim: usize) -> Self {
        AttentionMask {
            causal: false,
            sliding_window: None,
            segment_ids: None,
            scale: 1.0 / (head_dim as f64).sqrt(),
        }
    }

    pub fn causal(mut self) -> Self {
        self.causal = true;
        self
    }

    pub fn sliding_window(mut self, window: usize) -> Self {
        self.sliding_window = Some(window);
        self
    }

    pub fn segment_ids(mut self, q: Vec<i32>, kv: Vec<i32>) -> Self {
        self.segment_ids = Some((q, kv));
        self
    }

    pub fn scale(mut self, scale: f64) -> Self {
        self.scale = scale;
        self
    }

    /// Whether query `i` sees key `j`.
    pub fn allows(&self, i: usize, j: usize) -> bool {
        let causal = !self.causal || j <= i;
        let window = self.sliding_window.is_none_or(|w| i.abs_diff(j) < w);
        let segment = (self.segment_ids.as_ref()).is_none_or(|(q, kv)| q[i] == kv[j]);
        causal && window && segment
    }
}

/// Key/value head of query head `h` (GQA); panics unless `q_heads` is a multiple of
/// `kv_heads`.
pub(super) fn kv_head(h: usize, q_heads: usize, kv_heads: usize) -> usize {
    assert!(
        q_heads.checked_rem(kv_heads) == Some(0),
        "query heads ({q_heads}) must be a multiple of key/value heads ({kv_heads})"
    );
    h / (q_heads / kv_heads)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_combine() {
        let m = AttentionMask::new(4).causal().sliding_window(2);
        assert!(m.allows(3, 3) && m.allows(3, 2));
        assert!(!m.allows(3, 1) && !m.allows(2, 3));
        let s = AttentionMask::new(4).segment_ids(vec![0, 0, 1], vec![0, 1, 1]);
        assert!(s.allows(0, 0) && !s.allows(0, 1) && s.allows(2, 1));
        assert_eq!((kv_head(5, 8, 2), kv_head(3, 8, 2)), (1, 0));
    }
}
