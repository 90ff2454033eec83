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

pub mod flash_attention;
pub mod flash_decoding;
pub mod matmul;
pub mod online_softmax;
