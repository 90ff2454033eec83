//! Kernels written with the DSL, shared by the tests and the bench.

use pallas_flash_ir::{
    BlockDim::*, DType, DimensionSemantics::*, GridSpec, IndexExpr, Kernel, KernelBuilder,
};

pub use pallas_flash_test_support::kernels::{flash_attention, matmul};

/// `o = tanh(x) * z + exp(-|z|)` over `block`-shaped windows; partial blocks allowed.
pub fn elementwise(shape: [usize; 2], block: [usize; 2]) -> Kernel {
    let grid = GridSpec::new([shape[0].div_ceil(block[0]), shape[1].div_ceil(block[1])]);
    let mut k = KernelBuilder::new("elementwise", grid);
    let spec = k.vmem_block(block, |g| [g.grid(0), g.grid(1)]);
    let x = k.input("x", shape, DType::F32, spec.clone());
    let z = k.input("z", shape, DType::F32, spec.clone());
    let o = k.output("o", shape, DType::F32, spec);
    let (xv, zv) = (k.read(x), k.read(z));
    let t = k.tanh(xv);
    let tz = k.mul(t, zv);
    let az = k.abs(zv);
    let naz = k.neg(az);
    let e = k.exp(naz);
    let out = k.add(tz, e);
    k.write(o, out);
    k.finish()
}

/// Row sums and row maxima of `x` (`[rows, cols]`), reduced over column blocks of
/// `block[1]` into `[rows, 1]` outputs that stay put while the column index moves.
/// Columns past the end of a partial block are masked with `iota`, so the NaN the
/// interpreter pads with never reaches the result.
pub fn row_reductions(shape: [usize; 2], block: [usize; 2]) -> Kernel {
    let [rows, cols] = shape;
    let [br, bc] = block;
    let grid =
        GridSpec::new([rows.div_ceil(br), cols.div_ceil(bc)]).semantics([Parallel, Arbitrary]);
    let mut k = KernelBuilder::new("row_reductions", grid);
    let x = k.input(
        "x",
        shape,
        DType::F32,
        k.vmem_block(block, |g| [g.grid(0), g.grid(1)]),
    );
    let out_spec = k.vmem_block([br, 1], |g| [g.grid(0), IndexExpr::Const(0)]);
    let sum = k.output("sum", [rows, 1], DType::F32, out_spec.clone());
    let max = k.output("max", [rows, 1], DType::F32, out_spec);
    let j = k.program_id(1);
    let zero = k.i32(0);
    let first = k.eq(j, zero);
    k.when(first, |k| {
        let z = k.full([br, 1], DType::F32, 0.0);
        let m = k.full([br, 1], DType::F32, f64::NEG_INFINITY);
        k.write(sum, z);
        k.write(max, m);
    });
    // Column of each element: j * bc + iota < cols.
    let width = k.i32(bc as i32);
    let start = k.mul(j, width);
    let start = k.broadcast(start, [br, bc]);
    let lane = k.iota([br, bc], 1);
    let column = k.add(start, lane);
    let limit = k.full([br, bc], DType::I32, cols as i64);
    let inside = k.lt(column, limit);
    let xv = k.read(x);
    let zeros = k.full([br, bc], DType::F32, 0.0);
    let lows = k.full([br, bc], DType::F32, f64::NEG_INFINITY);
    let for_sum = k.select(inside, xv, zeros);
    let for_max = k.select(inside, xv, lows);
    let (s, m) = (k.sum(for_sum, 1), k.reduce_max(for_max, 1));
    let (s0, m0) = (k.read(sum), k.read(max));
    let (s1, m1) = (k.add(s0, s), k.max(m0, m));
    k.write(sum, s1);
    k.write(max, m1);
    k.finish()
}
