//! Which (query, key) pairs attend, at three granularities shared by every kernel:
//! block ranges for index maps (so skipped blocks issue no DMA), tile classes for the body
//! (skip, compute unmasked, compute masked) and element masks for the masked tiles.

use pallas_flash_ir::{ds, DType, IndexExpr, KernelBuilder, RefId, Value};

use super::layout::HeadLayout;

/// The offsets `col - row` (key position minus query position) that may attend, both ends
/// inclusive; `None` is unbounded. Causal is `hi = 0`; a window `w` is `[-(w-1), w-1]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Band {
    pub lo: Option<i32>,
    pub hi: Option<i32>,
}

impl Band {
    pub fn new(causal: bool, window: Option<usize>) -> Band {
        let reach = window.map(|w| i32::try_from(w - 1).unwrap_or(i32::MAX));
        let hi = match (causal, reach) {
            (true, _) => Some(0),
            (false, r) => r,
        };
        Band {
            lo: reach.map(|r| -r),
            hi,
        }
    }

    /// The same band seen from the keys: `row - col`.
    pub fn flip(self) -> Band {
        Band {
            lo: self.hi.map(|h| -h),
            hi: self.lo.map(|l| -l),
        }
    }
}

/// One sequence axis cut into blocks (the last one may be partial).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SeqAxis {
    pub block: usize,
    pub len: usize,
}

impl SeqAxis {
    pub fn blocks(self) -> usize {
        self.len.div_ceil(self.block)
    }

    fn block_i32(self) -> i32 {
        to_i32(self.block)
    }

    fn last_i32(self) -> i32 {
        to_i32(self.len - 1)
    }
}

/// The tile edge along a diagonal block of `block` rows (or keys): [`DIAGONAL_ROWS`],
/// capped at the compute tile, when it divides the block; else the compute tile.
fn diagonal_step(block: usize, compute: usize) -> usize {
    match block.is_multiple_of(DIAGONAL_ROWS) {
        true => DIAGONAL_ROWS.min(compute),
        false => compute,
    }
}

/// Sizes are checked to fit `i32` before any kernel is built.
pub(crate) fn to_i32(v: usize) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// Index-map expression for the block of `inner` fetched at grid position `step` while
/// `outer` is at block `outer_block`: `step` clamped into the blocks the band lets that
/// outer block see. Steps outside the range repeat the nearest needed block index, and
/// Mosaic skips the copy when a block index does not change, so skipped blocks cost no DMA.
pub(crate) fn clamped_block(
    band: Band,
    outer: SeqAxis,
    inner: SeqAxis,
    outer_block: IndexExpr,
    step: IndexExpr,
) -> IndexExpr {
    let first_row = outer_block * outer.block_i32();
    let mut index = step;
    if let Some(lo) = band.lo {
        let first = (first_row.clone() + lo).max(0).min(inner.last_i32()) / inner.block_i32();
        index = index.max(first);
    }
    if let Some(hi) = band.hi {
        let last_row = (first_row + (outer.block_i32() - 1)).min(outer.last_i32());
        let last = (last_row + hi).max(0).min(inner.last_i32()) / inner.block_i32();
        index = index.min(last);
    }
    index
}

/// A condition known at build time or computed in the kernel (an `i1` scalar).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cond {
    Always,
    Never,
    If(Value),
}

impl Cond {
    fn and(self, k: &mut KernelBuilder, other: Cond) -> Cond {
        match (self, other) {
            (Cond::Never, _) | (_, Cond::Never) => Cond::Never,
            (Cond::Always, c) | (c, Cond::Always) => c,
            (Cond::If(a), Cond::If(b)) => Cond::If(k.and(a, b)),
        }
    }

    fn not(self, k: &mut KernelBuilder) -> Cond {
        match self {
            Cond::Always => Cond::Never,
            Cond::Never => Cond::Always,
            Cond::If(c) => Cond::If(k.not(c)),
        }
    }

    /// Runs `body` when the condition holds (inline if always, not at all if never).
    pub fn run(self, k: &mut KernelBuilder, body: impl FnOnce(&mut KernelBuilder)) {
        match self {
            Cond::Always => body(k),
            Cond::Never => {}
            Cond::If(c) => k.when(c, body),
        }
    }
}

/// The masking rules of one kernel: the band, both sequence axes (`q.block` and `kv.block`
/// are the DMA blocks, `q_compute × kv_compute` the tile) and whether segment ids apply.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Masking {
    pub band: Band,
    pub q: SeqAxis,
    pub kv: SeqAxis,
    pub q_compute: usize,
    pub kv_compute: usize,
    pub segment_ids: bool,
}

