//! Small kernels the tests of several crates build.

use pallas_flash_ir::{
    BlockDim::*, DType, DimensionSemantics::*, GridSpec, IndexExpr, Kernel, KernelBuilder,
    ReduceOp, Scalar, Value,
};

/// `o = x @ y` over `(bm, bn, bk)` blocks, accumulated in a scratch that is zeroed on the
/// first K step and flushed on the last. The accumulator and output are f32 (i32 for i8
/// inputs). `k` must be a multiple of `bk` (a partial K block would add padding); `m` and
/// `n` need not be multiples of their blocks.
pub fn matmul(
    m: usize,
    n: usize,
    k: usize,
    (bm, bn, bk): (usize, usize, usize),
    dtype: DType,
) -> Kernel {
    let acc_dtype = if dtype == DType::I8 {
        DType::I32
    } else {
        DType::F32
    };
    let grid = GridSpec::new([m.div_ceil(bm), n.div_ceil(bn), k / bk])
        .semantics([Parallel, Parallel, Arbitrary]);
    let mut kb = KernelBuilder::new("matmul", grid);
    let x = kb.input(
        "x",
        [m, k],
        dtype,
        kb.vmem_block([bm, bk], |g| [g.grid(0), g.grid(2)]),
    );
    let y = kb.input(
        "y",
        [k, n],
        dtype,
        kb.vmem_block([bk, bn], |g| [g.grid(2), g.grid(1)]),
    );
    let o = kb.output(
        "o",
        [m, n],
        acc_dtype,
        kb.vmem_block([bm, bn], |g| [g.grid(0), g.grid(1)]),
    );
    let acc = kb.scratch_vmem("acc", [bm, bn], acc_dtype);
    let step = kb.program_id(2);
    let zero = kb.i32(0);
    let first = kb.eq(step, zero);
    kb.when(first, |kb| {
        let z = kb.full([bm, bn], acc_dtype, zero_of(acc_dtype));
        kb.write(acc, z);
    });
    let (a, b, prev) = (kb.read(x), kb.read(y), kb.read(acc));
    let prod = kb.dot_general(a, b, pallas_flash_ir::DotDims::NN, acc_dtype);
    let sum = kb.add(prev, prod);
    kb.write(acc, sum);
    let last_step = kb.i32((k / bk - 1) as i32);
    let last = kb.eq(step, last_step);
    kb.when(last, |kb| {
        let r = kb.read(acc);
        kb.write(o, r);
    });
    kb.build().expect("valid matmul").0
}

/// FlashAttention-2 forward over `[heads, n, d]` arrays of `dtype`, non-causal, scale
/// `1/sqrt(d)`, grid `(heads, n / bq, n / bkv)`: the online-softmax state lives in VMEM
/// scratch, starts on the first KV step and is normalized into `o` on the last. The
/// probabilities are cast to `dtype` before `p @ v`, as a bf16 kernel does.
pub fn flash_attention(
    heads: usize,
    n: usize,
    d: usize,
    (bq, bkv): (usize, usize),
    dtype: DType,
) -> Kernel {
    let grid = GridSpec::new([heads, n / bq, n / bkv]).semantics([Parallel, Parallel, Arbitrary]);
    let mut k = KernelBuilder::new("attention_fwd", grid);
    let q_spec = k.vmem_block([Squeezed, Blocked(bq), Blocked(d)], |g| {
        [g.grid(0), g.grid(1), IndexExpr::Const(0)]
    });
    let kv_spec = k.vmem_block([Squeezed, Blocked(bkv), Blocked(d)], |g| {
        [g.grid(0), g.grid(2), IndexExpr::Const(0)]
    });
    let q = k.input("q", [heads, n, d], dtype, q_spec.clone());
    let kt = k.input("k", [heads, n, d], dtype, kv_spec.clone());
    let v = k.input("v", [heads, n, d], dtype, kv_spec);
    let o = k.output("o", [heads, n, d], dtype, q_spec);
    let state = [
        k.scratch_vmem("m", [bq, 1], DType::F32),
        k.scratch_vmem("l", [bq, 1], DType::F32),
        k.scratch_vmem("acc", [bq, d], DType::F32),
    ];
    let step = k.program_id(2);
    let zero = k.i32(0);
    let first = k.eq(step, zero);
    k.when(first, |k| {
        let minus_inf = k.full([bq, 1], DType::F32, f64::NEG_INFINITY);
        let zeros = k.full([bq, 1], DType::F32, 0.0);
        let acc0 = k.full([bq, d], DType::F32, 0.0);
        for (scratch, value) in state.into_iter().zip([minus_inf, zeros, acc0]) {
            k.write(scratch, value);
        }
    });
    let (qb, kb, vb) = (k.read(q), k.read(kt), k.read(v));
    let s = k.dot_nt(qb, kb);
    let scale = k.full([bq, bkv], DType::F32, 1.0 / (d as f64).sqrt());
    let s = k.mul(s, scale);
    let previous = state.map(|scratch| k.read(scratch));
    let online = online_softmax_step(&mut k, previous, s, vb, [bq, bkv, d], dtype);
    for (scratch, value) in state.into_iter().zip(online) {
        k.write(scratch, value);
    }
    let last_step = k.i32((n / bkv - 1) as i32);
    let last = k.eq(step, last_step);
    k.when(last, |k| {
        let [_, l, acc] = online;
        let l_wide = k.broadcast(l, [bq, d]);
        let out = k.div(acc, l_wide);
        let out = k.cast(out, dtype);
        k.write(o, out);
    });
    k.finish()
}

