//! The query-major schedule shared by the forward and dQ kernels.
//!
//! Grid `(batch, q_heads, q blocks, kv blocks)`, the last axis `arbitrary`: a `block_q`
//! query block stays resident (its block index does not change along the kv axis, so it
//! is fetched once) while K/V blocks stream by. The K/V index map clamps the kv step into
//! the blocks the mask lets this query block see, so causal / windowed steps outside it
//! repeat a block index and issue no DMA; the body skips their compute.

use pallas_flash_ir::{
    DType, DimensionSemantics::*, GridSpec, IndexExpr, KernelBuilder, RefId, Value,
};

use super::config::{BlockSizes, FlashAttentionConfig};
use super::layout::{head_block, scaled, segment_block, segment_column, seq_block, Shapes};
use super::mask::{clamped_block, to_i32, Chunk, KvRefs, Masking, SeqAxis};
use super::SCORE_BASE;

/// Grid, BlockSpecs and body scaffolding of a query-major kernel.
pub(crate) struct QMajor {
    pub cfg: FlashAttentionConfig,
    pub blocks: BlockSizes,
    pub masking: Masking,
    pub shapes: Shapes,
}

/// What the body reads every step: the scaled query block and the query segment-id column,
/// both computed once per query block into scratch.
pub(crate) struct Resident {
    pub q: RefId,
    pub k: RefId,
    pub v: RefId,
    pub q_scaled: RefId,
    segments: Option<Segments>,
}

struct Segments {
    kv: RefId,
    q_column: RefId,
}

impl QMajor {
    pub fn new(cfg: &FlashAttentionConfig, blocks: BlockSizes) -> QMajor {
        let masking = Masking {
            band: cfg.band(),
            q: SeqAxis {
                block: blocks.block_q,
                len: cfg.seq_q,
            },
            kv: SeqAxis {
                block: blocks.block_kv,
                len: cfg.seq_kv,
            },
            q_compute: blocks.block_q_compute,
            kv_compute: blocks.block_kv_compute,
            segment_ids: cfg.segment_ids,
        };
        QMajor {
            cfg: cfg.clone(),
            blocks,
            masking,
            shapes: Shapes::of(cfg),
        }
    }

    pub fn grid(&self) -> GridSpec {
        let (q, kv) = (self.masking.q.blocks(), self.masking.kv.blocks());
        GridSpec::new([self.cfg.batch, self.cfg.q_heads, q, kv])
            .semantics([Parallel, Parallel, Parallel, Arbitrary])
    }

    /// A window over a `[batch, q_heads, seq_q, width]` array following the query block.
    pub fn q_block(&self, k: &KernelBuilder, width: usize) -> pallas_flash_ir::BlockSpec {
        seq_block(k, self.blocks.block_q, width, |g| {
            [g.grid(0), g.grid(1), g.grid(2)]
        })
    }

    /// A window over a `[batch, q_heads, seq_q, head_dim]` array (`q`, `o`, `do`, `dq`, in
    /// the config's head layout) following the query block.
    pub fn q_head_block(&self, k: &KernelBuilder) -> pallas_flash_ir::BlockSpec {
        let (layout, d) = (self.cfg.head_layout, self.cfg.head_dim);
        head_block(k, layout, self.blocks.block_q, d, |g| {
            [g.grid(0), g.grid(1), g.grid(2)]
        })
    }

    /// The kv block index of this step: clamped into the visible range.
    fn kv_index(&self, g: &pallas_flash_ir::IndexArgs) -> IndexExpr {
        let m = &self.masking;
        clamped_block(m.band, m.q, m.kv, g.grid(2), g.grid(3))
    }

    /// Declares `q`, `k`, `v` and the resident scratch; segment ids come later, through
    /// [`QMajor::declare_segments`], so they stay the last inputs.
    pub fn declare_qkv(&self, k: &mut KernelBuilder) -> [RefId; 3] {
        let (d, group) = (self.cfg.head_dim, to_i32(self.cfg.group()));
        let kv_spec = head_block(k, self.cfg.head_layout, self.blocks.block_kv, d, |g| {
            [g.grid(0), g.grid(1) / group, self.kv_index(g)]
        });
        let q_spec = self.q_head_block(k);
        let q = k.input("q", self.shapes.q, self.cfg.dtype, q_spec);
        let kk = k.input("k", self.shapes.kv, self.cfg.dtype, kv_spec.clone());
        let v = k.input("v", self.shapes.kv, self.cfg.dtype, kv_spec);
        [q, kk, v]
    }

