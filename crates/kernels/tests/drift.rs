//! Drift: configurations that can not become a kernel are errors that say what to use
//! instead (numerics: `crates/emulator/tests/catalog_drift.rs`, interpret and emulator).

use pallas_flash_kernels::drift::DriftConfig;
use pallas_flash_tiling::{KernelFamily, Target};

fn err(cfg: DriftConfig, block: usize) -> String {
    cfg.kernel(block).unwrap_err().to_string()
}

#[test]
fn bad_configurations_are_errors() {
    assert!(err(DriftConfig::new(1024, 100, 0.1), 256).contains("dim 100 is not a multiple of 128"));
    let text = err(DriftConfig::new(1000, 128, 0.1), 128);
    assert!(
        text.contains("1000 rows") && text.contains("e.g. 1024"),
        "{text}"
    );
    let text = err(DriftConfig::new(1024, 128, 0.1), 384);
    assert!(
        text.contains("block_rows 384") && text.contains("e.g. 1024"),
        "{text}"
    );
    assert!(err(DriftConfig::new(0, 128, 0.1), 128).contains("rows is 0"));
}

#[test]
fn default_blocks_stream_about_two_mib_per_snapshot() {
    for (rows, dim, want) in [
        (1 << 20, 768, 1024),
        (1 << 22, 3072, 256),
        (65_536, 128, 8192),
    ] {
        let cfg = DriftConfig::new(rows, dim, 0.1);
        assert_eq!(cfg.default_block_rows(), want, "{rows} x {dim}");
        let built = cfg
            .build(&Target::v5e(), &cfg.default_blocks(&Target::v5e()))
            .unwrap();
        assert_eq!(built[0].info.grid_steps, (rows / want) as u64);
    }
}
