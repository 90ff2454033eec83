//! The backward pass (FA2): a dQ kernel on the query-major schedule, which also emits
//! `delta = rowsum(dO ∘ O)`, then a dK/dV kernel on a key-major schedule that reads it.
//!
//! Per tile, with `P = exp(scale·q kᵀ − lse)` (computed as `exp2` in base-2 units, see
//! [`super::SCORE_BASE`]): `dV += Pᵀ dO`, `dP = dO Vᵀ`,
//! `dS = P ∘ (dP − delta)`, `dQ += scale · dS K`, `dK += scale · dSᵀ Q`. Both kernels
//! recompute `P` from the forward's `lse` instead of storing it.

use std::collections::HashMap;

use pallas_flash_ir::{
    ds, DType, DimensionSemantics::*, GridSpec, Kernel, KernelBuilder, RefId, Value,
};
use pallas_flash_tiling::Target;

use super::config::{BlockSizes, FlashAttentionConfig, LANES};
use super::error::FlashAttentionError;
use super::layout::{
    convert, finish, head_block, lanes_wide, scaled, segment_block, segment_column, seq_block,
    HeadLayout, Shapes,
};
use super::mask::{clamped_block, to_i32, Chunk, KvRefs, Masking, SeqAxis, StaticTile};
use super::q_major::{QMajor, Resident};
use super::SCORE_BASE;

/// The two backward kernels; run `dq` first, its `delta` output feeds `dkv`.
#[derive(Clone, Debug)]
pub struct BackwardKernels {
    /// Inputs `q, k, v, o, do, lse` (then segment ids); outputs `dq` and `delta`
    /// (`[B, H_q, N_q, 128]` f32, lane-replicated like `lse`).
    pub dq: Kernel,
    /// Inputs `q, k, v, do, lse, delta` (then segment ids); outputs `dk`, `dv`.
    pub dkv: Kernel,
}

/// Builds both backward kernels for the same configuration as [`super::forward`], for
/// `target`.
pub fn backward(
    cfg: &FlashAttentionConfig,
    target: &Target,
) -> Result<BackwardKernels, FlashAttentionError> {
    cfg.check()?;
    let blocks = cfg.checked_blocks(target)?;
    Ok(BackwardKernels {
        dq: dq_kernel(cfg, blocks, target)?,
        dkv: dkv_kernel(cfg, blocks, target)?,
    })
}

/// Query-side values of one tile, each `[rows, ·]`; `lse` in score units
/// ([`score_units`]).
#[derive(Clone, Copy)]
struct QSide {
    q: Value,
    d_out: Value,
    lse: Value,
    delta: Value,
}

/// A `[rows, 1]` natural-log `lse` column in the kernels' score units ([`SCORE_BASE`]), so
/// that `P = base^(s − lse)`; once per query side, not per tile.
fn score_units(k: &mut KernelBuilder, lse: Value, rows: usize) -> Value {
    let factor = k.full([rows, 1], DType::F32, SCORE_BASE.per_nat());
    k.mul(lse, factor)
}

/// `P` and `dS` of one `[block_q, block_kv_compute]` tile (masked entries 0: the select
/// also covers rows whose `lse` is `-inf`, where `exp` would give NaN); the chunk's keys
/// and values are stored in `layout`.
fn tile_grads(
    k: &mut KernelBuilder,
    side: &QSide,
    (chunk, layout): (&Chunk, HeadLayout),
    shape: [usize; 2],
) -> (Value, Value) {
    let products = tile_products(k, side, layout, chunk.k, chunk.v);
    grads_of(k, side, products, chunk.mask, shape)
}

/// The MXU half of a tile: `q · kᵀ` and `dO · vᵀ` (`kc`, `vc` stored in `layout`).
fn tile_products(
    k: &mut KernelBuilder,
    side: &QSide,
    layout: HeadLayout,
    kc: Value,
    vc: Value,
) -> (Value, Value) {
    (layout.dot_t(k, side.q, kc), layout.dot_t(k, side.d_out, vc))
}

