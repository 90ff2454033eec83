//! The grid, window, memory and value semantics of the IR contract, one kernel each.

mod common;

use half::bf16;
use ndarray::{arr1, s, Array, Array2, ArrayD, IxDyn};
use pallas_flash_interpret::{interpret, Error, HostArray};
use pallas_flash_ir::{
    at, ds, BlockSpec, DType::*, DimensionSemantics::*, GridSpec, IndexExpr, KernelBuilder,
};

fn f32s(out: &HostArray) -> &ArrayD<f32> {
    out.get::<f32>().expect("an f32 output")
}

/// Blocks of whole rows: block `i` of a rank-2 array at grid step `i`.
fn rows(k: &KernelBuilder, block: [usize; 2]) -> BlockSpec {
    k.vmem_block(block, |g| [g.grid(0), 0.into()])
}

fn iota2(rows: usize, cols: usize) -> Array2<f32> {
    Array2::from_shape_fn((rows, cols), |(r, c)| (r * cols + c) as f32)
}

#[test]
fn padding_past_a_partial_block_reads_as_nan() {
    // x has 10 rows; its second 8-row block holds rows 8..16, of which 10..16 are padding.
    let mut k = KernelBuilder::new("copy", GridSpec::new([2]));
    let x = k.input("x", [10, 4], F32, rows(&k, [8, 4]));
    let o = k.output("o", [16, 4], F32, rows(&k, [8, 4]));
    let v = k.read(x);
    k.write(o, v);
    let out = interpret(&k.finish(), &[iota2(10, 4).into()]).unwrap();
    let o = f32s(&out[0]);
    assert_eq!(o.slice(s![..10, ..]), iota2(10, 4));
    assert!(o.slice(s![10.., ..]).iter().all(|v| v.is_nan()));
}

#[test]
fn writes_past_a_partial_block_are_dropped() {
    let mut k = KernelBuilder::new("fill", GridSpec::new([2]));
    let o = k.output("o", [5, 128], F32, rows(&k, [3, 128]));
    let seven = k.full([3, 128], F32, 7.0);
    k.write(o, seven);
    let out = interpret(&k.finish(), &[]).unwrap();
    assert_eq!(f32s(&out[0]), &ArrayD::from_elem(IxDyn(&[5, 128]), 7.0f32));
}

#[test]
fn output_windows_persist_while_their_block_index_stays() {
    // Steps 0,1 map to block 0 and steps 2,3 to block 1: even steps write the step
    // number, odd steps add 1 to what the even step left in the window.
    let mut k = KernelBuilder::new("persist", GridSpec::new([4]).semantics([Arbitrary]));
    let o = k.output(
        "o",
        [16, 128],
        F32,
        k.vmem_block([8, 128], |g| [g.grid(0) / 2, 0.into()]),
    );
    let step = k.program_id(0);
    let two = k.i32(2);
    let parity = k.rem(step, two);
    let zero = k.i32(0);
    let even = k.eq(parity, zero);
    k.when(even, |k| {
        let s = k.cast(step, F32);
        let s = k.broadcast(s, [8, 128]);
        k.write(o, s);
    });
    let odd = k.not(even);
    k.when(odd, |k| {
        let v = k.read(o);
        let one = k.full([8, 128], F32, 1.0);
        let v = k.add(v, one);
        k.write(o, v);
    });
    let out = interpret(&k.finish(), &[]).unwrap();
    let o = f32s(&out[0]);
    assert!(o.slice(s![..8, ..]).iter().all(|&v| v == 1.0));
    assert!(o.slice(s![8.., ..]).iter().all(|&v| v == 3.0));
}

#[test]
fn a_revisited_output_block_starts_from_a_fresh_buffer() {
    // Block order 0, 1, 0: the revisit writes only rows 0..4, and the whole window is
    // written back, so rows 4..8 come back unspecified (NaN), as on a TPU.
    let mut k = KernelBuilder::new("revisit", GridSpec::new([3]).semantics([Arbitrary]));
    let o = k.output(
        "o",
        [16, 128],
        F32,
        k.vmem_block([8, 128], |g| [g.grid(0).eq(1).select(1, 0), 0.into()]),
    );
    let step = k.program_id(0);
    let two = k.i32(2);
    let last = k.eq(step, two);
    let not_last = k.not(last);
    k.when(not_last, |k| {
        let v = k.full([8, 128], F32, 5.0);
        k.write(o, v);
    });
    k.when(last, |k| {
        let v = k.full([4, 128], F32, 9.0);
        k.store(o, [ds(0, 4), ds(0, 128)], v);
    });
    let out = interpret(&k.finish(), &[]).unwrap();
    let o = f32s(&out[0]);
    assert!(o.slice(s![..4, ..]).iter().all(|&v| v == 9.0));
    assert!(o.slice(s![4..8, ..]).iter().all(|v| v.is_nan()));
    assert!(o.slice(s![8.., ..]).iter().all(|&v| v == 5.0));
}

