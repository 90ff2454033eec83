//! Deciding whether one op next to a kernel moves data, by comparing layouts.
//!
//! Opcodes alone mislead: XLA's prefetch is a `copy-start` that only changes the memory
//! space, a `transpose` can be a bitcast. So every verdict here compares the source and
//! destination arrangement in memory, and the cause of a move ([`super::cause`]) is read
//! from the same two layouts.

use super::cause::{classify, Cause};
use super::finding::FindingKind;
use crate::instruction::Instruction;
use crate::module::{Computation, HloModule};
use crate::shape::{ArrayShape, Shape};
use std::collections::HashSet;

/// What to do with an op met while walking away from a kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Data flows through unchanged in memory: keep walking, report nothing.
    Pass,
    /// Data is moved or rearranged: report it, keep walking.
    Trap(FindingKind, Cause),
    /// Real computation or a source/sink of data: stop here.
    Stop,
}

/// An op as the lint sees it: for async pairs the wrapped op, with the shape that goes in
/// (from the start half's operand) and the shape that comes out (from the done half).
pub(crate) struct OpView<'m> {
    pub opcode: &'m str,
    /// The op that does the work (for async pairs, inside the wrapped computation).
    pub inst: &'m Instruction,
    /// The op to report: the instruction in the walked computation.
    pub at: &'m Instruction,
    pub input: Option<&'m Shape>,
    /// The value `input` is the shape of.
    pub source: Option<&'m str>,
    pub output: &'m Shape,
}

/// Ops a pure relayout fusion may contain.
const MOVEMENT_OPS: &[&str] = &[
    "parameter",
    "constant",
    "bitcast",
    "copy",
    "transpose",
    "reshape",
    "slice",
    "dynamic-slice",
    "pad",
    "broadcast",
    "tuple",
    "get-tuple-element",
    "convert",
    "concatenate",
    "fusion",
    "gather",
];

/// Ops that build their result from pieces of their operands: growth is not a pad.
const ASSEMBLING_OPS: &[&str] = &["concatenate", "gather"];

/// The verdict on one op, with the cause of any move it makes.
pub(crate) fn judge(module: &HloModule, view: &OpView) -> Verdict {
    let kind = match view.opcode {
        "bitcast" | "get-tuple-element" | "tuple" => return Verdict::Pass,
        "copy" => changed(view, FindingKind::Copy),
        "copy-done" => changed(view, FindingKind::AsyncCopy),
        "convert" => convert(view),
        "transpose" => transpose(view),
        "reshape" => Some(FindingKind::Relayout),
        "pad" => Some(FindingKind::Pad),
        "slice" | "dynamic-slice" | "concatenate" | "gather" => Some(FindingKind::Slice),
        "fusion" => return fusion(module, view),
        _ => return Verdict::Stop,
    };
    let assembles = ASSEMBLING_OPS.contains(&view.opcode);
    kind.map_or(Verdict::Pass, |kind| trap(view, kind, assembles))
}

/// A move of kind `kind`, unless the layouts show the bytes staying as they were.
fn trap(view: &OpView, kind: FindingKind, assembles: bool) -> Verdict {
    let cause = match arrays(view) {
        Some((from, to)) => classify(from, to, assembles),
        // Without both shapes, the opcode is the best evidence there is.
        None => Some(match kind {
            FindingKind::Pad => Cause::Pad,
            FindingKind::Slice => Cause::Slice,
            FindingKind::Convert => Cause::Convert,
            _ => Cause::Relayout,
        }),
    };
    cause.map_or(Verdict::Pass, |cause| Verdict::Trap(kind, cause))
}

fn arrays<'m>(view: &OpView<'m>) -> Option<(&'m ArrayShape, &'m ArrayShape)> {
    Some((view.input?.as_array()?, view.output.as_array()?))
}