/// The VPU/EUP half of a tile: `P` and `dS` from the products of [`tile_products`].
fn grads_of(
    k: &mut KernelBuilder,
    side: &QSide,
    (s, dp): (Value, Value),
    mask: Option<Value>,
    shape: [usize; 2],
) -> (Value, Value) {
    let lse = k.broadcast(side.lse, shape);
    let centered = k.sub(s, lse);
    let p = SCORE_BASE.exp(k, centered);
    let p = match mask {
        Some(mask) => {
            let zeros = k.full(shape, DType::F32, 0.0);
            k.select(mask, p, zeros)
        }
        None => p,
    };
    let delta = k.broadcast(side.delta, shape);
    let centered_dp = k.sub(dp, delta);
    let d_s = k.mul(p, centered_dp);
    (p, d_s)
}

fn dq_kernel(
    cfg: &FlashAttentionConfig,
    blocks: BlockSizes,
    target: &Target,
) -> Result<Kernel, FlashAttentionError> {
    let plan = QMajor::new(cfg, blocks);
    let (bq, d, dtype, layout) = (blocks.block_q, cfg.head_dim, cfg.dtype, cfg.head_layout);
    let mut k = KernelBuilder::new("flash_attention_bwd_dq", plan.grid());
    let qkv = plan.declare_qkv(&mut k);
    let (q_spec, row_spec) = (plan.q_head_block(&k), plan.q_block(&k, LANES));
    let o = k.input("o", plan.shapes.q, dtype, q_spec.clone());
    let d_out = k.input("do", plan.shapes.q, dtype, q_spec.clone());
    let lse = k.input("lse", plan.shapes.rows, DType::F32, row_spec.clone());
    let resident = plan.resident(&mut k, qkv);
    let dq = k.output("dq", plan.shapes.q, dtype, q_spec);
    let delta_out = k.output("delta", plan.shapes.rows, DType::F32, row_spec);
    let acc_s = k.scratch_vmem("dq_acc", [bq, d], DType::F32);
    let delta_s = k.scratch_vmem("delta_column", [bq, 1], DType::F32);
    // dO as `[block_q, d]` rows, resident like the scaled query block.
    let do_rows = rows_scratch(&mut k, layout, "do_rows", [bq, d], dtype);

    let first = plan.first_step(&mut k);
    k.when(first, |k| {
        let zeros = k.full([bq, d], DType::F32, 0.0);
        k.write(acc_s, zeros);
        let (o_blk, do_blk) = (k.read(o), k.read(d_out));
        let o32 = convert(k, o_blk, dtype, DType::F32);
        let do32 = convert(k, do_blk, dtype, DType::F32);
        let (o32, do32) = (layout.swap(k, o32), layout.swap(k, do32));
        if let Some(rows) = do_rows {
            let do_low = convert(k, do32, DType::F32, dtype);
            k.write(rows, do_low);
        }
        let prod = k.mul(o32, do32);
        let delta = k.sum(prod, 1);
        k.write(delta_s, delta);
        let wide = lanes_wide(k, delta, bq);
        k.write(delta_out, wide);
    });

    let refs = QRefs {
        q: resident.q_scaled,
        d_out: do_rows.unwrap_or(d_out),
        lse,
        delta: delta_s,
        d,
    };
    let dynamic = |k: &mut KernelBuilder| {
        plan.tiles(k, &resident, |k, chunk| {
            let rows = blocks.block_q_compute;
            let side = refs.side(k, chunk.row, rows);
            let shape = [rows, blocks.block_kv_compute];
            let (_, d_s) = tile_grads(k, &side, (&chunk, layout), shape);
            let ds_low = convert(k, d_s, DType::F32, dtype);
            let update = layout.dot(k, ds_low, chunk.k);
            let wide = [ds(chunk.row, rows), ds(0, d)];
            let acc = k.load(acc_s, wide);
            let acc = k.add(acc, update);
            k.store(acc_s, wide, acc);
        });
    };
    let full = |k: &mut KernelBuilder| {
        dq_pipelined(
            k,
            (&resident, layout),
            refs,
            acc_s,
            dtype,
            &plan.masking.full_tiles(),
        )
    };
    let partial = |k: &mut KernelBuilder| match plan.masking.diagonal_tiles() {
        Some(tiles) => dq_pipelined(k, (&resident, layout), refs, acc_s, dtype, &tiles),
        None => dynamic(k),
    };
    plan.block_classes(&mut k, full, partial);

    let last = plan.last_step(&mut k);
    k.when(last, |k| {
        let acc = k.read(acc_s);
        let out = scaled(k, acc, [bq, d], cfg.sm_scale, DType::F32);
        let out = layout.swap(k, out);
        let out = convert(k, out, DType::F32, dtype);
        k.write(dq, out);
    });
    finish(k, cfg, target)
}

