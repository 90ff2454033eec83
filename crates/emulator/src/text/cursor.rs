//! A byte cursor over MLIR text: whitespace and comments, punctuation, identifiers,
//! numbers, strings, and balanced spans kept as raw text.

use crate::error::ParseError;

pub(crate) struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

/// Characters of bare identifiers and suffixes (`i32`, `stable_mosaic.tpu.matmul`, `arg0`).
fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'$')
}

impl<'a> Cursor<'a> {
    pub fn new(text: &'a str) -> Self {
        Cursor { text, pos: 0 }
    }

    pub fn error(&self, message: impl Into<String>) -> ParseError {
        let before = &self.text[..self.pos.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        let rest: String = self.text[self.pos.min(self.text.len())..]
            .chars()
            .take(40)
            .collect();
        ParseError {
            line,
            column,
            message: message.into(),
            near: rest,
        }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// Skips spaces, newlines and `//` comments.
    pub fn skip(&mut self) {
        loop {
            while self.pos < self.text.len() && self.bytes()[self.pos].is_ascii_whitespace() {
                self.pos += 1;
            }
            if self.text[self.pos..].starts_with("//") {
                while self.pos < self.text.len() && self.bytes()[self.pos] != b'\n' {
                    self.pos += 1;
                }
            } else {
                return;
            }
        }
    }

    pub fn at_end(&mut self) -> bool {
        self.skip();
        self.pos >= self.text.len()
    }

    pub fn peek(&mut self) -> Option<u8> {
        self.skip();
        self.bytes().get(self.pos).copied()
    }

    /// The next byte without skipping whitespace.
    pub fn peek_raw(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    pub fn bump(&mut self) {
        self.pos += 1;
    }

    /// Consumes `s` if the text continues with it.
    pub fn eat(&mut self, s: &str) -> bool {
        self.skip();
        if self.text[self.pos..].starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    /// Consumes the keyword `word` if it is followed by a non-identifier character.
    pub fn eat_word(&mut self, word: &str) -> bool {
        self.skip();
        let rest = &self.text[self.pos..];
        if rest.starts_with(word)
            && !rest
                .as_bytes()
                .get(word.len())
                .is_some_and(|c| is_ident(*c))
        {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    pub fn expect(&mut self, s: &str) -> Result<(), ParseError> {
        if self.eat(s) {
            Ok(())
        } else {
            Err(self.error(format!("expected `{s}`")))
        }
    }

    pub fn starts_with(&mut self, s: &str) -> bool {
        self.skip();
        self.text[self.pos..].starts_with(s)
    }

    /// A bare identifier (possibly empty) starting here, without skipping whitespace.
    pub fn ident_raw(&mut self) -> &'a str {
        let start = self.pos;
        while self.pos < self.text.len() && is_ident(self.bytes()[self.pos]) {
            self.pos += 1;
        }
        &self.text[start..self.pos]
    }

    pub fn ident(&mut self) -> Result<&'a str, ParseError> {
        self.skip();
        let id = self.ident_raw();
        if id.is_empty() {
            Err(self.error("expected an identifier"))
        } else {
            Ok(id)
        }
    }

    /// One static dim `N` followed by `x` (as in `128x128xf32`), if the text continues so.
    pub fn dim(&mut self) -> Option<usize> {
        let digits = self.bytes()[self.pos..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 || self.bytes().get(self.pos + digits) != Some(&b'x') {
            return None;
        }
        let d = self.text[self.pos..self.pos + digits].parse().ok()?;
        self.pos += digits + 1;
        Some(d)
    }

    /// A double-quoted string with MLIR escapes (`\"`, `\\`, `\n`, `\XX` hex).
    pub fn string(&mut self) -> Result<String, ParseError> {
        self.expect("\"")?;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.bytes().get(self.pos) else {
                return Err(self.error("unterminated string"));
            };
            self.pos += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.bytes().get(self.pos) else {
                        return Err(self.error("unterminated escape"));
                    };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'"' | b'\\' => out.push(e),
                        _ => {
                            let hex = self
                                .text
                                .get(self.pos - 1..self.pos + 1)
                                .ok_or_else(|| self.error("bad escape"))?;
                            out.push(
                                u8::from_str_radix(hex, 16)
                                    .map_err(|_| self.error(format!("bad escape `\\{hex}`")))?,
                            );
                            self.pos += 1;
                        }
                    }
                }
                _ => out.push(c),
            }
        }
        String::from_utf8(out).map_err(|_| self.error("string is not UTF-8"))
    }

    /// A number token: `-12`, `1.5e-3`, `0xFF800000`, `inf`, `nan` (text kept for typing).
    pub fn number(&mut self) -> Result<&'a str, ParseError> {
        self.skip();
        let start = self.pos;
        if matches!(self.peek_raw(), Some(b'-' | b'+')) {
            self.pos += 1;
        }
        while self.pos < self.text.len() {
            let c = self.bytes()[self.pos];
            let exponent_sign = matches!(c, b'-' | b'+')
                && matches!(self.bytes()[self.pos - 1], b'e' | b'E')
                && !self.text[start..self.pos].contains("0x");
            if c.is_ascii_alphanumeric() || c == b'.' || exponent_sign {
                self.pos += 1;
            } else {
                break;
            }
        }
        if self.pos == start {
            return Err(self.error("expected a number"));
        }
        Ok(&self.text[start..self.pos])
    }

    /// The raw text of a balanced `open … close` group starting here, without the outer
    /// delimiters (strings inside are skipped whole).
    pub fn balanced(&mut self, open: u8, close: u8) -> Result<&'a str, ParseError> {
        self.skip();
        if self.peek_raw() != Some(open) {
            return Err(self.error(format!("expected `{}`", open as char)));
        }
        self.pos += 1;
        let start = self.pos;
        let mut depth = 1;
        while self.pos < self.text.len() {
            let c = self.bytes()[self.pos];
            if c == b'"' {
                self.string()?;
                continue;
            }
            self.pos += 1;
            if c == open {
                depth += 1;
            } else if c == close {
                depth -= 1;
                if depth == 0 {
                    return Ok(&self.text[start..self.pos - 1]);
                }
            }
        }
        Err(self.error(format!("unbalanced `{}`", open as char)))
    }
}