/// Gathers 8-row blocks of `x` in the order a scalar-prefetch table gives, and adds the
/// table entry (read in the body from SMEM) to each row.
fn gather_kernel() -> pallas_flash_ir::Kernel {
    let mut k = KernelBuilder::new("gather", GridSpec::new([3]));
    let table = k.scalar_prefetch("table", [3]);
    let x = k.input(
        "x",
        [24, 128],
        F32,
        k.vmem_block([8, 128], |g| [g.load(table, [g.grid(0)]), 0.into()]),
    );
    let o = k.output("o", [24, 128], F32, rows(&k, [8, 128]));
    let i = k.program_id(0);
    let entry = k.load(table, [at(i)]);
    let entry = k.cast(entry, F32);
    let entry = k.broadcast(entry, [8, 128]);
    let v = k.read(x);
    let v = k.add(v, entry);
    k.write(o, v);
    k.finish()
}

#[test]
fn scalar_prefetch_drives_index_maps_and_the_body() {
    let x = iota2(24, 128);
    let out = interpret(
        &gather_kernel(),
        &[arr1(&[2, 0, 1]).into(), x.clone().into()],
    )
    .unwrap();
    let o = f32s(&out[0]);
    for (block, source) in [(0, 2), (1, 0), (2, 1)] {
        let want = x
            .slice(s![source * 8..source * 8 + 8, ..])
            .mapv(|v| v + source as f32);
        assert_eq!(o.slice(s![block * 8..block * 8 + 8, ..]), want);
    }
}

#[test]
fn a_prefetch_index_map_that_leaves_the_array_is_a_clear_error() {
    let err = interpret(
        &gather_kernel(),
        &[arr1(&[2, 5, 1]).into(), iota2(24, 128).into()],
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::BlockIndexOutOfRange { operand, dim: 0, index: 5, point, blocks: 3, block: 8, extent: 24 } if operand == "input `x`" && point == &[1]),
        "{err}"
    );
    assert!(err.to_string().contains("clamp it with min/max"), "{err}");
}

#[test]
fn a_static_index_map_that_leaves_the_array_is_stopped_by_validation() {
    let mut k = KernelBuilder::new("shifted", GridSpec::new([2]));
    let x = k.input(
        "x",
        [16, 128],
        F32,
        k.vmem_block([8, 128], |g| [g.grid(0) + 1, 0.into()]),
    );
    let o = k.output("o", [16, 128], F32, rows(&k, [8, 128]));
    let v = k.read(x);
    k.write(o, v);
    let err = interpret(&k.finish(), &[iota2(16, 128).into()]).unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err}");
    assert!(err.to_string().contains("block index 2"), "{err}");
}

#[test]
fn a_dynamic_offset_that_leaves_its_ref_is_a_clear_error() {
    // Reads 4 rows at an offset taken from scalar prefetch: 4 fits, 5 does not.
    let mut k = KernelBuilder::new("offset", GridSpec::new([1]));
    let start = k.scalar_prefetch("start", [1]);
    let x = k.input("x", [8, 128], F32, rows(&k, [8, 128]));
    let o = k.output("o", [4, 128], F32, rows(&k, [4, 128]));
    let zero = k.i32(0);
    let row = k.load(start, [at(zero)]);
    let v = k.load(x, [ds(row, 4), ds(0, 128)]);
    k.write(o, v);
    let kernel = k.finish();
    let x = iota2(8, 128);
    let out = interpret(&kernel, &[arr1(&[4]).into(), x.clone().into()]).unwrap();
    assert_eq!(f32s(&out[0]), &x.slice(s![4.., ..]).into_dyn());
    let err = interpret(&kernel, &[arr1(&[5]).into(), x.into()]).unwrap_err();
    assert!(
        matches!(&err, Error::OffsetOutOfRange { name, dim: 0, offset: 5, max: 4, .. } if name == "x"),
        "{err}"
    );
}

