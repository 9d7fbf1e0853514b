//! The UCI file format, read the way libuci reads `/etc/config/*`.
//!
//! A file is a sequence of statements, one per line (or several separated by `;`):
//!
//! ```text
//! package logjail                 # optional, ignored
//! config TYPE ['NAME']            # opens a section; without NAME it is anonymous
//!     option NAME 'VALUE'         # sets an option of the current section
//!     list NAME 'VALUE'           # appends one value to a list option
//! ```
//!
//! The keywords may be abbreviated to their first letter (`c`, `o`, `l`, `p`) as libuci allows.
//! A word is made of unquoted text, `'single quoted'` text (taken literally) and
//! `"double quoted"` text (a backslash takes the next character literally); adjacent parts
//! concatenate, so `'a'"b"c` is `abc`. Quoted text may span lines, newlines included. Outside
//! single quotes a backslash at the end of a line joins the next line, as libuci does. An
//! unquoted `#` starts a comment that runs to the end of the line. Section and option names
//! are letters, digits and `_`; section types are printable ASCII without spaces.
//!
//! Like `uci` in its default strict mode this parser stops at the first error, and the error
//! names the file and the line: `/etc/config/logjail:12: unterminated ' quote`. Values are
//! returned exactly as written; the meaning of `option x ''` (unset) and of repeated options
//! (last wins) is applied by the loader. Invalid UTF-8 inside a name or value is an error;
//! in a comment it is ignored.

use crate::bytes::Escaped;
use core::fmt;

/// One `option` or `list` statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// `true` for `list`, `false` for `option`.
    pub list: bool,
    pub name: String,
    pub value: String,
    /// Line of the statement's keyword (1-based).
    pub line: usize,
}

/// One `config` statement with the items that follow it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub kind: String,
    /// `None` for an anonymous section (`config jail` or `config jail ''`).
    pub name: Option<String>,
    pub line: usize,
    pub items: Vec<Item>,
}

/// What is wrong with a file, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UciError {
    pub file: String,
    pub line: usize,
    pub kind: ErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// A quote (`'` or `"`) was opened on this line and never closed.
    UnterminatedQuote(char),
    /// A word that is neither `config`, `option`, `list` nor `package`.
    UnknownStatement(String),
    /// `option`/`list` before the first `config`.
    OutsideSection,
    /// A statement lacks a required word: "section type", "option name", "value", …
    Missing(&'static str),
    /// A name with characters UCI does not allow; the str says which name.
    BadName(&'static str, String),
    /// Words after the last one the statement takes.
    TooManyWords(String),
    InvalidUtf8,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::UnterminatedQuote(q) => write!(f, "unterminated {q} quote (opened on this line)"),
            ErrorKind::UnknownStatement(w) => write!(
                f,
                "unknown statement '{}': expected config, option or list",
                Excerpt(w)
            ),
            ErrorKind::OutsideSection => f.write_str("option or list before the first config section"),
            ErrorKind::Missing(what) => write!(f, "missing {what}"),
            ErrorKind::BadName(what, name) if what.ends_with("type") => write!(
                f,
                "invalid {what} '{}': use printable characters without spaces",
                Excerpt(name)
            ),
            ErrorKind::BadName(what, name) => write!(
                f,
                "invalid {what} '{}': use only letters, digits and '_'",
                Excerpt(name)
            ),
            ErrorKind::TooManyWords(w) => write!(
                f,
                "unexpected '{}' after the end of the statement (quote values that contain spaces)",
                Excerpt(w)
            ),
            ErrorKind::InvalidUtf8 => f.write_str("invalid UTF-8"),
        }
    }
}

impl fmt::Display for UciError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.kind)
    }
}

impl std::error::Error for UciError {}

/// Text quoted in an error message, cut to a readable length, escaped as `bytes::Escaped`.
pub struct Excerpt<'a>(pub &'a str);

impl fmt::Display for Excerpt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MAX: usize = 40;
        match self.0.char_indices().nth(MAX) {
            Some((cut, _)) => write!(f, "{}…", Escaped(&self.0[..cut])),
            None => write!(f, "{}", Escaped(self.0)),
        }
    }
}

