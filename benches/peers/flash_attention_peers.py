"""Peer static estimates for the FlashAttention benchmark (docs/design.md §8, issue 7).

Compiles, deviceless for TPU v5e with libtpu's static LLO profiler on, the same workload
as `cargo bench -p pallas-flash-kernels --bench flash_attention`: B=1, H=8, D=128, bf16,
causal, N in {2048, 8192, 32768}, for

  - JAX's splash attention (block_q, block_kv, block_kv_compute in {512, 1024, 2048}),
  - JAX's Pallas flash_attention (block_q, block_k_major = block_k in {512, 1024, 2048}),
  - plain XLA attention (einsum + softmax),

and prints the best estimate per kernel and N. Every compile runs in its own process (the
profiler writes one file per op and aborts the process on kernels it cannot model) with
memory-space assignment off (`--xla_msa_enable=false`, the cure docs/design.md §8 records for the
profiler's VMEM-operand abort); long sequences are profiled at H=1 and scaled by
8, as for our kernels. Estimates are checked against the MXU floor.

Usage (a pinned venv is created on first use; the Rust build never needs it):

    python3 benches/peers/flash_attention_peers.py [--n 2048,8192] [--kernels splash,flash,xla] [--bwd] [--d 128]

`--d` sets the head dim (q, k, v passed as `[B, H, N, D]` in XLA's layout, as a user holds
them: for D not a multiple of 128 that includes the relayout copies the peer's kernel gets).
"""

import argparse
import itertools
import json
import os
import sys

from common import ensure_venv, profiling_env, run_child, total_cycles

VENV = os.environ.get("PALLAS_FLASH_PEER_VENV", os.path.expanduser("~/.cache/pallas-flash/peer-venv"))
CLOCK_HZ, PEAK = 1.5e9, 197e12
HEADS, D = 8, 128
SIZES = [512, 1024, 2048]


def child(spec):
    """Compiles one (kernel, N, heads, blocks) case and prints its summed estimate as JSON."""
    # Splash's small metadata operands land in VMEM under memory-space assignment and the
    # profiler aborts on them ("Unsupported DMA direction", docs/design.md §8): MSA off for peers.
    prof = profiling_env("peer-prof-", msa=False)
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax.experimental import topologies
    from jax.sharding import NamedSharding, PartitionSpec

    topo = topologies.get_topology_desc(topology_name="v5e:1x1", platform="tpu")
    mesh = jax.sharding.Mesh(np.array(topo.devices[:1]), ("x",))
    sharding = NamedSharding(mesh, PartitionSpec())
    n, heads, kind, d = spec["n"], spec["heads"], spec["kernel"], spec.get("d", D)
    shape = (1, heads, n, d)
    scale = 1.0 / d ** 0.5

    if kind == "splash":
        from jax.experimental.pallas.ops.tpu.splash_attention import splash_attention_kernel as sk
        from jax.experimental.pallas.ops.tpu.splash_attention import splash_attention_mask as sm
        bq, bkv, bc = spec["blocks"]
        mask = sm.MultiHeadMask([sm.CausalMask((n, n)) for _ in range(heads)])
        sizes = sk.BlockSizes(block_q=bq, block_kv=bkv, block_kv_compute=bc,
                              block_q_dkv=bq, block_kv_dkv=bkv, block_kv_dkv_compute=bc,
                              block_q_dq=bq, block_kv_dq=bkv)
        kernel = sk.make_splash_mha(mask, head_shards=1, q_seq_shards=1, block_sizes=sizes)

        def fwd(q, k, v):
            return jax.vmap(kernel)(q * scale, k, v)
    elif kind == "flash":
        from jax.experimental.pallas.ops.tpu import flash_attention as fa
        bq, bk = spec["blocks"][:2]
        sizes = fa.BlockSizes(block_q=bq, block_k_major=bk, block_k=bk, block_b=1,
                              block_q_major_dkv=bq, block_k_major_dkv=bk, block_k_dkv=bk, block_q_dkv=bq,
                              block_k_major_dq=bk, block_k_dq=bk, block_q_dq=bq)

        def fwd(q, k, v):
            return fa.flash_attention(q, k, v, causal=True, sm_scale=scale, block_sizes=sizes)
    else:
        def fwd(q, k, v):
            s = jnp.einsum("bhqd,bhkd->bhqk", q, k, preferred_element_type=jnp.float32) * scale
            keep = jnp.tril(jnp.ones((n, n), bool))
            p = jax.nn.softmax(jnp.where(keep, s, -1e30), axis=-1)
            return jnp.einsum("bhqk,bhkd->bhqd", p.astype(q.dtype), v)

    if spec["bwd"]:
        def fn(q, k, v, do):
            _, vjp = jax.vjp(fwd, q, k, v)
            return vjp(do)
        nargs = 4
    else:
        fn, nargs = fwd, 3
    args = [jax.ShapeDtypeStruct(shape, jnp.bfloat16, sharding=sharding) for _ in range(nargs)]
    try:
        jax.jit(fn).lower(*args).compile()
    except Exception as e:  # noqa: BLE001 — report any compiler error as data
        print(json.dumps({"error": str(e).splitlines()[0][:200]}))
        return
    print(json.dumps({"cycles": total_cycles(prof)}))