#[test]
fn dma_from_any_memory_inside_a_fori_loop_with_when() {
    // o = sum over 4 chunks of 8 rows of x (left in HBM), odd chunks negated.
    let mut k = KernelBuilder::new("dma_sum", GridSpec::new([1]));
    let x = k.input("x", [32, 128], F32, BlockSpec::any());
    let o = k.output("o", [8, 128], F32, rows(&k, [8, 128]));
    let buf = k.scratch_vmem("buf", [8, 128], F32);
    let sem = k.dma_semaphores("sem", 1);
    let zeros = k.full([8, 128], F32, 0.0);
    let [total] = k.fori_loop(0, 4, [zeros], |k, i, [acc]| {
        let eight = k.i32(8);
        let row = k.mul(i, eight);
        let src = x.view([ds(row, 8), ds(0, 128)]);
        k.dma_start(src.clone(), buf, sem, 0);
        k.dma_wait(src, buf, sem, 0);
        let two = k.i32(2);
        let parity = k.rem(i, two);
        let one = k.i32(1);
        let odd = k.eq(parity, one);
        k.when(odd, |k| {
            let v = k.read(buf);
            let v = k.neg(v);
            k.write(buf, v);
        });
        let chunk = k.read(buf);
        [k.add(acc, chunk)]
    });
    k.write(o, total);
    let x = iota2(32, 128);
    let out = interpret(&k.finish(), &[x.clone().into()]).unwrap();
    let chunk = |c: usize| x.slice(s![c * 8..c * 8 + 8, ..]).to_owned();
    let want = chunk(0) - chunk(1) + chunk(2) - chunk(3);
    assert_eq!(f32s(&out[0]), &want.into_dyn());
}

#[test]
fn strided_loads_and_stores() {
    // Even rows of x go to the odd rows of o; the even rows of o keep a first store.
    let mut k = KernelBuilder::new("strided", GridSpec::new([1]));
    let x = k.input("x", [8, 128], F32, rows(&k, [8, 128]));
    let o = k.output("o", [8, 128], F32, rows(&k, [8, 128]));
    let minus = k.full([8, 128], F32, -1.0);
    k.write(o, minus);
    let even = k.load(x, [ds(0, 4).stride(2), ds(0, 128)]);
    k.store(o, [ds(1, 4).stride(2), ds(0, 128)], even);
    let x = iota2(8, 128);
    let out = interpret(&k.finish(), &[x.clone().into()]).unwrap();
    let o = f32s(&out[0]);
    for r in 0..8 {
        let want = if r % 2 == 1 {
            x.row(r - 1).to_owned()
        } else {
            Array::from_elem(128, -1.0)
        };
        assert_eq!(o.slice(s![r, ..]), want, "row {r}");
    }
}

#[test]
fn casts_and_integer_ops_follow_the_ir_rules() {
    let mut k = KernelBuilder::new("casts", GridSpec::new([1]));
    let spec = |k: &KernelBuilder| k.vmem_block([6], |g| [g.grid(0)]);
    let xf = k.input("xf", [6], F32, spec(&k));
    let xi = k.input("xi", [6], I32, spec(&k));
    let to_bf16 = k.output("to_bf16", [6], Bf16, spec(&k));
    let to_i32 = k.output("to_i32", [6], I32, spec(&k));
    let to_i8 = k.output("to_i8", [6], I8, spec(&k));
    let quotient = k.output("quotient", [6], I32, spec(&k));
    let remainder = k.output("remainder", [6], I32, spec(&k));
    let nonzero = k.output("nonzero", [6], I32, spec(&k));
    let (f, i) = (k.read(xf), k.read(xi));
    let b = k.cast(f, Bf16);
    k.write(to_bf16, b);
    let t = k.cast(f, I32);
    k.write(to_i32, t);
    let n = k.cast(i, I8);
    k.write(to_i8, n);
    let two = k.full([6], I32, -2);
    let q = k.div(i, two);
    k.write(quotient, q);
    let r = k.rem(i, two);
    k.write(remainder, r);
    let mask = k.cast(f, I1);
    let mask = k.cast(mask, I32);
    k.write(nonzero, mask);
    // 1 + 2^-8 is a bf16 tie (rounds to even, 1.0); 1 + 3·2^-8 rounds up.
    let xf = arr1(&[
        1.0 + 1.0 / 256.0,
        1.0 + 3.0 / 256.0,
        -2.7,
        2.7,
        0.0,
        -0.0f32,
    ]);
    let xi = arr1(&[300, -7, 7, -129, 127, 0i32]);
    let out = interpret(&k.finish(), &[xf.into(), xi.into()]).unwrap();
    let bf = out[0].get::<bf16>().unwrap().mapv(f32::from);
    assert_eq!(
        bf.as_slice().unwrap(),
        &[1.0, 1.0 + 4.0 / 256.0, -2.703125, 2.703125, 0.0, 0.0]
    );
    assert_eq!(
        out[1].get::<i32>().unwrap().as_slice().unwrap(),
        &[1, 1, -2, 2, 0, 0]
    );
    assert_eq!(
        out[2].get::<i8>().unwrap().as_slice().unwrap(),
        &[44, -7, 7, 127, 127, 0]
    );
    assert_eq!(
        out[3].get::<i32>().unwrap().as_slice().unwrap(),
        &[-150, 3, -3, 64, -63, 0]
    );
    assert_eq!(
        out[4].get::<i32>().unwrap().as_slice().unwrap(),
        &[0, -1, 1, -1, 1, 0]
    );
    assert_eq!(
        out[5].get::<i32>().unwrap().as_slice().unwrap(),
        &[1, 1, 1, 1, 0, 0]
    );
}

