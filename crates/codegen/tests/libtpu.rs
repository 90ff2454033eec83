//! Kernels compiled by libtpu for v5e (deviceless, in worker processes). Small shapes:
//! each compile takes well under a second.

mod common;

use pallas_flash_codegen::{
    compile_for_tpu, compile_program, CompileSettings, CompiledKernel, Program, TensorType,
    TpuCustomCall,
};
use pallas_flash_ir::DType::*;
use pallas_flash_tiling::Target;

/// One v5e chip, with the compile worker built if it is missing.
fn v5e() -> CompileSettings {
    pallas_flash_test_support::worker::ensure_worker();
    CompileSettings::new(Target::v5e())
}

/// Opcodes of the ENTRY computation of optimized HLO text.
fn entry_opcodes(hlo: &str) -> Vec<String> {
    let entry = hlo
        .split("\nENTRY ")
        .nth(1)
        .expect("optimized HLO has an ENTRY computation");
    entry
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with('}'))
        .filter_map(|l| {
            let rhs = l.split(" = ").nth(1)?;
            let after_type = rhs.split_once(' ').map(|(_, rest)| rest)?;
            Some(after_type.split('(').next()?.trim().to_string())
        })
        .collect()
}

fn compile(kernel: &pallas_flash_ir::Kernel) -> CompiledKernel {
    compile_for_tpu(kernel, &v5e())
        .unwrap_or_else(|e| panic!("{} did not compile: {e}", kernel.name))
}

#[test]
fn blocked_matmul_compiles_at_several_block_sizes_with_nothing_around_the_kernel() {
    for (bm, bn, bk) in [
        (128, 128, 128),
        (128, 256, 512),
        (256, 256, 256),
        (512, 512, 512),
    ] {
        let compiled = compile(&common::matmul(1024, 1024, 1024, bm, bn, bk));
        let hlo = compiled
            .report
            .optimized_hlo_text
            .as_deref()
            .expect("optimized HLO is captured");
        let mut ops = entry_opcodes(hlo);
        ops.sort();
        assert_eq!(
            ops,
            ["custom-call", "parameter", "parameter"],
            "blocks {bm}x{bn}x{bk}:\n{hlo}"
        );
        assert!(compiled.report.compile_seconds < 30.0);
    }
}

#[test]
fn slice_pad_concatenate_mean_and_lane_reductions_compile() {
    for dtype in [F32, Bf16] {
        let compiled = compile(&pallas_flash_test_support::kernels::value_ops(dtype));
        let text = &compiled.mosaic.text;
        for op in [
            "vector.extract_strided_slice",
            "tpu.concatenate",
            "arith.divf",
            "vector.multi_reduction <maximumf>",
        ] {
            assert!(text.contains(op), "{dtype}: no {op} in\n{text}");
        }
    }
}

#[test]
fn attention_step_compiles() {
    compile(&common::attention(2, 512, 128, 256, 256));
}

#[test]
fn scalar_prefetch_dma_scratch_loops_and_conditionals_compile() {
    let compiled = compile(&common::gather_rows());
    assert!(
        compiled.mosaic.text.contains("tpu.enqueue_dma")
            && compiled.mosaic.text.contains("scf.for")
    );
}

#[test]
fn a_raised_vmem_limit_reaches_libtpu_and_the_used_vmem_is_reported() {
    // A 20 MiB window: over v5e's 16 MiB default, within a 32 MiB limit.
    let mut kernel = common::big_window(5120);
    kernel.vmem_limit_bytes = Some(32 << 20);
    let compiled = compile(&kernel);
    let used = compiled
        .used_vmem_bytes()
        .expect("libtpu reports the scoped VMEM it used");
    assert!((20 << 20..=32 << 20).contains(&used), "used {used} bytes");
}

#[test]
fn blocks_over_the_vmem_limit_are_rejected_by_the_budget_then_by_libtpu_e1001() {
    let kernel = common::big_window(5120);
    let error = compile_for_tpu(&kernel, &v5e()).unwrap_err();
    assert!(
        matches!(error, pallas_flash_codegen::CodegenError::Budget(_)),
        "{error}"
    );
    assert!(
        error.to_string().contains("set vmem_limit_bytes to"),
        "{error}"
    );
    let error = compile_for_tpu(&kernel, &v5e().without_budget_check()).unwrap_err();
    assert!(error.is_vmem_oom(), "{error}");
    assert!(error.to_string().contains("E1001"), "{error}");
}

#[test]
fn two_kernels_and_stablehlo_glue_compile_as_one_program() {
    let kernel = common::matmul(256, 256, 256, 128, 128, 128);
    let call = TpuCustomCall::new(&kernel, &pallas_flash_codegen::lower(&kernel).unwrap()).unwrap();
    let mut program = Program::new();
    let (x, y) = (
        program.parameter(TensorType::new([256, 256], Bf16)),
        program.parameter(TensorType::new([256, 256], Bf16)),
    );
    let xy = program.call(&call, &[&x, &y]).unwrap();
    let yx = program.call(&call, &[&y, &x]).unwrap();
    let sum = (program.body()).elementwise("add", &[xy[0].clone(), yx[0].clone()], F32);
    let text = program.finish(&[&sum]);
    let (report, _) = compile_program(&text, &v5e()).unwrap();
    let hlo = report.optimized_hlo_text.unwrap();
    assert_eq!(
        hlo.matches("custom_call_target=\"tpu_custom_call\"")
            .count(),
        2,
        "{hlo}"
    );
}

#[test]
fn static_estimate_of_a_small_matmul_is_above_its_flop_floor() {
    let compiled = compile_for_tpu(
        &common::matmul(512, 512, 512, 256, 256, 256),
        &v5e().with_static_profile(),
    )
    .unwrap();
    let cycles = compiled.estimated_cycles().expect("profile requested");
    // 2·512³ flops at v5e's 197 TFLOP/s and 1.5 GHz.
    let floor = (2.0 * 512f64.powi(3) / 197e12 * 1.5e9) as u64;
    assert!(cycles >= floor, "{cycles} cycles below the floor {floor}");
}