/// Parses a whole file. `file` labels error messages.
pub fn parse(src: &[u8], file: &str) -> Result<Vec<Section>, UciError> {
    let mut lx = Lexer { src, pos: 0, line: 1 };
    let mut sections: Vec<Section> = Vec::new();
    let fail = |line, kind| UciError {
        file: file.into(),
        line,
        kind,
    };
    loop {
        lx.skip_blanks();
        let line = lx.line;
        let Some(keyword) = lx.word().map_err(|(l, k)| fail(l, k))? else {
            if !lx.end_statement() {
                return Ok(sections);
            }
            continue;
        };
        let text = |w: Word| {
            let line = w.line;
            w.text().map_err(|k| fail(line, k))
        };
        let next = |lx: &mut Lexer| lx.word().map_err(|(l, k)| fail(l, k));
        match keyword.bytes.as_slice() {
            b"config" | b"c" => {
                let kind = next(&mut lx)?.ok_or_else(|| fail(line, ErrorKind::Missing("section type")))?;
                let kind = text(kind)?;
                if !valid_type(&kind) {
                    return Err(fail(line, ErrorKind::BadName("section type", kind)));
                }
                let name = match next(&mut lx)? {
                    Some(w) => Some(text(w)?).filter(|n| !n.is_empty()),
                    None => None,
                };
                if let Some(n) = name.as_ref().filter(|n| !valid_name(n)) {
                    return Err(fail(line, ErrorKind::BadName("section name", n.clone())));
                }
                sections.push(Section {
                    kind,
                    name,
                    line,
                    items: Vec::new(),
                });
            }
            b"option" | b"o" | b"list" | b"l" => {
                let list = keyword.bytes[0] == b'l';
                let Some(section) = sections.last_mut() else {
                    return Err(fail(line, ErrorKind::OutsideSection));
                };
                let what = if list { "list name" } else { "option name" };
                let name = text(next(&mut lx)?.ok_or_else(|| fail(line, ErrorKind::Missing(what)))?)?;
                if !valid_name(&name) {
                    return Err(fail(line, ErrorKind::BadName(what, name)));
                }
                let Some(value) = next(&mut lx)? else {
                    return Err(fail(line, ErrorKind::Missing("value")));
                };
                let value = text(value)?;
                section.items.push(Item {
                    list,
                    name,
                    value,
                    line,
                });
            }
            b"package" | b"p" => {
                let name =
                    text(next(&mut lx)?.ok_or_else(|| fail(line, ErrorKind::Missing("package name")))?)?;
                if !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                {
                    return Err(fail(line, ErrorKind::BadName("package name", name)));
                }
            }
            _ => {
                let shown = String::from_utf8_lossy(&keyword.bytes).into_owned();
                return Err(fail(line, ErrorKind::UnknownStatement(shown)));
            }
        }
        if let Some(extra) = next(&mut lx)? {
            let shown = String::from_utf8_lossy(&extra.bytes).into_owned();
            return Err(fail(extra.line, ErrorKind::TooManyWords(shown)));
        }
        if !lx.end_statement() {
            return Ok(sections);
        }
    }
}

/// Section and option names: what libuci's `uci_validate_name` accepts.
pub fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Section types: printable ASCII without spaces (`uci_validate_type`).
fn valid_type(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| (33..=126).contains(&b))
}

/// A word as read, before UTF-8 checking.
struct Word {
    bytes: Vec<u8>,
    line: usize,
}

impl Word {
    fn text(self) -> Result<String, ErrorKind> {
        String::from_utf8(self.bytes).map_err(|_| ErrorKind::InvalidUtf8)
    }
}

struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    line: usize,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn at(&self, off: usize) -> Option<u8> {
        self.src.get(self.pos + off).copied()
    }

    /// At a backslash: if a line break follows, consumes both and returns true.
    fn splice(&mut self) -> bool {
        let len = match (self.at(1), self.at(2)) {
            (Some(b'\n'), _) => 2,
            (Some(b'\r'), Some(b'\n')) => 3,
            _ => return false,
        };
        self.pos += len;
        self.line += 1;
        true
    }

    /// Skips spaces, tabs, CRs and backslash-newline splices, stopping at a newline.
    fn skip_blanks(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c => self.pos += 1,
                b'\\' if self.splice() => {}
                _ => break,
            }
        }
    }

    /// Consumes the end of a statement (`;` or newline). False at the end of the input.
    fn end_statement(&mut self) -> bool {
        match self.peek() {
            Some(b'\n') => {
                self.line += 1;
                self.pos += 1;
                true
            }
            Some(_) => {
                self.pos += 1;
                true
            }
            None => false,
        }
    }

    /// Reads the next word of the statement, or `None` at its end (newline, `;`, comment,
    /// end of input). A comment is consumed up to, not including, its newline.
    fn word(&mut self) -> Result<Option<Word>, (usize, ErrorKind)> {
        self.skip_blanks();
        let line = self.line;
        let mut bytes = Vec::new();
        let mut any = false;
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c | b'\n' | b';' => break,
                b'#' => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.pos += 1;
                    }
                    break;
                }
                b'\'' | b'"' => self.quoted(b, &mut bytes)?,
                b'\\' => {
                    if !self.splice() {
                        self.pos += 1;
                        if let Some(c) = self.peek() {
                            bytes.push(c);
                            self.pos += 1;
                        }
                    }
                }
                _ => {
                    bytes.push(b);
                    self.pos += 1;
                }
            }
            any = true;
        }
        Ok(any.then_some(Word { bytes, line }))
    }

    /// Reads a quoted part starting at the opening quote `q`, appending its text to `out`.
    fn quoted(&mut self, q: u8, out: &mut Vec<u8>) -> Result<(), (usize, ErrorKind)> {
        let opened = self.line;
        self.pos += 1;
        loop {
            let Some(b) = self.peek() else {
                return Err((opened, ErrorKind::UnterminatedQuote(char::from(q))));
            };
            if b == q {
                self.pos += 1;
                return Ok(());
            }
            let b = if b == b'\\' && q == b'"' {
                if self.splice() {
                    continue;
                }
                self.pos += 1;
                match self.peek() {
                    Some(c) => c,
                    None => return Err((opened, ErrorKind::UnterminatedQuote('"'))),
                }
            } else {
                b
            };
            if b == b'\n' {
                self.line += 1;
            }
            out.push(b);
            self.pos += 1;
        }
    }
}

#[cfg(test)]
#[path = "uci_tests.rs"]
mod tests;
