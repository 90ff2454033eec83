//! Static cycle estimate of the DSL's blocked matmul against XLA's own `dot_general` on the
//! same shapes, compiled by libtpu for v5e in the same run (acceptance 2).
//!
//! `cargo run --release -p pallas-flash-codegen --example matmul_vs_xla [N] [bm bn bk]`
//! (build `pallas-flash-worker` into the same target dir first). Defaults: 4096³, 512×1024×1024.

#[path = "../tests/common/mod.rs"]
mod common;

use pallas_flash_codegen::{
    compile_for_tpu, compile_program, CompileSettings, Program, TensorType,
};
use pallas_flash_ir::DType::{Bf16, F32};
use pallas_flash_tiling::Target;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let n = args.first().copied().unwrap_or(4096);
    let (bm, bn, bk) = match args[..] {
        [_, bm, bn, bk] => (bm, bn, bk),
        _ => (512, 1024, 1024),
    };
    let mut kernel = common::matmul(n, n, n, bm, bn, bk);
    kernel.vmem_limit_bytes = Some(64 << 20);
    let target = CompileSettings::new(Target::v5e()).with_static_profile();
    let ours = compile_for_tpu(&kernel, &target)?;
    let ours_cycles = ours.estimated_cycles().unwrap_or_default();

    let mut program = Program::new();
    let x = program.parameter(TensorType::new([n, n], Bf16));
    let y = program.parameter(TensorType::new([n, n], Bf16));
    let xy = program.body().dot_general(&x, &y, 0, [1, 0], F32);
    let (_, xla_profile) = compile_program(&program.finish(&[&xy]), &target)?;
    let xla_cycles = xla_profile.map(|p| p.total_cycles()).unwrap_or_default();

    let floor = 2.0 * (n as f64).powi(3) / 197e12 * 1.5e9;
    println!("matmul {n}^3 bf16 -> f32, blocks {bm}x{bn}x{bk}, v5e static estimate (1.5 GHz):");
    println!("  pallas-flash kernel: {ours_cycles} cycles ({:.1}% of MXU peak), compile {:.2} s, scoped VMEM used {:?} B", 100.0 * floor / ours_cycles as f64, ours.report.compile_seconds, ours.used_vmem_bytes());
    println!(
        "  XLA dot_general:     {xla_cycles} cycles ({:.1}% of MXU peak)",
        100.0 * floor / xla_cycles as f64
    );
    println!(
        "  ratio ours / XLA:    {:.3}",
        ours_cycles as f64 / xla_cycles as f64
    );
    Ok(())
}
