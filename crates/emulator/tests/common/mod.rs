//! Shared by the catalog tests: a kernel from the IR through codegen's serde Mosaic into
//! the emulator, with interpret's host arrays on both sides.
#![allow(dead_code)] // each test binary uses a subset

use half::bf16;
use ndarray::{ArrayD, IxDyn};
use pallas_flash_emulator::{Data, Elem, Emulator, GridOrder, HostArray as Array, RunOptions};
use pallas_flash_interpret::HostArray;
use pallas_flash_ir::{DType, Kernel};

fn to_emulator(a: &HostArray) -> Array {
    let shape = a.shape().to_vec();
    match a {
        HostArray::F32(x) => Array::floats(Elem::F32, shape, x.iter().copied().collect()),
        HostArray::Bf16(x) => {
            Array::floats(Elem::Bf16, shape, x.iter().map(|v| v.to_f32()).collect())
        }
        HostArray::I32(x) => Array::ints(Elem::Int(32), shape, x.iter().copied().collect()),
        HostArray::I8(x) => Array::ints(
            Elem::Int(8),
            shape,
            x.iter().map(|v| i32::from(*v)).collect(),
        ),
    }
}

fn from_emulator(a: &Array, dtype: DType) -> HostArray {
    let shape = IxDyn(&a.shape);
    let array = |data: Vec<f64>| ArrayD::from_shape_vec(shape.clone(), data).expect("shape");
    let values: Vec<f64> = match &a.data {
        Data::F(v) => v.iter().map(|x| f64::from(*x)).collect(),
        Data::I(v) => v.iter().map(|x| f64::from(*x)).collect(),
    };
    match dtype {
        DType::F32 => array(values).mapv(|v| v as f32).into(),
        DType::Bf16 => array(values).mapv(bf16::from_f64).into(),
        DType::I8 => array(values).mapv(|v| v as i8).into(),
        _ => array(values).mapv(|v| v as i32).into(),
    }
}

/// The kernel's serde Mosaic (what libtpu receives), as generic text.
pub fn mosaic(kernel: &Kernel) -> String {
    pallas_flash_codegen::lower(kernel)
        .expect("lowering")
        .serde_text
}

/// Runs `kernel`'s emitted Mosaic in the emulator, grid in order.
pub fn emulate(kernel: &Kernel, args: &[HostArray]) -> Vec<HostArray> {
    emulate_text(kernel, &mosaic(kernel), args, GridOrder::InOrder)
}

/// Runs Mosaic `text` as `kernel`'s (its output shapes and dtypes) in `order`.
pub fn emulate_text(
    kernel: &Kernel,
    text: &str,
    args: &[HostArray],
    order: GridOrder,
) -> Vec<HostArray> {
    let emulator = Emulator::parse(text).unwrap_or_else(|e| panic!("{}: {e}", kernel.name));
    let operands: Vec<Array> = args.iter().map(to_emulator).collect();
    let options = RunOptions {
        order,
        output_shapes: Some(kernel.outputs.iter().map(|o| o.shape.clone()).collect()),
    };
    let outputs = emulator
        .run_with(&operands, &options)
        .unwrap_or_else(|e| panic!("{}: {e}", kernel.name));
    outputs
        .iter()
        .zip(&kernel.outputs)
        .map(|(a, o)| from_emulator(a, o.dtype))
        .collect()
}

pub use pallas_flash_test_support::max_relative_error as relative_error;

/// The emulator's outputs agree with interpret's within `tol` (relative).
pub fn assert_agrees_with_interpret(
    kernel: &Kernel,
    args: &[HostArray],
    emulated: &[HostArray],
    tol: f64,
) {
    let interpreted = pallas_flash_interpret::interpret(kernel, args).expect("interpret");
    for (i, (e, r)) in emulated.iter().zip(&interpreted).enumerate() {
        let err = relative_error(&e.to_f64(), &r.to_f64());
        assert!(
            err <= tol,
            "{}: output {i} differs from interpret by {err:.3e} (tolerance {tol:.0e})",
            kernel.name
        );
    }
}
