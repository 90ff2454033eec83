//! Pallas-Flash's flagship kernels, written in the DSL of `pallas-flash-ir`.
//!
//! Each kernel family is a configuration struct (shapes, dtype, options, block sizes) and a
//! builder that turns it into a validated [`pallas_flash_ir::Kernel`]; lowering to Mosaic
//! (`pallas-flash-codegen`) and to plain StableHLO for numerics (`pallas-flash-interpret`)
//! happens downstream.
//!
//! - [`flash_attention`]: FlashAttention-2 forward and backward (causal, GQA/MQA, sliding
//!   window, segment ids), tuned for TPU v5e.
//! - [`flash_decoding`]: split-KV decode attention (contiguous and paged KV cache), and the
//!   pieces of its multi-chip version.
//! - [`retrieval`]: cosine-similarity top-k of queries against an embedding bank in HBM
//!   (agent memory), split over bank blocks and merged.
//! - [`drift`]: per-row cosine distance between two snapshots of a bank, rows over a
//!   threshold counted; HBM-bound.
//! - [`memory_priority`]: the agent-memory priority `sim × centrality × recency ×
//!   intrinsic` with a threshold, elementwise and HBM-bound.

pub mod drift;
pub mod flash_attention;
pub mod flash_decoding;
pub mod matmul;
pub mod memory_priority;
pub mod online_softmax;
pub mod retrieval;
pub mod row_sums;
