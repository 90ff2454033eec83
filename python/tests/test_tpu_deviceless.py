"""Deviceless TPU v5e: a training step of small transformer blocks with our attention
compiles through libtpu (no TPU needed); its optimized HLO holds our kernels, and the
copy-trap lint (`pallas-flash hlo-check`'s) finds no relayout around them."""

import json
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.experimental import topologies
from jax.sharding import NamedSharding, PartitionSpec

from pallas_flash import _native
from pallas_flash.jax import flash_attention, flash_decoding
from pallas_flash.tpu_inference import ragged_paged_attention

B, N, H, D, LAYERS = 1, 256, 2, 128, 4
M = H * D
KERNELS = {"flash_attention_fwd", "flash_attention_bwd_dq", "flash_attention_bwd_dkv"}


@pytest.fixture(scope="module")
def v5e():
    topology = topologies.get_topology_desc(topology_name="v5e:1x1", platform="tpu")
    mesh = jax.sharding.Mesh(np.array(topology.devices[:1]), ("x",))
    sharding = NamedSharding(mesh, PartitionSpec())
    return lambda *shape: jax.ShapeDtypeStruct(shape, jnp.bfloat16, sharding=sharding)


def block(layout):
    """Projections straight into `layout`, our attention, output projection, MLP."""
    heads = {"BHND": "bhnd", "BNHD": "bnhd"}[layout]

    def layer(x, w):
        wq, wk, wv, wo, w1, w2 = w
        q, k, v = (jnp.einsum(f"bnm,mhd->{heads}", x, wi) for wi in (wq, wk, wv))
        o = flash_attention(q, k, v, causal=True, layout=layout)
        x = x + jnp.einsum(f"{heads},hdm->bnm", o, wo)
        return x + jax.nn.gelu(x @ w1) @ w2, None

    return layer


def weights(s, layers):
    return (s(layers, M, H, D), s(layers, M, H, D), s(layers, M, H, D), s(layers, H, D, M),
            s(layers, M, 4 * M), s(layers, 4 * M, M))


def train_step(loss):
    def step(ws, x):
        value, grads = jax.value_and_grad(loss)(ws, x)
        return value, jax.tree.map(lambda w, g: w - 1e-3 * g, ws, grads)

    return step


def findings(optimized_hlo):
    report = json.loads(_native.hlo_check(optimized_hlo))
    assert {k["kernel"] for k in report["kernels"]} >= KERNELS, report
    return [(k["kernel"], f) for k in report["kernels"] for f in k["findings"]]


@pytest.mark.parametrize("layout", ["BHND", "BNHD"])
def test_one_block_train_step_has_no_copy_around_our_kernels(v5e, layout):
    layer = block(layout)

    def loss(ws, x):
        y, _ = layer(x, jax.tree.map(lambda w: w[0], ws))
        return jnp.mean(y.astype(jnp.float32) ** 2)

    compiled = jax.jit(train_step(loss)).lower(weights(v5e, 1), v5e(B, N, M)).compile()
    assert findings(compiled.as_text()) == []


def test_data_parallel_train_step_under_shard_map_on_v5e_2x2():
    """Each of the 4 chips runs the block on its batch shard (our kernels on local
    shapes), gradients all-reduced: compiles, holds our three kernels, nothing copied."""
    topology = topologies.get_topology_desc(topology_name="v5e:2x2", platform="tpu")
    mesh = jax.sharding.Mesh(np.array(topology.devices), ("data",))
    layer = block("BHND")

    def loss(ws, x):
        y, _ = layer(x, jax.tree.map(lambda w: w[0], ws))
        return jnp.mean(y.astype(jnp.float32) ** 2)

    def local_step(ws, x):
        value, grads = jax.value_and_grad(loss)(ws, x)
        grads = jax.lax.pmean(grads, "data")
        return jax.lax.pmean(value, "data"), jax.tree.map(lambda w, g: w - 1e-3 * g, ws, grads)

    step = jax.shard_map(
        local_step, mesh=mesh, in_specs=(PartitionSpec(), PartitionSpec("data")),
        out_specs=(PartitionSpec(), PartitionSpec()),
    )
    replicated = NamedSharding(mesh, PartitionSpec())
    s = lambda *shape: jax.ShapeDtypeStruct(shape, jnp.bfloat16, sharding=replicated)  # noqa: E731
    x = jax.ShapeDtypeStruct((4, N, M), jnp.bfloat16, sharding=NamedSharding(mesh, PartitionSpec("data")))
    hlo = jax.jit(step).lower(weights(s, 1), x).compile().as_text()
    assert "all-reduce" in hlo
    # Each chip's kernels see its shard: batch 1 of the 4.
    assert f"bf16[1,{H},{N},{D}]" in hlo
    assert findings(hlo) == []


