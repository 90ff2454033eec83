//! The forward kernel: online softmax over streamed K/V blocks with f32 statistics.

use std::collections::HashMap;

use pallas_flash_ir::{ds, DType, Kernel, KernelBuilder, RefId, Value};
use pallas_flash_tiling::Target;

use super::config::{FlashAttentionConfig, LANES};
use super::error::FlashAttentionError;
use super::layout::{convert, finish, lanes_wide, HeadLayout};
use super::mask::{Masking, StaticTile};
use super::q_major::{QMajor, Resident};
use super::SCORE_BASE;
use crate::online_softmax::{self, MAX_FLOOR};

/// Builds the forward kernel for `target` (its VMEM budget is checked there).
///
/// Inputs: `q` `[B, H_q, N_q, D]`, `k`, `v` `[B, H_kv, N_kv, D]` (the config's dtype, each
/// stored in its [`super::HeadLayout`]), then `q_segment_ids` `[B, 1, N_q]` and
/// `kv_segment_ids` `[B, 1, N_kv]` (`i32`) when `segment_ids` is set. Outputs: `o`
/// `[B, H_q, N_q, D]` (dtype, head layout) and `lse`
/// `[B, H_q, N_q, 128]` f32, the natural-log logsumexp of each row's scaled, masked scores
/// replicated over the 128 lanes (`-inf` for a row that sees no key; its output is 0).
pub fn forward(cfg: &FlashAttentionConfig, target: &Target) -> Result<Kernel, FlashAttentionError> {
    cfg.check()?;
    let plan = QMajor::new(cfg, cfg.checked_blocks(target)?);
    let (bq, d, dtype, layout) = (
        plan.blocks.block_q,
        cfg.head_dim,
        cfg.dtype,
        cfg.head_layout,
    );
    let mut k = KernelBuilder::new("flash_attention_fwd", plan.grid());
    let qkv = plan.declare_qkv(&mut k);
    let resident = plan.resident(&mut k, qkv);
    let o_spec = plan.q_head_block(&k);
    let lse_spec = plan.q_block(&k, LANES);
    let o = k.output("o", plan.shapes.q, dtype, o_spec);
    let lse = k.output("lse", plan.shapes.rows, DType::F32, lse_spec);
    let m_s = k.scratch_vmem("m", [bq, 1], DType::F32);
    let l_s = k.scratch_vmem("l", [bq, 1], DType::F32);
    let acc_s = k.scratch_vmem("acc", [bq, d], DType::F32);

    let first = plan.first_step(&mut k);
    k.when(first, |k| {
        let m0 = k.full([bq, 1], DType::F32, MAX_FLOOR);
        let l0 = k.full([bq, 1], DType::F32, 0.0);
        let acc0 = k.full([bq, d], DType::F32, 0.0);
        for (scratch, value) in [(m_s, m0), (l_s, l0), (acc_s, acc0)] {
            k.write(scratch, value);
        }
    });

    let stats = Stats {
        m: m_s,
        l: l_s,
        acc: acc_s,
    };
    let dynamic = |k: &mut KernelBuilder| {
        plan.tiles(k, &resident, |k, t| {
            let (rows, cols) = (plan.blocks.block_q_compute, plan.blocks.block_kv_compute);
            let q = k.load(resident.q_scaled, [ds(t.row, rows), ds(0, d)]);
            let s = layout.dot_t(k, q, t.k);
            let s = t.mask.map_or(s, |mask| masked(k, mask, s, [rows, cols]));
            let prev = stats.load(k, t.row, rows, d);
            let pv = |k: &mut KernelBuilder, p| layout.dot(k, p, t.v);
            let next = online_softmax::step(k, SCORE_BASE, s, [rows, cols, d], prev, pv, dtype);
            stats.store(k, t.row, rows, d, next);
        });
    };
    let full =
        |k: &mut KernelBuilder| pipelined(k, &plan, &resident, stats, &plan.masking.full_tiles());
    let partial = |k: &mut KernelBuilder| match plan.masking.diagonal_tiles() {
        Some(tiles) => pipelined(k, &plan, &resident, stats, &tiles),
        None => dynamic(k),
    };
    plan.block_classes(&mut k, full, partial);

    let last = plan.last_step(&mut k);
    k.when(last, |k| {
        let (m, l, acc) = (k.read(m_s), k.read(l_s), k.read(acc_s));
        // A row that saw no key has l = 0: divide by 1 instead, giving a zero output.
        let zero = k.full([bq, 1], DType::F32, 0.0);
        let one = k.full([bq, 1], DType::F32, 1.0);
        let empty = k.eq(l, zero);
        let l_safe = k.select(empty, one, l);
        let inv = k.div(one, l_safe);
        let inv_wide = k.broadcast(inv, [bq, d]);
        let out = k.mul(acc, inv_wide);
        let out = layout.swap(k, out);
        let out = convert(k, out, DType::F32, dtype);
        k.write(o, out);
        // m is in base-2 units: lse = m · ln 2 + ln l.
        let to_nat = k.full([bq, 1], DType::F32, 1.0 / SCORE_BASE.per_nat());
        let m_nat = k.mul(m, to_nat);
        let log_l = k.log(l);
        let row_lse = k.add(m_nat, log_l);
        let wide = lanes_wide(k, row_lse, bq);
        k.write(lse, wide);
    });
    finish(k, cfg, target)
}

