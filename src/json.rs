//! A tiny JSON writer: just enough to print `logjail test --json` and control-socket replies
//! without a JSON crate. Strings are escaped per RFC 8259; numbers and structure are written by
//! the caller.

use core::fmt::{self, Write};

/// Writes `s` as a JSON string literal, quotes included.
pub fn string<W: Write + ?Sized>(out: &mut W, s: &str) -> fmt::Result {
    out.write_char('"')?;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            c if (c as u32) < 0x20 => "",
            _ => continue,
        };
        out.write_str(&s[start..i])?;
        if esc.is_empty() {
            write!(out, "\\u{:04x}", c as u32)?;
        } else {
            out.write_str(esc)?;
        }
        start = i + c.len_utf8();
    }
    out.write_str(&s[start..])?;
    out.write_char('"')
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_what_rfc_8259_requires() {
        let mut s = String::new();
        super::string(&mut s, "a\"b\\c\nd\u{1}é/").unwrap();
        assert_eq!(s, r#""a\"b\\c\nd\u0001é/""#);
    }
}
