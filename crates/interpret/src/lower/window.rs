//! BlockSpec windows: index maps, block offsets, reading a window and writing it back.

use pallas_flash_ir::{DType, IndexExpr, Operand, Window};

use super::{expr, Lowering};
use crate::diagnostic::Code;
use pallas_flash_stablehlo::Tensor;

/// The array's shape rounded up to whole blocks (unchanged without a window).
pub(crate) fn padded_shape(operand: &Operand) -> Vec<usize> {
    match &operand.spec.window {
        Some(window) => (operand.shape.iter().zip(window.window_bounds()))
            .map(|(extent, block)| extent.div_ceil(block) * block)
            .collect(),
        None => operand.shape.clone(),
    }
}

impl Lowering<'_> {
    /// This step's block indices for operand `number` (inputs, then outputs); an index
    /// outside the array is recorded as a diagnostic.
    pub(super) fn block_index(
        &mut self,
        number: usize,
        operand: &Operand,
        window: &Window,
    ) -> Vec<Tensor> {
        let results = &window.index_map.results;
        (results.iter().enumerate())
            .map(|(dim, e)| {
                let index = self.index_expr(e);
                let blocks = operand.shape[dim].div_ceil(window.block_shape[dim].extent());
                if !self.always_within(e, blocks) {
                    self.check_range(Code::BlockIndex, number, dim, &index, blocks - 1);
                }
                index
            })
            .collect()
    }

    /// Whether `e` is in `0..blocks` at every step without looking at data: a constant,
    /// or a grid index whose extent fits.
    fn always_within(&self, e: &IndexExpr, blocks: usize) -> bool {
        match e {
            IndexExpr::Const(c) => usize::try_from(*c).is_ok_and(|c| c < blocks),
            IndexExpr::Arg(axis) => self.kernel.grid.grid[*axis] <= blocks,
            _ => false,
        }
    }

    fn index_expr(&mut self, e: &IndexExpr) -> Tensor {
        match e {
            IndexExpr::Const(c) => self.w.i32((*c).into()),
            IndexExpr::Arg(axis) => self.grid[*axis].clone(),
            IndexExpr::Binary { op, lhs, rhs } => {
                let args = [self.index_expr(lhs), self.index_expr(rhs)];
                self.w.elementwise(expr::binary_op(*op), &args, DType::I32)
            }
            IndexExpr::Compare { op, lhs, rhs } => {
                let (a, b) = (self.index_expr(lhs), self.index_expr(rhs));
                self.w.compare(expr::direction(*op), &a, &b)
            }
            IndexExpr::Select {
                cond,
                on_true,
                on_false,
            } => {
                let c = self.index_expr(cond);
                let (t, f) = (self.index_expr(on_true), self.index_expr(on_false));
                self.w.select(&c, &t, &f)
            }
            IndexExpr::Load { arg, indices } => {
                let table = self.prefetch[arg - self.kernel.grid.rank()].clone();
                let at: Vec<Tensor> = indices.iter().map(|i| self.index_expr(i)).collect();
                let element = self.w.dynamic_slice(&table, &at, &vec![1; at.len()]);
                self.w.reshape(&element, &[])
            }
        }
    }

    /// Element offsets of a block: index × block extent per dim.
    fn offsets(&mut self, window: &Window, index: &[Tensor]) -> Vec<Tensor> {
        (window.block_shape.iter().zip(index))
            .map(|(dim, i)| match dim.extent() {
                1 => i.clone(),
                extent => {
                    let e = self.w.i32(extent as i64);
                    self.w.elementwise("multiply", &[i.clone(), e], DType::I32)
                }
            })
            .collect()
    }

    /// The window of the (padded) `array` at `index`, squeezed dims dropped.
    pub(super) fn read_window(
        &mut self,
        array: &Tensor,
        window: &Window,
        index: &[Tensor],
    ) -> Tensor {
        let offsets = self.offsets(window, index);
        let block = self
            .w
            .dynamic_slice(array, &offsets, &window.window_bounds());
        self.w.reshape(&block, &window.ref_shape())
    }

    /// `array` with `block` written back at `index`.
    pub(super) fn write_window(
        &mut self,
        array: &Tensor,
        block: &Tensor,
        window: &Window,
        index: &[Tensor],
    ) -> Tensor {
        let offsets = self.offsets(window, index);
        let block = self.w.reshape(block, &window.window_bounds());
        self.w.dynamic_update_slice(array, &block, &offsets)
    }

    /// `i1` scalar: whether any index differs from the previous step's.
    pub(super) fn any_differs(&mut self, index: &[Tensor], previous: &[Tensor]) -> Tensor {
        let mut differs: Option<Tensor> = None;
        for (i, p) in index.iter().zip(previous) {
            let ne = self.w.compare("NE", i, p);
            differs = Some(match differs {
                Some(d) => self.w.elementwise("or", &[d, ne], DType::I1),
                None => ne,
            });
        }
        differs.expect("operands have rank >= 1")
    }
}
