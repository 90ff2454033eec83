//! The committed corpus of real optimized-HLO dumps (see `data/generate.py`).

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use pallas_flash_hlo::HloModule;
use std::path::PathBuf;

pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// `(case name, text)` for every dump, sorted by name.
pub fn corpus() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(data_dir())
        .expect("tests/data exists")
        .filter_map(|e| {
            let path = e.ok()?.path();
            let name = path
                .file_name()?
                .to_str()?
                .strip_suffix(".after_optimizations.txt")?
                .to_string();
            Some((name, std::fs::read_to_string(&path).ok()?))
        })
        .collect();
    out.sort();
    out
}

pub fn module(case: &str) -> HloModule {
    let path = data_dir().join(format!("{case}.after_optimizations.txt"));
    HloModule::parse(&std::fs::read_to_string(path).expect("case exists")).expect("case parses")
}
