"""Peer static estimates for retrieval (issue 20): plain XLA of the same math as
`pallas-flash compile retrieval` — cosine similarity of Q f32 queries (rounded to bf16 for
the dot) against a bf16 bank [M, D] with the norms computed from the bank, then
`lax.top_k` — compiled deviceless for TPU v5e with libtpu's static profiler on.

Usage (the pinned venv is created on first use; the Rust build never needs it):

    python3 benches/peers/retrieval_peers.py [--q 1,8,256] [--m 65536] [--d 768] [--k 10]

Prints one JSON line per case: cycles, and the bank bytes beside them.
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


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(json.loads(sys.argv[2]))
        return
    ensure_venv(VENV)
    parser = argparse.ArgumentParser()
    parser.add_argument("--q", default="1,8,256")
    parser.add_argument("--m", default="65536")
    parser.add_argument("--d", type=int, default=768)
    parser.add_argument("--k", type=int, default=10)
    a = parser.parse_args()
    for m in map(int, a.m.split(",")):
        for q in map(int, a.q.split(",")):
            spec = {"q": q, "m": m, "d": a.d, "k": a.k}
            print(json.dumps({**spec, **run_child(os.path.abspath(__file__), spec)}), flush=True)


if __name__ == "__main__":
    main()
