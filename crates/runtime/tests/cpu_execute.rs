//! Executing StableHLO on the CPU plugin (acceptance 2 of the runtime issue).

use half::bf16;
use ndarray::{s, Array2, Array3, ArrayD, Axis};
use pallas_flash_runtime::{Client, CompileOptions, Error, Plugin, Program};

const BLOCKED_MATMUL_LOOP: &str = include_str!("programs/blocked_matmul_loop.mlir");

fn cpu() -> Client {
    let plugin = Plugin::cpu()
        .expect("the CPU plugin must be installed by `cargo xtask setup`; never skipped");
    Client::new(&plugin).unwrap()
}

/// Deterministic, sign-varying test data.
fn data(rows: usize, cols: usize, seed: u32) -> Array2<f32> {
    Array2::from_shape_fn((rows, cols), |(r, c)| {
        let x = (r as u32 * 131 + c as u32 * 71 + seed * 977) % 1000;
        (x as f32 / 500.0) - 1.0
    })
}

fn max_relative_error(actual: &ArrayD<f32>, expected: &ArrayD<f64>) -> f64 {
    let scale = expected.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    actual
        .iter()
        .zip(expected)
        .map(|(&a, &e)| (f64::from(a) - e).abs() / scale)
        .fold(0.0, f64::max)
}

#[test]
fn while_loop_with_dynamic_slices_matches_an_f64_reference() {
    let client = cpu();
    assert_eq!(client.platform_name().unwrap(), "cpu");
    let exe = client
        .compile(
            &Program::mlir_text(BLOCKED_MATMUL_LOOP),
            &CompileOptions::default(),
        )
        .unwrap();
    let (a, b) = (data(64, 256, 1), data(256, 32, 2));
    let (a64, b64) = (a.mapv(f64::from), b.mapv(f64::from));
    let inputs = [
        client.upload(a.view()).unwrap(),
        client.upload(b.view()).unwrap(),
    ];
    let outputs = exe.execute(&[&inputs[0], &inputs[1]]).unwrap();
    assert_eq!(outputs.len(), 2);
    assert_eq!(outputs[1].dims().unwrap(), vec![4, 64, 32]);

    let c = outputs[0].download::<f32>().unwrap();
    assert!(max_relative_error(&c, &a64.dot(&b64).into_dyn()) < 1e-5);
    let partials = outputs[1].download::<f32>().unwrap();
    let mut expected = Array3::<f64>::zeros((4, 64, 32));
    for i in 0..4 {
        let k = 64 * (i + 1);
        expected
            .index_axis_mut(Axis(0), i)
            .assign(&a64.slice(s![.., ..k]).dot(&b64.slice(s![..k, ..])));
    }
    assert!(max_relative_error(&partials, &expected.into_dyn()) < 1e-5);

    // The same input buffers run again: nothing was donated.
    let again = exe.execute(&[&inputs[0], &inputs[1]]).unwrap();
    assert_eq!(again[0].download::<f32>().unwrap(), c);
}

#[test]
fn bf16_and_i32_buffers_round_trip() {
    let client = cpu();
    let exe = client
        .compile(
            &Program::mlir_text(include_str!("programs/scale_bf16.mlir")),
            &CompileOptions::default(),
        )
        .unwrap();
    let x = Array2::from_shape_fn((3, 4), |(r, c)| bf16::from_f32(r as f32 - c as f32 * 0.5));
    let n = ndarray::arr1(&[1i32, -2, 3, i32::MAX - 1, 0]);
    let (xb, nb) = (
        client.upload(x.view()).unwrap(),
        client.upload(n.view()).unwrap(),
    );
    let out = exe.execute(&[&xb, &nb]).unwrap();
    let y = out[0].download::<bf16>().unwrap();
    assert_eq!(y, x.mapv(|v| bf16::from_f32(v.to_f32() * 2.0)).into_dyn());
    assert_eq!(
        out[1].download::<i32>().unwrap(),
        n.mapv(|v| v + 1).into_dyn()
    );
    // A transposed (non-contiguous) view uploads as its logical contents.
    let t = client.upload(x.t()).unwrap();
    assert_eq!(t.dims().unwrap(), vec![4, 3]);
    assert_eq!(t.download::<bf16>().unwrap(), x.t().to_owned().into_dyn());
}

#[test]
fn downloading_as_the_wrong_type_is_an_error() {
    let client = cpu();
    let buffer = client.upload(ndarray::arr1(&[1.0f32, 2.0]).view()).unwrap();
    let err = buffer.download::<i32>().err().unwrap();
    assert!(
        matches!(&err, Error::HostData { message } if message.contains("F32")),
        "{err}"
    );
}

#[test]
fn a_tpu_kernel_on_the_cpu_plugin_says_it_needs_a_tpu_target() {
    let err = cpu()
        .compile(
            &Program::mlir_text(include_str!("programs/tpu_custom_call.mlir")),
            &CompileOptions::default(),
        )
        .err()
        .unwrap();
    assert!(matches!(err, Error::NeedsTpuTarget { .. }), "{err:?}");
    assert!(err
        .to_string()
        .contains("compile it against a TPU topology"));
}

#[test]
fn cpu_compiles_capture_optimized_hlo() {
    let exe = cpu()
        .compile(
            &Program::mlir_text(BLOCKED_MATMUL_LOOP),
            &CompileOptions::default(),
        )
        .unwrap();
    let hlo = exe.optimized_hlo_text().unwrap();
    assert!(hlo.contains("while"), "{hlo}");
    assert!(exe.executable().unwrap().memory_stats().is_ok());
}
