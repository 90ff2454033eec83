//! What the copy-trap lint reports.

use super::cause::Cause;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The kind of data movement found next to a kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// A `copy` whose source and destination layouts differ.
    Copy,
    /// A `copy-start`/`copy-done` pair whose layouts differ (not a mere prefetch).
    AsyncCopy,
    /// A `transpose` that is not a bitcast in disguise.
    Transpose,
    Pad,
    /// `slice`, `dynamic-slice`, `gather` or `concatenate`, possibly run asynchronously.
    Slice,
    /// A `convert` or `reshape` that also changes the dimension order.
    Relayout,
    /// A `convert` that keeps the dimension order: a dtype change written out.
    Convert,
    /// A fusion made only of data movement that moves data (copies, pads, slices).
    RelayoutFusion,
}

impl FindingKind {
    pub const ALL: [FindingKind; 8] = [
        FindingKind::Copy,
        FindingKind::AsyncCopy,
        FindingKind::Transpose,
        FindingKind::Pad,
        FindingKind::Slice,
        FindingKind::Relayout,
        FindingKind::Convert,
        FindingKind::RelayoutFusion,
    ];

    /// The name used in text output, JSON and allowlists.
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::Copy => "copy",
            FindingKind::AsyncCopy => "async-copy",
            FindingKind::Transpose => "transpose",
            FindingKind::Pad => "pad",
            FindingKind::Slice => "slice",
            FindingKind::Relayout => "relayout",
            FindingKind::Convert => "convert",
            FindingKind::RelayoutFusion => "relayout-fusion",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// Whether the movement happens before the kernel reads its operand or after it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    Feed,
    Drain,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Side::Feed => "feed",
            Side::Drain => "drain",
        })
    }
}

/// One data-moving op next to a kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub side: Side,
    /// The kernel operand this op feeds (feed side only).
    pub operand: Option<usize>,
    /// The op's name; for async pairs the `*-done` half.
    pub instruction: String,
    pub computation: String,
    /// 1-based line in the dump.
    pub line: usize,
    /// Logical bytes the op writes (its result), if the shape is known.
    pub bytes: Option<u64>,
    /// Source shape with layout, as XLA prints it.
    pub from: String,
    /// Destination shape with layout.
    pub to: String,
    /// What the move does to the bytes, read from `from` and `to`.
    pub cause: Cause,
    /// What the user changes to make it go away.
    pub cure: String,
}
