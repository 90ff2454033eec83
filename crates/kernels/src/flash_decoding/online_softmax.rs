//! The per-block work shared by the contiguous and the paged kernel: one step of the
//! online softmax over a block of KV positions ([`crate::online_softmax::step`], the
//! same step as FlashAttention's), with its running (max, sum, accumulator) in VMEM
//! scratch.

use pallas_flash_ir::{DType, KernelBuilder, RefId, Value};

use crate::online_softmax::{self, Base, MAX_FLOOR};

use super::config::FlashDecodingConfig;

/// Scratch refs and static sizes of the running softmax of one query tile.
#[derive(Clone, Copy, Debug)]
pub(super) struct OnlineSoftmax {
    /// Running max per query row, `[rows, 1]` f32, from [`MAX_FLOOR`].
    pub m: RefId,
    /// Running sum of `exp(s - m)` per row, `[rows, 1]` f32.
    pub l: RefId,
    /// Unnormalized output, `[rows, head_dim]` f32.
    pub acc: RefId,
    /// Rows of the padded query tile ([`FlashDecodingConfig::tile_rows`]).
    rows: usize,
    /// Query heads per KV head: rows `t · group ..` belong to token `t`.
    group: usize,
    block_kv: usize,
    head_dim: usize,
    q_len: usize,
    scale: f64,
}

/// Where a masked block starts and how long the row is (both `i32` scalars).
#[derive(Clone, Copy, Debug)]
pub(super) struct BlockBounds {
    pub start: Value,
    pub len: Value,
}

impl OnlineSoftmax {
    /// Declares the three scratch buffers.
    pub fn declare(k: &mut KernelBuilder, cfg: &FlashDecodingConfig, block_kv: usize) -> Self {
        let rows = cfg.tile_rows();
        OnlineSoftmax {
            m: k.scratch_vmem("m_scratch", [rows, 1], DType::F32),
            l: k.scratch_vmem("l_scratch", [rows, 1], DType::F32),
            acc: k.scratch_vmem("acc_scratch", [rows, cfg.head_dim], DType::F32),
            rows,
            group: cfg.group(),
            block_kv,
            head_dim: cfg.head_dim,
            q_len: cfg.q_len,
            scale: cfg.scale,
        }
    }

    /// `m = MAX_FLOOR, l = 0, acc = 0`.
    pub fn init(&self, k: &mut KernelBuilder) {
        let floor = k.full([self.rows, 1], DType::F32, MAX_FLOOR);
        let zero = k.full([self.rows, 1], DType::F32, 0.0);
        let acc = k.full([self.rows, self.head_dim], DType::F32, 0.0);
        k.write(self.m, floor);
        k.write(self.l, zero);
        k.write(self.acc, acc);
    }

    /// Both step variants behind one condition: blocks every query row sees whole skip
    /// the masking work; the block holding a row's end masks positions past it (the
    /// cache there may hold anything, NaN included).
    pub fn step_in_bounds(
        &self,
        k: &mut KernelBuilder,
        bounds: BlockBounds,
        load: impl Fn(&mut KernelBuilder) -> (Value, Value, Value),
    ) {
        // The first query row sees positions < len - (q_len - 1).
        let end = k.i32(i32_of(self.block_kv));
        let end = k.add(bounds.start, end);
        let lag = k.i32(i32_of(self.q_len - 1));
        let first_row_len = k.sub(bounds.len, lag);
        let whole = k.le(end, first_row_len);
        k.when(whole, |k| {
            let (q, kb, vb) = load(k);
            self.step(k, q, kb, vb, None);
        });
        let partial = k.not(whole);
        k.when(partial, |k| {
            let (q, kb, vb) = load(k);
            self.step(k, q, kb, vb, Some(bounds));
        });
    }

