//! FlashAttention-2 forward, B=1 H=2 N=1024 D=128 causal, bf16: our emitted serde Mosaic
//! run by the emulator (parse and lowering outside the timed loop). Goal: ≤ 5 s on 2 cores.

use criterion::{criterion_group, criterion_main, Criterion};
use pallas_flash_emulator::{Elem, Emulator, HostArray};
use pallas_flash_kernels::flash_attention::{forward, FlashAttentionConfig};
use pallas_flash_tiling::Target;

fn operand(shape: [usize; 4], seed: u64) -> HostArray {
    let mut state = seed | 1;
    let n: usize = shape.iter().product();
    let values = (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 2000) as f32 / 1000.0 - 1.0
        })
        .collect();
    HostArray::floats(Elem::Bf16, shape.to_vec(), values)
}

fn flash_attention_forward(c: &mut Criterion) {
    let cfg = FlashAttentionConfig::new(1, 2, 2, 1024, 1024, 128).causal(true);
    let kernel = forward(&cfg, &Target::v5e()).expect("forward kernel");
    let text = pallas_flash_codegen::lower(&kernel)
        .expect("lowering")
        .serde_text;
    let emulator = Emulator::parse(&text).expect("parse");
    let inputs = [
        operand([1, 2, 1024, 128], 1),
        operand([1, 2, 1024, 128], 2),
        operand([1, 2, 1024, 128], 3),
    ];
    let mut group = c.benchmark_group("emulator");
    group.sample_size(10);
    group.bench_function("fa2_fwd_b1_h2_n1024_d128_causal", |b| {
        b.iter(|| emulator.run(&inputs).expect("run"))
    });
    group.finish();
}

criterion_group!(benches, flash_attention_forward);
criterion_main!(benches);
