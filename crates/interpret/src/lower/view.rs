//! Ref views: loads, stores and DMA copies as slices of the ref's current value.
//!
//! A view covers, per dim, `span = (size - 1) * stride + 1` elements from its start
//! (1 for `at`). Reads slice that span and keep every `stride`-th element; writes
//! spread the value over the span with interior padding and merge it under a mask,
//! so strided stores need no scatter. Dynamic starts are range-checked into the
//! diagnostic, because `dynamic_slice` would clamp them silently.

use pallas_flash_ir::{DType, Dim, Indexer, RefId, RefView};

use super::{Lowering, Slot};
use crate::diagnostic::Code;
use pallas_flash_stablehlo::Tensor;

/// One dim of a view: where it starts, how many elements it spans, its stride, and
/// whether the dim is kept (`ds`) or dropped (`at`).
struct Span {
    start: Dim,
    span: usize,
    stride: usize,
    kept: Option<usize>,
}

fn spans(view: &RefView) -> Vec<Span> {
    (view.indexers.iter())
        .map(|ix| match *ix {
            Indexer::At(start) => Span {
                start,
                span: 1,
                stride: 1,
                kept: None,
            },
            Indexer::Slice {
                start,
                size,
                stride,
            } => Span {
                start,
                span: (size - 1) * stride + 1,
                stride,
                kept: Some(size),
            },
        })
        .collect()
}

impl Lowering<'_> {
    /// The value a load of `view` reads.
    pub(super) fn load(&mut self, view: &RefView) -> Tensor {
        let base = self.ref_value(view.base);
        if view.indexers.is_empty() {
            return base;
        }
        let spans = spans(view);
        let starts = self.starts(view.base, &base, &spans);
        let sizes: Vec<usize> = spans.iter().map(|s| s.span).collect();
        let mut region = self.w.dynamic_slice(&base, &starts, &sizes);
        if spans.iter().any(|s| s.stride > 1) {
            let strides: Vec<usize> = spans.iter().map(|s| s.stride).collect();
            region = self
                .w
                .slice(&region, &vec![0; sizes.len()], &sizes, &strides);
        }
        let kept: Vec<usize> = spans.iter().filter_map(|s| s.kept).collect();
        self.w.reshape(&region, &kept)
    }

    /// Writes `value` (the view's type) into `view`.
    pub(super) fn store(&mut self, view: &RefView, value: &Tensor) {
        let slot = match view.base {
            RefId::Output(i) => Slot::Output(i),
            RefId::Scratch(i) => Slot::Scratch(i),
            RefId::Input(_) | RefId::Prefetch(_) => {
                unreachable!("validation rejects stores to read-only refs")
            }
        };
        if view.indexers.is_empty() {
            self.state.insert(slot, value.clone());
            return;
        }
        let base = self.ref_value(view.base);
        let spans = spans(view);
        let starts = self.starts(view.base, &base, &spans);
        let sizes: Vec<usize> = spans.iter().map(|s| s.kept.unwrap_or(1)).collect();
        let mut update = self.w.reshape(value, &sizes);
        if spans.iter().any(|s| s.stride > 1) {
            update = self.spread(&base, &starts, &spans, &update);
        }
        let written = self.w.dynamic_update_slice(&base, &update, &starts);
        self.state.insert(slot, written);
    }

    /// `update` placed every `stride` elements over the view's span, the elements in
    /// between taken from `base`.
    fn spread(
        &mut self,
        base: &Tensor,
        starts: &[Tensor],
        spans: &[Span],
        update: &Tensor,
    ) -> Tensor {
        let sizes: Vec<usize> = spans.iter().map(|s| s.span).collect();
        let current = self.w.dynamic_slice(base, starts, &sizes);
        let interior: Vec<usize> = spans.iter().map(|s| s.stride - 1).collect();
        let filler = self.unspecified(update.ty.dtype, &[]);
        let zeros = vec![0; sizes.len()];
        let spread = self.w.pad(update, &filler, [&zeros, &zeros, &interior]);
        let mut mask: Option<Tensor> = None;
        for (dim, s) in spans.iter().enumerate().filter(|(_, s)| s.stride > 1) {
            let position = self.w.iota(&sizes, dim);
            let stride = self.w.constant(position.ty.clone(), &s.stride.to_string());
            let phase = self
                .w
                .elementwise("remainder", &[position.clone(), stride], DType::I32);
            let zero = self.w.constant(position.ty.clone(), "0");
            let on = self.w.compare("EQ", &phase, &zero);
            mask = Some(match mask {
                Some(m) => self.w.elementwise("and", &[m, on], DType::I1),
                None => on,
            });
        }
        let mask = mask.expect("called only with a strided dim");
        self.w.select(&mask, &spread, &current)
    }

    /// Start offsets as `i32` scalars; dynamic ones are range-checked.
    fn starts(&mut self, id: RefId, base: &Tensor, spans: &[Span]) -> Vec<Tensor> {
        let position = self
            .kernel
            .refs()
            .position(|r| r == id)
            .expect("validated refs exist");
        (spans.iter().enumerate())
            .map(|(dim, s)| match s.start {
                Dim::Static(start) => self.w.i32(start as i64),
                Dim::Dynamic(v) => {
                    let start = self.value(v);
                    let max = base.ty.shape[dim] - s.span;
                    self.check_range(Code::Offset, position, dim, &start, max);
                    start
                }
            })
            .collect()
    }
}
