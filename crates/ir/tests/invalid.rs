//! Invalid kernels: each breaks one rule and must fail with the right error kind and
//! a message that names the numbers and says what to do.

mod common;

use pallas_flash_ir::valid::{AccessError, BodyError, ExprError, IndexMapError, SignatureError};
use pallas_flash_ir::BlockDim::{Blocked, Squeezed};
use pallas_flash_ir::DType::{Bf16, F32, I1, I32, I8};
use pallas_flash_ir::{
    at, ds, validate, Alias, BlockSpec, DotDims, Expr, GridSpec, IndexExpr, IndexMap, Kernel,
    KernelBuilder, RefId, ScratchKind, Stmt, UnaryOp, ValidationError, Value,
};

macro_rules! assert_invalid {
    ($kernel:expr, $pat:pat, $msg:expr) => {{
        let err = validate(&$kernel).expect_err("kernel should be invalid");
        assert!(matches!(err, $pat), "wrong error kind: {err:?}");
        let text = err.to_string();
        assert!(text.contains($msg), "message {text:?} lacks {:?}", $msg);
    }};
}

/// A 1-D grid of 2 steps, input `x` and output `o`: f32[16, 128] in [8, 128] blocks.
fn tiny() -> (KernelBuilder, RefId, RefId) {
    let mut k = KernelBuilder::new("tiny", GridSpec::new([2]));
    let x = k.input(
        "x",
        [16, 128],
        F32,
        k.vmem_block([8usize, 128], |g| [g.grid(0), IndexExpr::Const(0)]),
    );
    let o = k.output(
        "o",
        [16, 128],
        F32,
        k.vmem_block([8usize, 128], |g| [g.grid(0), IndexExpr::Const(0)]),
    );
    (k, x, o)
}

/// `tiny` with a body written by `f`.
fn body(f: impl FnOnce(&mut KernelBuilder, RefId, RefId)) -> Kernel {
    let (mut k, x, o) = tiny();
    f(&mut k, x, o);
    k.finish()
}

fn sig(f: impl FnOnce(&mut Kernel)) -> Kernel {
    let mut kernel = body(|_, _, _| {});
    f(&mut kernel);
    kernel
}

/// Like `assert_invalid!`, for errors in the body.
macro_rules! assert_body_invalid {
    ($kernel:expr, $pat:pat, $msg:expr) => {{
        let err = validate(&$kernel).expect_err("kernel should be invalid");
        assert!(
            matches!(err.body_error(), Some($pat)),
            "wrong error kind: {err:?}"
        );
        let text = err.to_string();
        assert!(text.contains($msg), "message {text:?} lacks {:?}", $msg);
    }};
}

// ---- signature ----

#[test]
fn kernel_name_must_be_identifier() {
    let k = sig(|k| k.name = "mat-mul".into());
    assert_invalid!(
        k,
        ValidationError::Signature(SignatureError::InvalidName { .. }),
        "kernel name `mat-mul` is not an identifier"
    );
}

#[test]
fn names_are_unique() {
    let k = sig(|k| k.outputs[0].name = "x".into());
    assert_invalid!(
        k,
        ValidationError::Signature(SignatureError::DuplicateName { .. }),
        "name `x` is used twice"
    );
}

#[test]
fn kernel_needs_an_output() {
    let k = sig(|k| k.outputs.clear());
    assert_invalid!(
        k,
        ValidationError::Signature(SignatureError::NoOutputs),
        "at least one output"
    );
}

#[test]
fn grid_extent_zero() {
    let k = sig(|k| k.grid.grid[0] = 0);
    assert_invalid!(
        k,
        ValidationError::Signature(SignatureError::GridExtent { axis: 0, extent: 0 }),
        "grid axis 0 has extent 0"
    );
}

#[test]
fn semantics_per_grid_axis() {
    let k = sig(|k| k.grid.dimension_semantics.clear());
    assert_invalid!(
        k,
        ValidationError::Signature(SignatureError::SemanticsLength {
            rank: 1,
            semantics: 0
        }),
        "give one per grid axis"
    );
}

#[test]
fn operand_shape_without_zero_dims() {
    let k = sig(|k| k.inputs[0].shape = vec![0, 128]);
    assert_invalid!(
        k,
        ValidationError::Signature(SignatureError::BadShape { .. }),
        "input 0 `x` has shape [0, 128]"
    );
}

