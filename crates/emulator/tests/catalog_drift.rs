//! The drift kernel's emitted Mosaic through the emulator, and the same kernel through
//! interpret, each against an f64 reference: distances per row and the count over the
//! threshold, across grid steps and the zero-row rules.

mod common;

use common::{emulate, relative_error};
use half::bf16;
use ndarray::{Array2, ArrayD, Axis};
use pallas_flash_interpret::{HostArray, Interpreter};
use pallas_flash_kernels::drift::DriftConfig;
use pallas_flash_test_support::data;
use proptest::prelude::*;

/// Two snapshots: `after` is `before` with rows left alone, nudged, rotated away,
/// negated, and the zero-row cases (both zero, one zero).
fn snapshots(rows: usize, dim: usize, seed: u64) -> (Array2<f32>, Array2<f32>) {
    let round = |x: ArrayD<f32>| {
        x.into_dimensionality()
            .expect("rank 2")
            .mapv(|v: f32| bf16::from_f32(v).to_f32())
    };
    let before = round(data(&[rows, dim], seed));
    let noise = round(data(&[rows, dim], seed + 1));
    let mut after = before.clone();
    for (i, mut row) in after.axis_iter_mut(Axis(0)).enumerate() {
        let (b, n) = (before.row(i), noise.row(i));
        match i % 5 {
            0 => {}
            1 => row.assign(&(&b + &(&n * 0.05))),
            2 => row.assign(&(&b + &n)),
            3 => row.assign(&(&b * -1.0)),
            _ => row.assign(&n),
        }
        row.mapv_inplace(|v| bf16::from_f32(v).to_f32());
    }
    let mut before = before;
    before.row_mut(4).fill(0.0);
    after.row_mut(4).fill(0.0);
    after.row_mut(9).fill(0.0);
    (before, after)
}

/// Distances `[1, rows]` in f64, with the kernel's zero-row rules.
fn reference(before: &Array2<f32>, after: &Array2<f32>) -> Array2<f64> {
    let dist = before.outer_iter().zip(after.outer_iter()).map(|(a, b)| {
        let dot = |x: &ndarray::ArrayView1<f32>, y: &ndarray::ArrayView1<f32>| -> f64 {
            x.iter()
                .zip(y)
                .map(|(&p, &q)| f64::from(p) * f64::from(q))
                .sum()
        };
        let (ab, aa, bb) = (dot(&a, &b), dot(&a, &a), dot(&b, &b));
        match (aa == 0.0, bb == 0.0) {
            (true, true) => 0.0,
            (true, _) | (_, true) => 1.0,
            _ => 1.0 - ab / (aa.sqrt() * bb.sqrt()),
        }
    });
    Array2::from_shape_vec((1, before.nrows()), dist.collect()).expect("rows")
}

fn check(cfg: &DriftConfig, block: usize, seed: u64) {
    let built = cfg.kernel(block).expect("drift kernel");
    let (before, after) = snapshots(cfg.rows, cfg.dim, seed);
    let want = reference(&before, &after);
    // Rows within rounding of the threshold may land on either side.
    let surely = |over: bool| {
        want.iter()
            .filter(|&&d| match over {
                true => d > cfg.threshold + 1e-5,
                false => d >= cfg.threshold - 1e-5,
            })
            .count() as f64
    };
    let (least, most) = (surely(true), surely(false));
    let args = [
        HostArray::from(before.mapv(bf16::from_f32)),
        HostArray::from(after.mapv(bf16::from_f32)),
    ];
    let interpreted = Interpreter::new(&built.kernel)
        .expect("interpret lowering")
        .run(&args)
        .expect("interpret run");
    let emulated = emulate(&built.kernel, &args);
    for (how, out) in [("interpret", &interpreted), ("emulator", &emulated)] {
        let err = relative_error(&out[0].to_f64(), &want.clone().into_dyn());
        assert!(
            err < 1e-5,
            "{how} {cfg:?} block {block}: distance error {err:.2e}"
        );
        let counts = out[1].to_f64();
        assert!(
            counts
                .iter()
                .all(|&c| c == counts[[0, 0]] && (least..=most).contains(&c)),
            "{how} {cfg:?} block {block}: count {counts:?}, want {least}..={most} in every lane"
        );
    }
}

#[test]
fn distances_and_count_match_f64_across_steps() {
    check(&DriftConfig::new(1024, 256, 0.1), 256, 3);
}

#[test]
fn zero_rows_and_negated_rows_follow_the_rules() {
    let cfg = DriftConfig::new(128, 128, 1.5);
    let built = cfg.kernel(128).expect("drift kernel");
    let (before, after) = snapshots(128, 128, 5);
    let args = [
        HostArray::from(before.mapv(bf16::from_f32)),
        HostArray::from(after.mapv(bf16::from_f32)),
    ];
    let got = emulate(&built.kernel, &args)[0].to_f64();
    assert_eq!(got[[0, 4]], 0.0, "zero in both snapshots: nothing moved");
    assert!(
        (got[[0, 9]] - 1.0).abs() < 1e-6,
        "zero in one snapshot: distance 1"
    );
    assert!((got[[0, 3]] - 2.0).abs() < 1e-5, "negated: distance 2");
    assert!(got[[0, 0]].abs() < 1e-5, "unchanged: distance 0");
    check(&cfg, 128, 5);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    #[test]
    fn any_lane_multiple_block_and_width(
        block in prop::sample::select(vec![128usize, 256, 512]),
        dim in prop::sample::select(vec![128usize, 384, 768]),
        seed in 0u64..1000,
    ) {
        check(&DriftConfig::new(512, dim, 0.3), block, seed);
    }
}
