//! BlockSpec alignment rules: which VMEM block shapes libtpu accepts.
//!
//! What libtpu 0.0.52 accepts, measured by compiling a copy kernel for every block
//! shape in `tests/data/shapes.jsonl` (v5e) and `tests/data/targets.jsonl` (v4, v5p,
//! v6e, 7x), with JAX's own Python-side pre-check bypassed:
//!
//! - **rank ≥ 2**: the minor block dim is a multiple of 128 (lanes) or the whole array
//!   extent; the second-minor dim is a multiple of 8 (sublanes) or the whole extent.
//!   The same (8, 128) rule holds for f32, bf16 **and** int8 on every target: a bf16
//!   (8, 128) block and int8 (8, 128), (16, 128), (24, 128) blocks compile even though
//!   their native register tiles are (16, 128) and (32, 128). Anything else fails with
//!   `E2002: CompileTimeMosaicMisalignedBlockAndTiling`.
//! - **rank 1**: a multiple of 128 × packing elements (128 f32, 256 bf16, 512 int8) or
//!   the whole array. JAX's own pre-check differs (multiple of 1024 or a power of two
//!   ≥ 128 × packing); an f32 block of 384 or 640 compiles although JAX rejects it.
//! - Dims before the last two are free; a `Squeezed` dim counts as extent 1.
//!
//! Only VMEM windows follow these rules: SMEM windows hold scalars and `Any` operands
//! have no window. Dot operands should also fill the MXU ([`mxu_advice`]); that is a
//! performance rule, so it yields advice rather than an error.

use std::fmt;

use pallas_flash_ir::{BlockDim, DType, Expr, Kernel, KernelInfo, MemorySpace, Operand};
use thiserror::Error;

use crate::Target;

/// Which alignment rule a block dim broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// The minor dim of a rank ≥ 2 block: a multiple of `lanes` or the whole extent.
    Lanes { multiple: usize },
    /// The second-minor dim of a rank ≥ 2 block: a multiple of `sublanes` or the whole extent.
    Sublanes { multiple: usize },
    /// A rank-1 block: a multiple of 128 × packing or the whole extent.
    Rank1 { multiple: usize },
}

impl Rule {
    /// The multiple a legal block size has (unless it is the whole extent).
    pub fn multiple(self) -> usize {
        match self {
            Rule::Lanes { multiple } | Rule::Sublanes { multiple } | Rule::Rank1 { multiple } => {
                multiple
            }
        }
    }

    /// Whether `block` satisfies the rule for an array dim of `extent`.
    pub fn allows(self, block: usize, extent: usize) -> bool {
        block == extent || (block > 0 && block.is_multiple_of(self.multiple()))
    }

    /// The legal sizes nearest to `block` within `1..=extent`: the largest below and
    /// the smallest above (multiples of the rule, and the whole extent).
    pub fn nearest(self, block: usize, extent: usize) -> NearestLegal {
        let m = self.multiple();
        let below = (block.saturating_sub(1) / m) * m;
        let below = (below > 0).then_some(below);
        let above = (block / m + 1) * m;
        let above = if above < extent {
            Some(above)
        } else {
            (block < extent).then_some(extent)
        };
        NearestLegal { below, above }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Lanes { multiple } => {
                write!(
                    f,
                    "the minor block dim must be a multiple of {multiple} (lanes)"
                )
            }
            Rule::Sublanes { multiple } => write!(
                f,
                "the second-minor block dim must be a multiple of {multiple} (sublanes)"
            ),
            Rule::Rank1 { multiple } => write!(
                f,
                "a rank-1 block must be a multiple of {multiple} (128 lanes × packing)"
            ),
        }
    }
}

/// The legal block sizes closest to a rejected one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NearestLegal {
    pub below: Option<usize>,
    pub above: Option<usize>,
}

impl fmt::Display for NearestLegal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.below, self.above) {
            (Some(b), Some(a)) => write!(f, "{b} or {a}"),
            (Some(x), None) | (None, Some(x)) => write!(f, "{x}"),
            (None, None) => f.write_str("none"),
        }
    }
}

/// A VMEM block dim that libtpu would reject.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error(
    "{operand} ({dtype}{shape:?}) block dim {dim} is {value}: {rule} or the whole extent {extent}; nearest legal: {nearest}"
)]
pub struct AlignmentError {
    /// `input `q``, `output `o``.
    pub operand: String,
    pub dtype: DType,
    pub shape: Vec<usize>,
    pub dim: usize,
    pub value: usize,
    pub extent: usize,
    pub rule: Rule,
    pub nearest: NearestLegal,
}

