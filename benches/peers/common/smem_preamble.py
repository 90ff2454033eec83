"""How a peer whose metadata lives in SMEM is made measurable by libtpu's static profiler.

The profiler reads every scalar-prefetch or SMEM input as 0 but follows stores the kernel
itself makes into SMEM (docs/design.md §8). A paged decode kernel fed zeros sees kv_len 0 and
skips all its work, so each peer's kernel body is wrapped: a *preamble* stores the intended
metadata into the kernel's own SMEM refs, then the real body runs. Four compiles per
configuration, each in its own process:

- `full`: preamble + body — the figure, before the preamble is subtracted;
- `preamble`: preamble + a dummy read of what it stored (without a reader the compiler
  deletes the stores), no body;
- `empty`: neither — the kernel's fixed cost, so `preamble - empty` is the preamble's own;
- `control`: the peer's kernel unmodified; it must come out very different from `full`,
  or the preamble did not reach the profiler.

Only the peer's own kernel profile(s) are counted, never XLA's copies around the call.
"""

MODES = ("full", "preamble", "empty", "control")

# A control within this fraction of the full figure means the preamble changed nothing.
CONTROL_MIN_DIFFERENCE = 0.5


def wrap_body(body, mode, store_metadata, stored_refs):
    """The kernel body for `mode`. `store_metadata(refs)` runs first in `full` and
    `preamble`; in `preamble`, `stored_refs(refs)` names `(target, [(ref, length), …])`:
    one value of each stored ref, at an index the compiler cannot know, is summed into
    `target[0]` so that no store is dead."""
    if mode == "control":
        return body

    def wrapped(*refs, **kwargs):
        if mode == "empty":
            return None
        import jax.numpy as jnp

        unknown = refs[0][0]  # an SMEM input, read before any store: unknown to the compiler
        store_metadata(refs)
        if mode == "preamble":
            target, stored = stored_refs(refs)
            total = jnp.int32(0)
            for ref, length in stored:
                total = total + ref[jnp.clip(unknown, 0, length - 1)]
            target[0] = total
            return None
        return body(*refs, **kwargs)

    return wrapped


def store_identity_pages(page_indices_ref, count):
    """`page_indices[i] = i` for i < count, as a loop (the tables hold thousands of pages)."""
    import jax

    def store(i, carry):
        page_indices_ref[i] = i
        return carry

    jax.lax.fori_loop(0, count, store, 0)


def kernel_figure(runs, kernel_prefix):
    """The net figure and its provenance from the four runs' per-file cycles.

    `runs` maps each mode to `{profile name: cycles}` or to an error string.
    Returns a dict with `cycles` (or `error`) and the fields every record carries."""
    def own(mode):
        files = runs[mode]
        if isinstance(files, str):
            return None, [], files
        names = sorted(n for n in files if n.startswith(kernel_prefix))
        return sum(files[n] for n in names), names, None

    full, full_files, full_error = own("full")
    preamble, _, preamble_error = own("preamble")
    empty, _, empty_error = own("empty")
    control, _, control_error = own("control")
    if full_error or not full_files:
        return {"error": f"full run: {full_error or 'no profile file starts with ' + kernel_prefix}"}
    if preamble_error or empty_error:
        return {"error": f"preamble-cost runs: {preamble_error or empty_error}"}
    preamble_cost = max(preamble - empty, 0)
    others = {n: c for n, c in runs["full"].items() if n not in full_files}
    result = {
        "cycles": full - preamble_cost,
        "files_counted": full_files,
        "raw_cycles": full,
        "preamble_cycles": preamble_cost,
        "preamble_runs": {"preamble_only": preamble, "empty_kernel": empty},
        "files_not_counted": dict(sorted(others.items(), key=lambda kv: -kv[1])),
    }
    if control_error:
        result["control"] = {"error": control_error, "differs": True}
    else:
        differs = abs(full - control) > CONTROL_MIN_DIFFERENCE * full
        result["control"] = {"cycles": control, "differs": differs}
        if not differs:
            result["error"] = (f"the no-preamble control ({control}) is within {CONTROL_MIN_DIFFERENCE:.0%} of the "
                               f"full run ({full}): the stored metadata did not reach the profiler")
    return result
