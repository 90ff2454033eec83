//! The printed Mosaic of every catalog kernel equals `golden/mosaic/<name>.mlir`.
//! Re-bless after an intended change with `UPDATE_GOLDEN=1 cargo test -p pallas-flash-codegen --test golden`
//! and review the diff.

mod common;

#[test]
fn printed_mosaic_matches_the_golden_files() {
    let bless = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut stale = Vec::new();
    for (name, kernel) in common::catalog() {
        let text = pallas_flash_codegen::lower(&kernel)
            .expect("catalog kernels lower")
            .text;
        let path = common::golden_dir().join(format!("{name}.mlir"));
        if bless {
            std::fs::write(&path, &text).expect("writing a golden file");
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(path.display().to_string());
        }
    }
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
