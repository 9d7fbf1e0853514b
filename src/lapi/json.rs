//! A streaming JSON reader: bytes go in as they arrive, in chunks of any size, and tokens come
//! out one at a time. No tree is built: the caller keeps only the fields it wants.
//!
//! [`Reader::next`] takes the unread part of the current chunk and returns the next
//! [`Token`], or `None` when the chunk is used up in the middle of a token (feed the next
//! chunk and ask again). Strings (keys and values) and numbers are collected in one bounded
//! buffer ([`MAX_STRING`] bytes), so a token split across chunks costs nothing extra; nesting
//! is bounded too ([`MAX_DEPTH`]). Everything else is O(1) memory whatever the input size: a
//! 10 MB document streams through a reader of a few hundred bytes plus its string buffer.
//!
//! The grammar is RFC 8259's, checked strictly: one value per document, then only white
//! space; no trailing commas, no comments, no leading zeros, control characters escaped,
//! `\u` escapes with surrogate pairs. An error names what was wrong and the byte offset
//! where it was found ([`JsonError`]); after an error the reader stays failed.

#[path = "json_token.rs"]
mod token;
use token::number_ok;
pub use token::{JsonError, Token};

/// Longest string or number, in bytes after unescaping.
pub const MAX_STRING: usize = 4096;
/// Deepest nesting of arrays and objects.
pub const MAX_DEPTH: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// A value must come (document start, after `:`, after `,` in an array).
    Value,
    /// After `[`: a value or `]`.
    FirstItem,
    /// After `{`: a key or `}`.
    FirstKey,
    /// After `,` in an object: a key.
    Key,
    Colon,
    /// After a value: `,`, a closing bracket, or the end of the document.
    After,
    Str {
        key: bool,
    },
    Escape {
        key: bool,
    },
    Unicode {
        key: bool,
        digits: u8,
        code: u32,
    },
    Number,
    Literal {
        which: u8,
        at: u8,
    },
    Failed,
}

const LITERALS: [&[u8]; 3] = [b"true", b"false", b"null"];

/// The reader. See the module documentation.
pub struct Reader {
    state: State,
    /// Open containers, innermost last: `true` for an object.
    stack: heapless::Vec<bool, MAX_DEPTH>,
    buf: Vec<u8>,
    /// A high surrogate waiting for its low half.
    high: Option<u32>,
    offset: u64,
    done: bool,
}

impl Default for Reader {
    fn default() -> Self {
        Reader::new()
    }
}

impl Reader {
    pub fn new() -> Reader {
        Reader {
            state: State::Value,
            stack: heapless::Vec::new(),
            buf: Vec::new(),
            high: None,
            offset: 0,
            done: false,
        }
    }

    /// Whether one whole value has been read (white space may still follow).
    pub fn finished(&self) -> bool {
        self.done && self.state == State::After
    }

    /// How deep the reader is: 0 outside any container.
    pub fn depth(&self) -> usize {
        self.stack.len()
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    fn fail(&mut self, what: &'static str) -> JsonError {
        self.state = State::Failed;
        JsonError {
            offset: self.offset,
            what,
        }
    }

    /// The end of the input: an error unless a whole value was read.
    pub fn end(&mut self) -> Result<(), JsonError> {
        if self.state == State::Number && self.stack.is_empty() {
            // A bare number at the top ends with the input.
            self.number_end()?;
        }
        if self.finished() {
            Ok(())
        } else {
            Err(self.fail("the document ends in the middle of a value"))
        }
    }

    fn push_byte(&mut self, b: u8) -> Result<(), JsonError> {
        if self.buf.len() >= MAX_STRING {
            return Err(self.fail("string or number longer than the limit"));
        }
        self.buf.push(b);
        Ok(())
    }

    fn push_char(&mut self, code: u32) -> Result<(), JsonError> {
        let Some(c) = char::from_u32(code) else {
            return Err(self.fail("\\u escape is not a character"));
        };
        let mut tmp = [0u8; 4];
        for &b in c.encode_utf8(&mut tmp).as_bytes() {
            self.push_byte(b)?;
        }
        Ok(())
    }

    /// A value was completed: the state after it.
    fn after_value(&mut self) {
        self.state = State::After;
        if self.stack.is_empty() {
            self.done = true;
        }
    }

    fn open(&mut self, object: bool) -> Result<Token<'static>, JsonError> {
        if self.stack.push(object).is_err() {
            return Err(self.fail("nested deeper than the limit"));
        }
        self.state = if object { State::FirstKey } else { State::FirstItem };
        Ok(if object {
            Token::ObjectStart
        } else {
            Token::ArrayStart
        })
    }

