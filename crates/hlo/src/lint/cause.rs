//! Why data moves next to a kernel, decided from the layouts on both sides of the move.
//!
//! The opcode says little: XLA writes a user's transpose as a `copy`, a scan's per-layer
//! slice as a `dynamic-slice_bitcast_fusion`, and the same `fusion` opcode can pad, slice
//! or relayout. What the user must change depends on what happened to the bytes, so the
//! cause is read from the source and destination shapes: their element counts, the order
//! in which dimensions are laid out in memory, and the tiling.

use super::finding::Side;
use crate::layout::Layout;
use crate::shape::ArrayShape;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a data movement next to a kernel does to the bytes; each has its own cure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// The physical order of dimensions or the tiling changes (a transpose, a layout XLA
    /// chose for a narrow minor dimension, a reshape that moves a dimension under the tile).
    Relayout,
    /// The destination is the source grown in place: same order and tiling, larger dims.
    Pad,
    /// A part of a larger array (or pieces of one, concatenated) is written out whole
    /// because the kernel cannot read it in place; the kept dims are laid out as before.
    Slice,
    /// Only the element type changes.
    Convert,
}

impl Cause {
    pub const ALL: [Cause; 4] = [Cause::Relayout, Cause::Pad, Cause::Slice, Cause::Convert];

