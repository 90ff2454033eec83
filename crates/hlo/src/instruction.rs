//! One HLO instruction line: `[ROOT] %name = shape opcode(operands), key=value, ...`.

use crate::cursor::Cursor;
use crate::error::ParseErrorKind;
use crate::shape::Shape;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// A use of another instruction's value; the shape is present when XLA printed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operand {
    pub name: String,
    pub shape: Option<Shape>,
    /// `%t#2`: element 2 of tuple-shaped `%t`, how newer XLA prints a get-tuple-element
    /// folded into its user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
}

/// The `key=value, ...` text after the operand list, kept as written (quotes and braces
/// included) so attributes this crate does not know survive untouched. One string per
/// instruction with the pairs as ranges into it: long metadata and backend configs are
/// copied once, not allocated pair by pair (most of the parse time of a big dump).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attributes {
    text: String,
    pairs: Vec<(Range<usize>, Range<usize>)>,
}

impl Attributes {
    /// `(key, value)` in the order written.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs
            .iter()
            .map(|(k, v)| (&self.text[k.clone()], &self.text[v.clone()]))
    }

    /// The raw value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Reads `, key=value, ...` up to the end of the text.
    fn parse(c: &mut Cursor) -> Result<Self, ParseErrorKind> {
        let start = c.pos();
        let mut pairs = Vec::new();
        while c.eat(",") {
            let key = c.ident();
            if key.is_empty() {
                return Err(c.expected("an attribute name"));
            }
            let key_end = c.pos() - start;
            let key = key_end - key.len()..key_end;
            c.expect("=")?;
            c.skip_ws();
            let at = c.pos() - start;
            let value = c.balanced_until(&[','])?;
            // balanced_until trims only the end here: the start is past the blanks.
            pairs.push((key, at..at + value.len()));
        }
        let text = c.text_from(start).to_string();
        Ok(Self { text, pairs })
    }
}

/// A parsed instruction. Only what the lint and goldens need is typed; the rest is text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instruction {
    pub name: String,
    pub is_root: bool,
    pub shape: Shape,
    pub opcode: String,
    pub operands: Vec<Operand>,
    /// Non-operand arguments: a constant's literal, a parameter's number.
    pub arguments: Vec<String>,
    pub attributes: Attributes,
    /// 1-based line in the module text.
    pub line: usize,
}

impl Instruction {
    /// Parses one line; `line` is only recorded.
    pub(crate) fn parse(c: &mut Cursor, line: usize) -> Result<Self, ParseErrorKind> {
        let is_root = c.eat("ROOT ");
        c.skip_ws();
        c.eat("%");
        let name = c
            .take_while(|ch| !ch.is_whitespace() && ch != '=')
            .to_string();
        if name.is_empty() {
            return Err(c.expected("an instruction name"));
        }
        c.expect("=")?;
        let shape = Shape::parse(c)?;
        let opcode = c.ident().to_string();
        if opcode.is_empty() {
            return Err(c.expected("an opcode"));
        }
        c.expect("(")?;
        let (operands, arguments) = parse_operands(c, opcode == "constant")?;
        let attributes = Attributes::parse(c)?;
        c.skip_ws();
        if !c.is_empty() {
            return Err(c.expected("',' or the end of the line"));
        }
        Ok(Self {
            name,
            is_root,
            shape,
            opcode,
            operands,
            arguments,
            attributes,
            line,
        })
    }

    /// The raw value of attribute `key`.
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attributes.get(key)
    }

    /// `custom_call_target`, unquoted.
    pub fn custom_call_target(&self) -> Option<&str> {
        self.attr("custom_call_target").map(unquote)
    }

    /// `backend_config` as JSON, whether printed as an object or as a quoted string.
    pub fn backend_config(&self) -> Option<serde_json::Value> {
        let raw = self.attr("backend_config")?;
        if raw.starts_with('"') {
            let text: String = serde_json::from_str(raw).ok()?;
            serde_json::from_str(&text).ok()
        } else {
            serde_json::from_str(raw).ok()
        }
    }

    /// `op_name` from `metadata={...}`: the framework-level name of the op.
    pub fn op_name(&self) -> Option<&str> {
        let meta = self.attr("metadata")?;
        let start = meta.find("op_name=\"")? + "op_name=\"".len();
        let len = meta[start..].find('"')?;
        Some(&meta[start..start + len])
    }

    /// Computations this instruction calls (`calls=`, `to_apply=`, `body=`, ...), by name.
    pub fn called_computations(&self) -> Vec<&str> {
        const KEYS: &[&str] = &[
            "calls",
            "to_apply",
            "body",
            "condition",
            "branch_computations",
            "called_computations",
        ];
        self.attributes
            .iter()
            .filter(|(key, _)| KEYS.contains(key))
            .flat_map(|(_, value)| value.trim_matches(|c| c == '{' || c == '}').split(','))
            .map(|n| n.trim().trim_start_matches('%'))
            .filter(|n| !n.is_empty())
            .collect()
    }

    /// `parameter(N)`'s N.
    pub fn parameter_number(&self) -> Option<usize> {
        (self.opcode == "parameter").then(|| self.arguments.first()?.parse().ok())?
    }

    /// `index=N` of a get-tuple-element.
    pub fn tuple_index(&self) -> Option<usize> {
        self.attr("index")?.parse().ok()
    }

    /// `dimensions={...}`, e.g. a transpose's permutation.
    pub fn dimensions(&self) -> Option<Vec<i64>> {
        let raw = self
            .attr("dimensions")?
            .trim_matches(|c| c == '{' || c == '}');
        raw.split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().parse().ok())
            .collect()
    }
}

fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
}

/// Splits `a, f32[8]{0} %b, 3)` into operands and literal arguments.
fn parse_operands(
    c: &mut Cursor,
    literal_only: bool,
) -> Result<(Vec<Operand>, Vec<String>), ParseErrorKind> {
    let mut operands = Vec::new();
    let mut arguments = Vec::new();
    if c.eat(")") {
        return Ok((operands, arguments));
    }
    loop {
        let item = c.balanced_until(&[',', ')'])?;
        match (literal_only, operand(item)) {
            (false, Some(op)) => operands.push(op),
            _ => arguments.push(item.to_string()),
        }
        if c.eat(")") {
            return Ok((operands, arguments));
        }
        c.expect(",")?;
    }
}

/// `%name`, `shape %name` or a bare identifier; anything else is a literal.
fn operand(item: &str) -> Option<Operand> {
    let mut c = Cursor::new(item);
    let shape = if item.starts_with('%') {
        None
    } else {
        Shape::parse(&mut c).ok()
    };
    let text = c.rest().trim().trim_start_matches('%');
    let (name, index) = match text.rsplit_once('#') {
        Some((name, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            (name, Some(n.parse().ok()?))
        }
        _ => (text, None),
    };
    let is_name = name.starts_with(|ch: char| ch.is_ascii_alphabetic() || ch == '_')
        && !name.contains(char::is_whitespace);
    is_name.then(|| Operand {
        name: name.to_string(),
        shape,
        index,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Instruction {
        Instruction::parse(&mut Cursor::new(line), 1).unwrap()
    }

    #[test]
    fn custom_call_with_config() {
        let i = parse(
            r#"ROOT %fa.1 = bf16[2,128]{1,0:T(8,128)(2,1)} custom-call(%q.1, %k.1), custom_call_target="tpu_custom_call", operand_layout_constraints={bf16[2,128]{1,0}, bf16[2,128]{1,0}}, metadata={op_name="jit(f)/pallas_call" stack_frame_id=10}, backend_config={"custom_call_config":{"body":"TUzv"}}"#,
        );
        assert!(i.is_root);
        assert_eq!(i.name, "fa.1");
        assert_eq!(i.opcode, "custom-call");
        assert_eq!(
            i.operands
                .iter()
                .map(|o| o.name.as_str())
                .collect::<Vec<_>>(),
            ["q.1", "k.1"]
        );
        assert_eq!(i.custom_call_target(), Some("tpu_custom_call"));
        assert_eq!(i.op_name(), Some("jit(f)/pallas_call"));
        assert_eq!(
            i.backend_config().unwrap()["custom_call_config"]["body"],
            "TUzv"
        );
    }

    #[test]
    fn typed_operands_literals_and_calls() {
        let i = parse("%f = f32[8]{0} fusion(f32[8]{0} %a, s32[] b), kind=kLoop, calls=%fused");
        assert_eq!(
            i.operands[0].shape.as_ref().unwrap().to_string(),
            "f32[8]{0}"
        );
        assert_eq!(i.operands[1].name, "b");
        assert_eq!(i.called_computations(), ["fused"]);
        let g = parse("%f = f32[8]{0} fusion(%t#4, %u), kind=kLoop, calls=%fused");
        assert_eq!(
            (g.operands[0].name.as_str(), g.operands[0].index),
            ("t", Some(4))
        );
        assert_eq!(g.operands[1].index, None);
        let k = parse("%c = s32[2]{0} constant({1, 2})");
        assert!(k.operands.is_empty());
        assert_eq!(k.arguments, ["{1, 2}"]);
        assert_eq!(parse("%p = f32[] parameter(3)").parameter_number(), Some(3));
        let t = parse("%t = f32[2,3]{0,1} transpose(%x), dimensions={1,0}");
        assert_eq!(t.dimensions(), Some(vec![1, 0]));
        let q = parse(
            r#"%q = f32[] custom-call(), custom_call_target="x", backend_config="{\"a\":1}""#,
        );
        assert_eq!(q.backend_config().unwrap()["a"], 1);
    }

    #[test]
    fn malformed_lines_are_errors() {
        for bad in [
            "%x = ",
            "%x = f32[] ",
            "%x = f32[] add(%a",
            "= f32[] add()",
            "%x = f32[] add() junk",
        ] {
            assert!(
                Instruction::parse(&mut Cursor::new(bad), 1).is_err(),
                "{bad}"
            );
        }
    }
}
