# Regenerates the JAX-oracle fixtures of the emulator tests (tests/jax_oracle.rs):
# for each kernel, the Mosaic body JAX 0.10.2 ships to libtpu (lowered deviceless for a
# v5e topology), printed in MLIR generic form, plus small random inputs and the outputs of
# JAX's own reference functions run on the CPU.
#
# Layout, one directory per kernel under tests/jax/fixtures/<name>/:
#   kernel.mlir       the Mosaic module in generic form (serde form: `stable_mosaic.*` op
#                     names, exactly what libtpu deserializes; or `--plain` names)
#   in_00.npy, …      the kernel's operands in order (scalar prefetch first); bf16
#                     operands as ml_dtypes bfloat16 (`<V2` raw bf16 bits)
#   expected_0.npy, … the reference outputs (f32)
#   meta.json         dtype tolerance and where the numbers came from
#
# Run with a venv holding jax==0.10.2 jaxlib==0.10.2 libtpu==0.0.52 numpy
# (and tpu-inference==0.32.0 --no-deps for the RPA fixture):
#   TPU_SKIP_MDS_QUERY=1 ALLOW_MULTIPLE_LIBTPU_LOAD=1 JAX_PLATFORMS=cpu \
#     python crates/emulator/tests/jax/generate.py
import base64, functools, json, os, re, shutil, sys

os.environ.setdefault("TPU_SKIP_MDS_QUERY", "1")
os.environ.setdefault("TPU_ACCELERATOR_TYPE", "v5litepod-4")
os.environ.setdefault("TPU_WORKER_HOSTNAMES", "localhost")
os.environ.setdefault("ALLOW_MULTIPLE_LIBTPU_LOAD", "1")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np
import jax, jax.numpy as jnp
from jax.experimental import pallas as pl
from jax.experimental.pallas import tpu as pltpu
from jax.experimental import topologies
from jax._src.lib.mlir import ir
from jax._src.interpreters import mlir as jmlir
from jax.sharding import NamedSharding, PartitionSpec

jax.config.update("jax_enable_x64", False)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


@functools.cache
def tpu_sharding():
    topo = topologies.get_topology_desc(topology_name="v5e:1x1", platform="tpu")
    return NamedSharding(jax.sharding.Mesh(np.array(topo.devices[:1]), ("x",)), PartitionSpec())


def abstract(x):
    return jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=tpu_sharding())


def custom_calls(stablehlo):
    """(backend_config, operand types, result types) of every tpu_custom_call."""
    calls = []
    for m in re.finditer(r'stablehlo.custom_call @tpu_custom_call\((.*?)\).*?backend_config = "(.*?)"(?:, |\}).*?: \((.*?)\) -> (.*?)\n', stablehlo):
        cfg = json.loads(re.sub(r"\\([0-9A-Fa-f]{2})", lambda h: chr(int(h.group(1), 16)), m.group(2)))
        calls.append((cfg, m.group(3), m.group(4)))
    return calls


def generic_text(body, plain):
    """The serialized body as generic MLIR text; `plain` undoes the serde renaming first."""
    from jax._src.tpu_custom_call import tpu
    from jax._src.lib.mlir import passmanager
    ctx = jmlir.make_ir_context()
    tpu.register_dialect(ctx)
    with ctx, ir.Location.unknown():
        ctx.allow_unregistered_dialects = True
        mod = ir.Module.parse(body)
        if plain:
            passmanager.PassManager.parse("builtin.module(mosaic-serde{serialize=false})").run(mod.operation)
        return mod.operation.get_asm(print_generic_op_form=True, enable_debug_info=True)


def lower_kernel(f, args, index=0, plain=False):
    """The Mosaic of the `index`-th tpu_custom_call of jit(f)(*args) for v5e."""
    text = jax.jit(f).lower(*[abstract(a) for a in args]).as_text()
    calls = custom_calls(text)
    cfg, operands, results = calls[index]
    body = base64.b64decode(cfg["custom_call_config"]["body"])
    return generic_text(body, plain), operands, results


def save(name, mosaic, operands, expected, tolerance, note):
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(os.path.join(d, "kernel.mlir"), "w") as f:
        f.write(mosaic)
    for i, x in enumerate(operands):
        x = np.asarray(x)
        np.save(os.path.join(d, f"in_{i:02}.npy"), x)
    for i, x in enumerate(expected):
        np.save(os.path.join(d, f"expected_{i}.npy"), np.asarray(x, dtype=np.float32))
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump({"tolerance": tolerance, "note": note}, f, indent=1)
    print(f"{name}: {len(operands)} operands, {len(expected)} outputs", file=sys.stderr)


def check_operands(operands_text, operands):
    """The custom call's operand types must be the arrays we record, in order."""
    types = re.findall(r"tensor<([^>]*)>", operands_text)
    assert len(types) == len(operands), (operands_text, [np.shape(o) for o in operands])
    for t, x in zip(types, operands):
        dims = t.split("x")[:-1]
        assert [int(d) for d in dims] == list(np.shape(x)), (t, np.shape(x))