NAMES = {"splash": "JAX splash attention", "flash": "JAX flash_attention", "xla": "XLA via JAX (einsum + softmax)"}


def best_estimate(kind, n, total_heads, bwd):
    """Best static estimate over the block grid, for `total_heads` heads (profiled per head
    beyond N=8192 and scaled, docs/design.md §8). Returns (cycles, blocks, floor) or (None, None, floor)."""
    heads = total_heads if n <= 8192 else 1
    floor = 2.0 * total_heads * n * n * D * (2.5 if bwd else 1.0) / PEAK * CLOCK_HZ
    if kind == "splash":
        grid = [b for b in itertools.product(SIZES, SIZES, SIZES) if b[2] <= b[1] and b[0] <= n and b[1] <= n]
    elif kind == "flash":
        grid = [(bq, bk, bk) for bq, bk in itertools.product(SIZES, SIZES) if bq <= n and bk <= n]
    else:
        grid = [None]
    best = None
    for blocks in grid:
        r = run_child(__file__, {"kernel": kind, "n": n, "heads": heads, "blocks": blocks, "bwd": bwd, "d": D})
        cycles = r.get("cycles")
        print(f"  {kind} N={n} blocks={blocks}: {cycles if cycles else r.get('error')}", file=sys.stderr)
        if cycles and (best is None or cycles < best[0]):
            best = (cycles, blocks)
    if best is None:
        return None, None, floor
    return best[0] * total_heads / heads, best[1], floor


def credibility(cycles, floor):
    """Splash reads its block masks from scalar prefetch, which the profiler takes as 0
    (docs/design.md §8): an estimate at the floor means skipped work, not a fast kernel."""
    if cycles < floor:
        return "BELOW FLOOR"
    return "AT FLOOR (SMEM-as-0 artifact?)" if cycles < 1.05 * floor else ""


def json_lines(quick, kernels):
    """Records for `pallas-flash bench` (contract: crates/cli/README.md), forward, causal,
    B=1, D=128; a number only when it is credible, otherwise an error saying why."""
    heads, ns = (2, [1024]) if quick else (HEADS, [2048, 8192])
    for n in ns:
        for kind in kernels:
            record = {"workload": f"attention-fwd-causal-b1-h{heads}-n{n}-d128", "implementation": NAMES[kind]}
            cycles, blocks, floor = best_estimate(kind, n, heads, False)
            if cycles is None:
                record["error"] = "every block configuration failed to compile or profile (see stderr)"
            elif credibility(cycles, floor):
                record["error"] = f"estimate {cycles:,.0f} cycles is {credibility(cycles, floor)} ({floor:,.0f})"
            else:
                record.update(estimated_cycles=round(cycles), config=f"blocks={blocks}")
            print(json.dumps(record), flush=True)


def main():
    global D
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", default="2048,8192,32768")
    parser.add_argument("--kernels", default="splash,flash,xla")
    parser.add_argument("--bwd", action="store_true")
    parser.add_argument("--d", type=int, default=D, help="head dim (default 128)")
    parser.add_argument("--json-lines", action="store_true", help="JSON records for `pallas-flash bench`")
    parser.add_argument("--quick", action="store_true", help="with --json-lines: the bench's small workload")
    parser.add_argument("--child")
    args = parser.parse_args()
    D = args.d
    if args.child:
        child(json.loads(args.child))
        return
    ensure_venv(VENV)
    if args.json_lines:
        json_lines(args.quick, [k for k in args.kernels.split(",") if k != "xla"])
        return
    print("| kernel | N | best blocks | est. cycles (H=8) | MXU floor | est. MFU |")
    print("|---|---|---|---|---|---|")
    for n in map(int, args.n.split(",")):
        flops = 2.0 * HEADS * n * n * D * (2.5 if args.bwd else 1.0)
        for kind in args.kernels.split(","):
            cycles, blocks, floor = best_estimate(kind, n, HEADS, args.bwd)
            if cycles is None:
                print(f"| {kind} | {n} | | failed (see stderr) | | |")
                continue
            mfu = flops / (cycles / CLOCK_HZ) / PEAK
            flag = credibility(cycles, floor)
            print(f"| {kind}{' bwd' if args.bwd else ''} | {n} | {blocks} | {cycles:,.0f} | {floor:,.0f} | {mfu:.1%} {flag} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