#[test]
fn bool_operands_can_not_be_stored() {
    let k = sig(|k| k.inputs[0].dtype = I1);
    assert_invalid!(
        k,
        ValidationError::Signature(SignatureError::BoolInMemory { .. }),
        "keep masks in memory as i8 or i32"
    );
}

#[test]
fn vmem_operand_needs_window() {
    let k = sig(|k| k.inputs[0].spec.window = None);
    assert_invalid!(
        k,
        ValidationError::Signature(SignatureError::MissingWindow { .. }),
        "is in vmem without a block shape"
    );
}

#[test]
fn any_operand_has_no_window() {
    let k = sig(|k| k.inputs[0].spec.memory_space = pallas_flash_ir::MemorySpace::Any);
    assert_invalid!(
        k,
        ValidationError::Signature(SignatureError::WindowedAny { .. }),
        "drop the window or use vmem"
    );
}

#[test]
fn block_rank_equals_array_rank() {
    let k = sig(|k| {
        k.inputs[0]
            .spec
            .window
            .as_mut()
            .unwrap()
            .block_shape
            .push(Blocked(1))
    });
    assert_invalid!(
        k,
        ValidationError::Signature(SignatureError::BlockRank {
            block_rank: 3,
            array_rank: 2,
            ..
        }),
        "block rank 3 but array rank 2"
    );
}

#[test]
fn block_not_larger_than_array() {
    let k = sig(|k| k.inputs[0].spec.window.as_mut().unwrap().block_shape[1] = Blocked(256));
    assert_invalid!(
        k,
        ValidationError::Signature(SignatureError::BlockExtent {
            dim: 1,
            block: 256,
            extent: 128,
            ..
        }),
        "block dim 1 is 256, outside 1..=128"
    );
}

#[test]
fn window_keeps_a_dim() {
    let k =
        sig(|k| k.inputs[0].spec.window.as_mut().unwrap().block_shape = vec![Squeezed, Squeezed]);
    assert_invalid!(
        k,
        ValidationError::Signature(SignatureError::AllSqueezed { .. }),
        "squeezes every block dim"
    );
}

#[test]
fn scratch_not_in_any() {
    let mut k = body(|_, _, _| {});
    let kind = ScratchKind::Buffer {
        space: pallas_flash_ir::MemorySpace::Any,
        shape: vec![8, 128],
        dtype: F32,
    };
    k.scratch.push(pallas_flash_ir::Scratch {
        name: "buf".into(),
        kind,
    });
    assert_invalid!(
        k,
        ValidationError::Signature(SignatureError::ScratchInAny { .. }),
        "scratch buffers live in vmem or smem"
    );
}

#[test]
fn semaphore_array_not_empty() {
    let (mut k, _, _) = tiny();
    k.dma_semaphores("sem", 0);
    assert_invalid!(
        k.finish(),
        ValidationError::Signature(SignatureError::NoSemaphores { .. }),
        "`sem` holds 0 DMA semaphores"
    );
}

#[test]
fn alias_refers_to_existing_operands() {
    let k = sig(|k| {
        k.aliases.push(Alias {
            input: 3,
            output: 0,
        })
    });
    assert_invalid!(
        k,
        ValidationError::Signature(SignatureError::AliasOutOfRange {
            side: "input",
            index: 3,
            count: 1
        }),
        "alias refers to input 3, but the kernel has 1"
    );
}

#[test]
fn builder_alias_of_wrong_ref_kind_is_reported() {
    let (mut k, x, o) = tiny();
    k.alias(o, x);
    assert_invalid!(
        k.finish(),
        ValidationError::Signature(SignatureError::AliasOutOfRange { .. }),
        "alias refers to input"
    );
}

#[test]
fn aliased_operands_match() {
    let k = sig(|k| {
        k.outputs[0].dtype = Bf16;
        k.aliases.push(Alias {
            input: 0,
            output: 0,
        });
    });
    assert_invalid!(
        k,
        ValidationError::Signature(SignatureError::AliasMismatch { .. }),
        "input is f32[16, 128], output is bf16[16, 128]"
    );
}

#[test]
fn operand_aliased_once() {
    let k = sig(|k| {
        k.aliases.extend([
            Alias {
                input: 0,
                output: 0,
            },
            Alias {
                input: 0,
                output: 0,
            },
        ])
    });
    assert_invalid!(
        k,
        ValidationError::Signature(SignatureError::AliasTwice {
            side: "input",
            index: 0
        }),
        "input 0 is aliased twice"
    );
}

