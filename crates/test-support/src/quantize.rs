//! Symmetric per-row quantization on the host, the way the quantized kernels' inputs are
//! made: int8 and fp8 e4m3 values with one scale per row.

use ndarray::Array2;

/// A quantized format: values rounded with `round` into `[-limit, limit]`.
#[derive(Clone, Copy)]
pub struct Format {
    pub limit: f64,
    pub round: fn(f64) -> f64,
}

/// int8: integers in [-127, 127], ties to even.
pub const INT8: Format = Format {
    limit: 127.0,
    round: f64::round_ties_even,
};

/// fp8 e4m3fn: [`round_e4m3`], at most 448.
pub const E4M3: Format = Format {
    limit: 448.0,
    round: round_e4m3,
};

/// The nearest e4m3fn value (3 mantissa bits, normal exponents from -6, max 448).
pub fn round_e4m3(x: f64) -> f64 {
    if x == 0.0 {
        return 0.0;
    }
    let exponent = x.abs().log2().floor().max(-6.0);
    let quantum = (exponent - 3.0).exp2();
    ((x / quantum).round_ties_even() * quantum).clamp(-448.0, 448.0)
}

/// `x`'s rows quantized to `format` (scale = row max |x| / limit): the stored values and
/// the per-row scales.
pub fn quantize_rows(x: &Array2<f64>, format: Format) -> (Array2<f64>, Vec<f64>) {
    let scales: Vec<f64> = x
        .rows()
        .into_iter()
        .map(|r| r.iter().fold(0.0f64, |m, v| m.max(v.abs())) / format.limit)
        .collect();
    let q = Array2::from_shape_fn(x.dim(), |(i, j)| (format.round)(x[[i, j]] / scales[i]));
    (q, scales)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e4m3_rounding_matches_the_format() {
        assert_eq!(round_e4m3(1.0), 1.0);
        assert_eq!(
            round_e4m3(1.0625),
            1.0,
            "ties to even: 1 + 1/16 is between 1 and 1.125"
        );
        assert_eq!(round_e4m3(1.1), 1.125);
        assert_eq!(round_e4m3(500.0), 448.0);
        assert_eq!(
            round_e4m3(2f64.powi(-9)),
            2f64.powi(-9),
            "the smallest subnormal"
        );
    }

    #[test]
    fn rows_reach_the_format_limit() {
        let x = Array2::from_shape_vec((2, 3), vec![0.5, -1.0, 0.25, 2.0, 1.0, -0.5]).unwrap();
        let (q, scales) = quantize_rows(&x, INT8);
        assert_eq!(q.row(0).to_vec(), [64.0, -127.0, 32.0]);
        assert_eq!(scales, [1.0 / 127.0, 2.0 / 127.0]);
    }
}
