//! The split-KV kernel over a paged cache: the page table in SMEM, pages copied by hand
//! into a two-slot VMEM buffer, the next block's pages in flight while this block runs.
//!
//! # Cache layout, and how it maps to vLLM-TPU's
//!
//! `k_pages`, `v_pages: [H_kv, num_pages, page_size, D]` stay in HBM (`ANY`); row `b`'s
//! logical page `i` (positions `i·page_size ..`) is physical page `page_table[b, i]` of
//! every head. One page of one head is one contiguous `page_size × D` DMA.
//!
//! vLLM-TPU's ragged paged attention keeps one combined cache
//! `[num_pages, page_size, 2·H_kv, D]` (K and V of a head interleaved along the third
//! dim, all heads of a position together), a flat page-index array per sequence, and
//! ragged query offsets (`cu_q_lens`) instead of a fixed `q_len`. The same physical
//! page numbers index both: `k_pages[h, p] = kv_cache[p, :, 2h, :]`,
//! `v_pages[h, p] = kv_cache[p, :, 2h + 1, :]`, and `page_table[b, i]` is entry `i` of
//! sequence `b`'s page indices. The head-major split here lets one kernel step read a
//! single head's pages (GQA tiles are per KV head) without strided DMAs.

use pallas_flash_ir::{
    at, ds, BlockSpec, DimensionSemantics::*, GridSpec, Kernel, KernelBuilder, KernelInfo, RefId,
    Value,
};
use pallas_flash_tiling::Target;

use super::common::{
    as_bf16, declare_partials, declare_query, declare_scales, finish, kernel_name, load_query,
    RowLengths,
};
use super::config::{FlashDecodingConfig, FlashDecodingError};
use super::online_softmax::{i32_of, BlockBounds, OnlineSoftmax};

/// Page geometry of a paged cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PagedCache {
    /// Positions per page; divides `block_kv`, a multiple of 16 (bf16 sublane packing).
    pub page_size: usize,
    /// Physical pages per head in the cache arrays.
    pub num_pages: usize,
}

/// The split-KV kernel over a paged cache. Grid `(B, H_kv, S, blocks_per_split)`; a
/// block is `block_kv / page_size` pages.
///
/// Operands: scalar prefetch `lengths: i32[B]` (with [`super::KvLengths::Prefetch`])
/// and `page_table: i32[B, max_kv_len / page_size]`; inputs `q` (as in
/// [`super::split_kernel`]), `k_pages`, `v_pages: [H_kv, num_pages, page_size, D]` in
/// HBM, int8 scales if any; outputs the same partials as [`super::split_kernel`].
///
/// Each grid step waits for its block's pages (started by the previous step of the
/// split, or by itself on the split's first step), starts the next block's pages and
/// computes. Pages at or past a row's length are never copied.
pub fn paged_kernel(
    cfg: &FlashDecodingConfig,
    cache: PagedCache,
    target: &Target,
) -> Result<(Kernel, KernelInfo), FlashDecodingError> {
    cfg.check()?;
    let PagedCache {
        page_size,
        num_pages,
    } = cache;
    if page_size == 0 || !page_size.is_multiple_of(16) || !cfg.block_kv.is_multiple_of(page_size) {
        return Err(FlashDecodingError::Paging {
            what: "page_size",
            value: page_size,
            range: "multiples of 16 dividing block_kv",
        });
    }
    if num_pages == 0 || i32::try_from(num_pages).is_err() {
        return Err(FlashDecodingError::Paging {
            what: "num_pages",
            value: num_pages,
            range: "1..=i32::MAX",
        });
    }
    let (b, hkv, s, nb) = (cfg.batch, cfg.kv_heads, cfg.splits, cfg.blocks_per_split());
    let (d, bkv) = (cfg.head_dim, cfg.block_kv);
    let pages_per_block = bkv / page_size;
    // The next block's copies cross grid steps, so no axis may be split across cores.
    let grid =
        GridSpec::new([b, hkv, s, nb]).semantics([Arbitrary, Arbitrary, Arbitrary, Arbitrary]);
    let mut k = KernelBuilder::new(
        kernel_name(&format!("flash_decoding_paged_p{page_size}"), cfg),
        grid,
    );
    let lengths = RowLengths::declare(&mut k, cfg);
    let page_table = k.scalar_prefetch("page_table", [b, cfg.max_kv_len / page_size]);
    let q = declare_query(&mut k, cfg, |g| [g.grid(0), g.grid(1)]);
    let pages_shape = [hkv, num_pages, page_size, d];
    let kc = k.input(
        "k_pages",
        pages_shape,
        cfg.kv_dtype.dtype(),
        BlockSpec::any(),
    );
    let vc = k.input(
        "v_pages",
        pages_shape,
        cfg.kv_dtype.dtype(),
        BlockSpec::any(),
    );
    let scales = declare_scales(&mut k, cfg, |g| g.grid(1));
    let (o, m, l) = declare_partials(&mut k, cfg, |g| [g.grid(0), g.grid(1), g.grid(2)]);
    let softmax = OnlineSoftmax::declare(&mut k, cfg, bkv);
    let buffers = [
        k.scratch_vmem("k_buf", [2, bkv, d], cfg.kv_dtype.dtype()),
        k.scratch_vmem("v_buf", [2, bkv, d], cfg.kv_dtype.dtype()),
    ];
    let sems = [k.dma_semaphores("k_sems", 2), k.dma_semaphores("v_sems", 2)];

    let (bi, hi, si, j) = (
        k.program_id(0),
        k.program_id(1),
        k.program_id(2),
        k.program_id(3),
    );
    let len = lengths.value(&mut k, bi);
    let copies = Copies {
        page_table,
        sources: [kc, vc],
        buffers,
        sems,
        page_size,
        pages_per_block,
        head_dim: d,
        nb,
        row: bi,
        head: hi,
        split: si,
        len,
    };
    let zero = k.i32(0);
    let first = k.eq(j, zero);
    k.when(first, |k| {
        softmax.init(k);
        copies.for_block(k, j, Dma::Start);
    });
    let one = k.i32(1);
    let next = k.add(j, one);
    let nb_v = k.i32(i32_of(nb));
    let in_split = k.lt(next, nb_v);
    k.when(in_split, |k| copies.for_block(k, next, Dma::Start));
    copies.for_block(&mut k, j, Dma::Wait);
    let start = copies.block_start(&mut k, j);
    let has_work = k.lt(start, len);
    k.when(has_work, |k| {
        let slot = copies.slot(k, j);
        softmax.step_in_bounds(k, BlockBounds { start, len }, |k| {
            let qv = load_query(k, q, scales.map(|(ks, _)| ks), cfg);
            let [kb, vb] = buffers.map(|buf| k.load(buf, [at(slot), ds(0, bkv), ds(0, d)]));
            (qv, as_bf16(k, cfg, kb), as_bf16(k, cfg, vb))
        });
    });
    let last = k.i32(i32_of(nb - 1));
    let last = k.eq(j, last);
    k.when(last, |k| {
        softmax.finalize(k, o, m, l, scales.map(|(_, vs)| vs))
    });
    finish(k, target)
}

