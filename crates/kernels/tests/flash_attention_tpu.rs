//! Every shipped kernel configuration compiles through libtpu for v5e (deviceless, in the
//! isolated worker), at small shapes.

use pallas_flash_codegen::{compile_for_tpu, CompileSettings};
use pallas_flash_ir::{DType, Kernel};
use pallas_flash_kernels::flash_attention::{backward, forward, BlockSizes, FlashAttentionConfig};
use pallas_flash_tiling::Target;

fn compiles(name: &str, kernel: &Kernel) {
    let compiled = compile_for_tpu(kernel, &CompileSettings::new(Target::v5e()))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let used = compiled.used_vmem_bytes().unwrap_or(0);
    println!(
        "{name}: {} ok, scoped VMEM used {used} bytes, {:.2} s",
        kernel.name, compiled.report.compile_seconds
    );
}

/// The option matrix at a small shape: head dims, dtypes, masks, GQA.
fn configs() -> Vec<(&'static str, FlashAttentionConfig)> {
    let base = |d| {
        FlashAttentionConfig::new(1, 4, 2, 512, 512, d)
            .blocks(BlockSizes::new(256, 256).compute(128))
    };
    vec![
        ("d128", base(128)),
        ("d64_causal", base(64).causal(true)),
        ("d256_causal", base(256).causal(true)),
        ("f32_causal", base(128).dtype(DType::F32).causal(true)),
        ("window", base(128).sliding_window(200)),
        ("segments_causal", base(128).causal(true).segment_ids(true)),
        (
            "ragged_len",
            FlashAttentionConfig::new(1, 2, 1, 448, 448, 128)
                .causal(true)
                .blocks(BlockSizes::new(256, 256)),
        ),
    ]
}

#[test]
fn forward_compiles_for_v5e() {
    for (name, cfg) in configs() {
        compiles(
            name,
            &forward(&cfg, &Target::v5e()).expect("forward kernel"),
        );
    }
}

#[test]
fn backward_compiles_for_v5e() {
    for (name, cfg) in configs() {
        let kernels = backward(&cfg, &Target::v5e()).expect("backward kernels");
        compiles(name, &kernels.dq);
        compiles(name, &kernels.dkv);
    }
}

/// The copy-trap lint over libtpu's optimized HLO of a single-kernel program.
fn copy_trap_ops(cfg: &FlashAttentionConfig) -> Vec<String> {
    let kernel = forward(cfg, &Target::v5e()).expect("forward kernel");
    let compiled =
        compile_for_tpu(&kernel, &CompileSettings::new(Target::v5e())).expect("compiles");
    let text = compiled.report.optimized_hlo_text.expect("optimized HLO");
    let module = pallas_flash_hlo::HloModule::parse(&text).expect("parses");
    let report =
        pallas_flash_hlo::lint::lint(&module, &pallas_flash_hlo::lint::LintOptions::default());
    report
        .findings()
        .map(|(k, f)| format!("{}: {:?} {:?}", k.kernel, f.kind, f.side))
        .collect()
}

/// Head dims 128 and 256 are lane-dense: nothing surrounds the custom call. A head dim
/// that is not a multiple of 128 is stored in a non-row-major TPU layout, so XLA relayouts
/// it around the kernel (the copy trap); the documented strategy — the producer emits the
/// head dim zero-padded to 128 and `sm_scale` keeps the true dim's `1/sqrt(96)` — compiles
/// to a bare custom call again.
#[test]
fn head_dims_and_the_copy_trap() {
    let cfg = |d| {
        FlashAttentionConfig::new(1, 2, 2, 512, 512, d)
            .causal(true)
            .blocks(BlockSizes::new(256, 256))
    };
    for d in [128, 256] {
        assert_eq!(copy_trap_ops(&cfg(d)), Vec::<String>::new(), "head_dim {d}");
    }
    for d in [64, 96] {
        let trapped = copy_trap_ops(&cfg(d));
        println!("head_dim {d} unpadded: {trapped:?}");
        let padded = cfg(128).sm_scale(1.0 / (d as f64).sqrt());
        assert_eq!(
            copy_trap_ops(&padded),
            Vec::<String>::new(),
            "head_dim {d} padded to 128"
        );
    }
}