#[test]
fn shape_ops_reductions_and_batched_dots() {
    // x: [2, 4, 8]. Outputs: xᵀx per batch (transpose + batched dot), a reduction over
    // axes 0 and 2 without keep_dims, a reshape, and an iota.
    let mut k = KernelBuilder::new("shapes", GridSpec::new([1]));
    let x = k.input(
        "x",
        [2, 4, 8],
        F32,
        k.vmem_block([2, 4, 8], |g| [g.grid(0), 0.into(), 0.into()]),
    );
    let gram = k.output(
        "gram",
        [2, 8, 8],
        F32,
        k.vmem_block([2, 8, 8], |g| [g.grid(0), 0.into(), 0.into()]),
    );
    let sums = k.output("sums", [4], F32, k.vmem_block([4], |g| [g.grid(0)]));
    let flat = k.output("flat", [8, 8], F32, rows(&k, [8, 8]));
    let lanes = k.output("lanes", [4, 8], I32, rows(&k, [4, 8]));
    let v = k.read(x);
    let t = k.transpose(v, [0, 2, 1]);
    let dims = pallas_flash_ir::DotDims {
        lhs_contracting: 2,
        rhs_contracting: 1,
        batch: 1,
    };
    let g = k.dot_general(t, v, dims, F32); // [2, 8, 8] = xᵀx per batch
    k.write(gram, g);
    let r = k.reduce(pallas_flash_ir::ReduceOp::Sum, v, [0, 2], false);
    k.write(sums, r);
    let f = k.reshape(v, [8, 8]);
    k.write(flat, f);
    let l = k.iota([4, 8], 1);
    k.write(lanes, l);
    let xs = Array::from_shape_fn((2, 4, 8), |(b, r, c)| (b * 32 + r * 8 + c) as f32 / 16.0);
    let out = interpret(&k.finish(), &[xs.clone().into()]).unwrap();
    let x64 = xs.mapv(f64::from);
    for b in 0..2 {
        let xb = x64.index_axis(ndarray::Axis(0), b);
        let want = xb.t().dot(&xb);
        assert_eq!(out[0].to_f64().slice(s![b, .., ..]), want);
    }
    let want_sums = x64.sum_axis(ndarray::Axis(2)).sum_axis(ndarray::Axis(0));
    assert_eq!(out[1].to_f64(), want_sums.into_dyn());
    assert_eq!(
        f32s(&out[2]),
        &xs.clone().into_shape_with_order((8, 8)).unwrap().into_dyn()
    );
    assert_eq!(
        out[3].get::<i32>().unwrap(),
        &Array2::from_shape_fn((4, 8), |(_, c)| c as i32).into_dyn()
    );
}

#[test]
fn an_aliased_output_keeps_the_input_where_the_kernel_does_not_write() {
    // Only block 1 of 3 is visited; blocks 0 and 2 keep the aliased input's values.
    let mut k = KernelBuilder::new("in_place", GridSpec::new([1]));
    let x = k.input("x", [24, 128], F32, BlockSpec::any());
    let o = k.output(
        "o",
        [24, 128],
        F32,
        k.vmem_block([8, 128], |_| [IndexExpr::Const(1), 0.into()]),
    );
    k.alias(x, o);
    let v = k.full([8, 128], F32, 0.5);
    k.write(o, v);
    let x = iota2(24, 128);
    let out = interpret(&k.finish(), &[x.clone().into()]).unwrap();
    let mut want = x;
    want.slice_mut(s![8..16, ..]).fill(0.5);
    assert_eq!(f32s(&out[0]), &want.into_dyn());
}