    fn close(&mut self, object: bool) -> Result<Token<'static>, JsonError> {
        if self.stack.last() != Some(&object) {
            return Err(self.fail("closing bracket does not match"));
        }
        self.stack.pop();
        self.after_value();
        Ok(if object { Token::ObjectEnd } else { Token::ArrayEnd })
    }

    fn number_end(&mut self) -> Result<(), JsonError> {
        if !number_ok(&self.buf) {
            return Err(self.fail("malformed number"));
        }
        self.after_value();
        Ok(())
    }

    fn text(&mut self) -> Result<&str, JsonError> {
        match core::str::from_utf8(&self.buf) {
            Ok(_) => Ok(core::str::from_utf8(&self.buf).unwrap_or_default()),
            Err(_) => Err(self.fail("string is not UTF-8")),
        }
    }

    /// The next token from `input` (advanced past what was used), or `None` when `input`
    /// ran out first.
    pub fn next(&mut self, input: &mut &[u8]) -> Result<Option<Token<'_>>, JsonError> {
        while let Some((&b, rest)) = input.split_first() {
            match self.state {
                State::Failed => return Err(self.fail("the reader failed before")),
                State::Str { key } => {
                    *input = rest;
                    self.offset += 1;
                    match b {
                        b'"' if self.high.is_some() => return Err(self.fail("lone surrogate")),
                        b'"' => {
                            if key {
                                self.state = State::Colon;
                                return self.text().map(|t| Some(Token::Key(t)));
                            }
                            self.after_value();
                            return self.text().map(|t| Some(Token::Str(t)));
                        }
                        b'\\' => self.state = State::Escape { key },
                        0..=0x1f => return Err(self.fail("control character in a string")),
                        _ if self.high.is_some() => return Err(self.fail("lone surrogate")),
                        _ => self.push_byte(b)?,
                    }
                    continue;
                }
                State::Escape { key } => {
                    *input = rest;
                    self.offset += 1;
                    if self.high.is_some() && b != b'u' {
                        return Err(self.fail("lone surrogate"));
                    }
                    let c = match b {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 8,
                        b'f' => 12,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            self.state = State::Unicode {
                                key,
                                digits: 0,
                                code: 0,
                            };
                            continue;
                        }
                        _ => return Err(self.fail("unknown escape")),
                    };
                    self.push_byte(c)?;
                    self.state = State::Str { key };
                    continue;
                }
                State::Unicode { key, digits, code } => {
                    *input = rest;
                    self.offset += 1;
                    let Some(d) = (b as char).to_digit(16) else {
                        return Err(self.fail("\\u needs four hex digits"));
                    };
                    let code = code << 4 | d;
                    if digits < 3 {
                        self.state = State::Unicode {
                            key,
                            digits: digits + 1,
                            code,
                        };
                        continue;
                    }
                    self.state = State::Str { key };
                    match (self.high.take(), code) {
                        (None, 0xd800..=0xdbff) => self.high = Some(code),
                        (None, 0xdc00..=0xdfff) => return Err(self.fail("lone surrogate")),
                        (None, c) => self.push_char(c)?,
                        (Some(h), 0xdc00..=0xdfff) => {
                            self.push_char(0x10000 + ((h - 0xd800) << 10) + (code - 0xdc00))?
                        }
                        (Some(_), _) => return Err(self.fail("lone surrogate")),
                    }
                    continue;
                }
                State::Number => {
                    if b.is_ascii_digit() || b"+-.eE".contains(&b) {
                        *input = rest;
                        self.offset += 1;
                        self.push_byte(b)?;
                        continue;
                    }
                    // The byte after a number is read again in the next state.
                    self.number_end()?;
                    return Ok(Some(Token::Number(self.text()?)));
                }
                State::Literal { which, at } => {
                    let word = LITERALS[usize::from(which)];
                    if word.get(usize::from(at)) != Some(&b) {
                        return Err(self.fail("unknown word (true, false and null are)"));
                    }
                    *input = rest;
                    self.offset += 1;
                    if usize::from(at) + 1 < word.len() {
                        self.state = State::Literal { which, at: at + 1 };
                        continue;
                    }
                    self.after_value();
                    return Ok(Some(match which {
                        0 => Token::Bool(true),
                        1 => Token::Bool(false),
                        _ => Token::Null,
                    }));
                }
                _ => {}
            }
            *input = rest;
            self.offset += 1;
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                continue;
            }
            match self.state {
                State::Value | State::FirstItem => {
                    if self.done {
                        return Err(self.fail("data after the end of the document"));
                    }
                    match b {
                        b']' if self.state == State::FirstItem => return self.close(false).map(Some),
                        b'{' => return self.open(true).map(Some),
                        b'[' => return self.open(false).map(Some),
                        b'"' => {
                            self.buf.clear();
                            self.state = State::Str { key: false };
                        }
                        b'-' | b'0'..=b'9' => {
                            self.buf.clear();
                            self.buf.push(b);
                            self.state = State::Number;
                        }
                        b't' | b'f' | b'n' => {
                            let which = match b {
                                b't' => 0,
                                b'f' => 1,
                                _ => 2,
                            };
                            self.state = State::Literal { which, at: 1 };
                        }
                        _ => return Err(self.fail("expected a value")),
                    }
                }
                State::FirstKey | State::Key => match b {
                    b'}' if self.state == State::FirstKey => return self.close(true).map(Some),
                    b'"' => {
                        self.buf.clear();
                        self.state = State::Str { key: true };
                    }
                    _ => return Err(self.fail("expected a member name in quotes")),
                },
                State::Colon if b == b':' => self.state = State::Value,
                State::Colon => return Err(self.fail("expected ':' after a member name")),
                State::After => match (b, self.stack.last()) {
                    (b',', Some(true)) => self.state = State::Key,
                    (b',', Some(false)) => self.state = State::Value,
                    (b'}', Some(_)) => return self.close(true).map(Some),
                    (b']', Some(_)) => return self.close(false).map(Some),
                    (_, None) => return Err(self.fail("data after the end of the document")),
                    _ => return Err(self.fail("expected ',' or a closing bracket")),
                },
                _ => {}
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