#[test]
fn vmem_limit_positive() {
    let k = sig(|k| k.vmem_limit_bytes = Some(0));
    assert_invalid!(
        k,
        ValidationError::Signature(SignatureError::ZeroVmemLimit),
        "vmem_limit_bytes is 0"
    );
}

// ---- index maps ----

#[test]
fn index_map_arity_counts_prefetch() {
    // The map is built before the prefetch operand exists, so it has one argument too few.
    let mut k = KernelBuilder::new("late_prefetch", GridSpec::new([2]));
    let spec = k.vmem_block([8usize, 128], |g| [g.grid(0), IndexExpr::Const(0)]);
    k.scalar_prefetch("lens", [4]);
    k.output("o", [16, 128], F32, spec);
    assert_invalid!(
        k.finish(),
        ValidationError::IndexMap {
            error: IndexMapError::Arity {
                num_args: 1,
                expected: 2,
                ..
            },
            ..
        },
        "takes 1 arguments but its transform gets 2 (grid rank 1 + 1 scalar-prefetch refs)"
    );
}

#[test]
fn index_map_one_result_per_dim() {
    let k = sig(|k| {
        k.inputs[0]
            .spec
            .window
            .as_mut()
            .unwrap()
            .index_map
            .results
            .pop()
            .map(drop)
            .unwrap_or(())
    });
    assert_invalid!(
        k,
        ValidationError::IndexMap {
            error: IndexMapError::ResultCount {
                results: 1,
                rank: 2
            },
            ..
        },
        "returns 1 block indices for an array of rank 2"
    );
}

fn with_map(results: Vec<IndexExpr>, prefetch: bool) -> Kernel {
    let mut k = KernelBuilder::new("mapped", GridSpec::new([2]));
    if prefetch {
        k.scalar_prefetch("table", [2]);
    }
    let num_args = 1 + usize::from(prefetch);
    k.output(
        "o",
        [16, 128],
        F32,
        BlockSpec::vmem([8usize, 128], IndexMap { num_args, results }),
    );
    k.finish()
}

#[test]
fn prefetch_argument_is_not_an_integer() {
    let k = with_map(vec![IndexExpr::Arg(1), IndexExpr::Const(0)], true);
    assert_invalid!(
        k,
        ValidationError::IndexMap {
            error: IndexMapError::NotAGridIndex {
                arg: 1,
                grid_rank: 1
            },
            ..
        },
        "read scalar-prefetch arguments with a load"
    );
}

#[test]
fn load_only_from_prefetch_arguments() {
    let load = IndexExpr::Load {
        arg: 0,
        indices: vec![IndexExpr::Const(0)],
    };
    let k = with_map(vec![load, IndexExpr::Const(0)], true);
    assert_invalid!(
        k,
        ValidationError::IndexMap {
            error: IndexMapError::NotAPrefetchRef { arg: 0, .. },
            ..
        },
        "scalar-prefetch arguments are 1..2"
    );
}

#[test]
fn load_indices_match_prefetch_rank() {
    let load = IndexExpr::Load {
        arg: 1,
        indices: vec![],
    };
    let k = with_map(vec![load, IndexExpr::Const(0)], true);
    assert_invalid!(
        k,
        ValidationError::IndexMap {
            error: IndexMapError::LoadRank {
                indices: 0,
                rank: 1,
                ..
            },
            ..
        },
        "give one index per dim"
    );
}

#[test]
fn select_condition_is_a_comparison() {
    let k = with_map(
        vec![IndexExpr::Arg(0).select(0, 1), IndexExpr::Const(0)],
        false,
    );
    assert_invalid!(
        k,
        ValidationError::IndexMap {
            error: IndexMapError::IntAsBool,
            ..
        },
        "compare it (lt, eq, ...) first"
    );
}

#[test]
fn comparison_is_not_an_index() {
    let k = with_map(vec![IndexExpr::Arg(0).lt(1), IndexExpr::Const(0)], false);
    assert_invalid!(
        k,
        ValidationError::IndexMap {
            error: IndexMapError::BoolAsInt,
            ..
        },
        "turn it into one with select"
    );
}

#[test]
fn index_map_division_by_zero() {
    let k = with_map(vec![IndexExpr::Arg(0) / 0, IndexExpr::Const(0)], false);
    assert_invalid!(
        k,
        ValidationError::IndexMap {
            error: IndexMapError::DivisionByZero,
            ..
        },
        "divides by the constant 0"
    );
}