/// A `[rows, d]` scratch holding a block as rows when `layout` stores it transposed
/// (`None` for [`HeadLayout::Bhnd`]: the block itself is read).
fn rows_scratch(
    k: &mut KernelBuilder,
    layout: HeadLayout,
    name: &str,
    shape: [usize; 2],
    dtype: DType,
) -> Option<RefId> {
    (layout == HeadLayout::Bhdn).then(|| k.scratch_vmem(name, shape, dtype))
}

/// The query-side refs of the backward kernels, each `[rows, d]` (`d` = head dim).
#[derive(Clone, Copy)]
struct QRefs {
    q: RefId,
    d_out: RefId,
    lse: RefId,
    delta: RefId,
    d: usize,
}

impl QRefs {
    /// Rows `row .. row + rows` of each.
    fn side(&self, k: &mut KernelBuilder, row: usize, rows: usize) -> QSide {
        let (narrow, wide) = ([ds(row, rows), ds(0, 1)], [ds(row, rows), ds(0, self.d)]);
        let lse = k.load(self.lse, narrow);
        QSide {
            q: k.load(self.q, wide),
            d_out: k.load(self.d_out, wide),
            lse: score_units(k, lse, rows),
            delta: k.load(self.delta, narrow),
        }
    }
}

/// dQ over `tiles` (row by row, classes known at build time) as straight-line code, as the
/// forward's pipelined path: a row's accumulator is carried as a value across its tiles,
/// and each tile's two products are emitted before the previous tile's element-wise work,
/// so MXU and VPU/EUP work of neighbouring tiles overlap.
fn dq_pipelined(
    k: &mut KernelBuilder,
    (resident, layout): (&Resident, HeadLayout),
    refs: QRefs,
    acc_s: RefId,
    dtype: DType,
    tiles: &[StaticTile],
) {
    let d = refs.d;
    let mut sides: HashMap<(usize, usize), QSide> = HashMap::new();
    let mut kv: HashMap<(usize, usize), (Value, Value)> = HashMap::new();
    let mut operands = |k: &mut KernelBuilder, t: &StaticTile| {
        let side = *sides
            .entry((t.row, t.rows))
            .or_insert_with(|| refs.side(k, t.row, t.rows));
        let (kc, vc) = *kv.entry((t.col, t.cols)).or_insert_with(|| {
            let view = layout.rows(ds(t.col, t.cols), d);
            (k.load(resident.k, view), k.load(resident.v, view))
        });
        (side, kc, vc)
    };
    let mut products = tiles.first().map(|t| {
        let (side, kc, vc) = operands(k, t);
        tile_products(k, &side, layout, kc, vc)
    });
    let mut carried: Option<Value> = None;
    for (n, tile) in tiles.iter().enumerate() {
        let (side, kc, _) = operands(k, tile);
        let current = products.take().expect("products of the current tile");
        let next = tiles.get(n + 1);
        products = next.map(|t| {
            let (side, kc, vc) = operands(k, t);
            tile_products(k, &side, layout, kc, vc)
        });
        let shape = [tile.rows, tile.cols];
        let mask = tile.mask.map(|limit| Masking::static_mask(k, shape, limit));
        let (_, d_s) = grads_of(k, &side, current, mask, shape);
        let ds_low = convert(k, d_s, DType::F32, dtype);
        let update = layout.dot(k, ds_low, kc);
        let wide = [ds(tile.row, tile.rows), ds(0, d)];
        let prev = match carried.take() {
            Some(acc) => acc,
            None => k.load(acc_s, wide),
        };
        let acc = k.add(prev, update);
        match next {
            Some(t) if t.row == tile.row => carried = Some(acc),
            _ => k.store(acc_s, wide, acc),
        }
    }
}

