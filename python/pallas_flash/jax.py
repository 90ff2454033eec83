"""Pallas-Flash kernels as JAX functions.

Each kernel is one JAX primitive whose lowering depends on the platform:

- **TPU**: ``stablehlo.custom_call @tpu_custom_call`` with the backend_config the Rust side
  builds (the bytes ``pallas-flash compile`` compiles for the same problem), row-major
  operand and result layouts, named after the kernel;
- **CPU** (and any other platform): the kernel's interpret StableHLO (the same kernel IR
  lowered to plain StableHLO), merged into the JAX module and called, so the same jitted
  program runs on a laptop.

Kernels are built once per (shapes, dtype, options, target) and cached.

Reaches into ``jax._src`` for the MLIR helpers; pinned to jax 0.10.2 (see README.md).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax._src import dispatch
from jax._src.interpreters import mlir
from jax._src.lib.mlir import ir
from jax._src.lib.mlir.dialects import func as func_dialect
from jax.extend.core import Primitive

from pallas_flash import _native

__all__ = ["flash_attention", "flash_decoding", "paged_decoding", "call", "kernels"]

#: The TPU the kernels are built for (tiling, VMEM limit); the CPU path runs the same kernels.
DEFAULT_TARGET = "v5e"


@functools.lru_cache(maxsize=None)
def kernels(kind: str, *args, **options) -> tuple[_native.KernelCall, ...]:
    """The kernels of one configuration, built once: ``kind`` is ``"forward"`` or
    ``"backward"`` (``_native.flash_attention``), ``"decoding"``
    (``_native.flash_decoding``) or ``"paged"`` (``_native.paged_decoding``)."""
    if kind == "decoding":
        return tuple(_native.flash_decoding(*args, **options))
    if kind == "paged":
        return tuple(_native.paged_decoding(*args, **options))
    return tuple(_native.flash_attention(kind, *args, **options))


@dataclasses.dataclass(frozen=True)
class _Kernel:
    """A cached kernel as a hashable primitive parameter: its configuration and index."""

    kind: str
    args: tuple
    options: tuple
    index: int

    @property
    def call(self) -> _native.KernelCall:
        return kernels(self.kind, *self.args, **dict(self.options))[self.index]


_call_p = Primitive("pallas_flash_call")
_call_p.multiple_results = True


def _abstract_eval(*avals, kernel: _Kernel):
    # Under `jax.shard_map` the results vary over the manual mesh axes the operands vary
    # over (`_bind` makes the operands agree); outside it there is no mesh to carry.
    like = avals[0]
    return [
        jax.core.ShapedArray(
            tuple(r.shape),
            jnp.dtype(r.dtype),
            sharding=jax.sharding.NamedSharding(like.sharding.mesh, jax.sharding.PartitionSpec()),
            manual_axis_type=like.manual_axis_type,
        )
        for r in kernel.call.results
    ]


_call_p.def_abstract_eval(_abstract_eval)
_call_p.def_impl(functools.partial(dispatch.apply_primitive, _call_p))


def _row_major(rank: int) -> tuple[int, ...]:
    return tuple(range(rank - 1, -1, -1))


def _tpu_lowering(ctx, *operands, kernel: _Kernel):
    k = kernel.call
    result_types = [mlir.aval_to_ir_type(ctx.module_context, a) for a in ctx.avals_out]
    # XLA names the HLO instruction after the location: dumps and the copy-trap lint
    # show the kernel's name.
    with ir.Location.name(k.name):
        op = _tpu_custom_call(k, result_types, operands)
    return op.results


def _tpu_custom_call(k, result_types, operands):
    return mlir.custom_call(
        "tpu_custom_call",
        result_types=result_types,
        operands=operands,
        backend_config=k.backend_config,
        api_version=1,
        operand_output_aliases=dict(k.aliases),
        operand_layouts=[_row_major(len(o.shape)) for o in k.operands],
        result_layouts=[_row_major(len(r.shape)) for r in k.results],
        extra_attributes=dict(kernel_name=ir.StringAttr.get(k.name)),
    )


def _interpret_lowering(ctx, *operands, kernel: _Kernel):
    k = kernel.call
    module = ir.Module.parse(k.interpret_stablehlo, context=ctx.module_context.context)
    name = mlir.merge_mlir_modules(
        ctx.module_context.module,
        f"pallas_flash_{k.name}",
        module,
        dst_symtab=ctx.module_context.symbol_table,
    )
    main = ctx.module_context.symbol_table[name]
    results = func_dialect.CallOp(
        main.type.results, ir.FlatSymbolRefAttr.get(name), list(operands)
    ).results
    # The last result is the interpreter's diagnostic record (the kernel contract checks the
    # Rust interpreter reports); a JAX program has nowhere to raise it, so it is dropped.
    return list(results)[:-1]


mlir.register_lowering(_call_p, _tpu_lowering, platform="tpu")
mlir.register_lowering(_call_p, _interpret_lowering)


def _bind(kernel: _Kernel, *operands) -> list[jax.Array]:
    k = kernel.call
    for i, (x, o) in enumerate(zip(operands, k.operands)):
        if tuple(x.shape) != tuple(o.shape) or jnp.dtype(x.dtype) != jnp.dtype(o.dtype):
            raise ValueError(
                f"kernel `{k.name}` operand {i} `{o.name}` is {o.dtype}{list(o.shape)}, "
                f"was given {x.dtype}{list(x.shape)}"
            )
    if len(operands) != len(k.operands):
        raise ValueError(
            f"kernel `{k.name}` takes {len(k.operands)} operands "
            f"({', '.join(o.name for o in k.operands)}), was given {len(operands)}"
        )
    # Inside `jax.shard_map`, an operand replicated over a manual axis another varies over
    # is cast to varying, so the kernel's operands and results have one type.
    varying = frozenset().union(*(jax.typeof(x).manual_axis_type.varying for x in operands))
    operands = [
        jax.lax.pcast(x, tuple(varying - jax.typeof(x).manual_axis_type.varying), to="varying") for x in operands
    ]
    return _call_p.bind(*operands, kernel=kernel)


def call(spec: _native.KernelCall | tuple, *args) -> list[jax.Array]:
    """Calls one kernel on ``args`` (scalar-prefetch arrays, then inputs) and returns its
    results. ``spec`` is ``(kind, args, options, index)`` naming a cached kernel of
    :func:`kernels`."""
    kind, kargs, options, index = spec
    return _bind(_Kernel(kind, tuple(kargs), tuple(sorted(options.items())), index), *args)


# ---------------------------------------------------------------------------------------
# FlashAttention-2


@dataclasses.dataclass(frozen=True)
class _Attention:
    """The static part of one attention call: everything but the arrays."""

    shape: tuple  # batch, q_heads, kv_heads, seq_q, seq_kv, head_dim
    options: tuple  # sorted (name, value) pairs for _native.flash_attention

    def kernel(self, kind: str, index: int) -> _Kernel:
        return _Kernel(kind, self.shape, self.options, index)


def _attention_forward(cfg: _Attention, q, k, v, segments):
    o, lse = _bind(cfg.kernel("forward", 0), q, k, v, *segments)
    return o, lse


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _attention(cfg: _Attention, q, k, v, segments):
    return _attention_forward(cfg, q, k, v, segments)[0]


def _attention_fwd(cfg, q, k, v, segments):
    o, lse = _attention_forward(cfg, q, k, v, segments)
    return o, (q, k, v, segments, o, lse)


def _attention_bwd(cfg, residuals, do):
    q, k, v, segments, o, lse = residuals
    do = do.astype(o.dtype)
    dq, delta = _bind(cfg.kernel("backward", 0), q, k, v, o, do, lse, *segments)
    dk, dv = _bind(cfg.kernel("backward", 1), q, k, v, do, lse, delta, *segments)
    return dq, dk, dv, tuple(None for _ in segments)


_attention.defvjp(_attention_fwd, _attention_bwd)

_LAYOUTS = {"BHND": (0, 1, 2, 3), "BNHD": (0, 2, 1, 3)}


def flash_attention(
    q: jax.Array,
    k: jax.Array,
    v: jax.Array,
    *,
    causal: bool = False,
    sm_scale: float | None = None,
    segment_ids: jax.Array | tuple[jax.Array, jax.Array] | None = None,
    window: int | None = None,
    block_sizes: tuple[int, int] | None = None,
    layout: str = "BHND",
    target: str = DEFAULT_TARGET,
) -> jax.Array:
    """FlashAttention-2 forward, with our dQ and dK/dV kernels as its gradient.

    ``q``: ``[batch, q_heads, seq_q, head_dim]``, ``k``, ``v``: ``[batch, kv_heads, seq_kv,
    head_dim]`` (``layout="BHND"``), or ``[batch, seq, heads, head_dim]`` (``"BNHD"``,
    ``jax.nn.dot_product_attention``'s order); bfloat16 or float32; ``q_heads`` a
    multiple of ``kv_heads`` (GQA/MQA). ``causal``: query ``i`` sees keys ``j <= i``;
    ``window``: ``|i - j| < window``; ``segment_ids``: one ``int32[batch, seq]`` array (self
    attention) or ``(q_ids, kv_ids)``, a query sees keys of its own segment. ``sm_scale``
    defaults to ``1/sqrt(head_dim)``; ``block_sizes`` = ``(block_q, block_kv)`` overrides
    the measured defaults. A configuration the kernels cannot build raises ``ValueError``
    with the Rust message.
    """
    if layout not in _LAYOUTS:
        raise ValueError(f"unknown layout `{layout}`: use one of {', '.join(_LAYOUTS)}")
    perm = _LAYOUTS[layout]
    # BNHD reaches the kernels (which read [B, H, N, D]) through a transpose in the program.
    q, k, v = (jnp.transpose(x, perm) for x in (q, k, v))
    if q.ndim != 4 or k.shape != v.shape or k.ndim != 4:
        raise ValueError(
            f"q, k, v must be 4-d with k and v alike: got {q.shape}, {k.shape}, {v.shape}"
        )
    batch, q_heads, seq_q, head_dim = q.shape
    _, kv_heads, seq_kv, _ = k.shape
    segments: tuple = ()
    if segment_ids is not None:
        q_ids, kv_ids = (
            segment_ids if isinstance(segment_ids, tuple) else (segment_ids, segment_ids)
        )
        segments = (
            jnp.asarray(q_ids, jnp.int32).reshape(batch, 1, seq_q),
            jnp.asarray(kv_ids, jnp.int32).reshape(batch, 1, seq_kv),
        )
    block_q, block_kv = block_sizes if block_sizes is not None else (None, None)
    options = dict(
        dtype=jnp.dtype(q.dtype).name,
        causal=bool(causal),
        sm_scale=None if sm_scale is None else float(sm_scale),
        window=window,
        segment_ids=bool(segments),
        block_q=block_q,
        block_kv=block_kv,
        target=target,
    )
    cfg = _Attention(
        (batch, q_heads, kv_heads, seq_q, seq_kv, head_dim), tuple(sorted(options.items()))
    )
    cfg.kernel("forward", 0).call  # build now: a bad configuration raises here
    o = _attention(cfg, q, k, v, segments)
    return jnp.transpose(o, perm)


# ---------------------------------------------------------------------------------------
# FlashDecoding

#: Query-tile rows are padded to a multiple of this (the kernel's QUERY_ROW_TILE).
_ROW_TILE = 8


def _decode(kind, shape, prefetch, q, caches, **options) -> jax.Array:
    """One decode step through the split kernel of ``kind`` (``"decoding"`` or ``"paged"``,
    ``shape`` its leading positional arguments): the query tile in, the partials out and
    combined by a log-sum-exp in the program."""
    batch, q_heads, head_dim = q.shape
    kv_heads = shape[2]
    spec = (kind, shape, {n: x for n, x in options.items() if x is not None}, 0)
    group = q_heads // kv_heads
    rows = -(-group // _ROW_TILE) * _ROW_TILE
    tile = q.reshape(batch, kv_heads, group, head_dim)
    tile = jnp.pad(tile, ((0, 0), (0, 0), (0, rows - group), (0, 0)))
    o_part, m_part, l_part = call(spec, *prefetch, tile, *caches)
    # [B, H_kv, S, R, 1]: the statistics are replicated over the lanes; a max over them (not
    # a lane slice, which XLA makes a data-movement fusion around the kernel) reads one.
    m, l = (jnp.max(x, axis=-1, keepdims=True) for x in (m_part, l_part))
    top = jnp.max(m, axis=2, keepdims=True)
    alpha = jnp.exp(m - jnp.where(jnp.isfinite(top), top, 0.0))
    total = jnp.sum(alpha * l, axis=2)
    acc = jnp.sum(alpha * o_part, axis=2)
    o = jnp.where(total > 0, acc / jnp.where(total > 0, total, 1.0), 0.0)
    return o[:, :, :group, :].reshape(batch, q_heads, head_dim).astype(q.dtype)


def flash_decoding(
    q: jax.Array,
    k_cache: jax.Array,
    v_cache: jax.Array,
    lengths: jax.Array,
    *,
    scale: float | None = None,
    block_kv: int | None = None,
    splits: int | None = None,
    target: str = DEFAULT_TARGET,
) -> jax.Array:
    """One decode step: ``q: bfloat16[batch, q_heads, head_dim]`` (one new token per
    sequence) against ``k_cache``, ``v_cache: bfloat16[batch, kv_heads, max_kv_len,
    head_dim]`` of which the first ``lengths[b]`` positions are valid (``int32[batch]``,
    the new token included). Returns ``bfloat16[batch, q_heads, head_dim]``.

    Runs our split-KV kernel (``splits`` partials over the cache) and combines the
    partials with a log-sum-exp in the program. Decoding has no gradient.
    """
    batch, q_heads, head_dim = q.shape
    _, kv_heads, max_kv_len, _ = k_cache.shape
    shape = (batch, q_heads, kv_heads, head_dim, max_kv_len)
    lengths = jnp.asarray(lengths, jnp.int32)
    return _decode(
        "decoding", shape, (lengths,), q, (k_cache, v_cache),
        splits=splits, block_kv=block_kv, scale=scale, target=target,
    )


#: The kernel reads whole 128-position blocks: a page table is padded to cover a multiple.
_LANES = 128


def paged_decoding(
    q: jax.Array,
    k_pages: jax.Array,
    v_pages: jax.Array,
    lengths: jax.Array,
    page_table: jax.Array,
    *,
    scale: float | None = None,
    block_kv: int | None = None,
    splits: int | None = None,
    target: str = DEFAULT_TARGET,
) -> jax.Array:
    """One decode step over a paged cache: ``q: bfloat16[batch, q_heads, head_dim]``,
    ``k_pages``, ``v_pages: bfloat16[kv_heads, num_pages, page_size, head_dim]``,
    ``lengths: int32[batch]`` (the new token included) and ``page_table:
    int32[batch, pages_per_seq]``: position ``p`` of row ``b`` is
    ``k_pages[:, page_table[b, p // page_size], p % page_size]``. Returns
    ``bfloat16[batch, q_heads, head_dim]``.

    Runs our paged split-KV kernel (page table in SMEM, pages copied into a two-slot VMEM
    buffer, only pages below a row's length copied). ``page_size`` is a multiple of 16
    dividing ``block_kv``; a table covering fewer than a multiple of 128 positions is
    padded with page 0, which is never read. Decoding has no gradient.
    """
    batch, q_heads, head_dim = q.shape
    kv_heads, num_pages, page_size, _ = k_pages.shape
    pages_per_seq = page_table.shape[1]
    step = _LANES // math.gcd(_LANES, page_size)
    padded = -(-pages_per_seq // step) * step
    page_table = jnp.pad(jnp.asarray(page_table, jnp.int32), ((0, 0), (0, padded - pages_per_seq)))
    shape = (batch, q_heads, kv_heads, head_dim, padded * page_size, page_size, num_pages)
    lengths = jnp.asarray(lengths, jnp.int32)
    return _decode(
        "paged", shape, (lengths, page_table), q, (k_pages, v_pages),
        splits=splits, block_kv=block_kv, scale=scale, target=target,
    )
