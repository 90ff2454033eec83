//! FlashAttention-2 forward and backward.

mod backward;
mod config;
mod error;
mod forward;
mod layout;
mod mask;
mod q_major;

pub use backward::{backward, BackwardKernels};
pub use config::{BlockSizes, FlashAttentionConfig, LANES};
pub use error::FlashAttentionError;
pub use forward::forward;
