//! Pallas-Flash: one crate for kernel authors, re-exporting the project's crates.

/// Optimized-HLO parsing, the copy-trap lint and golden facts.
pub use pallas_flash_hlo as hlo;

/// PJRT plugins, TPU topologies, deviceless compile, isolated workers, CPU execution.
pub use pallas_flash_runtime as runtime;
