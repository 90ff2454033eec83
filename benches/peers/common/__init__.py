"""What every peer script shares: its pinned venv, the deviceless-profiling environment of
one compile, the sum of libtpu's static estimates, and one-compile-per-process children.

A package, not a top-level `*.py`: `pallas-flash bench` runs every script in
`benches/peers/` and must not run this.
"""

import contextlib
import fcntl
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

JAX_PINS = ["jax==0.10.2", "jaxlib==0.10.2", "libtpu==0.0.52"]
CHILD_FLAG = "PALLAS_FLASH_PEER_CHILD"


def ensure_venv(venv, pins=JAX_PINS, prepare=None):
    """Re-runs the calling script inside `venv` (created with `pins` on first use).
    `prepare(python)` may add to the venv and returns extra environment for the re-run."""
    if os.environ.get(CHILD_FLAG):
        return
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        subprocess.check_call([sys.executable, "-m", "venv", venv])
        subprocess.check_call([python, "-m", "pip", "install", "-q", *pins])
    env = dict(os.environ, **{CHILD_FLAG: "1"}, **(prepare(python) if prepare else {}))
    sys.exit(subprocess.call([python, *sys.argv], env=env))


def profiling_env(prefix, msa=True):
    """Sets up this process for one deviceless v5e compile with the static profiler on;
    returns the directory the profiles land in. `msa=False` turns off memory-space
    assignment (the cure docs/design.md §8 records for the profiler's VMEM-operand abort)."""
    prof = tempfile.mkdtemp(prefix=prefix)
    flags = f"--xla_jf_dump_static_llo_profile_to={prof}" + ("" if msa else " --xla_msa_enable=false")
    os.environ["LIBTPU_INIT_ARGS"] = flags
    for key, value in [("TPU_SKIP_MDS_QUERY", "1"), ("TPU_ACCELERATOR_TYPE", "v5litepod-4"),
                       ("TPU_WORKER_HOSTNAMES", "localhost"), ("ALLOW_MULTIPLE_LIBTPU_LOAD", "1"),
                       ("JAX_PLATFORMS", "cpu")]:
        os.environ.setdefault(key, value)
    return prof


def profile_cycles(prof):
    """Each op profile's summed `estimated_cycles` in `prof`, by profile name (the HLO op or
    the kernel's name, without libtpu's `_TPU v5 lite_static_llo_profile.textproto` tail)."""
    per_file = {}
    for path in glob.glob(os.path.join(prof, "*static_llo_profile.textproto")):
        with open(path) as f:
            cycles = sum(int(line.split(":")[1]) for line in f if line.strip().startswith("estimated_cycles:"))
        per_file[os.path.basename(path).split("_TPU ")[0]] = cycles
    return per_file


def total_cycles(prof):
    """The summed `estimated_cycles` of every op profile in `prof`."""
    return sum(profile_cycles(prof).values())


def run_child(script, spec):
    """Runs `script --child SPEC` (one compile per process: the profiler aborts the process
    on kernels it cannot model) and returns the last JSON object it printed."""
    out = subprocess.run([sys.executable, script, "--child", json.dumps(spec)], capture_output=True, text=True)
    for line in reversed(out.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    lines = out.stderr.strip().splitlines() or [f"exit {out.returncode}"]
    # libtpu's fatal log line (`F1202 … Static LLO profiling of X failed: …`), else the exception
    # or the libtpu check that stopped the child — not the last log line.
    fatal = [line.split("] ", 1)[-1] for line in lines if re.match(r"F\d{4} ", line)]
    cause = fatal[-1] if fatal else next(
        (line for line in reversed(lines) if "Error: " in line or "Check failed" in line), lines[-1])
    return {"error": cause.strip()[:400]}


@contextlib.contextmanager
def profile_lock():
    """The machine-wide profiling lock, when PALLAS_FLASH_PROFILE_LOCK names one (a file path):
    long profiles need several GB, so only one runs at a time."""
    path = os.environ.get("PALLAS_FLASH_PROFILE_LOCK")
    if not path:
        yield
        return
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
