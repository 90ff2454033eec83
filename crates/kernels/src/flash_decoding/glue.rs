//! The log-sum-exp combine of [`super::combine`] as plain StableHLO glue, appended to a
//! program after the split kernel.

use pallas_flash_codegen::stablehlo::Body;
use pallas_flash_codegen::{Program, Tensor, TensorType};
use pallas_flash_ir::DType;

use super::config::{FlashDecodingConfig, FlashDecodingError};

/// Appends the combine as StableHLO ops after a split kernel's results: `o_part`,
/// `m_part`, `l_part` as [`super::split_kernel`] returns them; the result is
/// `o: [B, H_kv, R, D]` in `out_dtype`.
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
    let (b, hkv, rows, d) = (cfg.batch, cfg.kv_heads, cfg.tile_rows(), cfg.head_dim);
    let [o_part, m_part, l_part] = partials;
    let g = program.body();
    let split = |g: &mut Body, part: &Tensor, s: usize, lanes: usize| {
        let sliced = g.slice(
            part,
            &[0, 0, s, 0, 0],
            &[b, hkv, s + 1, rows, lanes],
            &[1; 5],
        );
        g.reshape(&sliced, &[b, hkv, rows, lanes])
    };
    let ms: Vec<Tensor> = (0..cfg.splits).map(|s| split(g, m_part, s, 1)).collect();
    // Partial maxima start at `MAX_FLOOR` (crate::online_softmax): the largest is finite.
    let shift = (ms[1..].iter()).fold(ms[0].clone(), |acc, m| binary(g, "maximum", &acc, m));
    // α_s · l_s and α_s · acc_s of split `s`.
    let terms = |g: &mut Body, s: usize| {
        let centered = binary(g, "subtract", &ms[s], &shift);
        let alpha = g.elementwise("exponential", &[centered], DType::F32);
        let l = split(g, l_part, s, 1);
        let weighted_l = binary(g, "multiply", &alpha, &l);
        let o = split(g, o_part, s, d);
        let alpha_wide = widen(g, &alpha, &o.ty);
        (weighted_l, binary(g, "multiply", &o, &alpha_wide))
    };
    let first = terms(g, 0);
    let (total, acc) = (1..cfg.splits).fold(first, |(total, acc), s| {
        let (l, o) = terms(g, s);
        (binary(g, "add", &total, &l), binary(g, "add", &acc, &o))
    });
    Ok(normalize(g, &acc, &total, out_dtype))
}

/// `x` where it is not `-inf`, else 0: the shift of a row that saw nothing (a logsumexp
/// of such a row is `-inf`).
pub(super) fn finite_or_zero(g: &mut Body, x: &Tensor) -> Tensor {
    let minus_inf = g.constant(x.ty.clone(), "0xFF800000");
    let zero = g.constant(x.ty.clone(), "0.000000e+00");
    let empty = g.compare("EQ", x, &minus_inf);
    g.select(&empty, &zero, x)
}

/// `acc / total` (0 where `total` is 0) as `dtype`; `total` is `[.., 1]`, `acc` `[.., D]`.
pub(super) fn normalize(g: &mut Body, acc: &Tensor, total: &Tensor, dtype: DType) -> Tensor {
    let zero = g.constant(total.ty.clone(), "0.000000e+00");
    let one = g.constant(total.ty.clone(), "1.000000e+00");
    let no_weight = g.compare("EQ", total, &zero);
    let divisor = g.select(&no_weight, &one, total);
    let divisor = widen(g, &divisor, &acc.ty);
    let out = binary(g, "divide", acc, &divisor);
    g.convert(&out, dtype)
}

/// `stablehlo.<op>` of two values of one type.
pub(super) fn binary(g: &mut Body, op: &str, lhs: &Tensor, rhs: &Tensor) -> Tensor {
    g.elementwise(op, &[lhs.clone(), rhs.clone()], lhs.ty.dtype)
}

/// `[B, H, rows, 1]` to `[B, H, rows, n]`, repeating the last dim.
pub(super) fn widen(g: &mut Body, x: &Tensor, ty: &TensorType) -> Tensor {
    let dims: Vec<usize> = (0..ty.rank()).collect();
    g.broadcast_in_dim(x, &dims, &ty.shape)
}
