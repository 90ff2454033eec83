//! Fixtures shared by the workspace's tests: a dev-dependency only, never shipped.
//!
//! One copy of what several crates' tests need: the blocked matmul kernel
//! ([`kernels::matmul`]), a kernel using every value op ([`kernels::value_ops`]),
//! deterministic data ([`data`]), per-row int8 / e4m3 quantization ([`quantize`]), one error measure ([`max_relative_error`]) and the
//! compile worker for libtpu tests ([`worker::ensure_worker`]), and golden files
//! ([`golden::stale_goldens`]).

pub mod golden;
pub mod kernels;
pub mod quantize;
pub mod worker;

use ndarray::{ArrayD, IxDyn};

/// Deterministic, sign-varying values in [-1, 1) (xorshift; the same `seed` gives the
/// same array on every machine).
pub fn data(shape: &[usize], seed: u64) -> ArrayD<f32> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    ArrayD::from_shape_fn(IxDyn(shape), |_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 2000) as f32 / 1000.0 - 1.0
    })
}

/// Largest `|actual - expected|` relative to the largest finite `|expected|` (at least 1,
/// so values near zero are compared absolutely).
///
/// The one rule for non-finite values: equal infinities are exact (a row that sees no key
/// has logsumexp `-inf` in both); a NaN in `actual` (unspecified memory, a 0/0) or a
/// mismatched infinity is an infinite error, never one that `f64::max` would skip.
pub fn max_relative_error(actual: &ArrayD<f64>, expected: &ArrayD<f64>) -> f64 {
    assert_eq!(
        actual.shape(),
        expected.shape(),
        "compared arrays differ in shape"
    );
    let scale = (expected.iter().filter(|v| v.is_finite())).fold(1.0f64, |m, v| m.max(v.abs()));
    (actual.iter().zip(expected))
        .map(|(&a, &e)| match (a.is_finite(), e.is_finite()) {
            (true, true) => (a - e).abs() / scale,
            _ if a == e => 0.0,
            _ => f64::INFINITY,
        })
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::arr1;

    #[test]
    fn nan_is_the_worst_error_and_equal_infinities_are_exact() {
        let e = arr1(&[f64::NEG_INFINITY, 2.0, 0.5]).into_dyn();
        assert_eq!(max_relative_error(&e.clone(), &e), 0.0);
        let off = arr1(&[f64::NEG_INFINITY, 2.0, 0.6]).into_dyn();
        assert!((max_relative_error(&off, &e) - 0.05).abs() < 1e-12);
        let nan = arr1(&[f64::NEG_INFINITY, f64::NAN, 0.5]).into_dyn();
        assert_eq!(max_relative_error(&nan, &e), f64::INFINITY);
        let finite = arr1(&[0.0, 2.0, 0.5]).into_dyn();
        assert_eq!(max_relative_error(&finite, &e), f64::INFINITY);
    }
}
