"""Regenerate the optimized-HLO corpus in this folder.

Each case is compiled once (TPU cases deviceless for a v5e:1x1 topology through
libtpu, CPU cases on JAX's CPU backend) with XLA's HLO text dump switched on, and
the `*after_optimizations.txt` file is copied here as `<case>.after_optimizations.txt`.

Run from anywhere, in a scratch venv outside the repo:

    python3 -m venv /work/.cache/jaxvenv
    /work/.cache/jaxvenv/bin/pip install jax==0.10.2 jaxlib==0.10.2 libtpu==0.0.52
    /work/.cache/jaxvenv/bin/python crates/hlo/tests/data/generate.py

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
from jax.experimental import pallas as pl  # noqa: E402
from jax.experimental import topologies  # noqa: E402
from jax.experimental.pallas.ops.tpu import flash_attention as fa  # noqa: E402
from jax.sharding import NamedSharding, PartitionSpec, SingleDeviceSharding  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def tpu_sharding():
    topo = topologies.get_topology_desc(topology_name="v5e:1x1", platform="tpu")
    mesh = jax.sharding.Mesh(np.array(topo.devices[:1]), ("x",))
    return NamedSharding(mesh, PartitionSpec())


def cpu_sharding():
    return SingleDeviceSharding(jax.devices("cpu")[0])


def compile_and_keep(case, fn, shapes, sharding):
    """Compile `fn` for `shapes` and copy its optimized HLO dump to `<case>.after_optimizations.txt`."""
    args = [jax.ShapeDtypeStruct(s, d, sharding=sharding) for s, d in shapes]
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


if __name__ == "__main__":
    tpu_cases(tpu_sharding())
    cpu_cases(cpu_sharding())
