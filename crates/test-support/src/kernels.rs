//! Small kernels the tests of several crates build.

use pallas_flash_ir::{
    DType, DimensionSemantics::*, GridSpec, Kernel, KernelBuilder, ReduceOp, Scalar,
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
