//! Regenerates the precision facts of the target profiles: our blocked matmul (4096³,
//! 512-blocks, and 1024 × 1024 × 512 on the 256-wide MXUs of v6e and 7x) compiled for
//! every target in bf16, int8 and fp8 e4m3 (per-channel scales), libtpu's static cycle
//! estimate each, and the speed-up over bf16 — or libtpu's error.
//!
//! ```text
//! cargo run -p pallas-flash --example precision_table
//! ```
//!
//! Prints one markdown row per target, block and precision; the figures go to
//! `Target::precision` (`crates/tiling/src/target.rs`) and `benches/results/precision.md`.

use pallas_flash::kernels::matmul::{MatmulBlocks, MatmulConfig};
use pallas_flash::report::report;
use pallas_flash::tiling::precision::{Precision, MEASURED_WITH};
use pallas_flash::tiling::Target;

const SIZE: usize = 4096;

fn main() {
    println!("matmul {SIZE}³, static estimates ({MEASURED_WITH})\n");
    println!("| target | blocks (m×n×k) | precision | cycles | speed-up over bf16 |");
    println!("|---|---|---|---:|---:|");
    for target in Target::all() {
        let mut block_sets = vec![MatmulBlocks::new(512, 512, 512)];
        if target.mxu_edge() == 256 {
            block_sets.push(MatmulBlocks::new(1024, 1024, 512));
        }
        for blocks in block_sets {
            let mut bf16_cycles = None;
            for precision in Precision::ALL {
                let cfg = MatmulConfig::new(SIZE, SIZE, SIZE)
                    .precision(precision)
                    .blocks(blocks);
                let shape = format!("{}×{}×{}", blocks.bm, blocks.bn, blocks.bk);
                let row = match report(&cfg, &target) {
                    Ok(r) => match r.estimate() {
                        Some(e) => {
                            let cycles = e.estimated_cycles;
                            let base = *bf16_cycles.get_or_insert(cycles);
                            format!("{cycles} | {:.3}", base as f64 / cycles as f64)
                        }
                        None => "no estimate | -".to_string(),
                    },
                    Err(e) => {
                        let text = e.to_string();
                        let first = text
                            .lines()
                            .find(|l| l.contains("Unsupported") || l.contains("error"))
                            .unwrap_or(&text);
                        format!(
                            "rejected: `{}` | -",
                            first.chars().take(140).collect::<String>()
                        )
                    }
                };
                println!("| {} | {shape} | {precision} | {row} |", target.name);
            }
        }
    }
}
