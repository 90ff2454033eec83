//! Why a FlashAttention configuration can not become a kernel.

use pallas_flash_ir::{DType, ValidationError};
use pallas_flash_tiling::BudgetError;
use thiserror::Error;

/// A configuration problem, with the numbers involved and what to change.
#[derive(Debug, Error)]
pub enum FlashAttentionError {
    #[error("{what} is 0; every dimension of the problem must be at least 1")]
    EmptyDim { what: &'static str },

    #[error(
        "q_heads ({q_heads}) is not a multiple of kv_heads ({kv_heads}): GQA/MQA needs every \
         key/value head to serve the same number of query heads"
    )]
    HeadGroups { q_heads: usize, kv_heads: usize },

    #[error("dtype {dtype} is not supported: use bf16 (the fast path) or f32")]
    DType { dtype: DType },

    #[error("sm_scale must be finite and non-zero, got {sm_scale}")]
    Scale { sm_scale: f64 },

    #[error("sliding_window is 0, which masks every key; use a window of at least 1 or none")]
    EmptyWindow,

    #[error(
        "{name} = {block} does not fit seq {seq}: use a multiple of 128 no larger than {seq} \
         (a partial last block is masked), or exactly {seq}"
    )]
    Block {
        name: &'static str,
        block: usize,
        seq: usize,
    },

    #[error(
        "{name} = {compute} must divide its block ({block} rows) and be a multiple of 128 \
         (or equal the block); try {}",
        (*block).min(512)
    )]
    ComputeBlock {
        name: &'static str,
        compute: usize,
        block: usize,
    },

    #[error(
        "{what} = {value} does not fit the i32 indices TPU kernels use (max {})",
        i32::MAX
    )]
    TooLarge { what: &'static str, value: usize },

    #[error(transparent)]
    Vmem(#[from] BudgetError),

    #[error(
        "the generated kernel failed validation (a bug in this builder, please report it): {0}"
    )]
    Invalid(#[from] ValidationError),
}