#[test]
fn block_index_within_array() {
    let k = with_map(vec![IndexExpr::Arg(0) + 1, IndexExpr::Const(0)], false);
    assert_invalid!(
        k,
        ValidationError::IndexMap { error: IndexMapError::BlockIndexOutOfRange { dim: 0, index: 2, blocks: 2, .. }, .. },
        "result 0 is block index 2 at grid point [1], outside 0..2 (2 blocks of 8 in extent 16); clamp it with min/max"
    );
}

// ---- expressions ----

#[test]
fn dot_contracting_extents_equal() {
    let k = body(|k, x, _| {
        let a = k.load(x, [ds(0, 8), ds(0, 64)]);
        let b = k.load(x, [ds(0, 8), ds(0, 128)]);
        k.dot(a, b);
    });
    assert_body_invalid!(k, BodyError::Expr(ExprError::DotContracting { lhs_extent: 64, rhs_extent: 8, .. }),
        "dot contracts lhs f32[8, 64] dim 1 (64) with rhs f32[8, 128] dim 0 (8); contracting extents must be equal"
    );
}

#[test]
fn dot_needs_matrices() {
    let k = body(|k, x, _| {
        let a = k.read(x);
        let v = k.reshape(a, [1024]);
        k.dot(v, a);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::DotRank {
            lhs_rank: 1,
            rhs_rank: 2,
            batch: 0
        }),
        "each needs exactly 2 non-batch dims"
    );
}

#[test]
fn dot_contracting_dim_exists() {
    let k = body(|k, x, _| {
        let a = k.read(x);
        k.dot_general(
            a,
            a,
            DotDims {
                lhs_contracting: 2,
                rhs_contracting: 0,
                batch: 0,
            },
            F32,
        );
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::DotContractingDim {
            which: "lhs",
            dim: 2,
            ..
        }),
        "dot contracting dim lhs = 2"
    );
}

#[test]
fn dot_accumulates_in_f32() {
    let k = body(|k, x, _| {
        let a = k.read(x);
        let a = k.cast(a, Bf16);
        k.dot_general(a, a, DotDims::NT, I32);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::DotOutDtype { .. }),
        "dot of bf16 into i32: float inputs accumulate in f32"
    );
}

#[test]
fn elementwise_operands_match() {
    let k = body(|k, x, _| {
        let a = k.read(x);
        let b = k.sum(a, 1);
        k.add(a, b);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::OperandMismatch { op: "add", .. }),
        "add operands differ: f32[8, 128] vs f32[8, 1]; broadcast or cast one of them first"
    );
}

#[test]
fn broadcast_dims_compatible() {
    let k = body(|k, x, _| {
        let a = k.read(x);
        k.broadcast(a, [8, 256]);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::Broadcast {
            dim: 1,
            extent: 128,
            target: 256,
            ..
        }),
        "source dim 1 is 128, target is 256"
    );
}

#[test]
fn broadcast_never_drops_dims() {
    let k = body(|k, x, _| {
        let a = k.read(x);
        k.broadcast(a, [128]);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::BroadcastRank { .. }),
        "can not broadcast f32[8, 128] to lower rank [128]"
    );
}

#[test]
fn reshape_keeps_element_count() {
    let k = body(|k, x, _| {
        let a = k.read(x);
        k.reshape(a, [8, 64]);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::Reshape {
            from_elements: 1024,
            to_elements: 512,
            ..
        }),
        "element counts must match"
    );
}

#[test]
fn transpose_takes_a_permutation() {
    let k = body(|k, x, _| {
        let a = k.read(x);
        k.transpose(a, [0, 0]);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::Permutation { .. }),
        "permutation [0, 0] is not a permutation of 0..2"
    );
}

#[test]
fn reduce_axes_sorted_and_in_range() {
    let k = body(|k, x, _| {
        let a = k.read(x);
        k.sum(a, 2);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::ReduceAxes { rank: 2, .. }),
        "axes must be sorted, distinct and below rank 2"
    );
}

#[test]
fn mean_needs_floats() {
    let k = body(|k, _, _| {
        let i = k.iota([8, 128], 1);
        k.mean(i, 1);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::Dtype { op: "mean", .. }),
        "at body[1] %1 = reduce: mean does not apply to i32; it takes floats"
    );
}

