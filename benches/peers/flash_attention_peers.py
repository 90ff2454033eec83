"""Peer static estimates for the FlashAttention benchmark (docs/design.md §8, issues 7 and 21).

Compiles, deviceless with libtpu's static LLO profiler on and XLA's memory-space assignment off
(`--xla_msa_enable=false`, the cure docs/design.md §8 records for the profiler's VMEM-operand
abort), the workload of `pallas-flash bench`: B=1, H=8, D=128, bf16, causal, for

  - JAX's splash attention, with its SMEM block-mask lookups replaced by the closed-form causal
    block info (`common/splash_causal.py`; checked element by element against the real MaskInfo
    arrays in the same process), so that the profiler sees the real work — the profiler reads
    SMEM as 0, and unpatched splash estimates below its MXU floor;
  - JAX's Pallas flash_attention (no scalar prefetch: its causal skipping uses grid indices),
  - plain XLA attention (einsum + softmax; the table only, the bench has its own StableHLO),

forward and backward (dQ + dK/dV), on v5e and v6e (deviceless topologies). Every record carries
how its figure was obtained (`method`, `files_counted`, `preamble_cycles`, `control`,
`floor_check`): only the peer's own kernel profiles are counted, never XLA's ops around the call
(the q scaling, layout copies); the control is splash unpatched (it must come out very
different), or for flash_attention the check that its kernels take no scalar prefetch; the floor
check compares against the MXU floor (2·B·H·N²·D causal FLOPs, 2.5× for the backward, at the
chip's bf16 peak). Every compile runs in its own process (the profiler writes one file per op
and aborts the process on kernels it cannot model); N > 8192 is profiled at H=1 and scaled by H,
under the machine-wide lock `PALLAS_FLASH_PROFILE_LOCK` when it is set.

Usage (a pinned venv is created on first use; the Rust build never needs it):

    python3 benches/peers/flash_attention_peers.py [--n 2048,8192] [--kernels splash,flash,xla] [--bwd] [--target v5e] [--search] [--d 128]
    python3 benches/peers/flash_attention_peers.py --json-lines [--quick]   # records for `pallas-flash bench`

`--d` sets the head dim (q, k, v passed as `[B, H, N, D]` in XLA's layout, as a user holds
them: for D not a multiple of 128 that includes the relayout copies the peer's kernel gets).
"""

import argparse
import itertools
import json
import os
import sys

from common import ensure_venv, profile_cycles, profile_lock, profiling_env, run_child, splash_causal

VENV = os.environ.get("PALLAS_FLASH_PEER_VENV", os.path.expanduser("~/.cache/pallas-flash/peer-venv"))
# (topology, clock Hz, bf16 peak FLOP/s) per chip, as in the tiling crate's target profiles.
CHIPS = {"v5e": ("v5e:1x1", 1.5e9, 197e12), "v6e": ("v6e:1x1", 1.75e9, 918e12)}
HEADS, D = 8, 128
SIZES = [512, 1024, 2048]
# Best blocks found by the grid search (`--search`), libtpu 0.0.52, used by default: per chip
# and N (N=1024: the quick run's, small enough that the causal mask skips blocks). v6e: flash
# searched at N=8192 (2026-12-02); splash there runs v5e's blocks (not searched).
BEST = {
    "v5e": {
        "splash": {1024: (512, 512, 512), 2048: (1024, 1024, 512), 8192: (1024, 1024, 512), 32768: (512, 2048, 512)},
        "flash": {1024: (512, 512, 512), 2048: (1024, 1024, 1024), 8192: (1024, 1024, 1024), 32768: (2048, 1024, 1024)},
    },
    "v6e": {
        "splash": {8192: (1024, 1024, 512)},
        "flash": {8192: (2048, 2048, 2048)},
    },
}
# Profile-file prefixes of each peer's own kernels, forward and backward (everything else is
# XLA around the call; the backward's forward-with-residuals is not counted, as for ours).
KERNEL_PREFIXES = {("splash", False): ("splash_mha_fwd",), ("flash", False): ("flash_attention",),
                   ("splash", True): ("splash_mha_dq", "splash_mha_dkv"),
                   ("flash", True): ("flash_mha_bwd_dq", "flash_mha_bwd_dkv")}
