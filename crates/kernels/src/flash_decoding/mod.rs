//! Split-KV FlashDecoding: decode attention for a batch of sequences, each with a few
//! new query tokens, against a long KV cache.
//!
//! The KV sequence of every (sequence, KV head) is cut into `splits` chunks that run on a
//! parallel grid axis; each chunk runs the online softmax over its blocks and writes a
//! partial `(acc, m, l)`; a combine ([`combine_kernel`] or the StableHLO
//! [`glue_combine`]) reduces the partials with a log-sum-exp. With few sequences and
//! heads the split axis is what gives the pipeline enough independent work.
//!
//! # Layouts
//!
//! - **Query** `bf16[B, H_kv, R, D]` where `G = H_q / H_kv` and `R` is `q_len·G`
//!   rounded up to a multiple of 8 ([`FlashDecodingConfig::tile_rows`]): the `q_len`
//!   tokens and `G` query heads sharing a KV head form one tile, token-major (row `t·G + g`
//!   is token `t` of query head `h·G + g`), then zero rows. From the usual
//!   `[B, q_len, H_q, D]` this is a reshape to `[B, q_len, H_kv, G, D]`, a transpose to
//!   `[B, H_kv, q_len, G, D]`, a reshape and a pad of the row dim ([`query_tile`] does it
//!   on the host; in a program the producer of `q` should write it so). The padding keeps
//!   the operand row-major in XLA's default layout: MHA decode (`R` would be 1) otherwise
//!   pays a relayout copy of `q` around every call ([`QUERY_ROW_TILE`]).
//! - **Contiguous cache** `k`, `v`: `[B, H_kv, max_kv_len, D]`, bf16 or int8 with
//!   `f32[H_kv, 1, D]` scales (see [`KvCacheDtype::Int8`]).
//! - **Lengths** `i32[B]`: valid positions of each row, the new tokens included; token
//!   `t` sees positions `< lengths[b] - q_len + 1 + t`. Positions past the length may
//!   hold anything (NaN included): they cost no DMA and no compute and never reach the
//!   output.
//! - **Partials** `o_part: f32[B, H_kv, S, R, D]`, `m_part`, `l_part:
//!   f32[B, H_kv, S, R, 128]`; **output** `[B, H_kv, R, D]` (the query layout; rows past
//!   `q_len·G` are padding, [`untile_output`] drops them).

mod combine;
mod common;
mod config;
#[cfg(feature = "program")]
mod glue;
mod host;
#[cfg(feature = "program")]
mod mesh;
mod online_softmax;
mod paged;
mod split;

pub use combine::{combine_kernel, CombineOutputs};
#[cfg(feature = "program")]
pub use glue::glue_combine;
pub use config::{DecodeBlocks, FlashDecodingConfig, FlashDecodingError, KvCacheDtype, KvLengths, MAX_Q_LEN, QUERY_ROW_TILE};
pub use host::{combine_partials, query_tile, untile_output};
#[cfg(feature = "program")]
pub use mesh::{mesh_program, shard_lengths, MeshError};
pub use online_softmax::STAT_LANES;
pub use paged::{paged_kernel, PagedCache};
pub use split::split_kernel;
