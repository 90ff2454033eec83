//! Helpers shared by the integration tests.

#![allow(dead_code)] // each test binary uses its own subset

pub mod kernels;

use ndarray::{ArrayD, IxDyn};
use pallas_flash_interpret::HostArray;

/// Deterministic, sign-varying values in [-1, 1).
pub fn data(shape: &[usize], seed: u64) -> ArrayD<f32> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    ArrayD::from_shape_fn(IxDyn(shape), |_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 2000) as f32 / 1000.0 - 1.0
    })
}

/// Largest `|actual - expected|` relative to the largest `|expected|` (at least 1);
/// infinite if `actual` has a NaN.
pub fn max_relative_error(actual: &HostArray, expected: &ArrayD<f64>) -> f64 {
    let actual = actual.to_f64();
    assert_eq!(actual.shape(), expected.shape());
    let scale = expected.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    (actual.iter().zip(expected))
        // NaN (unspecified memory) is the worst error, not one `max` ignores.
        .map(|(a, e)| {
            if a.is_nan() {
                f64::INFINITY
            } else {
                (a - e).abs() / scale
            }
        })
        .fold(0.0, f64::max)
}