#[test]
fn reduce_lanes_needs_a_vector() {
    let k = body(|k, _, _| {
        let one = k.scalar(F32, 1.0);
        k.reduce_lanes(pallas_flash_ir::ReduceOp::Max, one, 128);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::ReduceLanesScalar { .. }),
        "at body[1] %1 = reduce_lanes: reduce_lanes of a scalar f32"
    );
}

#[test]
fn reduce_lanes_keeps_at_least_one_lane() {
    let k = body(|k, x, _| {
        let a = k.read(x);
        k.reduce_lanes(pallas_flash_ir::ReduceOp::Sum, a, 0);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::ZeroDim { .. }),
        "shape [8, 0] has a zero dim"
    );
}

#[test]
fn slice_gives_one_start_and_size_per_dim() {
    let k = body(|k, x, _| {
        let a = k.read(x);
        k.slice(a, [0], [8]);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::WindowRank { rank: 2, .. }),
        "slice of f32[8, 128] gives start [0] and size [8]; give one start and one size per dim (2)"
    );
}

#[test]
fn slice_stays_inside_the_value() {
    let k = body(|k, x, _| {
        let a = k.read(x);
        k.slice(a, [4, 0], [8, 128]);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::SliceBounds {
            dim: 0,
            end: 12,
            extent: 8,
            ..
        }),
        "at body[1] %1 = slice: slice of f32[8, 128] dim 0 takes 4..12, past its extent 8"
    );
}

#[test]
fn slice_is_not_empty() {
    let k = body(|k, x, _| {
        let a = k.read(x);
        k.slice(a, [0, 0], [0, 128]);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::ZeroDim { .. }),
        "shape [0, 128] has a zero dim"
    );
}

#[test]
fn pad_value_fits_the_dtype() {
    let k = body(|k, x, _| {
        let a = k.read(x);
        k.pad(a, [0, 0], [8, 0], 1i64);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::ConstantKind { dtype: F32, .. }),
        "does not fit dtype f32"
    );
}

#[test]
fn pad_gives_one_low_and_high_per_dim() {
    let k = body(|k, x, _| {
        let a = k.read(x);
        k.pad(a, [0, 0, 0], [8, 0, 0], 0.0);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::WindowRank {
            op: "pad",
            rank: 2,
            ..
        }),
        "pad of f32[8, 128] gives start [0, 0, 0] and size [8, 0, 0]"
    );
}

#[test]
fn concatenate_parts_agree_off_the_axis() {
    let k = body(|k, x, _| {
        let a = k.read(x);
        let b = k.slice(a, [0, 0], [4, 64]);
        k.concatenate([a, b], 0);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::ConcatenateMismatch {
            index: 1,
            axis: 0,
            ..
        }),
        "at body[2] %2 = concatenate: concatenate part 1 is f32[4, 64] but part 0 is f32[8, 128]"
    );
}

#[test]
fn concatenate_axis_in_range_and_parts_present() {
    let k = body(|k, x, _| {
        let a = k.read(x);
        k.concatenate([a, a], 2);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::ConcatenateAxis {
            axis: 2,
            rank: 2,
            ..
        }),
        "concatenate axis 2 is not a dim of f32[8, 128] (rank 2)"
    );
    let k = body(|k, _, _| {
        k.concatenate(Vec::new(), 0);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::ConcatenateEmpty),
        "concatenate needs at least one part"
    );
}

#[test]
fn transcendentals_need_floats() {
    for (op, unary) in [("exp", UnaryOp::Exp), ("exp2", UnaryOp::Exp2)] {
        let k = body(|k, _, _| {
            let i = k.iota([8, 128], 0);
            k.unary(unary, i);
        });
        assert_body_invalid!(
            k,
            BodyError::Expr(ExprError::Dtype { dtype: I32, .. }),
            &format!("{op} does not apply to i32; it takes floats")
        );
    }
}

#[test]
fn bitwise_ops_reject_floats() {
    let k = body(|k, x, _| {
        let a = k.read(x);
        k.and(a, a);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::Dtype { op: "and", .. }),
        "it takes integers or i1"
    );
}

#[test]
fn constant_fits_dtype() {
    let k = body(|k, _, _| {
        k.scalar(I8, 300);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::ConstantKind { .. }),
        "constant 300 does not fit dtype i8"
    );
}

#[test]
fn float_constant_for_int_dtype() {
    let k = body(|k, _, _| {
        k.scalar(I32, 1.5);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::ConstantKind { .. }),
        "constant 1.5 does not fit dtype i32"
    );
}

