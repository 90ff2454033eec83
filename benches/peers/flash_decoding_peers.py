"""Peer static estimates for the FlashDecoding benchmark (docs/design.md §8, issue 15).

Compiles, deviceless for TPU v5e with libtpu's static LLO profiler on and XLA's memory-space
assignment off, the decode workload of `pallas-flash bench`: one query token per sequence,
bf16, D=128, KV length N, batch B, heads H_q/H_kv, page 128, for

  - tpu-inference 0.32.0's ragged paged attention v3 (`rpa_v3`, KV blocks swept),
  - tpu-inference 0.32.0's `experimental/stacked_rpa` decode (`stacked_rpa`, the library's
    blocks and a smaller KV block).

Both keep their metadata (lengths, page tables, stacked's schedule) in SMEM, which the
profiler reads as 0: measured as they stand, they skip all work (RPA v3 then "costs" a
275,329-cycle XLA copy of the cache plus an empty kernel). So each kernel gets a preamble that
stores the metadata inside the kernel (`common/smem_preamble.py`, per kernel
`common/rpa_v3_decode.py`, `common/stacked_rpa_decode.py`), and every figure carries how it
was measured: the method, the profile files counted, the preamble's cost (subtracted), the
no-preamble control (must differ) and the floor check (below the KV bytes at the model's
fastest streaming, ~2.9 TB/s, is an artifact). GQA (H_q > H_kv) aborts the profiler in both
peers (docs/design.md §8) and is reported as such.

Each compile runs in its own process (the profiler aborts on kernels it cannot model), and a
32k profile needs several GB: runs take the machine-wide lock `PALLAS_FLASH_PROFILE_LOCK`
when it is set (a file path), so only one profile runs at a time.

Usage (the pinned venv is created on first use; the Rust build never needs it):

    python3 benches/peers/flash_decoding_peers.py [--n 32768] [--b 1,8] [--kernels rpa_v3,stacked_rpa]
    python3 benches/peers/flash_decoding_peers.py --json-lines [--quick]   # records for `pallas-flash bench`
"""

import argparse
import json
import os
import sys

from common import ensure_venv, profile_cycles, profile_lock, profiling_env, run_child
from common import rpa_v3_decode, smem_preamble, stacked_rpa_decode, tpu_inference_kernels

VENV = os.environ.get("PALLAS_FLASH_DECODE_PEER_VENV", os.path.expanduser("~/.cache/pallas-flash/decode-peer-venv"))
CLOCK_HZ = 1.5e9
SPEC_HBM = 819e9  # v5e's HBM, bytes/s: what a real chip streams
MODEL_FASTEST_HBM = 2.9e12  # the static model's fastest streaming (large DMAs): below it = artifact
D = 128
KERNELS = {"rpa_v3": rpa_v3_decode, "stacked_rpa": stacked_rpa_decode}
NAMES = {"rpa_v3": "tpu-inference RPA v3", "stacked_rpa": "tpu-inference stacked_rpa"}
# KV cache dtypes a peer accepts (RPA v3 takes a quantized cache with per-tensor k/v scales),
# bytes per element, for the floor check.
KV_DTYPE_BYTES = {"bf16": 2, "int8": 1, "fp8": 1}
# KV block options searched per kernel ("default": the library's own choice). Each option is
# four compiles, a few minutes each at B=8, 32k.
BLOCKS = {"rpa_v3": "2048,4096", "stacked_rpa": "default,512"}


def child(spec):
    """Compiles one (kernel, shape, blocks, mode) and prints its per-profile cycles as JSON."""
    prof = profiling_env("decode-peer-prof-", msa=False)
    import jax
    import numpy as np
    from jax.experimental import topologies
    from jax.sharding import NamedSharding, PartitionSpec

    topo = topologies.get_topology_desc(topology_name="v5e:1x1", platform="tpu")
    mesh = jax.sharding.Mesh(np.array(topo.devices[:1]), ("x",))
    sharding = NamedSharding(mesh, PartitionSpec())

    def shaped(shape, dtype=jax.numpy.bfloat16):
        return jax.ShapeDtypeStruct(shape, dtype, sharding=sharding)

    # Under the topology's mesh, Pallas asks the abstract v5e device (not the CPU default
    # device) for its generation, VMEM and SMEM sizes.
    with jax.set_mesh(mesh):
        fn, args, donate, config = KERNELS[spec["kernel"]].build(spec, shaped)
        jax.jit(fn, donate_argnums=donate).lower(*args).compile()
    print(json.dumps({"files": profile_cycles(prof), "config": config}))


