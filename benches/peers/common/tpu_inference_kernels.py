"""tpu-inference 0.32.0's attention kernels without its server dependencies.

Installed with --no-deps a full install would downgrade libtpu and pull in torch; its package
`__init__` imports server code. So only the kernel directories are extracted from the pinned
wheel (checked by sha256) under empty package `__init__`s, and that tree goes on PYTHONPATH.
"""

import glob
import hashlib
import os
import subprocess
import tempfile
import zipfile

WHEEL = "tpu-inference==0.32.0"
WHEEL_SHA256 = "7c25a3c76cefd383f06ef115a6ed4d7bed82c081f047046bfef55f5913ea06d4"
KERNEL_DIRS = ("tpu_inference/kernels/ragged_paged_attention/v3/", "tpu_inference/kernels/experimental/stacked_rpa/")
STUB = os.environ.get("PALLAS_FLASH_TPU_INFERENCE_KERNELS",
                      os.path.expanduser("~/.cache/pallas-flash/tpu-inference-0.32.0-kernels"))


def prepare(python):
    """Extracts the kernels once (venv `prepare` hook); returns the PYTHONPATH that finds them."""
    marker = os.path.join(STUB, ".complete")
    if not os.path.exists(marker):
        wheels = tempfile.mkdtemp(prefix="tpu-inference-")
        subprocess.check_call([python, "-m", "pip", "download", "-q", "--no-deps", WHEEL, "-d", wheels])
        path = glob.glob(os.path.join(wheels, "*.whl"))[0]
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        if digest != WHEEL_SHA256:
            raise SystemExit(f"{path}: sha256 {digest}, expected {WHEEL_SHA256} ({WHEEL}); refusing to use it")
        wheel = zipfile.ZipFile(path)
        for name in wheel.namelist():
            if name.startswith(KERNEL_DIRS):
                wheel.extract(name, STUB)
        for kernel_dir in KERNEL_DIRS:
            parts = kernel_dir.strip("/").split("/")
            for depth in range(1, len(parts)):
                init = os.path.join(STUB, *parts[:depth], "__init__.py")
                if not os.path.exists(init):
                    open(init, "w").close()
        open(marker, "w").close()
    return {"PYTHONPATH": STUB}
