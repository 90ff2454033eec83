//! A small catalog of valid kernels shared by the tests; invalid-kernel tests start
//! from these and break one thing.

#![allow(dead_code)]

use pallas_flash_ir::BlockDim::{Blocked, Squeezed};
use pallas_flash_ir::DType::{Bf16, F32, I32};
use pallas_flash_ir::DimensionSemantics::{Arbitrary, Parallel};
use pallas_flash_ir::{ds, BlockSpec, GridSpec, IndexExpr, Kernel, KernelBuilder};
use pallas_flash_test_support::kernels::online_softmax_step;

/// `o = x @ y`, blocked over (M, N, K) with an f32 accumulator in scratch.
pub fn matmul() -> Kernel {
    let (m, n, kk, bm, bn, bk): (usize, usize, usize, usize, usize, usize) =
        (256, 256, 512, 128, 128, 256);
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
    let last_step = k.num_programs(2);
    let one = k.i32(1);
    let last_step = k.sub(last_step, one);
    let last = k.eq(step, last_step);
    k.when(last, |k| {
        let r = k.read(acc);
        k.write(o, r);
    });
    k.finish()
}

/// Causal attention for one query block per step: K and V stay in HBM (`Any`) and
/// are copied block by block into VMEM scratch inside a `fori_loop` whose trip count
/// depends on the program id; the carries are the online-softmax state.
pub fn causal_attention_dma() -> Kernel {
    let (n, d, b): (usize, usize, usize) = (1024, 128, 128);
    let grid = GridSpec::new([n / b]).semantics([Parallel]);
    let mut k = KernelBuilder::new("causal_attention_dma", grid);
    let q = k.input(
        "q",
        [n, d],
        Bf16,
        k.vmem_block([b, d], |g| [g.grid(0), IndexExpr::Const(0)]),
    );
    let kh = k.input("k_hbm", [n, d], Bf16, BlockSpec::any());
    let vh = k.input("v_hbm", [n, d], Bf16, BlockSpec::any());
    let o = k.output(
        "o",
        [n, d],
        F32,
        k.vmem_block([b, d], |g| [g.grid(0), IndexExpr::Const(0)]),
    );
    let kbuf = k.scratch_vmem("k_buf", [b, d], Bf16);
    let vbuf = k.scratch_vmem("v_buf", [b, d], Bf16);
    let sem = k.dma_semaphores("sem", 2);
    let qi = k.program_id(0);
    let one = k.i32(1);
    let upper = k.add(qi, one);
    let qb = k.read(q);
    let m0 = k.full([b, 1], F32, f64::NEG_INFINITY);
    let l0 = k.full([b, 1], F32, 0.0);
    let acc0 = k.full([b, d], F32, 0.0);
    let [_m, l, acc] = k.fori_loop(0, upper, [m0, l0, acc0], |k, j, [m, l, acc]| {
        let bsize = k.i32(b as i32);
        let start = k.mul(j, bsize);
        let krows = kh.view([ds(start, b), ds(0, d)]);
        let vrows = vh.view([ds(start, b), ds(0, d)]);
        k.dma_start(krows.clone(), kbuf, sem, 0);
        k.dma_start(vrows.clone(), vbuf, sem, 1);
        k.dma_wait(krows, kbuf, sem, 0);
        k.dma_wait(vrows, vbuf, sem, 1);
        let (kb, vb) = (k.read(kbuf), k.read(vbuf));
        let s = k.dot_nt(qb, kb);
        // Causal mask: key position <= query position.
        let rows = k.iota([b, b], 0);
        let cols = k.iota([b, b], 1);
        let diag = k.eq(j, qi);
        let later = k.gt(cols, rows);
        let diag_wide = k.broadcast(diag, [b, b]);
        let masked = k.and(later, diag_wide);
        let minus_inf = k.full([b, b], F32, -1e30);
        let s = k.select(masked, minus_inf, s);
        online_softmax_step(k, [m, l, acc], s, vb, [b, b, d], Bf16)
    });
    let l_wide = k.broadcast(l, [b, d]);
    let out = k.div(acc, l_wide);
    k.write(o, out);
    k.finish()
}

/// Decode over a paged KV cache: the page table and lengths are scalar prefetch, the
/// K index map reads the page table and clamps past the sequence end.
pub fn paged_decode() -> Kernel {
    let (batch, pages_per_seq, page, d, pool): (usize, usize, usize, usize, usize) =
        (4, 8, 128, 128, 64);
    let grid = GridSpec::new([batch, pages_per_seq]).semantics([Parallel, Arbitrary]);
    let mut k = KernelBuilder::new("paged_decode", grid);
    let table = k.scalar_prefetch("page_table", [batch, pages_per_seq]);
    let lengths = k.scalar_prefetch("lengths", [batch]);
    let q = k.input(
        "q",
        [batch, 8, d],
        F32,
        k.vmem_block([Squeezed, Blocked(8), Blocked(d)], |g| {
            [g.grid(0), IndexExpr::Const(0), IndexExpr::Const(0)]
        }),
    );
    let kv_spec = k.vmem_block([Squeezed, Blocked(page), Blocked(d)], |g| {
        // Pages past the sequence end re-read the last valid page (no new DMA).
        let last = (g.load(lengths, [g.grid(0)]) - 1) / page as i32;
        let j = g.grid(1).min(last);
        [
            g.load(table, [g.grid(0), j]),
            IndexExpr::Const(0),
            IndexExpr::Const(0),
        ]
    });
    let kc = k.input("k_pages", [pool, page, d], F32, kv_spec);
    let o = k.output(
        "o",
        [batch, 8, d],
        F32,
        k.vmem_block([Squeezed, Blocked(8), Blocked(d)], |g| {
            [g.grid(0), IndexExpr::Const(0), IndexExpr::Const(0)]
        }),
    );
    let bi = k.program_id(0);
    let len = k.load(lengths, [pallas_flash_ir::at(bi)]);
    let j = k.program_id(1);
    let page_c = k.i32(page as i32);
    let start = k.mul(j, page_c);
    let live = k.lt(start, len);
    k.when(live, |k| {
        let (qb, kb) = (k.read(q), k.read(kc));
        let s = k.dot_nt(qb, kb);
        let s16 = k.cast(s, I32);
        let s32 = k.cast(s16, F32);
        let part = k.dot(s32, kb);
        k.write(o, part);
    });
    k.vmem_limit_bytes(32 << 20);
    k.finish()
}
