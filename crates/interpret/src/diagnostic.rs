//! The diagnostic record the program returns after its outputs: the first index that
//! left its array during the run, which `dynamic_slice` would otherwise clamp silently.
//!
//! Layout (`i32[6]`): `[code, what, dim, value, max, step]`; code 0 means nothing went
//! wrong. `what` numbers operands (inputs, then outputs) for block indices and refs in
//! Mosaic argument order ([`Kernel::refs`]) for offsets; a value is bad when it is
//! outside `0..=max`.

use pallas_flash_ir::{DType, Kernel};
use pallas_flash_stablehlo::TensorType;

use crate::Error;

/// Number of `i32`s in the record.
const LEN: usize = 6;

/// What a record reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Code {
    /// An index map returned a block index outside the array.
    BlockIndex = 1,
    /// A dynamic index or slice start in the body reached outside its ref.
    Offset = 2,
}

/// The record's type in the program.
pub(crate) fn value_type() -> TensorType {
    TensorType::new([LEN], DType::I32)
}

/// The error a downloaded record describes, `None` when it is clear.
pub(crate) fn decode(kernel: &Kernel, record: &[i32]) -> Option<Error> {
    let &[code, what, dim, value, max, step] = record else {
        return None;
    };
    let (what, dim) = (what as usize, dim as usize);
    let point = grid_point(&kernel.grid.grid, step as usize);
    if code == Code::BlockIndex as i32 {
        let (side, operand) = match kernel.inputs.get(what) {
            Some(o) => ("input", o),
            None => ("output", &kernel.outputs[what - kernel.inputs.len()]),
        };
        let window = operand.spec.window.as_ref()?;
        let block = window.block_shape[dim].extent();
        return Some(Error::BlockIndexOutOfRange {
            operand: format!("{side} `{}`", operand.name),
            dim,
            index: value,
            point,
            blocks: max as usize + 1,
            block,
            extent: operand.shape[dim],
        });
    }
    if code == Code::Offset as i32 {
        let id = kernel.refs().nth(what)?;
        return Some(Error::OffsetOutOfRange {
            name: kernel.ref_name(id)?.to_owned(),
            dim,
            offset: value,
            max,
            point,
        });
    }
    None
}

/// The grid point of linear step `step` (row-major, last axis fastest).
fn grid_point(grid: &[usize], mut step: usize) -> Vec<usize> {
    let mut point = vec![0; grid.len()];
    for (p, &extent) in point.iter_mut().zip(grid).rev() {
        *p = step % extent;
        step /= extent;
    }
    point
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_points_are_row_major() {
        assert_eq!(grid_point(&[2, 3, 4], 0), [0, 0, 0]);
        assert_eq!(grid_point(&[2, 3, 4], 5), [0, 1, 1]);
        assert_eq!(grid_point(&[2, 3, 4], 23), [1, 2, 3]);
    }
}
