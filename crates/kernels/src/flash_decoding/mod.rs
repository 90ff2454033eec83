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
//! split and 8192-position blocks (the largest power of two up to 8192 dividing the
//! capacity). v5e has one TensorCore, so the split axis runs serially there and splits only
//! add partial and combine work (table below); with `S = 1` the combine is a normalize and
//! [`glue_combine`] is the cheaper form (2.4k–4.4k cycles against the kernel's 6.3k–44k).
//! With `S > 1` use [`combine_kernel`]: the glue's per-split slices become layout copies.
//!
//! # Performance (libtpu 0.0.52 static estimates, v5e, bf16, D = 128, q_len 1)
//!
//! Cycles at 1.5 GHz, every shape profiled directly, peers in the same run
//! (`benches/results/2026-11-22-flash-decoding-v5e-libtpu-0.0.52.txt`; `cargo bench -p
//! pallas-flash-kernels --bench flash_decoding`, `benches/peers/flash_decoding_peers.py`).
//! Ours is the split kernel (S = 1, bkv 8192) plus the glue combine. *DMA floor*: the same
//! K/V DMAs with no compute, measured in the run; *nominal*: KV bytes at docs/design.md §8's
//! ~1.245 TB/s, a conversion only (see below). RPA v3 is tpu-inference 0.32.0's ragged
//! paged attention (page 128, bkv 4096; 2048 gives the identical estimate).
//!
//! | N | B | H_q/H_kv | ours | RPA v3 | RPA / ours | XLA | DMA floor | nominal |
//! |---|---|---|---|---|---|---|---|---|
//! | 32k | 1 | 8/8 | 195,233 | 293,956 | 1.51× | 278,867 | 88,149 | 161,708 |
//! | 32k | 1 | 32/8 | 195,233 | 290,748 | 1.49× | abort | 88,149 | 161,708 |
//! | 32k | 8 | 8/8 | 1,529,391 | 2,194,127 | 1.43× | abort | 702,879 | 1,293,665 |
//! | 32k | 8 | 32/8 | 1,529,391 | 2,194,647 | 1.43× | abort | 702,879 | 1,293,665 |
//! | 128k | 1 | 8/8 | 762,929 | 1,108,996 | 1.45× | abort | 350,949 | 646,832 |
//! | 128k | 1 | 32/8 | 762,929 | 1,105,788 | 1.45× | abort | 350,949 | 646,832 |
//! | 128k | 8 | 8/8 | 6,072,495 | not run¹ | — | abort | 2,809,503 | 5,174,659 |
//! | 128k | 8 | 32/8 | 6,072,495 | not run¹ | — | abort | 2,809,503 | 5,174,659 |
//!
//! GQA 32/8 and MHA 8/8 are the same kernel here: both tiles pad to 8 rows. "abort": XLA
//! decode's static profile aborts libtpu (SIGABRT), as docs/design.md §8 saw at B = 8.
//! ¹ RPA v3's profiling compile at 128k, B = 8 passed 15 GB RSS after 4.5 minutes on the
//! shared 24 GB machine and was stopped; its B-scaling at 32k (×7.46) would put it near
//! 8.3 M cycles (an extrapolation, not a measurement).
//!
//! Against the targets: ≥ 1.10× RPA v3 in the same run holds at every shape
//! (1.43–1.51×). The absolute B = 1, 32k target (≤ 170,000, from anchors of 187,568 for
//! RPA v3) is not met: 195,233. Those anchors do not reproduce with the peer script as it
//! now runs (293,956 and 2,194,127), and our earlier 167,409 came from profiling one
//! (row, head) and scaling by B × H_kv, which this kernel's profile does not support (one
//! head at 32k: 17,640 cycles; eight heads directly: 192,864, not 141,120).
//!
//! Splits (B = 1, 8/8, bkv 4096, split + combine kernel): 32k S = 1, 2, 4, 8: 226,375,
//! 228,339, 230,495, 228,323; 128k S = 1, 4: 878,023, 884,639. Combine alone (32k
//! partials): kernel 6,295 / glue 2,369 at B = 1, S = 1; 44,440 / 4,386 at B = 8, S = 1;
//! kernel 6,897 (B = 1) and 49,176 (B = 8) at S = 8, where the glue's slice copies abort
//! the profiler.
//!
//! **Where the time goes.** The split kernel is 2.2× its DMA floor: compute-bound in the
//! model. With one query row per KV head (8 after padding) every `q·Kᵀ` and `p·V` loads
//! `bkv / 128` weight tiles into the MXU for 8 rows of work; that, not HBM, sets the pace.
//!
//! **The 128k "below the floor" estimate** (599,480 against 646,832 in the last session)
//! was no skipped work: the model's HBM rate depends on the DMA size (a pure K/V stream
//! estimates ~0.9 TB/s at 1024-position blocks, ~1.4 at 2048, ~1.9 at 4096, ~2.3 at 8192:
//! ~600 cycles per grid step plus ~2.9 TB/s), so the ~1.245 TB/s "floor" is one point of
//! that curve, not a bound, and long caches with 4096-position blocks streamed faster than
//! it. The figure was also the per-head-scaled one; profiled directly at 4096 the same
//! shape is 878,023. The bench now measures each shape's floor (the same DMAs without
//! compute) and refuses any estimate below it.
//!
//! # Four chips (v5e:2x2, [`mesh_program`])
//!
//! Per chip: the split kernel at N/4 plus the combine kernel with `lse`. Kernel time
//! against one chip (ours above, kernel combine for like with like):
//!
//! | N | B | per chip | one chip | ratio | + modeled all-reduces | ratio |
//! |---|---|---|---|---|---|---|
//! | 32k | 1 | 55,801 | 199,159 | 0.28× | 81,901 | 0.41× |
//! | 32k | 8 | 423,018 | 1,569,445 | 0.27× | ~451,000 | ~0.29× |
//! | 128k | 1 | 199,204 | 766,855 | 0.26× | 225,304 | 0.29× |
//! | 128k | 8 | 1,569,649 | 6,112,549 | 0.26× | ~1,597,000 | ~0.26× |
//!
//! The cross-chip combine: from ICI bandwidth (400 GB/s per chip, ring all-reduce of
//! `o`, `w` and `max lse`: 2·(C−1)/C of `B·H_kv·8·130·4` bytes) it would be 187 cycles at
//! B = 1 and 1,498 at B = 8. libtpu's static profile **does** model the collectives: the
//! mesh program's profile lists its all-reduces at 11,643 and 14,457 cycles (B = 1, 8/8),
//! latency rather than bandwidth; the B = 8 rows add that 26,100 plus the bandwidth term,
//! an estimate. The per-chip kernels meet ≤ 0.3×; with the modeled collectives B = 1 at
//! 32k does not (0.41×): at 8k positions per chip the all-reduce latency is a third of the
//! work.

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
