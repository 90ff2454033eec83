//! The emitted StableHLO of small kernels, reviewed as text diffs. Re-bless with
//! `UPDATE_GOLDEN=1 cargo test -p pallas-flash-interpret --test golden`.

mod common;

use std::path::PathBuf;

use common::kernels;
use pallas_flash_interpret::{lower_to_stablehlo, Interpreter};
use pallas_flash_ir::{DType, Kernel};

fn check(name: &str, kernel: &Kernel) {
    let text = lower_to_stablehlo(kernel).unwrap();
    // The golden text must also be a program the CPU plugin accepts.
    Interpreter::new(kernel).unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.mlir"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with UPDATE_GOLDEN=1 to create it",
            path.display()
        )
    });
    assert_eq!(
        text, golden,
        "{name}: emitted StableHLO changed; review the diff and re-bless with UPDATE_GOLDEN=1"
    );
}

#[test]
fn matmul() {
    check(
        "matmul",
        &kernels::matmul(16, 16, 32, (8, 16, 16), DType::Bf16),
    );
}

#[test]
fn row_reductions_with_partial_blocks() {
    check(
        "row_reductions",
        &kernels::row_reductions([10, 200], [8, 128]),
    );
}