/// A copy is a trap only if the arrangement changes; a memory-space move is prefetching.
fn changed(view: &OpView, kind: FindingKind) -> Option<FindingKind> {
    match arrays(view) {
        Some((from, to))
            if !from
                .layout_or_default()
                .same_arrangement(&to.layout_or_default()) =>
        {
            Some(kind)
        }
        _ => None,
    }
}

/// A dtype change written out; a relayout if the dimension order changes too.
fn convert(view: &OpView) -> Option<FindingKind> {
    match arrays(view) {
        Some((from, to))
            if from.layout_or_default().minor_to_major != to.layout_or_default().minor_to_major =>
        {
            Some(FindingKind::Relayout)
        }
        _ => Some(FindingKind::Convert),
    }
}

/// A transpose whose output, read in memory order, visits the input's dimensions in the
/// input's memory order (with the same tiling) is a bitcast and moves nothing.
fn transpose(view: &OpView) -> Option<FindingKind> {
    let (Some((from, to)), Some(perm)) = (arrays(view), view.inst.dimensions()) else {
        return Some(FindingKind::Transpose);
    };
    let (from_l, to_l) = (from.layout_or_default(), to.layout_or_default());
    let mapped: Option<Vec<i64>> = to_l
        .minor_to_major
        .iter()
        .map(|&d| usize::try_from(d).ok().and_then(|d| perm.get(d).copied()))
        .collect();
    if mapped.as_ref() == Some(&from_l.minor_to_major) && from_l.tiles == to_l.tiles {
        None
    } else {
        Some(FindingKind::Transpose)
    }
}

/// Fusions of pure data movement are judged by what they contain and by whether their
/// output is arranged like their input; elementwise (`kLoop`) fusions pass data through;
/// anything else computes.
fn fusion(module: &HloModule, view: &OpView) -> Verdict {
    let Some(called) = view
        .inst
        .called_computations()
        .first()
        .and_then(|n| module.computation(n))
    else {
        return Verdict::Stop;
    };
    if gathers(called) {
        return trap(view, FindingKind::RelayoutFusion, true);
    }
    let mut inner = Vec::new();
    collect_fused(module, called, &mut HashSet::new(), &mut inner);
    if !inner
        .iter()
        .all(|(_, i)| MOVEMENT_OPS.contains(&i.opcode.as_str()))
    {
        let elementwise = view.inst.attr("kind") == Some("kLoop");
        return if elementwise {
            Verdict::Pass
        } else {
            Verdict::Stop
        };
    }
    let moves_inside = inner.iter().any(|(comp, inst)| {
        let v = plain_view(comp, inst);
        v.opcode != "fusion" && matches!(judge(module, &v), Verdict::Trap(..))
    });
    let rearranged = match arrays(view) {
        Some((from, to)) if from.dims == to.dims => !from
            .layout_or_default()
            .same_arrangement(&to.layout_or_default()),
        _ => false,
    };
    if moves_inside || rearranged {
        let assembles = inner
            .iter()
            .any(|(_, i)| ASSEMBLING_OPS.contains(&i.opcode.as_str()));
        trap(view, FindingKind::RelayoutFusion, assembles)
    } else {
        Verdict::Pass
    }
}

/// Whether a fused computation's result is a `gather` seen through pure movement (XLA
/// emits gathers as fusions whose index arithmetic is real computation, but the data
/// itself is only moved).
fn gathers(comp: &Computation) -> bool {
    let mut at = comp.root();
    while let Some(inst) = at {
        match inst.opcode.as_str() {
            "gather" => return true,
            "bitcast" | "reshape" | "transpose" | "copy" => {
                at = inst.operands.first().and_then(|o| comp.get(&o.name));
            }
            _ => return false,
        }
    }
    false
}