#[test]
fn program_id_axis_exists() {
    let k = body(|k, _, _| {
        k.program_id(1);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::GridAxis { axis: 1, rank: 1 }),
        "grid axis 1 does not exist (grid rank 1)"
    );
}

#[test]
fn select_mask_matches_values() {
    let k = body(|k, x, _| {
        let a = k.read(x);
        let c = k.full([8, 1], I1, true);
        k.select(c, a, a);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::SelectCondition { .. }),
        "select condition is i1[8, 1] but the values are f32[8, 128]"
    );
}

#[test]
fn iota_dimension_in_shape() {
    let k = body(|k, _, _| {
        k.iota([8, 128], 2);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::IotaDimension { dimension: 2, .. }),
        "iota dimension 2 is outside shape [8, 128]"
    );
}

#[test]
fn constants_have_no_zero_dims() {
    let k = body(|k, _, _| {
        k.full([8, 0], F32, 0.0);
    });
    assert_body_invalid!(
        k,
        BodyError::Expr(ExprError::ZeroDim { .. }),
        "shape [8, 0] has a zero dim"
    );
}

// ---- ref accesses ----

#[test]
fn static_slice_inside_block() {
    // libtpu accepts a 16x128 load from an 8x128 block; we must not.
    let k = body(|k, x, _| {
        k.load(x, [ds(0, 16), ds(0, 128)]);
    });
    assert_body_invalid!(
        k,
        BodyError::Access(AccessError::SliceOutOfBounds {
            dim: 0,
            start: 0,
            size: 16,
            extent: 8,
            ..
        }),
        "`x` dim 0: slice ds(0, 16) stride 1 reaches element 15, outside 0..8"
    );
}

#[test]
fn strided_slice_inside_block() {
    let k = body(|k, x, _| {
        k.load(x, [ds(2, 4).stride(2), ds(0, 128)]);
    });
    assert_body_invalid!(
        k,
        BodyError::Access(AccessError::SliceOutOfBounds {
            stride: 2,
            last: 8,
            ..
        }),
        "ds(2, 4) stride 2 reaches element 8, outside 0..8"
    );
    let k = body(|k, x, _| {
        k.load(x, [ds(1, 4).stride(2), ds(0, 128)]);
    });
    assert!(validate(&k).is_ok());
}

#[test]
fn static_index_inside_block() {
    let k = body(|k, x, _| {
        k.load(x, [at(8), ds(0, 128)]);
    });
    assert_body_invalid!(
        k,
        BodyError::Access(AccessError::IndexOutOfBounds {
            index: 8,
            extent: 8,
            ..
        }),
        "`x` dim 0: index 8 is outside 0..8"
    );
}

#[test]
fn negative_literal_index_is_out_of_bounds() {
    let k = body(|k, x, _| {
        k.load(x, [ds(-1, 8), ds(0, 128)]);
    });
    assert_body_invalid!(
        k,
        BodyError::Access(AccessError::SliceOutOfBounds { .. }),
        "outside 0..8"
    );
}

#[test]
fn one_indexer_per_dim() {
    let k = body(|k, x, _| {
        k.load(x, [ds(0, 8)]);
    });
    assert_body_invalid!(
        k,
        BodyError::Access(AccessError::IndexerCount {
            rank: 2,
            indexers: 1,
            ..
        }),
        "`x` has rank 2 but the view has 1 indexers"
    );
}

#[test]
fn slices_not_empty() {
    let k = body(|k, x, _| {
        k.load(x, [ds(0, 8).stride(0), ds(0, 128)]);
    });
    assert_body_invalid!(
        k,
        BodyError::Access(AccessError::EmptySlice { stride: 0, .. }),
        "must both be at least 1"
    );
}

#[test]
fn any_refs_only_through_dma() {
    let k = sig(|k| {
        k.inputs[0].spec = BlockSpec::any();
        k.body.clear();
        let load = k.exprs.append(Expr::Load {
            src: RefId::Input(0).into(),
        });
        k.body.push(Stmt::Let(load));
    });
    assert_body_invalid!(
        k,
        BodyError::Access(AccessError::AnyNotAddressable { .. }),
        "copy it to a vmem scratch buffer with a DMA"
    );
}

#[test]
fn inputs_are_read_only() {
    let k = body(|k, x, _| {
        let a = k.read(x);
        k.write(x, a);
    });
    assert_body_invalid!(
        k,
        BodyError::Access(AccessError::ReadOnly { .. }),
        "`x` is read-only"
    );
}