def shape_and_order(text):
    """`bf16[4,1,2,256,128]{4,3,2,1,0:T(8,128)…}` -> ([4, 1, 2, 256, 128], [4, 3, 2, 1, 0])."""
    dims, order = re.match(r"\w+\[([\d,]*)\]\{([\d,]*)", text).groups()
    return [int(x) for x in dims.split(",")], [int(x) for x in order.split(",")]


def test_scan_over_four_blocks_compiles_and_only_slices_the_stacked_residuals(v5e):
    layer = block("BHND")

    def loss(ws, x):
        y, _ = jax.lax.scan(layer, x, ws)
        return jnp.mean(y.astype(jnp.float32) ** 2)

    compiled = jax.jit(train_step(loss)).lower(weights(v5e, LAYERS), v5e(B, N, M)).compile()
    hlo = compiled.as_text()
    # The backward kernels read the forward's residuals, which lax.scan stacks per layer:
    # XLA slices one layer out of the stack (a copy of a row-major block into a row-major
    # buffer); nothing is relayouted.
    for kernel, f in findings(hlo):
        (stacked, stacked_order), (one, one_order) = map(shape_and_order, (f["from"], f["to"]))
        assert f["side"] == "feed" and stacked == [LAYERS, *one], (kernel, f)
        assert stacked_order == sorted(stacked_order, reverse=True), (kernel, f)
        assert one_order == sorted(one_order, reverse=True), (kernel, f)


def test_decode_step_compiles_with_no_copy_around_the_kernel(v5e):
    # 8 query heads per kv head fill the kernel's 8-row query tile: the reshape into it is
    # free. Fewer (GQA 4, MHA) pad q to 8 rows, a small fusion the lint reports.
    q, cache = v5e(8, 64, 128), v5e(8, 8, 4096, 128)
    lengths = jax.ShapeDtypeStruct((8,), jnp.int32, sharding=q.sharding)
    compiled = jax.jit(flash_decoding).lower(q, cache, cache, lengths).compile()
    report = json.loads(_native.hlo_check(compiled.as_text()))
    assert [k["kernel"].split("_b8")[0] for k in report["kernels"]] == ["flash_decoding_split"]
    assert all(not k["findings"] for k in report["kernels"]), report


def test_rpa_drop_in_compiles_reading_the_cache_in_its_own_layout(v5e):
    """The cache enters in RPA v3's layout (key and value the two halves of one 32-bit
    word, tiles (2, 128)), is never relayouted, and the one data movement in front of our
    kernel is the gather of the batch's pages (the lint's `slice`)."""
    seqs, q_heads, kv_heads, page, pages_per_seq, pages = 8, 64, 8, 128, 16, 256
    bf16 = lambda *shape: v5e(*shape)  # noqa: E731
    int32 = lambda n: jax.ShapeDtypeStruct((n,), jnp.int32, sharding=bf16(1).sharding)  # noqa: E731
    args = (bf16(seqs, q_heads, D), bf16(seqs, kv_heads, D), bf16(seqs, kv_heads, D),
            bf16(pages, page, kv_heads, 2, D), int32(seqs), int32(seqs * pages_per_seq),
            int32(seqs + 1), int32(3))
    compiled = jax.jit(
        lambda *a: ragged_paged_attention(*a, sm_scale=D**-0.5)
    ).lower(*args).compile()
    hlo = compiled.as_text()
    assert f"bf16[{pages},{page},{kv_heads},2,{D}]{{4,3,2,1,0:T(2,128)(2,1)}}" in hlo
    report = json.loads(_native.hlo_check(hlo))
    assert [k["kernel"].split("_b8")[0] for k in report["kernels"]] == ["flash_decoding_paged_p128"]
    moved = [f for k in report["kernels"] for f in k["findings"] if f["bytes"] > 4096]
    assert [(f["cause"], f["bytes"]) for f in moved] == [
        ("slice", seqs * pages_per_seq * page * kv_heads * D * 4)
    ], moved