/// One score tile: query rows `q0 .. q0 + q_compute`, key columns `k0 .. k0 + kv_compute`.
/// `segments` are the tile's query ids as a `[rows, 1]` column and key ids as `[1, cols]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tile {
    pub q0: Value,
    pub k0: Value,
    pub segments: Option<(Value, Value)>,
}

impl Masking {
    fn kv_tail(&self) -> bool {
        !self.kv.len.is_multiple_of(self.kv.block)
    }

    fn q_tail(&self) -> bool {
        !self.q.len.is_multiple_of(self.q.block)
    }

    fn cmp_const(
        k: &mut KernelBuilder,
        lhs: Value,
        rhs: i32,
        op: fn(&mut KernelBuilder, Value, Value) -> Value,
    ) -> Cond {
        let rhs = k.i32(rhs);
        Cond::If(op(k, lhs, rhs))
    }

    fn add_const(k: &mut KernelBuilder, x: Value, c: i32) -> Value {
        let c = k.i32(c);
        k.add(x, c)
    }

    /// Whether any pair of the tile may attend.
    fn visible(&self, k: &mut KernelBuilder, tile: &Tile) -> Cond {
        let (rows, cols) = (to_i32(self.q_compute), to_i32(self.kv_compute));
        let mut cond = Cond::Always;
        if let Some(hi) = self.band.hi {
            // The first key is not after the last real row's reach.
            let end = Self::add_const(k, tile.q0, rows - 1);
            let last = k.i32(self.q.last_i32());
            let last_row = k.min(end, last);
            let reach = Self::add_const(k, last_row, hi);
            let c = Cond::If(k.le(tile.k0, reach));
            cond = cond.and(k, c);
        }
        if let Some(lo) = self.band.lo {
            let end = Self::add_const(k, tile.k0, cols - 1);
            let last = k.i32(self.kv.last_i32());
            let last_col = k.min(end, last);
            let reach = Self::add_const(k, tile.q0, lo);
            let c = Cond::If(k.ge(last_col, reach));
            cond = cond.and(k, c);
        }
        if self.kv_tail() {
            let c = Self::cmp_const(k, tile.k0, to_i32(self.kv.len), KernelBuilder::lt);
            cond = cond.and(k, c);
        }
        cond
    }

    /// Whether every pair of the tile attends, so the tile needs no element mask.
    fn unmasked(&self, k: &mut KernelBuilder, tile: &Tile) -> Cond {
        if self.segment_ids {
            return Cond::Never;
        }
        let (rows, cols) = (to_i32(self.q_compute), to_i32(self.kv_compute));
        let mut cond = Cond::Always;
        if let Some(hi) = self.band.hi {
            // Largest offset: last column against first row.
            let d = k.sub(tile.k0, tile.q0);
            let c = Self::cmp_const(k, d, hi - (cols - 1), KernelBuilder::le);
            cond = cond.and(k, c);
        }
        if let Some(lo) = self.band.lo {
            // Smallest offset: first column against last row.
            let d = k.sub(tile.k0, tile.q0);
            let c = Self::cmp_const(k, d, lo + (rows - 1), KernelBuilder::ge);
            cond = cond.and(k, c);
        }
        if self.kv_tail() {
            let c = Self::cmp_const(k, tile.k0, to_i32(self.kv.len) - cols, KernelBuilder::le);
            cond = cond.and(k, c);
        }
        if self.q_tail() {
            let c = Self::cmp_const(k, tile.q0, to_i32(self.q.len) - rows, KernelBuilder::le);
            cond = cond.and(k, c);
        }
        cond
    }

