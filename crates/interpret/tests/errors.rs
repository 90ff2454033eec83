//! Wrong arguments and kernels the interpreter can not take: each a typed error with
//! the numbers and what to do.

mod common;

use common::kernels;
use ndarray::{Array1, Array2};
use pallas_flash_interpret::{lower_to_stablehlo, Error, HostArray, Interpreter};
use pallas_flash_ir::{DType, GridSpec, KernelBuilder};

fn interpreter() -> Interpreter {
    Interpreter::new(&kernels::elementwise([8, 128], [8, 128])).unwrap()
}

fn f32s(rows: usize, cols: usize) -> HostArray {
    Array2::<f32>::zeros((rows, cols)).into()
}

#[test]
fn wrong_argument_count() {
    let err = interpreter().run(&[f32s(8, 128)]).unwrap_err();
    assert!(
        matches!(
            err,
            Error::ArgumentCount {
                expected: 2,
                prefetch: 0,
                inputs: 2,
                got: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("takes 2 arrays"), "{err}");
}

#[test]
fn wrong_argument_shape() {
    let err = interpreter().run(&[f32s(8, 128), f32s(8, 64)]).unwrap_err();
    assert!(
        matches!(&err, Error::ArgumentShape { index: 1, name, expected, got } if name == "z" && expected == &[8, 128] && got == &[8, 64]),
        "{err}"
    );
}

#[test]
fn wrong_argument_dtype() {
    let ints: HostArray = Array2::<i32>::zeros((8, 128)).into();
    let err = interpreter().run(&[ints, f32s(8, 128)]).unwrap_err();
    assert!(
        matches!(
            err,
            Error::ArgumentDtype {
                index: 0,
                expected: DType::F32,
                got: DType::I32,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn invalid_kernels_give_the_validation_error() {
    let mut k = KernelBuilder::new("no_outputs", GridSpec::new([1]));
    k.input("x", [8], DType::F32, k.vmem_block([8], |g| [g.grid(0)]));
    let err = lower_to_stablehlo(&k.finish()).err().unwrap();
    assert!(
        matches!(err, Error::Invalid { ref kernel, .. } if kernel == "no_outputs"),
        "{err}"
    );
    assert!(err.to_string().contains("at least one output"), "{err}");
}

#[test]
fn eight_bit_float_operands_have_no_host_type() {
    let mut k = KernelBuilder::new("fp8", GridSpec::new([1]));
    let x = k.input(
        "x",
        [128],
        DType::F8E4M3Fn,
        k.vmem_block([128], |g| [g.grid(0)]),
    );
    let o = k.output("o", [128], DType::F32, k.vmem_block([128], |g| [g.grid(0)]));
    let v = k.read(x);
    let v = k.cast(v, DType::F32);
    k.write(o, v);
    let err = lower_to_stablehlo(&k.finish()).err().unwrap();
    assert!(
        matches!(
            err,
            Error::UnsupportedDtype {
                what: "input",
                dtype: DType::F8E4M3Fn,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn eight_bit_floats_inside_a_kernel_round_as_the_ir_says() {
    // 1 + 2^-4 is a tie between 1 and 1.125 in f8E4M3FN (3 mantissa bits): to even, 1.
    let mut k = KernelBuilder::new("fp8_inside", GridSpec::new([1]));
    let x = k.input("x", [3], DType::F32, k.vmem_block([3], |g| [g.grid(0)]));
    let o = k.output("o", [3], DType::F32, k.vmem_block([3], |g| [g.grid(0)]));
    let v = k.read(x);
    let narrow = k.cast(v, DType::F8E4M3Fn);
    let wide = k.cast(narrow, DType::F32);
    k.write(o, wide);
    let x = Array1::from(vec![1.0625f32, 1.1875, -3.0]);
    let out = Interpreter::new(&k.finish())
        .unwrap()
        .run(&[x.into()])
        .unwrap();
    assert_eq!(
        out[0].get::<f32>().unwrap().as_slice().unwrap(),
        &[1.0, 1.25, -3.0]
    );
}
