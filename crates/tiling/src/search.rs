//! Block-size search: build a kernel family's real kernels for every candidate, keep those
//! that pass the alignment rules and fit the VMEM budget, rank them with the roofline.
//!
//! The search has no model of its own of what a kernel declares: each candidate is the
//! kernel [`KernelFamily::build`] returns, judged by [`rules::check_kernel`] and
//! [`VmemBudget::of`] exactly as a written kernel is. Block sizes come from the family's
//! [`KernelFamily::candidate_blocks`], usually a [`ladder`]: powers of two from 64 up to
//! 8192 that divide the dim, plus the whole dim when it is not one of them.

use thiserror::Error;

use crate::budget::{BudgetError, VmemBudget};
use crate::family::{matmul_dtype, Blocks, KernelFamily};
use crate::roofline::Roofline;
use crate::rules::{self, AlignmentError};
use crate::Target;

/// A candidate that passed every rule, with its budgets and estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub blocks: Blocks,
    /// The budget of each kernel the family built, in program order.
    pub budgets: Vec<VmemBudget>,
    pub roofline: Roofline,
}

impl Candidate {
    /// The largest kernel budget: the kernels of one call run one after the other.
    pub fn vmem_bytes(&self) -> u64 {
        self.budgets
            .iter()
            .map(VmemBudget::total)
            .max()
            .unwrap_or(0)
    }
}

/// Why a candidate was dropped.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum Rejection {
    /// The family refused the blocks (they do not divide the problem, …).
    #[error("{0}")]
    Build(String),
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
    /// Every combination tried.
    pub considered: usize,
}

/// Why nothing could be suggested.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SearchError {
    #[error("no block size fits {family} on {target} ({rejected} candidates rejected; the first: {first}); raise the kernel's vmem_limit_bytes (physical VMEM is {physical} bytes) or shrink the problem")]
    NothingFits {
        family: String,
        target: &'static str,
        physical: u64,
        rejected: usize,
        first: String,
    },
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

/// Judges one candidate: builds the family's kernels with `blocks`, then the alignment
/// rules and the budget of each.
pub fn evaluate(
    target: &Target,
    family: &dyn KernelFamily,
    blocks: &Blocks,
) -> Result<Candidate, Rejection> {
    let built = family
        .build(target, blocks)
        .map_err(|e| Rejection::Build(e.to_string()))?;
    let mut budgets = Vec::new();
    for b in &built {
        if let Some(misaligned) = rules::check_kernel(target, &b.kernel).into_iter().next() {
            return Err(Rejection::Alignment(Box::new(misaligned)));
        }
        let budget = VmemBudget::of(target, &b.kernel, &b.info);
        budget.check()?;
        budgets.push(budget);
    }
    let work = family.work(target, blocks, &built);
    let roofline = Roofline::of(target, &work, target.matmul_peak(matmul_dtype(&built)));
    Ok(Candidate {
        blocks: blocks.clone(),
        budgets,
        roofline,
    })
}

/// Every combination of `family`'s candidate blocks, in ladder order.
fn combinations(family: &dyn KernelFamily) -> Vec<Blocks> {
    let mut combos: Vec<Blocks> = vec![Vec::new()];
    for (name, sizes) in family.candidate_blocks() {
        combos = combos
            .into_iter()
            .flat_map(|prefix| {
                sizes
                    .iter()
                    .map(move |&s| [prefix.clone(), vec![(name, s)]].concat())
            })
            .collect();
    }
    combos
}

/// Enumerates every candidate of `family`, returns the `top_k` fastest by the roofline
/// (ties: less VMEM first) and every rejection with its reason.
pub fn search(
    target: &Target,
    family: &dyn KernelFamily,
    top_k: usize,
) -> Result<SearchResult, SearchError> {
    let combos = combinations(family);
    let considered = combos.len();
    let mut ranked = Vec::new();
    let mut rejected = Vec::new();
    for blocks in combos {
        match evaluate(target, family, &blocks) {
            Ok(candidate) => ranked.push(candidate),
            Err(reason) => rejected.push(Rejected { blocks, reason }),
        }
    }
    if ranked.is_empty() {
        return Err(SearchError::NothingFits {
            family: family.describe(),
            target: target.name,
            physical: target.vmem_bytes,
            rejected: rejected.len(),
            first: rejected
                .first()
                .map_or("none tried".into(), |r| r.reason.to_string()),
        });
    }
    ranked.sort_by(|a, b| {
        a.roofline
            .seconds
            .total_cmp(&b.roofline.seconds)
            .then(a.vmem_bytes().cmp(&b.vmem_bytes()))
    });
    ranked.truncate(top_k);
    Ok(SearchResult {
        ranked,
        rejected,
        considered,
    })
}