    /// The name used in text output, JSON and allowlists.
    pub fn name(self) -> &'static str {
        match self {
            Cause::Relayout => "relayout",
            Cause::Pad => "pad",
            Cause::Slice => "slice",
            Cause::Convert => "convert",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// What the user changes to make this movement go away.
    pub fn cure(self, side: Side) -> &'static str {
        match (self, side) {
            (Cause::Relayout, Side::Feed) => {
                "produce the operand in the layout the kernel reads (row-major, minor dim a \
                 multiple of 128): drop the transpose/swapaxes before the kernel or fold it into \
                 the kernel's index map"
            }
            (Cause::Relayout, Side::Drain) => {
                "consume the result in the layout the kernel writes: drop the transpose/swapaxes \
                 after the kernel or have the kernel write the layout the consumer wants"
            }
            (Cause::Slice, Side::Feed) => {
                "set allow_input_fusion for this operand in the kernel's custom-call config, or \
                 pass the whole array and index it inside the kernel (scalar prefetch)"
            }
            (Cause::Slice, Side::Drain) => {
                "write only the part that is used: give the kernel the smaller output shape"
            }
            (Cause::Pad, Side::Feed) => {
                "pad on the producer side: create the array at the padded size where it is made \
                 (e.g. weights padded once), so the kernel reads it in place"
            }
            (Cause::Pad, Side::Drain) => {
                "let the consumer read the kernel's result at the size the kernel writes"
            }
            (Cause::Convert, Side::Feed) => "pass the stored dtype and convert inside the kernel",
            (Cause::Convert, Side::Drain) => "have the kernel write the dtype its consumer reads",
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// The cause of moving `from` into `to`, or `None` when the bytes stay arranged as they
/// were (a prefetch into another memory space, or a copy that changes nothing).
/// `assembles` says the op builds its result from pieces (a `concatenate`), which grows
/// the destination like a pad but is cured like a slice.
pub fn classify(from: &ArrayShape, to: &ArrayShape, assembles: bool) -> Option<Cause> {
    let (a, b) = (Arrangement::of(from), Arrangement::of(to));
    let (na, nb) = (elements(from)?, elements(to)?);
    let same_type = from.element == to.element;
    let cause = if na == nb {
        match (a == b, a.same_places(&b)) {
            (true, _) if same_type => return None,
            (_, true) if !same_type => Cause::Convert,
            _ => Cause::Relayout,
        }
    } else if nb < na {
        if b.fits_in(&a, same_type) {
            Cause::Slice
        } else {
            Cause::Relayout
        }
    } else if assembles {
        Cause::Slice
    } else if a.fits_in(&b, same_type) {
        Cause::Pad
    } else {
        Cause::Relayout
    };
    Some(cause)
}

fn elements(shape: &ArrayShape) -> Option<u64> {
    shape
        .dims
        .iter()
        .try_fold(1u64, |n, d| n.checked_mul(u64::try_from(d.bound()?).ok()?))
}

/// An array as it lies in memory: the dims under the first tile (unit dims kept, since a
/// unit dim under a tile is padded to the tile), the other dims from major to minor with
/// unit dims dropped (they take no room), and the tiling.
#[derive(Debug, PartialEq, Eq)]
struct Arrangement {
    major: Vec<i64>,
    tiled: Vec<i64>,
    tiles: Vec<Vec<Option<i64>>>,
}

impl Arrangement {
    fn of(shape: &ArrayShape) -> Self {
        let layout: Layout = shape.layout_or_default();
        let size = |d: &i64| {
            usize::try_from(*d)
                .ok()
                .and_then(|d| shape.dims.get(d))
                .and_then(|d| d.bound())
                .unwrap_or(-1)
        };
        let sizes: Vec<i64> = layout.minor_to_major.iter().rev().map(size).collect();
        let under_tile = layout.tiles.first().map_or(0, Vec::len).min(sizes.len());
        let (major, tiled) = sizes.split_at(sizes.len() - under_tile);
        Arrangement {
            major: major.iter().copied().filter(|&n| n != 1).collect(),
            tiled: tiled.to_vec(),
            tiles: layout.tiles,
        }
    }

    /// The same dims in the same places; the tiling may differ (as it does between
    /// element widths).
    fn same_places(&self, other: &Arrangement) -> bool {
        self.major == other.major && self.tiled == other.tiled
    }

    /// Whether `self` is a part of `whole` laid out the same way: the tiled dims pair up
    /// and are no larger, the other dims are, in order, no larger than some of whole's
    /// (a dim sliced to 1 disappears). Across a dtype change the tiling may differ.
    fn fits_in(&self, whole: &Arrangement, same_type: bool) -> bool {
        (self.tiles == whole.tiles || !same_type)
            && self.tiled.len() == whole.tiled.len()
            && self.tiled.iter().zip(&whole.tiled).all(|(p, w)| p <= w)
            && in_order_no_larger(&self.major, &whole.major)
    }
}

/// Every dim of `part`, in order, matches a distinct later dim of `whole` that is at
/// least as large (greedy from the minor end, where the layout is most constrained).
fn in_order_no_larger(part: &[i64], whole: &[i64]) -> bool {
    let mut rest = whole.iter().rev();
    part.iter().rev().all(|p| rest.any(|w| p <= w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::Shape;

    fn array(text: &str) -> ArrayShape {
        let shape = Shape::parse(&mut crate::cursor::Cursor::new(text)).unwrap();
        shape.as_array().unwrap().clone()
    }

    fn cause(from: &str, to: &str) -> Option<Cause> {
        classify(&array(from), &array(to), false)
    }

    #[test]
    fn a_scanned_layer_slice_is_a_slice_not_a_relayout() {
        assert_eq!(
            cause(
                "bf16[24,1,8,1024,128]{4,3,2,1,0:T(8,128)(2,1)}",
                "bf16[1,8,1024,128]{3,2,1,0:T(8,128)(2,1)S(1)}"
            ),
            Some(Cause::Slice)
        );
        assert_eq!(
            cause(
                "s8[4,8,1024,128]{3,2,1,0:T(32,128)(4,1)}",
                "s8[8,1024,128]{2,1,0:T(32,128)(4,1)S(1)}"
            ),
            Some(Cause::Slice)
        );
        // A head picked out of the middle, minor columns cut: still a slice.
        assert_eq!(
            cause(
                "f32[24,8,64,256]{3,2,1,0:T(8,128)}",
                "f32[24,64,128]{2,1,0:T(8,128)}"
            ),
            Some(Cause::Slice)
        );
    }

    #[test]
    fn dim_order_or_tiling_changes_are_relayouts() {
        assert_eq!(
            cause(
                "bf16[1,2,512,96]{2,3,1,0:T(8,128)(2,1)}",
                "bf16[1,2,512,96]{3,2,1,0:T(8,128)(2,1)S(1)}"
            ),
            Some(Cause::Relayout)
        );
        // A unit dim moved under the tile pads every row: not a free reshape.
        assert_eq!(
            cause("f32[8,1024]{1,0:T(8,128)}", "f32[8,1024,1]{2,1,0:T(8,128)}"),
            Some(Cause::Relayout)
        );
        assert_eq!(
            cause(
                "s8[8,1024]{1,0:T(32,128)(4,1)}",
                "s8[8,1024]{1,0:T(8,128)(4,1)}"
            ),
            Some(Cause::Relayout)
        );
        // Sliced and transposed: the relayout is what the user must fix first.
        assert_eq!(
            cause("f32[64,128,256]{2,1,0}", "f32[256,64]{1,0}"),
            Some(Cause::Relayout)
        );
        // ... but the same slice with the layout transposed along is a plain slice.
        assert_eq!(
            cause("f32[64,128,256]{2,1,0}", "f32[256,64]{0,1}"),
            Some(Cause::Slice)
        );
    }

    #[test]
    fn pads_converts_and_prefetches() {
        assert_eq!(
            cause("f32[256,200]{1,0:T(8,128)}", "f32[256,256]{1,0:T(8,128)}"),
            Some(Cause::Pad)
        );
        assert_eq!(
            cause(
                "s8[8,1024,128]{2,1,0:T(32,128)(4,1)}",
                "bf16[8,1024,128]{2,1,0:T(8,128)(2,1)S(1)}"
            ),
            Some(Cause::Convert)
        );
        assert_eq!(
            cause("f32[8,128]{1,0:T(8,128)}", "f32[8,128]{1,0:T(8,128)S(1)}"),
            None
        );
        assert_eq!(
            classify(&array("f32[8,128]{1,0}"), &array("f32[16,128]{1,0}"), true),
            Some(Cause::Slice)
        );
    }
}
