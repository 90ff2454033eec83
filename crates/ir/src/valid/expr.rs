//! Type rules for body expressions: given operand types, the result type or why not.

use thiserror::Error;

use crate::types::{num_elements, Shape};
use crate::{BinaryOp, DType, DotDims, ReduceOp, Scalar, UnaryOp, ValueType};

/// A type error in one expression.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum ExprError {
    #[error(
        "shape {} has a zero dim or too many elements; every dim must be at least 1",
        Shape(shape)
    )]
    ZeroDim { shape: Vec<usize> },
    #[error("constant {value} does not fit dtype {dtype}; use a float literal for floats, an in-range integer for integers, a bool for i1")]
    ConstantKind { value: Scalar, dtype: DType },
    #[error("grid axis {axis} does not exist (grid rank {rank})")]
    GridAxis { axis: usize, rank: usize },
    #[error("{op} does not apply to {dtype}; it takes {expected}")]
    Dtype {
        op: &'static str,
        dtype: DType,
        expected: &'static str,
    },
    #[error("{op} operands differ: {lhs} vs {rhs}; broadcast or cast one of them first")]
    OperandMismatch {
        op: &'static str,
        lhs: ValueType,
        rhs: ValueType,
    },
    #[error(
        "select condition is {cond} but the values are {value}; use an i1 mask of the same shape"
    )]
    SelectCondition { cond: ValueType, value: ValueType },
    #[error("can not broadcast {from} to {}: source dim {dim} is {extent}, target is {target}; source dims must be 1 or equal, aligned at the right", Shape(shape))]
    Broadcast {
        from: ValueType,
        shape: Vec<usize>,
        dim: usize,
        extent: usize,
        target: usize,
    },
    #[error("can not broadcast {from} to lower rank {}", Shape(shape))]
    BroadcastRank { from: ValueType, shape: Vec<usize> },
    #[error("reshape of {from} ({from_elements} elements) to {} ({to_elements} elements); element counts must match", Shape(shape))]
    Reshape {
        from: ValueType,
        shape: Vec<usize>,
        from_elements: u64,
        to_elements: u64,
    },
    #[error("permutation {perm:?} is not a permutation of 0..{rank}")]
    Permutation { perm: Vec<usize>, rank: usize },
    #[error("iota dimension {dimension} is outside shape {}", Shape(shape))]
    IotaDimension { dimension: usize, shape: Vec<usize> },
    #[error("reduce axes {axes:?} of {x}: axes must be sorted, distinct and below rank {rank}")]
    ReduceAxes {
        axes: Vec<usize>,
        x: ValueType,
        rank: usize,
    },
    #[error("reduce_lanes of a scalar {x}: it reduces the last axis, so give it a value of rank 1 or more")]
    ReduceLanesScalar { x: ValueType },
    #[error("{op} of {x} gives start {start:?} and size {size:?}; give one start and one size per dim ({rank})")]
    WindowRank {
        op: &'static str,
        x: ValueType,
        start: Vec<usize>,
        size: Vec<usize>,
        rank: usize,
    },
    #[error("slice of {x} dim {dim} takes {start}..{end}, past its extent {extent}; keep start + size within the dim")]
    SliceBounds {
        x: ValueType,
        dim: usize,
        start: usize,
        end: usize,
        extent: usize,
    },
    #[error("concatenate needs at least one part")]
    ConcatenateEmpty,
    #[error("concatenate axis {axis} is not a dim of {first} (rank {rank})")]
    ConcatenateAxis {
        axis: usize,
        first: ValueType,
        rank: usize,
    },
    #[error("concatenate part {index} is {part} but part 0 is {first}; along axis {axis}, parts agree in dtype, rank and every other dim")]
    ConcatenateMismatch {
        index: usize,
        part: ValueType,
        first: ValueType,
        axis: usize,
    },
    #[error("dot operands have ranks {lhs_rank} and {rhs_rank} with {batch} batch dims; each needs exactly 2 non-batch dims (batch 0 or 1)")]
    DotRank {
        lhs_rank: usize,
        rhs_rank: usize,
        batch: usize,
    },
    #[error("dot contracting dim {which} = {dim} is not a non-batch dim of {ty}")]
    DotContractingDim {
        which: &'static str,
        dim: usize,
        ty: ValueType,
    },
    #[error("dot contracts lhs {lhs} dim {lhs_dim} ({lhs_extent}) with rhs {rhs} dim {rhs_dim} ({rhs_extent}); contracting extents must be equal")]
    DotContracting {
        lhs: ValueType,
        rhs: ValueType,
        lhs_dim: usize,
        rhs_dim: usize,
        lhs_extent: usize,
        rhs_extent: usize,
    },
    #[error("dot batch dims differ: lhs {lhs}, rhs {rhs}; batch extents must be equal")]
    DotBatch { lhs: ValueType, rhs: ValueType },
    #[error(
        "dot of {input} into {out}: float inputs accumulate in f32 (or their own dtype), i8 in i32"
    )]
    DotOutDtype { input: DType, out: DType },
}

