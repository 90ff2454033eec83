//! FlashAttention-2 forward and backward for TPU v5e, written in the DSL.
//!
//! ```
//! use pallas_flash_kernels::flash_attention::{backward, forward, BlockSizes, FlashAttentionConfig};
//! use pallas_flash_tiling::Target;
//!
//! // 8 query heads sharing 2 key/value heads, causal, 1 KiB sequences.
//! let cfg = FlashAttentionConfig::new(1, 8, 2, 1024, 1024, 128)
//!     .causal(true)
//!     .blocks(BlockSizes::new(512, 512).compute(256));
//! let fwd = forward(&cfg, &Target::v5e())?; // q, k, v -> o, lse
//! let bwd = backward(&cfg, &Target::v5e())?; // dq (+ delta), then dk, dv
//! assert_eq!(fwd.grid.grid, [1, 8, 2, 2]);
//! assert_eq!(bwd.dkv.grid.grid, [1, 2, 2, 4 * 2]);
//! # Ok::<(), pallas_flash_kernels::flash_attention::FlashAttentionError>(())
//! ```
//!
//! # Design
//!
//! - **Schedules.** Forward and dQ run query-major: grid `(B, H_q, N_q/block_q,
//!   N_kv/block_kv)`; a `block_q` query block stays resident (scaled by `sm_scale` once,
//!   into scratch) while K/V blocks stream by, cut into `block_q_compute × block_kv_compute`
//!   score tiles (statically unrolled).
//!   dK/dV run key-major: grid `(B, H_kv, N_kv/block_kv, group · N_q/block_q)`, the last
//!   axis sweeping every query head of the GQA group, so dK/dV of a kv head accumulate in
//!   f32 scratch without atomics and K/V are never repeated (`kv head = h / group` in the
//!   index maps).
//! - **Skipping without DMA.** The streamed operand's index map clamps the step into the
//!   block range the mask allows (`min(max(j, first), last)`, from the causal / window
//!   band); steps outside repeat a block index, which Mosaic does not refetch, and the body
//!   skips them with `when`.
//! - **One region per step, tiles classified at build time.** Each step's block pair is
//!   classified in the kernel once (full / partial / skipped); inside, the tiles are
//!   straight-line code: a row's statistics (forward) or accumulator (dQ) are carried as
//!   values across its tiles, and every tile's matmuls are emitted before the previous
//!   tile's element-wise work, so the LLO scheduler overlaps MXU with VPU/EUP work (this
//!   is what `block_q_compute` buys; dK/dV does the same over 256-key tiles). A causal
//!   diagonal block (`block_q == block_kv`, no tails, no segment ids) is cut at build time
//!   into 256-row tiles exactly as wide as the keys they see, so it computes close to its
//!   triangle. Other partial blocks (windows, ragged lengths, segment ids) classify each
//!   tile in the kernel: fully visible tiles run without any mask; only tiles that
//!   straddle the diagonal, the window edge or a sequence end (or every tile, with segment
//!   ids) build the element mask. Sequence lengths that are not a multiple of the block work: padding rows
//!   of a partial block are zeroed before they meet a matmul and masked out of the softmax.
//! - **Statistics.** Online softmax in f32; the running max starts at `-1e30` so masked
//!   scores (`-inf`) contribute exactly 0 and rows that see no key yield output 0 and
//!   logsumexp `-inf`, as the reference defines.
//! - **`lse` / `delta` layout: `[B, H, N, 128]` f32, replicated over the lanes.** The
//!   backward needs one value per query row as a `[block_q, 1]` column (it broadcasts along
//!   the key axis of the `[block_q, block_kv]` tile). A lane-dense `[B, H, N]` layout would
//!   need a lane→sublane transpose per tile; `[B, H, N, 1]` has a last dim below 128, which
//!   XLA stores in a non-row-major TPU layout and relayouts around the kernel (the copy
//!   trap). 128 lanes is one (8, 128) tile per 8 rows: plain loads and stores, a slice
//!   `[:, 0:1]` to read it, no copy around the custom call; it costs `N · 512` bytes per
//!   head, < 4% of the backward's HBM traffic at `block_kv ≥ 512`.
//! - **Backward in two kernels.** dQ also emits `delta = rowsum(dO ∘ O)` (computed once
//!   per query block on its first step), so there is no separate preprocessing pass; dK/dV
//!   reads it.
//! - **Segment ids** are `[B, 1, N]` `i32` (lane-major rows); the query column is made
//!   once per query block by a 32-bit transpose.
//!
//! # Head dims
//!
//! Any head dim builds, and `q, k, v, o` and their gradients are stored the way XLA lays
//! out `[B, H, N, D]` on TPU ([`HeadLayout::native`]), so nothing is copied around the
//! call (the copy trap, docs/design.md §6): row-major when D is a multiple of 128, else
//! N-minor, which the kernels take as a `[B, H, D, N]` array ([`HeadLayout::Bhdn`]; the
//! producer's `transpose(x, [0, 1, 3, 2])` compiles to a bitcast). K then arrives as Kᵀ:
//! `q · kᵀ` is a plain `[rows, D] × [D, keys]` matmul and `p · v` a matmul against Vᵀ. The
//! resident query block (and dO in dQ) is transposed once per query block into the
//! scratch that holds it anyway, the output once at the end; dK/dV transposes K and V once
//! per kv block and q, dO once per step that computes. `every_head_dim_without_a_copy`
//! (tests/flash_attention_tpu.rs) proves it for D ∈ {32, 64, 80, 96, 128, 192, 256} from
//! `[B, H, N, D]` parameters, forward and backward, with libtpu's optimized HLO and the
//! `pallas_flash_hlo` lint; D = 100 is the head dim XLA lays out as `[B, D, H, N]` (see
//! [`HeadLayout`]). Estimates per head dim: `benches/results/2026-12-02-fa2-head-dims-v5e-libtpu-0.0.52.md`.
//!
//! # Default blocks and static estimates (v5e, libtpu 0.0.52, bf16, B = 1, H = 8, D = 128, causal)
//!
//! [`FlashAttentionConfig::default_blocks`]: the whole sequence up to 2048 rows, else
//! 2048 × 2048, `block_kv_compute = block_kv`, `block_q_compute` = the MXU's rows (128 on
//! v5e, 256 on v6e), under a 64 MiB
//! scoped VMEM limit; the tiling crate's budget model confirms the fit and its search is
//! the fallback. Chosen by `cargo bench -p pallas-flash-kernels --bench flash_attention`
//! (estimated cycles scaled to H = 8; N = 2048 profiled at H = 8, longer ones at H = 1,
//! docs/design.md §8; every figure is above its MXU floor):
//!
//! | N | (block_q, block_kv, block_kv_compute, block_q_compute) → est. cycles |
//! |---|---|
//! | 2048 | **(2048, 2048, 2048, 128) 91,355** (91,971 before `exp2`); (2048, 2048, 2048, 256) 96,603; (1024, 1024, 1024, 512) 127,433 |
//! | 8192 | **(2048, 2048, 2048, 128) 1,269,953 at H = 8** (1,270,801 before `exp2`; 1,308,608 at H = 1 × 8); at H = 1 × 8: (4096, 4096, 4096, 128) 1,278,368; (4096, 4096, 4096, 256) 1,311,360; (2048, 2048, 2048, 256) 1,341,680; (2048, 2048, 1024, 512) 1,358,672; (2048, 2048, 2048, 512) 1,375,712; (1024, 1024, 1024, 512) 1,453,544; (8192, …) VMEM overflow |
//! | 32768 | **(2048, 2048, 2048, 128) 18,316,640**; (1024, 1024, 1024, 512) 20,040,584 |
//!
//! 4096 blocks win 2% at N = 8192 but compile 4× slower (242 s for the backward).
//!
//! The rule depends on N only; other head dims and non-causal attention confirm it
//! (`pallas-flash compile flash-attention …`, H = 8 direct, default blocks vs 1024 × 1024,
//! est. cycles and MFU; libtpu 0.0.52):
//!
//! | N | D | causal | default (2048 × 2048, 128-row tiles) | 1024 × 1024 |
//! |---|---|---|---|---|
//! | 2048 | 256 | yes | **162,437** (80.7%) | 202,109 (64.9%) |
//! | 2048 | 128 | no | **149,792** (87.5%) | 179,656 (73.0%) |
//! | 2048 | 64 | yes | **107,070** (30.6%) | 142,662 (23.0%) |
//! | 8192 | 256 | yes | **2,402,513** (87.3%) | 2,566,301 (81.7%) |
//! | 8192 | 128 | no | **2,270,288** (92.4%) | 2,542,648 (82.5%) |
//!
//! D = 64 at N = 8192: see *Head dims* (it was the copy trap, and its copies overflowed
//! VMEM under the profiler).
//! Against the peers (same libtpu; MXU floor = 2·B·H·N²·D at 197 TFLOP/s; the N = 2048 and
//! 8192 figures of this forward re-measured with `exp2` scores by the bench above, H = 8):
//!
//! | | N = 2048 | N = 8192 | N = 32768 |
//! |---|---|---|---|
//! | this forward | 91,355 (71.6%) | 1,269,953 (82.4%) | 18,316,640 (91.4%, before `exp2`) |
//! | JAX flash_attention fwd | 156,175 (41.9%) | 1,749,944 (59.8%) | 24,137,304 (69.4%) |
//! | JAX splash fwd | 157,255 (41.6%) | 1,661,872 (63.0%) | 21,150,696 (79.2%) |
//! | MXU floor | 65,406 | 1,046,489 | 16,743,832 |
//!
//! Backward at N = 8192 (default blocks, H = 8, `exp2` scores): dQ 1,758,433 + dK/dV 2,264,291
//! = 4,022,724 cycles (65.2%, backward FLOPs = 2.5× forward; before `exp2` 4,022,996, and
//! 4,101,776 at H = 1 × 8), against
//! splash's 4,787,120 and flash_attention's 4,978,373; with 1024 blocks (H = 1 × 8) dQ
//! 1,954,576 + dK/dV 2,435,328. At this size H = 1 × 8 reads 2–3% above H = 8 (per-head
//! prologues overlap at H = 8), more than the 0.55% docs/design.md §8 measured for 1024 blocks.
//!
//! What did not pay: splitting a row into key chunks (`block_kv_compute < block_kv`) stays
//! slower even with the statistics carried as values (1024 × 512 tiles: 1.6× per step);
//! visiting a row's kv blocks right-aligned (idle steps first) was neutral at N = 8192;
//! starting the first step's statistics from constants (two copies of the step body) was
//! 0.8% slower; writing `o` and `lse` from the causal diagonal block's row tiles instead of
//! on the last grid step (the diagonal is each row's last visible block) was neutral
//! (91,115 at N = 2048, 1,271,697 at N = 8192): the finishing stores still compete for the
//! one vector-store slot per bundle.
//!
//! Where the cycles go (libtpu's LLO dumps, `LIBTPU_INIT_ARGS=--xla_jf_dump_to=DIR
//! --xla_jf_dump_llo_text=true`, N = 2048 causal, one grid step per head): 10,394 bundles per
//! step with the MXUs busy 82% of them; 6,708 vector stores (one store slot per bundle), of
//! which 5,172 are register spills of the 128 × 2048 f32 score tiles (256 vregs each, the
//! register file has 64), and the step's first ~2,000 and last ~1,500 bundles (scratch
//! initialization, scaled-query prologue, ramp-up; the finishing region) leave the MXUs
//! mostly idle. `exp` lowers to a multiply by log2(e) and the EUP's `vexp2`; scoring in base
//! 2 (log2(e) folded into the query scale) removes 2,029 of the step's ~22,000
//! VPU operations, worth 0.6% at N = 2048: the VPU is not the limit on v5e. Mosaic's
//! zero-accumulator add after every `tpu.matmul` is already gone in the final LLO: libtpu's
//! LLO simplifier drops `vadd.f32 0.0, x` (20,352 `vadd.f32` in the original LLO, 4,864 after
//! the simplifier, none with a zero operand).
//!
//! On v6e (`cargo bench … -- --target v6e`, N = 8192 causal, H = 8, est. cycles at 1.75 GHz):
//! (2048, 2048, 2048, 256) **797,390** (32.9% est. MFU); (2048, 2048, 2048, 128) 814,990;
//! (1024, 1024, 1024, 128) 1,208,678; (1024, 1024, 1024, 256) 1,219,398. JAX flash_attention
//! in the same libtpu, deviceless on `v6e:1x1` (blocks over {512, 1024, 2048}²): best
//! 1,167,962 at 1024 × 1024 (1,196,004 at 2048 × 1024; 1,337,345 at 512 × 1024), so this
//! forward is 1.46× it. With D = 128 each matmul fills half of a 256 × 256 MXU (contraction
//! 128 in `q · kᵀ`, 128 output columns in `p · v`). Tried and slower on v6e: `p` computed
//! in bf16 (the VPU does bf16 there) with its row sum in f32 (833,438), and with its row sum
//! on the MXU as `p · 1` (979,422).

mod backward;
mod config;
mod error;
mod family;
mod forward;
mod layout;
mod mask;
#[cfg(feature = "program")]
mod program;
mod q_major;

/// Every FlashAttention kernel scores in base-2 units: the query (dQ, forward) or key
/// (dK/dV) scale carries log2(e), so each score costs an `exp2` and no extra multiply;
/// `lse` stays a natural logarithm at the interface.
pub(crate) const SCORE_BASE: crate::online_softmax::Base = crate::online_softmax::Base::Two;

pub use backward::{backward, BackwardKernels};
pub use config::{BlockSizes, FlashAttentionConfig, LANES};
pub use error::FlashAttentionError;
pub use family::{Backward, Forward};
pub use forward::forward;
pub use layout::HeadLayout;
#[cfg(feature = "program")]
pub use program::backward_program;
