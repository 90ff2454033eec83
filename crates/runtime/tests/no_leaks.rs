//! Dropping what the runtime hands out frees it: RSS stays flat over hundreds of compiles
//! and executions (`benches/runtime.rs` repeats the compile check over 1000).
//! One test function on purpose: tests run on parallel threads of one process, and a
//! neighbour's allocations would show up in this one's RSS.

#[path = "support/rss.rs"]
mod rss;

use pallas_flash_runtime::{compile, Client, CompileOptions, Plugin, Program, Topology};
use rss::rss_bytes;

const ADD: &str = include_str!("programs/add.mlir");
const ROUNDS: usize = 300;
const WARMUP: usize = 30;
/// Allowed growth after warm-up. A leaked `Executable` alone holds ~1 MB of TPU code, so
/// leaking one per compile would exceed this tenfold.
const MAX_GROWTH_BYTES: u64 = 32 << 20;

/// RSS growth over `ROUNDS` calls of `step`, after `WARMUP` calls.
fn growth(mut step: impl FnMut()) -> u64 {
    (0..WARMUP).for_each(|_| step());
    let before = rss_bytes();
    assert!(before > 0, "VmRSS missing from /proc/self/status");
    (0..ROUNDS).for_each(|_| step());
    rss_bytes().saturating_sub(before)
}

#[test]
fn rss_stays_flat_over_compiles_and_executions() {
    let libtpu = Plugin::libtpu().unwrap();
    let options = CompileOptions {
        capture_optimized_hlo: false,
        ..Default::default()
    };
    let program = Program::mlir_text(ADD);
    let compiles = growth(|| {
        let topology = Topology::tpu(&libtpu, "v5e:1x1").unwrap();
        let exe = compile(&topology, &program, &options).unwrap();
        assert!(!exe.serialize().unwrap().is_empty());
    });
    assert!(
        compiles < MAX_GROWTH_BYTES,
        "RSS grew {} MiB over {ROUNDS} TPU compiles",
        compiles >> 20
    );

    let client = Client::new(&Plugin::cpu().unwrap()).unwrap();
    let exe = client
        .compile(&program, &CompileOptions::default())
        .unwrap();
    let x = client
        .upload(ndarray::Array2::<f32>::ones((8, 128)).view())
        .unwrap();
    let executions = growth(|| {
        let out = exe.execute(&[&x]).unwrap();
        assert_eq!(out[0].download::<f32>().unwrap()[[7, 127]], 2.0);
    });
    assert!(
        executions < MAX_GROWTH_BYTES / 4,
        "RSS grew {} MiB over {ROUNDS} CPU runs",
        executions >> 20
    );
}
