//! Interpret throughput of a FlashAttention-sized kernel: the online-softmax forward at
//! N = 1024, D = 128, one head, 128×128 blocks (64 grid steps), f32 and bf16, on the
//! CPU plugin. Compilation happens once, outside the timed loop, as in real use.

#[allow(dead_code, unused_imports)] // the bench uses one of the shared kernels
#[path = "../tests/common/kernels.rs"]
mod kernels;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use half::bf16;
use ndarray::Array3;
use pallas_flash_interpret::{HostArray, Interpreter};
use pallas_flash_ir::DType;

const HEADS: usize = 1;
const N: usize = 1024;
const D: usize = 128;
const BLOCKS: (usize, usize) = (128, 128);

fn inputs(dtype: DType) -> Vec<HostArray> {
    (0..3)
        .map(|seed| {
            let a = Array3::from_shape_fn((HEADS, N, D), |(h, i, j)| {
                (((h * 7 + i * 131 + j * 71 + seed * 977) % 1000) as f32 / 500.0) - 1.0
            });
            match dtype {
                DType::Bf16 => a.mapv(bf16::from_f32).into(),
                _ => a.into(),
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("interpret_flash_attention_fwd_n1024_d128");
    // Two matmuls of N×N×D per head.
    group.throughput(Throughput::Elements((4 * HEADS * N * N * D) as u64));
    group.sample_size(10);
    for dtype in [DType::F32, DType::Bf16] {
        let kernel = kernels::flash_attention(HEADS, N, D, BLOCKS, dtype);
        let interpreter =
            Interpreter::new(&kernel).expect("the CPU plugin is installed by `cargo xtask setup`");
        let args = inputs(dtype);
        group.bench_function(dtype.name(), |b| b.iter(|| interpreter.run(&args).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