#[derive(Clone, Copy)]
enum Dma {
    Start,
    Wait,
}

/// The page copies of one (row, head, split).
struct Copies {
    page_table: RefId,
    sources: [RefId; 2],
    buffers: [RefId; 2],
    sems: [RefId; 2],
    page_size: usize,
    pages_per_block: usize,
    head_dim: usize,
    nb: usize,
    row: Value,
    head: Value,
    split: Value,
    len: Value,
}

impl Copies {
    /// First position of the split's block `j`.
    fn block_start(&self, k: &mut KernelBuilder, j: Value) -> Value {
        let nb = k.i32(i32_of(self.nb));
        let block = k.mul(self.split, nb);
        let block = k.add(block, j);
        let size = k.i32(i32_of(self.pages_per_block * self.page_size));
        k.mul(block, size)
    }

    /// Buffer slot of block `j`: `j mod 2`.
    fn slot(&self, k: &mut KernelBuilder, j: Value) -> Value {
        let two = k.i32(2);
        k.rem(j, two)
    }

    /// Starts or waits for the copies of block `j`'s pages that hold valid positions.
    fn for_block(&self, k: &mut KernelBuilder, j: Value, dma: Dma) {
        let start = self.block_start(k, j);
        let slot = self.slot(k, j);
        let ps = self.page_size;
        for i in 0..self.pages_per_block {
            let offset = k.i32(i32_of(i * ps));
            let first = k.add(start, offset);
            let valid = k.lt(first, self.len);
            k.when(valid, |k| {
                let size = k.i32(i32_of(ps));
                let logical = k.div(first, size);
                let page = k.load(self.page_table, [at(self.row), at(logical)]);
                for ((src, dst), sem) in self.sources.iter().zip(&self.buffers).zip(&self.sems) {
                    let from = src.view([at(self.head), at(page), ds(0, ps), ds(0, self.head_dim)]);
                    let to = dst.view([at(slot), ds(i * ps, ps), ds(0, self.head_dim)]);
                    match dma {
                        Dma::Start => k.dma_start(from, to, *sem, slot),
                        Dma::Wait => k.dma_wait(from, to, *sem, slot),
                    }
                }
            });
        }
    }
}