def rand(key, shape, dtype, scale=1.0):
    return (scale * jax.random.normal(jax.random.PRNGKey(key), shape, jnp.float32)).astype(dtype)


# --- kernels ---------------------------------------------------------------------------

def matmul():
    m, n, k, bm, bn, bk = 128, 256, 256, 64, 128, 128

    def kernel(x_ref, y_ref, o_ref, acc_ref):
        @pl.when(pl.program_id(2) == 0)
        def _():
            acc_ref[...] = jnp.zeros_like(acc_ref)

        acc_ref[...] += jnp.dot(x_ref[...], y_ref[...], preferred_element_type=jnp.float32)

        @pl.when(pl.program_id(2) == k // bk - 1)
        def _():
            o_ref[...] = acc_ref[...]

    f = pl.pallas_call(
        kernel,
        out_shape=jax.ShapeDtypeStruct((m, n), jnp.float32),
        grid=(m // bm, n // bn, k // bk),
        in_specs=[pl.BlockSpec((bm, bk), lambda i, j, kk: (i, kk)), pl.BlockSpec((bk, bn), lambda i, j, kk: (kk, j))],
        out_specs=pl.BlockSpec((bm, bn), lambda i, j, kk: (i, j)),
        scratch_shapes=[pltpu.VMEM((bm, bn), jnp.float32)],
        compiler_params=pltpu.CompilerParams(dimension_semantics=("parallel", "parallel", "arbitrary")),
    )
    x, y = rand(1, (m, k), jnp.bfloat16), rand(2, (k, n), jnp.bfloat16)
    mosaic, ops, _ = lower_kernel(f, [x, y])
    check_operands(ops, [x, y])
    ref = jnp.dot(x.astype(jnp.float32), y.astype(jnp.float32), precision="highest")
    save("matmul", mosaic, [x, y], [ref], 1e-3, "pl.pallas_call blocked matmul, bf16 in, f32 out; reference jnp.dot in f32")


def flash_shapes():
    from jax.experimental.pallas.ops.tpu import flash_attention as fa
    b, h, n, d = 1, 1, 256, 128
    q = rand(10, (b, h, n, d), jnp.bfloat16)
    k = rand(11, (b, h, n, d), jnp.bfloat16)
    v = rand(12, (b, h, n, d), jnp.bfloat16)
    blocks = fa.BlockSizes(
        block_q=128, block_k_major=256, block_k=128, block_b=1,
        block_q_major_dkv=128, block_k_major_dkv=128, block_k_dkv=128, block_q_dkv=128,
        block_k_major_dq=128, block_k_dq=128, block_q_dq=128)
    return fa, q, k, v, blocks


def flash_forward(causal):
    fa, q, k, v, blocks = flash_shapes()
    scale = 0.125
    f = functools.partial(fa.flash_attention, causal=causal, sm_scale=scale, block_sizes=blocks)
    mosaic, ops, _ = lower_kernel(lambda q, k, v: f(q, k, v), [q, k, v])
    check_operands(ops, [q, k, v])
    ref = fa.mha_reference_no_custom_vjp(q.astype(jnp.float32), k.astype(jnp.float32), v.astype(jnp.float32), causal=causal, sm_scale=scale)
    name = "flash_attention_fwd_causal" if causal else "flash_attention_fwd"
    save(name, mosaic, [q, k, v], [ref], 2e-2, "jax.experimental.pallas.ops.tpu.flash_attention forward, bf16; reference mha_reference in f32")


def flash_backward_inputs(causal):
    fa, q, k, v, blocks = flash_shapes()
    scale = 0.125
    f32 = lambda x: x.astype(jnp.float32)
    ref = functools.partial(fa.mha_reference_no_custom_vjp, causal=causal, sm_scale=scale)
    o, l, m = ref(f32(q), f32(k), f32(v), save_residuals=True)
    do = rand(13, o.shape, jnp.bfloat16)
    _, vjp = jax.vjp(lambda q, k, v: ref(q, k, v), f32(q), f32(k), f32(v))
    dq, dk, dv = vjp(f32(do))
    di = jnp.sum(o * f32(do), axis=-1)
    return fa, q, k, v, blocks, scale, l, m, do, di, (dq, dk, dv)


def flash_dkv(causal):
    fa, q, k, v, blocks, scale, l, m, do, di, (dq, dk, dv) = flash_backward_inputs(causal)
    kw = dict(block_q_major=blocks.block_q_major_dkv, block_k_major=blocks.block_k_major_dkv, block_k=blocks.block_k_dkv,
              block_q=blocks.block_q_dkv, sm_scale=scale, causal=causal)
    f = lambda q, k, v, l, m, do, di: fa._flash_attention_bwd_dkv(q, k, v, None, None, l, m, do, di, **kw)
    mosaic, ops, _ = lower_kernel(f, [q, k, v, l, m, do, di])
    lanes = lambda x: jnp.broadcast_to(x[..., None], (*x.shape, 128))
    operands = [q, k, v, lanes(l), lanes(m), do, lanes(di)]
    check_operands(ops, operands)
    name = "flash_attention_bwd_dkv_causal" if causal else "flash_attention_bwd_dkv"
    save(name, mosaic, operands, [dk, dv], 2e-2, "flash_attention backward dK/dV kernel; reference jax.vjp of mha_reference in f32")


def flash_dq(causal):
    fa, q, k, v, blocks, scale, l, m, do, di, (dq, dk, dv) = flash_backward_inputs(causal)
    kw = dict(block_q_major=blocks.block_q_dq, block_k_major=blocks.block_k_major_dq, block_k=blocks.block_k_dq,
              sm_scale=scale, causal=causal, mask_value=fa.DEFAULT_MASK_VALUE, debug=False)
    f = lambda q, k, v, l, m, do, di: fa._flash_attention_bwd_dq(q, k, v, None, None, l, m, do, di, **kw)[0]
    mosaic, ops, results = lower_kernel(f, [q, k, v, l, m, do, di])
    lanes = lambda x, w: jnp.broadcast_to(x[..., None], (*x.shape, w))
    operands = [q, k, v, lanes(l, 128), lanes(m, 128), do, lanes(di, blocks.block_k_major_dq)]
    check_operands(ops, operands)
    name = "flash_attention_bwd_dq_causal" if causal else "flash_attention_bwd_dq"
    save(name, mosaic, operands, [dq], 2e-2, "flash_attention backward dQ kernel; reference jax.vjp of mha_reference in f32")


def paged():
    from jax.experimental.pallas.ops.tpu.paged_attention import paged_attention
    from jax.experimental.pallas.ops.tpu.paged_attention.util import grouped_query_attention_reference  # noqa: F401
    batch, q_heads, kv_heads, d, page, per_seq = 2, 4, 2, 128, 16, 8
    total = batch * per_seq + 2
    q = rand(20, (batch, q_heads, d), jnp.bfloat16)
    kp = rand(21, (kv_heads, total, page, d), jnp.bfloat16)
    vp = rand(22, (kv_heads, total, page, d), jnp.bfloat16)
    lengths = jnp.array([37, 128], jnp.int32)
    perm = np.random.default_rng(0).permutation(total)[: batch * per_seq]
    table = jnp.array(perm.reshape(batch, per_seq), jnp.int32)
    f = functools.partial(paged_attention, pages_per_compute_block=4)
    mosaic, ops, _ = lower_kernel(lambda q, kp, vp, ln, pi: f(q, kp, vp, ln, pi), [q, kp, vp, lengths, table])
    # Operands as the custom call takes them: scalar prefetch (lengths, page table, …) first.
    types = re.findall(r"tensor<([^>]*)>", ops)
    print("paged operands:", types, file=sys.stderr)
    # Reference: gather each sequence's pages and run plain softmax attention in f32.
    qf, kf, vf = (np.asarray(x, np.float32) for x in (q, kp, vp))
    out = np.zeros((batch, q_heads, d), np.float32)
    group = q_heads // kv_heads
    for b in range(batch):
        n = int(lengths[b])
        for h in range(q_heads):
            kv = h // group
            keys = np.concatenate([kf[kv, p] for p in np.asarray(table[b])])[:n]
            vals = np.concatenate([vf[kv, p] for p in np.asarray(table[b])])[:n]
            s = keys @ qf[b, h]
            w = np.exp(s - s.max())
            out[b, h] = (w / w.sum()) @ vals
    return mosaic, types, (q, kp, vp, lengths, table), out


def paged_fixture():
    mosaic, types, (q, kp, vp, lengths, table), out = paged()
    # The wrapper's operands: four scalar-prefetch arrays (lengths, the flat page table, a
    # buffer index and an init flag), q as f32 [B, H, 1, D], then the pages.
    b, h, d = q.shape
    operands = [lengths, table.reshape(-1), jnp.zeros((1,), jnp.int32), jnp.ones((1,), jnp.int32),
                q.astype(jnp.float32).reshape(b, h, 1, d), kp, vp]
    check_operands("".join(f"tensor<{t}>" for t in types), operands)
    save("paged_attention", mosaic, operands, [out.reshape(b, h, 1, d)], 2e-2,
         "jax.experimental.pallas.ops.tpu.paged_attention (pages_per_compute_block=4); reference softmax attention over gathered pages in f32")


KERNELS = {
    "matmul": matmul,
    "flash_attention_fwd": lambda: flash_forward(False),
    "flash_attention_fwd_causal": lambda: flash_forward(True),
    "flash_attention_bwd_dkv_causal": lambda: flash_dkv(True),
    "flash_attention_bwd_dq_causal": lambda: flash_dq(True),
    "paged_attention": paged_fixture,
}

if __name__ == "__main__":
    for name in sys.argv[1:] or KERNELS:
        KERNELS[name]()
