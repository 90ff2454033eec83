//! Runtime costs: plugin load, topology creation, and compiling the matmul program through
//! libtpu (deviceless, v5e). Also reports RSS growth over 1000 compiles — a leak check too
//! slow for the test suite. Run: `cargo bench -p pallas-flash-runtime`.

use criterion::{criterion_group, criterion_main, Criterion};
use pallas_flash_runtime::{compile, CompileOptions, Plugin, Program, Topology};
use std::time::Instant;

#[path = "../tests/support/rss.rs"]
mod rss;

fn rss_mib() -> f64 {
    rss::rss_bytes() as f64 / f64::from(1u32 << 20)
}

const MATMUL_TANH: &str = include_str!("../tests/programs/matmul_tanh.mlir");

fn runtime(c: &mut Criterion) {
    // A plugin initializes once per process, so its load is timed once, not sampled.
    let started = Instant::now();
    let libtpu = Plugin::libtpu().expect("run `cargo xtask setup` first");
    println!(
        "plugin load (libtpu, first in process): {:.1} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    let started = Instant::now();
    let cpu = Plugin::cpu().expect("run `cargo xtask setup` first");
    println!(
        "plugin load (CPU, first in process): {:.1} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    println!(
        "PJRT API: libtpu {:?}, CPU {:?}",
        libtpu.api_version(),
        cpu.api_version()
    );

    c.bench_function("topology v5e:1x1", |b| {
        b.iter(|| Topology::tpu(&libtpu, "v5e:1x1").unwrap())
    });
    c.bench_function("topology v5e:2x2", |b| {
        b.iter(|| Topology::tpu(&libtpu, "v5e:2x2").unwrap())
    });

    let v5e = Topology::tpu(&libtpu, "v5e:1x1").unwrap();
    let program = Program::mlir_text(MATMUL_TANH);
    let quiet = CompileOptions {
        capture_optimized_hlo: false,
        ..Default::default()
    };
    let mut group = c.benchmark_group("compile matmul_tanh v5e:1x1");
    group.sample_size(20);
    group.bench_function("in process", |b| {
        b.iter(|| compile(&v5e, &program, &quiet).unwrap())
    });
    group.bench_function("with optimized HLO text", |b| {
        b.iter(|| compile(&v5e, &program, &CompileOptions::default()).unwrap())
    });
    group.finish();

    let before = rss_mib();
    for _ in 0..1000 {
        compile(&v5e, &program, &quiet).unwrap();
    }
    println!(
        "RSS over 1000 compiles: {before:.0} MiB -> {:.0} MiB",
        rss_mib()
    );
}

criterion_group!(benches, runtime);
criterion_main!(benches);