    /// One block: `q` is `[rows, D]` bf16, `kb` and `vb` are `[block_kv, D]` bf16.
    fn step(
        &self,
        k: &mut KernelBuilder,
        q: Value,
        kb: Value,
        vb: Value,
        mask: Option<BlockBounds>,
    ) {
        let (rows, bkv, d) = (self.rows, self.block_kv, self.head_dim);
        let s = k.dot_nt(q, kb);
        let scale = k.full([rows, bkv], DType::F32, self.scale);
        let mut s = k.mul(s, scale);
        let mut vb = vb;
        if let Some(bounds) = mask {
            s = self.mask_scores(k, s, bounds);
            // p is 0 past the row's end, but 0 · NaN is NaN: clear those V rows too.
            let vpos = k.iota([bkv, d], 0);
            let start = k.broadcast(bounds.start, [bkv, d]);
            let vpos = k.add(vpos, start);
            let len = k.broadcast(bounds.len, [bkv, d]);
            let valid = k.lt(vpos, len);
            let zero = k.full([bkv, d], DType::Bf16, 0.0);
            vb = k.select(valid, vb, zero);
        }
        let prev = [k.read(self.m), k.read(self.l), k.read(self.acc)];
        let [m_new, l_new, acc_new] = online_softmax::step(
            k,
            Base::E,
            s,
            [rows, bkv, d],
            prev,
            |k, p| k.dot(p, vb),
            DType::Bf16,
        );
        k.write(self.m, m_new);
        k.write(self.l, l_new);
        k.write(self.acc, acc_new);
    }

    /// Scores of positions a row may not see become `-inf`. Rows are token-major
    /// (`row = t · group + g`); token `t` sees positions `< len - q_len + 1 + t`. Padding
    /// rows past `q_len · group` count as the last token: finite, and dropped by the caller.
    fn mask_scores(&self, k: &mut KernelBuilder, s: Value, bounds: BlockBounds) -> Value {
        let (rows, bkv) = (self.rows, self.block_kv);
        let lag = k.i32(i32_of(self.q_len - 1));
        let first_row_len = k.sub(bounds.len, lag);
        let mut limit = k.broadcast(first_row_len, [rows, 1]);
        if self.q_len > 1 {
            // t(row) = #{t' in 1..q_len : row >= t' · group}, a step function of the row.
            let row = k.iota([rows, 1], 0);
            let group = self.group;
            for t in 1..self.q_len {
                let first = k.full([rows, 1], DType::I32, i32_of(t * group));
                let past = k.ge(row, first);
                let one = k.full([rows, 1], DType::I32, 1);
                let zero = k.full([rows, 1], DType::I32, 0);
                let step = k.select(past, one, zero);
                limit = k.add(limit, step);
            }
        }
        let limit = k.broadcast(limit, [rows, bkv]);
        let pos = k.iota([rows, bkv], 1);
        let start = k.broadcast(bounds.start, [rows, bkv]);
        let pos = k.add(pos, start);
        let visible = k.lt(pos, limit);
        let minus_inf = k.full([rows, bkv], DType::F32, f64::NEG_INFINITY);
        k.select(visible, s, minus_inf)
    }

    /// Writes the partial: `acc` (times `v_scale` for an int8 cache), and `m`, `l`
    /// broadcast over 128 lanes.
    pub fn finalize(
        &self,
        k: &mut KernelBuilder,
        o: RefId,
        m: RefId,
        l: RefId,
        v_scale: Option<RefId>,
    ) {
        let (rows, d) = (self.rows, self.head_dim);
        let mut acc = k.read(self.acc);
        if let Some(v_scale) = v_scale {
            let scale = k.read(v_scale);
            let scale = k.broadcast(scale, [rows, d]);
            acc = k.mul(acc, scale);
        }
        k.write(o, acc);
        for (scratch, out) in [(self.m, m), (self.l, l)] {
            let value = k.read(scratch);
            let wide = k.broadcast(value, [rows, STAT_LANES]);
            k.write(out, wide);
        }
    }
}

/// Lanes of the `m` and `l` partials: a full vreg row, so their HBM layout is plain.
pub const STAT_LANES: usize = 128;

/// Sizes here were checked against `i32` by [`FlashDecodingConfig::check`].
pub(super) fn i32_of(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}
