//! The printed Mosaic of every shipped kernel family (FA2 forward, backward dQ and dK/dV,
//! decode split, combine and paged, matmul) at small shapes equals
//! `golden/mosaic/<case>.mlir`. A diff is a change in what we hand libtpu: review it,
//! then re-bless with `UPDATE_GOLDEN=1 cargo test -p pallas-flash-kernels --test mosaic_golden`.

mod shipped;

use pallas_flash_test_support::golden::{golden_dir, stale_goldens};

#[test]
fn printed_mosaic_of_each_shipped_kernel_matches_its_golden_file() {
    let files = shipped::shipped().into_iter().map(|(case, kernel)| {
        let text = pallas_flash_codegen::lower(&kernel)
            .unwrap_or_else(|e| panic!("{case} does not lower: {e}"))
            .text;
        (
            golden_dir().join("mosaic").join(format!("{case}.mlir")),
            text,
        )
    });
    let stale = stale_goldens(files);
    assert!(
        stale.is_empty(),
        "printed Mosaic differs from {stale:?}: review with UPDATE_GOLDEN=1 and `git diff golden/mosaic`"
    );
}