NAMES = {"splash": "JAX splash attention", "flash": "JAX flash_attention", "xla": "XLA via JAX (einsum + softmax)"}
FLASH_METHOD = ("compiled as shipped (no scalar prefetch: checked on the lowered kernels, so nothing in SMEM "
                "for the profiler to read as 0); no preamble (0 cycles); only its own kernel profiles counted; "
                "MSA off")


def child(spec):
    """Compiles one (kernel, N, heads, blocks, chip) case and prints its per-profile cycles as JSON."""
    prof = profiling_env("peer-prof-", msa=spec.get("msa", False))
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax.experimental import topologies
    from jax.sharding import NamedSharding, PartitionSpec

    topo = topologies.get_topology_desc(topology_name=CHIPS[spec["chip"]][0], platform="tpu")
    mesh = jax.sharding.Mesh(np.array(topo.devices[:1]), ("x",))
    sharding = NamedSharding(mesh, PartitionSpec())
    n, heads, kind, d = spec["n"], spec["heads"], spec["kernel"], spec.get("d", D)
    shape = (1, heads, n, d)
    scale = 1.0 / d ** 0.5
    facts = {}

    if kind == "splash":
        from jax.experimental.pallas.ops.tpu.splash_attention import splash_attention_kernel as sk
        from jax.experimental.pallas.ops.tpu.splash_attention import splash_attention_mask as sm
        bq, bkv, bc = spec["blocks"]
        mask = sm.MultiHeadMask([sm.CausalMask((n, n)) for _ in range(heads)])
        sizes = sk.BlockSizes(block_q=bq, block_kv=bkv, block_kv_compute=bc,
                              block_q_dkv=bq, block_kv_dkv=bkv, block_kv_dkv_compute=bc,
                              block_q_dq=bq, block_kv_dq=bkv)
        kernel = sk.make_splash_mha(mask, head_shards=1, q_seq_shards=1, block_sizes=sizes)
        if spec["closed_form"]:
            facts["mask_blocks_checked"] = sum(
                splash_causal.check_mask_info(info, n, next_i)
                for info, next_i in [(kernel.fwd_mask_info, False), (kernel.dq_mask_info, False),
                                     (kernel.dkv_mask_info, True)])
            splash_causal.use_closed_form(sk, n)

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
        # Under the topology's mesh Pallas asks the abstract TPU (not the CPU) for its generation.
        with jax.set_mesh(mesh):
            facts["scalar_prefetch"] = scalar_prefetch_counts(jax.make_jaxpr(fn)(*args).jaxpr)
            jax.jit(fn).lower(*args).compile()
    except Exception as e:  # noqa: BLE001 — report any compiler error as data
        print(json.dumps({"error": str(e).splitlines()[0][:200]}))
        return
    print(json.dumps({"files": profile_cycles(prof), **facts}))


def scalar_prefetch_counts(jaxpr):
    """The number of scalar-prefetch operands of every `pallas_call` in `jaxpr` (nested
    jaxprs included: custom VJPs, jit)."""
    import jax.extend

    counts = []
    for eqn in jaxpr.eqns:
        if eqn.primitive.name == "pallas_call":
            counts.append(eqn.params["grid_mapping"].num_index_operands)
        for value in eqn.params.values():
            for x in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(x, jax.extend.core.ClosedJaxpr):
                    counts += scalar_prefetch_counts(x.jaxpr)
                elif isinstance(x, jax.extend.core.Jaxpr):
                    counts += scalar_prefetch_counts(x)
    return counts


def floor_cycles(n, total_heads, bwd, chip):
    """The MXU floor: causal FLOPs (2·H·N²·D, 2.5× for the backward) at the chip's bf16 peak."""
    _, clock, peak = CHIPS[chip]
    return 2.0 * total_heads * n * n * D * (2.5 if bwd else 1.0) / peak * clock


def own(files, kind, bwd):
    """(cycles, files counted, files not counted) of the peer's own kernel profiles."""
    names = sorted(f for f in files if f.startswith(KERNEL_PREFIXES[kind, bwd]))
    others = {f: c for f, c in sorted(files.items(), key=lambda kv: -kv[1]) if f not in names}
    return sum(files[f] for f in names), names, others


