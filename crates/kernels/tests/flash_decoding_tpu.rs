//! FlashDecoding through libtpu: every kernel of the shipped configurations (at small
//! shapes) compiles deviceless for v5e, alone and inside the two combine programs, with
//! no copy trap around the kernels.
//!
//! Needs the `pallas-flash-worker` binary in the target dir:
//! `cargo build -p pallas-flash-runtime --bin pallas-flash-worker`.

use pallas_flash_codegen::{
    compile_for_tpu, compile_program, lower, CompileSettings, Program, Tensor, TensorType,
    TpuCustomCall,
};
use pallas_flash_hlo::lint::{lint, LintOptions};
use pallas_flash_hlo::HloModule;
use pallas_flash_ir::{DType, Kernel};
use pallas_flash_kernels::flash_decoding::{
    combine_kernel, glue_combine, mesh_program, paged_kernel, split_kernel, CombineOutputs,
    FlashDecodingConfig, KvCacheDtype, PagedCache,
};
use pallas_flash_runtime::CompileOptions;
use pallas_flash_tiling::Target;

fn small(q_len: usize, q_heads: usize, kv_heads: usize) -> FlashDecodingConfig {
    FlashDecodingConfig::new(2, q_heads, kv_heads, 128, 2048)
        .with_splits(4, 256)
        .with_q_len(q_len)
}

/// Compiles `kernel` alone, checks the optimized HLO has no copy trap around it and
/// returns the scoped VMEM it used.
fn compiles(kernel: &Kernel) -> u64 {
    let compiled = compile_for_tpu(kernel, &CompileSettings::new(Target::v5e()))
        .unwrap_or_else(|e| panic!("{} did not compile: {e}", kernel.name));
    let vmem = compiled.used_vmem_bytes().unwrap_or_default();
    clean_hlo(compiled.report.optimized_hlo_text, &kernel.name);
    vmem
}

#[test]
fn split_kernels_compile_for_v5e() {
    for cfg in [
        small(1, 8, 8),
        small(1, 32, 8),
        small(4, 8, 2),
        small(1, 8, 1).with_kv_dtype(KvCacheDtype::Int8),
    ] {
        let (kernel, _) = split_kernel(&cfg, &Target::v5e()).unwrap();
        let vmem = compiles(&kernel);
        assert!(vmem > 0, "{}: no scoped VMEM reported", kernel.name);
        let (combine, _) = combine_kernel(
            &cfg,
            DType::Bf16,
            CombineOutputs::OutputAndLse,
            &Target::v5e(),
        )
        .unwrap();
        compiles(&combine);
        let (paged, _) = paged_kernel(
            &cfg,
            PagedCache {
                page_size: 64,
                num_pages: 80,
            },
            &Target::v5e(),
        )
        .unwrap();
        compiles(&paged);
    }
}

fn custom_call(kernel: &Kernel) -> TpuCustomCall {
    TpuCustomCall::new(kernel, &lower(kernel).unwrap()).unwrap()
}

/// `main(lengths, q, k, v)`: the split kernel, then the combine as a kernel or as glue.
fn decode_program(cfg: &FlashDecodingConfig, glue: bool) -> String {
    let (split, _) = split_kernel(cfg, &Target::v5e()).unwrap();
    let split = custom_call(&split);
    let mut program = Program::new();
    let params: Vec<Tensor> = split
        .operands
        .iter()
        .map(|t| program.parameter(t.clone()))
        .collect();
    let partials = program
        .call(&split, &params.iter().collect::<Vec<_>>())
        .unwrap();
    let out = if glue {
        glue_combine(
            &mut program,
            cfg,
            [&partials[0], &partials[1], &partials[2]],
            DType::Bf16,
        )
        .unwrap()
    } else {
        let (combine, _) =
            combine_kernel(cfg, DType::Bf16, CombineOutputs::Output, &Target::v5e()).unwrap();
        let combine = custom_call(&combine);
        program
            .call(&combine, &partials.iter().collect::<Vec<_>>())
            .unwrap()
            .remove(0)
    };
    assert_eq!(
        out.ty,
        TensorType::new(
            [cfg.batch, cfg.kv_heads, cfg.tile_rows(), cfg.head_dim],
            DType::Bf16
        )
    );
    program.finish(&[&out])
}

#[test]
fn both_combine_programs_compile_without_a_copy_trap() {
    for glue in [false, true] {
        let cfg = small(2, 16, 4);
        let text = decode_program(&cfg, glue);
        let (report, _) = compile_program(&text, &CompileSettings::new(Target::v5e()))
            .unwrap_or_else(|e| panic!("glue={glue}: {e}"));
        let hlo = clean_hlo(report.optimized_hlo_text, &format!("glue={glue}"));
        let kernels = hlo
            .matches("custom_call_target=\"tpu_custom_call\"")
            .count();
        assert_eq!(kernels, if glue { 1 } else { 2 });
    }
}

/// MHA decode (one query row per KV head) and speculative MHA (3 rows) used to make XLA
/// relayout `q: bf16[B, H_kv, rows, 128]` around the split kernel (default layout
/// `{3,1,2,0}`, a 16 KiB copy at B = 8); with the rows padded to 8 both the kernels and
/// the whole decode programs compile to bare custom calls.
#[test]
fn mha_decode_is_copy_free() {
    for q_len in [1, 3] {
        let cfg = FlashDecodingConfig::new(8, 8, 8, 128, 2048)
            .with_splits(4, 256)
            .with_q_len(q_len);
        assert_eq!(cfg.tile_rows(), 8);
        compiles(&split_kernel(&cfg, &Target::v5e()).unwrap().0);
        compiles(
            &combine_kernel(&cfg, DType::Bf16, CombineOutputs::Output, &Target::v5e())
                .unwrap()
                .0,
        );
        for glue in [false, true] {
            let (report, _) = compile_program(
                &decode_program(&cfg, glue),
                &CompileSettings::new(Target::v5e()),
            )
            .unwrap();
            clean_hlo(
                report.optimized_hlo_text,
                &format!("MHA q_len {q_len} glue={glue}"),
            );
        }
    }
}

/// Lints optimized HLO: no copy trap around the kernels; returns the HLO text.
fn clean_hlo(hlo: Option<String>, what: &str) -> String {
    let hlo = hlo.expect("optimized HLO");
    let module = HloModule::parse(&hlo).unwrap();
    assert!(
        lint(&module, &LintOptions::default()).is_clean(),
        "{what}: copy trap around the kernels:\n{hlo}"
    );
    hlo
}

#[test]
fn the_mesh_program_compiles_for_v5e_2x2_with_all_reduces() {
    let cfg = small(2, 16, 4);
    let text = mesh_program(&cfg, &"v5e:2x2".parse().unwrap()).unwrap();
    let target = CompileSettings {
        options: CompileOptions::spmd(4),
        ..CompileSettings::new("v5e:2x2".parse().expect("a known topology"))
    };
    let (report, _) = compile_program(&text, &target).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let hlo = clean_hlo(report.optimized_hlo_text, "mesh");
    assert_eq!(
        hlo.matches("custom_call_target=\"tpu_custom_call\"")
            .count(),
        2
    );
    assert!(hlo.contains("all-reduce"), "no collective in\n{hlo}");
}
