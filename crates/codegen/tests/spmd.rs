//! SPMD programs for a 2x2 v5e slice: a kernel per device inside `shard_map`, combined
//! across chips with `all_reduce`, compiled deviceless with 4 partitions.

mod common;

use pallas_flash_codegen::{
    compile_program, lower, CompileSettings, Mesh, Program, Reduction, Sharding, TensorType,
    TpuCustomCall,
};
use pallas_flash_ir::DType::*;
use pallas_flash_runtime::CompileOptions;

fn v5e_2x2() -> CompileSettings {
    CompileSettings {
        options: CompileOptions::spmd(4),
        ..CompileSettings::new("v5e:2x2".parse().expect("a known topology"))
    }
}

/// The local 256×256×512 matmul kernel as a custom call.
fn local_matmul() -> TpuCustomCall {
    let kernel = common::matmul(256, 256, 512, 128, 128, 256);
    TpuCustomCall::new(&kernel, &lower(&kernel).unwrap()).unwrap()
}

#[test]
fn row_sharded_matmul_runs_one_kernel_per_chip_without_collectives() {
    let call = local_matmul();
    let mut program = Program::spmd(Mesh::new("x", 4));
    let x = program.parameter_sharded(TensorType::new([1024, 512], Bf16), Sharding::Split(0));
    let y = program.parameter_sharded(TensorType::new([512, 256], Bf16), Sharding::Replicated);
    let out = program
        .shard_map(
            &[(&x, Sharding::Split(0)), (&y, Sharding::Replicated)],
            &[Sharding::Split(0)],
            |local, args| local.call(&call, &[&args[0], &args[1]]),
        )
        .unwrap();
    assert_eq!(out[0].ty, TensorType::new([1024, 256], F32));
    let text = program.finish_sharded(&[(&out[0], Sharding::Split(0))]);
    let (report, _) = compile_program(&text, &v5e_2x2()).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let hlo = report.optimized_hlo_text.unwrap();
    assert!(
        hlo.contains("custom_call_target=\"tpu_custom_call\""),
        "{hlo}"
    );
    assert!(!hlo.contains("all-reduce"), "{hlo}");
    let module = pallas_flash_hlo::HloModule::parse(&hlo).unwrap();
    let lint = pallas_flash_hlo::lint::lint(&module, &Default::default());
    assert!(lint.kernels.iter().all(|k| k.findings.is_empty()), "{lint}");
}

#[test]
fn contraction_split_over_chips_is_combined_with_an_all_reduce() {
    let call = local_matmul();
    let mut program = Program::spmd(Mesh::new("x", 4));
    let x = program.parameter_sharded(TensorType::new([256, 2048], Bf16), Sharding::Split(1));
    let y = program.parameter_sharded(TensorType::new([2048, 256], Bf16), Sharding::Split(0));
    let out = program
        .shard_map(
            &[(&x, Sharding::Split(1)), (&y, Sharding::Split(0))],
            &[Sharding::Replicated],
            |local, args| {
                let partial = local.call(&call, &[&args[0], &args[1]])?;
                Ok(vec![local.all_reduce(&partial[0], Reduction::Sum)?])
            },
        )
        .unwrap();
    let text = program.finish_sharded(&[(&out[0], Sharding::Replicated)]);
    let (report, _) = compile_program(&text, &v5e_2x2()).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let hlo = report.optimized_hlo_text.unwrap();
    assert!(hlo.contains("all-reduce"), "no collective in:\n{hlo}");
    assert!(
        hlo.contains("custom_call_target=\"tpu_custom_call\""),
        "{hlo}"
    );
}

#[test]
fn shard_map_rejects_uneven_splits_and_all_reduce_outside_it() {
    let mut program = Program::spmd(Mesh::new("x", 4));
    let x = program.parameter_sharded(TensorType::new([10, 128], F32), Sharding::Split(0));
    let err = program
        .shard_map(
            &[(&x, Sharding::Split(0))],
            &[Sharding::Split(0)],
            |_, args| Ok(args),
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("does not split evenly over 4 devices"),
        "{err}"
    );
    let err = program.all_reduce(&x, Reduction::Max).unwrap_err();
    assert!(
        err.to_string().contains("only valid inside shard_map"),
        "{err}"
    );
    let mut plain = Program::new();
    let y = plain.parameter(TensorType::new([8, 128], F32));
    assert!(plain
        .shard_map(
            &[(&y, Sharding::Replicated)],
            &[Sharding::Replicated],
            |_, a| Ok(a)
        )
        .is_err());
}
