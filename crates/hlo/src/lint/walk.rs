//! Walking from a kernel to the ops that feed it and drain it.
//!
//! Both walks look through what does not move data (bitcasts, tuples, prefetches) and
//! through what does (reporting it), and stop at real computation, parameters and other
//! kernels. Worklists rather than recursion: a dump with a long chain must not overflow.

use super::cause::Cause;
use super::finding::{Finding, Side};
use super::judge::{judge, plain_view, OpView, Verdict};
use crate::instruction::Instruction;
use crate::module::{Computation, HloModule};
use std::collections::HashSet;

/// One step of a walk: the op as judged, and where the data goes on from it.
struct Step<'m> {
    view: OpView<'m>,
    next: Vec<&'m str>,
}

pub(crate) struct Walker<'m> {
    module: &'m HloModule,
    comp: &'m Computation,
    seen: HashSet<&'m str>,
    pub(crate) findings: Vec<Finding>,
}

impl<'m> Walker<'m> {
    pub(crate) fn new(module: &'m HloModule, comp: &'m Computation) -> Self {
        Self {
            module,
            comp,
            seen: HashSet::new(),
            findings: Vec::new(),
        }
    }

    /// Producers of `kernel`'s operands, back to the nearest computation or parameter.
    pub(crate) fn feed(&mut self, kernel: &'m Instruction) {
        for (index, operand) in kernel.operands.iter().enumerate() {
            self.feed_operand(index, vec![operand.name.as_str()]);
        }
    }

    /// The same for a kernel that XLA fused with producers of its operands (a `kCustom`
    /// fusion, made when the kernel allows input fusion): what is inside `fused` is read
    /// in place by the kernel and moves nothing; the walk goes on from the fusion's
    /// operands in this walker's computation.
    pub(crate) fn feed_fused(
        &mut self,
        kernel: &'m Instruction,
        fused: &'m Computation,
        fusion: &'m Instruction,
    ) {
        for (index, operand) in kernel.operands.iter().enumerate() {
            let mut starts = Vec::new();
            let mut inside = vec![operand.name.as_str()];
            let mut seen = HashSet::new();
            while let Some(name) = inside.pop() {
                let Some(inst) = fused.get(name).filter(|_| seen.insert(name)) else {
                    continue;
                };
                match inst.parameter_number() {
                    Some(n) => starts.extend(fusion.operands.get(n).map(|o| o.name.as_str())),
                    None => inside.extend(inst.operands.iter().map(|o| o.name.as_str())),
                }
            }
            self.feed_operand(index, starts);
        }
    }

    /// Walks back from `work`, the values that reach operand `index`.
    fn feed_operand(&mut self, index: usize, mut work: Vec<&'m str>) {
        while let Some(name) = work.pop() {
            let Some(inst) = self.comp.get(name) else {
                continue;
            };
            if !self.seen.insert(&inst.name) {
                continue;
            }
            if let Some(step) = self.producer(inst) {
                work.extend(self.record(step, Side::Feed, Some(index)));
            }
        }
    }

    /// Consumers of `kernel`'s result, on to the nearest computation or the module output.
    pub(crate) fn drain(&mut self, kernel: &'m Instruction) {
        let mut work = vec![kernel.name.as_str()];
        while let Some(name) = work.pop() {
            for (user, position) in self.comp.users(name) {
                if !self.seen.insert(&user.name) {
                    continue;
                }
                for step in self.consumers(user, position) {
                    work.extend(self.record(step, Side::Drain, None));
                }
            }
        }
    }

