//! Valid kernels that pin down semantics the lowerings must share.

mod common;

use pallas_flash_ir::DType::{F32, I32};
use pallas_flash_ir::{
    at, ds, validate, BlockSpec, GridSpec, IndexExpr, IndexMap, KernelBuilder, RefType,
};

fn with_map(grid: usize, result: IndexExpr) -> pallas_flash_ir::Kernel {
    let mut k = KernelBuilder::new("mapped", GridSpec::new([grid]));
    let map = IndexMap {
        num_args: 1,
        results: vec![result, IndexExpr::Const(0)],
    };
    k.output("o", [16, 128], F32, BlockSpec::vmem([8usize, 128], map));
    k.finish()
}

#[test]
fn index_map_division_truncates_toward_zero() {
    // (g0 - 1) / 2 at g0 = 0 is 0 with truncation (floor division would give -1).
    let k = with_map(2, (IndexExpr::Arg(0) - 1) / 2);
    assert!(validate(&k).is_ok());
    // The remainder takes the dividend's sign: (0 - 1) % 2 = -1, out of range.
    let k = with_map(2, (IndexExpr::Arg(0) - 1) % 2);
    assert!(validate(&k)
        .unwrap_err()
        .to_string()
        .contains("block index -1 at grid point [0]"));
}

#[test]
fn clamped_index_maps_validate() {
    // Causal-style clamp: steps past the last block revisit it instead of reading past the end.
    let k = with_map(5, IndexExpr::Arg(0).min(1));
    assert!(validate(&k).is_ok());
    let k = with_map(5, IndexExpr::Arg(0).gt(1).select(1, IndexExpr::Arg(0)));
    assert!(validate(&k).is_ok());
}

#[test]
fn partial_last_block_is_allowed() {
    // 20 rows in blocks of 8: three blocks, the last holding 4 rows.
    let mut k = KernelBuilder::new("partial", GridSpec::new([3]));
    k.output(
        "o",
        [20, 128],
        F32,
        k.vmem_block([8usize, 128], |g| [g.grid(0), IndexExpr::Const(0)]),
    );
    let info = validate(&k.finish()).unwrap();
    assert_eq!(info.outputs[0].blocks_per_dim, Some(vec![3, 1]));
}

#[test]
fn smem_scalars_and_dynamic_slices() {
    let mut k = KernelBuilder::new("smem", GridSpec::new([2]));
    let offsets = k.scalar_prefetch("offsets", [2]);
    let x = k.input(
        "x",
        [64, 128],
        F32,
        k.vmem_block([32usize, 128], |g| [g.grid(0), IndexExpr::Const(0)]),
    );
    let o = k.output(
        "o",
        [16, 128],
        F32,
        k.vmem_block([8usize, 128], |g| [g.grid(0), IndexExpr::Const(0)]),
    );
    let counter = k.scratch_smem("counter", [1], I32);
    let i = k.program_id(0);
    let off = k.load(offsets, [at(i)]);
    let rows = k.load(x, [ds(off, 8), ds(0, 128)]);
    k.write(o, rows);
    k.store(counter, [at(0)], off);
    let (kernel, info) = k.build().unwrap();
    assert_eq!(info.smem_scratch_bytes, 4);
    assert_eq!(
        kernel.ref_type(offsets),
        Some(RefType::Buffer {
            dtype: I32,
            shape: vec![2],
            space: pallas_flash_ir::MemorySpace::Smem
        })
    );
}

#[test]
fn carried_loop_results_are_visible_after_the_loop() {
    let mut k = KernelBuilder::new("loop", GridSpec::new([1]));
    let o = k.output(
        "o",
        [8, 128],
        F32,
        k.vmem_block([8usize, 128], |g| [g.grid(0), IndexExpr::Const(0)]),
    );
    let zero = k.full([8, 128], F32, 0.0);
    let n = k.num_programs(0);
    let [acc] = k.fori_loop(0, n, [zero], |k, i, [acc]| {
        let fi = k.cast(i, F32);
        let wide = k.broadcast(fi, [8, 128]);
        [k.add(acc, wide)]
    });
    k.write(o, acc);
    assert!(k.build().is_ok());
}