/// Every dim at least 1.
pub(super) fn shape(shape: &[usize]) -> Result<(), ExprError> {
    if shape.contains(&0) || num_elements(shape).is_none() {
        return Err(ExprError::ZeroDim {
            shape: shape.to_vec(),
        });
    }
    Ok(())
}

pub(super) fn constant(
    value: Scalar,
    dtype: DType,
    shape_: &[usize],
) -> Result<ValueType, ExprError> {
    shape(shape_)?;
    if !value.fits(dtype) {
        return Err(ExprError::ConstantKind { value, dtype });
    }
    Ok(ValueType::new(dtype, shape_))
}

pub(super) fn grid_axis(axis: usize, rank: usize) -> Result<ValueType, ExprError> {
    if axis >= rank {
        return Err(ExprError::GridAxis { axis, rank });
    }
    Ok(ValueType::scalar(DType::I32))
}

pub(super) fn unary(op: UnaryOp, x: &ValueType) -> Result<ValueType, ExprError> {
    let dtype = x.dtype;
    let (ok, expected) = match op {
        _ if op.float_only() => (dtype.is_float(), "floats"),
        UnaryOp::Not => (!dtype.is_float(), "integers or i1"),
        _ => (!dtype.is_bool(), "floats or integers"),
    };
    if !ok {
        return Err(ExprError::Dtype {
            op: op.name(),
            dtype,
            expected,
        });
    }
    Ok(x.clone())
}

pub(super) fn binary(
    op: BinaryOp,
    lhs: &ValueType,
    rhs: &ValueType,
) -> Result<ValueType, ExprError> {
    same(op.name(), lhs, rhs)?;
    let dtype = lhs.dtype;
    let (ok, expected) = if op.is_bitwise() {
        (!dtype.is_float(), "integers or i1")
    } else {
        (!dtype.is_bool(), "floats or integers")
    };
    if !ok {
        return Err(ExprError::Dtype {
            op: op.name(),
            dtype,
            expected,
        });
    }
    Ok(lhs.clone())
}

pub(super) fn compare(
    op: &'static str,
    lhs: &ValueType,
    rhs: &ValueType,
) -> Result<ValueType, ExprError> {
    same(op, lhs, rhs)?;
    Ok(lhs.with_dtype(DType::I1))
}

pub(super) fn select(
    cond: &ValueType,
    on_true: &ValueType,
    on_false: &ValueType,
) -> Result<ValueType, ExprError> {
    same("select", on_true, on_false)?;
    if cond.dtype != DType::I1 || cond.shape != on_true.shape {
        return Err(ExprError::SelectCondition {
            cond: cond.clone(),
            value: on_true.clone(),
        });
    }
    Ok(on_true.clone())
}

fn same(op: &'static str, lhs: &ValueType, rhs: &ValueType) -> Result<(), ExprError> {
    if lhs != rhs {
        return Err(ExprError::OperandMismatch {
            op,
            lhs: lhs.clone(),
            rhs: rhs.clone(),
        });
    }
    Ok(())
}

pub(super) fn broadcast(x: &ValueType, to: &[usize]) -> Result<ValueType, ExprError> {
    shape(to)?;
    let offset = to
        .len()
        .checked_sub(x.shape.len())
        .ok_or_else(|| ExprError::BroadcastRank {
            from: x.clone(),
            shape: to.to_vec(),
        })?;
    for (dim, &extent) in x.shape.iter().enumerate() {
        let target = to[offset + dim];
        if extent != 1 && extent != target {
            return Err(ExprError::Broadcast {
                from: x.clone(),
                shape: to.to_vec(),
                dim,
                extent,
                target,
            });
        }
    }
    Ok(ValueType::new(x.dtype, to))
}

