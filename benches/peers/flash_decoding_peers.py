"""Peer static estimates for the FlashDecoding benchmark (docs/design.md §8, issue 8).

Compiles, deviceless for TPU v5e with libtpu's static LLO profiler on, the decode
workload of `cargo bench -p pallas-flash-kernels --bench flash_decoding`: one query token
per sequence, bf16, D=128, KV length N, batch B, heads (H_q, H_kv), for

  - tpu-inference 0.32.0's ragged paged attention v3 (page 128; decode block sizes
    (bq, bkv, bq_c, bkv_c) swept over bkv in {1024, 2048, 4096}),
  - plain XLA decode (einsum + masked softmax + einsum),

and prints the best estimate beside the nominal byte floor (KV bytes at docs/design.md §8's ~1.245
TB/s). The model's HBM rate grows with the DMA size (~2.3 TB/s for 2 MiB blocks), so that
figure is a conversion, not a bound: the Rust bench measures each shape's real DMA floor.
tpu-inference is installed with --no-deps (a full install downgrades libtpu and pulls in
torch); its package __init__ imports server code, so only the kernel directory is
extracted under an empty stub package. Each compile runs in its own process.

Usage (the pinned venv is created on first use; the Rust build never needs it):

    python3 benches/peers/flash_decoding_peers.py [--n 32768,131072] [--b 1,8] [--heads 8/8,32/8]
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import zipfile

from common import ensure_venv, profiling_env, run_child, total_cycles

TPU_INFERENCE = "tpu-inference==0.32.0"
VENV = os.environ.get("PALLAS_FLASH_DECODE_PEER_VENV", os.path.expanduser("~/.cache/pallas-flash/decode-peer-venv"))
CLOCK_HZ, MODEL_HBM = 1.5e9, 1.245e12
D, PAGE = 128, 128


def stub_tpu_inference(python):
    """Extracts tpu-inference's RPA v3 kernel under an empty stub package (its real
    `__init__` imports server code); returns the environment that puts it on the path."""
    stub = os.path.join(VENV, "tpu_inference_stub")
    if not os.path.exists(stub):
        wheels = tempfile.mkdtemp(prefix="tpu-inference-")
        subprocess.check_call([python, "-m", "pip", "download", "-q", "--no-deps", TPU_INFERENCE, "-d", wheels])
        wheel = zipfile.ZipFile(glob.glob(os.path.join(wheels, "*.whl"))[0])
        wanted = "tpu_inference/kernels/ragged_paged_attention/v3/"
        for name in wheel.namelist():
            if name.startswith(wanted):
                wheel.extract(name, stub)
        for package in ["tpu_inference", "tpu_inference/kernels", "tpu_inference/kernels/ragged_paged_attention"]:
            open(os.path.join(stub, package, "__init__.py"), "w").close()
    return {"PYTHONPATH": stub}


def child(spec):
    """Compiles one case and prints its summed static estimate as JSON."""
    # RPA: MSA off, as for the FA peers (docs/design.md §8): with it on, XLA claims all of VMEM for
    # HLO temporaries and RPA's 36 MiB of KV scratch at bkv 4096 overflows. XLA decode
    # keeps MSA (with it off, libtpu aborts on it).
    prof = profiling_env("decode-peer-prof-", msa=spec["kernel"] != "rpa_v3")
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax.experimental import topologies
    from jax.sharding import NamedSharding, PartitionSpec

    topo = topologies.get_topology_desc(topology_name="v5e:1x1", platform="tpu")
    mesh = jax.sharding.Mesh(np.array(topo.devices[:1]), ("x",))
    sharding = NamedSharding(mesh, PartitionSpec())
    b, n, hq, hkv, kind = spec["b"], spec["n"], spec["hq"], spec["hkv"], spec["kernel"]
    scale = 1.0 / D ** 0.5

    def shaped(shape, dtype=jnp.bfloat16):
        return jax.ShapeDtypeStruct(shape, dtype, sharding=sharding)

    if kind == "rpa_v3":
        from tpu_inference.kernels.ragged_paged_attention.v3 import kernel as rpa
        # It reads the TPU generation from jax.devices()[0], the CPU here: -1, "Unsupported
        # tpu_version". The compile is for v5e, so say 5.
        rpa.get_tpu_version = lambda: 5
        pages_per_seq = n // PAGE
        packing = 2  # bf16 entries per 32-bit word along the combined K/V head axis
        bkv = spec["bkv"]

        def fwd(q, k, v, cache, kv_lens, page_indices, cu_q_lens, distribution):
            return rpa.ragged_paged_attention(
                q, k, v, cache, kv_lens, page_indices, cu_q_lens, distribution,
                sm_scale=scale, update_kv_cache=False, d_block_sizes=(1, bkv, 1, bkv))

        args = [shaped((b, hq, D)), shaped((b, hkv, D)), shaped((b, hkv, D)),
                shaped((b * pages_per_seq, PAGE, 2 * hkv // packing, packing, D)),
                shaped((b,), jnp.int32), shaped((b * pages_per_seq,), jnp.int32),
                shaped((b + 1,), jnp.int32), shaped((3,), jnp.int32)]
    else:
        def fwd(q, k, v, lengths):
            group = hq // hkv
            qg = q.reshape(b, hkv, group, D)
            s = jnp.einsum("bhgd,bhnd->bhgn", qg, k, preferred_element_type=jnp.float32) * scale
            visible = jnp.arange(n)[None, None, None, :] < lengths[:, None, None, None]
            p = jax.nn.softmax(jnp.where(visible, s, -jnp.inf), axis=-1)
            o = jnp.einsum("bhgn,bhnd->bhgd", p.astype(jnp.bfloat16), v, preferred_element_type=jnp.float32)
            return o.reshape(b, hq, D).astype(jnp.bfloat16)

        args = [shaped((b, hq, D)), shaped((b, hkv, n, D)), shaped((b, hkv, n, D)), shaped((b,), jnp.int32)]

    # Under the topology's mesh, Pallas asks the abstract v5e device (not the CPU default
    # device) for its generation and VMEM size while lowering.
    with jax.set_mesh(mesh):
        jax.jit(fwd).lower(*args).compile()
    print(json.dumps({"cycles": total_cycles(prof)}))


NAMES = {"rpa_v3": "tpu-inference RPA v3", "xla": "XLA via JAX (einsum + softmax)"}


RPA_BKV = (1024, 2048, 4096)


def best_estimate(kind, n, b, hq, hkv, rpa_bkv=RPA_BKV):
    """Best static estimate over the kernel's block options: (cycles, option) or (None, None)."""
    options = [{"bkv": bkv} for bkv in rpa_bkv] if kind == "rpa_v3" else [{}]
    best = (None, None)
    for option in options:
        r = run_child(__file__, dict(kernel=kind, n=n, b=b, hq=hq, hkv=hkv, **option))
        print(f"  {kind} N={n} B={b} {hq}/{hkv} {option}: {r}", file=sys.stderr)
        if r.get("cycles") and (best[0] is None or r["cycles"] < best[0]):
            best = (r["cycles"], option)
    return best


