"""Regenerate the optimized-HLO corpus in this folder.

Each case is compiled once (TPU cases deviceless for a v5e:1x1 or v5e:2x2 topology
through libtpu, CPU cases on JAX's CPU backend) with XLA's HLO text dump switched on,
and the `*after_optimizations.txt` file is copied here as
`<case>.after_optimizations.txt`, unchanged.

Run from anywhere, in a scratch venv outside the repo:

    python3 -m venv /tmp/jax-venv
    /tmp/jax-venv/bin/pip install jax==0.10.2 jaxlib==0.10.2 libtpu==0.0.52
    /tmp/jax-venv/bin/python crates/hlo/tests/data/generate.py [GROUP...]

GROUP is any of `kernels`, `cpu`, `training`, `decode` (default: all). The findings
the lint must report on every case are in `labels.txt` beside this script.

Pinned versions matter: the committed files are what jax 0.10.2 + libtpu 0.0.52 emit.
"""

import glob
import os
import shutil
import sys
import tempfile

# libtpu needs these before it initializes (see shared docs/design.md §6).
os.environ.setdefault("TPU_SKIP_MDS_QUERY", "1")
os.environ.setdefault("TPU_ACCELERATOR_TYPE", "v5litepod-4")
os.environ.setdefault("TPU_WORKER_HOSTNAMES", "localhost")
os.environ.setdefault("ALLOW_MULTIPLE_LIBTPU_LOAD", "1")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import functools  # noqa: E402
from jax.experimental import pallas as pl  # noqa: E402
from jax.experimental import topologies  # noqa: E402
from jax.experimental.pallas import tpu as pltpu  # noqa: E402
from jax.experimental.pallas.ops.tpu import flash_attention as fa  # noqa: E402
from jax.sharding import Mesh, NamedSharding, PartitionSpec, SingleDeviceSharding  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def tpu_sharding():
    topo = topologies.get_topology_desc(topology_name="v5e:1x1", platform="tpu")
    mesh = jax.sharding.Mesh(np.array(topo.devices[:1]), ("x",))
    return NamedSharding(mesh, PartitionSpec())


def cpu_sharding():
    return SingleDeviceSharding(jax.devices("cpu")[0])


def compile_and_keep(case, fn, shapes, sharding):
    """Compile `fn` for `shapes` and copy its optimized HLO dump to `<case>.after_optimizations.txt`."""
    keep(case, fn, [jax.ShapeDtypeStruct(s, d, sharding=sharding) for s, d in shapes])


def keep(case, fn, args):
    """Compile `fn` for the abstract `args` and keep its optimized HLO dump."""
    with tempfile.TemporaryDirectory() as dump:
        jax.jit(fn).lower(*args).compile(
            compiler_options={"xla_dump_to": dump, "xla_dump_hlo_as_text": True}
        )
        found = sorted(glob.glob(os.path.join(dump, "*after_optimizations.txt")))
        if len(found) != 1:
            sys.exit(f"{case}: expected one after_optimizations dump, found {found}")
        shutil.copy(found[0], os.path.join(HERE, f"{case}.after_optimizations.txt"))
    print(f"{case}: ok")


def add_one_kernel(x_ref, o_ref):
    o_ref[...] = x_ref[...] + 1