/// The key side of the dK/dV kernel: scaled keys and values (`[block_kv, d]`) and the
/// f32 accumulators.
#[derive(Clone, Copy)]
struct KvAccs {
    k: RefId,
    v: RefId,
    dk: RefId,
    dv: RefId,
}

/// dK/dV over `tiles` (key tiles, classes known at build time) as straight-line code: each
/// key tile owns its accumulator rows, so tiles are independent chains, and each tile's
/// products are emitted before the previous tile's element-wise work.
fn dkv_pipelined(
    k: &mut KernelBuilder,
    refs: QRefs,
    accs: KvAccs,
    dtype: DType,
    tiles: &[StaticTile],
) {
    let d = refs.d;
    let mut sides: HashMap<(usize, usize), QSide> = HashMap::new();
    let mut operands = |k: &mut KernelBuilder, t: &StaticTile| {
        let side = *sides
            .entry((t.row, t.rows))
            .or_insert_with(|| refs.side(k, t.row, t.rows));
        let view = [ds(t.col, t.cols), ds(0, d)];
        (side, k.load(accs.k, view), k.load(accs.v, view))
    };
    let rows = HeadLayout::Bhnd;
    let mut pending = tiles.first().map(|t| {
        let (side, kc, vc) = operands(k, t);
        (side, tile_products(k, &side, rows, kc, vc))
    });
    for (n, tile) in tiles.iter().enumerate() {
        let (side, current) = pending.take().expect("products of the current tile");
        pending = tiles.get(n + 1).map(|t| {
            let (side, kc, vc) = operands(k, t);
            (side, tile_products(k, &side, rows, kc, vc))
        });
        let shape = [tile.rows, tile.cols];
        let mask = tile.mask.map(|limit| Masking::static_mask(k, shape, limit));
        let (p, d_s) = grads_of(k, &side, current, mask, shape);
        let view = [ds(tile.col, tile.cols), ds(0, d)];
        for (acc, lhs, rhs) in [(accs.dv, p, side.d_out), (accs.dk, d_s, side.q)] {
            let lhs = convert(k, lhs, DType::F32, dtype);
            let update = k.dot_tn(lhs, rhs);
            let prev = k.load(acc, view);
            let next = k.add(prev, update);
            k.store(acc, view, next);
        }
    }
}

/// `[rows, 1]` column of a lane-replicated `[rows, 128]` statistic.
fn column(k: &mut KernelBuilder, r: RefId, rows: usize) -> Value {
    k.load(r, [ds(0, rows), ds(0, 1)])
}

/// Keys per tile of the dK/dV kernel (at most `block_kv_compute`): each key tile owns its
/// accumulator rows, so a step's key tiles are independent chains the scheduler overlaps.
/// At N = 8192 (1024 blocks) dK/dV measured 2,435,328 est. cycles with 256-key tiles,
/// 2,472,512 with 512, 2,497,152 with 1024 and 2,557,152 with 128.
const KEY_TILE: usize = 256;

