"""Peer static estimates for retrieval and drift (issue 20): plain XLA of the same math,
compiled deviceless for TPU v5e with libtpu's static profiler on.

- retrieval, as `pallas-flash compile retrieval`: cosine similarity of Q f32 queries
  (rounded to bf16 for the dot) against a bf16 bank [M, D] with the norms computed from the
  bank, then `lax.top_k`;
- drift, as `pallas-flash compile drift`: per-row cosine distance between two bf16
  snapshots [M, D] (f32 sums, a row zero in both has distance 0), and the count of rows
  over the threshold.

Usage (the pinned venv is created on first use; the Rust build never needs it):

    python3 benches/peers/retrieval_peers.py [--q 1,8,256] [--m 65536] [--d 768] [--k 10]
    python3 benches/peers/retrieval_peers.py --kernel drift [--m 65536,1048576] [--d 768]

Prints one JSON line per case: cycles, and the bytes beside them.
"""

import argparse
import json
import os
import sys

from common import ensure_venv, profiling_env, run_child, total_cycles

VENV = os.environ.get("PALLAS_FLASH_PEER_VENV", os.path.expanduser("~/.cache/pallas-flash/peer-venv"))


def child(spec):
    """Compiles one case and prints its summed static estimate as JSON."""
    prof = profiling_env("retrieval-peer-prof-")
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax.experimental import topologies
    from jax.sharding import NamedSharding, PartitionSpec

    topo = topologies.get_topology_desc(topology_name="v5e:1x1", platform="tpu")
    mesh = jax.sharding.Mesh(np.array(topo.devices[:1]), ("x",))
    sharding = NamedSharding(mesh, PartitionSpec())
    if spec["kernel"] == "drift":
        drift(spec, sharding, prof)
        return
    q, m, d, k = spec["q"], spec["m"], spec["d"], spec["k"]

    def retrieve(queries, bank):
        dots = jnp.dot(queries.astype(jnp.bfloat16), bank.T, preferred_element_type=jnp.float32)
        b32 = bank.astype(jnp.float32)
        q_inv = jax.lax.rsqrt(jnp.sum(queries * queries, axis=1, keepdims=True) + 1e-30)
        b_inv = jax.lax.rsqrt(jnp.sum(b32 * b32, axis=1) + 1e-30)
        return jax.lax.top_k(dots * q_inv * b_inv[None, :], k)

    args = [jax.ShapeDtypeStruct((q, d), jnp.float32, sharding=sharding),
            jax.ShapeDtypeStruct((m, d), jnp.bfloat16, sharding=sharding)]
    jax.jit(retrieve).lower(*args).compile()
    print(json.dumps({**spec, "impl": "xla", "cycles": total_cycles(prof), "bank_bytes": 2 * m * d}))


def drift(spec, sharding, prof):
    """Compiles the drift case and prints its summed static estimate as JSON."""
    import jax
    import jax.numpy as jnp

    m, d, threshold = spec["m"], spec["d"], spec["threshold"]

    def moved(before, after):
        a, b = before.astype(jnp.float32), after.astype(jnp.float32)
        ab, aa, bb = (jnp.sum(x * y, axis=1) for x, y in ((a, b), (a, a), (b, b)))
        dist = 1.0 - ab * jax.lax.rsqrt(aa + 1e-30) * jax.lax.rsqrt(bb + 1e-30)
        dist = jnp.where(aa + bb == 0.0, 0.0, dist)
        return dist, jnp.sum(dist > threshold, dtype=jnp.int32)

    snapshot = jax.ShapeDtypeStruct((m, d), jnp.bfloat16, sharding=sharding)
    jax.jit(moved).lower(snapshot, snapshot).compile()
    print(json.dumps({**spec, "impl": "xla", "cycles": total_cycles(prof), "bytes": 4 * m * d + 4 * m}))


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(json.loads(sys.argv[2]))
        return
    ensure_venv(VENV)
    parser = argparse.ArgumentParser()
    parser.add_argument("--kernel", choices=["retrieval", "drift"], default="retrieval")
    parser.add_argument("--threshold", type=float, default=0.1)
    parser.add_argument("--q", default="1,8,256")
    parser.add_argument("--m", default="65536")
    parser.add_argument("--d", type=int, default=768)
    parser.add_argument("--k", type=int, default=10)
    a = parser.parse_args()
    for m in map(int, a.m.split(",")):
        if a.kernel == "drift":
            spec = {"kernel": "drift", "m": m, "d": a.d, "threshold": a.threshold}
            print(json.dumps({**spec, **run_child(os.path.abspath(__file__), spec)}), flush=True)
            continue
        for q in map(int, a.q.split(",")):
            spec = {"kernel": "retrieval", "q": q, "m": m, "d": a.d, "k": a.k}
            print(json.dumps({**spec, **run_child(os.path.abspath(__file__), spec)}), flush=True)


if __name__ == "__main__":
    main()
