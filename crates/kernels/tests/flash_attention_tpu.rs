//! Every shipped kernel configuration compiles through libtpu for v5e (deviceless, in the
//! isolated worker), at small shapes.

use pallas_flash_codegen::{compile_for_tpu, Target};
use pallas_flash_ir::{DType, Kernel};
use pallas_flash_kernels::flash_attention::{backward, forward, BlockSizes, FlashAttentionConfig};

fn compiles(name: &str, kernel: &Kernel) {
    let compiled = compile_for_tpu(kernel, &Target::v5e()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let used = compiled.used_vmem_bytes().unwrap_or(0);
    println!("{name}: {} ok, scoped VMEM used {used} bytes, {:.2} s", kernel.name, compiled.report.compile_seconds);
}

/// The option matrix at a small shape: head dims, dtypes, masks, GQA.
fn configs() -> Vec<(&'static str, FlashAttentionConfig)> {
    let base = |d| FlashAttentionConfig::new(1, 4, 2, 512, 512, d).blocks(BlockSizes::new(256, 256).compute(128));
    vec![
        ("d128", base(128)),
        ("d64_causal", base(64).causal(true)),
        ("d256_causal", base(256).causal(true)),
        ("f32_causal", base(128).dtype(DType::F32).causal(true)),
        ("window", base(128).sliding_window(200)),
        ("segments_causal", base(128).causal(true).segment_ids(true)),
        ("ragged_len", FlashAttentionConfig::new(1, 2, 1, 448, 448, 128).causal(true).blocks(BlockSizes::new(256, 256))),
    ]
}

#[test]
fn forward_compiles_for_v5e() {
    for (name, cfg) in configs() {
        compiles(name, &forward(&cfg).expect("forward kernel"));
    }
}

#[test]
fn backward_compiles_for_v5e() {
    for (name, cfg) in configs() {
        let kernels = backward(&cfg).expect("backward kernels");
        compiles(name, &kernels.dq);
        compiles(name, &kernels.dkv);
    }
}
