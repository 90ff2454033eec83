//! Split-KV FlashDecoding.
