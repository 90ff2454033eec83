//! Where in the body an error arose.

use std::fmt;

/// Path from the body root to a statement: one segment per nesting level, e.g.
/// `body[4] fori_loop / body[2] %17 = dot`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpPath {
    pub segments: Vec<PathSegment>,
}

/// A statement's position in its block and what it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathSegment {
    pub index: usize,
    pub label: String,
}

impl fmt::Display for OpPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.segments.is_empty() {
            return f.write_str("body");
        }
        for (i, segment) in self.segments.iter().enumerate() {
            let sep = if i == 0 { "" } else { " / " };
            write!(f, "{sep}body[{}] {}", segment.index, segment.label)?;
        }
        Ok(())
    }
}
