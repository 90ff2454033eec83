"""Every test runs on the CPU (numerics) or compiles deviceless for a TPU topology (no TPU
needed): libtpu must neither look for a TPU nor query a metadata server."""

import os

for key, value in [
    ("JAX_PLATFORMS", "cpu"),
    ("TPU_SKIP_MDS_QUERY", "1"),
    ("TPU_ACCELERATOR_TYPE", "v5litepod-4"),
    ("TPU_WORKER_HOSTNAMES", "localhost"),
    ("ALLOW_MULTIPLE_LIBTPU_LOAD", "1"),
]:
    os.environ.setdefault(key, value)
