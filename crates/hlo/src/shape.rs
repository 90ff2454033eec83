//! Shapes: arrays with element type, dims and optional layout, and tuples of shapes.

use crate::cursor::Cursor;
use crate::element::ElementType;
use crate::error::ParseErrorKind;
use crate::layout::Layout;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Tuples nest; a hostile input must not be able to exhaust the stack.
const MAX_TUPLE_DEPTH: usize = 32;

/// One dimension; dynamic ones are counted at their bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dim {
    Static(i64),
    /// `<=N`: dynamic with a static bound.
    Bounded(i64),
    /// `?`: dynamic without a bound.
    Unbounded,
}

impl Dim {
    /// The size to budget for, if known.
    pub fn bound(self) -> Option<i64> {
        match self {
            Dim::Static(n) | Dim::Bounded(n) => Some(n),
            Dim::Unbounded => None,
        }
    }
}

/// An array shape such as `bf16[1,2,512,96]{2,3,1,0:T(8,128)(2,1)}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArrayShape {
    pub element: ElementType,
    pub dims: Vec<Dim>,
    /// `None` when the text had no `{...}`; row-major is then implied.
    pub layout: Option<Layout>,
}

impl ArrayShape {
    /// The layout, defaulting to row-major when none was printed.
    pub fn layout_or_default(&self) -> Layout {
        self.layout
            .clone()
            .unwrap_or_else(|| Layout::row_major(self.dims.len()))
    }

    pub fn memory_space(&self) -> i64 {
        self.layout
            .as_ref()
            .and_then(|l| l.memory_space)
            .unwrap_or(0)
    }

    /// Logical bytes (no tiling padding); `None` if a dim or the type is unknown.
    pub fn bytes(&self) -> Option<u64> {
        let bits = u64::from(self.element.bits()?);
        let mut elements: u64 = 1;
        for d in &self.dims {
            elements = elements.checked_mul(u64::try_from(d.bound()?).ok()?)?;
        }
        Some(elements.checked_mul(bits)?.div_ceil(8))
    }

    /// Same type and dims, layout ignored.
    pub fn same_dims(&self, other: &ArrayShape) -> bool {
        self.element == other.element && self.dims == other.dims
    }
}

/// Any HLO shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Shape {
    Array(ArrayShape),
    Tuple(Vec<Shape>),
}

impl Shape {
    pub fn as_array(&self) -> Option<&ArrayShape> {
        match self {
            Shape::Array(a) => Some(a),
            Shape::Tuple(_) => None,
        }
    }

    /// Element `index` of a tuple shape.
    pub fn tuple_element(&self, index: usize) -> Option<&Shape> {
        match self {
            Shape::Tuple(items) => items.get(index),
            Shape::Array(_) => None,
        }
    }

    /// Logical bytes of all leaves; `None` if any is unknown.
    pub fn bytes(&self) -> Option<u64> {
        match self {
            Shape::Array(a) => a.bytes(),
            Shape::Tuple(items) => items
                .iter()
                .try_fold(0u64, |acc, s| acc.checked_add(s.bytes()?)),
        }
    }

    pub(crate) fn parse(c: &mut Cursor) -> Result<Self, ParseErrorKind> {
        Self::parse_nested(c, 0)
    }

    fn parse_nested(c: &mut Cursor, depth: usize) -> Result<Self, ParseErrorKind> {
        if !c.eat("(") {
            return parse_array(c).map(Shape::Array);
        }
        if depth >= MAX_TUPLE_DEPTH {
            return Err(ParseErrorKind::Expected {
                expected: "tuples nested at most 32 deep",
                found: c.rest().chars().take(24).collect(),
            });
        }
        let mut items = Vec::new();
        if c.eat(")") {
            return Ok(Shape::Tuple(items));
        }
        loop {
            items.push(Self::parse_nested(c, depth + 1)?);
            if c.eat(")") {
                return Ok(Shape::Tuple(items));
            }
            c.expect(",")?;
        }
    }
}

fn parse_array(c: &mut Cursor) -> Result<ArrayShape, ParseErrorKind> {
    let name = c.ident();
    if name.is_empty() || !c.rest().starts_with('[') {
        return Err(c.expected("a shape such as f32[8,128]{1,0}"));
    }
    c.bump();
    let mut dims = Vec::new();
    while !c.eat("]") {
        if !dims.is_empty() {
            c.expect(",")?;
        }
        dims.push(if c.eat("?") {
            Dim::Unbounded
        } else if c.eat("<=") {
            Dim::Bounded(c.int()?)
        } else {
            Dim::Static(c.int()?)
        });
    }
    let layout = if c.rest().starts_with('{') {
        c.bump();
        Some(Layout::parse(c)?)
    } else {
        None
    };
    Ok(ArrayShape {
        element: ElementType::new(name),
        dims,
        layout,
    })
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::Array(a) => a.fmt(f),
            Shape::Tuple(items) => {
                f.write_str("(")?;
                for (i, s) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    s.fmt(f)?;
                }
                f.write_str(")")
            }
        }
    }
}

impl fmt::Display for ArrayShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dims: Vec<String> = self
            .dims
            .iter()
            .map(|d| match d {
                Dim::Static(n) => n.to_string(),
                Dim::Bounded(n) => format!("<={n}"),
                Dim::Unbounded => "?".into(),
            })
            .collect();
        write!(f, "{}[{}]", self.element, dims.join(","))?;
        match &self.layout {
            Some(l) => l.fmt(f),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Shape {
        Shape::parse(&mut Cursor::new(text)).unwrap()
    }

    #[test]
    fn copy_start_tuple_round_trips() {
        let text = "(bf16[1,2,512,96]{2,3,1,0:T(8,128)(2,1)S(1)}, bf16[1,2,512,96]{2,3,1,0:T(8,128)(2,1)}, u32[]{:S(2)})";
        let s = parse(text);
        assert_eq!(s.to_string(), text);
        let dest = s.tuple_element(0).and_then(Shape::as_array).unwrap();
        assert_eq!(dest.memory_space(), 1);
        assert_eq!(dest.bytes(), Some(2 * 512 * 96 * 2));
    }

    #[test]
    fn scalars_tokens_and_dynamic_dims() {
        assert_eq!(parse("f32[]").bytes(), Some(4));
        assert_eq!(parse("token[]").bytes(), Some(0));
        assert_eq!(parse("s4[3]{0}").bytes(), Some(2));
        assert_eq!(parse("f32[<=8,?]").bytes(), None);
        assert_eq!(parse("f32[<=8,2]").bytes(), Some(64));
        assert_eq!(parse("()").to_string(), "()");
        assert_eq!(
            parse("(f32[], /*index=1*/s32[])").to_string(),
            "(f32[], s32[])"
        );
    }

    #[test]
    fn hostile_nesting_is_an_error() {
        let deep = "(".repeat(10_000);
        assert!(Shape::parse(&mut Cursor::new(&deep)).is_err());
        assert!(Shape::parse(&mut Cursor::new("f32[99999999999999999999]")).is_err());
        assert_eq!(parse("f32[4294967296,4294967296,4294967296]").bytes(), None);
    }
}
