mod common;
use pallas_flash_codegen::*;

#[test]
fn matmul_compiles() {
    let kernel = common::matmul(256, 256, 512, 128, 128, 256);
    let c = compile_for_tpu(&kernel, &Target::v5e().with_static_profile()).unwrap();
    println!("{}", c.report.optimized_hlo_text.as_deref().unwrap_or(""));
    println!("{:?} {:?} {}", c.estimated_cycles(), c.used_scoped_memory, c.report.compile_seconds);
}
