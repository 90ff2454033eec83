//! `hlo-check` over a 1 GiB dump directory: the goal is ≤ 10 s on 2 cores.
//!
//! The directory is made here, in a temp dir, from the committed corpus (real libtpu and
//! CPU dumps, copied round-robin under XLA-style names until the total passes 1 GiB), and
//! removed afterwards. It is read from the page cache once written: the figure is the
//! checker's speed, not the disk's. Run with `cargo bench -p pallas-flash-hlo --bench
//! check_dump_dir`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pallas_flash_hlo::check::check_all;
use pallas_flash_hlo::dump::optimized_dumps;
use pallas_flash_hlo::lint::{LintOptions, Summary};
use std::path::Path;

#[path = "../tests/common/mod.rs"]
mod common;
use std::time::Duration;

const TARGET_BYTES: u64 = 1 << 30;
const THREADS: usize = 2;

/// Fills `dir` with corpus copies until `TARGET_BYTES`; returns the bytes written.
fn fill(dir: &Path) -> u64 {
    let corpus = common::corpus();
    let mut written = 0u64;
    for (i, (case, text)) in corpus.iter().cycle().enumerate() {
        if written >= TARGET_BYTES {
            break;
        }
        let name = format!("module_{i:06}.jit_{case}.tpu_after_optimizations.txt");
        std::fs::write(dir.join(name), text).expect("temp dir is writable");
        written += text.len() as u64;
    }
    written
}

fn check_dump_dir(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let bytes = fill(dir.path());
    let options = LintOptions::default();
    let mut group = c.benchmark_group("hlo_check");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(60));
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("dump_dir_1GiB_2_threads", |b| {
        b.iter(|| {
            let paths = optimized_dumps(dir.path()).expect("dump dir");
            let checked = check_all(&paths, &options, THREADS, &|_| {});
            let mut summary = Summary::default();
            for c in &checked {
                summary.add(c.report.as_ref().expect("every corpus dump parses"));
            }
            summary
        })
    });
    group.finish();
}

criterion_group!(benches, check_dump_dir);
criterion_main!(benches);