/// The view of an ordinary (non-async) instruction inside `comp`. Its input is its
/// largest operand: the array a slice, pad or fusion reads, not an index or pad value.
pub(crate) fn plain_view<'m>(comp: &'m Computation, inst: &'m Instruction) -> OpView<'m> {
    let mut input: Option<&Shape> = None;
    let mut source = None;
    for o in &inst.operands {
        let shape = comp.operand_shape(o);
        let size = |s: Option<&Shape>| s.and_then(Shape::bytes).unwrap_or(0);
        if source.is_none() || size(shape) > size(input) {
            input = shape;
            source = Some(o.name.as_str());
        }
    }
    OpView {
        opcode: &inst.opcode,
        inst,
        at: inst,
        input,
        source,
        output: &inst.shape,
    }
}

/// All instructions of a fused computation and the fusions nested in it.
fn collect_fused<'m>(
    module: &'m HloModule,
    comp: &'m Computation,
    seen: &mut HashSet<&'m str>,
    out: &mut Vec<(&'m Computation, &'m Instruction)>,
) {
    let mut stack = vec![comp];
    while let Some(comp) = stack.pop() {
        if !seen.insert(&comp.name) {
            continue;
        }
        for inst in &comp.instructions {
            out.push((comp, inst));
            if inst.opcode == "fusion" {
                stack.extend(
                    inst.called_computations()
                        .iter()
                        .filter_map(|n| module.computation(n)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(text: &str, name: &str) -> Verdict {
        let module = HloModule::parse(text).unwrap();
        let comp = module.entry().unwrap();
        judge(&module, &plain_view(comp, comp.get(name).unwrap()))
    }

    fn entry(body: &str) -> String {
        format!("HloModule m\n\n%f (p: f32[8,128]) -> f32[8,128] {{\n  %p = f32[8,128]{{1,0}} parameter(0)\n  %c = f32[8,128]{{0,1}} copy(%p)\n  ROOT %b = f32[128,8]{{1,0}} bitcast(%c)\n}}\n\nENTRY %e () -> f32[] {{\n{body}\n}}\n")
    }

    #[test]
    fn copies_are_judged_by_layout() {
        let m = entry("  %x = f32[8,128]{1,0:T(8,128)} parameter(0)\n  %s = f32[8,128]{1,0:T(8,128)S(1)} copy(%x)\n  %t = f32[8,128]{0,1:T(8,128)} copy(%x)");
        assert_eq!(verdict(&m, "s"), Verdict::Pass);
        assert_eq!(
            verdict(&m, "t"),
            Verdict::Trap(FindingKind::Copy, Cause::Relayout)
        );
    }

    #[test]
    fn transposes_that_are_bitcasts_pass() {
        let m = entry("  %x = f32[8,128]{1,0} parameter(0)\n  %b = f32[128,8]{0,1} transpose(%x), dimensions={1,0}\n  %t = f32[128,8]{1,0} transpose(%x), dimensions={1,0}");
        assert_eq!(verdict(&m, "b"), Verdict::Pass);
        assert_eq!(
            verdict(&m, "t"),
            Verdict::Trap(FindingKind::Transpose, Cause::Relayout)
        );
    }

    #[test]
    fn converts_fusions_and_compute() {
        let m = entry("  %x = bf16[8,128]{1,0:T(8,128)(2,1)} parameter(0)\n  %c = f32[8,128]{1,0:T(8,128)} convert(%x)\n  %r = f32[8,128]{0,1} convert(%x)\n  %y = f32[8,128]{1,0} parameter(1)\n  %f = f32[128,8]{1,0} fusion(%y), kind=kLoop, calls=%f\n  %a = f32[8,128]{1,0} add(%y, %y)");
        assert_eq!(
            verdict(&m, "c"),
            Verdict::Trap(FindingKind::Convert, Cause::Convert)
        );
        assert_eq!(
            verdict(&m, "r"),
            Verdict::Trap(FindingKind::Relayout, Cause::Relayout)
        );
        assert_eq!(
            verdict(&m, "f"),
            Verdict::Trap(FindingKind::RelayoutFusion, Cause::Relayout)
        );
        assert_eq!(verdict(&m, "a"), Verdict::Stop);
    }
}