def add_one(x):
    """A minimal row-blocked Pallas kernel: params -> custom-call -> root when aligned."""
    rows, cols = x.shape
    block = (min(rows, 128), cols)
    return pl.pallas_call(
        add_one_kernel,
        out_shape=jax.ShapeDtypeStruct(x.shape, x.dtype),
        grid=(rows // block[0],),
        in_specs=[pl.BlockSpec(block, lambda i: (i, 0))],
        out_specs=pl.BlockSpec(block, lambda i: (i, 0)),
    )(x)


def flash(q, k, v):
    return fa.flash_attention(q, k, v, sm_scale=0.125)


def tpu_cases(s):
    bf16, f32 = jnp.bfloat16, jnp.float32
    for d in (64, 96, 128, 256):
        qkv = [((1, 2, 512, d), bf16)] * 3
        compile_and_keep(f"tpu_flash_attention_d{d}", flash, qkv, s)
    compile_and_keep("tpu_matmul_tanh", lambda x, w: jnp.tanh(x @ w),
                     [((256, 512), bf16), ((512, 256), bf16)], s)
    compile_and_keep("tpu_kernel_clean", add_one, [((256, 512), f32)], s)
    compile_and_keep("tpu_kernel_transpose_feed", lambda x: add_one(x.T),
                     [((512, 256), f32)], s)
    compile_and_keep("tpu_kernel_transpose_drain", lambda x: add_one(x).T,
                     [((256, 512), f32)], s)
    compile_and_keep("tpu_kernel_slice_feed", lambda x: add_one(x[:, 128:384]),
                     [((256, 512), f32)], s)
    compile_and_keep("tpu_kernel_pad_feed",
                     lambda x: add_one(jnp.pad(x, ((0, 0), (0, 56)))),
                     [((256, 200), f32)], s)
    compile_and_keep("tpu_kernel_elementwise_transpose_feed",
                     lambda x: add_one((x * 2).T), [((512, 256), f32)], s)
    compile_and_keep("tpu_two_kernels_transpose_between",
                     lambda x: add_one(add_one(x).T), [((256, 512), f32)], s)
    compile_and_keep("tpu_kernel_convert_feed",
                     lambda x: add_one(x.astype(f32)), [((256, 512), bf16)], s)


def cpu_cases(s):
    f32 = jnp.float32

    def attention(q, k, v):
        p = jax.nn.softmax(jnp.einsum("bhqd,bhkd->bhqk", q, k) * 0.125, axis=-1)
        return jnp.einsum("bhqk,bhkd->bhqd", p, v)

    def loop(x):
        return jax.lax.fori_loop(0, 4, lambda i, c: jnp.sin(c) + i, x)

    compile_and_keep("cpu_matmul_tanh", lambda x, w: jnp.tanh(x @ w),
                     [((64, 96), f32), ((96, 32), f32)], s)
    compile_and_keep("cpu_attention", attention, [((1, 2, 64, 32), f32)] * 3, s)
    compile_and_keep("cpu_transpose_slice", lambda x: (x.T)[:16, ::2] * 2.0,
                     [((48, 32), f32)], s)
    compile_and_keep("cpu_fori_loop", loop, [((8, 8), f32)], s)


def v5e_2x2_mesh():
    topo = topologies.get_topology_desc(topology_name="v5e:2x2", platform="tpu")
    return Mesh(np.array(topo.devices).reshape(2, 2), ("data", "model"))


def training_step(d, swapaxes, layers=4, batch=2, heads=4, seq=512):
    """`jax.grad` of a small transformer: `lax.scan` over stacked layers, each with q/k/v
    projections, JAX's Pallas flash attention under `shard_map` on a 2x2 mesh (batch over
    `data`, heads over `model`) and an MLP. With `swapaxes` the attention output goes
    back to [batch, seq, heads * d] before the output projection, as most models write
    it; without, the projection contracts the heads directly."""
    embed = heads * d
    mesh = v5e_2x2_mesh()
    spec = PartitionSpec("data", "model", None, None)
    attention = jax.shard_map(
        lambda q, k, v: fa.flash_attention(q, k, v, causal=True, sm_scale=d ** -0.5),
        mesh=mesh, in_specs=(spec,) * 3, out_specs=spec, check_vma=False)

    def split_heads(t):
        return t.reshape(batch, seq, heads, d).swapaxes(1, 2)

    def layer(x, w):
        wq, wk, wv, wo, w1, w2 = w
        o = attention(split_heads(x @ wq), split_heads(x @ wk), split_heads(x @ wv))
        if swapaxes:
            a = o.swapaxes(1, 2).reshape(batch, seq, embed) @ wo
        else:
            a = jnp.einsum("bhsd,hde->bse", o, wo.reshape(heads, d, embed))
        x = x + a
        return x + jax.nn.gelu(x @ w1) @ w2, None

    def loss(weights, x):
        y, _ = jax.lax.scan(layer, x, weights)
        return jnp.mean(y.astype(jnp.float32) ** 2)

    bf16 = jnp.bfloat16
    replicated = NamedSharding(mesh, PartitionSpec())
    weights = [(layers, embed, embed)] * 4 + [(layers, embed, 4 * embed), (layers, 4 * embed, embed)]
    args = ([jax.ShapeDtypeStruct(s, bf16, sharding=replicated) for s in weights],
            jax.ShapeDtypeStruct((batch, seq, embed), bf16,
                                 sharding=NamedSharding(mesh, PartitionSpec("data"))))
    return jax.grad(loss), args


def training_cases():
    for d in (64, 96, 128):
        for swapaxes in (True, False):
            fn, args = training_step(d, swapaxes)
            keep(f"tpu_train_d{d}_{'swapaxes' if swapaxes else 'direct'}", fn, args)


def decode_kernel(q_ref, k_ref, v_ref, *rest, scaled):
    """One query group against one sequence's whole KV: softmax(q k^T) v, in f32."""
    if scaled:
        k_scale, v_scale, o_ref = rest
    else:
        (o_ref,) = rest
    q = q_ref[0].astype(jnp.float32)
    k = k_ref[0].astype(jnp.float32)
    v = v_ref[0].astype(jnp.float32)
    if scaled:
        k, v = k * k_scale[0], v * v_scale[0]
    s = jax.lax.dot_general(q, k, (((1,), (1,)), ((), ())))
    p = jnp.exp(s - s.max(axis=-1, keepdims=True))
    o_ref[0] = (jnp.dot(p, v) / p.sum(axis=-1, keepdims=True)).astype(o_ref.dtype)


def decode(q, k, v, scales=None, input_fusion=False):
    """q [S, G, D]; k, v [S, L, D], int8 with per-row f32 scales [S, L, 1] or bf16."""
    seqs, group, d = q.shape
    kv_len = k.shape[1]
    operands = [q, k, v] + list(scales or [])
    row = lambda i: (i, 0, 0)  # noqa: E731
    specs = [pl.BlockSpec((1, group, d), row)] + [pl.BlockSpec((1, kv_len, d), row)] * 2
    specs += [pl.BlockSpec((1, kv_len, 1), row)] * len(scales or [])
    params = pltpu.CompilerParams(allow_input_fusion=[True] * len(operands)) if input_fusion else None
    return pl.pallas_call(
        functools.partial(decode_kernel, scaled=scales is not None),
        out_shape=jax.ShapeDtypeStruct(q.shape, q.dtype), grid=(seqs,),
        in_specs=specs, out_specs=pl.BlockSpec((1, group, d), row),
        compiler_params=params)(*operands)


def paged_decode_kernel(pages_ref, q_ref, k_ref, v_ref, o_ref, acc, m, l):
    """Online softmax over one sequence's pages, one page per grid step."""
    del pages_ref  # only the index maps read the page table
    page = pl.program_id(1)

    @pl.when(page == 0)
    def _():
        acc[...] = jnp.zeros_like(acc)
        m[...] = jnp.full_like(m, -1e30)
        l[...] = jnp.zeros_like(l)

    q = q_ref[0].astype(jnp.float32)
    s = jax.lax.dot_general(q, k_ref[0].astype(jnp.float32), (((1,), (1,)), ((), ())))
    m_new = jnp.maximum(m[...], s.max(axis=-1, keepdims=True))
    alpha, e = jnp.exp(m[...] - m_new), jnp.exp(s - m_new)
    l[...] = alpha * l[...] + e.sum(axis=-1, keepdims=True)
    acc[...] = alpha * acc[...] + jnp.dot(e, v_ref[0].astype(jnp.float32))
    m[...] = m_new

    @pl.when(page == pl.num_programs(1) - 1)
    def _():
        o_ref[0] = (acc[...] / l[...]).astype(o_ref.dtype)


def paged_decode(page_table, q, k_pages, v_pages, input_fusion=False):
    """q [S, G, D]; pages [P, page, D]; page_table [S, pages per sequence], prefetched."""
    seqs, group, d = q.shape
    page = k_pages.shape[1]
    kv = pl.BlockSpec((1, page, d), lambda i, p, table: (table[i, p], 0, 0))
    out = pl.BlockSpec((1, group, d), lambda i, p, table: (i, 0, 0))
    grid = pltpu.PrefetchScalarGridSpec(
        num_scalar_prefetch=1, grid=(seqs, page_table.shape[1]), in_specs=[out, kv, kv],
        out_specs=out, scratch_shapes=[pltpu.VMEM((group, d), jnp.float32),
                                       pltpu.VMEM((group, 1), jnp.float32),
                                       pltpu.VMEM((group, 1), jnp.float32)])
    params = pltpu.CompilerParams(allow_input_fusion=[True] * 4) if input_fusion else None
    return pl.pallas_call(paged_decode_kernel, out_shape=jax.ShapeDtypeStruct(q.shape, q.dtype),
                          grid_spec=grid, compiler_params=params)(page_table, q, k_pages, v_pages)


def decode_cases(s):
    """One decode step through 4 layers (`lax.scan` over a layer-stacked cache)."""
    bf16, f32, i8, i32 = jnp.bfloat16, jnp.float32, jnp.int8, jnp.int32
    layers, seqs, group, kv_len, d = 4, 8, 8, 1024, 128
    pages, page, per_seq = 64, 128, 4

    def int8_scan(input_fusion):
        def step(q, k, v, k_scale, v_scale):
            def layer(x, cache):
                k, v, ks, vs = cache
                return decode(x, k, v, (ks, vs), input_fusion), None
            return jax.lax.scan(layer, q, (k, v, k_scale, v_scale))[0]
        cache = (layers, seqs, kv_len, d)
        scale = (layers, seqs, kv_len, 1)
        return step, [((seqs, group, d), bf16), (cache, i8), (cache, i8), (scale, f32), (scale, f32)]

    def paged_scan(input_fusion):
        def step(table, q, k, v):
            def layer(x, cache):
                return paged_decode(table, x, *cache, input_fusion), None
            return jax.lax.scan(layer, q, (k, v))[0]
        cache = (layers, pages, page, d)
        return step, [((2, per_seq), i32), ((2, group, d), bf16), (cache, bf16), (cache, bf16)]

    def paged_gather(table, q, k_pages, v_pages):
        """The pages gathered into contiguous KV outside the kernel, then a plain decode."""
        gather = lambda pages: pages[table].reshape(table.shape[0], -1, d)  # noqa: E731
        return decode(q, gather(k_pages), gather(v_pages))

    compile_and_keep("tpu_int8_decode_scan", *int8_scan(False), s)
    compile_and_keep("tpu_int8_decode_scan_input_fusion", *int8_scan(True), s)
    compile_and_keep("tpu_int8_decode_dequant_outside",
                     lambda q, k, v: decode(q, k.astype(bf16), v.astype(bf16)),
                     [((seqs, group, d), bf16), ((seqs, kv_len, d), i8), ((seqs, kv_len, d), i8)], s)
    compile_and_keep("tpu_paged_decode_scan", *paged_scan(False), s)
    compile_and_keep("tpu_paged_decode_scan_input_fusion", *paged_scan(True), s)
    compile_and_keep("tpu_paged_decode_gather_outside", paged_gather,
                     [((2, per_seq), i32), ((2, group, d), bf16),
                      ((pages, page, d), bf16), ((pages, page, d), bf16)], s)


if __name__ == "__main__":
    groups = sys.argv[1:] or ["kernels", "cpu", "training", "decode"]
    for group in groups:
        {"kernels": lambda: tpu_cases(tpu_sharding()),
         "cpu": lambda: cpu_cases(cpu_sharding()),
         "training": training_cases,
         "decode": lambda: decode_cases(tpu_sharding())}[group]()
