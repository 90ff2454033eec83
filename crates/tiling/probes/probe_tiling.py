#!/usr/bin/env python3
"""Probe libtpu for the facts crates/tiling encodes.

Compiles small `pallas_call` kernels deviceless (no TPU needed) through JAX's AOT path
for a TPU topology and records, per case, whether libtpu accepted it and how much scoped
VMEM it really used (`used_scoped_memory_configs` in the optimized HLO's backend_config).

Suites:
  shapes  which 2-D and rank-1 block shapes compile on v5e, per dtype (f32, bf16, int8),
          with JAX's own (8, 128) pre-check bypassed so that libtpu itself is the judge
  targets the same rules on v4, v5p, v6e and 7x (fewer shapes)
  vmem    matmul and flash-attention blocks of growing size: used scoped VMEM
  traps   copies XLA adds around a kernel for narrow or unaligned minor dims
  limits  the default scoped VMEM limit per target (from the overflow error message)

Usage (env is set by the script itself):
  probe_tiling.py SUITE > crates/tiling/tests/data/SUITE.jsonl

Every case runs in a child process that is restarted after a libtpu abort, which is then
recorded as the case's outcome. Tested with jax==jaxlib==0.10.2, libtpu==0.0.52.
"""

import json
import os
import subprocess
import sys

ENV = {
    "TPU_SKIP_MDS_QUERY": "1",
    "TPU_ACCELERATOR_TYPE": "v5litepod-4",
    "TPU_WORKER_HOSTNAMES": "localhost",
    "ALLOW_MULTIPLE_LIBTPU_LOAD": "1",
    "JAX_PLATFORMS": "cpu",
}

DTYPES = ["float32", "bfloat16", "int8"]


def shape_cases():
    cases = []
    for dtype in DTYPES:
        for rows in [1, 2, 4, 8, 12, 16, 24, 32, 48, 64]:
            for cols in [64, 96, 128, 192, 256, 384]:
                cases.append(dict(kind="copy", dtype=dtype, array=[128, 768], block=[rows, cols]))
        # Full-dim blocks of odd arrays.
        for array in [[7, 100], [20, 96], [40, 200]]:
            cases.append(dict(kind="copy", dtype=dtype, array=array, block=array))
        for size in [64, 128, 256, 384, 512, 640, 1024, 2048, 3072]:
            cases.append(dict(kind="copy", dtype=dtype, array=[8192], block=[size]))
        cases.append(dict(kind="copy", dtype=dtype, array=[1000], block=[1000]))
    return cases


def target_cases():
    """The same rules on the other generations: sublane multiples and rank-1 granules."""
    cases = []
    for topology in ["v4:2x2x1", "v5p:2x2x1", "v6e:1x1", "tpu7x:2x2x1"]:
        for dtype in DTYPES:
            for rows in [8, 16, 24, 32]:
                cases.append(dict(kind="copy", topology=topology, dtype=dtype, array=[128, 768],
                                  block=[rows, 128]))
            for size in [128, 256, 384, 512]:
                cases.append(dict(kind="copy", topology=topology, dtype=dtype, array=[8192],
                                  block=[size]))
    return cases


def trap_cases():
    """Copy-trap ground truth: copies XLA adds around a kernel, per array shape."""
    cases = []
    for dtype in ["bfloat16", "float32"]:
        for d in [64, 96, 128, 192, 256]:
            cases.append(dict(kind="trap", dtype=dtype, array=[1, 8, 2048, d], block=[1, 1, 512, d]))
    for array, block in [([256, 200], [256, 200]), ([512, 640], [128, 640]), ([4096, 32], [512, 32]),
                         ([2048, 8, 96], [256, 8, 96]), ([2048, 768], [256, 768])]:
        cases.append(dict(kind="trap", dtype="float32", array=array, block=block))
    return cases


def vmem_cases():
    cases = []
    for bm, bk, bn in [(128, 128, 128), (256, 256, 256), (256, 512, 256), (512, 512, 512),
                       (512, 1024, 512), (1024, 1024, 1024), (1024, 512, 2048)]:
        cases.append(dict(kind="matmul", dtype="bfloat16", m=2048, k=2048, n=2048,
                          bm=bm, bk=bk, bn=bn))
    cases.append(dict(kind="matmul", dtype="float32", m=1024, k=1024, n=1024, bm=256, bk=256, bn=256))
    cases.append(dict(kind="matmul", dtype="int8", m=1024, k=1024, n=1024, bm=256, bk=512, bn=256))
    for bq, bkv in [(128, 128), (256, 256), (512, 512), (1024, 512), (512, 1024), (1024, 1024),
                    (2048, 1024)]:
        cases.append(dict(kind="attention", heads=4, seq=4096, head_dim=128, bq=bq, bkv=bkv))
    cases.append(dict(kind="attention", heads=4, seq=2048, head_dim=256, bq=512, bkv=512))
    cases.append(dict(kind="attention", heads=4, seq=2048, head_dim=64, bq=512, bkv=512))
    return cases


