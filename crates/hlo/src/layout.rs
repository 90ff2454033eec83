//! Layouts: dimension order, TPU tiling and memory space, as in `{1,0:T(8,128)(2,1)S(1)}`.
//!
//! The copy-trap lint decides whether data really moves by comparing layouts, so this
//! module also owns the notion of "same arrangement in memory".

use crate::cursor::Cursor;
use crate::error::ParseErrorKind;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One tile of a tiling; `None` is XLA's `*` (a combined dimension).
pub type Tile = Vec<Option<i64>>;

/// A parsed layout. Unknown items (`P(...)`, `D(...)`, ...) are kept verbatim.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    /// Dimensions from fastest to slowest varying.
    pub minor_to_major: Vec<i64>,
    /// `T(..)(..)`: first tile, then sub-tiles within it.
    pub tiles: Vec<Tile>,
    /// `E(n)`: element size in bits when it differs from the type's.
    pub element_bits: Option<i64>,
    /// `S(n)`: memory space; 0 (HBM) when absent, 1 is VMEM on TPU.
    pub memory_space: Option<i64>,
    /// Items this crate does not interpret, e.g. `P(s32)`.
    pub other: Vec<String>,
}

impl Layout {
    /// Row-major for `rank` dims with no tiling: what a layout-less shape means.
    pub fn row_major(rank: usize) -> Self {
        Self {
            minor_to_major: (0..rank as i64).rev().collect(),
            ..Self::default()
        }
    }

    /// Same bytes in the same places, wherever they live: everything but the memory
    /// space. Two buffers with the same arrangement can be moved by a plain DMA.
    pub fn same_arrangement(&self, other: &Layout) -> bool {
        self.minor_to_major == other.minor_to_major
            && self.tiles == other.tiles
            && self.element_bits == other.element_bits
            && self.other == other.other
    }

    /// The text inside `{...}`; the cursor stops at the closing brace.
    pub(crate) fn parse(c: &mut Cursor) -> Result<Self, ParseErrorKind> {
        let mut layout = Layout::default();
        c.skip_ws();
        while c.peek().is_some_and(|ch| ch.is_ascii_digit()) {
            layout.minor_to_major.push(c.int()?);
            if !c.eat(",") {
                break;
            }
        }
        if c.eat(":") {
            while !c.eat("}") {
                layout.item(c)?;
            }
            return Ok(layout);
        }
        c.expect("}")?;
        Ok(layout)
    }

    fn item(&mut self, c: &mut Cursor) -> Result<(), ParseErrorKind> {
        c.skip_ws();
        let head = c.take_while(|ch| ch.is_ascii_alphabetic() || ch == '#');
        let mut groups = Vec::new();
        while c.peek() == Some('(') {
            c.bump();
            groups.push(c.balanced_until(&[')'])?);
            c.expect(")")?;
        }
        if groups.is_empty() {
            return Err(c.expected("a layout item such as T(8,128) or S(1)"));
        }
        match head {
            "T" => {
                for g in groups {
                    self.tiles.push(parse_tile(g)?);
                }
            }
            "S" if groups.len() == 1 => self.memory_space = Some(parse_int(groups[0])?),
            "E" if groups.len() == 1 => self.element_bits = Some(parse_int(groups[0])?),
            _ => self.other.push(format!("{head}({})", groups.join(")("))),
        }
        Ok(())
    }
}

fn parse_int(text: &str) -> Result<i64, ParseErrorKind> {
    text.trim()
        .parse()
        .map_err(|_| ParseErrorKind::BadNumber(text.to_string()))
}

fn parse_tile(text: &str) -> Result<Tile, ParseErrorKind> {
    text.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            if s.trim() == "*" {
                Ok(None)
            } else {
                parse_int(s).map(Some)
            }
        })
        .collect()
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m2m: Vec<String> = self.minor_to_major.iter().map(i64::to_string).collect();
        write!(f, "{{{}", m2m.join(","))?;
        let has_items = !self.tiles.is_empty()
            || self.element_bits.is_some()
            || self.memory_space.is_some()
            || !self.other.is_empty();
        if has_items {
            f.write_str(":")?;
        }
        if !self.tiles.is_empty() {
            f.write_str("T")?;
            for tile in &self.tiles {
                let dims: Vec<String> = tile
                    .iter()
                    .map(|d| d.map_or("*".into(), |n| n.to_string()))
                    .collect();
                write!(f, "({})", dims.join(","))?;
            }
        }
        if let Some(bits) = self.element_bits {
            write!(f, "E({bits})")?;
        }
        for item in &self.other {
            f.write_str(item)?;
        }
        if let Some(space) = self.memory_space {
            write!(f, "S({space})")?;
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Layout {
        Layout::parse(&mut Cursor::new(text)).unwrap()
    }

    #[test]
    fn tpu_layout_round_trips() {
        let l = parse("2,3,1,0:T(8,128)(2,1)S(1)}");
        assert_eq!(l.minor_to_major, vec![2, 3, 1, 0]);
        assert_eq!(
            l.tiles,
            vec![vec![Some(8), Some(128)], vec![Some(2), Some(1)]]
        );
        assert_eq!(l.memory_space, Some(1));
        assert_eq!(l.to_string(), "{2,3,1,0:T(8,128)(2,1)S(1)}");
    }

    #[test]
    fn scalar_and_unknown_items() {
        assert_eq!(parse(":S(2)}").memory_space, Some(2));
        assert_eq!(parse("}"), Layout::default());
        let l = parse("0:T(2,*)P(s32)}");
        assert_eq!(l.tiles, vec![vec![Some(2), None]]);
        assert_eq!(l.other, vec!["P(s32)".to_string()]);
    }

    #[test]
    fn memory_space_alone_is_not_a_relayout() {
        assert!(parse("1,0:T(8,128)S(1)}").same_arrangement(&parse("1,0:T(8,128)}")));
        assert!(!parse("0,1:T(8,128)}").same_arrangement(&parse("1,0:T(8,128)}")));
        assert!(!parse("1,0:T(8,128)(2,1)}").same_arrangement(&parse("1,0:T(8,128)}")));
    }

    #[test]
    fn bad_items_are_errors() {
        assert!(Layout::parse(&mut Cursor::new("1,0:T}")).is_err());
        assert!(Layout::parse(&mut Cursor::new("1,0:S(x)}")).is_err());
        assert!(Layout::parse(&mut Cursor::new("1,0")).is_err());
    }
}
