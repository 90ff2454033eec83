# Prints the Mosaic module JAX 0.10.2's Pallas emits for a pallas_call, deserialized and
# canonicalized (canonicalize + cse), as the structural-parity reference of tests/parity.rs.
# Format reference only. Run in a venv with jax==0.10.2 jaxlib==0.10.2 libtpu==0.0.52 and
# TPU_SKIP_MDS_QUERY=1 TPU_ACCELERATOR_TYPE=v5litepod-4 TPU_WORKER_HOSTNAMES=localhost
# ALLOW_MULTIPLE_LIBTPU_LOAD=1 JAX_PLATFORMS=cpu; output goes to golden/mosaic/jax/.
import base64, json, re, sys
import jax, jax.numpy as jnp
from jax.experimental import pallas as pl
from jax.experimental.pallas import tpu as pltpu
from jax._src.lib.mlir import ir, passmanager
from jax._src import tpu_custom_call  # registers dialects
from jax._src.interpreters import mlir as jmlir
from jax.experimental import topologies
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec

def tpu_sharding():
    topo = topologies.get_topology_desc(topology_name='v5e:1x1', platform='tpu')
    return NamedSharding(jax.sharding.Mesh(np.array(topo.devices[:1]), ('x',)), PartitionSpec())

SH = None
def sh():
    global SH
    SH = SH or tpu_sharding()
    return SH

def matmul(M, N, K, bm, bn, bk):
    def kernel(x_ref, y_ref, o_ref, acc_ref):
        @pl.when(pl.program_id(2) == 0)
        def _():
            acc_ref[...] = jnp.zeros_like(acc_ref)
        acc_ref[...] += jnp.dot(x_ref[...], y_ref[...], preferred_element_type=jnp.float32)
        @pl.when(pl.program_id(2) == K // bk - 1)
        def _():
            o_ref[...] = acc_ref[...]
    f = pl.pallas_call(kernel, out_shape=jax.ShapeDtypeStruct((M, N), jnp.float32),
        grid_spec=pltpu.PrefetchScalarGridSpec(num_scalar_prefetch=0, grid=(M//bm, N//bn, K//bk),
            in_specs=[pl.BlockSpec((bm, bk), lambda i, j, k: (i, k)), pl.BlockSpec((bk, bn), lambda i, j, k: (k, j))],
            out_specs=pl.BlockSpec((bm, bn), lambda i, j, k: (i, j)),
            scratch_shapes=[pltpu.VMEM((bm, bn), jnp.float32)]),
        compiler_params=pltpu.CompilerParams(dimension_semantics=("parallel", "parallel", "arbitrary")))
    return f, [jax.ShapeDtypeStruct((M, K), jnp.bfloat16, sharding=sh()), jax.ShapeDtypeStruct((K, N), jnp.bfloat16, sharding=sh())]

def decode(stablehlo):
    m = re.search(r'backend_config = "(.*?)"(, |\})', stablehlo)
    cfg = json.loads(re.sub(r'\\([0-9A-Fa-f]{2})', lambda h: chr(int(h.group(1), 16)), m.group(1)))
    body = base64.b64decode(cfg["custom_call_config"]["body"])
    from jax._src.tpu_custom_call import tpu
    ctx = jmlir.make_ir_context()
    tpu.register_dialect(ctx)
    with ctx, ir.Location.unknown():
        ctx.allow_unregistered_dialects = True
        mod = ir.Module.parse(body)
        passmanager.PassManager.parse("builtin.module(mosaic-serde{serialize=false},canonicalize,cse)").run(mod.operation)
        return cfg, str(mod)


def gather_rows():
    def kernel(idx_ref, x_hbm, o_ref, buf, sem):
        i = pl.program_id(0)
        row = idx_ref[i]
        cp = pltpu.make_async_copy(x_hbm.at[pl.ds(row * 8, 8), :], buf.at[0], sem.at[0])
        cp.start()
        cp.wait()
        def body(j, acc):
            return acc + jnp.exp(buf[0].astype(jnp.float32)) * j.astype(jnp.float32)
        acc = jax.lax.fori_loop(0, 3, body, jnp.zeros((8, 128), jnp.float32))
        m = jnp.max(acc, axis=1, keepdims=True)
        io = jax.lax.broadcasted_iota(jnp.int32, (8, 128), 1)
        o_ref[...] = jnp.where(io < 64, acc - m, 0.0) + jax.lax.dot_general(buf[0], buf[1], (((1,), (1,)), ((), ())), preferred_element_type=jnp.float32).sum(axis=1, keepdims=True)
    f = pl.pallas_call(kernel, out_shape=jax.ShapeDtypeStruct((64, 128), jnp.float32),
        grid_spec=pltpu.PrefetchScalarGridSpec(num_scalar_prefetch=1, grid=(8,),
            in_specs=[pl.BlockSpec(memory_space=pl.ANY)],
            out_specs=pl.BlockSpec((8, 128), lambda i, idx: (idx[i], 0)),
            scratch_shapes=[pltpu.VMEM((2, 8, 128), jnp.float32), pltpu.SemaphoreType.DMA((2,))]))
    args = [jax.ShapeDtypeStruct((8,), jnp.int32, sharding=sh()), jax.ShapeDtypeStruct((64, 128), jnp.float32, sharding=sh())]
    return f, args

if __name__ == "__main__":
    # usage: reference.py matmul M N K bm bn bk | reference.py gather_rows
    which = sys.argv[1]
    f, args = matmul(*map(int, sys.argv[2:8])) if which == "matmul" else gather_rows()
    _, mosaic = decode(jax.jit(f).lower(*args).as_text())
    print(mosaic, end="")
