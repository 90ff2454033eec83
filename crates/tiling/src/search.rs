//! Block-size search: enumerate block sizes for a kernel family, keep those that pass
//! the alignment rules and fit the VMEM budget, rank them with the roofline.
//!
//! Each family plans, per candidate, the same windows, scratch and intermediates its
//! DSL kernel declares, so the budget and the rules judge the search exactly as they
//! judge a written kernel. Block sizes come from a ladder: powers of two from 64 up
//! to 8192 that divide the dim, plus the whole dim when it is not one of them.

use pallas_flash_ir::{BlockDim, DType};
use thiserror::Error;

use crate::budget::{BudgetError, Buffer, Role, VmemBudget};
use crate::roofline::{Roofline, Work};
use crate::rules::{check_block, AlignmentError};
use crate::Target;

/// Attention problem sizes (FlashAttention-2 forward or backward).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Attention {
    pub batch: usize,
    pub heads: usize,
    pub seq_q: usize,
    pub seq_kv: usize,
    pub head_dim: usize,
    pub dtype: DType,
    pub causal: bool,
}

/// A kernel family and its problem size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Family {
    /// `o[m, n] = x[m, k] @ y[k, n]`, f32 (i32 for i8) accumulator scratch. Blocks `bm`, `bk`, `bn`.
    Matmul {
        m: usize,
        k: usize,
        n: usize,
        dtype: DType,
        out_dtype: DType,
    },
    /// FlashAttention-2 forward: grid (batch, heads, q blocks, kv blocks). Blocks `block_q`, `block_kv`.
    FlashFwd(Attention),
    /// FlashAttention-2 backward: a dK/dV kernel (grid over kv blocks, then q blocks)
    /// and a dQ kernel with the same blocks. Blocks `block_q`, `block_kv`.
    FlashBwd(Attention),
    /// One query token per sequence, `heads / kv_heads` query rows per kv head,
    /// split over KV blocks. Block `block_kv`.
    Decode {
        batch: usize,
        heads: usize,
        kv_heads: usize,
        seq_kv: usize,
        head_dim: usize,
        dtype: DType,
    },
}

/// Named block sizes of one candidate, in the family's order.
pub type Blocks = Vec<(&'static str, usize)>;

/// A candidate that passed every rule, with its budget and estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub blocks: Blocks,
    /// The windows these blocks give, as the rules checked them.
    pub windows: Vec<PlannedWindow>,
    pub budget: VmemBudget,
    pub roofline: Roofline,
}

/// Why a candidate was dropped.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum Rejection {
    #[error(transparent)]
    Alignment(#[from] Box<AlignmentError>),
    #[error(transparent)]
    Budget(#[from] BudgetError),
}

/// A dropped candidate and the rule it broke.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejected {
    pub blocks: Blocks,
    pub reason: Rejection,
}

/// The outcome: the best `top_k` candidates, fastest first, and every rejected one.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchResult {
    pub ranked: Vec<Candidate>,
    pub rejected: Vec<Rejected>,
}

/// Why nothing could be suggested.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SearchError {
    #[error("no block size fits {family} on {target} within {limit} bytes of VMEM ({rejected} candidates rejected); raise vmem_limit_bytes (physical VMEM is {physical} bytes) or shrink the problem")]
    NothingFits {
        family: String,
        target: &'static str,
        limit: u64,
        physical: u64,
        rejected: usize,
    },
    #[error("{family} has a zero-sized dimension; every problem dim must be at least 1")]
    EmptyProblem { family: String },
}

/// One window of a planned kernel: the BlockSpec the family's kernel declares.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedWindow {
    pub label: &'static str,
    pub role: Role,
    /// The whole array.
    pub shape: Vec<usize>,
    pub dtype: DType,
    pub block: Vec<BlockDim>,
}

/// What a family declares for one choice of blocks.
pub(crate) struct Plan {
    grid: Vec<usize>,
    windows: Vec<PlannedWindow>,
    /// Scratch and intermediates: (name, role, shape, dtype).
    locals: Vec<(&'static str, Role, Vec<usize>, DType)>,
    work: Work,
    matmul_dtype: DType,
}

fn window(
    label: &'static str,
    role: Role,
    shape: &[usize],
    dtype: DType,
    block: &[BlockDim],
) -> PlannedWindow {
    PlannedWindow {
        label,
        role,
        shape: shape.to_vec(),
        dtype,
        block: block.to_vec(),
    }
}

/// `round_up(x, edge)` as f64: MXU passes run whole tiles.
fn mxu(x: usize, edge: usize) -> f64 {
    (x.div_ceil(edge) * edge) as f64
}

/// Block sizes tried for a dim of `extent`.
pub fn ladder(extent: usize) -> Vec<usize> {
    let mut sizes: Vec<usize> = (6..=13)
        .map(|p| 1usize << p)
        .filter(|&b| b <= extent && extent.is_multiple_of(b))
        .collect();
    if !sizes.contains(&extent) && extent <= 1 << 13 {
        sizes.push(extent);
    }
    sizes
}

impl Family {
    fn name(&self) -> String {
        format!("{self:?}")
    }

