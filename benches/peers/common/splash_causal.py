"""Splash attention made measurable by libtpu's static profiler, for a causal mask.

Splash keeps its block-mask metadata (`MaskInfo`: `data_next`, `block_mask`) in SMEM as scalar
prefetch. The profiler reads every scalar-prefetch value as 0 (docs/design.md §8): every block
looks empty and every K/V fetch looks like block 0, so the kernel estimates below its MXU floor.

For a causal mask the metadata has a closed form. `use_closed_form()` replaces the SMEM lookups in
splash's `_next_nonzero` (the one place its kernels and index maps read the metadata) with that
closed form, computed from the grid indices; the arrays are still passed and prefetched, only
their reads are replaced. `check_mask_info()` compares the closed form with the real `MaskInfo`
arrays element by element, so the patched kernel does exactly the work the real one would. What
the patched kernel no longer does: a few SMEM scalar loads per grid step (`block_mask[h, i, j]`,
`data_next[h, i, j]`), replaced by a compare and a select on the indices — splash is, if
anything, favoured.

Nothing of splash is copied here: the library is imported and one function is wrapped at run time.
"""

METHOD = (
    "splash's SMEM lookups in _next_nonzero (block_mask, data_next) replaced at run time by the "
    "closed-form causal block info, checked element by element against the real MaskInfo arrays "
    "(fwd, dq, dkv) in the same process; the arrays are still prefetched; a few SMEM scalar loads "
    "per grid step are dropped (splash is, if anything, favoured); no preamble (0 cycles); only "
    "splash's own kernel profiles counted; MSA off; control = splash unpatched"
)


def causal_block_info(i, j, num_q_blocks, num_kv_blocks, seq, next_i, xp):
    """`(data_next, nonzero)` of block `(i, j)` of a causal `seq × seq` mask cut into
    `num_q_blocks × num_kv_blocks` blocks: a block is nonzero when its first key is at or before
    its last query; a nonzero block fetches its own index (`i` for the key-major dK/dV kernel,
    `next_i`, else `j`), an empty one block 0. `xp` is numpy or jax.numpy."""
    block_q, block_kv = seq // num_q_blocks, seq // num_kv_blocks
    nonzero = j * block_kv <= i * block_q + block_q - 1
    return xp.where(nonzero, i if next_i else j, 0), nonzero


def check_mask_info(info, seq, next_i):
    """Asserts that the closed form equals `info`'s arrays at every (head, q block, kv block),
    and that `info` has no partial-mask blocks (the causal mask_function path). Returns the
    number of blocks compared."""
    import numpy as np

    if info is None:
        return 0
    assert info.mask_next is None and info.partial_mask_blocks is None, "not the causal mask_function path"
    data_next = np.asarray(info.data_next).astype(np.int32)
    block_mask = np.asarray(info.block_mask).astype(np.int32)
    heads, nq, nk = data_next.shape
    i, j = np.meshgrid(np.arange(nq), np.arange(nk), indexing="ij")
    want_next, want_nonzero = causal_block_info(i, j, nq, nk, seq, next_i, np)
    for h in range(heads):
        if not ((block_mask[h] > 0) == want_nonzero).all() or not (data_next[h] == want_next).all():
            bad = np.argwhere((data_next[h] != want_next) | ((block_mask[h] > 0) != want_nonzero))[0]
            raise AssertionError(f"closed-form causal block info differs from MaskInfo at head {h}, block {tuple(bad)}")
    return data_next.size


def use_closed_form(splash_kernel_module, seq):
    """Replaces `_next_nonzero` in splash's kernel module by the closed form for a causal
    `seq × seq` mask (only where splash would read its SMEM arrays)."""
    import jax.numpy as jnp

    original = splash_kernel_module._next_nonzero

    def next_nonzero(h, i, j, data_next_ref, block_mask_ref, m_next_ref, next_i=False):
        if data_next_ref is None:
            return original(h, i, j, data_next_ref, block_mask_ref, m_next_ref, next_i=next_i)
        assert m_next_ref is None, "a causal mask_function has no partial-mask blocks"
        _, nq, nk = data_next_ref.shape
        data_next, nonzero = causal_block_info(i, j, nq, nk, seq, next_i, jnp)
        # (next data, next mask, should run, should not mask): what the original returns
        # without partial-mask blocks.
        return data_next, None, nonzero, True

    splash_kernel_module._next_nonzero = next_nonzero
