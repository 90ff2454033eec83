//! The blocked matmul's emitted Mosaic through the emulator, against an f64 reference and
//! against interpret, over block shapes and dtypes.

mod common;

use common::{assert_agrees_with_interpret, emulate, emulate_text, mosaic, relative_error};
use half::bf16;
use ndarray::{Array2, ArrayD};
use pallas_flash_emulator::GridOrder;
use pallas_flash_interpret::HostArray;
use pallas_flash_ir::DType;
use pallas_flash_kernels::matmul::{MatmulBlocks, MatmulConfig};
use proptest::prelude::*;

fn values(rows: usize, cols: usize, seed: u64, dtype: DType) -> Array2<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    Array2::from_shape_fn((rows, cols), |_| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        let x = (s % 2000) as f32 / 1000.0 - 1.0;
        if dtype == DType::Bf16 {
            bf16::from_f32(x).to_f32()
        } else {
            x
        }
    })
}

fn host(x: &Array2<f32>, dtype: DType) -> HostArray {
    if dtype == DType::Bf16 {
        x.mapv(bf16::from_f32).into()
    } else {
        x.clone().into()
    }
}

fn check(cfg: MatmulConfig, seed: u64) {
    let (kernel, _) = cfg.build().expect("matmul");
    let (x, y) = (
        values(cfg.m, cfg.k, seed, cfg.dtype),
        values(cfg.k, cfg.n, seed + 1, cfg.dtype),
    );
    let args = [host(&x, cfg.dtype), host(&y, cfg.dtype)];
    let out = emulate(&kernel, &args);
    let expected: ArrayD<f64> = x.mapv(f64::from).dot(&y.mapv(f64::from)).into_dyn();
    let err = relative_error(&out[0].to_f64(), &expected);
    assert!(
        err < 1e-5,
        "{cfg:?}: error {err:.2e} against the f64 product"
    );
    assert_agrees_with_interpret(&kernel, &args, &out, 1e-5);
    // Parallel (M, N) blocks in another order: the K accumulation is order-independent.
    let shuffled = emulate_text(&kernel, &mosaic(&kernel), &args, GridOrder::Shuffled(seed));
    assert_eq!(
        shuffled, out,
        "{cfg:?}: the result depends on the order of parallel steps"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    #[test]
    fn matches_the_f64_product(
        (bm, bn, bk) in (prop::sample::select(vec![8usize, 64, 128]), prop::sample::select(vec![128usize, 256]), prop::sample::select(vec![128usize, 256])),
        f32_inputs in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let dtype = if f32_inputs { DType::F32 } else { DType::Bf16 };
        check(MatmulConfig::new(128, 256, 256).dtype(dtype).blocks(MatmulBlocks::new(bm, bn, bk)), seed);
    }
}
