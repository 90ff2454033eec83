//! Deviceless compiles through the pinned libtpu, in process (acceptance 1 and 3 of the
//! runtime issue). The worker-based path is covered in `isolated.rs`.

use pallas_flash_runtime::{compile, CompileOptions, Error, Plugin, Program, Topology};

const MATMUL_TANH: &str = include_str!("programs/matmul_tanh.mlir");
const MATMUL_TANH_SHARDED: &str = include_str!("programs/matmul_tanh_sharded.mlir");
const ATTENTION_HBM_OOM: &str = include_str!("programs/attention_hbm_oom.mlir");

fn libtpu() -> Plugin {
    Plugin::libtpu()
        .expect("libtpu must be installed by `cargo xtask setup`; this test is never skipped")
}

#[test]
fn matmul_tanh_compiles_for_v5e_with_tiled_layouts() {
    let topology = Topology::tpu(&libtpu(), "v5e:1x1").unwrap();
    let exe = compile(
        &topology,
        &Program::mlir_text(MATMUL_TANH),
        &CompileOptions::default(),
    )
    .unwrap();
    let hlo = exe.optimized_hlo_text().expect("captured by default");
    assert!(
        hlo.contains("f32[256,512]{1,0:T(8,128)}"),
        "no (8,128) tiled layout in:\n{hlo}"
    );
    let stats = exe.memory_stats().unwrap();
    assert_eq!(
        stats.argument_bytes,
        (256 * 512 + 512 * 256) * 4,
        "{stats:?}"
    );
    assert_eq!(stats.output_bytes, 256 * 256 * 4, "{stats:?}");
    let cost = exe.cost_analysis().unwrap();
    assert_eq!(
        cost["flops"].as_f64(),
        Some(2.0 * 256.0 * 512.0 * 256.0),
        "{cost:?}"
    );
    assert!(exe.serialize().unwrap().len() > 1000);
    assert!(!exe.hlo_module_proto().unwrap().is_empty());
    assert!(exe.fingerprint().is_some());
}

#[test]
fn sharded_matmul_compiles_over_four_partitions_of_v5e_2x2() {
    let topology = Topology::tpu(&libtpu(), "v5e:2x2").unwrap();
    let devices = topology.devices().unwrap();
    assert_eq!(devices.len(), 4);
    assert!(
        devices.iter().all(|d| d.kind == "TPU v5 lite"),
        "{devices:?}"
    );
    assert_eq!(devices[1].coords, vec![1, 0, 0]);
    let exe = compile(
        &topology,
        &Program::mlir_text(MATMUL_TANH_SHARDED),
        &CompileOptions::spmd(4),
    )
    .unwrap();
    let hlo = exe.optimized_hlo_text().unwrap();
    // Each partition holds a quarter of the rows.
    assert!(
        hlo.contains("f32[256,512]{1,0:T(8,128)}"),
        "not partitioned:\n{hlo}"
    );
    assert!(
        hlo.contains("f32[256,256]{1,0:T(8,128)}"),
        "not partitioned:\n{hlo}"
    );
    assert_eq!(exe.memory_stats().unwrap().output_bytes, 256 * 256 * 4);
}

#[test]
fn four_partitions_on_one_chip_is_a_typed_error() {
    let topology = Topology::tpu(&libtpu(), "v5e:1x1").unwrap();
    let err = compile(
        &topology,
        &Program::mlir_text(MATMUL_TANH_SHARDED),
        &CompileOptions::spmd(4),
    )
    .err()
    .unwrap();
    assert!(matches!(err, Error::Pjrt { .. }), "{err:?}");
}

#[test]
fn temporaries_over_16_gib_are_hbm_oom() {
    let topology = Topology::tpu(&libtpu(), "v5e:1x1").unwrap();
    let err = compile(
        &topology,
        &Program::mlir_text(ATTENTION_HBM_OOM),
        &CompileOptions::default(),
    )
    .err()
    .unwrap();
    assert!(matches!(err, Error::HbmOom { .. }), "{err:?}");
    assert!(err.to_string().contains("E1000"), "{err}");
}

#[test]
fn malformed_program_is_a_typed_error_not_a_crash() {
    // Unterminated input once crashed libtpu's MLIR lexer (it read past the end).
    let topology = Topology::tpu(&libtpu(), "v5e:1x1").unwrap();
    for text in ["module { garbage", "", "module {}", "\u{0}\u{1}\u{2}"] {
        let err = compile(
            &topology,
            &Program::mlir_text(text),
            &CompileOptions::default(),
        )
        .err();
        assert!(matches!(err, Some(Error::Pjrt { .. })), "{text:?}: {err:?}");
    }
}

#[test]
fn unknown_topology_names_the_known_ones() {
    let err = Topology::tpu(&libtpu(), "v9z:1x1").err().unwrap();
    assert!(matches!(err, Error::UnknownTopology { .. }), "{err:?}");
    assert!(err.to_string().contains("v5e:2x2"));
}

#[test]
fn api_versions_are_new_enough() {
    let (major, minor) = libtpu().api_version();
    assert_eq!(major, 0);
    assert!(minor >= pallas_flash_runtime::MIN_API_VERSION.1);
}
