//! Test kernels shared by the codegen tests, golden files and the matmul example.
#![allow(dead_code)] // each test binary uses a subset

use pallas_flash_ir::{
    at, ds, BlockDim::*, BlockSpec, DType::*, DimensionSemantics::*, GridSpec, IndexExpr, Kernel,
    KernelBuilder,
};

/// Blocked matmul: bf16 in, f32 out, f32 VMEM accumulator, grid (M/bm, N/bn, K/bk).
pub fn matmul(m: usize, n: usize, kk: usize, bm: usize, bn: usize, bk: usize) -> Kernel {
    let grid = GridSpec::new([m / bm, n / bn, kk / bk]).semantics([Parallel, Parallel, Arbitrary]);
    let mut k = KernelBuilder::new("matmul", grid);
    let x = k.input(
        "x",
        [m, kk],
        Bf16,
        k.vmem_block([bm, bk], |g| [g.grid(0), g.grid(2)]),
    );
    let y = k.input(
        "y",
        [kk, n],
        Bf16,
        k.vmem_block([bk, bn], |g| [g.grid(2), g.grid(1)]),
    );
    let o = k.output(
        "o",
        [m, n],
        F32,
        k.vmem_block([bm, bn], |g| [g.grid(0), g.grid(1)]),
    );
    let acc = k.scratch_vmem("acc", [bm, bn], F32);
    let step = k.program_id(2);
    let zero = k.i32(0);
    let first = k.eq(step, zero);
    k.when(first, |k| {
        let z = k.full([bm, bn], F32, 0.0);
        k.write(acc, z);
    });
    let (a, b, prev) = (k.read(x), k.read(y), k.read(acc));
    let prod = k.dot(a, b);
    let sum = k.add(prev, prod);
    k.write(acc, sum);
    let last_step = k.i32((kk / bk - 1) as i32);
    let last = k.eq(step, last_step);
    k.when(last, |k| {
        let r = k.read(acc);
        k.write(o, r);
    });
    k.build().expect("valid matmul").0
}

/// One FlashAttention-2 forward step per grid point (the ir crate's doctest kernel).
pub fn attention(h: usize, n: usize, d: usize, bq: usize, bkv: usize) -> Kernel {
    let grid = GridSpec::new([h, n / bq, n / bkv]).semantics([Parallel, Parallel, Arbitrary]);
    let mut k = KernelBuilder::new("attention_fwd", grid);
    let q_spec = k.vmem_block([Squeezed, Blocked(bq), Blocked(d)], |g| {
        [g.grid(0), g.grid(1), IndexExpr::Const(0)]
    });
    let kv_spec = k.vmem_block([Squeezed, Blocked(bkv), Blocked(d)], |g| {
        [g.grid(0), g.grid(2), IndexExpr::Const(0)]
    });
    let q = k.input("q", [h, n, d], Bf16, q_spec.clone());
    let kt = k.input("k", [h, n, d], Bf16, kv_spec.clone());
    let v = k.input("v", [h, n, d], Bf16, kv_spec);
    let o = k.output("o", [h, n, d], Bf16, q_spec);
    let (m_s, l_s) = (
        k.scratch_vmem("m", [bq, 1], F32),
        k.scratch_vmem("l", [bq, 1], F32),
    );
    let acc_s = k.scratch_vmem("acc", [bq, d], F32);
    let step = k.program_id(2);
    let zero = k.i32(0);
    let first = k.eq(step, zero);
    k.when(first, |k| {
        let (minus_inf, zeros) = (
            k.full([bq, 1], F32, f64::NEG_INFINITY),
            k.full([bq, 1], F32, 0.0),
        );
        let acc0 = k.full([bq, d], F32, 0.0);
        for (scratch, value) in [(m_s, minus_inf), (l_s, zeros), (acc_s, acc0)] {
            k.write(scratch, value);
        }
    });
    let (qb, kb, vb) = (k.read(q), k.read(kt), k.read(v));
    let s = k.dot_nt(qb, kb);
    let scale = k.full([bq, bkv], F32, 1.0 / (d as f64).sqrt());
    let s = k.mul(s, scale);
    let (m_prev, l_prev, acc_prev) = (k.read(m_s), k.read(l_s), k.read(acc_s));
    let m_cur = k.reduce_max(s, 1);
    let m_new = k.max(m_prev, m_cur);
    let m_wide = k.broadcast(m_new, [bq, bkv]);
    let centered = k.sub(s, m_wide);
    let p = k.exp(centered);
    let m_diff = k.sub(m_prev, m_new);
    let alpha = k.exp(m_diff);
    let l_old = k.mul(alpha, l_prev);
    let p_sum = k.sum(p, 1);
    let l_new = k.add(l_old, p_sum);
    let alpha_wide = k.broadcast(alpha, [bq, d]);
    let acc_old = k.mul(acc_prev, alpha_wide);
    let p16 = k.cast(p, Bf16);
    let pv = k.dot(p16, vb);
    let acc_new = k.add(acc_old, pv);
    for (scratch, value) in [(m_s, m_new), (l_s, l_new), (acc_s, acc_new)] {
        k.write(scratch, value);
    }
    let last_step = k.i32((n / bkv - 1) as i32);
    let last = k.eq(step, last_step);
    k.when(last, |k| {
        let l_wide = k.broadcast(l_new, [bq, d]);
        let out = k.div(acc_new, l_wide);
        let out16 = k.cast(out, Bf16);
        k.write(o, out16);
    });
    k.build().expect("valid attention").0
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
