//! Proptest invariants: the budget grows with the block, the search never suggests a
//! block the rules reject, and every rejected block breaks a rule.

use pallas_flash_ir::{BlockDim, DType};
use pallas_flash_tiling::budget::padded_bytes;
use pallas_flash_tiling::rules::check_block;
use pallas_flash_tiling::search::{evaluate, search, Attention, Family, Rejection};
use pallas_flash_tiling::Target;
use proptest::prelude::*;

fn target() -> impl Strategy<Value = Target> {
    (0..5usize).prop_map(|i| Target::all()[i].clone())
}

fn dtype() -> impl Strategy<Value = DType> {
    prop_oneof![Just(DType::F32), Just(DType::Bf16), Just(DType::I8)]
}

/// Dims that are multiples of 64, so ladders hold legal and illegal sizes.
fn dim() -> impl Strategy<Value = usize> {
    (1..=48usize).prop_map(|d| d * 64)
}

fn family() -> impl Strategy<Value = Family> {
    prop_oneof![
        (dim(), dim(), dim(), dtype()).prop_map(|(m, k, n, dtype)| {
            let out_dtype = if dtype == DType::I8 {
                DType::I32
            } else {
                DType::F32
            };
            Family::Matmul {
                m,
                k,
                n,
                dtype,
                out_dtype,
            }
        }),
        (
            1..3usize,
            1..9usize,
            dim(),
            dim(),
            prop_oneof![Just(64usize), Just(96), Just(128), Just(256)],
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(
                |(batch, heads, seq_q, seq_kv, head_dim, causal, backward)| {
                    let a = Attention {
                        batch,
                        heads,
                        seq_q,
                        seq_kv,
                        head_dim,
                        dtype: DType::Bf16,
                        causal,
                    };
                    if backward {
                        Family::FlashBwd(a)
                    } else {
                        Family::FlashFwd(a)
                    }
                }
            ),
        (
            1..9usize,
            1..5usize,
            dim(),
            prop_oneof![Just(64usize), Just(128)]
        )
            .prop_map(|(batch, kv_heads, seq_kv, head_dim)| {
                Family::Decode {
                    batch,
                    heads: kv_heads * 4,
                    kv_heads,
                    seq_kv,
                    head_dim,
                    dtype: DType::Bf16,
                }
            }),
    ]
}

proptest! {
    /// Padded bytes never shrink when any block dim grows.
    #[test]
    fn padded_bytes_monotonic(t in target(), dt in dtype(), shape in prop::collection::vec(1..600usize, 1..4), dim in 0..3usize, grow in 1..300usize) {
        let dim = dim % shape.len();
        let mut bigger = shape.clone();
        bigger[dim] += grow;
        prop_assert!(padded_bytes(&t, &shape, dt) <= padded_bytes(&t, &bigger, dt));
    }

    /// A candidate's VMEM never shrinks when one of its block sizes grows — while the
    /// grid keeps more than one step: a one-step grid single-buffers its windows
    /// (measured), so the block that covers everything may need less than the one before.
    #[test]
    fn candidate_budget_monotonic(t in target(), f in family()) {
        let ladders = f.ladders();
        let smallest: Vec<usize> = ladders.iter().map(|(_, sizes)| sizes[0]).collect();
        let physical = Some(t.vmem_bytes);
        for (i, (_, sizes)) in ladders.iter().enumerate() {
            let mut last = 0;
            for &size in sizes {
                let mut blocks = smallest.clone();
                blocks[i] = size;
                match evaluate(&t, &f, &blocks, physical) {
                    Ok(candidate) if candidate.budget.grid.iter().product::<usize>() == 1 => {}
                    Ok(candidate) => {
                        prop_assert!(candidate.budget.total() >= last, "{blocks:?}");
                        last = candidate.budget.total();
                    }
                    // Past the physical VMEM every larger block is over budget too.
                    Err(Rejection::Budget(_)) => last = u64::MAX,
                    Err(Rejection::Alignment(_)) => {}
                }
            }
        }
    }

    /// Every suggestion passes the rules and the budget; every rejection breaks one.
    #[test]
    fn suggestions_pass_rejections_break(t in target(), f in family(), raise in any::<bool>()) {
        let limit = raise.then_some(t.vmem_bytes);
        let Ok(result) = search(&t, &f, limit, 4) else { return Ok(()) };
        let limit = limit.unwrap_or(t.default_scoped_vmem_bytes);
        for c in &result.ranked {
            prop_assert!(c.budget.total() <= limit);
            prop_assert!(c.budget.check().is_ok());
            prop_assert!(!c.windows.is_empty());
            for w in &c.windows {
                prop_assert!(check_block(&t, w.label, &w.shape, w.dtype, &w.block).is_ok(), "{w:?}");
            }
            prop_assert!(c.roofline.seconds > 0.0);
        }
        for pair in result.ranked.windows(2) {
            prop_assert!(pair[0].roofline.seconds <= pair[1].roofline.seconds);
        }
        for r in &result.rejected {
            match &r.reason {
                Rejection::Alignment(e) => {
                    let block: Vec<BlockDim> = e.shape.iter().enumerate()
                        .map(|(d, &x)| BlockDim::Blocked(if d == e.dim { e.value } else { x }))
                        .collect();
                    prop_assert!(check_block(&t, &e.operand, &e.shape, e.dtype, &block).is_err());
                    prop_assert!(!e.rule.allows(e.value, e.extent));
                }
                Rejection::Budget(e) => {
                    let sizes: Vec<usize> = r.blocks.iter().map(|(_, b)| *b).collect();
                    let raised = evaluate(&t, &f, &sizes, Some(t.vmem_bytes));
                    let over = match raised {
                        Ok(c) => c.budget.total() > limit,
                        Err(Rejection::Budget(_)) => true,
                        Err(Rejection::Alignment(_)) => false,
                    };
                    prop_assert!(over, "{e}");
                }
            }
        }
    }
}
