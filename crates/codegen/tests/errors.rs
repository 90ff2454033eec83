//! Invalid kernels stop at validation; valid kernels without a lowering rule get one clear
//! error naming the statement. Nothing here reaches libtpu.

use pallas_flash_codegen::{lower, CodegenError};
use pallas_flash_ir::{ds, DType::*, GridSpec, KernelBuilder};

fn copy_kernel(rows: usize, stride: usize) -> pallas_flash_ir::Kernel {
    let mut k = KernelBuilder::new("copy", GridSpec::new([1]));
    let x = k.input(
        "x",
        [16, 128],
        F32,
        k.vmem_block([16, 128], |g| [g.grid(0), g.grid(0)]),
    );
    let o = k.output(
        "o",
        [8, 128],
        F32,
        k.vmem_block([8, 128], |g| [g.grid(0), g.grid(0)]),
    );
    let v = k.load(x, [ds(0, rows).stride(stride), ds(0, 128)]);
    k.write(o, v);
    k.finish()
}

#[test]
fn a_load_outside_its_block_is_a_validation_error_before_mlir() {
    // libtpu would compile a 32-row load from a 16-row block; the validator must not.
    let error = lower(&copy_kernel(32, 1)).unwrap_err();
    assert!(matches!(error, CodegenError::Invalid(_)), "{error}");
}

#[test]
fn a_construct_without_a_rule_is_one_error_naming_the_statement() {
    let error = lower(&copy_kernel(8, 2)).unwrap_err();
    let CodegenError::Unsupported { what, at } = &error else {
        panic!("{error}")
    };
    assert!(what.contains("stride 2"), "{what}");
    assert_eq!(at, "let[0]");
    assert!(error.to_string().contains("rules.rs"), "{error}");
}

#[test]
fn a_valid_kernel_lowers_to_the_serde_form() {
    let module = lower(&copy_kernel(8, 1)).unwrap();
    let names = String::from_utf8_lossy(&module.bytecode).to_string();
    for op in [
        "stable_mosaic.func.func",
        "stable_mosaic.vector.load",
        "stable_mosaic.tpu.vector_store",
    ] {
        assert!(
            names.contains(op.trim_start_matches("stable_mosaic.")),
            "{op}"
        );
    }
    assert!(names.contains("stable_mosaic") && names.contains("operandSegmentSizes"));
    assert_eq!(&module.bytecode[..4], b"ML\xefR", "MLIR bytecode magic");
}

#[test]
fn allow_input_fusion_takes_one_entry_per_operand_into_the_config() {
    let kernel = copy_kernel(8, 1);
    let call = pallas_flash_codegen::TpuCustomCall::new(&kernel, &lower(&kernel).unwrap()).unwrap();
    assert!(!call.backend_config().contains("allow_input_fusion"));
    let error = call
        .clone()
        .with_allow_input_fusion(vec![true, false])
        .unwrap_err();
    assert!(
        error.to_string().contains("2 entries") && error.to_string().contains("takes 1"),
        "{error}"
    );
    let fused = call.with_allow_input_fusion(vec![true]).unwrap();
    let config: serde_json::Value = serde_json::from_str(&fused.backend_config()).unwrap();
    // Where JAX 0.10.2 writes `pltpu.CompilerParams(allow_input_fusion=[True])`.
    assert_eq!(
        config["custom_call_config"]["allow_input_fusion"],
        serde_json::json!([true])
    );
}
