"""flash_attention on the CPU path against JAX's own jax.nn.dot_product_attention: the
forward and jax.grad, causal or not, GQA, ragged sequence lengths, head dims 64 and 128."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pallas_flash.jax import flash_attention


def to_bnhd(x):
    return jnp.transpose(x, (0, 2, 1, 3))


def oracle(q, k, v, causal):
    """JAX's attention in our [B, H, N, D] layout."""
    return to_bnhd(jax.nn.dot_product_attention(to_bnhd(q), to_bnhd(k), to_bnhd(v), is_causal=causal))


def inputs(b, h, hkv, n, d, dtype):
    keys = jax.random.split(jax.random.PRNGKey(n * d + h), 4)
    q = jax.random.normal(keys[0], (b, h, n, d), jnp.float32).astype(dtype)
    k = jax.random.normal(keys[1], (b, hkv, n, d), jnp.float32).astype(dtype)
    v = jax.random.normal(keys[2], (b, hkv, n, d), jnp.float32).astype(dtype)
    do = jax.random.normal(keys[3], (b, h, n, d), jnp.float32).astype(dtype)
    return q, k, v, do


CASES = [
    # (b, h, hkv, n, d, causal, block_sizes)
    (1, 2, 2, 256, 128, False, None),
    (1, 2, 2, 256, 128, True, None),
    (2, 4, 2, 256, 64, True, None),  # GQA, D = 64
    (1, 4, 1, 200, 128, True, (128, 128)),  # MQA, ragged: 200 = 128 + a 72-row tail
    (1, 2, 2, 320, 64, False, (128, 128)),  # ragged, not causal
]


def with_vjp(f):
    """`f`'s output and its vjp on `do`, as one jitted program."""

    def run(q, k, v, do):
        out, vjp = jax.vjp(f, q, k, v)
        return out, vjp(do)

    return jax.jit(run)


@pytest.mark.parametrize("b,h,hkv,n,d,causal,blocks", CASES)
def test_forward_and_grad_match_jax(b, h, hkv, n, d, causal, blocks):
    q, k, v, do = inputs(b, h, hkv, n, d, jnp.float32)
    out, grads = with_vjp(
        lambda q, k, v: flash_attention(q, k, v, causal=causal, block_sizes=blocks)
    )(q, k, v, do)
    want, want_grads = with_vjp(lambda q, k, v: oracle(q, k, v, causal))(q, k, v, do)
    np.testing.assert_allclose(out, want, atol=2e-5, rtol=1e-5)
    for name, got, ref in zip("qkv", grads, want_grads):
        scale = float(jnp.max(jnp.abs(ref)))
        np.testing.assert_allclose(got, ref, atol=2e-5 * scale, rtol=1e-4, err_msg=f"d{name}")


def test_bf16_and_the_bnhd_layout_under_grad():
    q, k, v, _ = inputs(1, 4, 2, 256, 128, jnp.bfloat16)
    q, k, v = map(to_bnhd, (q, k, v))  # [B, N, H, D], jax.nn.dot_product_attention's order

    def loss(f):
        return lambda q, k, v: jnp.sum(f(q, k, v).astype(jnp.float32) ** 2)

    ours = loss(lambda q, k, v: flash_attention(q, k, v, causal=True, layout="BNHD"))
    theirs = loss(lambda q, k, v: jax.nn.dot_product_attention(q, k, v, is_causal=True))
    got = jax.jit(jax.grad(ours, argnums=(0, 1, 2)))(q, k, v)
    f32 = [x.astype(jnp.float32) for x in (q, k, v)]
    want = jax.jit(jax.grad(theirs, argnums=(0, 1, 2)))(*f32)
    for g, w in zip(got, want):
        err = float(jnp.max(jnp.abs(g.astype(jnp.float32) - w)))
        assert err <= 0.03 * float(jnp.max(jnp.abs(w))), err


def test_segment_ids_keep_queries_in_their_segment():
    q, k, v, _ = inputs(1, 2, 2, 256, 128, jnp.float32)
    ids = jnp.concatenate([jnp.zeros((1, 100), jnp.int32), jnp.ones((1, 156), jnp.int32)], axis=1)
    got = jax.jit(lambda q, k, v, s: flash_attention(q, k, v, segment_ids=s))(q, k, v, ids)
    mask = (ids[:, :, None] == ids[:, None, :])[:, None]  # [B, 1, N, N]
    want = to_bnhd(jax.nn.dot_product_attention(*map(to_bnhd, (q, k, v)), mask=mask))
    np.testing.assert_allclose(got, want, atol=2e-5, rtol=1e-5)


def test_a_bad_configuration_is_a_value_error_with_the_rust_message():
    q, k, v, _ = inputs(1, 3, 2, 256, 128, jnp.float32)
    with pytest.raises(ValueError, match=r"q_heads \(3\) is not a multiple of kv_heads \(2\)"):
        flash_attention(q, k[:, :2], v[:, :2])
    with pytest.raises(ValueError, match="unknown layout"):
        flash_attention(q, k, v, layout="NHBD")