    fn dims(&self) -> Vec<usize> {
        match *self {
            Family::Matmul { m, k, n, .. } => vec![m, k, n],
            Family::FlashFwd(a) | Family::FlashBwd(a) => {
                vec![a.batch, a.heads, a.seq_q, a.seq_kv, a.head_dim]
            }
            Family::Decode {
                batch,
                heads,
                kv_heads,
                seq_kv,
                head_dim,
                ..
            } => {
                vec![batch, heads, kv_heads, seq_kv, head_dim]
            }
        }
    }

    /// Block names and the sizes tried for each.
    pub fn ladders(&self) -> Vec<(&'static str, Vec<usize>)> {
        match *self {
            Family::Matmul { m, k, n, .. } => {
                vec![("bm", ladder(m)), ("bk", ladder(k)), ("bn", ladder(n))]
            }
            Family::FlashFwd(a) | Family::FlashBwd(a) => {
                vec![("block_q", ladder(a.seq_q)), ("block_kv", ladder(a.seq_kv))]
            }
            Family::Decode { seq_kv, .. } => vec![("block_kv", ladder(seq_kv))],
        }
    }

    /// The windows, locals and work of one candidate (`blocks` in [`Family::ladders`] order).
    pub(crate) fn plan(&self, target: &Target, blocks: &[usize]) -> Plan {
        use BlockDim::{Blocked, Squeezed};
        let edge = target.mxu_edge();
        match *self {
            Family::Matmul {
                m,
                k,
                n,
                dtype,
                out_dtype,
            } => {
                let (bm, bk, bn) = (blocks[0], blocks[1], blocks[2]);
                let acc = if dtype == DType::I8 {
                    DType::I32
                } else {
                    DType::F32
                };
                let (gm, gk, gn) = (m / bm, k / bk, n / bn);
                let s = f64::from(dtype.byte_size());
                let steps = (gm * gk * gn) as f64;
                Plan {
                    grid: vec![gm, gn, gk],
                    windows: vec![
                        window(
                            "input `x`",
                            Role::Input,
                            &[m, k],
                            dtype,
                            &[Blocked(bm), Blocked(bk)],
                        ),
                        window(
                            "input `y`",
                            Role::Input,
                            &[k, n],
                            dtype,
                            &[Blocked(bk), Blocked(bn)],
                        ),
                        window(
                            "output `o`",
                            Role::Output,
                            &[m, n],
                            out_dtype,
                            &[Blocked(bm), Blocked(bn)],
                        ),
                    ],
                    locals: vec![("scratch `acc`", Role::Scratch, vec![bm, bn], acc)],
                    work: Work {
                        mxu_flops: 2.0 * mxu(bm, edge) * mxu(bk, edge) * mxu(bn, edge) * steps,
                        // x is re-read for every column block, y for every row block.
                        hbm_bytes: s * (m * k * gn + k * n * gm) as f64
                            + f64::from(out_dtype.byte_size()) * (m * n) as f64,
                        vpu_elements: (bm * bn) as f64 * steps,
                        transcendentals: 0.0,
                        steps,
                    },
                    matmul_dtype: dtype,
                }
            }
            Family::FlashFwd(a) | Family::FlashBwd(a) => {
                let (bq, bkv) = (blocks[0], blocks[1]);
                let backward = matches!(self, Family::FlashBwd(_));
                let (b, h, n, nkv, d) = (a.batch, a.heads, a.seq_q, a.seq_kv, a.head_dim);
                let (gq, gkv) = (n / bq, nkv / bkv);
                let heads = (b * h) as f64;
                let pairs = block_pairs(a, bq, bkv) * heads;
                let s = f64::from(a.dtype.byte_size());
                let q_block = [Squeezed, Squeezed, Blocked(bq), Blocked(d)];
                let kv_block = [Squeezed, Squeezed, Blocked(bkv), Blocked(d)];
                let row_block = [Squeezed, Squeezed, Blocked(bq), Blocked(1)];
                let (q_shape, kv_shape, row_shape) = ([b, h, n, d], [b, h, nkv, d], [b, h, n, 1]);
                let tile_flops = 2.0 * mxu(bq, edge) * mxu(bkv, edge) * mxu(d, edge);
                let score = (bq * bkv) as f64;
                let mut windows = vec![
                    window("input `q`", Role::Input, &q_shape, a.dtype, &q_block),
                    window("input `k`", Role::Input, &kv_shape, a.dtype, &kv_block),
                    window("input `v`", Role::Input, &kv_shape, a.dtype, &kv_block),
                ];
                let (locals, work) = if backward {
                    windows.extend([
                        window("input `do`", Role::Input, &q_shape, a.dtype, &q_block),
                        window(
                            "input `lse`",
                            Role::Input,
                            &row_shape,
                            DType::F32,
                            &row_block,
                        ),
                        window(
                            "input `delta`",
                            Role::Input,
                            &row_shape,
                            DType::F32,
                            &row_block,
                        ),
                        window("output `dk`", Role::Output, &kv_shape, a.dtype, &kv_block),
                        window("output `dv`", Role::Output, &kv_shape, a.dtype, &kv_block),
                    ]);
                    let locals = vec![
                        ("scratch `dk_acc`", Role::Scratch, vec![bkv, d], DType::F32),
                        ("scratch `dv_acc`", Role::Scratch, vec![bkv, d], DType::F32),
                        ("value `p`", Role::Intermediate, vec![bq, bkv], DType::F32),
                        ("value `dp`", Role::Intermediate, vec![bq, bkv], DType::F32),
                    ];
                    // dK/dV kernel: q, do, lse, delta re-read per kv block; k, v read and
                    // dk, dv written once. dQ kernel: k, v re-read per q block, q, do,
                    // lse, delta read and dq written once. 5 matmuls per tile in total
                    // (QKᵀ twice, dP, dV, dK, dQ share: 2.5× the forward's 2).
                    let q_side = (b * h * n) as f64 * (2.0 * d as f64 * s + 8.0);
                    let kv_side = (b * h * nkv * d) as f64 * s * 2.0;
                    let work = Work {
                        mxu_flops: 5.0 * tile_flops * pairs,
                        hbm_bytes: q_side * (pairs / (heads * gq as f64) + 1.0)
                            + kv_side * (pairs / (heads * gkv as f64) + 2.0)
                            + (b * h * n * d) as f64 * s,
                        vpu_elements: 10.0 * score * pairs,
                        transcendentals: 2.0 * score * pairs,
                        steps: 2.0 * (b * h * gq * gkv) as f64,
                    };
                    (locals, work)
                } else {
                    windows.push(window(
                        "output `o`",
                        Role::Output,
                        &q_shape,
                        a.dtype,
                        &q_block,
                    ));
                    let locals = vec![
                        ("scratch `m`", Role::Scratch, vec![bq, 1], DType::F32),
                        ("scratch `l`", Role::Scratch, vec![bq, 1], DType::F32),
                        ("scratch `acc`", Role::Scratch, vec![bq, d], DType::F32),
                        ("value `s`", Role::Intermediate, vec![bq, bkv], DType::F32),
                    ];
                    // q read and o written once; k and v re-read for every q block.
                    let work = Work {
                        mxu_flops: 2.0 * tile_flops * pairs,
                        hbm_bytes: 2.0 * (b * h * n * d) as f64 * s
                            + 2.0 * (bkv * d) as f64 * s * pairs,
                        vpu_elements: 6.0 * score * pairs,
                        transcendentals: score * pairs,
                        steps: (b * h * gq * gkv) as f64,
                    };
                    (locals, work)
                };
                let grid = if backward {
                    vec![b, h, gkv, gq]
                } else {
                    vec![b, h, gq, gkv]
                };
                Plan {
                    grid,
                    windows,
                    locals,
                    work,
                    matmul_dtype: a.dtype,
                }
            }
            Family::Decode {
                batch,
                heads,
                kv_heads,
                seq_kv,
                head_dim,
                dtype,
            } => {
                let bkv = blocks[0];
                let group = heads / kv_heads.max(1);
                let (q_shape, kv_shape) = (
                    [batch, kv_heads, group, head_dim],
                    [batch, kv_heads, seq_kv, head_dim],
                );
                let q_block = [Squeezed, Squeezed, Blocked(group), Blocked(head_dim)];
                let kv_block = [Squeezed, Squeezed, Blocked(bkv), Blocked(head_dim)];
                let steps = (batch * kv_heads * (seq_kv / bkv)) as f64;
                let s = f64::from(dtype.byte_size());
                let score = (group * bkv) as f64 * steps;
                Plan {
                    grid: vec![batch, kv_heads, seq_kv / bkv],
                    windows: vec![
                        window("input `q`", Role::Input, &q_shape, dtype, &q_block),
                        window("input `k`", Role::Input, &kv_shape, dtype, &kv_block),
                        window("input `v`", Role::Input, &kv_shape, dtype, &kv_block),
                        window("output `o`", Role::Output, &q_shape, dtype, &q_block),
                    ],
                    locals: vec![
                        ("scratch `m`", Role::Scratch, vec![group, 1], DType::F32),
                        ("scratch `l`", Role::Scratch, vec![group, 1], DType::F32),
                        (
                            "scratch `acc`",
                            Role::Scratch,
                            vec![group, head_dim],
                            DType::F32,
                        ),
                        (
                            "value `s`",
                            Role::Intermediate,
                            vec![group, bkv],
                            DType::F32,
                        ),
                    ],
                    work: Work {
                        mxu_flops: 4.0
                            * mxu(group, edge)
                            * mxu(bkv, edge)
                            * mxu(head_dim, edge)
                            * steps,
                        hbm_bytes: 2.0 * (batch * kv_heads * seq_kv * head_dim) as f64 * s
                            + 2.0 * (batch * heads * head_dim) as f64 * s,
                        vpu_elements: 6.0 * score,
                        transcendentals: score,
                        steps,
                    },
                    matmul_dtype: dtype,
                }
            }
        }
    }
}

/// (q block, kv block) tile pairs one head computes: all of them, or for causal
/// attention those whose kv block starts at or before the q block's last row.
fn block_pairs(a: Attention, bq: usize, bkv: usize) -> f64 {
    let (gq, gkv) = (a.seq_q / bq, a.seq_kv / bkv);
    if !a.causal {
        return (gq * gkv) as f64;
    }
    (0..gq)
        .map(|i| ((i + 1) * bq).div_ceil(bkv).min(gkv))
        .sum::<usize>() as f64
}

/// Judges one candidate: the alignment rules, then the budget.
pub fn evaluate(
    target: &Target,
    family: &Family,
    blocks: &[usize],
    vmem_limit_bytes: Option<u64>,
) -> Result<Candidate, Rejection> {
    let plan = family.plan(target, blocks);
    let steps: u64 = plan.grid.iter().map(|&g| g as u64).product();
    let copies = if steps > 1 { 2 } else { 1 };
    let mut buffers = Vec::new();
    for w in &plan.windows {
        check_block(target, w.label, &w.shape, w.dtype, &w.block)?;
        let bounds: Vec<usize> = w.block.iter().map(|d| d.extent()).collect();
        buffers.push(Buffer::new(
            target, w.label, w.role, w.dtype, &bounds, copies,
        ));
    }
    for (name, role, shape, dtype) in &plan.locals {
        let buffer = Buffer::new(target, *name, *role, *dtype, shape, 1);
        // Like the kernel model: an intermediate that fits the vregs takes no VMEM.
        if *role != Role::Intermediate || buffer.bytes_each > target.vreg_file_bytes() {
            buffers.push(buffer);
        }
    }
    let budget = VmemBudget::from_buffers(
        &family.name(),
        target,
        &plan.grid,
        buffers,
        vmem_limit_bytes,
    );
    budget.check()?;
    let roofline = Roofline::of(target, &plan.work, target.matmul_peak(plan.matmul_dtype));
    let names = family.ladders().into_iter().map(|(name, _)| name);
    Ok(Candidate {
        blocks: names.zip(blocks.iter().copied()).collect(),
        windows: plan.windows,
        budget,
        roofline,
    })
}

/// Enumerates every candidate of `family`, returns the `top_k` fastest by the roofline
/// (ties: less VMEM first) and every rejection with its reason.
pub fn search(
    target: &Target,
    family: &Family,
    vmem_limit_bytes: Option<u64>,
    top_k: usize,
) -> Result<SearchResult, SearchError> {
    if family.dims().contains(&0) {
        return Err(SearchError::EmptyProblem {
            family: family.name(),
        });
    }
    let ladders = family.ladders();
    let mut combos: Vec<Vec<usize>> = vec![Vec::new()];
    for (_, sizes) in &ladders {
        combos = combos
            .into_iter()
            .flat_map(|prefix| {
                sizes
                    .iter()
                    .map(move |&s| [prefix.clone(), vec![s]].concat())
            })
            .collect();
    }
    let mut ranked = Vec::new();
    let mut rejected = Vec::new();
    for blocks in combos {
        match evaluate(target, family, &blocks, vmem_limit_bytes) {
            Ok(candidate) => ranked.push(candidate),
            Err(reason) => {
                let names = ladders.iter().map(|(name, _)| *name);
                rejected.push(Rejected {
                    blocks: names.zip(blocks).collect(),
                    reason,
                });
            }
        }
    }
    if ranked.is_empty() {
        return Err(SearchError::NothingFits {
            family: family.name(),
            target: target.name,
            limit: vmem_limit_bytes.unwrap_or(target.default_scoped_vmem_bytes),
            physical: target.vmem_bytes,
            rejected: rejected.len(),
        });
    }
    ranked.sort_by(|a, b| {
        a.roofline
            .seconds
            .total_cmp(&b.roofline.seconds)
            .then(a.budget.total().cmp(&b.budget.total()))
    });
    ranked.truncate(top_k);
    Ok(SearchResult { ranked, rejected })
}
