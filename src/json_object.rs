//! A bounded reader for one flat JSON object: the arguments rpcd hands an exec plugin
//! (`{"jail":"dropbear","address":"203.0.113.9"}`), without a JSON crate.
//!
//! Only what such arguments need is accepted: one object whose values are strings, integers,
//! `true`, `false` or `null`. Nested objects and arrays, fractions and exponents, more than
//! [`MAX_KEYS`] keys, a key given twice, more than [`MAX_INPUT`] bytes, invalid UTF-8 or lone
//! surrogates in `\u` escapes, and anything after the closing brace are errors that say where
//! (byte offset) and what. Empty input (or only whitespace) reads as `{}`, which is what a
//! method without arguments may get. The reader is pure: bytes in, a value or an error out.

use core::fmt;

/// Largest input read (a pasted log for the filter tester fits, a flood does not).
pub const MAX_INPUT: usize = 64 * 1024;
/// Most keys an object may have.
pub const MAX_KEYS: usize = 16;

/// One value of the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
    Null,
}

/// A parsed flat object, keys in input order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Object {
    fields: Vec<(String, Value)>,
}

/// Why input is not a flat JSON object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JsonError {
    TooLarge {
        len: usize,
    },
    TooManyKeys,
    DuplicateKey(String),
    /// `what` was wrong at byte `at`.
    Syntax {
        at: usize,
        what: &'static str,
    },
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::TooLarge { len } => {
                write!(f, "arguments of {len} bytes or more: the limit is {MAX_INPUT}")
            }
            JsonError::TooManyKeys => write!(f, "more than {MAX_KEYS} keys in the arguments"),
            JsonError::DuplicateKey(k) => {
                write!(f, "key {} given twice in the arguments", crate::bytes::Quoted(k))
            }
            JsonError::Syntax { at, what } => write!(f, "arguments at byte {at}: {what}"),
        }
    }
}

impl std::error::Error for JsonError {}

