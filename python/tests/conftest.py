"""Every test runs on the CPU (numerics) or compiles deviceless for a TPU topology (no TPU
needed): libtpu must neither look for a TPU nor query a metadata server."""

import os
import pathlib

import pytest

for key, value in [
    ("JAX_PLATFORMS", "cpu"),
    ("TPU_SKIP_MDS_QUERY", "1"),
    ("TPU_ACCELERATOR_TYPE", "v5litepod-4"),
    ("TPU_WORKER_HOSTNAMES", "localhost"),
    ("ALLOW_MULTIPLE_LIBTPU_LOAD", "1"),
]:
    os.environ.setdefault(key, value)


@pytest.fixture(scope="session")
def cli():
    """The `pallas-flash` binary of this checkout (`cargo xtask test` builds it first), or
    $PALLAS_FLASH_BIN."""
    repo = pathlib.Path(__file__).resolve().parents[2]
    path = pathlib.Path(os.environ.get("PALLAS_FLASH_BIN", repo / "target/debug/pallas-flash"))
    assert path.is_file(), f"{path} missing: run `cargo build -p pallas-flash` or set PALLAS_FLASH_BIN"
    return str(path)
