//! MLIR generic-form text → a syntax tree of generic operations.
//!
//! The grammar is MLIR's generic op form, the one every op has whatever its dialect:
//! `%r:2 = "dialect.op"(%a, %b#1) <{properties}> ({regions}) {attributes} : (types) -> types loc(…)`.
//! Attribute and location aliases (`#loc3 = loc(…)`) are collected for the decoder.

mod attr;
mod cursor;

use std::collections::HashMap;

pub use attr::{Attr, DenseValues};
use cursor::Cursor;

use crate::error::ParseError;
use crate::types::Type;

/// One generic operation as written.
#[derive(Clone, Debug)]
pub struct OpSyntax {
    /// Result groups: SSA name (without `%`) and result count (`%5:2`).
    pub results: Vec<(String, usize)>,
    pub name: String,
    /// Operand names, `5` or `5#1` (a result of a multi-result op).
    pub operands: Vec<String>,
    /// Properties (`<{…}>`) and attributes (`{…}`) together.
    pub attrs: Vec<(String, Attr)>,
    pub regions: Vec<RegionSyntax>,
    pub ty: Type,
    /// The location's raw text (inside `loc(…)`), if any.
    pub loc: Option<String>,
    /// The line the op starts on.
    pub line: usize,
}

impl OpSyntax {
    pub fn attr(&self, key: &str) -> Option<&Attr> {
        self.attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

#[derive(Clone, Debug, Default)]
pub struct RegionSyntax {
    pub blocks: Vec<BlockSyntax>,
}

#[derive(Clone, Debug, Default)]
pub struct BlockSyntax {
    pub args: Vec<(String, Type)>,
    pub ops: Vec<OpSyntax>,
}

/// A parsed file: its top-level ops and aliases.
#[derive(Clone, Debug, Default)]
pub struct FileSyntax {
    pub ops: Vec<OpSyntax>,
    /// `#name = …` definitions: location aliases keep their raw `loc(…)` body.
    pub aliases: HashMap<String, Alias>,
}

#[derive(Clone, Debug)]
pub enum Alias {
    Attr(Attr),
    Loc(String),
}

/// Parses generic-form MLIR text.
pub fn parse(text: &str) -> Result<FileSyntax, ParseError> {
    let mut c = Cursor::new(text);
    let mut file = FileSyntax::default();
    while !c.at_end() {
        if c.eat("#") {
            let name = c.ident_raw().to_string();
            c.expect("=")?;
            let alias = if c.eat_word("loc") {
                Alias::Loc(c.balanced(b'(', b')')?.to_string())
            } else {
                Alias::Attr(attr::parse_attr(&mut c)?)
            };
            file.aliases.insert(name, alias);
        } else if c.starts_with("\"") || c.starts_with("%") {
            file.ops.push(op(&mut c)?);
        } else {
            return Err(c.error("expected an op in generic form (`\"dialect.op\"(…)`) or an alias; print the module with the generic op form"));
        }
    }
    Ok(file)
}

fn ssa_name(c: &mut Cursor) -> Result<String, ParseError> {
    c.expect("%")?;
    let name = c.ident_raw();
    if name.is_empty() {
        return Err(c.error("expected an SSA name after `%`"));
    }
    let mut name = name.to_string();
    if c.peek_raw() == Some(b'#') {
        c.bump();
        name.push('#');
        name.push_str(c.ident_raw());
    }
    Ok(name)
}

fn op(c: &mut Cursor) -> Result<OpSyntax, ParseError> {
    let line = c.error("").line;
    let mut results = Vec::new();
    if c.peek() == Some(b'%') {
        loop {
            let name = ssa_name(c)?;
            let count = if c.peek_raw() == Some(b':') {
                c.bump();
                let n = c.number()?;
                n.parse()
                    .map_err(|_| c.error(format!("bad result count `{n}`")))?
            } else {
                1
            };
            results.push((name, count));
            if !c.eat(",") {
                break;
            }
        }
        c.expect("=")?;
    }
    let name = c.string()?;
    c.expect("(")?;
    let mut operands = Vec::new();
    if !c.eat(")") {
        loop {
            operands.push(ssa_name(c)?);
            if c.eat(")") {
                break;
            }
            c.expect(",")?;
        }
    }
    if c.starts_with("[") {
        return Err(c.error(format!(
            "`{name}` has successor blocks; branches are not supported"
        )));
    }
    let mut attrs = Vec::new();
    if c.eat("<") {
        attrs.extend(attr::parse_dict(c)?);
        c.expect(">")?;
    }
    let mut regions = Vec::new();
    if c.eat("(") {
        loop {
            regions.push(region(c)?);
            if c.eat(")") {
                break;
            }
            c.expect(",")?;
        }
    }
    if c.peek() == Some(b'{') {
        attrs.extend(attr::parse_dict(c)?);
    }
    c.expect(":")?;
    let ty = attr::parse_type(c)?;
    let loc = location(c)?;
    Ok(OpSyntax {
        results,
        name,
        operands,
        attrs,
        regions,
        ty,
        loc,
        line,
    })
}

fn location(c: &mut Cursor) -> Result<Option<String>, ParseError> {
    if c.eat_word("loc") {
        Ok(Some(c.balanced(b'(', b')')?.to_string()))
    } else {
        Ok(None)
    }
}

fn region(c: &mut Cursor) -> Result<RegionSyntax, ParseError> {
    c.expect("{")?;
    let mut region = RegionSyntax::default();
    let mut block = BlockSyntax::default();
    let mut started = false;
    loop {
        if c.eat("}") {
            if started || !block.ops.is_empty() {
                region.blocks.push(block);
            }
            return Ok(region);
        }
        if c.eat("^") {
            if started || !block.ops.is_empty() {
                region.blocks.push(std::mem::take(&mut block));
            }
            started = true;
            c.ident_raw();
            if c.eat("(") && !c.eat(")") {
                loop {
                    let name = ssa_name(c)?;
                    c.expect(":")?;
                    let ty = attr::parse_type(c)?;
                    location(c)?;
                    block.args.push((name, ty));
                    if c.eat(")") {
                        break;
                    }
                    c.expect(",")?;
                }
            }
            c.expect(":")?;
            continue;
        }
        block.ops.push(op(c)?);
    }
}

/// A short description of a location: its first name and its first `file:line`, following
/// aliases (`#loc3`).
pub fn describe_location(raw: &str, aliases: &HashMap<String, Alias>) -> String {
    let mut expanded = raw.to_string();
    for _ in 0..8 {
        let mut out = String::new();
        let mut rest = expanded.as_str();
        let mut changed = false;
        while let Some(i) = rest.find("#loc") {
            out.push_str(&rest[..i]);
            let tail = &rest[i + 1..];
            let len = tail
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                .count();
            match aliases.get(&tail[..len]) {
                Some(Alias::Loc(body)) => {
                    out.push_str(body);
                    changed = true;
                }
                _ => out.push_str(&rest[i..i + 1 + len]),
            }
            rest = &tail[len..];
        }
        out.push_str(rest);
        expanded = out;
        if !changed || expanded.len() > 4000 {
            break;
        }
    }
    let quoted: Vec<&str> = expanded
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| !s.is_empty())
        .collect();
    let after_quotes = expanded.split('"').skip(2).step_by(2);
    let file_at = expanded
        .split('"')
        .skip(1)
        .step_by(2)
        .zip(after_quotes)
        .find_map(|(path, after)| {
            let line: String = after
                .strip_prefix(':')?
                .chars()
                .take_while(|ch| ch.is_ascii_digit())
                .collect();
            (!line.is_empty()).then_some((path, line))
        });
    let name = quoted
        .iter()
        .find(|q| file_at.as_ref().is_none_or(|(path, _)| path != *q))
        .copied();
    let file =
        file_at.map(|(path, line)| format!("{}:{line}", path.rsplit('/').next().unwrap_or(path)));
    match (name, file) {
        (Some(n), Some(f)) => format!("{n} ({f})"),
        (Some(n), None) => n.to_string(),
        (None, Some(f)) => f,
        (None, None) => "unknown location".to_string(),
    }
}
