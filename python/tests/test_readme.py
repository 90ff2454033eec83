"""The README's three-line JAX quickstart runs as written and gives what it says: JAX's own
attention."""

import pathlib
import re

import jax
import jax.numpy as jnp
import numpy as np

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def test_jax_quickstart_runs_and_equals_jax_attention():
    (block,) = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(block.strip().splitlines()) == 3, block
    scope = {}
    exec(block, scope)
    q, k, v, o = (scope[n] for n in "qkvo")
    want = jax.nn.dot_product_attention(q, k, v, is_causal=True)
    np.testing.assert_allclose(
        np.asarray(o, np.float32), np.asarray(want, np.float32), atol=2e-2, rtol=2e-2
    )
    assert o.shape == q.shape and o.dtype == jnp.bfloat16