impl Object {
    /// Reads `input` as one flat object.
    pub fn parse(input: &[u8]) -> Result<Object, JsonError> {
        if input.len() > MAX_INPUT {
            return Err(JsonError::TooLarge { len: input.len() });
        }
        let mut r = Reader { b: input, i: 0 };
        let mut obj = Object::default();
        r.ws();
        if r.i == input.len() {
            return Ok(obj);
        }
        r.expect(b'{', "expected `{`")?;
        r.ws();
        if r.peek() == Some(b'}') {
            r.i += 1;
        } else {
            loop {
                r.ws();
                let key = r.string()?;
                r.ws();
                r.expect(b':', "expected `:` after a key")?;
                r.ws();
                let value = r.value()?;
                if obj.fields.iter().any(|(k, _)| *k == key) {
                    return Err(JsonError::DuplicateKey(key));
                }
                if obj.fields.len() == MAX_KEYS {
                    return Err(JsonError::TooManyKeys);
                }
                obj.fields.push((key, value));
                r.ws();
                match r.next() {
                    Some(b',') => continue,
                    Some(b'}') => break,
                    _ => return Err(r.err(r.i.saturating_sub(1), "expected `,` or `}`")),
                }
            }
        }
        r.ws();
        if r.i != input.len() {
            return Err(r.err(r.i, "text after the object"));
        }
        Ok(obj)
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The keys, in input order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(k, _)| k.as_str())
    }
}

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    fn err(&self, at: usize, what: &'static str) -> JsonError {
        JsonError::Syntax { at, what }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek();
        self.i += 1;
        c
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn expect(&mut self, c: u8, what: &'static str) -> Result<(), JsonError> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err(self.i, what))
        }
    }

    fn value(&mut self) -> Result<Value, JsonError> {
        match self.peek() {
            Some(b'"') => self.string().map(Value::Str),
            Some(b'-' | b'0'..=b'9') => self.int().map(Value::Int),
            Some(b't') => self.word("true", Value::Bool(true)),
            Some(b'f') => self.word("false", Value::Bool(false)),
            Some(b'n') => self.word("null", Value::Null),
            Some(b'{' | b'[') => Err(self.err(self.i, "nested objects and arrays are not taken")),
            None => Err(self.err(self.i, "the input ends where a value should be")),
            _ => Err(self.err(self.i, "not a JSON value")),
        }
    }

    fn word(&mut self, w: &'static str, v: Value) -> Result<Value, JsonError> {
        if self.b[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            Ok(v)
        } else {
            Err(self.err(self.i, "not a JSON value"))
        }
    }

    fn int(&mut self) -> Result<i64, JsonError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let digits = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        if self.i == digits || (self.b[digits] == b'0' && self.i - digits > 1) {
            return Err(self.err(start, "not a JSON number"));
        }
        if matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            return Err(self.err(start, "only whole numbers are taken"));
        }
        core::str::from_utf8(&self.b[start..self.i])
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .ok_or_else(|| self.err(start, "number out of range"))
    }

    /// A string literal; the reader stands on its opening quote.
    fn string(&mut self) -> Result<String, JsonError> {
        self.expect(b'"', "expected a string")?;
        let mut out = Vec::new();
        loop {
            let at = self.i;
            match self.next() {
                None => return Err(self.err(at, "unterminated string")),
                Some(b'"') => break,
                Some(b'\\') => {
                    let c = match self.next() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => self.unicode(at)?,
                        _ => return Err(self.err(at, "unknown escape")),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                Some(c) if c < 0x20 => return Err(self.err(at, "control character in a string")),
                Some(c) => out.push(c),
            }
        }
        String::from_utf8(out).map_err(|_| self.err(self.i, "invalid UTF-8 in a string"))
    }

    fn hex4(&mut self, at: usize) -> Result<u32, JsonError> {
        let h = self
            .b
            .get(self.i..self.i + 4)
            .and_then(|h| core::str::from_utf8(h).ok())
            .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| self.err(at, "bad \\u escape"))?;
        self.i += 4;
        Ok(h)
    }

    fn unicode(&mut self, at: usize) -> Result<char, JsonError> {
        let hi = self.hex4(at)?;
        let code = if (0xD800..0xDC00).contains(&hi) {
            if !self.b[self.i..].starts_with(b"\\u") {
                return Err(self.err(at, "lone surrogate in a \\u escape"));
            }
            self.i += 2;
            let lo = self.hex4(at)?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.err(at, "lone surrogate in a \\u escape"));
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else {
            hi
        };
        char::from_u32(code).ok_or_else(|| self.err(at, "lone surrogate in a \\u escape"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Object, JsonError> {
        Object::parse(s.as_bytes())
    }

    #[test]
    fn reads_flat_objects() {
        let o = p(r#" {"jail":"dropbear","n":-12,"all":true,"x":null,"e":"a\"\\\n\u00e9\ud83d\ude00/"} "#)
            .unwrap();
        assert_eq!(o.get("jail"), Some(&Value::Str("dropbear".into())));
        assert_eq!(o.get("n"), Some(&Value::Int(-12)));
        assert_eq!(o.get("all"), Some(&Value::Bool(true)));
        assert_eq!(o.get("x"), Some(&Value::Null));
        assert_eq!(o.get("e"), Some(&Value::Str("a\"\\\né😀/".into())));
        assert_eq!(o.keys().count(), 5);
        assert_eq!(p("").unwrap(), Object::default());
        assert_eq!(p(" {} ").unwrap(), Object::default());
    }

    #[test]
    fn refuses_what_arguments_never_are() {
        for bad in [
            "{",
            "}",
            "[]",
            "{\"a\":[1]}",
            "{\"a\":{}}",
            "{\"a\":1.5}",
            "{\"a\":1e3}",
            "{\"a\":01}",
            "{\"a\":-}",
            "{\"a\":99999999999999999999}",
            "{\"a\":\"x}",
            "{\"a\":\"\\q\"}",
            "{\"a\":\"\\ud800\"}",
            "{\"a\":\"\\udc00\"}",
            "{\"a\":\"\\u12\"}",
            "{\"a\":tru}",
            "{\"a\":1,}",
            "{\"a\":1} x",
            "{a:1}",
            "{\"a\" 1}",
            "{\"a\":\"\u{1}\"}",
            "{\"a\":1 \"b\":2}",
        ] {
            assert!(p(bad).is_err(), "{bad:?} was taken");
        }
        assert_eq!(p("{\"a\":1,\"a\":2}"), Err(JsonError::DuplicateKey("a".into())));
        let many: Vec<String> = (0..=MAX_KEYS).map(|i| format!("\"k{i}\":1")).collect();
        assert_eq!(p(&format!("{{{}}}", many.join(","))), Err(JsonError::TooManyKeys));
        let big = format!("{{\"a\":\"{}\"}}", "x".repeat(MAX_INPUT));
        assert!(matches!(p(&big), Err(JsonError::TooLarge { .. })));
        assert!(Object::parse(b"{\"a\":\"\xff\"}").is_err());
        let e = p("{\"a\":[1]}").unwrap_err().to_string();
        assert_eq!(e, "arguments at byte 5: nested objects and arrays are not taken");
    }

    #[test]
    fn never_panics_on_prefixes() {
        let s = r#"{"a":"\ud83d\ude00","b":-1,"c":true,"d":null}"#;
        for i in 0..s.len() {
            let _ = Object::parse(&s.as_bytes()[..i]);
        }
    }
}
