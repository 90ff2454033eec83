//! FlashDecoding static estimates on v5e (libtpu's LLO profiler), beside the byte floor.
//!
//! `cargo bench -p pallas-flash-kernels --bench flash_decoding [-- 32768,131072]`
//! (needs `pallas-flash-worker` built into the same target dir). Peers come from
//! `benches/peers/flash_decoding_peers.py`, run separately (Python, its own venv).
//!
//! Lengths are [`KvLengths::Uniform`] (the profiler reads scalar prefetch as 0, DESIGN §8).
//! Long caches are profiled at B = 1 and one KV head and scaled by B × H_kv (every
//! (row, head) streams the same bytes one after the other on v5e's single core); the
//! direct B = 1, H = 8 profile at 32k is printed as a check of that scaling. Every
//! estimate is compared with the byte floor: KV bytes at the model's ~1.245 TB/s.

use pallas_flash_codegen::{compile_for_tpu, Target};
use pallas_flash_ir::{DType, Kernel};
use pallas_flash_kernels::flash_decoding::{
    combine_kernel, split_kernel, CombineOutputs, FlashDecodingConfig, KvLengths,
};

const CLOCK_HZ: f64 = 1.5e9;
const MODEL_HBM_BYTES_PER_S: f64 = 1.245e12;
const D: usize = 128;

fn cycles(kernel: &Kernel) -> u64 {
    let compiled = compile_for_tpu(kernel, &Target::v5e().with_static_profile())
        .unwrap_or_else(|e| panic!("{}: {e}", kernel.name));
    compiled.estimated_cycles().unwrap_or_else(|| panic!("{}: no static estimate", kernel.name))
}

fn config(b: usize, hq: usize, hkv: usize, n: usize, splits: usize, bkv: usize) -> FlashDecodingConfig {
    FlashDecodingConfig::new(b, hq, hkv, D, n).with_splits(splits, bkv).with_lengths(KvLengths::Uniform(n))
}

fn floor_cycles(b: usize, hkv: usize, n: usize) -> f64 {
    let bytes = 2.0 * (b * hkv * n * D * 2) as f64;
    bytes / MODEL_HBM_BYTES_PER_S * CLOCK_HZ
}

fn main() {
    let lengths: Vec<usize> = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(|a| a.split(',').filter_map(|n| n.parse().ok()).collect())
        .unwrap_or_else(|| vec![32768, 131072]);
    let blocks = [1024, 2048, 4096];
    println!("| N | B | H_q/H_kv | split kernel (best block, S=1) | combine | total | byte floor | % of floor |");
    println!("|---|---|---|---|---|---|---|---|");
    for &n in &lengths {
        for (hq, hkv) in [(8, 8), (32, 8)] {
            // One (row, KV head) of the split kernel: the GQA group rides along as rows.
            let per_head: Vec<(usize, u64)> = blocks
                .iter()
                .map(|&bkv| (bkv, cycles(&split_kernel(&config(1, hq / hkv, 1, n, 1, bkv)).unwrap().0)))
                .collect();
            let (bkv, best) = per_head.iter().copied().min_by_key(|(_, c)| *c).unwrap_or_default();
            for b in [1, 8] {
                let split = best * (b * hkv) as u64;
                let cfg = config(b, hq, hkv, n, 1, bkv);
                let combine = cycles(&combine_kernel(&cfg, DType::Bf16, CombineOutputs::Output).unwrap().0);
                let total = split + combine;
                let floor = floor_cycles(b, hkv, n);
                println!(
                    "| {n} | {b} | {hq}/{hkv} | {split} (bkv {bkv}) | {combine} | {total} | {floor:.0} | {:.1}% |",
                    100.0 * floor / total as f64
                );
                assert!(total as f64 >= floor, "estimate below the byte floor: a profiler trap, not a win");
            }
            println!("|   | per-head sweep | {hq}/{hkv} | {per_head:?} | | | | |");
        }
    }
    if lengths.contains(&32768) {
        let direct = cycles(&split_kernel(&config(1, 8, 8, 32768, 1, 2048)).unwrap().0);
        println!("\nscaling check, N=32768 B=1 H=8 bkv=2048 direct: {direct} cycles");
        for splits in [2, 4, 8] {
            let cfg = config(1, 8, 8, 32768, splits, 2048);
            let split = cycles(&split_kernel(&cfg).unwrap().0);
            let combine = cycles(&combine_kernel(&cfg, DType::Bf16, CombineOutputs::Output).unwrap().0);
            println!("splits {splits}: split kernel {split} + combine {combine} = {}", split + combine);
        }
    }
}
