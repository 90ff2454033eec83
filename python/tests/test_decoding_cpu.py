"""flash_decoding on the CPU path against jax.nn.dot_product_attention with the same
per-sequence lengths."""

import jax
import jax.numpy as jnp
import numpy as np

from pallas_flash.jax import flash_decoding


def test_decode_step_matches_jax_with_ragged_lengths():
    b, hq, hkv, d, cap = 3, 8, 2, 128, 512
    keys = jax.random.split(jax.random.PRNGKey(7), 3)
    q = jax.random.normal(keys[0], (b, hq, d), jnp.float32).astype(jnp.bfloat16)
    kc = jax.random.normal(keys[1], (b, hkv, cap, d), jnp.float32).astype(jnp.bfloat16)
    vc = jax.random.normal(keys[2], (b, hkv, cap, d), jnp.float32).astype(jnp.bfloat16)
    lengths = jnp.array([1, 300, 512], jnp.int32)
    got = jax.jit(lambda *a: flash_decoding(*a, block_kv=128, splits=2))(q, kc, vc, lengths)
    t = lambda x: jnp.transpose(x, (0, 2, 1, 3)).astype(jnp.float32)  # noqa: E731
    want = jax.nn.dot_product_attention(
        q[:, None].astype(jnp.float32), t(kc), t(vc), key_value_seq_lengths=lengths
    )[:, 0]
    np.testing.assert_allclose(got.astype(jnp.float32), want, atol=2e-2, rtol=2e-2)