def measure(kind, n, b, hq, hkv, bkv, kv_dtype):
    """One configuration, four compiles (smem_preamble.MODES): the net figure and its provenance."""
    runs, config = {}, None
    for mode in smem_preamble.MODES:
        with profile_lock():
            spec = dict(kernel=kind, n=n, b=b, hq=hq, hkv=hkv, d=D, bkv=bkv, mode=mode, kv_dtype=kv_dtype)
            r = run_child(__file__, spec)
        runs[mode] = r["files"] if "files" in r else r.get("error", "no output")
        config = config or r.get("config")
        print(f"  {kind} N={n} B={b} {hq}/{hkv} bkv={bkv} {mode}: "
              f"{sum(runs[mode].values()) if isinstance(runs[mode], dict) else runs[mode]}", file=sys.stderr)
        if mode == "full" and isinstance(runs[mode], str):
            break
    if isinstance(runs["full"], str):
        return {"error": f"full run: {runs['full']}"}
    figure = smem_preamble.kernel_figure(runs, KERNELS[kind].KERNEL_PREFIX)
    figure["config"] = config
    return figure


def kv_bytes(n, b, hkv, kv_dtype):
    return 2 * b * hkv * n * D * KV_DTYPE_BYTES[kv_dtype]


def floor_check(cycles, n, b, hkv, kv_dtype):
    """The credibility check every record carries: an estimate below the KV bytes at the
    model's fastest streaming cannot be real work."""
    floor = kv_bytes(n, b, hkv, kv_dtype) / MODEL_FASTEST_HBM * CLOCK_HZ
    return {"kv_bytes": kv_bytes(n, b, hkv, kv_dtype), "artifact_below_cycles": round(floor),
            "model_fastest_hbm_bytes_per_s": MODEL_FASTEST_HBM, "passed": cycles >= floor}


def best(kind, n, b, hq, hkv, blocks, kv_dtype):
    """The best credible figure over the kernel's block options, or the last reason none is."""
    chosen, reason = None, None
    for bkv in blocks:
        figure = measure(kind, n, b, hq, hkv, bkv, kv_dtype)
        if "error" in figure:
            reason = figure["error"]
            continue
        figure["floor_check"] = floor_check(figure["cycles"], n, b, hkv, kv_dtype)
        if not figure["floor_check"]["passed"]:
            reason = f"{figure['cycles']} cycles is below the floor check: profiler artifact"
            continue
        if chosen is None or figure["cycles"] < chosen["cycles"]:
            chosen = figure
    return chosen, reason


def record(kind, n, b, hq, hkv, blocks, kv_dtype):
    """A JSON record for `pallas-flash bench` (contract: crates/cli/README.md)."""
    name = NAMES[kind] + ("" if kv_dtype == "bf16" else f" ({kv_dtype} KV)")
    r = {"workload": f"decode-b{b}-h{hq}-kvh{hkv}-l{n}-d{D}", "implementation": name}
    figure, reason = best(kind, n, b, hq, hkv, blocks, kv_dtype)
    if figure is None:
        r["error"] = reason
        return r
    r.update(estimated_cycles=figure["cycles"], config=figure["config"], method=KERNELS[kind].METHOD,
             files_counted=figure["files_counted"], raw_cycles=figure["raw_cycles"],
             preamble_cycles=figure["preamble_cycles"], preamble_runs=figure["preamble_runs"],
             control=figure["control"], floor_check=figure["floor_check"],
             files_not_counted=figure["files_not_counted"])
    return r


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--child")
    parser.add_argument("--n", default="32768")
    parser.add_argument("--b", default="1,8")
    parser.add_argument("--heads", default="8/8")
    parser.add_argument("--kernels", default="rpa_v3,stacked_rpa")
    for kind, default in BLOCKS.items():
        parser.add_argument(f"--{kind.replace('_', '-')}-bkv", default=default, help=f"{kind} KV blocks to search")
    parser.add_argument("--kv-dtype", default="bf16", choices=sorted(KV_DTYPE_BYTES),
                        help="the peers' KV cache dtype (int8/fp8: RPA v3's quantized cache, per-tensor scales)")
    parser.add_argument("--json-lines", action="store_true", help="the bench contract's flag; records are always JSON lines")
    parser.add_argument("--quick", action="store_true", help="the bench's small workload (N=4096, B=1)")
    a = parser.parse_args()
    if a.child:
        child(json.loads(a.child))
        return
    ensure_venv(VENV, prepare=tpu_inference_kernels.prepare)
    cases = [(4096, 1)] if a.quick else [(n, b) for n in map(int, a.n.split(",")) for b in map(int, a.b.split(","))]
    for n, b in cases:
        for heads in a.heads.split(","):
            hq, hkv = map(int, heads.split("/"))
            for kind in a.kernels.split(","):
                blocks = [None if x == "default" else int(x) for x in getattr(a, f"{kind}_bkv").split(",")]
                print(json.dumps(record(kind, n, b, hq, hkv, blocks, a.kv_dtype)), flush=True)


if __name__ == "__main__":
    main()
