//! Structural parity with JAX 0.10.2's Pallas (acceptance 4): for the same kernel, our
//! canonicalized Mosaic has the same kernel signature, kernel attributes and transform
//! functions as the module JAX emits. The references in `golden/mosaic/jax/` were produced
//! by `tests/jax/reference.py` (JAX's module deserialized, then canonicalize + cse, as ours).

mod common;

use pallas_flash_ir::Kernel;

/// The kernel `func.func` line with the symbol name replaced, and every transform function.
fn structure(module: &str, kernel_name: &str) -> (String, Vec<String>) {
    let signature = module
        .lines()
        .find(|l| {
            l.trim_start()
                .starts_with(&format!("func.func @{kernel_name}("))
        })
        .unwrap_or_else(|| panic!("no kernel function @{kernel_name} in\n{module}"))
        .replacen(&format!("@{kernel_name}("), "@KERNEL(", 1);
    let transforms = module
        .split("  func.func @transform_")
        .skip(1)
        .map(|f| f.split("\n  }").next().unwrap_or_default().to_string())
        .collect();
    (signature, transforms)
}

fn assert_parity(ours: &Kernel, reference: &str) {
    let text = pallas_flash_codegen::lower(ours).unwrap().text;
    let jax = std::fs::read_to_string(common::golden_dir().join("jax").join(reference)).unwrap();
    let (our_sig, our_transforms) = structure(&text, &ours.name);
    let (jax_sig, jax_transforms) = structure(&jax, "kernel");
    assert_eq!(our_sig, jax_sig, "kernel signature and attributes");
    assert_eq!(our_transforms, jax_transforms, "transform functions");
    assert!(!our_transforms.is_empty());
}

#[test]
fn matmul_matches_jax_pallas() {
    assert_parity(
        &common::matmul(256, 256, 512, 128, 128, 256),
        "matmul_256x256x512_b128x128x256.mlir",
    );
}

#[test]
fn scalar_prefetch_dma_kernel_matches_jax_pallas() {
    assert_parity(&common::gather_rows(), "gather_rows.mlir");
}