pub(super) fn reshape(x: &ValueType, to: &[usize]) -> Result<ValueType, ExprError> {
    shape(to)?;
    let from_elements = num_elements(&x.shape).unwrap_or(0);
    let to_elements = num_elements(to).unwrap_or(0);
    if from_elements != to_elements {
        return Err(ExprError::Reshape {
            from: x.clone(),
            shape: to.to_vec(),
            from_elements,
            to_elements,
        });
    }
    Ok(ValueType::new(x.dtype, to))
}

pub(super) fn transpose(x: &ValueType, perm: &[usize]) -> Result<ValueType, ExprError> {
    let rank = x.shape.len();
    let mut seen = vec![false; rank];
    let valid = perm.len() == rank
        && perm
            .iter()
            .all(|&p| p < rank && !std::mem::replace(&mut seen[p], true));
    if !valid {
        return Err(ExprError::Permutation {
            perm: perm.to_vec(),
            rank,
        });
    }
    Ok(ValueType::new(
        x.dtype,
        perm.iter().map(|&p| x.shape[p]).collect::<Vec<_>>(),
    ))
}

pub(super) fn iota(shape_: &[usize], dimension: usize) -> Result<ValueType, ExprError> {
    shape(shape_)?;
    if dimension >= shape_.len() {
        return Err(ExprError::IotaDimension {
            dimension,
            shape: shape_.to_vec(),
        });
    }
    Ok(ValueType::new(DType::I32, shape_))
}

pub(super) fn reduce(
    op: ReduceOp,
    x: &ValueType,
    axes: &[usize],
    keep_dims: bool,
) -> Result<ValueType, ExprError> {
    reduce_dtype(op, x)?;
    let rank = x.shape.len();
    let sorted = axes.windows(2).all(|w| w[0] < w[1]);
    if axes.is_empty() || !sorted || axes.iter().any(|&a| a >= rank) {
        return Err(ExprError::ReduceAxes {
            axes: axes.to_vec(),
            x: x.clone(),
            rank,
        });
    }
    let shape: Vec<usize> = x
        .shape
        .iter()
        .enumerate()
        .filter_map(|(i, &d)| match (axes.contains(&i), keep_dims) {
            (false, _) => Some(d),
            (true, true) => Some(1),
            (true, false) => None,
        })
        .collect();
    Ok(ValueType::new(x.dtype, shape))
}

fn reduce_dtype(op: ReduceOp, x: &ValueType) -> Result<(), ExprError> {
    let (ok, expected) = match op {
        ReduceOp::Mean => (x.dtype.is_float(), "floats"),
        _ => (!x.dtype.is_bool(), "floats or integers"),
    };
    if !ok {
        return Err(ExprError::Dtype {
            op: op.name(),
            dtype: x.dtype,
            expected,
        });
    }
    Ok(())
}

pub(super) fn reduce_lanes(
    op: ReduceOp,
    x: &ValueType,
    lanes: usize,
) -> Result<ValueType, ExprError> {
    reduce_dtype(op, x)?;
    let Some((_, rows)) = x.shape.split_last() else {
        return Err(ExprError::ReduceLanesScalar { x: x.clone() });
    };
    let mut shape = rows.to_vec();
    shape.push(lanes);
    self::shape(&shape)?;
    Ok(ValueType::new(x.dtype, shape))
}

/// One entry per dim in each list.
fn window_rank(
    op: &'static str,
    x: &ValueType,
    start: &[usize],
    size: &[usize],
) -> Result<(), ExprError> {
    let rank = x.shape.len();
    if start.len() != rank || size.len() != rank {
        return Err(ExprError::WindowRank {
            op,
            x: x.clone(),
            start: start.to_vec(),
            size: size.to_vec(),
            rank,
        });
    }
    Ok(())
}

pub(super) fn slice(
    x: &ValueType,
    start: &[usize],
    size: &[usize],
) -> Result<ValueType, ExprError> {
    window_rank("slice", x, start, size)?;
    shape(size)?;
    for (dim, ((&start, &size), &extent)) in start.iter().zip(size).zip(&x.shape).enumerate() {
        let end = start.saturating_add(size);
        if end > extent {
            return Err(ExprError::SliceBounds {
                x: x.clone(),
                dim,
                start,
                end,
                extent,
            });
        }
    }
    Ok(ValueType::new(x.dtype, size))
}