    /// The `[rows, cols]` `i1` mask of a tile that needs one.
    fn element_mask(&self, k: &mut KernelBuilder, tile: &Tile) -> Value {
        let shape = [self.q_compute, self.kv_compute];
        let rows = offset_iota(k, tile.q0, shape, 0);
        let cols = offset_iota(k, tile.k0, shape, 1);
        let d = k.sub(cols, rows);
        let mut mask = None;
        let mut push = |k: &mut KernelBuilder, m: Value| {
            mask = Some(match mask {
                Some(prev) => k.and(prev, m),
                None => m,
            });
        };
        if let Some(hi) = self.band.hi {
            let h = k.full(shape, DType::I32, hi);
            let m = k.le(d, h);
            push(k, m);
        }
        if let Some(lo) = self.band.lo {
            let l = k.full(shape, DType::I32, lo);
            let m = k.ge(d, l);
            push(k, m);
        }
        if self.kv_tail() {
            let n = k.full(shape, DType::I32, to_i32(self.kv.len));
            let m = k.lt(cols, n);
            push(k, m);
        }
        if let Some((q_ids, kv_ids)) = tile.segments {
            let (q_wide, kv_wide) = (k.broadcast(q_ids, shape), k.broadcast(kv_ids, shape));
            let m = k.eq(q_wide, kv_wide);
            push(k, m);
        }
        // Only the query tail is left: its rows are zeroed by `zero_rows_past` and dropped on
        // write-back, so they need no mask of their own.
        mask.unwrap_or_else(|| k.full(shape, DType::I1, true))
    }

    /// Emits `step` for one tile: unmasked where every pair attends, with the element mask
    /// where only some do, not at all where none does. `step` gets the mask (or `None`).
    pub fn tile(
        &self,
        k: &mut KernelBuilder,
        tile: &Tile,
        mut step: impl FnMut(&mut KernelBuilder, Option<Value>),
    ) {
        let visible = self.visible(k, tile);
        let unmasked = self.unmasked(k, tile);
        let full = visible.and(k, unmasked);
        full.run(k, |k| step(k, None));
        let partial = unmasked.not(k);
        let masked = visible.and(k, partial);
        masked.run(k, |k| {
            let mask = self.element_mask(k, tile);
            step(k, Some(mask));
        });
    }

    /// `x` (`[rows, width]`, rows from `start`) with rows at or past `len` set to zero, when
    /// the axis has a partial last block: its padding is unspecified (NaN in interpret mode)
    /// and would reach every output row through a matmul.
    pub fn zero_rows_past(
        k: &mut KernelBuilder,
        x: Value,
        start: Value,
        axis: SeqAxis,
        shape: [usize; 2],
        dtype: DType,
    ) -> Value {
        Self::zero_past(k, x, (start, 0), axis, shape, dtype)
    }

    /// [`Masking::zero_rows_past`] along dim `seq_dim` of `x` (1: sequence positions are
    /// columns).
    pub fn zero_past(
        k: &mut KernelBuilder,
        x: Value,
        (start, seq_dim): (Value, usize),
        axis: SeqAxis,
        shape: [usize; 2],
        dtype: DType,
    ) -> Value {
        if axis.len.is_multiple_of(axis.block) {
            return x;
        }
        let rows = offset_iota(k, start, shape, seq_dim);
        let n = k.full(shape, DType::I32, to_i32(axis.len));
        let keep = k.lt(rows, n);
        let zeros = k.full(shape, dtype, 0.0);
        k.select(keep, x, zeros)
    }
}

/// Rows per tile of a causal diagonal block ([`Masking::diagonal_tiles`]): at N = 8192
/// (1024 blocks, `q_compute` 512) the forward measured 1,453,544 est. cycles with 256-row
/// diagonal tiles, 1,463,208 with 128 and 1,469,928 with 512.
const DIAGONAL_ROWS: usize = 256;

/// One tile of a block whose class is known at build time: `rows` query rows from `row`,
/// `cols` keys from `col` (offsets within the block).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StaticTile {
    pub row: usize,
    pub rows: usize,
    pub col: usize,
    pub cols: usize,
    /// `None`: every pair attends. `Some(limit)`: element `(r, c)` of the tile attends iff
    /// `c - r <= limit`.
    pub mask: Option<i32>,
}

impl Masking {
    /// The block-level view: one tile per (query block, kv block) pair.
    fn whole_blocks(&self) -> Masking {
        Masking {
            q_compute: self.q.block,
            kv_compute: self.kv.block,
            ..*self
        }
    }

    /// Runs `full` if every pair of query block `q0 ..` × kv block `k0 ..` attends and
    /// `partial` if only some do (neither if none does), so a step's tiles are emitted in
    /// one region: straight-line code the LLO scheduler can overlap, and values (not
    /// scratch) carry the statistics from tile to tile.
    pub fn block_classes(
        &self,
        k: &mut KernelBuilder,
        q0: Value,
        k0: Value,
        full: impl FnOnce(&mut KernelBuilder),
        partial: impl FnOnce(&mut KernelBuilder),
    ) {
        let blocks = self.whole_blocks();
        let tile = Tile {
            q0,
            k0,
            segments: None,
        };
        let visible = blocks.visible(k, &tile);
        let unmasked = blocks.unmasked(k, &tile);
        let all = visible.and(k, unmasked);
        all.run(k, full);
        let some = unmasked.not(k);
        let some = visible.and(k, some);
        some.run(k, partial);
    }