#[test]
fn scratch_persists_across_the_grid() {
    // A running count in SMEM scratch, written out at every step.
    let mut k = KernelBuilder::new("count", GridSpec::new([2, 3]));
    let count = k.scratch_smem("count", [1], I32);
    let o = k.output(
        "o",
        [2, 3],
        I32,
        pallas_flash_ir::BlockSpec::smem([1, 1], k.index_map(|g| [g.grid(0), g.grid(1)])),
    );
    let (i, j) = (k.program_id(0), k.program_id(1));
    let zero = k.i32(0);
    let (i0, j0) = (k.eq(i, zero), k.eq(j, zero));
    let start = k.and(i0, j0);
    k.when(start, |k| {
        let z = k.i32(0);
        k.store(count, [at(0)], z);
    });
    let c = k.load(count, [at(0)]);
    let one = k.i32(1);
    let c = k.add(c, one);
    k.store(count, [at(0)], c);
    k.store(o, [at(0), at(0)], c);
    let out = interpret(&k.finish(), &[]).unwrap();
    assert_eq!(
        out[0].get::<i32>().unwrap(),
        &ndarray::arr2(&[[1, 2, 3], [4, 5, 6]]).into_dyn()
    );
}

/// The value ops (slice, pad, concatenate, mean, lane-keeping max) against an f64
/// reference written with ndarray, in f32 and in bf16 (inputs rounded to bf16 first).
#[test]
fn slice_pad_concatenate_mean_and_lane_reductions_match_f64() {
    use pallas_flash_test_support::{data, kernels, max_relative_error};
    let [rows, lanes] = kernels::VALUE_OPS_SHAPE;
    for (dtype, tolerance) in [(F32, 1e-6), (Bf16, 1e-2)] {
        let x32 = data(&kernels::VALUE_OPS_SHAPE, 7);
        let arg = match dtype {
            Bf16 => HostArray::from(x32.mapv(bf16::from_f32)),
            _ => HostArray::from(x32),
        };
        let x = arg.to_f64().into_dimensionality::<ndarray::Ix2>().unwrap();
        let out = interpret(&kernels::value_ops(dtype), &[arg]).unwrap();

        let sliced = x.slice(s![8..16, 128..256]).to_owned();
        let mut padded = Array2::from_elem((rows, lanes), -1.0);
        padded
            .slice_mut(s![8..16, 0..128])
            .assign(&x.slice(s![0..8, 0..128]));
        let joined = ndarray::concatenate![
            ndarray::Axis(1),
            x.slice(s![.., 128..]),
            x.slice(s![.., ..128])
        ];
        let lane_column = |f: &dyn Fn(ndarray::ArrayView1<f64>) -> f64| {
            Array2::from_shape_fn((rows, 128), |(r, _)| f(x.row(r)))
        };
        let mean = lane_column(&|row| row.sum() / lanes as f64);
        let row_max = lane_column(&|row| row.fold(f64::NEG_INFINITY, |m, v| m.max(*v)));
        for (name, got, expected) in [
            ("sliced", &out[0], sliced),
            ("padded", &out[1], padded),
            ("joined", &out[2], joined),
            ("mean", &out[3], mean),
            ("row_max", &out[4], row_max),
        ] {
            let error = max_relative_error(&got.to_f64(), &expected.into_dyn());
            assert!(
                error <= tolerance,
                "{dtype} {name}: max relative error {error}"
            );
        }
    }
}

#[test]
fn exp2_is_two_to_the_x_down_to_zero_at_minus_infinity() {
    use pallas_flash_test_support::max_relative_error;
    let x = Array2::from_shape_fn((8, 128), |(r, c)| {
        if r == 7 && c == 0 {
            f32::NEG_INFINITY
        } else {
            (r * 128 + c) as f32 / 16.0 - 60.0
        }
    });
    for (dtype, tolerance) in [(F32, 1e-6), (Bf16, 1e-2)] {
        let rounded = |v: f32| match dtype {
            Bf16 => f64::from(bf16::from_f32(v)),
            _ => f64::from(v),
        };
        let expected = x.mapv(|v| rounded(v).exp2()).into_dyn();
        let mut k = KernelBuilder::new("exp2", GridSpec::new([1]));
        let input = k.input("x", [8, 128], F32, rows(&k, [8, 128]));
        let o = k.output("o", [8, 128], dtype, rows(&k, [8, 128]));
        let v = k.read(input);
        let v = k.cast(v, dtype);
        let p = k.exp2(v);
        k.write(o, p);
        let out = interpret(&k.finish(), &[x.clone().into()]).unwrap();
        let got = out[0].to_f64();
        assert_eq!(got[[7, 0]], 0.0, "{dtype}: exp2(-inf)");
        let error = max_relative_error(&got, &expected);
        assert!(error <= tolerance, "{dtype}: max relative error {error}");
    }
}