    /// Declares the segment-id inputs (if any) and the scratch; call after every input.
    pub fn resident(&self, k: &mut KernelBuilder, [q, kk, v]: [RefId; 3]) -> Resident {
        let segments = self.cfg.segment_ids.then(|| {
            let q_spec = segment_block(k, self.blocks.block_q, |g| [g.grid(0), g.grid(2)]);
            let kv_spec = segment_block(k, self.blocks.block_kv, |g| [g.grid(0), self.kv_index(g)]);
            let q_ids = k.input("q_segment_ids", self.shapes.q_segments, DType::I32, q_spec);
            let kv = k.input(
                "kv_segment_ids",
                self.shapes.kv_segments,
                DType::I32,
                kv_spec,
            );
            (q_ids, kv)
        });
        let bq = self.blocks.block_q;
        let q_scaled = k.scratch_vmem("q_scaled", [bq, self.cfg.head_dim], self.cfg.dtype);
        let segments = segments.map(|(q_ids, kv)| {
            let q_column = k.scratch_vmem("q_segment_column", [bq, 1], DType::I32);
            (q_ids, Segments { kv, q_column })
        });
        let resident = Resident {
            q,
            k: kk,
            v,
            q_scaled,
            segments: None,
        };
        self.prepare(k, resident, segments)
    }

    /// On the first kv step of a query block: the scaled query block (as `[block_q, d]`
    /// rows) and the query segment-id column, into scratch.
    fn prepare(
        &self,
        k: &mut KernelBuilder,
        mut resident: Resident,
        segments: Option<(RefId, Segments)>,
    ) -> Resident {
        let first = self.first_step(k);
        let (bq, d) = (self.blocks.block_q, self.cfg.head_dim);
        let scale = self.cfg.sm_scale * SCORE_BASE.per_nat();
        let (dtype, layout) = (self.cfg.dtype, self.cfg.head_layout);
        let q_scaled = resident.q_scaled;
        let q_ref = resident.q;
        let q_ids = segments.as_ref().map(|(ids, s)| (*ids, s.q_column));
        k.when(first, |k| {
            let q = k.read(q_ref);
            let q = layout.swap(k, q);
            let q = scaled(k, q, [bq, d], scale, dtype);
            k.write(q_scaled, q);
            if let Some((ids, column)) = q_ids {
                let row = k.read(ids);
                let col = segment_column(k, row, bq);
                k.write(column, col);
            }
        });
        resident.segments = segments.map(|(_, s)| s);
        resident
    }

    pub fn first_step(&self, k: &mut KernelBuilder) -> Value {
        let j = k.program_id(3);
        let zero = k.i32(0);
        k.eq(j, zero)
    }

    pub fn last_step(&self, k: &mut KernelBuilder) -> Value {
        let j = k.program_id(3);
        let last = k.i32(to_i32(self.masking.kv.blocks() - 1));
        k.eq(j, last)
    }

    /// Runs `full` when the step's blocks attend everywhere, `partial` when only in part
    /// (see [`super::mask::Masking::block_classes`]); skipped steps run neither.
    pub fn block_classes(
        &self,
        k: &mut KernelBuilder,
        full: impl FnOnce(&mut KernelBuilder),
        partial: impl FnOnce(&mut KernelBuilder),
    ) {
        let (i, j) = (k.program_id(2), k.program_id(3));
        let (bq, bkv) = (
            k.i32(to_i32(self.blocks.block_q)),
            k.i32(to_i32(self.blocks.block_kv)),
        );
        let (q0, k0) = (k.mul(i, bq), k.mul(j, bkv));
        self.masking.block_classes(k, q0, k0, full, partial);
    }

    /// Emits `step` for every tile of this step (see [`Masking::chunks`]); the caller reads
    /// the tile's rows ([`Chunk::row`], `block_q_compute` of them) of the scaled query block
    /// from [`Resident::q_scaled`].
    pub fn tiles(
        &self,
        k: &mut KernelBuilder,
        resident: &Resident,
        step: impl FnMut(&mut KernelBuilder, Chunk),
    ) {
        let (i, j) = (k.program_id(2), k.program_id(3));
        let bq = k.i32(to_i32(self.blocks.block_q));
        let q0 = k.mul(i, bq);
        let q_ids = resident.segments.as_ref().map(|s| s.q_column);
        let kv = KvRefs {
            k: resident.k,
            v: resident.v,
            segment_ids: resident.segments.as_ref().map(|s| s.kv),
            head_dim: self.cfg.head_dim,
            layout: self.cfg.head_layout,
            dtype: self.cfg.dtype,
        };
        self.masking.chunks(k, q0, j, q_ids, &kv, step);
    }
}
