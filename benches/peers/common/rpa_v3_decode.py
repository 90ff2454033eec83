"""tpu-inference 0.32.0's ragged paged attention v3, decode only, ready for the profiler.

Its scalar prefetch is kv_lens, page_indices, cu_q_lens, distribution and three sets of
pipeline ids the wrapper initialises on the host (sem ids 0, bo and bkv-update ids -1).
The preamble (see smem_preamble) stores all of them: every sequence N long, an identity page
table, one query token per sequence, all B sequences in the decode range (B, B, B).
The wrapper also launches its mixed-batch kernel (`RPAm-…`, empty for a decode-only batch);
only the decode kernel `RPAd-…` is counted and the rest is listed in the record.
"""

from . import smem_preamble

KERNEL_PREFIX = "RPAd-"
PAGE = 128
METHOD = ("metadata stored by an in-kernel preamble (kv_lens=N, identity page table, cu_q_lens, "
          "distribution=(B,B,B), pipeline ids); only the RPAd kernel profile counted; preamble cost "
          "(preamble-only with a dummy read, minus an empty body) subtracted; MSA off; XLA copies around the call listed in files_not_counted")


def build(spec, shaped):
    """(function, argument shapes, donated argument numbers, config text) for one compile of `spec`
    (keys n, b, hq, hkv, d, bkv, mode); `shaped(shape, dtype)` makes an argument."""
    import jax.numpy as jnp
    from tpu_inference.kernels.ragged_paged_attention.v3 import kernel as rpa

    n, b, hq, hkv, d, bkv, mode = (spec[k] for k in ("n", "b", "hq", "hkv", "d", "bkv", "mode"))
    # It reads the TPU generation from jax.devices()[0], the CPU here; the compile is for v5e.
    rpa.get_tpu_version = lambda: 5
    pages = b * (n // PAGE)
    body = rpa._ragged_paged_attention_kernel

    def store_metadata(refs):
        kv_lens, page_indices, cu_q_lens, distribution, sem_ids, bo_ids, bkv_update_ids = refs[:7]
        smem_preamble.store_identity_pages(page_indices, pages)
        for s in range(b):
            kv_lens[s] = n
        for s in range(b + 1):
            cu_q_lens[s] = s
        for i in range(3):
            distribution[i] = b
            sem_ids[i] = 0
        for i in range(4):
            bo_ids[i] = -1
        for i in range(6):
            bkv_update_ids[i] = -1

    def stored_refs(refs):
        lengths = (b, pages, b + 1, 3, 3, 4, 6)
        return refs[4], list(zip(refs[:7], lengths))

    rpa._ragged_paged_attention_kernel = smem_preamble.wrap_body(body, mode, store_metadata, stored_refs)

    # A quantized cache (int8, fp8) takes the kernel's per-tensor k/v scales; the new tokens'
    # k and v come in the cache dtype.
    kv_name = spec.get("kv_dtype", "bf16")
    kv_dtype = {"bf16": jnp.bfloat16, "int8": jnp.int8, "fp8": jnp.float8_e4m3fn}[kv_name]
    scales = {} if kv_name == "bf16" else dict(k_scale=0.5, v_scale=0.5)

    def decode(q, k, v, cache, kv_lens, page_indices, cu_q_lens, distribution):
        out, _ = rpa.ragged_paged_attention(
            q, k, v, cache, kv_lens, page_indices, cu_q_lens, distribution,
            sm_scale=d ** -0.5, update_kv_cache=False, d_block_sizes=(1, bkv, 1, bkv),
            vmem_limit_bytes=64 * 2 ** 20, **scales)
        return out

    cache = rpa.get_kv_cache_shape(pages, PAGE, hkv, d, kv_dtype)
    args = [shaped((b, hq, d)), shaped((b, hkv, d), kv_dtype), shaped((b, hkv, d), kv_dtype),
            shaped(cache, kv_dtype),
            shaped((b,), jnp.int32), shaped((pages,), jnp.int32), shaped((b + 1,), jnp.int32),
            shaped((3,), jnp.int32)]
    config = f"bkv={bkv}" + ("" if kv_name == "bf16" else f", {kv_name} KV, per-tensor k/v scales")
    return decode, args, (3,), config
