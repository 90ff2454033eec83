//! HLO element types and their storage widths (needed to count the bytes a copy moves).

use serde::{Deserialize, Serialize};
use std::fmt;

/// An element type as printed by XLA (`f32`, `bf16`, `f8e4m3fn`, `pred`, ...).
///
/// Types this crate does not know are kept by name so that new XLA types never make a
/// dump unreadable; they count as zero bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ElementType(String);

/// Known type names and their width in bits. `pred` is stored as one byte.
const WIDTHS: &[(&str, u32)] = &[
    ("pred", 8),
    ("s2", 2),
    ("u2", 2),
    ("s4", 4),
    ("u4", 4),
    ("s8", 8),
    ("u8", 8),
    ("s16", 16),
    ("u16", 16),
    ("s32", 32),
    ("u32", 32),
    ("s64", 64),
    ("u64", 64),
    ("f16", 16),
    ("bf16", 16),
    ("f32", 32),
    ("f64", 64),
    ("c64", 64),
    ("c128", 128),
    ("f4e2m1fn", 4),
    ("f8e3m4", 8),
    ("f8e4m3", 8),
    ("f8e4m3fn", 8),
    ("f8e4m3fnuz", 8),
    ("f8e4m3b11fnuz", 8),
    ("f8e5m2", 8),
    ("f8e5m2fnuz", 8),
    ("f8e8m0fnu", 8),
    ("token", 0),
];

impl ElementType {
    pub fn new(name: &str) -> Self {
        Self(name.to_ascii_lowercase())
    }

    pub fn name(&self) -> &str {
        &self.0
    }

    /// Storage width in bits, `None` for a type this crate does not know.
    pub fn bits(&self) -> Option<u32> {
        WIDTHS.iter().find(|(n, _)| *n == self.0).map(|&(_, b)| b)
    }
}

impl fmt::Display for ElementType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        assert_eq!(ElementType::new("bf16").bits(), Some(16));
        assert_eq!(ElementType::new("F8E4M3FN").bits(), Some(8));
        assert_eq!(ElementType::new("pred").bits(), Some(8));
        assert_eq!(ElementType::new("s4").bits(), Some(4));
        assert_eq!(ElementType::new("f99").bits(), None);
    }
}
