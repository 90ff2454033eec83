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
//! # Default blocks
//!
//! [`FlashAttentionConfig::default_blocks`]: the whole sequence up to 2048 rows, else
//! 2048 × 2048, `block_kv_compute = block_kv`, `block_q_compute` = the MXU's rows (128 on
//! v5e, 256 on v6e), under a 64 MiB
//! scoped VMEM limit; the tiling crate's budget model confirms the fit and its search is
//! the fallback. The static estimates behind the choice — blocks per N, other head dims and
//! non-causal, the peers, the backward, what did not pay — are recorded in
//! [`benches/results/2026-12-02-flash-attention-v5e-libtpu-0.0.52.md`](https://github.com/pallas-flash/pallas-flash/blob/main/benches/results/2026-12-02-flash-attention-v5e-libtpu-0.0.52.md);
//! `pallas-flash bench` prints this kernel beside JAX splash attention and flash_attention
//! from the same run (`benches/results/2026-12-02-bench-libtpu-0.0.52.txt`).

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