    /// Every `q_compute × kv_compute` tile of a block, unmasked (for
    /// [`Masking::block_classes`]' `full`), row by row.
    pub fn full_tiles(&self) -> Vec<StaticTile> {
        let (rows, cols) = (self.q_compute, self.kv_compute);
        let starts = (0..self.q.block).step_by(rows);
        starts
            .flat_map(|row| {
                (0..self.kv.block).step_by(cols).map(move |col| StaticTile {
                    row,
                    rows,
                    col,
                    cols,
                    mask: None,
                })
            })
            .collect()
    }

    /// The tiles of a partial block, classified at build time, when that block is known to
    /// be a causal diagonal block: causal without window, `block_q == block_kv`, no partial
    /// blocks, no segment ids — then a partial block starts its queries and keys at the
    /// same position. Each row tile gets one masked tile exactly as wide as the keys it
    /// sees (`row + rows`), so the diagonal block computes its lower triangle plus the row
    /// tiles' own triangles, not the whole square, without splitting a row into key chunks
    /// (which measured slower than the work it saves). Row tiles are [`DIAGONAL_ROWS`]
    /// (at most `q_compute`). `None` otherwise (the tiles are classified in the kernel).
    pub fn diagonal_tiles(&self) -> Option<Vec<StaticTile>> {
        if !self.static_diagonal() {
            return None;
        }
        let rows = diagonal_step(self.q.block, self.q_compute);
        let starts = (0..self.q.block).step_by(rows);
        Some(
            starts
                .map(|row| StaticTile {
                    row,
                    rows,
                    col: 0,
                    cols: row + rows,
                    mask: Some(to_i32(row)),
                })
                .collect(),
        )
    }

    /// [`Masking::diagonal_tiles`] for a key-major kernel (whose accumulators are per key):
    /// one masked tile per key tile of [`DIAGONAL_ROWS`] (at most `kv_compute`), over the
    /// query rows at or below its first key.
    pub fn diagonal_key_tiles(&self) -> Option<Vec<StaticTile>> {
        if !self.static_diagonal() {
            return None;
        }
        let cols = diagonal_step(self.kv.block, self.kv_compute);
        let starts = (0..self.kv.block).step_by(cols);
        Some(
            starts
                .map(|col| StaticTile {
                    row: col,
                    rows: self.q.block - col,
                    col,
                    cols,
                    mask: Some(0),
                })
                .collect(),
        )
    }

    /// Whether a partial block is known to be a causal diagonal block (see
    /// [`Masking::diagonal_tiles`]).
    fn static_diagonal(&self) -> bool {
        let causal = self.band
            == Band {
                lo: None,
                hi: Some(0),
            };
        causal
            && self.q.block == self.kv.block
            && !self.q_tail()
            && !self.kv_tail()
            && !self.segment_ids
    }

    /// The mask `col - row <= limit` of a [`StaticTile`] of `shape`.
    pub fn static_mask(k: &mut KernelBuilder, shape: [usize; 2], limit: i32) -> Value {
        let (rows, cols) = (k.iota(shape, 0), k.iota(shape, 1));
        let d = k.sub(cols, rows);
        let limit = k.full(shape, DType::I32, limit);
        k.le(d, limit)
    }
}

/// The key/value side of a tile loop: `[block_kv, head_dim]` refs stored in `layout` and
/// the kv segment-id block (`[1, block_kv]`).
pub(crate) struct KvRefs {
    pub k: RefId,
    pub v: RefId,
    pub segment_ids: Option<RefId>,
    pub head_dim: usize,
    pub layout: HeadLayout,
    pub dtype: DType,
}

/// One tile's key/value rows, stored as in [`KvRefs`] (padding rows zeroed in masked
/// tiles), and its mask.
pub(crate) struct Chunk {
    /// Which `block_kv_compute` slice of the kv block (for slicing accumulators).
    pub index: usize,
    /// First row of the tile within the query block (for slicing query-side refs).
    pub row: usize,
    /// First query row of the tile in the sequence, for zeroing padding rows.
    pub q0: Value,
    pub k: Value,
    pub v: Value,
    pub mask: Option<Value>,
}

