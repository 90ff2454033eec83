//! Accuracy of the quantized matmuls against f64, through the interpreter (CPU plugin):
//! per-row / per-column symmetric scales, int8 and fp8 e4m3. These are the accuracy
//! columns of `benches/results/precision.md` (`cargo test -p pallas-flash-kernels --test
//! matmul_precision -- --nocapture` prints them).
//!
//! The CPU plugin takes no fp8 buffers, so the fp8 row runs the bf16 kernel on the
//! e4m3-rounded values (every e4m3 value is exact in bf16, and both accumulate in f32)
//! and applies the scales on the host; the int8 row runs the int8 kernel itself.

use half::bf16;
use ndarray::Array2;
use pallas_flash_interpret::{HostArray, Interpreter};
use pallas_flash_kernels::matmul::{MatmulBlocks, MatmulConfig};
use pallas_flash_test_support::quantize::{quantize_rows, E4M3, INT8};
use pallas_flash_tiling::precision::Precision;

const M: usize = 128;
const N: usize = 256;
const K: usize = 512;

/// Deterministic values in [-1, 1).
fn values(seed: u64, rows: usize, cols: usize) -> Array2<f64> {
    let mut state = seed;
    Array2::from_shape_fn((rows, cols), |_| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        2.0 * ((state >> 40) as f64 / (1u64 << 24) as f64) - 1.0
    })
}

fn as_bf16(a: &Array2<f64>) -> HostArray {
    HostArray::from(a.mapv(bf16::from_f64))
}

/// `(max abs error, max abs error / max |reference|)` of `precision` vs f64.
fn error_of(precision: Precision) -> (f64, f64) {
    let (x, y) = (values(1, M, K), values(2, K, N));
    let reference = x.dot(&y);
    let blocks = MatmulBlocks::new(128, 128, 256);
    let run = |cfg: MatmulConfig, args: Vec<HostArray>| {
        let (kernel, _) = cfg.blocks(blocks).build().unwrap();
        let out = Interpreter::new(&kernel).unwrap().run(&args).unwrap();
        out[0].to_f64().into_dimensionality().unwrap()
    };
    let got: Array2<f64> = match precision {
        Precision::Bf16 => run(MatmulConfig::new(M, N, K), vec![as_bf16(&x), as_bf16(&y)]),
        Precision::Int8 | Precision::Fp8 => {
            let format = match precision {
                Precision::Int8 => INT8,
                _ => E4M3,
            };
            let (xq, xs) = quantize_rows(&x, format);
            let (yq_t, ys) = quantize_rows(&y.t().to_owned(), format);
            let yq = yq_t.t().to_owned();
            let scale = |acc: Array2<f64>| {
                Array2::from_shape_fn(acc.dim(), |(i, j)| acc[[i, j]] * xs[i] * ys[j])
            };
            if precision == Precision::Int8 {
                let as_i8 = |a: &Array2<f64>| HostArray::from(a.mapv(|v| v as i8));
                let col = |s: &[f64], shape| {
                    HostArray::from(
                        Array2::from_shape_vec(shape, s.iter().map(|&v| v as f32).collect())
                            .unwrap(),
                    )
                };
                // The kernel applies the scales itself (f32).
                run(
                    MatmulConfig::new(M, N, K).precision(Precision::Int8),
                    vec![as_i8(&xq), as_i8(&yq), col(&xs, (M, 1)), col(&ys, (1, N))],
                )
            } else {
                scale(run(
                    MatmulConfig::new(M, N, K),
                    vec![as_bf16(&xq), as_bf16(&yq)],
                ))
            }
        }
    };
    let abs = (&got - &reference)
        .iter()
        .fold(0.0f64, |m, v| m.max(v.abs()));
    let peak = reference.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    (abs, abs / peak)
}

#[test]
fn quantized_matmuls_stay_within_their_rounding() {
    for (precision, bound) in [
        (Precision::Bf16, 1e-2),
        (Precision::Int8, 2e-2),
        (Precision::Fp8, 8e-2),
    ] {
        let (abs, rel) = error_of(precision);
        println!("{precision}: max abs error {abs:.3e}, relative to max |ref| {rel:.3e} ({M}x{N}x{K}, uniform [-1, 1))");
        assert!(rel < bound, "{precision}: {rel} over {bound}");
        assert!(
            rel > 0.0,
            "{precision}: an exact result means the inputs were not rounded"
        );
    }
}
