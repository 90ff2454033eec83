//! Reducing the split partials with a numerically stable log-sum-exp:
//!
//! ```text
//! M = max_s m_s            (0 when every split is empty)
//! α_s = exp(m_s - M)
//! L = Σ_s α_s · l_s
//! o = Σ_s α_s · acc_s / L  (0 when L = 0)      lse = M + log L
//! ```
//!
//! Two forms of the same formula: a small kernel ([`combine_kernel`]) and plain StableHLO
//! glue appended to a program after the split kernel (`glue_combine`, feature `program`). Both read the
//! `S × B × H_q × q_len × D` partials once and hold nothing bigger.

use pallas_flash_ir::{
    ds, BlockDim::*, DType, DimensionSemantics::*, GridSpec, Kernel, KernelBuilder, KernelInfo,
    ReduceOp,
};

use pallas_flash_tiling::Target;

use super::common::{finish, kernel_name};
use super::config::{FlashDecodingConfig, FlashDecodingError};
use super::online_softmax::{finite_or_zero, STAT_LANES};

/// What the combine returns besides the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CombineOutputs {
    /// `o: [B, H_kv, R, D]` in the output dtype.
    Output,
    /// `o` and `lse: f32[B, H_kv, R, 128]` (value repeated over lanes), what a
    /// further combine across chips needs.
    OutputAndLse,
}

/// The combine kernel: grid `(B, H_kv)`; inputs the three partials of
/// [`super::split_kernel`]; outputs per [`CombineOutputs`], `o` in `out_dtype`.
pub fn combine_kernel(
    cfg: &FlashDecodingConfig,
    out_dtype: DType,
    outputs: CombineOutputs,
    target: &Target,
) -> Result<(Kernel, KernelInfo), FlashDecodingError> {
    cfg.check()?;
    let (b, hkv, s, rows, d) = (
        cfg.batch,
        cfg.kv_heads,
        cfg.splits,
        cfg.tile_rows(),
        cfg.head_dim,
    );
    let grid = GridSpec::new([b, hkv]).semantics([Parallel, Parallel]);
    let mut k = KernelBuilder::new(kernel_name("flash_decoding_combine", cfg), grid);
    let part_spec = |k: &KernelBuilder, lanes: usize| {
        k.vmem_block(
            [
                Squeezed,
                Squeezed,
                Blocked(s),
                Blocked(rows),
                Blocked(lanes),
            ],
            |g| [g.grid(0), g.grid(1), 0.into(), 0.into(), 0.into()],
        )
    };
    let (o_spec, stat_spec) = (part_spec(&k, d), part_spec(&k, STAT_LANES));
    let o_part = k.input("o_part", [b, hkv, s, rows, d], DType::F32, o_spec);
    let m_part = k.input(
        "m_part",
        [b, hkv, s, rows, STAT_LANES],
        DType::F32,
        stat_spec.clone(),
    );
    let l_part = k.input(
        "l_part",
        [b, hkv, s, rows, STAT_LANES],
        DType::F32,
        stat_spec,
    );
    let out_spec = |k: &KernelBuilder, lanes: usize| {
        k.vmem_block([Squeezed, Squeezed, Blocked(rows), Blocked(lanes)], |g| {
            [g.grid(0), g.grid(1), 0.into(), 0.into()]
        })
    };
    let o_spec = out_spec(&k, d);
    let o = k.output("o", [b, hkv, rows, d], out_dtype, o_spec);
    let lse = (outputs == CombineOutputs::OutputAndLse).then(|| {
        let spec = out_spec(&k, STAT_LANES);
        k.output("lse", [b, hkv, rows, STAT_LANES], DType::F32, spec)
    });

    // Lane 0 of the statistics: [S, rows, 1].
    let lane0 = [ds(0, s), ds(0, rows), ds(0, 1)];
    let (m, l) = (k.load(m_part, lane0), k.load(l_part, lane0));
    let m_max = k.reduce(ReduceOp::Max, m, [0], false);
    let shift = finite_or_zero(&mut k, m_max, [rows, 1]);
    let shift_wide = k.broadcast(shift, [s, rows, 1]);
    let centered = k.sub(m, shift_wide);
    let alpha = k.exp(centered);
    let weighted_l = k.mul(alpha, l);
    let total = k.reduce(ReduceOp::Sum, weighted_l, [0], false);
    let acc = k.read(o_part);
    let alpha_wide = k.broadcast(alpha, [s, rows, d]);
    let weighted = k.mul(acc, alpha_wide);
    let acc = k.reduce(ReduceOp::Sum, weighted, [0], false);
    let zero = k.full([rows, 1], DType::F32, 0.0);
    let one = k.full([rows, 1], DType::F32, 1.0);
    let empty = k.eq(total, zero);
    let divisor = k.select(empty, one, total);
    let divisor = k.broadcast(divisor, [rows, d]);
    let out = k.div(acc, divisor);
    let out = k.cast(out, out_dtype);
    k.write(o, out);
    if let Some(lse) = lse {
        let log_total = k.log(total);
        let value = k.add(shift, log_total);
        let wide = k.broadcast(value, [rows, STAT_LANES]);
        k.write(lse, wide);
    }
    finish(k, target)
}
