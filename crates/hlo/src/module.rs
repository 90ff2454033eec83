//! A whole HLO module as XLA dumps it: header, computations, and the debug-info sections
//! (`FileNames`, `StackFrames`, ...) that newer XLA prints and this reader skips.

use crate::cursor::Cursor;
use crate::error::{ParseError, ParseErrorKind};
use crate::instruction::{Instruction, Operand};
use crate::shape::Shape;
use serde::Serialize;
use std::collections::HashMap;

/// A named list of instructions; fused and called computations look like the entry.
#[derive(Debug, Clone, Serialize)]
pub struct Computation {
    pub name: String,
    pub is_entry: bool,
    pub instructions: Vec<Instruction>,
    #[serde(skip)]
    by_name: HashMap<String, usize>,
}

impl Computation {
    fn new(name: String, is_entry: bool) -> Self {
        Self {
            name,
            is_entry,
            instructions: Vec::new(),
            by_name: HashMap::new(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Instruction> {
        self.by_name.get(name).map(|&i| &self.instructions[i])
    }

    /// The `ROOT` instruction (the last one if none is marked, as XLA's parser does).
    pub fn root(&self) -> Option<&Instruction> {
        self.instructions
            .iter()
            .find(|i| i.is_root)
            .or(self.instructions.last())
    }

    /// The shape of the value `operand` uses: its definition's (the tuple element for
    /// `%t#i`), or, failing that, the shape printed at the use.
    pub fn operand_shape<'a>(&'a self, operand: &'a Operand) -> Option<&'a Shape> {
        let defined = self.get(&operand.name).map(|i| &i.shape);
        let defined = match operand.index {
            Some(i) => defined.and_then(|s| s.tuple_element(i)),
            None => defined,
        };
        defined.or(operand.shape.as_ref())
    }

    /// `parameter(number)`.
    pub fn parameter(&self, number: usize) -> Option<&Instruction> {
        self.instructions
            .iter()
            .find(|i| i.parameter_number() == Some(number))
    }

    /// Instructions that use `name` as an operand, with the operand position.
    pub fn users<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = (&'a Instruction, usize)> + 'a {
        self.instructions.iter().flat_map(move |i| {
            i.operands
                .iter()
                .enumerate()
                .filter(move |(_, o)| o.name == name)
                .map(move |(k, _)| (i, k))
        })
    }

    fn push(&mut self, inst: Instruction) -> Result<(), ParseErrorKind> {
        if self.by_name.contains_key(&inst.name) {
            return Err(ParseErrorKind::DuplicateName(inst.name));
        }
        self.by_name
            .insert(inst.name.clone(), self.instructions.len());
        self.instructions.push(inst);
        Ok(())
    }
}

/// A parsed module.
#[derive(Debug, Clone, Serialize)]
pub struct HloModule {
    pub name: String,
    /// The header after the name (`is_scheduled=true, entry_computation_layout=...`), raw.
    pub header: String,
    pub computations: Vec<Computation>,
}

impl HloModule {
    /// Reads XLA's HLO text (one instruction per line, as `--xla_dump_hlo_as_text` writes).
    /// Never panics; unknown attributes, opcodes, types and layout items are kept as text.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let mut module: Option<HloModule> = None;
        let mut open: Option<(Computation, usize)> = None;
        for (index, raw) in text.lines().enumerate() {
            let number = index + 1;
            let indent = raw.len() - raw.trim_start().len();
            let line = raw.trim();
            let at = |c: &Cursor, kind| ParseError {
                line: number,
                column: indent + c.pos() + 1,
                kind,
            };
            let mut c = Cursor::new(line);
            if let Some((mut comp, start)) = open.take() {
                if line == "}" {
                    module
                        .as_mut()
                        .ok_or_else(|| at(&c, ParseErrorKind::MissingHeader))?
                        .computations
                        .push(comp);
                    continue;
                }
                if !line.is_empty() {
                    let inst = Instruction::parse(&mut c, number).map_err(|k| at(&c, k))?;
                    comp.push(inst).map_err(|k| at(&Cursor::new(""), k))?;
                }
                open = Some((comp, start));
            } else if let Some(rest) = line.strip_prefix("HloModule ") {
                let (name, header) = rest.split_once(',').unwrap_or((rest, ""));
                module = Some(HloModule {
                    name: name.trim().into(),
                    header: header.trim().into(),
                    computations: vec![],
                });
            } else if line.ends_with('{') && line.contains("->") {
                open = Some((computation_header(&mut c).map_err(|k| at(&c, k))?, number));
            } else if line.starts_with("ROOT ") {
                return Err(at(&c, ParseErrorKind::StrayInstruction));
            }
        }
        if let Some((comp, number)) = open {
            return Err(ParseError {
                line: number,
                column: 1,
                kind: ParseErrorKind::UnclosedComputation(comp.name),
            });
        }
        module.ok_or(ParseError {
            line: 1,
            column: 1,
            kind: ParseErrorKind::MissingHeader,
        })
    }

    /// The `ENTRY` computation (the last one if none is marked).
    pub fn entry(&self) -> Option<&Computation> {
        self.computations
            .iter()
            .find(|c| c.is_entry)
            .or(self.computations.last())
    }

    pub fn computation(&self, name: &str) -> Option<&Computation> {
        self.computations.iter().find(|c| c.name == name)
    }

    /// Every instruction with the computation it lives in.
    pub fn instructions(&self) -> impl Iterator<Item = (&Computation, &Instruction)> {
        self.computations
            .iter()
            .flat_map(|c| c.instructions.iter().map(move |i| (c, i)))
    }
}

/// `[ENTRY] %name (params) -> result {`; the signature is implied by the parameters.
fn computation_header(c: &mut Cursor) -> Result<Computation, ParseErrorKind> {
    let is_entry = c.eat("ENTRY ");
    c.skip_ws();
    c.eat("%");
    let name = c.take_while(|ch| !ch.is_whitespace() && ch != '(');
    if name.is_empty() {
        return Err(c.expected("a computation name"));
    }
    Ok(Computation::new(name.to_string(), is_entry))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"HloModule jit_f, is_scheduled=true, entry_computation_layout={(f32[8]{0})->f32[8]{0}}

FileNames
1 "f.py"

%fused (p: f32[8]) -> f32[8] {
  %p = f32[8]{0} parameter(0)
  ROOT %t = f32[8]{0} tanh(%p)
}

ENTRY %main (x: f32[8]) -> f32[8] {
  %x = f32[8]{0} parameter(0)
  ROOT %f = f32[8]{0} fusion(%x), kind=kLoop, calls=%fused
}
"#;

    #[test]
    fn reads_computations_and_skips_debug_sections() {
        let m = HloModule::parse(SMALL).unwrap();
        assert_eq!(m.name, "jit_f");
        assert_eq!(m.computations.len(), 2);
        let entry = m.entry().unwrap();
        assert_eq!(entry.name, "main");
        assert_eq!(entry.root().unwrap().name, "f");
        assert_eq!(
            entry.users("x").next().map(|(i, k)| (i.name.as_str(), k)),
            Some(("f", 0))
        );
        assert_eq!(
            m.computation("fused").unwrap().parameter(0).unwrap().name,
            "p"
        );
    }

    #[test]
    fn errors_carry_lines() {
        let err = HloModule::parse(&SMALL.replace("tanh(%p)", "tanh(%p")).unwrap_err();
        assert_eq!(err.line, 8);
        let err = HloModule::parse(&SMALL.replace("ROOT %f", "ROOT %x")).unwrap_err();
        assert_eq!(err.kind, ParseErrorKind::DuplicateName("x".into()));
        assert!(HloModule::parse("ENTRY %m () -> f32[] {\n").is_err());
        assert_eq!(
            HloModule::parse("").unwrap_err().kind,
            ParseErrorKind::MissingHeader
        );
    }
}
