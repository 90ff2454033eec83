//! FlashAttention-2 forward and backward.
