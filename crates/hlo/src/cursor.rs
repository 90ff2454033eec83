//! A character cursor over one line of HLO text.
//!
//! Every parser in this crate reads through this type so that bounds are checked in one
//! place: the cursor only ever moves by whole characters, so slicing never panics.

use crate::error::ParseErrorKind;

/// Position-tracking reader over a `&str`.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Self { text, pos: 0 }
    }

    /// Byte offset of the cursor, for error columns.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The text from byte offset `start` (an earlier position) to the cursor.
    pub(crate) fn text_from(&self, start: usize) -> &'a str {
        &self.text[start..self.pos]
    }

    pub(crate) fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest().is_empty()
    }

    pub(crate) fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    pub(crate) fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// Skips blanks and `/*...*/` comments (XLA prints `/*index=5*/` in long lists).
    /// Bytes, not chars: every byte it stops after is ASCII, so the cursor stays on a
    /// char boundary.
    pub(crate) fn skip_ws(&mut self) {
        let bytes = self.text.as_bytes();
        loop {
            while bytes.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
                self.pos += 1;
            }
            if !bytes[self.pos..].starts_with(b"/*") {
                return;
            }
            match self.rest().find("*/") {
                Some(end) => self.pos += end + 2,
                None => self.pos = self.text.len(),
            }
        }
    }

    /// Consumes `token` (after blanks) if it is next.
    pub(crate) fn eat(&mut self, token: &str) -> bool {
        self.skip_ws();
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    pub(crate) fn expect(&mut self, token: &'static str) -> Result<(), ParseErrorKind> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(self.expected(token))
        }
    }

    /// The error for "wanted `expected` here", quoting a little of what is there.
    pub(crate) fn expected(&self, expected: &'static str) -> ParseErrorKind {
        ParseErrorKind::Expected {
            expected,
            found: self.rest().chars().take(24).collect(),
        }
    }

    /// Takes the longest run of characters matching `pred` (possibly empty).
    pub(crate) fn take_while(&mut self, pred: impl Fn(char) -> bool) -> &'a str {
        let rest = self.rest();
        let len = rest.find(|c| !pred(c)).unwrap_or(rest.len());
        self.pos += len;
        &rest[..len]
    }

    /// An HLO identifier: names, opcodes and attribute keys (`copy-start`, `param_0.1`).
    pub(crate) fn ident(&mut self) -> &'a str {
        self.skip_ws();
        self.take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '$'))
    }

    pub(crate) fn int(&mut self) -> Result<i64, ParseErrorKind> {
        self.skip_ws();
        let start = self.pos;
        self.eat("-");
        self.take_while(|c| c.is_ascii_digit());
        let digits = &self.text[start..self.pos];
        if digits.is_empty() || digits == "-" {
            return Err(self.expected("an integer"));
        }
        digits
            .parse()
            .map_err(|_| ParseErrorKind::BadNumber(digits.to_string()))
    }

    /// Takes text up to the first top-level character in `stops` (or the end), keeping
    /// brackets and quoted strings whole. This is how unknown values and literals are skipped.
    pub(crate) fn balanced_until(&mut self, stops: &[char]) -> Result<&'a str, ParseErrorKind> {
        // Every byte compared here is ASCII, so scanning bytes is exact and fast (this is
        // where long metadata and backend_config values are skipped).
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let mut stack: Vec<u8> = Vec::new();
        while let Some(&b) = bytes.get(self.pos) {
            if stack.is_empty() && b.is_ascii() && stops.contains(&char::from(b)) {
                break;
            }
            self.pos += 1;
            match (b, stack.last()) {
                (b'"', _) => self.skip_string()?,
                (b'(' | b'{' | b'[', _) => stack.push(b),
                (b')', Some(b'(')) | (b'}', Some(b'{')) | (b']', Some(b'[')) => {
                    stack.pop();
                }
                _ => {}
            }
        }
        match stack.last() {
            Some(&open) => Err(ParseErrorKind::Unclosed(char::from(open))),
            None => Ok(self.text[start..self.pos].trim()),
        }
    }

    /// After an opening quote: up to and including the closing one, honouring `\`.
    fn skip_string(&mut self) -> Result<(), ParseErrorKind> {
        let bytes = self.text.as_bytes();
        while let Some(&b) = bytes.get(self.pos) {
            self.pos += 1;
            match b {
                // The escaped char may be multi-byte: step over all of it.
                b'\\' => {
                    self.bump();
                }
                b'"' => return Ok(()),
                _ => {}
            }
        }
        Err(ParseErrorKind::Unclosed('"'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_keeps_nested_commas_and_strings() {
        let mut c = Cursor::new(r#"{a,"x,}\"y",(1,2)}, next"#);
        assert_eq!(
            c.balanced_until(&[',', ')']).unwrap(),
            r#"{a,"x,}\"y",(1,2)}"#
        );
        assert!(c.eat(","));
        assert_eq!(c.ident(), "next");
    }

    #[test]
    fn comments_are_blanks() {
        let mut c = Cursor::new("  /*index=5*/ f32");
        assert_eq!(c.ident(), "f32");
    }

    #[test]
    fn unclosed_is_an_error_not_a_panic() {
        assert_eq!(
            Cursor::new("{(").balanced_until(&[')']),
            Err(ParseErrorKind::Unclosed('('))
        );
        assert_eq!(
            Cursor::new("\"abc").balanced_until(&[')']),
            Err(ParseErrorKind::Unclosed('"'))
        );
    }
}
