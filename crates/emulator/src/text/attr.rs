//! Attributes and types in MLIR's textual syntax, as far as Mosaic uses them.

use super::cursor::Cursor;
use crate::error::ParseError;
use crate::types::{Elem, MemElem, MemRefType, Space, Type};

/// An attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum Attr {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    Unit,
    Array(Vec<Attr>),
    /// `array<i32: …>` / `array<i64: …>` (dense arrays; booleans as 0/1).
    Ints(Vec<i64>),
    /// `dense<…> : type`, values flattened in row-major order (one value: a splat).
    Dense {
        ty: Type,
        values: DenseValues,
    },
    Dict(Vec<(String, Attr)>),
    Symbol(String),
    /// A dialect attribute `#tpu.memory_space<vmem>`: its name and the raw text in `<…>`.
    Dialect {
        name: String,
        body: String,
    },
    /// A reference to an alias defined elsewhere in the file (`#map`, `#loc3`).
    Alias(String),
    Type(Type),
    /// Anything the emulator has no use for (`affine_map<…>`, `strided<…>`), kept as text.
    Other(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum DenseValues {
    Float(Vec<f64>),
    Int(Vec<i64>),
}

impl Attr {
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Attr::Int(v) => Some(*v),
            Attr::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// A list of integers from `array<…>` or `[…]`.
    pub fn as_ints(&self) -> Option<Vec<i64>> {
        match self {
            Attr::Ints(v) => Some(v.clone()),
            Attr::Array(items) => items.iter().map(Attr::as_int).collect(),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Attr::Bool(b) => Some(*b),
            Attr::Unit => Some(true),
            Attr::Int(v) => Some(*v != 0),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Attr> {
        match self {
            Attr::Dict(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// The scalar element a type keyword names.
fn elem_keyword(word: &str) -> Option<Elem> {
    Some(match word {
        "f32" => Elem::F32,
        "bf16" => Elem::Bf16,
        "f16" => Elem::F16,
        "f64" => Elem::F64,
        "index" => Elem::Index,
        _ => {
            let bits: u8 = word.strip_prefix('i')?.parse().ok()?;
            Elem::Int(bits)
        }
    })
}

pub(crate) fn parse_type(c: &mut Cursor) -> Result<Type, ParseError> {
    if c.peek() == Some(b'(') {
        c.bump();
        let inputs = type_list(c, ")")?;
        c.expect("->")?;
        let results = if c.eat("(") {
            type_list(c, ")")?
        } else {
            vec![parse_type(c)?]
        };
        return Ok(Type::Function { inputs, results });
    }
    if c.eat("!") {
        let name = c.ident_raw();
        return match name {
            "tpu.dma_semaphore" => Ok(Type::Semaphore(MemElem::DmaSemaphore)),
            "tpu.semaphore" => Ok(Type::Semaphore(MemElem::Semaphore)),
            _ => Err(c.error(format!("unsupported type `!{name}`"))),
        };
    }
    let word = c.ident()?;
    if let Some(e) = elem_keyword(word) {
        return Ok(Type::Scalar(e));
    }
    match word {
        "vector" => {
            c.expect("<")?;
            let shape = dims(c)?;
            let elem = match parse_type(c)? {
                Type::Scalar(e) => e,
                other => return Err(c.error(format!("vector of {other}"))),
            };
            c.expect(">")?;
            Ok(Type::Vector { shape, elem })
        }
        "memref" => {
            c.expect("<")?;
            let shape = dims(c)?;
            let elem = match parse_type(c)? {
                Type::Scalar(e) => MemElem::Data(e),
                Type::Semaphore(s) => s,
                other => return Err(c.error(format!("memref of {other}"))),
            };
            let mut space = Space::Unspecified;
            while c.eat(",") {
                // A layout (ignored: indexing is logical) or the memory space.
                if let Attr::Dialect { name, body } = parse_attr(c)? {
                    if name == "tpu.memory_space" {
                        space = match body.trim() {
                            "vmem" => Space::Vmem,
                            "smem" => Space::Smem,
                            "any" => Space::Any,
                            "hbm" => Space::Hbm,
                            "semaphore_mem" => Space::SemaphoreMem,
                            other => return Err(c.error(format!("unknown memory space `{other}`"))),
                        };
                    }
                }
            }
            c.expect(">")?;
            Ok(Type::MemRef(MemRefType { shape, elem, space }))
        }
        _ => Err(c.error(format!("unsupported type `{word}`"))),
    }
}

/// Static dims `AxBx…x` before an element type.
fn dims(c: &mut Cursor) -> Result<Vec<usize>, ParseError> {
    c.skip();
    let mut shape = Vec::new();
    while let Some(d) = c.dim() {
        shape.push(d);
    }
    Ok(shape)
}

fn type_list(c: &mut Cursor, close: &str) -> Result<Vec<Type>, ParseError> {
    let mut types = Vec::new();
    if c.eat(close) {
        return Ok(types);
    }
    loop {
        types.push(parse_type(c)?);
        if c.eat(close) {
            return Ok(types);
        }
        c.expect(",")?;
    }
}

pub(crate) fn parse_attr(c: &mut Cursor) -> Result<Attr, ParseError> {
    match c.peek() {
        Some(b'"') => Ok(Attr::Str(c.string()?)),
        Some(b'[') => {
            c.bump();
            let mut items = Vec::new();
            if !c.eat("]") {
                loop {
                    items.push(parse_attr(c)?);
                    if c.eat("]") {
                        break;
                    }
                    c.expect(",")?;
                }
            }
            Ok(Attr::Array(items))
        }
        Some(b'{') => Ok(Attr::Dict(parse_dict(c)?)),
        Some(b'@') => {
            c.bump();
            let name = if c.peek_raw() == Some(b'"') {
                c.string()?
            } else {
                c.ident_raw().to_string()
            };
            Ok(Attr::Symbol(name))
        }
        Some(b'#') => {
            c.bump();
            let name = c.ident_raw().to_string();
            if c.peek_raw() == Some(b'<') {
                let body = c.balanced(b'<', b'>')?.to_string();
                Ok(Attr::Dialect { name, body })
            } else {
                Ok(Attr::Alias(name))
            }
        }
        Some(b'(' | b'!') => Ok(Attr::Type(parse_type(c)?)),
        Some(b) if b == b'-' || b.is_ascii_digit() => {
            let text = c.number()?;
            typed_number(c, text)
        }
        _ => keyword_attr(c),
    }
}

fn keyword_attr(c: &mut Cursor) -> Result<Attr, ParseError> {
    for (word, attr) in [
        ("true", Attr::Bool(true)),
        ("false", Attr::Bool(false)),
        ("unit", Attr::Unit),
    ] {
        if c.eat_word(word) {
            return Ok(attr);
        }
    }
    if c.eat_word("dense") {
        return dense(c);
    }
    if c.eat_word("array") {
        c.expect("<")?;
        parse_type(c)?;
        let mut values = Vec::new();
        if c.eat(":") {
            loop {
                values.push(if c.eat_word("true") {
                    1
                } else if c.eat_word("false") {
                    0
                } else {
                    let n = c.number()?;
                    n.parse()
                        .map_err(|_| c.error(format!("bad integer `{n}`")))?
                });
                if !c.eat(",") {
                    break;
                }
            }
        }
        c.expect(">")?;
        return Ok(Attr::Ints(values));
    }
    for word in ["affine_map", "strided", "distinct"] {
        if c.eat_word(word) {
            let body = c.balanced(b'<', b'>')?;
            return Ok(Attr::Other(format!("{word}<{body}>")));
        }
    }
    Ok(Attr::Type(parse_type(c)?))
}

/// A number, typed by an optional `: type` (hex integers become float bit patterns).
fn typed_number(c: &mut Cursor, text: &str) -> Result<Attr, ParseError> {
    let ty = if c.starts_with(":") && !c.starts_with("::") {
        c.expect(":")?;
        Some(parse_type(c)?)
    } else {
        None
    };
    let elem = ty.as_ref().and_then(Type::elem);
    let lit = literal(c, text)?;
    Ok(match elem {
        Some(e) if e.is_float() => Attr::Float(lit.float(e)),
        Some(_) => Attr::Int(lit.int(c)?),
        None => match lit {
            Lit::Float(f) => Attr::Float(f),
            Lit::Int(i) => Attr::Int(i),
            Lit::Hex(h) => Attr::Int(h as i64),
        },
    })
}

#[derive(Clone, Copy)]
enum Lit {
    Int(i64),
    Float(f64),
    Hex(u64),
}

impl Lit {
    fn float(self, e: Elem) -> f64 {
        match self {
            Lit::Int(i) => i as f64,
            Lit::Float(f) => f,
            Lit::Hex(h) => match e {
                Elem::F64 => f64::from_bits(h),
                Elem::Bf16 => f64::from(half::bf16::from_bits(h as u16).to_f32()),
                Elem::F16 => f64::from(half::f16::from_bits(h as u16).to_f32()),
                _ => f64::from(f32::from_bits(h as u32)),
            },
        }
    }

    fn int(self, c: &Cursor) -> Result<i64, ParseError> {
        match self {
            Lit::Int(i) => Ok(i),
            Lit::Hex(h) => Ok(h as i64),
            Lit::Float(f) => Err(c.error(format!("float {f} where an integer was expected"))),
        }
    }
}

fn literal(c: &Cursor, text: &str) -> Result<Lit, ParseError> {
    let bad = || c.error(format!("bad number `{text}`"));
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16)
            .map(Lit::Hex)
            .map_err(|_| bad());
    }
    if let Ok(i) = text.parse::<i64>() {
        return Ok(Lit::Int(i));
    }
    text.parse::<f64>().map(Lit::Float).map_err(|_| bad())
}

/// `dense<…> : type`: a splat, a nested list, or a hex blob `"0x…"`.
fn dense(c: &mut Cursor) -> Result<Attr, ParseError> {
    c.expect("<")?;
    let mut lits = Vec::new();
    let mut blob = None;
    if c.peek() == Some(b'"') {
        blob = Some(c.string()?);
    } else if !c.starts_with(">") {
        dense_items(c, &mut lits)?;
    }
    c.expect(">")?;
    c.expect(":")?;
    let ty = parse_type(c)?;
    let elem = ty
        .elem()
        .ok_or_else(|| c.error(format!("dense attribute of type {ty}")))?;
    if let Some(blob) = blob {
        let hex = blob
            .strip_prefix("0x")
            .ok_or_else(|| c.error("dense blob without 0x"))?;
        let bytes: Vec<u8> = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0))
            .collect();
        let width = elem.bytes();
        lits = bytes
            .chunks(width)
            .map(|chunk| {
                Lit::Hex(
                    chunk
                        .iter()
                        .rev()
                        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)),
                )
            })
            .collect();
        if !elem.is_float() {
            let bits = u32::from(width as u8) * 8;
            lits = lits
                .into_iter()
                .map(|l| {
                    if let Lit::Hex(h) = l {
                        Lit::Int(sign_extend(h, bits))
                    } else {
                        l
                    }
                })
                .collect();
        }
    }
    let values = if elem.is_float() {
        DenseValues::Float(lits.iter().map(|l| l.float(elem)).collect())
    } else {
        DenseValues::Int(lits.iter().map(|l| l.int(c)).collect::<Result<_, _>>()?)
    };
    Ok(Attr::Dense { ty, values })
}

fn sign_extend(value: u64, bits: u32) -> i64 {
    if bits >= 64 {
        value as i64
    } else {
        let shift = 64 - bits;
        ((value << shift) as i64) >> shift
    }
}

fn dense_items(c: &mut Cursor, out: &mut Vec<Lit>) -> Result<(), ParseError> {
    if c.eat("[") {
        if c.eat("]") {
            return Ok(());
        }
        loop {
            dense_items(c, out)?;
            if c.eat("]") {
                return Ok(());
            }
            c.expect(",")?;
        }
    }
    if c.eat_word("true") {
        out.push(Lit::Int(1));
    } else if c.eat_word("false") {
        out.push(Lit::Int(0));
    } else {
        let text = c.number()?;
        out.push(literal(c, text)?);
    }
    Ok(())
}

/// `{name = attr, unit_name, …}`.
pub(crate) fn parse_dict(c: &mut Cursor) -> Result<Vec<(String, Attr)>, ParseError> {
    c.expect("{")?;
    let mut entries = Vec::new();
    if c.eat("}") {
        return Ok(entries);
    }
    loop {
        let key = if c.peek() == Some(b'"') {
            c.string()?
        } else {
            c.ident()?.to_string()
        };
        let value = if c.eat("=") {
            parse_attr(c)?
        } else {
            Attr::Unit
        };
        entries.push((key, value));
        if c.eat("}") {
            return Ok(entries);
        }
        c.expect(",")?;
    }
}
