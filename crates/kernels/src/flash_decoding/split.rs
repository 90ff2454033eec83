//! The split-KV kernel over a contiguous cache: grid `(batch, kv_heads, splits,
//! blocks_per_split)`, one partial `(acc, m, l)` per split.

use pallas_flash_ir::{
    BlockDim::*, DimensionSemantics::*, GridSpec, IndexExpr, Kernel, KernelBuilder, KernelInfo,
};
use pallas_flash_tiling::Target;

use super::common::{
    as_bf16, declare_partials, declare_query, declare_scales, finish, kernel_name, last_block,
    load_query, RowLengths,
};
use super::config::{FlashDecodingConfig, FlashDecodingError};
use super::online_softmax::{i32_of, BlockBounds, OnlineSoftmax};

/// The split-KV decode kernel for `cfg` over a contiguous cache, for `target`.
///
/// Operands, in order (layouts in the module docs):
/// - scalar prefetch `lengths: i32[B]` (only with [`super::KvLengths::Prefetch`]);
/// - inputs `q: bf16[B, H_kv, R, D]`; `k`, `v`: `[B, H_kv, max_kv_len, D]` in the
///   cache dtype; for an int8 cache `k_scale`, `v_scale: f32[H_kv, 1, D]`;
/// - outputs `o_part: f32[B, H_kv, S, R, D]` (unnormalized), `m_part`, `l_part`:
///   `f32[B, H_kv, S, R, 128]` (the value repeated over the lanes).
///
/// Blocks past a row's length map to the row's last valid block, so the pipeline
/// fetches nothing new for them, and a `when` skips their compute.
pub fn split_kernel(
    cfg: &FlashDecodingConfig,
    target: &Target,
) -> Result<(Kernel, KernelInfo), FlashDecodingError> {
    cfg.check()?;
    let (b, hkv, s, nb) = (cfg.batch, cfg.kv_heads, cfg.splits, cfg.blocks_per_split());
    let (d, bkv) = (cfg.head_dim, cfg.block_kv);
    let grid = GridSpec::new([b, hkv, s, nb]).semantics([Parallel, Parallel, Parallel, Arbitrary]);
    let mut k = KernelBuilder::new(kernel_name("flash_decoding_split", cfg), grid);
    let lengths = RowLengths::declare(&mut k, cfg);
    let kv_spec = k.vmem_block([Squeezed, Squeezed, Blocked(bkv), Blocked(d)], |g| {
        let block = g.grid(2) * i32_of(nb) + g.grid(3);
        let last = last_block(lengths.index_expr(g, g.grid(0)), bkv);
        [g.grid(0), g.grid(1), block.min(last), IndexExpr::Const(0)]
    });
    let q = declare_query(&mut k, cfg, |g| [g.grid(0), g.grid(1)]);
    let cache_shape = [b, hkv, cfg.max_kv_len, d];
    let kc = k.input("k", cache_shape, cfg.kv_dtype.dtype(), kv_spec.clone());
    let vc = k.input("v", cache_shape, cfg.kv_dtype.dtype(), kv_spec);
    let scales = declare_scales(&mut k, cfg, |g| g.grid(1));
    let (o, m, l) = declare_partials(&mut k, cfg, |g| [g.grid(0), g.grid(1), g.grid(2)]);
    let softmax = OnlineSoftmax::declare(&mut k, cfg, bkv);

    let (bi, si, j) = (k.program_id(0), k.program_id(2), k.program_id(3));
    let len = lengths.value(&mut k, bi);
    let zero = k.i32(0);
    let first = k.eq(j, zero);
    k.when(first, |k| softmax.init(k));
    let nb_v = k.i32(i32_of(nb));
    let block = k.mul(si, nb_v);
    let block = k.add(block, j);
    let bkv_v = k.i32(i32_of(bkv));
    let start = k.mul(block, bkv_v);
    let has_work = k.lt(start, len);
    k.when(has_work, |k| {
        softmax.step_in_bounds(k, BlockBounds { start, len }, |k| {
            let qv = load_query(k, q, scales.map(|(ks, _)| ks), cfg);
            let (kv, vv) = (k.read(kc), k.read(vc));
            (qv, as_bf16(k, cfg, kv), as_bf16(k, cfg, vv))
        });
    });
    let last = k.i32(i32_of(nb - 1));
    let last = k.eq(j, last);
    k.when(last, |k| {
        softmax.finalize(k, o, m, l, scales.map(|(_, vs)| vs))
    });
    finish(k, target)
}