def byte_floor(n, b, hkv):
    """KV bytes at the static model's ~1.245 TB/s, in cycles (docs/design.md §8)."""
    return 2 * b * hkv * n * D * 2 / MODEL_HBM * CLOCK_HZ


def json_lines(quick, kernels):
    """Records for `pallas-flash bench` (contract: crates/cli/README.md): 8 query and 8 KV
    heads, D=128; a number only when it is above the byte floor."""
    cases = [(1, 4096)] if quick else [(1, 32768), (8, 32768)]
    for b, n in cases:
        for kind in kernels:
            record = {"workload": f"decode-b{b}-h8-kvh8-l{n}-d128", "implementation": NAMES[kind]}
            cycles, option = best_estimate(kind, n, b, 8, 8)
            floor = byte_floor(n, b, 8)
            if cycles is None:
                record["error"] = "every block option failed to compile or profile (see stderr)"
            elif cycles < floor:
                record["error"] = f"estimate {cycles} cycles is below the byte floor {floor:.0f}: profiler trap"
            else:
                record.update(estimated_cycles=cycles, config=str(option))
            print(json.dumps(record), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--child")
    parser.add_argument("--n", default="32768,131072")
    parser.add_argument("--b", default="1,8")
    parser.add_argument("--heads", default="8/8,32/8")
    parser.add_argument("--kernels", default="rpa_v3,xla")
    parser.add_argument("--rpa-bkv", default=",".join(map(str, RPA_BKV)), help="RPA v3 KV block sizes to sweep")
    parser.add_argument("--json-lines", action="store_true", help="JSON records for `pallas-flash bench`")
    parser.add_argument("--quick", action="store_true", help="with --json-lines: the bench's small workload")
    a = parser.parse_args()
    if a.child:
        child(json.loads(a.child))
        return
    ensure_venv(VENV, prepare=stub_tpu_inference)
    if a.json_lines:
        json_lines(a.quick, [k for k in a.kernels.split(",") if k != "xla"])
        return
    print("| kernel | N | B | H_q/H_kv | best | est. cycles | nominal floor | % of nominal |")
    print("|---|---|---|---|---|---|---|---|")
    for n in map(int, a.n.split(",")):
        for b in map(int, a.b.split(",")):
            for heads in a.heads.split(","):
                hq, hkv = map(int, heads.split("/"))
                floor = byte_floor(n, b, hkv)
                for kind in a.kernels.split(","):
                    cycles, option = best_estimate(kind, n, b, hq, hkv, tuple(map(int, a.rpa_bkv.split(","))))
                    if cycles:
                        flag = "" if cycles >= floor else " (below the nominal floor: compare with the measured DMA floor)"
                        print(f"| {kind} | {n} | {b} | {heads} | {option} | {cycles} | {floor:.0f} | "
                              f"{100 * floor / cycles:.1f}%{flag} |")
                    else:
                        print(f"| {kind} | {n} | {b} | {heads} | - | failed | {floor:.0f} | - |")


if __name__ == "__main__":
    main()
