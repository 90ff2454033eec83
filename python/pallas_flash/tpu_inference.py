"""A drop-in for tpu-inference's ragged paged attention (RPA v3) on decode-only batches.

:func:`ragged_paged_attention` takes RPA v3's arguments (tpu-inference 0.32.0,
``tpu_inference.kernels.ragged_paged_attention.v3.kernel.ragged_paged_attention``) and its KV
cache, and returns what it returns — ``(output, kv_cache)`` with the batch's new keys and
values written into the cache — computed by our paged split-KV kernel
(:func:`pallas_flash.jax.paged_decoding`).

RPA v3's cache, for bfloat16: ``[num_pages, page_size, kv_heads, 2, head_dim]`` (its
``get_kv_cache_shape``: ``2·kv_heads / packing`` by ``packing = 2``); for KV head ``h``,
index ``[..., h, 0, :]`` is the key and ``[..., h, 1, :]`` the value, so on TPU a key and its
value are the two 16-bit halves of one 32-bit word (RPA v3 splits them with shifts after a
``uint32`` bitcast). Sequence ``s``'s logical page ``i`` is ``page_indices[s · pages_per_seq +
i]``.

Our kernel copies one KV head's pages at a time from ``[kv_heads, pages, page_size,
head_dim]`` bfloat16 arrays, so the drop-in gathers the pages of the batch's page table into
that layout first, reading the cache as the ``uint32`` words TPU stores: the cache enters the
program in RPA v3's own layout and is never relayouted; the copy is ``num_seqs ·
pages_per_seq`` pages per call, bounded by the batch, not by the cache (the one data
movement `pallas-flash hlo-check` finds in front of our kernel, cause ``slice``;
``tests/test_tpu_deviceless.py``). Reading the packed pages in place needs 32-bit bitcasts
and shifts in our kernel DSL, which it does not have yet.

Supported (anything else raises ``ValueError`` naming the argument):

- decode-only batches: one query token per sequence, ``distribution = (n, n, n)``;
- bfloat16 queries, keys, values and cache; any ``head_dim`` up to the cache's (the
  queries are zero-padded to it, the output cut back); GQA/MQA;
- ``page_size`` a multiple of 16 that divides the KV block (128 · 2^k up to 8192);
- ``sm_scale`` (RPA's default 1.0), ``use_causal_mask`` (for one query token at position
  ``kv_len - 1`` both masks admit the whole sequence), ``update_kv_cache``,
  ``d_block_sizes`` (its ``bkv_sz`` becomes our ``block_kv``);
- accepted and unused (tuning of RPA's own kernels): ``skip_kv_mask``, ``mask_value``,
  ``p_block_sizes``, ``m_block_sizes``, ``vmem_limit_bytes``, ``debug_mode``,
  ``disable_bounds_checks``, ``disable_semaphore_checks``.

Errors: ``sliding_window``, ``soft_cap``, ``q_scale``/``k_scale``/``v_scale``,
``chunk_prefill_size``, an ``out_dtype`` other than bfloat16, and any other dtype. A
prefill or mixed batch raises when the metadata is concrete (an eager call); inside
``jax.jit`` it cannot be inspected, so the whole output is NaN instead.

Differences: output rows of tokens past the batch's last sequence are zeros (RPA v3 leaves
them unspecified); RPA v3 donates ``queries``, ``keys``, ``values`` and ``kv_cache``, this
donates ``kv_cache`` only.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from pallas_flash.jax import DEFAULT_TARGET, paged_decoding

__all__ = ["ragged_paged_attention"]

def _check_static(queries, keys, values, kv_cache, kv_lens, page_indices, cu_q_lens,
                  distribution, out_dtype, unsupported):
    for name, value in unsupported.items():
        if value is not None:
            raise ValueError(
                f"ragged_paged_attention: `{name}={value!r}` is not supported by the "
                "decode-only drop-in (our paged kernel has no such option); leave it None"
            )
    arrays = dict(queries=queries, keys=keys, values=values, kv_cache=kv_cache)
    for name, x in arrays.items():
        if jnp.dtype(x.dtype) != jnp.bfloat16:
            raise ValueError(
                f"ragged_paged_attention: `{name}` is {jnp.dtype(x.dtype).name}; the "
                "drop-in takes bfloat16 queries, keys, values and cache only"
            )
    if out_dtype is not None and jnp.dtype(out_dtype) != jnp.bfloat16:
        raise ValueError(
            f"ragged_paged_attention: `out_dtype={jnp.dtype(out_dtype).name}`; the drop-in "
            "returns bfloat16"
        )
    if queries.ndim != 3 or keys.shape != values.shape or keys.ndim != 3:
        raise ValueError(
            "ragged_paged_attention: queries [tokens, q_heads, head_dim], keys and values "
            f"[tokens, kv_heads, head_dim]: got {queries.shape}, {keys.shape}, {values.shape}"
        )
    tokens, q_heads, head_dim = queries.shape
    kv_heads = keys.shape[1]
    if keys.shape[0] != tokens or keys.shape[2] != head_dim or q_heads % kv_heads:
        raise ValueError(
            f"ragged_paged_attention: queries {queries.shape} and keys {keys.shape} must "
            "share tokens and head_dim, with q_heads a multiple of kv_heads"
        )
    if kv_cache.ndim != 5 or kv_cache.shape[2:4] != (kv_heads, 2) or kv_cache.shape[4] < head_dim:
        raise ValueError(
            f"ragged_paged_attention: kv_cache {kv_cache.shape} is not RPA v3's bfloat16 "
            f"cache [num_pages, page_size, {kv_heads}, 2, head_dim >= {head_dim}] "
            "(tpu_inference's get_kv_cache_shape)"
        )
    seqs = kv_lens.shape[0]
    int32 = dict(kv_lens=kv_lens, page_indices=page_indices, cu_q_lens=cu_q_lens,
                 distribution=distribution)
    for name, x in int32.items():
        if jnp.dtype(x.dtype) != jnp.int32 or x.ndim != 1:
            raise ValueError(f"ragged_paged_attention: `{name}` must be int32 and 1-d, "
                             f"got {jnp.dtype(x.dtype).name}{list(x.shape)}")
    if page_indices.shape[0] % seqs or cu_q_lens.shape != (seqs + 1,) or distribution.shape != (3,):
        raise ValueError(
            f"ragged_paged_attention: with {seqs} sequences (kv_lens), page_indices must hold "
            f"a multiple of {seqs} entries, cu_q_lens {seqs + 1} and distribution 3: got "
            f"{page_indices.shape[0]}, {cu_q_lens.shape[0]}, {distribution.shape[0]}"
        )


def _check_decode_only(kv_lens, page_indices, cu_q_lens, distribution, num_pages, page_size):
    """The batch-dependent rules, on concrete metadata (an eager call)."""
    kv_lens, page_indices, cu_q_lens, distribution = map(
        np.asarray, (kv_lens, page_indices, cu_q_lens, distribution)
    )
    decode, prefill, total = (int(x) for x in distribution)
    if not decode == prefill == total:
        raise ValueError(
            f"ragged_paged_attention: distribution {distribution.tolist()} has prefill or "
            "mixed sequences; the drop-in runs decode-only batches (n, n, n): run "
            "tpu-inference's kernel for prefill"
        )
    if total > kv_lens.shape[0]:
        raise ValueError(f"ragged_paged_attention: {total} sequences, kv_lens holds "
                         f"{kv_lens.shape[0]}")
    pages_per_seq = page_indices.shape[0] // kv_lens.shape[0]
    for s in range(total):
        q_len = int(cu_q_lens[s + 1] - cu_q_lens[s])
        if q_len != 1:
            raise ValueError(
                f"ragged_paged_attention: sequence {s} has {q_len} query tokens "
                f"(cu_q_lens {cu_q_lens[s]}..{cu_q_lens[s + 1]}); decode-only batches have 1"
            )
        kv_len = int(kv_lens[s])
        pages = -(-kv_len // page_size)
        if not 1 <= kv_len <= pages_per_seq * page_size:
            raise ValueError(
                f"ragged_paged_attention: sequence {s} has kv_len {kv_len}; it must be in "
                f"1..={pages_per_seq * page_size} ({pages_per_seq} pages of {page_size})"
            )
        used = page_indices[s * pages_per_seq : s * pages_per_seq + pages]
        if used.min() < 0 or used.max() >= num_pages:
            raise ValueError(
                f"ragged_paged_attention: sequence {s} uses page {int(used.min())}..."
                f"{int(used.max())}; the cache has {num_pages}"
            )


@functools.partial(
    jax.jit,
    static_argnames=("sm_scale", "update_kv_cache", "block_kv", "target"),
    donate_argnames=("kv_cache",),
)
def _decode_batch(queries, keys, values, kv_cache, kv_lens, page_indices, cu_q_lens,
                  distribution, *, sm_scale, update_kv_cache, block_kv, target):
    tokens, q_heads, head_dim = queries.shape
    num_pages, page_size, kv_heads, _, cache_dim = kv_cache.shape
    seqs = kv_lens.shape[0]
    pages_per_seq = page_indices.shape[0] // seqs
    table = page_indices.reshape(seqs, pages_per_seq)
    total = distribution[2]
    live = jnp.arange(seqs) < total
    # A decode-only batch: token s is sequence s's one query (cu_q_lens[s]).
    token = jnp.clip(cu_q_lens[:-1], 0, tokens - 1)
    widen = ((0, 0), (0, 0), (0, cache_dim - head_dim))
    q = jnp.pad(queries[token], widen)
    if update_kv_cache:
        new = jnp.stack([jnp.pad(x[token], widen) for x in (keys, values)], axis=2)
        position = jnp.maximum(kv_lens - 1, 0)
        page = jnp.take_along_axis(table, (position // page_size)[:, None], axis=1)[:, 0]
        page = jnp.where(live, page, num_pages)  # out of range: dropped
        kv_cache = kv_cache.at[page, position % page_size].set(new, mode="drop")
    # The batch's pages, head-major, split into keys and values (see the module docs): read
    # as the 32-bit words TPU stores (key in the low half, value in the high half), so XLA
    # gathers the batch's pages in the cache's own layout, not after relayouting the cache.
    words = jax.lax.bitcast_convert_type(jnp.swapaxes(kv_cache, 3, 4), jnp.uint32)
    pages = words[jnp.clip(page_indices, 0, num_pages - 1)]
    k_pages, v_pages = (
        jax.lax.bitcast_convert_type(
            jnp.transpose(pages >> shift, (2, 0, 1, 3)).astype(jnp.uint16), jnp.bfloat16
        )
        for shift in (0, 16)
    )
    batch_table = jnp.arange(seqs * pages_per_seq, dtype=jnp.int32).reshape(seqs, pages_per_seq)
    lengths = jnp.where(live, kv_lens, 0)
    o = paged_decoding(q, k_pages, v_pages, lengths, batch_table, scale=sm_scale,
                       block_kv=block_kv, target=target)[:, :, :head_dim]
    decode_only = (distribution[0] == total) & (distribution[1] == total) & jnp.all(
        jnp.where(live, cu_q_lens[1:] - cu_q_lens[:-1], 1) == 1
    )
    o = jnp.where(decode_only, o, jnp.nan)
    out = jnp.zeros_like(queries).at[jnp.where(live, token, tokens)].set(o, mode="drop")
    return out, kv_cache


def ragged_paged_attention(
    queries: jax.Array,  # [max_num_tokens, q_heads, head_dim]
    keys: jax.Array,  # [max_num_tokens, kv_heads, head_dim]
    values: jax.Array,  # [max_num_tokens, kv_heads, head_dim]
    kv_cache: jax.Array,  # [num_pages, page_size, kv_heads, 2, cache_head_dim] bfloat16
    kv_lens: jax.Array,  # int32[max_num_seqs]
    page_indices: jax.Array,  # int32[max_num_seqs * pages_per_seq]
    cu_q_lens: jax.Array,  # int32[max_num_seqs + 1]
    distribution: jax.Array,  # int32[3]
    *,
    use_causal_mask: bool = True,
    update_kv_cache: bool = True,
    skip_kv_mask: bool = False,
    sm_scale: float = 1.0,
    sliding_window: int | None = None,
    soft_cap: float | None = None,
    out_dtype=None,
    mask_value: float | None = None,
    q_scale: float | None = None,
    k_scale: float | None = None,
    v_scale: float | None = None,
    chunk_prefill_size: int | None = None,
    d_block_sizes: tuple[int, int, int, int] | None = None,
    p_block_sizes: tuple[int, int, int, int] | None = None,
    m_block_sizes: tuple[int, int, int, int] | None = None,
    vmem_limit_bytes: int | None = None,
    debug_mode: bool = False,
    disable_bounds_checks: bool = True,
    disable_semaphore_checks: bool = True,
    target: str = DEFAULT_TARGET,
) -> tuple[jax.Array, jax.Array]:
    """RPA v3's ``ragged_paged_attention`` for decode-only batches, on our paged kernel;
    returns ``(output [max_num_tokens, q_heads, head_dim], kv_cache)``. What is supported
    and what raises: the module docs."""
    del use_causal_mask, skip_kv_mask, mask_value, p_block_sizes, m_block_sizes
    del vmem_limit_bytes, debug_mode, disable_bounds_checks, disable_semaphore_checks
    unsupported = dict(sliding_window=sliding_window, soft_cap=soft_cap, q_scale=q_scale,
                       k_scale=k_scale, v_scale=v_scale, chunk_prefill_size=chunk_prefill_size)
    _check_static(queries, keys, values, kv_cache, kv_lens, page_indices, cu_q_lens,
                  distribution, out_dtype, unsupported)
    metadata = (kv_lens, page_indices, cu_q_lens, distribution)
    if not any(isinstance(x, jax.core.Tracer) for x in metadata):
        _check_decode_only(*metadata, num_pages=kv_cache.shape[0], page_size=kv_cache.shape[1])
    block_kv = None if d_block_sizes is None else int(d_block_sizes[1])
    return _decode_batch(queries, keys, values, kv_cache, *metadata, sm_scale=float(sm_scale),
                         update_kv_cache=bool(update_kv_cache), block_kv=block_kv,
                         target=target)
