//! Every catalog kernel validates, and the info and text form say what we expect.

mod common;

use pallas_flash_ir::{validate, MemorySpace, RefType};

#[test]
fn catalog_kernels_validate() {
    for kernel in [
        common::matmul(),
        common::causal_attention_dma(),
        common::paged_decode(),
    ] {
        if let Err(e) = validate(&kernel) {
            panic!("{} failed: {e}\n{kernel}", kernel.name);
        }
    }
}

#[test]
fn matmul_info() {
    let info = validate(&common::matmul()).unwrap();
    assert_eq!(info.grid_steps, 2 * 2 * 2);
    assert_eq!(info.inputs[0].window_bounds, Some(vec![128, 256]));
    assert_eq!(info.inputs[0].blocks_per_dim, Some(vec![2, 2]));
    assert_eq!(info.inputs[0].block_bytes, 128 * 256 * 2);
    assert_eq!(info.inputs[0].array_bytes, 256 * 512 * 2);
    assert_eq!(info.outputs[0].block_bytes, 128 * 128 * 4);
    assert_eq!(info.vmem_scratch_bytes, 128 * 128 * 4);
    assert_eq!(info.smem_scratch_bytes, 0);
}

#[test]
fn any_operands_are_whole_arrays_without_window() {
    let info = validate(&common::causal_attention_dma()).unwrap();
    let k = &info.inputs[1];
    assert_eq!(k.window_bounds, None);
    assert_eq!(k.blocks_per_dim, None);
    assert_eq!(
        k.ref_type,
        RefType::Buffer {
            dtype: pallas_flash_ir::DType::Bf16,
            shape: vec![1024, 128],
            space: MemorySpace::Any
        }
    );
    assert_eq!(k.block_bytes, k.array_bytes);
}

#[test]
fn squeezed_dims_leave_the_ref_but_stay_in_window_bounds() {
    let info = validate(&common::paged_decode()).unwrap();
    let kv = &info.inputs[1];
    assert_eq!(kv.window_bounds, Some(vec![1, 128, 128]));
    assert_eq!(kv.blocks_per_dim, Some(vec![64, 1, 1]));
    assert_eq!(
        kv.ref_type,
        RefType::Buffer {
            dtype: pallas_flash_ir::DType::F32,
            shape: vec![128, 128],
            space: MemorySpace::Vmem
        }
    );
}

#[test]
fn value_types_are_recorded() {
    let kernel = common::matmul();
    let info = validate(&kernel).unwrap();
    let dot = kernel
        .exprs
        .iter()
        .find(|(_, e)| e.name() == "dot")
        .unwrap()
        .0;
    assert_eq!(info.value_type(dot).unwrap().to_string(), "f32[128, 128]");
}

#[test]
fn a_valid_kernel_carries_its_info_and_is_not_validated_again() {
    use pallas_flash_ir::{validate, ValidKernel, Validated};
    use std::borrow::Cow;
    let kernel = common::matmul();
    let valid = ValidKernel::new(kernel.clone()).expect("the catalog matmul is valid");
    assert_eq!(valid.info(), &validate(&kernel).unwrap());
    assert!(matches!(valid.validated(), Ok(Cow::Borrowed(_))));
    assert!(matches!(kernel.validated(), Ok(Cow::Owned(_))));
    let mut broken = kernel;
    broken.outputs.clear();
    assert!(ValidKernel::new(broken).is_err());
}
