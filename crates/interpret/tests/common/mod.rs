//! Helpers shared by the integration tests.

#![allow(dead_code, unused_imports)] // each test binary uses its own subset

pub mod kernels;

use ndarray::ArrayD;
use pallas_flash_interpret::HostArray;

pub use pallas_flash_test_support::data;

/// [`pallas_flash_test_support::max_relative_error`] of a kernel output.
pub fn max_relative_error(actual: &HostArray, expected: &ArrayD<f64>) -> f64 {
    pallas_flash_test_support::max_relative_error(&actual.to_f64(), expected)
}
