//! Row sums of products of bank rows, lane-dense: `Σ_j x[r, j] · y[r, j]` for the 128
//! rows of a group, as one `[1, 128]` f32 vector (row `r` in lane `r`) — the per-row
//! statistics (dot products, squared norms) drift and retrieval need from an `[n, d]` block.
//!
//! The products accumulate 128-lane chunks in f32 on the VPU (products of bf16, int8 or
//! fp8 values are exact in f32), so only `[128, 128]` f32 partials are live (16 vregs
//! each: they stay in registers); one 128 × 128 transpose and a sublane sum then turn
//! each partial into lanes. (The same sums over whole `[n, 128]` partials spill, and an
//! f32 MXU dot against ones costs several passes per bank tile.)

use pallas_flash_ir::{ds, DType, KernelBuilder, RefId, Value};

/// Rows in a group, and lanes in a chunk.
pub const GROUP: usize = 128;

/// For each `(x, y)` of `products` (indices into `refs`), the row sums of `x ∘ y` over
/// rows `group..group + 128` of the refs' `[n, d]` blocks: `[1, 128]` f32 each.
pub fn group_row_sums(
    k: &mut KernelBuilder,
    refs: &[RefId],
    products: &[(usize, usize)],
    group: usize,
    d: usize,
) -> Vec<Value> {
    let mut sums: Vec<Value> = Vec::new();
    for start in (0..d).step_by(GROUP) {
        let chunks: Vec<Value> = refs
            .iter()
            .map(|&r| {
                let x = k.load(r, [ds(group, GROUP), ds(start, GROUP)]);
                k.cast(x, DType::F32)
            })
            .collect();
        let parts: Vec<Value> = products
            .iter()
            .map(|&(x, y)| k.mul(chunks[x], chunks[y]))
            .collect();
        sums = match sums.is_empty() {
            true => parts,
            false => sums.iter().zip(parts).map(|(&s, p)| k.add(s, p)).collect(),
        };
    }
    sums.into_iter()
        .map(|partial| {
            let lanes_major = k.transpose(partial, [1, 0]);
            k.sum(lanes_major, 0)
        })
        .collect()
}
