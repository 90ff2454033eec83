//! Issue 9's acceptance: matmul, elementwise and reduction kernels match their f64
//! references over random shapes, partial blocks included. Each case compiles a new
//! program (~0.1–0.5 s), so the case counts are small.

mod common;

use common::{data, kernels, max_relative_error};
use half::bf16;
use ndarray::{Array2, Axis, Ix2};
use pallas_flash_interpret::{reference, HostArray, Interpreter};
use pallas_flash_ir::DType;
use proptest::prelude::*;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn matrix(shape: [usize; 2], seed: u64) -> Array2<f32> {
    data(&shape, seed).into_dimensionality::<Ix2>().unwrap()
}

/// A shape and a block that fits it (any size: the interpreter does not apply the
/// TPU's (8, 128) rule, tiling does).
fn extent_and_block(max: usize) -> impl Strategy<Value = (usize, usize)> {
    (1..=max).prop_flat_map(|e| (Just(e), 1..=e))
}

proptest! {
    #![proptest_config(config(6))]

    #[test]
    fn matmul_matches_reference(
        (m, bm) in extent_and_block(40),
        (n, bn) in extent_and_block(40),
        bk in 1usize..=16,
        k_blocks in 1usize..=3,
        in_bf16 in any::<bool>(),
    ) {
        let k = bk * k_blocks;
        let dtype = if in_bf16 { DType::Bf16 } else { DType::F32 };
        let (x, y) = (matrix([m, k], 1), matrix([k, n], 2));
        let (args, x64, y64) = if in_bf16 {
            let (xb, yb) = (x.mapv(bf16::from_f32), y.mapv(bf16::from_f32));
            let exact = (xb.mapv(f64::from), yb.mapv(f64::from));
            (vec![HostArray::from(xb), HostArray::from(yb)], exact.0, exact.1)
        } else {
            (vec![HostArray::from(x.clone()), HostArray::from(y.clone())], x.mapv(f64::from), y.mapv(f64::from))
        };
        let kernel = kernels::matmul(m, n, k, (bm, bn, bk), dtype);
        let out = Interpreter::new(&kernel).unwrap().run(&args).unwrap();
        let expected = reference::matmul(x64.view(), y64.view()).into_dyn();
        // bf16 products are exact in f32; only f32 accumulation rounds.
        prop_assert!(max_relative_error(&out[0], &expected) < 1e-5);
    }

    #[test]
    fn elementwise_matches_reference(
        (rows, br) in extent_and_block(48),
        (cols, bc) in extent_and_block(300),
    ) {
        let (x, z) = (matrix([rows, cols], 3), matrix([rows, cols], 4));
        let kernel = kernels::elementwise([rows, cols], [br, bc]);
        let out = Interpreter::new(&kernel).unwrap().run(&[x.clone().into(), z.clone().into()]).unwrap();
        let expected = ndarray::Zip::from(&x).and(&z).map_collect(|&x, &z| {
            let (x, z) = (f64::from(x), f64::from(z));
            x.tanh() * z + (-z.abs()).exp()
        });
        prop_assert!(max_relative_error(&out[0], &expected.into_dyn()) < 1e-5);
    }

    #[test]
    fn row_reductions_match_reference(
        (rows, br) in extent_and_block(40),
        (cols, bc) in extent_and_block(400),
    ) {
        let x = matrix([rows, cols], 5);
        let kernel = kernels::row_reductions([rows, cols], [br, bc]);
        let out = Interpreter::new(&kernel).unwrap().run(&[x.clone().into()]).unwrap();
        let x64 = x.mapv(f64::from);
        let sums = x64.sum_axis(Axis(1)).insert_axis(Axis(1));
        let maxes = x64.map_axis(Axis(1), |r| r.fold(f64::NEG_INFINITY, |m, &v| m.max(v))).insert_axis(Axis(1));
        prop_assert!(max_relative_error(&out[0], &sums.into_dyn()) < 1e-5);
        prop_assert_eq!(out[1].to_f64(), maxes.into_dyn());
    }
}

/// One compiled interpreter, several input sets: the executable is reused.
#[test]
fn one_interpreter_runs_many_input_sets() {
    let kernel = kernels::matmul(16, 24, 32, (8, 8, 16), DType::F32);
    let interpreter = Interpreter::new(&kernel).unwrap();
    for seed in 0..4 {
        let (x, y) = (matrix([16, 32], seed), matrix([32, 24], seed + 10));
        let out = interpreter
            .run(&[x.clone().into(), y.clone().into()])
            .unwrap();
        let expected = reference::matmul(x.mapv(f64::from).view(), y.mapv(f64::from).view());
        assert!(max_relative_error(&out[0], &expected.into_dyn()) < 1e-5);
    }
}
