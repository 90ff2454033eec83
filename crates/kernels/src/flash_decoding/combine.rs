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
//! glue appended to a program after the split kernel ([`glue_combine`]). Both read the
//! `S × B × H_q × q_len × D` partials once and hold nothing bigger.

use pallas_flash_codegen::{Program, Tensor, TensorType};
use pallas_flash_ir::{
    ds, BlockDim::*, DType, DimensionSemantics::*, GridSpec, Kernel, KernelBuilder, KernelInfo, ReduceOp,
};

use super::common::{finish, kernel_name};
use super::config::{FlashDecodingConfig, FlashDecodingError};
use super::online_softmax::{finite_or_zero, STAT_LANES};

/// What the combine returns besides the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CombineOutputs {
    /// `o: [B, H_kv, q_len·G, D]` in the output dtype.
    Output,
    /// `o` and `lse: f32[B, H_kv, q_len·G, 128]` (value repeated over lanes), what a
    /// further combine across chips needs.
    OutputAndLse,
}

/// The combine kernel: grid `(B, H_kv)`; inputs the three partials of
/// [`super::split_kernel`]; outputs per [`CombineOutputs`], `o` in `out_dtype`.
pub fn combine_kernel(
    cfg: &FlashDecodingConfig,
    out_dtype: DType,
    outputs: CombineOutputs,
) -> Result<(Kernel, KernelInfo), FlashDecodingError> {
    cfg.check()?;
    let (b, hkv, s, rows, d) = (cfg.batch, cfg.kv_heads, cfg.splits, cfg.rows(), cfg.head_dim);
    let grid = GridSpec::new([b, hkv]).semantics([Parallel, Parallel]);
    let mut k = KernelBuilder::new(kernel_name("flash_decoding_combine", cfg), grid);
    let part_spec = |k: &KernelBuilder, lanes: usize| {
        k.vmem_block([Squeezed, Squeezed, Blocked(s), Blocked(rows), Blocked(lanes)], |g| {
            [g.grid(0), g.grid(1), 0.into(), 0.into(), 0.into()]
        })
    };
    let (o_spec, stat_spec) = (part_spec(&k, d), part_spec(&k, STAT_LANES));
    let o_part = k.input("o_part", [b, hkv, s, rows, d], DType::F32, o_spec);
    let m_part = k.input("m_part", [b, hkv, s, rows, STAT_LANES], DType::F32, stat_spec.clone());
    let l_part = k.input("l_part", [b, hkv, s, rows, STAT_LANES], DType::F32, stat_spec);
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
    finish(k)
}