pub(super) fn pad(
    x: &ValueType,
    low: &[usize],
    high: &[usize],
    value: Scalar,
) -> Result<ValueType, ExprError> {
    window_rank("pad", x, low, high)?;
    if !value.fits(x.dtype) {
        return Err(ExprError::ConstantKind {
            value,
            dtype: x.dtype,
        });
    }
    let padded: Vec<usize> = (x.shape.iter().zip(low).zip(high))
        .map(|((&d, &l), &h)| d.saturating_add(l).saturating_add(h))
        .collect();
    shape(&padded)?;
    Ok(ValueType::new(x.dtype, padded))
}

pub(super) fn concatenate(parts: &[&ValueType], axis: usize) -> Result<ValueType, ExprError> {
    let (first, rest) = parts.split_first().ok_or(ExprError::ConcatenateEmpty)?;
    let rank = first.shape.len();
    if axis >= rank {
        return Err(ExprError::ConcatenateAxis {
            axis,
            first: (*first).clone(),
            rank,
        });
    }
    let others = |ty: &ValueType| {
        let mut shape = ty.shape.clone();
        shape.remove(axis);
        (ty.dtype, shape)
    };
    let mut extent = first.shape[axis];
    for (index, part) in rest.iter().enumerate() {
        if part.shape.len() != rank || others(part) != others(first) {
            return Err(ExprError::ConcatenateMismatch {
                index: index + 1,
                part: (*part).clone(),
                first: (*first).clone(),
                axis,
            });
        }
        extent = extent.saturating_add(part.shape[axis]);
    }
    let mut shape = first.shape.clone();
    shape[axis] = extent;
    self::shape(&shape)?;
    Ok(ValueType::new(first.dtype, shape))
}

pub(super) fn dot(
    lhs: &ValueType,
    rhs: &ValueType,
    dims: &DotDims,
    out: DType,
) -> Result<ValueType, ExprError> {
    let (lr, rr, batch) = (lhs.shape.len(), rhs.shape.len(), dims.batch);
    if batch > 1 || lr != batch + 2 || rr != batch + 2 {
        return Err(ExprError::DotRank {
            lhs_rank: lr,
            rhs_rank: rr,
            batch,
        });
    }
    let free_dim = |which, ty: &ValueType, dim: usize| {
        if dim < batch || dim >= batch + 2 {
            return Err(ExprError::DotContractingDim {
                which,
                dim,
                ty: ty.clone(),
            });
        }
        // The other non-batch dim is the free one.
        Ok(2 * batch + 1 - dim)
    };
    let lhs_free = free_dim("lhs", lhs, dims.lhs_contracting)?;
    let rhs_free = free_dim("rhs", rhs, dims.rhs_contracting)?;
    let (lhs_extent, rhs_extent) = (
        lhs.shape[dims.lhs_contracting],
        rhs.shape[dims.rhs_contracting],
    );
    if lhs_extent != rhs_extent {
        return Err(ExprError::DotContracting {
            lhs: lhs.clone(),
            rhs: rhs.clone(),
            lhs_dim: dims.lhs_contracting,
            rhs_dim: dims.rhs_contracting,
            lhs_extent,
            rhs_extent,
        });
    }
    if lhs.shape[..batch] != rhs.shape[..batch] {
        return Err(ExprError::DotBatch {
            lhs: lhs.clone(),
            rhs: rhs.clone(),
        });
    }
    if lhs.dtype != rhs.dtype {
        return Err(ExprError::OperandMismatch {
            op: "dot",
            lhs: lhs.clone(),
            rhs: rhs.clone(),
        });
    }
    let input = lhs.dtype;
    let out_ok = match input {
        DType::I8 => out == DType::I32,
        DType::I32 | DType::I1 => false,
        _ => out == DType::F32 || out == input,
    };
    if !out_ok {
        return Err(ExprError::DotOutDtype { input, out });
    }
    let mut shape = lhs.shape[..batch].to_vec();
    shape.push(lhs.shape[lhs_free]);
    shape.push(rhs.shape[rhs_free]);
    Ok(ValueType::new(out, shape))
}
