//! Deviceless compiles through the pinned libtpu (acceptance 1 and 3 of the runtime issue).

use pallas_flash_runtime::{compile, CompileOptions, Error, Plugin, Program, Topology};

const MATMUL_TANH: &str = include_str!("programs/matmul_tanh.mlir");

fn libtpu() -> Plugin {
    Plugin::libtpu().expect("libtpu must be installed by `cargo xtask setup`; this test is never skipped")
}

#[test]
fn matmul_tanh_compiles_for_v5e_with_tiled_layouts() {
    let plugin = libtpu();
    let topology = Topology::tpu(&plugin, "v5e:1x1").unwrap();
    let exe = compile(&topology, &Program::mlir_text(MATMUL_TANH), &CompileOptions::default()).unwrap();
    let hlo = exe.optimized_hlo_text().expect("captured by default");
    println!("{hlo}");
    assert!(hlo.contains("T(8,128)"), "no (8,128) tiled layout in:\n{hlo}");
    let stats = exe.memory_stats().unwrap();
    println!("{stats:?}");
    assert!(stats.argument_bytes > 0 && stats.output_bytes > 0, "{stats:?}");
    println!("{:?}", exe.cost_analysis().unwrap());
    assert!(exe.serialize().unwrap().len() > 1000);
    assert!(!exe.hlo_module_proto().unwrap().is_empty());
}
