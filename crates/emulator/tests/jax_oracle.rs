//! The oracle nobody here wrote: JAX 0.10.2's own TPU kernels, as the Mosaic JAX ships to
//! libtpu (serde form, generic text), run by the emulator on the inputs recorded by
//! `tests/jax/generate.py`, must reproduce the outputs of JAX's own reference functions.

use std::path::{Path, PathBuf};

use pallas_flash_emulator::{npy, Emulator, HostArray};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/jax/fixtures")
        .join(name)
}

/// Largest |got - expected| over the largest |expected| (at least 1); NaN counts as infinite.
fn relative_error(got: &HostArray, expected: &HostArray) -> f64 {
    assert_eq!(got.shape, expected.shape, "output shape");
    let (g, e) = (got.to_f64(), expected.to_f64());
    let scale = e.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    g.iter()
        .zip(&e)
        .map(|(a, b)| {
            if a.is_nan() {
                f64::INFINITY
            } else {
                (a - b).abs() / scale
            }
        })
        .fold(0.0, f64::max)
}

fn tolerance(dir: &Path) -> f64 {
    let meta = std::fs::read_to_string(dir.join("meta.json")).expect("meta.json");
    let at = meta.find("\"tolerance\":").expect("tolerance") + 12;
    meta[at..]
        .trim_start()
        .split([',', '\n', '}'])
        .next()
        .unwrap()
        .trim()
        .parse()
        .expect("a number")
}

fn check(name: &str) {
    let dir = fixture(name);
    let text = std::fs::read_to_string(dir.join("kernel.mlir")).expect("kernel.mlir");
    let emulator = Emulator::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let files = npy::files_in(&dir).unwrap();
    let read = |prefix: &str| {
        files
            .iter()
            .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with(prefix))
            .map(|p| npy::read(p).unwrap())
            .collect::<Vec<_>>()
    };
    let (inputs, expected) = (read("in_"), read("expected_"));
    let outputs = emulator
        .run(&inputs)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let tol = tolerance(&dir);
    for (i, e) in expected.iter().enumerate() {
        let err = relative_error(&outputs[i], e);
        eprintln!("{name}: output {i} relative error {err:.2e} (tolerance {tol:.0e})");
        assert!(
            err <= tol,
            "{name}: output {i} relative error {err:.3e} > {tol:.0e}"
        );
    }
}

#[test]
fn blocked_matmul() {
    check("matmul");
}

#[test]
fn flash_attention_forward() {
    check("flash_attention_fwd");
}

#[test]
fn flash_attention_forward_causal() {
    check("flash_attention_fwd_causal");
}

#[test]
fn flash_attention_backward_dkv_causal() {
    check("flash_attention_bwd_dkv_causal");
}

#[test]
fn flash_attention_backward_dq_causal() {
    check("flash_attention_bwd_dq_causal");
}

#[test]
fn paged_attention() {
    check("paged_attention");
}

/// The comparison can fail: the causal kernel does not reproduce non-causal attention.
#[test]
fn the_causal_kernel_misses_the_non_causal_reference() {
    let text =
        std::fs::read_to_string(fixture("flash_attention_fwd_causal").join("kernel.mlir")).unwrap();
    let dir = fixture("flash_attention_fwd");
    let files = npy::files_in(&dir).unwrap();
    let inputs: Vec<_> = files
        .iter()
        .filter(|p| p.to_str().unwrap().contains("in_"))
        .map(|p| npy::read(p).unwrap())
        .collect();
    let expected = npy::read(&dir.join("expected_0.npy")).unwrap();
    let out = Emulator::parse(&text).unwrap().run(&inputs).unwrap();
    assert!(relative_error(&out[0], &expected) > 0.1);
}