/// Key-major schedule: grid `(batch, kv_heads, kv blocks, group × q blocks)`, the last
/// axis `arbitrary` and running over every query head of the group and every query block,
/// so dK/dV accumulate in f32 scratch over the whole GQA group without atomics. The
/// query-side index maps clamp the query block into the range the mask lets this kv block
/// see (no DMA for skipped blocks). The body works on `[rows, d]` blocks: with
/// [`HeadLayout::Bhdn`] K and V are transposed once per kv block, q and dO once per step
/// that computes, into scratch.
fn dkv_kernel(
    cfg: &FlashAttentionConfig,
    blocks: BlockSizes,
    target: &Target,
) -> Result<Kernel, FlashAttentionError> {
    let (bq, bkv, d, dtype) = (blocks.block_q, blocks.block_kv, cfg.head_dim, cfg.dtype);
    let layout = cfg.head_layout;
    let key_tile = match blocks.block_kv_compute.is_multiple_of(KEY_TILE) {
        true => KEY_TILE,
        false => blocks.block_kv_compute,
    };
    let masking = Masking {
        band: cfg.band(),
        q: SeqAxis {
            block: bq,
            len: cfg.seq_q,
        },
        kv: SeqAxis {
            block: bkv,
            len: cfg.seq_kv,
        },
        q_compute: bq,
        kv_compute: key_tile,
        segment_ids: cfg.segment_ids,
    };
    let (n_q, n_kv, group) = (masking.q.blocks(), masking.kv.blocks(), cfg.group());
    let steps = group * n_q;
    let grid = GridSpec::new([cfg.batch, cfg.kv_heads, n_kv, steps])
        .semantics([Parallel, Parallel, Parallel, Arbitrary]);
    let mut k = KernelBuilder::new("flash_attention_bwd_dkv", grid);
    let shapes = Shapes::of(cfg);
    let (n_q_i, group_i) = (to_i32(n_q), to_i32(group));
    let q_index = |g: &pallas_flash_ir::IndexArgs| {
        let block = g.grid(3) % n_q_i;
        clamped_block(masking.band.flip(), masking.kv, masking.q, g.grid(2), block)
    };
    let q_head = |g: &pallas_flash_ir::IndexArgs| g.grid(1) * group_i + g.grid(3) / n_q_i;
    let q_spec = head_block(&k, layout, bq, d, |g| [g.grid(0), q_head(g), q_index(g)]);
    let row_spec = seq_block(&k, bq, LANES, |g| [g.grid(0), q_head(g), q_index(g)]);
    let kv_spec = head_block(&k, layout, bkv, d, |g| [g.grid(0), g.grid(1), g.grid(2)]);
    let q = k.input("q", shapes.q, dtype, q_spec.clone());
    let k_in = k.input("k", shapes.kv, dtype, kv_spec.clone());
    let v = k.input("v", shapes.kv, dtype, kv_spec.clone());
    let d_out = k.input("do", shapes.q, dtype, q_spec);
    let lse = k.input("lse", shapes.rows, DType::F32, row_spec.clone());
    let delta = k.input("delta", shapes.rows, DType::F32, row_spec);
    let segments = cfg.segment_ids.then(|| {
        let q_seg = segment_block(&k, bq, |g| [g.grid(0), q_index(g)]);
        let kv_seg = segment_block(&k, bkv, |g| [g.grid(0), g.grid(2)]);
        let q_ids = k.input("q_segment_ids", shapes.q_segments, DType::I32, q_seg);
        let kv_ids = k.input("kv_segment_ids", shapes.kv_segments, DType::I32, kv_seg);
        (q_ids, kv_ids)
    });
    let dk = k.output("dk", shapes.kv, dtype, kv_spec.clone());
    let dv = k.output("dv", shapes.kv, dtype, kv_spec);
    let k_scaled = k.scratch_vmem("k_scaled", [bkv, d], dtype);
    let q_column = segments.map(|_| k.scratch_vmem("q_segment_column", [bq, 1], DType::I32));
    let dk_s = k.scratch_vmem("dk_acc", [bkv, d], DType::F32);
    let dv_s = k.scratch_vmem("dv_acc", [bkv, d], DType::F32);
    let v_rows = rows_scratch(&mut k, layout, "v_rows", [bkv, d], dtype);
    let q_rows = rows_scratch(&mut k, layout, "q_rows", [bq, d], dtype);
    let do_rows = rows_scratch(&mut k, layout, "do_rows", [bq, d], dtype);

    let t = k.program_id(3);
    let zero = k.i32(0);
    let first = k.eq(t, zero);
    k.when(first, |k| {
        let kb = k.read(k_in);
        let kb = layout.swap(k, kb);
        let kb = scaled(k, kb, [bkv, d], cfg.sm_scale * SCORE_BASE.per_nat(), dtype);
        k.write(k_scaled, kb);
        if let Some(rows) = v_rows {
            let vb = k.read(v);
            let vb = layout.swap(k, vb);
            k.write(rows, vb);
        }
        let zeros = k.full([bkv, d], DType::F32, 0.0);
        k.write(dk_s, zeros);
        k.write(dv_s, zeros);
    });

    let n_q_v = k.i32(n_q_i);
    let i = k.rem(t, n_q_v);
    let bq_v = k.i32(to_i32(bq));
    let q0 = k.mul(i, bq_v);
    let j = k.program_id(2);
    if let (Some((ids, _)), Some(column)) = (segments, q_column) {
        let row = k.read(ids);
        let col = segment_column(&mut k, row, bq);
        k.write(column, col);
    }
    let kv = KvRefs {
        k: k_scaled,
        v: v_rows.unwrap_or(v),
        segment_ids: segments.map(|(_, ids)| ids),
        head_dim: d,
        layout: HeadLayout::Bhnd,
        dtype,
    };
    let refs = QRefs {
        q: q_rows.unwrap_or(q),
        d_out: do_rows.unwrap_or(d_out),
        lse,
        delta,
        d,
    };
    // This step's q and dO blocks as rows (a step that computes nothing skips it).
    let stage = |k: &mut KernelBuilder| {
        for (rows, stored) in [(q_rows, q), (do_rows, d_out)] {
            if let Some(rows) = rows {
                let x = k.read(stored);
                let x = layout.swap(k, x);
                k.write(rows, x);
            }
        }
    };
    let dynamic = |k: &mut KernelBuilder| {
        masking.chunks(k, q0, j, q_column, &kv, |k, chunk| {
            let read = |k: &mut KernelBuilder, x: Value, width: usize, dt: DType| match chunk.mask {
                Some(_) => Masking::zero_rows_past(k, x, chunk.q0, masking.q, [bq, width], dt),
                None => x,
            };
            let (q_blk, do_blk) = (k.read(refs.q), k.read(refs.d_out));
            let (lse_col, delta_col) = (column(k, lse, bq), column(k, delta, bq));
            let lse_col = read(k, lse_col, 1, DType::F32);
            let side = QSide {
                q: read(k, q_blk, d, dtype),
                d_out: read(k, do_blk, d, dtype),
                lse: score_units(k, lse_col, bq),
                delta: read(k, delta_col, 1, DType::F32),
            };
            let shape = [bq, masking.kv_compute];
            let (p, d_s) = tile_grads(k, &side, (&chunk, HeadLayout::Bhnd), shape);
            let rows = [
                ds(chunk.index * masking.kv_compute, masking.kv_compute),
                ds(0, d),
            ];
            for (acc, lhs, rhs) in [(dv_s, p, side.d_out), (dk_s, d_s, side.q)] {
                let lhs = convert(k, lhs, DType::F32, dtype);
                let update = k.dot_tn(lhs, rhs);
                let prev = k.load(acc, rows);
                let next = k.add(prev, update);
                k.store(acc, rows, next);
            }
        });
    };
    let accs = KvAccs {
        k: k_scaled,
        v: v_rows.unwrap_or(v),
        dk: dk_s,
        dv: dv_s,
    };
    let full = |k: &mut KernelBuilder| {
        stage(k);
        dkv_pipelined(k, refs, accs, dtype, &masking.full_tiles())
    };
    let partial = |k: &mut KernelBuilder| {
        stage(k);
        match masking.diagonal_key_tiles() {
            Some(tiles) => dkv_pipelined(k, refs, accs, dtype, &tiles),
            None => dynamic(k),
        }
    };
    let k0 = {
        let bkv_v = k.i32(to_i32(bkv));
        k.mul(j, bkv_v)
    };
    masking.block_classes(&mut k, q0, k0, full, partial);

    let last_t = k.i32(to_i32(steps - 1));
    let last = k.eq(t, last_t);
    k.when(last, |k| {
        let dk_acc = k.read(dk_s);
        let dk_val = scaled(k, dk_acc, [bkv, d], cfg.sm_scale, DType::F32);
        let dk_val = layout.swap(k, dk_val);
        let dk_val = convert(k, dk_val, DType::F32, dtype);
        k.write(dk, dk_val);
        let dv_acc = k.read(dv_s);
        let dv_val = layout.swap(k, dv_acc);
        let dv_val = convert(k, dv_val, DType::F32, dtype);
        k.write(dv, dv_val);
    });
    finish(k, cfg, target)
}
