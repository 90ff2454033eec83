//! The log-sum-exp combine of [`super::combine`] as plain StableHLO glue, appended to a
//! program after the split kernel.

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
    let mut g = Glue { program };
    let stat = TensorType::new([b, hkv, rows, 1], DType::F32);
    let wide = TensorType::new([b, hkv, rows, d], DType::F32);
    let split = |g: &mut Glue, part: &Tensor, s: usize, lanes: usize, ty: &TensorType| {
        let sliced = g.slice(part, [0, 0, s, 0, 0], [b, hkv, s + 1, rows, lanes]);
        g.reshape(&sliced, ty.shape.clone())
    };
    let ms: Vec<Tensor> = (0..cfg.splits)
        .map(|s| split(&mut g, m_part, s, 1, &stat))
        .collect();
    let m_max = (ms[1..].iter()).fold(ms[0].clone(), |acc, m| {
        g.binary("stablehlo.maximum", &acc, m)
    });
    let shift = g.finite_or_zero(&m_max);
    // α_s · l_s and α_s · acc_s of split `s`.
    let terms = |g: &mut Glue, s: usize| {
        let centered = g.binary("stablehlo.subtract", &ms[s], &shift);
        let alpha = g.unary("stablehlo.exponential", &centered);
        let l = split(g, l_part, s, 1, &stat);
        let weighted_l = g.binary("stablehlo.multiply", &alpha, &l);
        let o = split(g, o_part, s, d, &wide);
        let alpha_wide = g.broadcast(&alpha, &wide);
        (weighted_l, g.binary("stablehlo.multiply", &o, &alpha_wide))
    };
    let first = terms(&mut g, 0);
    let (total, acc) = (1..cfg.splits).fold(first, |(total, acc), s| {
        let (l, o) = terms(&mut g, s);
        (
            g.binary("stablehlo.add", &total, &l),
            g.binary("stablehlo.add", &acc, &o),
        )
    });
    Ok(g.normalize(&acc, &total, out_dtype))
}

/// Small helpers over [`Program::op`] for the glue.
pub(super) struct Glue<'p> {
    pub program: &'p mut Program,
}

impl Glue<'_> {
    /// `x` where it is not `-inf`, else 0: the shift of a row that saw nothing.
    pub fn finite_or_zero(&mut self, x: &Tensor) -> Tensor {
        let minus_inf = self.splat(&x.ty, "0xFF800000");
        let zero = self.splat(&x.ty, "0.000000e+00");
        let empty = self.compare(x, &minus_inf);
        self.program
            .op("stablehlo.select", &[&empty, &zero, x], "", x.ty.clone())
    }

    /// `acc / total` (0 where `total` is 0) as `dtype`; `total` is `[.., 1]`, `acc` `[.., D]`.
    pub fn normalize(&mut self, acc: &Tensor, total: &Tensor, dtype: DType) -> Tensor {
        let zero = self.splat(&total.ty, "0.000000e+00");
        let one = self.splat(&total.ty, "1.000000e+00");
        let no_weight = self.compare(total, &zero);
        let divisor = self.program.op(
            "stablehlo.select",
            &[&no_weight, &one, total],
            "",
            total.ty.clone(),
        );
        let divisor = self.broadcast(&divisor, &acc.ty);
        let out = self.binary("stablehlo.divide", acc, &divisor);
        self.program.op(
            "stablehlo.convert",
            &[&out],
            "",
            TensorType::new(acc.ty.shape.clone(), dtype),
        )
    }

    pub fn unary(&mut self, name: &str, x: &Tensor) -> Tensor {
        self.program.op(name, &[x], "", x.ty.clone())
    }

    pub fn reshape(&mut self, x: &Tensor, shape: impl Into<Vec<usize>>) -> Tensor {
        self.program.op(
            "stablehlo.reshape",
            &[x],
            "",
            TensorType::new(shape, x.ty.dtype),
        )
    }

    pub fn binary(&mut self, name: &str, lhs: &Tensor, rhs: &Tensor) -> Tensor {
        self.program.op(name, &[lhs, rhs], "", lhs.ty.clone())
    }

    /// `[B, H, rows, 1]` to `[B, H, rows, n]`, repeating the last dim.
    pub fn broadcast(&mut self, x: &Tensor, ty: &TensorType) -> Tensor {
        let dims: Vec<String> = (0..ty.shape.len()).map(|d| d.to_string()).collect();
        let attributes = format!("broadcast_dimensions = array<i64: {}>", dims.join(", "));
        self.program
            .op("stablehlo.broadcast_in_dim", &[x], &attributes, ty.clone())
    }

    fn splat(&mut self, ty: &TensorType, literal: &str) -> Tensor {
        self.program.op(
            "stablehlo.constant",
            &[],
            &format!("value = dense<{literal}> : {ty}"),
            ty.clone(),
        )
    }

    fn compare(&mut self, lhs: &Tensor, rhs: &Tensor) -> Tensor {
        let ty = TensorType::new(lhs.ty.shape.clone(), DType::I1);
        self.program.op(
            "stablehlo.compare",
            &[lhs, rhs],
            "comparison_direction = #stablehlo<comparison_direction EQ>",
            ty,
        )
    }

    pub fn slice<const R: usize>(
        &mut self,
        x: &Tensor,
        start: [usize; R],
        limit: [usize; R],
    ) -> Tensor {
        let list = |v: &[usize]| {
            v.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let shape: Vec<usize> = start.iter().zip(&limit).map(|(a, b)| b - a).collect();
        let attributes = format!(
            "start_indices = array<i64: {}>, limit_indices = array<i64: {}>, strides = array<i64: {}>",
            list(&start),
            list(&limit),
            list(&[1; R])
        );
        self.program.op(
            "stablehlo.slice",
            &[x],
            &attributes,
            TensorType::new(shape, x.ty.dtype),
        )
    }
}