def limit_cases():
    # Four 10 MiB f32 buffers (in and out, double-buffered): 40 MiB, over every default
    # scoped limit and under the physical VMEM of every target but v4.
    return [dict(kind="limit", topology=t, array=[1280, 4096], block=[640, 4096])
            for t in ["v4:2x2x1", "v5e:1x1", "v5p:2x2x1", "v6e:1x1", "tpu7x:2x2x1"]] + [
        # 7x: 8 grid steps, and 48 MiB / 56 MiB of buffers, to bracket its default limit.
        dict(kind="limit", topology="tpu7x:2x2x1", array=[5120, 4096], block=[640, 4096]),
        dict(kind="limit", topology="tpu7x:2x2x1", array=[6144, 4096], block=[768, 4096]),
        dict(kind="limit", topology="tpu7x:2x2x1", array=[7168, 4096], block=[896, 4096])]


# The lines of a compile error that say what went wrong.
KEY_LINE = __import__("re").compile(r"[Ll]imit|exceed|Ran out|not (supported|implemented)|[Uu]nsupported|[Ii]nvalid|must|failed|[Ee]xpected")

SUITES = {"shapes": shape_cases, "targets": target_cases, "traps": trap_cases, "vmem": vmem_cases, "limits": limit_cases}

# ---------------------------------------------------------------------------------------
# Child side: compile cases.