def measure(kind, n, total_heads, blocks, bwd, chip, closed_form=True):
    """One configuration's figure for all heads, or an error. Profiled at H=1 and scaled
    beyond N=8192 (docs/design.md §8), and also when the direct profile aborts (splash's
    backward at N=8192, H=8: the profiler fails on XLA's relayout copy of the logsumexp
    residual, "Unsupported DMA direction for latency modeling: dma-general")."""
    heads = total_heads if n <= 8192 else 1
    r = profile(kind, n, heads, blocks, bwd, chip, closed_form)
    scale_note = None
    if "files" not in r and heads > 1:
        scale_note = f"the direct H={heads} profile failed: {r.get('error', 'no output')[:160]}"
        heads = 1
        r = profile(kind, n, heads, blocks, bwd, chip, closed_form)
    if "files" not in r:
        return {"error": r.get("error", "no output")}
    if kind == "xla":
        return {"cycles": sum(r["files"].values()) * total_heads // heads}
    cycles, counted, others = own(r["files"], kind, bwd)
    if not counted:
        return {"error": f"no profile file starts with {KERNEL_PREFIXES[kind, bwd]}: {sorted(r['files'])}"}
    scale = None
    if heads != total_heads:
        scale = f"profiled at H={heads}, ×{total_heads // heads}" + (f": {scale_note}" if scale_note else "")
    return {"cycles": cycles * total_heads // heads, "files_counted": counted, "files_not_counted": others,
            "scale": scale, **{k: r[k] for k in ("mask_blocks_checked", "scalar_prefetch") if k in r}}


def profile(kind, n, heads, blocks, bwd, chip, closed_form):
    """One compile in its own process (under the profile lock beyond N=8192): per-file cycles."""
    spec = {"kernel": kind, "n": n, "heads": heads, "blocks": blocks, "bwd": bwd, "chip": chip,
            "closed_form": closed_form, "d": D}
    if n > 8192:
        with profile_lock():
            return run_child(__file__, spec)
    return run_child(__file__, spec)


def grid(kind, n):
    if kind == "splash":
        return [b for b in itertools.product(SIZES, SIZES, SIZES) if b[2] <= b[1] and b[0] <= n and b[1] <= n]
    if kind == "flash":
        return [(bq, bk, bk) for bq, bk in itertools.product(SIZES, SIZES) if bq <= n and bk <= n]
    return [None]


def candidates(kind, n, search, chip):
    if search or kind == "xla":
        return grid(kind, n)
    known = BEST[chip][kind]
    best = known.get(n) or BEST["v5e"][kind].get(n)
    return [best] if best and max(best) <= n else [tuple(min(b, n) for b in BEST["v5e"][kind][2048])]


def control(kind, n, total_heads, blocks, bwd, chip, m):
    """The control every record carries; `differs` says whether it passed. Splash: the same
    compile unpatched (reading its SMEM metadata, which the profiler takes as 0); it must come
    out very different. flash_attention: none of its kernels may take scalar prefetch, so there
    is no SMEM value for the profiler to read as 0."""
    if kind == "splash":
        c = measure(kind, n, total_heads, blocks, bwd, chip, closed_form=False)
        if "error" in c:
            return {"error": c["error"], "differs": True}
        return {"cycles": c["cycles"], "differs": abs(m["cycles"] - c["cycles"]) > 0.5 * m["cycles"],
                "what": "splash unpatched (its SMEM metadata read as 0 by the profiler)"}
    counts = m.get("scalar_prefetch", [])
    none = bool(counts) and not any(counts)
    return {"cycles": None, "differs": none, "scalar_prefetch": counts,
            "what": "not needed: no scalar prefetch in its kernels" if none
            else "its kernels take scalar prefetch: this method does not apply"}


def record(kind, n, total_heads, bwd, chip, search):
    """A JSON record for `pallas-flash bench` (contract: crates/cli/README.md)."""
    direction = "bwd" if bwd else "fwd"
    r = {"workload": f"attention-{direction}-causal-b1-h{total_heads}-n{n}-d{D}", "target": chip,
         "implementation": NAMES[kind]}
    best, reason = None, "no block configuration"
    for blocks in candidates(kind, n, search, chip):
        m = measure(kind, n, total_heads, blocks, bwd, chip)
        print(f"  {kind} {direction} {chip} N={n} blocks={blocks}: {m.get('cycles', m.get('error'))}", file=sys.stderr)
        if "error" in m:
            reason = m["error"]
        elif best is None or m["cycles"] < best[0]["cycles"]:
            best = (m, blocks)
    if best is None:
        r["error"] = reason
        return r
    m, blocks = best
    floor = floor_cycles(n, total_heads, bwd, chip)
    ctrl = control(kind, n, total_heads, blocks, bwd, chip, m)
    r.update(estimated_cycles=m["cycles"], config=f"blocks={tuple(blocks)}" + (f", {m['scale']}" if m["scale"] else ""),
             method=splash_causal.METHOD if kind == "splash" else FLASH_METHOD,
             files_counted=m["files_counted"], preamble_cycles=0, control=ctrl,
             floor_check={"mxu_floor_cycles": round(floor), "artifact_below_cycles": round(floor),
                          "passed": m["cycles"] >= floor},
             files_not_counted=m["files_not_counted"])
    if "mask_blocks_checked" in m:
        r["mask_blocks_checked"] = m["mask_blocks_checked"]
    return r


# The bench's rows (issue 21): (direction, chip, N, kernels).
BENCH_CASES = [("fwd", "v5e", 2048, "splash,flash"), ("fwd", "v5e", 8192, "splash,flash"),
               ("bwd", "v5e", 8192, "splash,flash"), ("fwd", "v6e", 8192, "splash,flash")]
QUICK_CASES = [("fwd", "v5e", 1024, "splash,flash")]


def main():
    global D
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", default="2048,8192,32768")
    parser.add_argument("--kernels", default="splash,flash,xla")
    parser.add_argument("--bwd", action="store_true")
    parser.add_argument("--d", type=int, default=D, help="head dim (default 128)")
    parser.add_argument("--target", default="v5e", choices=sorted(CHIPS))
    parser.add_argument("--search", action="store_true", help="search the block grid instead of the best blocks known")
    parser.add_argument("--json-lines", action="store_true", help="JSON records for `pallas-flash bench`")
    parser.add_argument("--quick", action="store_true", help="with --json-lines: the bench's small workload")
    parser.add_argument("--cases", help="with --json-lines: DIR:CHIP:N:KERNELS;… instead of the bench's cases")
    parser.add_argument("--child")
    args = parser.parse_args()
    D = args.d
    if args.child:
        child(json.loads(args.child))
        return
    ensure_venv(VENV)
    if args.json_lines:
        heads = 2 if args.quick else HEADS
        cases = QUICK_CASES if args.quick else BENCH_CASES
        if args.cases:
            cases = [(d, c, int(n), k.replace("+", ",")) for d, c, n, k in (x.split(":") for x in args.cases.split(";"))]
        for direction, chip, n, kernels in cases:
            for kind in kernels.split(","):
                print(json.dumps(record(kind, n, heads, direction == "bwd", chip, args.search)), flush=True)
        return
    print(f"| kernel | chip | N | blocks | est. cycles (H={HEADS}) | MXU floor | est. MFU |")
    print("|---|---|---|---|---|---|---|")
    for n in map(int, args.n.split(",")):
        floor = floor_cycles(n, HEADS, args.bwd, args.target)
        for kind in args.kernels.split(","):
            best = None
            for blocks in candidates(kind, n, args.search, args.target):
                m = measure(kind, n, HEADS, blocks, args.bwd, args.target)
                if "cycles" in m and (best is None or m["cycles"] < best[0]):
                    best = (m["cycles"], blocks)
            if best is None:
                print(f"| {kind} | {args.target} | {n} | | failed (see stderr) | | |")
                continue
            flag = " BELOW FLOOR" if best[0] < floor else ""
            print(f"| {kind}{' bwd' if args.bwd else ''} | {args.target} | {n} | {best[1]} | {best[0]:,.0f} | "
                  f"{floor:,.0f} | {floor / best[0]:.1%}{flag} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
