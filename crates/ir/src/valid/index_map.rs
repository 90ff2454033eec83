//! Index-map checks: arity, argument use, types, and — when the map reads no
//! scalar-prefetch memory — every block index over the whole grid.

use thiserror::Error;

use crate::{BinaryOp, CompareOp, IndexExpr, IndexMap, Kernel, Operand, Window};

/// Grids with at most this many steps have their prefetch-free index maps evaluated
/// at every step; larger grids are only type-checked.
const MAX_EVALUATED_STEPS: u64 = 1 << 16;

/// A problem with one operand's index map.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum IndexMapError {
    #[error("takes {num_args} arguments but its transform gets {expected} (grid rank {grid_rank} + {prefetch} scalar-prefetch refs); build index maps after declaring every scalar-prefetch operand")]
    Arity {
        num_args: usize,
        expected: usize,
        grid_rank: usize,
        prefetch: usize,
    },
    #[error(
        "returns {results} block indices for an array of rank {rank}; return one per array dim"
    )]
    ResultCount { results: usize, rank: usize },
    #[error("uses argument {arg} as an integer, but only arguments 0..{grid_rank} are grid indices; read scalar-prefetch arguments with a load")]
    NotAGridIndex { arg: usize, grid_rank: usize },
    #[error(
        "loads from argument {arg}, but scalar-prefetch arguments are {grid_rank}..{num_args}"
    )]
    NotAPrefetchRef {
        arg: usize,
        grid_rank: usize,
        num_args: usize,
    },
    #[error("loads argument {arg} with {indices} indices, but that scalar-prefetch ref has rank {rank}; give one index per dim")]
    LoadRank {
        arg: usize,
        indices: usize,
        rank: usize,
    },
    #[error("uses a comparison as an integer; turn it into one with select")]
    BoolAsInt,
    #[error("uses an integer as a select condition; compare it (lt, eq, ...) first")]
    IntAsBool,
    #[error("divides by the constant 0")]
    DivisionByZero,
    #[error("result {dim} divides by zero at grid point {point:?}")]
    DivisionByZeroAt { dim: usize, point: Vec<usize> },
    #[error("result {dim} is block index {index} at grid point {point:?}, outside 0..{blocks} ({blocks} blocks of {block} in extent {extent}); clamp it with min/max")]
    BlockIndexOutOfRange {
        dim: usize,
        index: i32,
        point: Vec<usize>,
        blocks: usize,
        block: usize,
        extent: usize,
    },
}

/// What an index expression produces.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Bool,
}

/// Checks the map of a windowed operand.
pub(super) fn check(
    kernel: &Kernel,
    operand: &Operand,
    window: &Window,
) -> Result<(), IndexMapError> {
    let map = &window.index_map;
    let grid_rank = kernel.grid.rank();
    let prefetch = kernel.scalar_prefetch.len();
    if map.num_args != grid_rank + prefetch {
        return Err(IndexMapError::Arity {
            num_args: map.num_args,
            expected: grid_rank + prefetch,
            grid_rank,
            prefetch,
        });
    }
    if map.results.len() != operand.shape.len() {
        return Err(IndexMapError::ResultCount {
            results: map.results.len(),
            rank: operand.shape.len(),
        });
    }
    let types = Types {
        kernel,
        num_args: map.num_args,
    };
    for result in &map.results {
        types.expect(result, Kind::Int)?;
    }
    let evaluable = kernel
        .grid
        .steps()
        .is_some_and(|n| n <= MAX_EVALUATED_STEPS);
    if evaluable && !map.results.iter().any(IndexExpr::reads_prefetch) {
        check_ranges(map, &kernel.grid.grid, operand, window)?;
    }
    Ok(())
}

struct Types<'k> {
    kernel: &'k Kernel,
    num_args: usize,
}