/// One online-softmax (FlashAttention-2) step, as every attention test kernel takes it:
/// folds a block of scores `s: f32[rows, cols]` (scaled, masked) and its values
/// `v: [cols, d]` into the running row max `m` and sum `l` (`f32[rows, 1]`) and the
/// unnormalized output `acc` (`f32[rows, d]`); returns the new `[m, l, acc]`. The
/// probabilities are cast to `p_dtype` for `p @ v`.
pub fn online_softmax_step(
    k: &mut KernelBuilder,
    [m, l, acc]: [Value; 3],
    s: Value,
    v: Value,
    [rows, cols, d]: [usize; 3],
    p_dtype: DType,
) -> [Value; 3] {
    let m_cur = k.reduce_max(s, 1);
    let m_new = k.max(m, m_cur);
    let m_wide = k.broadcast(m_new, [rows, cols]);
    let centered = k.sub(s, m_wide);
    let p = k.exp(centered);
    let m_diff = k.sub(m, m_new);
    let alpha = k.exp(m_diff);
    let l_old = k.mul(alpha, l);
    let p_sum = k.sum(p, 1);
    let l_new = k.add(l_old, p_sum);
    let alpha_wide = k.broadcast(alpha, [rows, d]);
    let acc_old = k.mul(acc, alpha_wide);
    let p_cast = k.cast(p, p_dtype);
    let pv = k.dot(p_cast, v);
    let acc_new = k.add(acc_old, pv);
    [m_new, l_new, acc_new]
}

/// Zero of a float or integer dtype.
fn zero_of(dtype: DType) -> Scalar {
    if dtype.is_float() {
        Scalar::Float(0.0)
    } else {
        Scalar::Int(0)
    }
}

/// Rows and lanes of [`value_ops`]' input.
pub const VALUE_OPS_SHAPE: [usize; 2] = [16, 256];

/// One kernel using every value op on an `f32[16, 256]` input `x` (one block), with one
/// output per op:
/// - `sliced = x[8:16, 128:256]` (`[8, 128]`);
/// - `padded = pad(x[0:8, 0:128], rows (8, 0), lanes (0, 128), -1.0)` (`[16, 256]`);
/// - `joined = concatenate([x[:, 128:], x[:, :128]], lanes)` (`[16, 256]`);
/// - `mean = broadcast(x.mean(1, keepdims), [16, 128])`;
/// - `row_max = reduce_lanes(max, x, 128)` (`[16, 128]`).
pub fn value_ops(dtype: DType) -> Kernel {
    let [rows, lanes] = VALUE_OPS_SHAPE;
    let mut k = KernelBuilder::new("value_ops", GridSpec::new([1]));
    let whole =
        |k: &KernelBuilder, shape: [usize; 2]| k.vmem_block(shape, |_| [0.into(), 0.into()]);
    let x = k.input("x", VALUE_OPS_SHAPE, dtype, whole(&k, VALUE_OPS_SHAPE));
    let outputs = [
        ("sliced", [8, 128]),
        ("padded", VALUE_OPS_SHAPE),
        ("joined", VALUE_OPS_SHAPE),
        ("mean", [rows, 128]),
        ("row_max", [rows, 128]),
    ];
    let [sliced, padded, joined, mean, row_max] = outputs.map(|(name, shape)| {
        let spec = whole(&k, shape);
        k.output(name, shape, dtype, spec)
    });
    let v = k.read(x);
    let s = k.slice(v, [8, 128], [8, 128]);
    k.write(sliced, s);
    let corner = k.slice(v, [0, 0], [8, 128]);
    let p = k.pad(corner, [8, 0], [0, 128], -1.0);
    k.write(padded, p);
    let (left, right) = (
        k.slice(v, [0, 0], [rows, lanes / 2]),
        k.slice(v, [0, lanes / 2], [rows, lanes / 2]),
    );
    let j = k.concatenate([right, left], 1);
    k.write(joined, j);
    let m = k.mean(v, 1);
    let m = k.broadcast(m, [rows, 128]);
    k.write(mean, m);
    let r = k.reduce_lanes(ReduceOp::Max, v, 128);
    k.write(row_max, r);
    k.build().expect("valid value_ops kernel").0
}
