//! The printed Mosaic of every catalog kernel equals `golden/mosaic/<name>.mlir`.
//! Re-bless after an intended change with `UPDATE_GOLDEN=1 cargo test -p pallas-flash-codegen --test golden`
//! and review the diff.

mod common;

#[test]
fn printed_mosaic_matches_the_golden_files() {
    let files = common::catalog().into_iter().map(|(name, kernel)| {
        let text = pallas_flash_codegen::lower(&kernel)
            .expect("catalog kernels lower")
            .text;
        (common::golden_dir().join(format!("{name}.mlir")), text)
    });
    let stale = pallas_flash_test_support::golden::stale_goldens(files);
    assert!(stale.is_empty(), "printed Mosaic differs from {stale:?}: review with UPDATE_GOLDEN=1 and `git diff golden/mosaic`");
}

#[test]
fn lowering_is_deterministic() {
    let kernel = common::attention(2, 256, 128, 128, 128);
    let (a, b) = (
        pallas_flash_codegen::lower(&kernel).unwrap(),
        pallas_flash_codegen::lower(&kernel).unwrap(),
    );
    assert_eq!(a, b);
}
