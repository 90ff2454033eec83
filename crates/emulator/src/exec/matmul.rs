//! `tpu.matmul`: `acc + lhs · rhs` contracted as its dimension numbers say, accumulated in
//! f32 (the MXU's accumulator; bf16 operands are exact in f32) or i32 for integer operands.

use super::arith::{round_all, vector};
use super::value::{Data, Value, Vector};
use super::vector::transpose;
use crate::error::Fault;
use crate::module::DotDims;
use crate::types::Elem;

/// Moves `dims` of `v` into the given order and returns the flat data.
fn arranged(v: &Vector, order: &[usize]) -> Result<Data, Fault> {
    if order.iter().enumerate().all(|(i, d)| i == *d) {
        return Ok(v.data.clone());
    }
    Ok(transpose(v, order)?.vector()?.data.clone())
}

fn swap_last_two(v: &Vector) -> Result<Vector, Fault> {
    let rank = v.shape.len();
    if rank < 2 {
        return Err(Fault::ty("a transposed matmul operand needs rank 2"));
    }
    let mut perm: Vec<usize> = (0..rank).collect();
    perm.swap(rank - 2, rank - 1);
    Ok((**transpose(v, &perm)?.vector()?).clone())
}

pub fn matmul(
    lhs: &Vector,
    rhs: &Vector,
    acc: &Vector,
    dims: &DotDims,
    transpose_lhs: bool,
    transpose_rhs: bool,
    elem: Elem,
) -> Result<Value, Fault> {
    let (lt, rt);
    let lhs = if transpose_lhs {
        lt = swap_last_two(lhs)?;
        &lt
    } else {
        lhs
    };
    let rhs = if transpose_rhs {
        rt = swap_last_two(rhs)?;
        &rt
    } else {
        rhs
    };
    let natural: Vec<(usize, usize)> = dims
        .lhs_batch
        .iter()
        .map(|d| (0, *d))
        .chain(dims.lhs_free.iter().map(|d| (0, *d)))
        .chain(dims.rhs_free.iter().map(|d| (1, *d)))
        .collect();
    if dims.output != natural && dims.output != natural[dims.lhs_batch.len()..] {
        return Err(Fault::ty(format!(
            "matmul output order {:?} (expected batch, lhs free, rhs free)",
            dims.output
        )));
    }
    let size = |v: &Vector, ds: &[usize]| -> Result<usize, Fault> {
        ds.iter()
            .map(|d| {
                v.shape
                    .get(*d)
                    .copied()
                    .ok_or_else(|| Fault::ty(format!("dim {d} of {:?}", v.shape)))
            })
            .product()
    };
    let (b, m, k) = (
        size(lhs, &dims.lhs_batch)?,
        size(lhs, &dims.lhs_free)?,
        size(lhs, &dims.lhs_contracting)?,
    );
    let (rb, n, rk) = (
        size(rhs, &dims.rhs_batch)?,
        size(rhs, &dims.rhs_free)?,
        size(rhs, &dims.rhs_contracting)?,
    );
    if b != rb || k != rk {
        return Err(Fault::ty(format!(
            "matmul of {:?} and {:?}: batch {b} vs {rb}, contraction {k} vs {rk}",
            lhs.shape, rhs.shape
        )));
    }
    if acc.data.len() != b * m * n {
        return Err(Fault::ty(format!(
            "matmul accumulator {:?} for a {b}x{m}x{n} result",
            acc.shape
        )));
    }
    let lhs_order: Vec<usize> = dims
        .lhs_batch
        .iter()
        .chain(&dims.lhs_free)
        .chain(&dims.lhs_contracting)
        .copied()
        .collect();
    let rhs_order: Vec<usize> = dims
        .rhs_batch
        .iter()
        .chain(&dims.rhs_contracting)
        .chain(&dims.rhs_free)
        .copied()
        .collect();
    let (l, r) = (arranged(lhs, &lhs_order)?, arranged(rhs, &rhs_order)?);
    let data = match (&l, &r, &acc.data) {
        (Data::F(l), Data::F(r), Data::F(a)) => {
            let mut out = a.clone();
            for bi in 0..b {
                for mi in 0..m {
                    let row = &mut out[(bi * m + mi) * n..(bi * m + mi + 1) * n];
                    let lrow = &l[(bi * m + mi) * k..(bi * m + mi + 1) * k];
                    for (ki, &x) in lrow.iter().enumerate() {
                        let rrow = &r[(bi * k + ki) * n..(bi * k + ki + 1) * n];
                        row.iter_mut().zip(rrow).for_each(|(o, y)| *o += x * y);
                    }
                }
            }
            round_all(elem, &mut out);
            Data::F(out)
        }
        (Data::I(l), Data::I(r), Data::I(a)) => {
            let mut out = a.clone();
            for bi in 0..b {
                for mi in 0..m {
                    for ki in 0..k {
                        let x = l[(bi * m + mi) * k + ki];
                        for ni in 0..n {
                            let o = &mut out[(bi * m + mi) * n + ni];
                            *o = o.wrapping_add(x.wrapping_mul(r[(bi * k + ki) * n + ni]));
                        }
                    }
                }
            }
            Data::I(out)
        }
        _ => return Err(Fault::ty("matmul mixing float and integer operands")),
    };
    Ok(vector(acc.shape.clone(), elem, data))
}
