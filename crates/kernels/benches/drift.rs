//! Drift static estimates on v5e (libtpu's LLO profiler), each beside its DMA floor, the
//! bytes it moves and the projected chip time.
//!
//! `cargo bench -p pallas-flash-kernels --bench drift [-- ROWS,… [BLOCKS,…]]` (D = 768;
//! needs `pallas-flash-worker` built into the same target dir; at 1M rows a profile takes
//! minutes: run it under the machine's profile lock). The XLA peer of the same math is
//! `benches/peers/retrieval_peers.py --kernel drift`, run separately.
//!
//! The floor is measured, not assumed (the model's HBM rate grows with the DMA size, see
//! `benches/flash_decoding.rs`): [`stream_kernel`] fetches the same two snapshot blocks
//! and writes the same distance blocks with no compute. An estimate below it is work the
//! profiler did not see. Projected time = max(estimate, bytes / 819 GB/s), the spec rate.

use pallas_flash_codegen::{compile_for_tpu, CompileSettings};
use pallas_flash_ir::{DType, DimensionSemantics::*, GridSpec, IndexExpr, Kernel, KernelBuilder};
use pallas_flash_kernels::drift::DriftConfig;
use pallas_flash_tiling::Target;

const CLOCK_HZ: f64 = 1.5e9;
/// v5e's HBM bandwidth by its datasheet.
const SPEC_HBM_BYTES_PER_S: f64 = 819e9;
const DIM: usize = 768;
const BLOCKS: [usize; 3] = [256, 512, 1024];

fn cycles(kernel: &Kernel) -> Result<u64, String> {
    let compiled = compile_for_tpu(
        kernel,
        &CompileSettings::new(Target::v5e()).with_static_profile(),
    )
    .map_err(|e| e.to_string())?;
    compiled
        .estimated_cycles()
        .ok_or_else(|| "no static estimate".to_string())
}

/// The drift kernel's DMAs alone: both `[rows, DIM]` snapshots in `block`-row blocks,
/// a zero `[1, block]` distance block written per step.
fn stream_kernel(rows: usize, block: usize) -> Kernel {
    let grid = GridSpec::new([rows / block]).semantics([Arbitrary]);
    let mut k = KernelBuilder::new(format!("drift_stream_{rows}_{block}"), grid);
    let zero = || IndexExpr::Const(0);
    for name in ["before", "after"] {
        let spec = k.vmem_block([block, DIM], |g| [g.grid(0), zero()]);
        k.input(name, [rows, DIM], DType::Bf16, spec);
    }
    let spec = k.vmem_block([1, block], |g| [zero(), g.grid(0)]);
    let out = k.output("distance", [1, rows], DType::F32, spec);
    let zeros = k.full([1, block], DType::F32, 0.0);
    k.write(out, zeros);
    k.build().expect("the stream kernel validates").0
}

fn main() {
    let lists: Vec<Vec<usize>> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .map(|a| a.split(',').filter_map(|n| n.parse().ok()).collect())
        .collect();
    let rows = lists.first().cloned().unwrap_or_else(|| vec![65_536]);
    let blocks = lists.get(1).cloned().unwrap_or_else(|| BLOCKS.to_vec());
    println!("| rows x D | block | estimate | DMA floor | x floor | bytes | bytes / 819 GB/s | projected |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for &m in &rows {
        for &block in blocks.iter().filter(|&&b| m.is_multiple_of(b)) {
            let cfg = DriftConfig::new(m, DIM, 0.1);
            let kernel = cfg.kernel(block).expect("drift kernel builds").kernel;
            let bytes = cfg.min_hbm_bytes();
            let spec_cycles = bytes / SPEC_HBM_BYTES_PER_S * CLOCK_HZ;
            let (estimate, floor) = match (cycles(&kernel), cycles(&stream_kernel(m, block))) {
                (Ok(e), Ok(f)) => (e, f),
                (e, f) => {
                    println!("| {m} x {DIM} | {block} | {e:?} | {f:?} | | | | |");
                    continue;
                }
            };
            if estimate < floor {
                println!("| {m} x {DIM} | {block} | refused: {estimate} is below the DMA floor {floor} | | | | | |");
                continue;
            }
            let projected = (estimate as f64).max(spec_cycles) / CLOCK_HZ * 1e6;
            println!(
                "| {m} x {DIM} | {block} | {estimate} | {floor} | {:.2} | {:.1} MB | {:.0} µs | {projected:.0} µs |",
                estimate as f64 / floor as f64,
                bytes / 1e6,
                spec_cycles / CLOCK_HZ * 1e6,
            );
        }
    }
}