#[test]
fn smem_holds_scalars() {
    let mut k = KernelBuilder::new("smem", GridSpec::new([2]));
    let lens = k.scalar_prefetch("lens", [4]);
    k.output(
        "o",
        [16, 128],
        F32,
        k.vmem_block([8usize, 128], |g| [g.grid(0), IndexExpr::Const(0)]),
    );
    k.read(lens);
    assert_body_invalid!(
        k.finish(),
        BodyError::Access(AccessError::SmemVector { .. }),
        "`lens` is in smem, which holds scalars"
    );
}

#[test]
fn vmem_is_read_as_vectors() {
    let k = body(|k, x, _| {
        k.load(x, [at(0), at(0)]);
    });
    assert_body_invalid!(
        k,
        BodyError::Access(AccessError::VmemScalar { .. }),
        "keep at least one dim as a slice"
    );
}

#[test]
fn dynamic_offsets_are_i32_scalars() {
    let k = body(|k, x, _| {
        let f = k.scalar(F32, 0.0);
        k.load(x, [ds(f, 8), ds(0, 128)]);
    });
    assert_body_invalid!(
        k,
        BodyError::Access(AccessError::OffsetType { dim: 0, .. }),
        "dynamic offset %0 is f32[]; offsets are i32 scalars"
    );
}

#[test]
fn dynamic_slice_fits_dimension() {
    let k = body(|k, x, _| {
        let i = k.program_id(0);
        k.load(x, [ds(i, 16), ds(0, 128)]);
    });
    assert_body_invalid!(
        k,
        BodyError::Access(AccessError::DynamicSliceTooLong {
            span: 16,
            extent: 8,
            ..
        }),
        "spans 16 elements, more than the extent 8"
    );
}

#[test]
fn semaphores_are_not_buffers() {
    let (mut k, _, _) = tiny();
    let sem = k.dma_semaphores("sem", 1);
    k.read(sem);
    assert_body_invalid!(
        k.finish(),
        BodyError::Access(AccessError::SemaphoreAsBuffer { .. }),
        "`sem` is a DMA semaphore array"
    );
}

#[test]
fn dma_signals_a_semaphore() {
    let (mut k, x, _) = tiny();
    let buf = k.scratch_vmem("buf", [8, 128], F32);
    k.dma_start(x, buf, buf, 0);
    assert_body_invalid!(
        k.finish(),
        BodyError::Access(AccessError::NotASemaphore { .. }),
        "`buf` is not a DMA semaphore array"
    );
}

#[test]
fn semaphore_slot_in_range() {
    let (mut k, x, _) = tiny();
    let buf = k.scratch_vmem("buf", [8, 128], F32);
    let sem = k.dma_semaphores("sem", 2);
    k.dma_start(x, buf, sem, 2);
    assert_body_invalid!(
        k.finish(),
        BodyError::Access(AccessError::SemaphoreSlot {
            slot: 2,
            count: 2,
            ..
        }),
        "semaphore slot 2 of `sem` is outside 0..2"
    );
}

#[test]
fn unknown_ref() {
    let k = body(|k, _, _| {
        k.read(RefId::Scratch(5));
    });
    assert_body_invalid!(
        k,
        BodyError::Access(AccessError::UnknownRef { .. }),
        "ref Scratch(5) does not exist"
    );
}

// ---- statements and scoping ----

#[test]
fn when_takes_an_i1_scalar() {
    let k = body(|k, _, _| {
        let i = k.program_id(0);
        k.when(i, |_| {});
    });
    assert_body_invalid!(
        k,
        BodyError::NotAScalar {
            what: "when condition",
            ..
        },
        "when condition is i32[]; it must be an i1 scalar"
    );
}

#[test]
fn values_do_not_escape_when() {
    let k = body(|k, x, o| {
        let t = k.full([], I1, true);
        let mut inner = None;
        k.when(t, |k| inner = Some(k.read(x)));
        k.write(o, inner.unwrap());
    });
    let err = validate(&k).unwrap_err();
    assert!(
        matches!(err.body_error(), Some(BodyError::NotVisible { .. })),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "at body[2] store: value %1 is used before its definition or outside the block that defines it");
}

#[test]
fn store_matches_view() {
    let k = body(|k, x, o| {
        let a = k.load(x, [ds(0, 4), ds(0, 128)]);
        k.write(o, a);
    });
    assert_body_invalid!(
        k,
        BodyError::StoreType { .. },
        "storing f32[4, 128] into a view of type f32[8, 128]"
    );
}