def run_child(suite, start):
    import re

    import jax
    import jax.numpy as jnp
    from jax.experimental import pallas as pl
    from jax.experimental import topologies
    from jax.experimental.pallas import tpu as pltpu
    from jax._src.pallas.mosaic import lowering
    from jax.sharding import SingleDeviceSharding

    # Let libtpu, not JAX's Python-side (8, 128) check, decide which blocks compile.
    lowering._check_block_mappings = lambda *args, **kwargs: None
    devices = {}

    def device(topology):
        if topology not in devices:
            devices[topology] = topologies.get_topology_desc(topology, platform="tpu").devices[0]
        return devices[topology]

    def arg(shape, dtype, topology="v5e:1x1"):
        return jax.ShapeDtypeStruct(tuple(shape), jnp.dtype(dtype),
                                    sharding=SingleDeviceSharding(device(topology)))

    def params(limit):
        return pltpu.CompilerParams(vmem_limit_bytes=limit) if limit else None

    def copy_call(array, block, dtype, limit=None):
        grid = tuple(-(-a // b) for a, b in zip(array, block))

        def body(x_ref, o_ref):
            o_ref[...] = x_ref[...]

        index = lambda *g: g
        spec = pl.BlockSpec(tuple(block), index)
        return pl.pallas_call(body, grid=grid, in_specs=[spec], out_specs=spec,
                              out_shape=jax.ShapeDtypeStruct(tuple(array), jnp.dtype(dtype)),
                              compiler_params=params(limit))

    def matmul_call(c):
        m, k, n, bm, bk, bn = (c[x] for x in ["m", "k", "n", "bm", "bk", "bn"])
        dtype = jnp.dtype(c["dtype"])
        acc = jnp.int32 if dtype == jnp.int8 else jnp.float32
        steps = k // bk

        def body(x_ref, y_ref, o_ref, acc_ref):
            @pl.when(pl.program_id(2) == 0)
            def _():
                acc_ref[...] = jnp.zeros_like(acc_ref)

            acc_ref[...] += jnp.dot(x_ref[...], y_ref[...], preferred_element_type=acc)

            @pl.when(pl.program_id(2) == steps - 1)
            def _():
                o_ref[...] = acc_ref[...]

        call = pl.pallas_call(
            body, grid=(m // bm, n // bn, steps),
            in_specs=[pl.BlockSpec((bm, bk), lambda i, j, s: (i, s)),
                      pl.BlockSpec((bk, bn), lambda i, j, s: (s, j))],
            out_specs=pl.BlockSpec((bm, bn), lambda i, j, s: (i, j)),
            out_shape=jax.ShapeDtypeStruct((m, n), acc),
            scratch_shapes=[pltpu.VMEM((bm, bn), acc)],
            compiler_params=pltpu.CompilerParams(
                dimension_semantics=("parallel", "parallel", "arbitrary"),
                vmem_limit_bytes=100 << 20))
        return call, [arg((m, k), dtype), arg((k, n), dtype)]

    def attention_call(c):
        h, n, d, bq, bkv = (c[x] for x in ["heads", "seq", "head_dim", "bq", "bkv"])
        steps = n // bkv
        scale = 1.0 / d ** 0.5

        def body(q_ref, k_ref, v_ref, o_ref, m_ref, l_ref, acc_ref):
            @pl.when(pl.program_id(2) == 0)
            def _():
                m_ref[...] = jnp.full_like(m_ref, -jnp.inf)
                l_ref[...] = jnp.zeros_like(l_ref)
                acc_ref[...] = jnp.zeros_like(acc_ref)

            s = jax.lax.dot_general(q_ref[...], k_ref[...], (((1,), (1,)), ((), ())),
                                    preferred_element_type=jnp.float32) * scale
            m_prev, l_prev = m_ref[...], l_ref[...]
            m_new = jnp.maximum(m_prev, s.max(axis=1, keepdims=True))
            p = jnp.exp(s - m_new)
            alpha = jnp.exp(m_prev - m_new)
            l_ref[...] = alpha * l_prev + p.sum(axis=1, keepdims=True)
            m_ref[...] = m_new
            acc_ref[...] = acc_ref[...] * alpha + jnp.dot(
                p.astype(jnp.bfloat16), v_ref[...], preferred_element_type=jnp.float32)

            @pl.when(pl.program_id(2) == steps - 1)
            def _():
                o_ref[...] = (acc_ref[...] / l_ref[...]).astype(o_ref.dtype)

        q_spec = pl.BlockSpec((None, bq, d), lambda b, i, j: (b, i, 0))
        kv_spec = pl.BlockSpec((None, bkv, d), lambda b, i, j: (b, j, 0))
        call = pl.pallas_call(
            body, grid=(h, n // bq, steps),
            in_specs=[q_spec, kv_spec, kv_spec], out_specs=q_spec,
            out_shape=jax.ShapeDtypeStruct((h, n, d), jnp.bfloat16),
            scratch_shapes=[pltpu.VMEM((bq, 1), jnp.float32), pltpu.VMEM((bq, 1), jnp.float32),
                            pltpu.VMEM((bq, d), jnp.float32)],
            compiler_params=pltpu.CompilerParams(
                dimension_semantics=("parallel", "parallel", "arbitrary"),
                vmem_limit_bytes=100 << 20))
        qkv = arg((h, n, d), "bfloat16")
        return call, [qkv, qkv, qkv]

    def build(c):
        if c["kind"] == "copy":
            topology = c.get("topology", "v5e:1x1")
            return (copy_call(c["array"], c["block"], c["dtype"]),
                    [arg(c["array"], c["dtype"], topology)])
        if c["kind"] == "trap":
            # Scale the input (a real op feeds the kernel), so the parameter's default
            # layout is XLA's choice and any relayout shows up as a copy.
            call = copy_call(c["array"], c["block"], c["dtype"])
            return (lambda x: call(x * 2) * 2), [arg(c["array"], c["dtype"])]
        if c["kind"] == "matmul":
            return matmul_call(c)
        if c["kind"] == "attention":
            return attention_call(c)
        if c["kind"] == "limit":
            return (copy_call(c["array"], c["block"], "float32"),
                    [arg(c["array"], "float32", c["topology"])])
        raise ValueError(c["kind"])

    scoped = re.compile(r'used_scoped_memory_configs":\[\{"memory_space":"1","offset":"0","size":"(\d+)"')
    for c in SUITES[suite]()[start:]:
        result = dict(c)
        try:
            call, args = build(c)
            text = jax.jit(call).lower(*args).compile().as_text()
            sizes = scoped.findall(text)
            result.update(ok=True, scoped_vmem_bytes=int(sizes[0]) if sizes else None)
            if c["kind"] == "trap":
                # XLA's own fusions carry scoped VMEM too: the first match is not the kernel's.
                del result["scoped_vmem_bytes"]
                ops = re.findall(r"= \S+ (copy|copy-start|transpose|pad)\(", text)
                result.update(copies=ops.count("copy") + ops.count("copy-start"),
                              entry_params=re.findall(r"ENTRY[^\n]*", text)[0][:300])
        except Exception as e:  # noqa: BLE001 -- every failure is a probe outcome
            lines = [l.strip() for l in str(e).splitlines() if l.strip()]
            telling = [l for l in lines if KEY_LINE.search(l)]
            result.update(ok=False, error=" | ".join((telling or lines)[:2])[:500])
        print(json.dumps(result), flush=True)


# ---------------------------------------------------------------------------------------
# Parent side: restart the child after aborts.


def run_parent(suite):
    total = len(SUITES[suite]())
    done = 0
    env = dict(os.environ, **ENV)
    while done < total:
        child = subprocess.run([sys.executable, __file__, "--child", suite, str(done)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        lines = [l for l in child.stdout.splitlines() if l.startswith("{")]
        for line in lines:
            print(line, flush=True)
        done += len(lines)
        if child.returncode != 0 and done < total:
            aborted = dict(SUITES[suite]()[done], ok=False, error=f"aborted (exit {child.returncode})")
            print(json.dumps(aborted), flush=True)
            done += 1


if __name__ == "__main__":
    if sys.argv[1] == "--child":
        run_child(sys.argv[2], int(sys.argv[3]))
    else:
        run_parent(sys.argv[1])