impl Masking {
    /// Emits `step` for every `q_compute × kv_compute` tile of kv block `kv_block` against
    /// the query block starting at row `q0`, in the classes of [`Masking::tile`]. `q_ids`
    /// is the query block's `[q.block, 1]` segment-id column when segment ids apply.
    pub fn chunks(
        &self,
        k: &mut KernelBuilder,
        q0: Value,
        kv_block: Value,
        q_ids: Option<RefId>,
        kv: &KvRefs,
        mut step: impl FnMut(&mut KernelBuilder, Chunk),
    ) {
        let (bc, rows, d) = (self.kv_compute, self.q_compute, kv.head_dim);
        let bkv = k.i32(self.kv.block_i32());
        let block_start = k.mul(kv_block, bkv);
        for index in 0..self.kv.block / bc {
            let offset = k.i32(to_i32(index * bc));
            let k0 = k.add(block_start, offset);
            let kv_ids = kv
                .segment_ids
                .map(|ids| k.load(ids, [ds(0, 1), ds(index * bc, bc)]));
            for row in (0..self.q.block).step_by(rows) {
                let tile_q0 = if row == 0 {
                    q0
                } else {
                    Self::add_const(k, q0, to_i32(row))
                };
                let segments = q_ids
                    .zip(kv_ids)
                    .map(|(column, kv_row)| (k.load(column, [ds(row, rows), ds(0, 1)]), kv_row));
                let tile = Tile {
                    q0: tile_q0,
                    k0,
                    segments,
                };
                self.tile(k, &tile, |k, mask| {
                    let load = |k: &mut KernelBuilder, r: RefId| {
                        let x = k.load(r, kv.layout.rows(ds(index * bc, bc), d));
                        match mask {
                            Some(_) => Masking::zero_past(
                                k,
                                x,
                                (k0, kv.layout.seq_axis()),
                                self.kv,
                                kv.layout.block_shape(bc, d),
                                kv.dtype,
                            ),
                            None => x,
                        }
                    };
                    let (kc, vc) = (load(k, kv.k), load(k, kv.v));
                    step(
                        k,
                        Chunk {
                            index,
                            row,
                            q0: tile_q0,
                            k: kc,
                            v: vc,
                            mask,
                        },
                    );
                });
            }
        }
    }
}

/// `start + iota(shape, dim)` as `i32`.
fn offset_iota(k: &mut KernelBuilder, start: Value, shape: [usize; 2], dim: usize) -> Value {
    let iota = k.iota(shape, dim);
    let base = k.broadcast(start, shape);
    k.add(iota, base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands() {
        assert_eq!(
            Band::new(true, None),
            Band {
                lo: None,
                hi: Some(0)
            }
        );
        assert_eq!(
            Band::new(false, Some(3)),
            Band {
                lo: Some(-2),
                hi: Some(2)
            }
        );
        assert_eq!(
            Band::new(true, Some(3)).flip(),
            Band {
                lo: Some(0),
                hi: Some(2)
            }
        );
    }

    fn causal(block: usize, q_compute: usize, kv_compute: usize) -> Masking {
        let axis = SeqAxis {
            block,
            len: 4 * block,
        };
        Masking {
            band: Band::new(true, None),
            q: axis,
            kv: axis,
            q_compute,
            kv_compute,
            segment_ids: false,
        }
    }

    #[test]
    fn diagonal_tiles_grow_with_the_row() {
        let tile = |row, cols, limit| StaticTile {
            row,
            rows: 256,
            col: 0,
            cols,
            mask: Some(limit),
        };
        let tiles = causal(1024, 256, 1024).diagonal_tiles().expect("static");
        assert_eq!(
            tiles,
            [
                tile(0, 256, 0),
                tile(256, 512, 256),
                tile(512, 768, 512),
                tile(768, 1024, 768)
            ]
        );
        assert!(Masking {
            segment_ids: true,
            ..causal(1024, 512, 512)
        }
        .diagonal_tiles()
        .is_none());
        let keys = causal(1024, 1024, 512)
            .diagonal_key_tiles()
            .expect("static");
        assert_eq!(
            keys[1],
            StaticTile {
                row: 256,
                rows: 768,
                col: 256,
                cols: 256,
                mask: Some(0)
            }
        );
        let full = causal(1024, 512, 512).full_tiles();
        assert_eq!(full.len(), 4);
        assert_eq!(
            full[1],
            StaticTile {
                row: 0,
                rows: 512,
                col: 512,
                cols: 512,
                mask: None
            }
        );
    }
}