/// The rule each of the last two dims (or the only dim) of a block must follow, as
/// `(array dim, rule)` pairs.
pub fn rules_for(target: &Target, rank: usize, dtype: DType) -> Vec<(usize, Rule)> {
    let lanes = target.lanes as usize;
    match rank {
        0 => Vec::new(),
        1 => vec![(
            0,
            Rule::Rank1 {
                multiple: lanes * dtype.packing() as usize,
            },
        )],
        _ => vec![
            (
                rank - 2,
                Rule::Sublanes {
                    multiple: target.sublanes as usize,
                },
            ),
            (rank - 1, Rule::Lanes { multiple: lanes }),
        ],
    }
}

/// Checks one VMEM block shape against the array it windows.
///
/// `operand` names it in the error (`input `x``). `block` and `shape` have the same rank.
pub fn check_block(
    target: &Target,
    operand: &str,
    shape: &[usize],
    dtype: DType,
    block: &[BlockDim],
) -> Result<(), Box<AlignmentError>> {
    for (dim, rule) in rules_for(target, shape.len(), dtype) {
        let (value, extent) = (block[dim].extent(), shape[dim]);
        if !rule.allows(value, extent) {
            return Err(Box::new(AlignmentError {
                operand: operand.to_string(),
                dtype,
                shape: shape.to_vec(),
                dim,
                value,
                extent,
                rule,
                nearest: rule.nearest(value, extent),
            }));
        }
    }
    Ok(())
}

/// `input `x`` / `output `o``: how errors and reports name an operand.
pub(crate) fn operand_label(side: &str, operand: &Operand) -> String {
    format!("{side} `{}`", operand.name)
}

/// Every input and output of the kernel, labelled.
pub(crate) fn labelled_operands(kernel: &Kernel) -> impl Iterator<Item = (String, &Operand)> {
    let inputs = kernel.inputs.iter().map(|o| (operand_label("input", o), o));
    inputs.chain(
        kernel
            .outputs
            .iter()
            .map(|o| (operand_label("output", o), o)),
    )
}

/// Checks every VMEM window of a validated kernel; returns every violation.
pub fn check_kernel(target: &Target, kernel: &Kernel) -> Vec<AlignmentError> {
    labelled_operands(kernel)
        .filter(|(_, o)| o.spec.memory_space == MemorySpace::Vmem)
        .filter_map(|(label, o)| {
            let window = o.spec.window.as_ref()?;
            check_block(target, &label, &o.shape, o.dtype, &window.block_shape)
                .err()
                .map(|e| *e)
        })
        .collect()
}

/// A dot whose dims do not fill the target's MXU: it compiles, but wastes MXU passes.
#[derive(Clone, Debug, PartialEq)]
pub struct MxuAdvice {
    /// The dot's SSA value, as the printer shows it (`%7`).
    pub value: String,
    /// `m`, `k` or `n`.
    pub dim: &'static str,
    pub size: usize,
    /// The MXU edge (128 on v4/v5e/v5p, 256 on v6e/7x).
    pub edge: usize,
    /// Fraction of MXU work that is padding: `1 - size / round_up(size, edge)`.
    pub waste: f64,
}

impl fmt::Display for MxuAdvice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let padded = self.size.div_ceil(self.edge) * self.edge;
        write!(
            f,
            "dot {} has {} = {}, not a multiple of the {}-wide MXU: {:.0}% of its MXU work is padding (use {padded})",
            self.value,
            self.dim,
            self.size,
            self.edge,
            self.waste * 100.0
        )
    }
}

/// MXU alignment of every dot in the body: each of `m`, `k`, `n` should be a multiple of
/// the MXU edge (128 on v5e; 256 preferred on v6e and 7x, whose 256-wide MXUs run a
/// 128-wide dim at half rate). Quiet about an `m` below the edge: a few rows (a decode
/// step's queries, a retrieval's query batch) are small by design, and padding them
/// only adds work.
pub fn mxu_advice(target: &Target, kernel: &Kernel, info: &KernelInfo) -> Vec<MxuAdvice> {
    let edge = target.mxu_edge();
    let mut advice = Vec::new();
    for (value, expr) in kernel.exprs.iter() {
        let Expr::Dot { lhs, rhs, dims, .. } = expr else {
            continue;
        };
        let (Some(l), Some(r)) = (info.value_type(*lhs), info.value_type(*rhs)) else {
            continue;
        };
        let k = l.shape[dims.lhs_contracting];
        let free = |shape: &[usize], contracting: usize| {
            (dims.batch..shape.len())
                .filter(|d| *d != contracting)
                .map(|d| shape[d])
                .product()
        };
        let m: usize = free(&l.shape, dims.lhs_contracting);
        let n: usize = free(&r.shape, dims.rhs_contracting);
        for (dim, size) in [("m", m), ("k", k), ("n", n)] {
            let small_by_design = dim == "m" && size < edge;
            if size % edge != 0 && !small_by_design {
                let padded = size.div_ceil(edge) * edge;
                advice.push(MxuAdvice {
                    value: value.to_string(),
                    dim,
                    size,
                    edge,
                    waste: 1.0 - size as f64 / padded as f64,
                });
            }
        }
    }
    advice
}
