//! Test kernels shared by the codegen tests, golden files and the matmul example.
#![allow(dead_code)] // each test binary uses a subset

use pallas_flash_ir::{
    at, ds, BlockSpec, DType::*, DimensionSemantics::*, GridSpec, IndexExpr, Kernel, KernelBuilder,
};

/// Blocked matmul: bf16 in, f32 out, f32 VMEM accumulator, grid (M/bm, N/bn, K/bk).
pub fn matmul(m: usize, n: usize, kk: usize, bm: usize, bn: usize, bk: usize) -> Kernel {
    pallas_flash_test_support::kernels::matmul(m, n, kk, (bm, bn, bk), Bf16)
}

/// One FlashAttention-2 forward step per grid point (the ir crate's doctest kernel).
pub fn attention(h: usize, n: usize, d: usize, bq: usize, bkv: usize) -> Kernel {
    pallas_flash_test_support::kernels::flash_attention(h, n, d, (bq, bkv), Bf16)
}

/// Scalar prefetch (a row table in SMEM, also read by the output's index map), an ANY
/// input copied by DMA into VMEM scratch, DMA semaphores, `fori_loop`, `when`, iota,
/// compare/select, a transposed-operand dot and reductions.
pub fn gather_rows() -> Kernel {
    let grid = GridSpec::new([8]).semantics([Arbitrary]);
    let mut k = KernelBuilder::new("gather_rows", grid);
    let idx = k.scalar_prefetch("idx", [8]);
    let x = k.input("x", [64, 128], F32, BlockSpec::any());
    let out_spec = k.vmem_block([8, 128], |g| {
        [g.load(idx, [g.grid(0)]), IndexExpr::Const(0)]
    });
    let o = k.output("o", [64, 128], F32, out_spec);
    let buf = k.scratch_vmem("buf", [2, 8, 128], F32);
    let sem = k.dma_semaphores("sem", 2);
    let i = k.program_id(0);
    let zero = k.i32(0);
    let first = k.eq(i, zero);
    k.when(first, |k| {
        let z = k.full([8, 128], F32, 0.0);
        k.store(buf, [at(1), ds(0, 8), ds(0, 128)], z);
    });
    let row = k.load(idx, [at(i)]);
    let eight = k.i32(8);
    let start = k.mul(row, eight);
    let src = x.view([ds(start, 8), ds(0, 128)]);
    let dst = buf.view([at(0), ds(0, 8), ds(0, 128)]);
    k.dma_start(src.clone(), dst.clone(), sem, 0);
    k.dma_wait(src, dst, sem, 0);
    let init = k.full([8, 128], F32, 0.0);
    let [acc] = k.fori_loop(0, 3, [init], |k, j, [acc]| {
        let rows = k.load(buf, [at(0), ds(0, 8), ds(0, 128)]);
        let e = k.exp(rows);
        let jf = k.cast(j, F32);
        let jw = k.broadcast(jf, [8, 128]);
        let scaled = k.mul(e, jw);
        [k.add(acc, scaled)]
    });
    let m = k.reduce_max(acc, 1);
    let m_wide = k.broadcast(m, [8, 128]);
    let lanes = k.iota([8, 128], 1);
    let half = k.full([8, 128], I32, 64);
    let mask = k.lt(lanes, half);
    let centered = k.sub(acc, m_wide);
    let zeros = k.full([8, 128], F32, 0.0);
    let kept = k.select(mask, centered, zeros);
    let (b0, b1) = (
        k.load(buf, [at(0), ds(0, 8), ds(0, 128)]),
        k.load(buf, [at(1), ds(0, 8), ds(0, 128)]),
    );
    let gram = k.dot_nt(b0, b1);
    let row_sums = k.sum(gram, 1);
    let row_wide = k.broadcast(row_sums, [8, 128]);
    let out = k.add(kept, row_wide);
    k.write(o, out);
    k.build().expect("valid gather_rows").0
}

/// Every kernel configuration with a golden Mosaic file, by file stem.
pub fn catalog() -> Vec<(&'static str, Kernel)> {
    vec![
        (
            "matmul_256x256x512_b128x128x256",
            matmul(256, 256, 512, 128, 128, 256),
        ),
        (
            "matmul_1024x1024x1024_b512x512x512",
            matmul(1024, 1024, 1024, 512, 512, 512),
        ),
        (
            "attention_fwd_h2_n256_d128_b128",
            attention(2, 256, 128, 128, 128),
        ),
        ("gather_rows", gather_rows()),
    ]
}

/// `golden/mosaic` at the repository root.
pub fn golden_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../golden/mosaic")
}

/// A one-step kernel with one `rows × 1024` f32 input window (`rows · 4 KiB` of VMEM: a
/// single step needs no second buffer) that reads only one (8, 128) tile: it compiles fast, so
/// VMEM-limit behavior is cheap to test.
pub fn big_window(rows: usize) -> Kernel {
    let mut k = KernelBuilder::new("big_window", GridSpec::new([1]));
    let x = k.input(
        "x",
        [rows, 1024],
        F32,
        k.vmem_block([rows, 1024], |g| [g.grid(0), g.grid(0)]),
    );
    let o = k.output(
        "o",
        [8, 128],
        F32,
        k.vmem_block([8, 128], |g| [g.grid(0), g.grid(0)]),
    );
    let tile = k.load(x, [ds(0, 8), ds(0, 128)]);
    k.write(o, tile);
    k.build().expect("valid big_window").0
}
