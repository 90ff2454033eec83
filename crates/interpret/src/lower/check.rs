//! Range checks the program records in its diagnostic (see [`crate::diagnostic`]).

use pallas_flash_ir::DType;

use super::{Lowering, Slot};
use crate::diagnostic::Code;
use pallas_flash_stablehlo::Tensor;

impl Lowering<'_> {
    /// Records `[code, what, dim, value, max, step]` unless `value` is in `0..=max` or
    /// an earlier problem is already recorded.
    pub(super) fn check_range(
        &mut self,
        code: Code,
        what: usize,
        dim: usize,
        value: &Tensor,
        max: usize,
    ) {
        let zero = self.w.i32(0);
        let limit = self.w.i32(max as i64);
        let below = self.w.compare("LT", value, &zero);
        let above = self.w.compare("GT", value, &limit);
        let bad = self.w.elementwise("or", &[below, above], DType::I1);
        let record = self.state[&Slot::Diag].clone();
        let first = self.w.slice(&record, &[0], &[1], &[1]);
        let first = self.w.reshape(&first, &[]);
        let clear = self.w.compare("EQ", &first, &zero);
        let now = self.w.elementwise("and", &[bad, clear], DType::I1);
        let step = self.step.clone().expect("checks run inside the grid loop");
        let mut fields = Vec::new();
        for number in [code as i64, what as i64, dim as i64] {
            fields.push(self.w.i32(number));
        }
        fields.extend([value.clone(), limit, step]);
        let fields: Vec<Tensor> = fields.iter().map(|f| self.w.reshape(f, &[1])).collect();
        let entry = self.w.concatenate(&fields, 0);
        let record = self.w.select(&now, &entry, &record);
        self.state.insert(Slot::Diag, record);
    }
}