impl Types<'_> {
    fn expect(&self, expr: &IndexExpr, want: Kind) -> Result<(), IndexMapError> {
        match (self.kind(expr)?, want) {
            (Kind::Bool, Kind::Int) => Err(IndexMapError::BoolAsInt),
            (Kind::Int, Kind::Bool) => Err(IndexMapError::IntAsBool),
            _ => Ok(()),
        }
    }

    fn kind(&self, expr: &IndexExpr) -> Result<Kind, IndexMapError> {
        let grid_rank = self.kernel.grid.rank();
        match expr {
            IndexExpr::Const(_) => Ok(Kind::Int),
            IndexExpr::Arg(arg) if *arg < grid_rank => Ok(Kind::Int),
            IndexExpr::Arg(arg) => Err(IndexMapError::NotAGridIndex {
                arg: *arg,
                grid_rank,
            }),
            IndexExpr::Binary { op, lhs, rhs } => {
                self.expect(lhs, Kind::Int)?;
                self.expect(rhs, Kind::Int)?;
                if matches!(op, BinaryOp::Div | BinaryOp::Rem) && **rhs == IndexExpr::Const(0) {
                    return Err(IndexMapError::DivisionByZero);
                }
                Ok(Kind::Int)
            }
            IndexExpr::Compare { lhs, rhs, .. } => {
                self.expect(lhs, Kind::Int)?;
                self.expect(rhs, Kind::Int)?;
                Ok(Kind::Bool)
            }
            IndexExpr::Select {
                cond,
                on_true,
                on_false,
            } => {
                self.expect(cond, Kind::Bool)?;
                self.expect(on_true, Kind::Int)?;
                self.expect(on_false, Kind::Int)?;
                Ok(Kind::Int)
            }
            IndexExpr::Load { arg, indices } => {
                let prefetch = arg
                    .checked_sub(grid_rank)
                    .and_then(|i| self.kernel.scalar_prefetch.get(i))
                    .filter(|_| *arg < self.num_args)
                    .ok_or(IndexMapError::NotAPrefetchRef {
                        arg: *arg,
                        grid_rank,
                        num_args: self.num_args,
                    })?;
                if indices.len() != prefetch.shape.len() {
                    return Err(IndexMapError::LoadRank {
                        arg: *arg,
                        indices: indices.len(),
                        rank: prefetch.shape.len(),
                    });
                }
                for index in indices {
                    self.expect(index, Kind::Int)?;
                }
                Ok(Kind::Int)
            }
        }
    }
}

/// Evaluates every result at every grid point and checks it names an existing block.
fn check_ranges(
    map: &IndexMap,
    grid: &[usize],
    operand: &Operand,
    window: &Window,
) -> Result<(), IndexMapError> {
    let mut point = vec![0usize; grid.len()];
    loop {
        let args: Vec<i32> = point.iter().map(|&p| p as i32).collect();
        for (dim, result) in map.results.iter().enumerate() {
            let index = eval(result, &args).ok_or_else(|| IndexMapError::DivisionByZeroAt {
                dim,
                point: point.clone(),
            })?;
            let block = window.block_shape[dim].extent();
            let extent = operand.shape[dim];
            let blocks = extent.div_ceil(block);
            if usize::try_from(index).map_or(true, |i| i >= blocks) {
                return Err(IndexMapError::BlockIndexOutOfRange {
                    dim,
                    index,
                    point,
                    blocks,
                    block,
                    extent,
                });
            }
        }
        // Odometer step, last axis fastest; done when every axis wrapped.
        let Some(axis) = (0..grid.len()).rev().find(|&a| point[a] + 1 < grid[a]) else {
            return Ok(());
        };
        point[axis] += 1;
        point[axis + 1..].iter_mut().for_each(|p| *p = 0);
    }
}

/// Value of a type-checked, prefetch-free expression (booleans as 0/1); `None` on a
/// division by zero.
fn eval(expr: &IndexExpr, args: &[i32]) -> Option<i32> {
    Some(match expr {
        IndexExpr::Const(v) => *v,
        IndexExpr::Arg(arg) => args[*arg],
        IndexExpr::Binary { op, lhs, rhs } => {
            let (a, b) = (eval(lhs, args)?, eval(rhs, args)?);
            match op {
                BinaryOp::Add => a.wrapping_add(b),
                BinaryOp::Sub => a.wrapping_sub(b),
                BinaryOp::Mul => a.wrapping_mul(b),
                BinaryOp::Div => a
                    .checked_div(b)
                    .or_else(|| (b != 0).then(|| a.wrapping_div(b)))?,
                BinaryOp::Rem => a
                    .checked_rem(b)
                    .or_else(|| (b != 0).then(|| a.wrapping_rem(b)))?,
                BinaryOp::Max => a.max(b),
                BinaryOp::Min => a.min(b),
                BinaryOp::And => a & b,
                BinaryOp::Or => a | b,
            }
        }
        IndexExpr::Compare { op, lhs, rhs } => {
            let (a, b) = (eval(lhs, args)?, eval(rhs, args)?);
            i32::from(match op {
                CompareOp::Eq => a == b,
                CompareOp::Ne => a != b,
                CompareOp::Lt => a < b,
                CompareOp::Le => a <= b,
                CompareOp::Gt => a > b,
                CompareOp::Ge => a >= b,
            })
        }
        IndexExpr::Select {
            cond,
            on_true,
            on_false,
        } => {
            if eval(cond, args)? != 0 {
                eval(on_true, args)?
            } else {
                eval(on_false, args)?
            }
        }
        IndexExpr::Load { .. } => return None,
    })
}
