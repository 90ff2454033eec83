"""libtpu's static estimate of our kernel inside a JAX program equals the `pallas-flash`
command's for the same kernel, within 2%: the package compiles the kernel the command
compiles. (An estimate, not a measurement: docs/design.md §8.)

The JAX side runs in a child process: libtpu reads its profiling flag once, when it loads.
"""

import json
import os
import subprocess
import sys

# FlashAttention-2 forward, causal, B 1, H 8, N 2048, D 128: the command's defaults at
# --seq 2048, the README's Rust quickstart.
SHAPE = (1, 8, 2048, 128)
KERNEL = "flash_attention_fwd"

CHILD = f"""
import glob, json, os, sys, tempfile
profiles = tempfile.mkdtemp(prefix="pallas-flash-estimate-")
os.environ["LIBTPU_INIT_ARGS"] = "--xla_jf_dump_static_llo_profile_to=" + profiles
import conftest  # the deviceless environment
import jax, jax.numpy as jnp, numpy as np
from jax.experimental import topologies
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from pallas_flash.jax import flash_attention

topology = topologies.get_topology_desc(topology_name="v5e:1x1", platform="tpu")
sharding = NamedSharding(Mesh(np.array(topology.devices[:1]), ("x",)), PartitionSpec())
x = jax.ShapeDtypeStruct({SHAPE}, jnp.bfloat16, sharding=sharding)
jax.jit(lambda q, k, v: flash_attention(q, k, v, causal=True)).lower(x, x, x).compile()
cycles = {{}}
for path in glob.glob(os.path.join(profiles, "*static_llo_profile.textproto")):
    with open(path) as f:
        lines = [l for l in f if l.strip().startswith("estimated_cycles:")]
    cycles[os.path.basename(path)] = sum(int(l.split(":")[1]) for l in lines)
print(json.dumps(cycles))
"""


def test_kernel_estimate_in_a_jax_program_is_the_commands_within_2_percent(cli):
    _, heads, seq, head_dim = SHAPE
    flags = ["--heads", str(heads), "--seq", str(seq), "--head-dim", str(head_dim)]
    command = subprocess.run(
        [cli, "compile", "flash-attention", *flags, "--causal", "--json"],
        check=True, capture_output=True, text=True,
    )
    want = json.loads(command.stdout)["estimated_cycles"]
    child = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True,
        cwd=os.path.dirname(__file__),
    )
    assert child.returncode == 0, child.stderr[-3000:]
    profiles = json.loads(child.stdout.splitlines()[-1])
    ours = {name: c for name, c in profiles.items() if name.startswith(KERNEL)}
    assert len(ours) == 1, profiles
    (got,) = ours.values()
    assert abs(got - want) <= 0.02 * want, (got, want, profiles)