/// The running statistics in scratch: max `m` and sum `l` (`[block_q, 1]`), accumulator
/// `acc` (`[block_q, head_dim]`), all f32.
#[derive(Clone, Copy)]
struct Stats {
    m: RefId,
    l: RefId,
    acc: RefId,
}

impl Stats {
    fn load(&self, k: &mut KernelBuilder, row: usize, rows: usize, d: usize) -> [Value; 3] {
        let m = k.load(self.m, [ds(row, rows), ds(0, 1)]);
        let l = k.load(self.l, [ds(row, rows), ds(0, 1)]);
        let acc = k.load(self.acc, [ds(row, rows), ds(0, d)]);
        [m, l, acc]
    }

    fn store(
        &self,
        k: &mut KernelBuilder,
        row: usize,
        rows: usize,
        d: usize,
        [m, l, acc]: [Value; 3],
    ) {
        k.store(self.m, [ds(row, rows), ds(0, 1)], m);
        k.store(self.l, [ds(row, rows), ds(0, 1)], l);
        k.store(self.acc, [ds(row, rows), ds(0, d)], acc);
    }
}

/// `s` with the entries outside `mask` set to `-inf`.
fn masked(k: &mut KernelBuilder, mask: Value, s: Value, shape: [usize; 2]) -> Value {
    let minus_inf = k.full(shape, DType::F32, f64::NEG_INFINITY);
    k.select(mask, s, minus_inf)
}

/// Emits `tiles` (row by row, classes known at build time) as straight-line code: a row's
/// statistics are loaded before its first tile and stored after its last, carried as
/// values in between, and each tile's `q · kᵀ` is emitted before the previous tile's
/// softmax, so the MXU work of one overlaps the VPU/EUP work of the other.
fn pipelined(
    k: &mut KernelBuilder,
    plan: &QMajor,
    resident: &Resident,
    stats: Stats,
    tiles: &[StaticTile],
) {
    let (d, layout) = (plan.cfg.head_dim, plan.cfg.head_layout);
    let mut operands = TileOperands {
        resident,
        d,
        layout,
        q: HashMap::new(),
        kv: HashMap::new(),
    };
    let mut scores = tiles.first().map(|t| operands.scores(k, t));
    let mut carried: Option<[Value; 3]> = None;
    for (n, tile) in tiles.iter().enumerate() {
        let next = tiles.get(n + 1);
        let s = scores.take().expect("scores of the current tile");
        scores = next.map(|t| operands.scores(k, t));
        let prev = match carried.take() {
            Some(values) => values,
            None => stats.load(k, tile.row, tile.rows, d),
        };
        let (_, v) = operands.kv(k, tile);
        let pv = |k: &mut KernelBuilder, p| layout.dot(k, p, v);
        let shape = [tile.rows, tile.cols, d];
        let state = online_softmax::step(k, SCORE_BASE, s, shape, prev, pv, plan.cfg.dtype);
        match next {
            Some(t) if t.row == tile.row => carried = Some(state),
            _ => stats.store(k, tile.row, tile.rows, d, state),
        }
    }
}

/// Query rows and K/V rows (stored in `layout`) of a step, each range loaded once, at its
/// first use.
struct TileOperands<'a> {
    resident: &'a Resident,
    d: usize,
    layout: HeadLayout,
    q: HashMap<(usize, usize), Value>,
    kv: HashMap<(usize, usize), (Value, Value)>,
}

impl TileOperands<'_> {
    fn kv(&mut self, k: &mut KernelBuilder, tile: &StaticTile) -> (Value, Value) {
        let (d, r, layout) = (self.d, self.resident, self.layout);
        *self.kv.entry((tile.col, tile.cols)).or_insert_with(|| {
            let view = layout.rows(ds(tile.col, tile.cols), d);
            (k.load(r.k, view), k.load(r.v, view))
        })
    }

    /// The (masked) scores of one tile.
    fn scores(&mut self, k: &mut KernelBuilder, tile: &StaticTile) -> Value {
        let (d, r) = (self.d, self.resident);
        let q = *self
            .q
            .entry((tile.row, tile.rows))
            .or_insert_with(|| k.load(r.q_scaled, [ds(tile.row, tile.rows), ds(0, d)]));
        let (kc, _) = self.kv(k, tile);
        let s = self.layout.dot_t(k, q, kc);
        match tile.mask {
            Some(limit) => {
                let shape = [tile.rows, tile.cols];
                let mask = Masking::static_mask(k, shape, limit);
                masked(k, mask, s, shape)
            }
            None => s,
        }
    }
}
