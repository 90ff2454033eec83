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
//! within 8 MiB (32768 positions at D = 128; the kernel raises its scoped VMEM limit to the
//! ~33 MiB the double-buffered K/V blocks need; for short rows in a long cache a smaller
//! block over-reads less, see [`FlashDecodingConfig::default_blocks`]). v5e has one
//! TensorCore, so the split axis
//! runs serially there and splits only add partial and combine work (table below); with
//! `S = 1` the combine is a normalize and [`glue_combine`] is the cheaper form (2.4k–4.4k
//! cycles against the kernel's 6.3k–44k). With `S > 1` use [`combine_kernel`]: the glue's
//! per-split slices become layout copies.
//!
//! # Performance (libtpu 0.0.52 static estimates, v5e, D = 128, q_len 1)
//!
//! Cycles at 1.5 GHz, every shape profiled directly
//! (`benches/results/2026-12-02-decode-blocks-v5e-libtpu-0.0.52.txt`; the peer method and
//! the correction of the earlier peer rows are in `2026-12-02-v5e-libtpu-0.0.52.txt`).
//! Ours is the split kernel (S = 1, default blocks: bkv 32768) plus the glue combine. The
//! peers are tpu-inference 0.32.0's ragged paged attention v3 (page 128, bkv 4096) and its
//! `experimental/stacked_rpa` (the library's blocks), measured by
//! `benches/peers/flash_decoding_peers.py` with their SMEM metadata stored by a preamble
//! inside the kernel (the profiler reads scalar prefetch as 0; docs/design.md §8), only their
//! own kernel profile counted, the preamble's cost subtracted. *Projected* = max(model
//! cycles, KV bytes at the 819 GB/s spec): on a real v5e every bf16 decode row here is
//! HBM-bound at the same bytes, and in-model compute differences vanish.
//!
//! | N | B | H_q/H_kv | KV | ours in-model | RPA v3 | stacked_rpa | best peer / ours | KV bytes | projected (ours; bf16 peers) |
//! |---|---|---|---|---|---|---|---|---|---|
//! | 32k | 1 | 8/8 | bf16 | 177,978 (175,609 + 2,369) | 185,230 | 199,080 | 1.04× | 134.2 MB | 245,827 |
//! | 32k | 8 | 8/8 | bf16 | 1,358,848 (1,354,462 + 4,386) | 1,401,324 | 1,380,158 | 1.016× | 1.07 GB | 1,966,620 |
//! | 32k | 1 | 8/8 | int8 | 111,987 (split) | — ¹ | — | 1.65× ² | 67.1 MB | 122,932 (2.00× RPA v3 bf16) |
//!
//! ¹ RPA v3 accepts no int8 cache (it requires a floating-point cache dtype) and its fp8
//! cache aborts libtpu for v5e (an LLO type check in the fusion that packs the new k/v
//! tokens); stacked_rpa has no quantized path. ² Against the best bf16 peer in-model.
//! Before 2026-12-02 the default block was 8192 positions: 192,864 / 1,525,005 (0.96× /
//! 0.90× the best peer). The earlier "1.43–1.51× RPA v3" was a measurement artifact: RPA v3
//! profiled without its metadata is an empty kernel plus a 275,329-cycle XLA copy of the
//! cache. MHA 8/8 and GQA 32/8 are the same kernel here (both tiles pad to 8 rows); the
//! peers cannot be profiled at 32/8 (libtpu's profiler aborts on their bf16 q tile).
//! 128k, B = 1, 8/8: 683,289 cycles (760,560 at bkv 8192).
//!
//! Credibility: any figure below the KV bytes at the model's fastest streaming (~2.9 TB/s:
//! 69,423 cycles at B = 1, 555,384 at B = 8) is an artifact; every row above clears it.
//!
//! **int8 KV** ([`KvCacheDtype::Int8`], `--kv-dtype int8`): 67.1 MB + 8 KiB of scales at
//! B = 1, 32k, 122,932 cycles at 819 GB/s; in-model 111,987, so HBM-bound at spec for its
//! own bytes. Max abs error against f64 at N = 32768: 1.17e-4 (bf16 cache 2.9e-5; 8 q / 1
//! kv head at the default block, `int8_cache_accuracy_at_32k`; 1.23e-4 at 8/8 heads, bkv
//! 8192).
//!
//! Splits (B = 1, 8/8, bkv 4096, split + combine kernel): 32k S = 1, 2, 4, 8: 226,375,
//! 228,339, 230,495, 228,323; 128k S = 1, 4: 878,023, 884,639. Combine alone (32k
//! partials): kernel 6,295 / glue 2,369 at B = 1, S = 1; 44,440 / 4,386 at B = 8, S = 1;
//! kernel 6,897 (B = 1) and 49,176 (B = 8) at S = 8, where the glue's slice copies abort
//! the profiler.
//!
//! **Where the time goes** (B = 1, 8/8, 32k; libtpu's LLO dumps, `LIBTPU_INIT_ARGS=
//! --xla_jf_dump_to=DIR --xla_jf_dump_llo_text=true`, docs/design.md §6). A whole 8192-
//! position block of one head is 1,281 VLIW bundles: 1,024 `vmatpush` (K and V both enter
//! the MXUs as weights, 8 pushes per 128 × 128 tile), 128 `vmatmul`, 130 `vexp2`, and the
//! loads and adds around them; the step still costs ~6,000 cycles, because each weight
//! tile holds an MXU for ~128 cycles: 4,096 cycles a block on 4 MXUs, the 131,072-cycle MXU
//! floor at B = 1. The same kernel with its compute switched off (the same pipelined K/V
//! DMAs, a local experiment) estimates 158,796 at bkv 8192 and 142,871 at 32768: the
//! model charges ~600 cycles a grid step and streams larger DMAs faster, so 4× larger blocks
//! cut 32 steps to 8 and the DMA time by 10%. Ours at 32768 is that DMA floor plus 32,738
//! cycles the model does not hide behind the DMAs. On the chip none of this shows: the KV
//! bytes take 245,827 cycles at 819 GB/s. Tried and not kept: a channel-major cache
//! (`[B, H_kv, D, N]`, positions along lanes) with both products on the VPU (one real row:
//! unpack, multiply, add per element) estimated 198,100 at bkv 8192, slower than the MXU
//! (the f32 unpack and the sublane/lane reductions cost more than the MXU's weight loads);
//! scores on the VPU and `p · V` on the MXU reached 173,233 at 32768, 1.4% better than
//! 175,609, not worth a second cache layout.
//!
//! **The 128k "below the floor" estimate** (599,480 against 646,832 in the last session)
//! was no skipped work: the model's HBM rate depends on the DMA size (a pure K/V stream
//! estimates ~0.9 TB/s at 1024-position blocks, ~1.4 at 2048, ~1.9 at 4096, ~2.3 at 8192:
//! ~600 cycles per grid step plus ~2.9 TB/s), so the ~1.245 TB/s "floor" is one point of
//! that curve, not a bound. The bench measures each shape's floor (the same DMAs without
//! compute) and refuses any estimate below it.
//!
//! # Four chips (v5e:2x2, [`mesh_program`])
//!
//! Per chip: the split kernel at N/4 (default blocks) plus the combine kernel with `lse`.
//! Kernel time against one chip (ours above at default blocks, kernel combine for like
//! with like). The one-chip kernel got 9–11% faster with 32768-position blocks; the
//! per-chip kernels at 32k (8192 positions a chip) did not change, so their ratios rose:
//!
//! | N | B | per chip | one chip | ratio | + modeled all-reduces | ratio |
//! |---|---|---|---|---|---|---|
//! | 32k | 1 | 55,801 | 181,904 | 0.31× | 81,901 | 0.45× |
//! | 32k | 8 | 423,018 | 1,398,902 | 0.30× | ~451,000 | ~0.32× |
//! | 128k | 1 | 181,949 | 689,584 | 0.26× | 208,049 | 0.30× |
//!
//! (128k rows: split 175,609 / 683,289 at bkv 32768 plus the combine kernel with `lse`,
//! 6,340, and without, 6,295, from the 2026-11-22 record; the combine reads only the
//! partials, so the block size does not change it. 128k at B = 8 was 0.26× at bkv 8192
//! and is not re-measured.) The cross-chip combine: from ICI bandwidth (400 GB/s per chip,
//! ring all-reduce of `o`, `w` and `max lse`: 2·(C−1)/C of `B·H_kv·8·130·4` bytes) it
//! would be 187 cycles at B = 1 and 1,498 at B = 8. libtpu's static profile **does** model
//! the collectives: the mesh program's profile lists its all-reduces at 11,643 and 14,457
//! cycles (B = 1, 8/8), latency rather than bandwidth; the B = 8 row adds that 26,100 plus
//! the bandwidth term, an estimate. With the modeled collectives only 128k at B = 1 reaches
//! the 0.30× target: at 8k positions per chip the two all-reduces' latency is a third of
//! the work. One all-gather of `(o, lse)` instead of two all-reduces would halve that
//! latency; not done.

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
