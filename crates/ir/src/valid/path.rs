//! Where in a kernel an error arose: the one location format every backend uses
//! (validation, Mosaic lowering and its MLIR op locations).

use std::fmt;

use crate::{Expr, Kernel, Stmt};

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

impl PathSegment {
    /// Statement `index` of its block: `%17 = dot`, `when`, `fori_loop`, `store`, ….
    pub fn new(kernel: &Kernel, index: usize, stmt: &Stmt) -> Self {
        let label = match stmt {
            Stmt::Let(value) => {
                let op = kernel.exprs.get(*value).map_or("?", Expr::name);
                format!("{value} = {op}")
            }
            Stmt::Store { .. } => "store".into(),
            Stmt::When { .. } => "when".into(),
            Stmt::ForiLoop(_) => "fori_loop".into(),
            Stmt::DmaStart(_) => "dma_start".into(),
            Stmt::DmaWait(_) => "dma_wait".into(),
        };
        PathSegment { index, label }
    }
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