/// Appends the combine as StableHLO ops after a split kernel's results: `o_part`,
/// `m_part`, `l_part` as [`super::split_kernel`] returns them; the result is
/// `o: [B, H_kv, q_len·G, D]` in `out_dtype`.
///
/// Only elementwise ops, slices and reshapes (one slice per split), so the glue needs no
/// reduction regions.
pub fn glue_combine(
    program: &mut Program,
    cfg: &FlashDecodingConfig,
    partials: [&Tensor; 3],
    out_dtype: DType,
) -> Result<Tensor, FlashDecodingError> {
    cfg.check()?;
    let (b, hkv, rows, d) = (cfg.batch, cfg.kv_heads, cfg.rows(), cfg.head_dim);
    let [o_part, m_part, l_part] = partials;
    let mut g = Glue { program };
    let stat = TensorType::new([b, hkv, rows, 1], DType::F32);
    let wide = TensorType::new([b, hkv, rows, d], DType::F32);
    let split = |g: &mut Glue, part: &Tensor, s: usize, lanes: usize, ty: &TensorType| {
        let sliced = g.slice(part, [0, 0, s, 0, 0], [b, hkv, s + 1, rows, lanes]);
        g.program.op("stablehlo.reshape", &[&sliced], "", ty.clone())
    };
    let ms: Vec<Tensor> = (0..cfg.splits).map(|s| split(&mut g, m_part, s, 1, &stat)).collect();
    let m_max = (ms[1..].iter()).fold(ms[0].clone(), |acc, m| g.binary("stablehlo.maximum", &acc, m));
    let minus_inf = g.splat(&stat, "0xFF800000");
    let zero = g.splat(&stat, "0.000000e+00");
    let empty = g.compare(&m_max, &minus_inf);
    let shift = g.program.op("stablehlo.select", &[&empty, &zero, &m_max], "", stat.clone());
    // α_s · l_s and α_s · acc_s of split `s`.
    let terms = |g: &mut Glue, s: usize| {
        let centered = g.binary("stablehlo.subtract", &ms[s], &shift);
        let alpha = g.program.op("stablehlo.exponential", &[&centered], "", stat.clone());
        let l = split(g, l_part, s, 1, &stat);
        let weighted_l = g.binary("stablehlo.multiply", &alpha, &l);
        let o = split(g, o_part, s, d, &wide);
        let alpha_wide = g.broadcast(&alpha, &wide);
        (weighted_l, g.binary("stablehlo.multiply", &o, &alpha_wide))
    };
    let first = terms(&mut g, 0);
    let (total, acc) = (1..cfg.splits).fold(first, |(total, acc), s| {
        let (l, o) = terms(&mut g, s);
        (g.binary("stablehlo.add", &total, &l), g.binary("stablehlo.add", &acc, &o))
    });
    let one = g.splat(&stat, "1.000000e+00");
    let no_weight = g.compare(&total, &zero);
    let divisor = g.program.op("stablehlo.select", &[&no_weight, &one, &total], "", stat);
    let divisor = g.broadcast(&divisor, &wide);
    let out = g.binary("stablehlo.divide", &acc, &divisor);
    Ok(g.program.op("stablehlo.convert", &[&out], "", TensorType::new([b, hkv, rows, d], out_dtype)))
}

/// Small helpers over [`Program::op`] for the glue.
struct Glue<'p> {
    program: &'p mut Program,
}

impl Glue<'_> {
    fn binary(&mut self, name: &str, lhs: &Tensor, rhs: &Tensor) -> Tensor {
        self.program.op(name, &[lhs, rhs], "", lhs.ty.clone())
    }

    /// `[B, H, rows, 1]` to `[B, H, rows, n]`, repeating the last dim.
    fn broadcast(&mut self, x: &Tensor, ty: &TensorType) -> Tensor {
        let dims: Vec<String> = (0..ty.shape.len()).map(|d| d.to_string()).collect();
        let attributes = format!("broadcast_dimensions = array<i64: {}>", dims.join(", "));
        self.program.op("stablehlo.broadcast_in_dim", &[x], &attributes, ty.clone())
    }

    fn splat(&mut self, ty: &TensorType, literal: &str) -> Tensor {
        self.program.op("stablehlo.constant", &[], &format!("value = dense<{literal}> : {ty}"), ty.clone())
    }

    fn compare(&mut self, lhs: &Tensor, rhs: &Tensor) -> Tensor {
        let ty = TensorType::new(lhs.ty.shape.clone(), DType::I1);
        self.program.op("stablehlo.compare", &[lhs, rhs], "comparison_direction = #stablehlo<comparison_direction EQ>", ty)
    }

    fn slice<const R: usize>(&mut self, x: &Tensor, start: [usize; R], limit: [usize; R]) -> Tensor {
        let list = |v: &[usize]| v.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ");
        let shape: Vec<usize> = start.iter().zip(&limit).map(|(a, b)| b - a).collect();
        let attributes = format!(
            "start_indices = array<i64: {}>, limit_indices = array<i64: {}>, strides = array<i64: {}>",
            list(&start),
            list(&limit),
            list(&[1; R])
        );
        self.program.op("stablehlo.slice", &[x], &attributes, TensorType::new(shape, x.ty.dtype))
    }
}
