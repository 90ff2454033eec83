"""The RPA v3 drop-in on the CPU path against tpu-inference 0.32.0's own reference
(`ref_ragged_paged_attention`, which also updates the cache) and an f64 reference, on the
same paged cache; and paged_decoding against jax.nn.dot_product_attention.

tpu-inference's RPA v3 kernel itself cannot be the oracle here: JAX 0.10.2's TPU interpret
mode (`interpret=pltpu.InterpretParams()`) fails on its `ref.bitcast(jnp.uint32)` loads
(`AttributeError: 'BitcastTransform' object has no attribute 'indices'`), and the discharge
interpreter (`interpret=True`) on its dynamically sized KV copies (`Shapes must be 1D
sequences of concrete values`). See python/README.md.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pallas_flash.jax import paged_decoding
from pallas_flash.tpu_inference import ragged_paged_attention

try:
    from tpu_inference.kernels.ragged_paged_attention.v3 import kernel as rpa
except ImportError as e:  # a missing oracle is a failure, not a skip
    raise ImportError(
        "tpu-inference 0.32.0's kernels are not importable: run `cargo xtask pytest` (it "
        "extracts them from the pinned wheel, benches/peers/common/tpu_inference_kernels.py, "
        "and puts them on PYTHONPATH)"
    ) from e

SEQS, TOKENS, Q_HEADS, KV_HEADS, HEAD_DIM = 4, 6, 8, 2, 64
PAGE, PAGES_PER_SEQ, PAGES = 16, 10, 48
LIVE = 3  # the fourth sequence slot is padding, as in a server's fixed-size batch


def batch(seed=0):
    keys = jax.random.split(jax.random.PRNGKey(seed), 4)
    cache_shape = rpa.get_kv_cache_shape(PAGES, PAGE, KV_HEADS, HEAD_DIM, jnp.bfloat16)
    bf16 = lambda k, shape: jax.random.normal(k, shape).astype(jnp.bfloat16)  # noqa: E731
    return dict(
        queries=bf16(keys[1], (TOKENS, Q_HEADS, HEAD_DIM)),
        keys=bf16(keys[2], (TOKENS, KV_HEADS, HEAD_DIM)),
        values=bf16(keys[3], (TOKENS, KV_HEADS, HEAD_DIM)),
        kv_cache=bf16(keys[0], cache_shape),
        # One position, a page boundary plus one, a block boundary crossed; padding slot.
        kv_lens=jnp.array([1, 17, 160, 999], jnp.int32),
        page_indices=jnp.array(
            np.random.RandomState(seed).permutation(PAGES)[: SEQS * PAGES_PER_SEQ], jnp.int32
        ),
        cu_q_lens=jnp.array([0, 1, 2, 3, 3], jnp.int32),
        distribution=jnp.array([LIVE] * 3, jnp.int32),
    )


def f64_reference(b, cache, scale):
    """Attention of each live sequence's query over its pages of the (updated) cache."""
    cache = np.asarray(cache, np.float64)
    out = []
    for s in range(LIVE):
        n = int(b["kv_lens"][s])
        pages = np.asarray(b["page_indices"])[s * PAGES_PER_SEQ :][: -(-n // PAGE)]
        kv = cache[pages].reshape(-1, KV_HEADS, 2, cache.shape[-1])[:n, :, :, :HEAD_DIM]
        q = np.asarray(b["queries"][s], np.float64).reshape(KV_HEADS, -1, HEAD_DIM)
        scores = np.einsum("hgd,nhd->hgn", q, kv[:, :, 0]) * scale
        p = np.exp(scores - scores.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        out.append(np.einsum("hgn,nhd->hgd", p, kv[:, :, 1]).reshape(Q_HEADS, HEAD_DIM))
    return np.stack(out)


def test_decode_batch_matches_tpu_inference_reference_and_f64():
    b, scale = batch(), HEAD_DIM**-0.5
    want, want_cache = rpa.ref_ragged_paged_attention(*b.values(), sm_scale=scale)
    # The drop-in donates the cache, as RPA v3 does: hand it a copy.
    got, got_cache = ragged_paged_attention(
        *{**b, "kv_cache": jnp.array(b["kv_cache"])}.values(), sm_scale=scale
    )
    assert got.shape == b["queries"].shape and got.dtype == jnp.bfloat16
    np.testing.assert_array_equal(np.asarray(got_cache), np.asarray(want_cache))
    got = np.asarray(got, np.float32)
    np.testing.assert_allclose(got[:LIVE], np.asarray(want, np.float32), atol=2e-2, rtol=2e-2)
    np.testing.assert_allclose(got[:LIVE], f64_reference(b, want_cache, scale), atol=1e-2)
    assert not got[LIVE:].any()


def test_inside_jit_a_mixed_batch_is_nan_and_eagerly_it_raises():
    b = batch(1)
    mixed = {**b, "cu_q_lens": jnp.array([0, 1, 3, 4, 4], jnp.int32),
             "distribution": jnp.array([1, 1, LIVE], jnp.int32)}
    with pytest.raises(ValueError, match=r"distribution \[1, 1, 3\] has prefill or mixed"):
        ragged_paged_attention(*mixed.values())
    got, _ = jax.jit(ragged_paged_attention)(*mixed.values())
    assert np.isnan(np.asarray(got[:1], np.float32)).all()


@pytest.mark.parametrize(
    "change,message",
    [
        (dict(sliding_window=128), "`sliding_window=128` is not supported"),
        (dict(soft_cap=30.0), "`soft_cap=30.0` is not supported"),
        (dict(chunk_prefill_size=64), "`chunk_prefill_size=64` is not supported"),
        (dict(out_dtype=jnp.float32), "`out_dtype=float32`"),
        (dict(kv_cache=jnp.zeros((PAGES, PAGE, 4, 1, 128), jnp.float32)), "`kv_cache` is float32"),
        (dict(kv_lens=jnp.array([1, 17, 161, 0], jnp.int32)), "sequence 2 has kv_len 161"),
    ],
)
def test_what_the_drop_in_does_not_run_raises_a_clear_error(change, message):
    b = batch()
    options = {k: change.pop(k) for k in list(change) if k not in b}
    with pytest.raises(ValueError, match=message):
        ragged_paged_attention(*{**b, **change}.values(), **options)


def test_paged_decoding_matches_jax_attention_over_the_gathered_pages():
    b, hq, hkv, d, page, pages_per_seq, pages = 3, 8, 2, 128, 16, 12, 48
    keys = jax.random.split(jax.random.PRNGKey(2), 3)
    q = jax.random.normal(keys[0], (b, hq, d)).astype(jnp.bfloat16)
    k_pages, v_pages = (
        jax.random.normal(k, (hkv, pages, page, d)).astype(jnp.bfloat16) for k in keys[1:]
    )
    table = jnp.array(
        np.random.RandomState(0).permutation(pages)[: b * pages_per_seq].reshape(b, -1),
        jnp.int32,
    )
    lengths = jnp.array([1, 77, 192], jnp.int32)
    got = jax.jit(lambda *a: paged_decoding(*a, block_kv=128, splits=2))(
        q, k_pages, v_pages, lengths, table
    )
    dense = lambda p: jnp.transpose(p[:, table], (1, 2, 3, 0, 4)).reshape(b, -1, hkv, d)  # noqa: E731
    want = jax.nn.dot_product_attention(
        q[:, None].astype(jnp.float32),
        dense(k_pages).astype(jnp.float32),
        dense(v_pages).astype(jnp.float32),
        key_value_seq_lengths=lengths,
    )[:, 0]
    np.testing.assert_allclose(np.asarray(got, np.float32), want, atol=2e-2, rtol=2e-2)
