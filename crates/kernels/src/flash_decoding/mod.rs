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
//!
//! # Choosing the cut
//!
//! [`FlashDecodingConfig::new`] starts from [`FlashDecodingConfig::default_blocks`]: one
//! split and the largest power-of-two block dividing the capacity whose bf16 K block stays
//! within 2 MiB while lengths come at run time (8192 positions at D = 128: a short row
//! over-reads at most one block), and within 8 MiB once every row fills the cache (32768;
//! the kernel raises its scoped VMEM limit to the ~33 MiB the double-buffered K/V blocks
//! need), see [`FlashDecodingConfig::default_blocks`]. v5e has one
//! TensorCore, so the split axis
//! runs serially there and splits only add partial and combine work (see the results below); with
//! `S = 1` the combine is a normalize and [`glue_combine`] is the cheaper form (2.4k–4.4k
//! cycles against the kernel's 6.3k–44k). With `S > 1` use [`combine_kernel`]: the glue's
//! per-split slices become layout copies.
//!
//! # Performance and four chips
//!
//! Decode is HBM-bound on a real chip: what wins is fewer bytes (the int8 cache,
//! [`KvCacheDtype::Int8`]) and more chips ([`mesh_program`] on `v5e:2x2`: the split kernel at
//! N/4 per chip, then the combine with `lse` across chips). The static estimates — ours beside
//! tpu-inference's RPA v3 and stacked_rpa measured with their SMEM metadata stored in-kernel,
//! bytes and projected time, splits, the combine, where the cycles go, the mesh against one chip
//! — are recorded in
//! [`benches/results/2026-12-02-flash-decoding-v5e-libtpu-0.0.52.md`](https://github.com/pallas-flash/pallas-flash/blob/main/benches/results/2026-12-02-flash-decoding-v5e-libtpu-0.0.52.md);
//! `pallas-flash bench` prints the same-run rows.

mod combine;
mod common;
mod config;
mod family;
#[cfg(feature = "program")]
mod glue;
mod host;
#[cfg(feature = "program")]
mod mesh;
mod online_softmax;
mod paged;
mod split;

pub use combine::{combine_kernel, CombineOutputs};
pub use config::{
    DecodeBlocks, FlashDecodingConfig, FlashDecodingError, KvCacheDtype, KvLengths, MAX_Q_LEN,
    QUERY_ROW_TILE,
};
pub use family::Decoding;
#[cfg(feature = "program")]
pub use glue::glue_combine;
pub use host::{combine_partials, query_tile, untile_output};
#[cfg(feature = "program")]
pub use mesh::{mesh_program, shard_lengths, MeshError};
pub use online_softmax::STAT_LANES;
pub use paged::{paged_kernel, PagedCache};
pub use split::split_kernel;