    /// Judges a step, records a finding if it moves data, returns where to go on.
    fn record(&mut self, step: Step<'m>, side: Side, operand: Option<usize>) -> Vec<&'m str> {
        let (kind, cause) = match judge(self.module, &step.view) {
            Verdict::Stop => return Vec::new(),
            Verdict::Pass => return step.next,
            Verdict::Trap(kind, cause) => (kind, cause),
        };
        let show = |s: Option<&crate::shape::Shape>| {
            s.map(ToString::to_string).unwrap_or_else(|| "?".into())
        };
        let inst = step.view.at;
        self.findings.push(Finding {
            kind,
            side,
            operand,
            instruction: inst.name.clone(),
            computation: self.comp.name.clone(),
            line: inst.line,
            bytes: step.view.output.bytes(),
            from: show(step.view.input),
            to: show(Some(step.view.output)),
            cause,
            cure: cause.cure(side).to_string(),
        });
        // A fusion that slices or pads reads one array; its other operands are indices
        // or pad values, whose producers feed nothing the kernel reads.
        if side == Side::Feed
            && inst.opcode == "fusion"
            && matches!(cause, Cause::Slice | Cause::Pad)
        {
            return step.view.source.into_iter().collect();
        }
        step.next
    }

    /// How `inst` produces its value, seen from a consumer.
    fn producer(&self, inst: &'m Instruction) -> Option<Step<'m>> {
        let first = |i: &'m Instruction| i.operands.first().map(|o| o.name.as_str());
        match inst.opcode.as_str() {
            "copy-done" | "async-done" => {
                let start = self.comp.get(first(inst)?)?;
                let view = self.async_view(start, inst)?;
                Some(Step {
                    next: data_inputs(view.opcode, start),
                    view,
                })
            }
            "get-tuple-element" => {
                let tuple = self.comp.get(first(inst)?)?;
                let next = match (tuple.opcode.as_str(), inst.tuple_index()) {
                    ("tuple", Some(i)) => tuple.operands.get(i).map(|o| o.name.as_str()),
                    _ => Some(tuple.name.as_str()),
                };
                Some(Step {
                    view: plain_view(self.comp, inst),
                    next: next.into_iter().collect(),
                })
            }
            _ => Some(Step {
                view: plain_view(self.comp, inst),
                next: data_inputs(&inst.opcode, inst),
            }),
        }
    }

    /// How `user` consumes the value walked (its operand at `position`).
    fn consumers(&self, user: &'m Instruction, position: usize) -> Vec<Step<'m>> {
        let users_named = |of: &'m str, opcode: &'static str| {
            self.comp
                .users(of)
                .filter(move |(u, _)| u.opcode == opcode)
                .map(|(u, _)| u)
        };
        match user.opcode.as_str() {
            "copy-start" | "async-start" => {
                let done = if user.opcode == "copy-start" {
                    "copy-done"
                } else {
                    "async-done"
                };
                users_named(&user.name, done)
                    .filter_map(|d| {
                        Some(Step {
                            view: self.async_view(user, d)?,
                            next: vec![&d.name],
                        })
                    })
                    .collect()
            }
            "tuple" => {
                let next = users_named(&user.name, "get-tuple-element")
                    .filter(|g| g.tuple_index() == Some(position))
                    .map(|g| g.name.as_str())
                    .collect();
                vec![Step {
                    view: plain_view(self.comp, user),
                    next,
                }]
            }
            op if position > 0 && op != "fusion" => Vec::new(),
            _ => vec![Step {
                view: plain_view(self.comp, user),
                next: vec![&user.name],
            }],
        }
    }

    /// For an async pair: the op it runs (the wrapped computation's root, or the copy
    /// itself), the shape of the start's operand going in, and the done half's shape
    /// coming out.
    fn async_view(&self, start: &'m Instruction, done: &'m Instruction) -> Option<OpView<'m>> {
        let operand = start.operands.first()?;
        let source = Some(operand.name.as_str());
        let input = self.comp.operand_shape(operand);
        let (opcode, inst) = match start.opcode.as_str() {
            "copy-start" => ("copy-done", done),
            "async-start" => {
                let wrapped = self
                    .module
                    .computation(start.called_computations().first()?)?
                    .root()?;
                (wrapped.opcode.as_str(), wrapped)
            }
            _ => return None,
        };
        Some(OpView {
            opcode,
            inst,
            at: done,
            input,
            source,
            output: &done.shape,
        })
    }
}

/// Operands that carry the data (not pad values or slice indices).
fn data_inputs<'m>(opcode: &str, inst: &'m Instruction) -> Vec<&'m str> {
    let names = inst.operands.iter().map(|o| o.name.as_str());
    match opcode {
        "fusion" | "tuple" => names.collect(),
        _ => names.take(1).collect(),
    }
}