#[test]
fn dma_views_match() {
    let (mut k, x, _) = tiny();
    let buf = k.scratch_vmem("buf", [8, 64], F32);
    let sem = k.dma_semaphores("sem", 1);
    k.dma_start(x, buf, sem, 0);
    assert_body_invalid!(
        k.finish(),
        BodyError::DmaType { .. },
        "DMA copies f32[8, 128] into f32[8, 64]"
    );
}

#[test]
fn carries_keep_their_type() {
    let k = body(|k, x, _| {
        let a = k.read(x);
        k.fori_loop(0, 4, [a], |k, _, [c]| [k.sum(c, 1)]);
    });
    assert_body_invalid!(
        k,
        BodyError::CarryType { index: 0, .. },
        "carry 0 starts as f32[8, 128] but the body yields f32[8, 1]"
    );
}

#[test]
fn loop_bounds_are_i32() {
    let k = body(|k, _, _| {
        let f = k.scalar(F32, 4.0);
        k.fori_loop(0, f, [], |_, _, []| []);
    });
    assert_body_invalid!(
        k,
        BodyError::NotAScalar {
            what: "loop upper bound",
            ..
        },
        "loop upper bound is f32[]"
    );
}

#[test]
fn static_loop_bound_fits_i32() {
    let k = body(|k, _, _| {
        k.fori_loop(0, usize::MAX, [], |_, _, []| []);
    });
    assert_body_invalid!(k, BodyError::LoopBound { .. }, "does not fit in i32");
}

#[test]
fn loop_index_is_local_to_the_loop() {
    let k = body(|k, x, _| {
        let mut index = None;
        k.fori_loop(0, 2, [], |_, i, []| {
            index = Some(i);
            []
        });
        k.load(x, [ds(index.unwrap(), 8), ds(0, 128)]);
    });
    let err = validate(&k).unwrap_err();
    assert!(
        matches!(err.body_error(), Some(BodyError::NotVisible { .. })),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("at body[1] %1 = load:"),
        "{err}"
    );
}

#[test]
fn errors_inside_loops_carry_the_full_path() {
    let k = body(|k, x, _| {
        k.fori_loop(0, 2, [], |k, _, []| {
            k.load(x, [ds(0, 9), ds(0, 128)]);
            []
        });
    });
    let err = validate(&k).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("at body[0] fori_loop / body[0] %1 = load: `x` dim 0"),
        "{err}"
    );
}

#[test]
fn unknown_value() {
    let k = sig(|k| {
        k.body.push(Stmt::When {
            cond: Value::from_index(99),
            body: vec![],
        })
    });
    assert_body_invalid!(
        k,
        BodyError::UnknownValue { count: 0, .. },
        "value %99 does not exist"
    );
}

#[test]
fn use_before_definition() {
    let k = sig(|k| {
        let zero = k.exprs.append(Expr::Constant {
            value: 0.into(),
            dtype: I32,
            shape: vec![],
        });
        let sum = k.exprs.append(Expr::Binary {
            op: pallas_flash_ir::BinaryOp::Add,
            lhs: zero,
            rhs: zero,
        });
        k.body.extend([Stmt::Let(sum), Stmt::Let(zero)]);
    });
    assert_body_invalid!(
        k,
        BodyError::NotVisible { .. },
        "value %0 is used before its definition"
    );
}

#[test]
fn defined_once() {
    let k = sig(|k| {
        let zero = k.exprs.append(Expr::Constant {
            value: 0.into(),
            dtype: I32,
            shape: vec![],
        });
        k.body.extend([Stmt::Let(zero), Stmt::Let(zero)]);
    });
    assert_body_invalid!(k, BodyError::Redefined { .. }, "value %0 is defined twice");
}

#[test]
fn every_expression_defined() {
    let k = sig(|k| {
        k.exprs.append(Expr::ProgramId { axis: 0 });
    });
    assert_body_invalid!(
        k,
        BodyError::NeverDefined { .. },
        "value %0 is never defined"
    );
}

#[test]
fn loop_values_are_not_lets() {
    let k = sig(|k| {
        let index = k.exprs.append(Expr::LoopIndex);
        k.body.push(Stmt::Let(index));
    });
    assert_body_invalid!(
        k,
        BodyError::WrongKind {
            found: "loop_index",
            ..
        },
        "value %0 is a loop_index"
    );
}
