//! Byte vocabulary shared by the line splitter, the line parser and the filters.
//!
//! [`MAX_LINE`] is the longest line logjail judges: the splitter ([`crate::source::lines`])
//! never hands out a longer one, and [`crate::filter::Filter::check`] refuses one. [`memchr`]
//! is the byte search every layer uses. [`Shown`] prints a line's bytes so that what a
//! terminal shows is what the line holds: a `\r` inside a user name must not make one line
//! look like two.
//!
//! This module sits at the bottom: it imports nothing from the crate.

use core::fmt;

/// Longest line judged, in bytes (without its `\n` or `\r\n`). A longer line is not judged at
/// all: its end is unknown, and a prefix of a line is not what the service wrote.
pub const MAX_LINE: usize = 1024;

/// Position of the first `needle` byte, eight bytes at a time (SWAR).
pub fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pat = LO * u64::from(needle);
    let mut i = 0;
    while i + 8 <= hay.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&hay[i..i + 8]);
        let x = u64::from_le_bytes(w) ^ pat;
        let found = x.wrapping_sub(LO) & !x & HI;
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    hay[i..].iter().position(|&b| b == needle).map(|p| p + i)
}

/// Position of the first byte that is `a` or `b`, eight bytes at a time (one pass for the
/// line splitter, which looks for the newline and a NUL at once).
pub fn memchr2(a: u8, b: u8, hay: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let (pa, pb) = (LO * u64::from(a), LO * u64::from(b));
    let mut i = 0;
    while i + 8 <= hay.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&hay[i..i + 8]);
        let w = u64::from_le_bytes(w);
        let (xa, xb) = (w ^ pa, w ^ pb);
        // The lowest flagged byte of each is exact; a false flag only ever sits above a true one.
        let found = (xa.wrapping_sub(LO) & !xa | xb.wrapping_sub(LO) & !xb) & HI;
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    hay[i..].iter().position(|&c| c == a || c == b).map(|p| p + i)
}

/// A line's bytes for a terminal or a log: printable ASCII and valid UTF-8 as they are,
/// control bytes (`\r`, `\t`, ESC, NUL…), DEL and invalid UTF-8 escaped (`\r`, `\x1b`).
pub struct Shown<'a>(pub &'a [u8]);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        escaped(f, self.0, false)
    }
}

/// A name or value from outside (a method, an argument key, a program name) between double
/// quotes, escaped as [`Shown`] and with `"` as `\"`: what `{:?}` of a `str` writes for
/// ASCII, without `Debug` (release builds compile `Debug` out, docs/size.md).
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        escaped(f, self.0.as_bytes(), true)?;
        f.write_str("\"")
    }
}

/// [`Quoted`] without the quotes: for text already between quotes in a message.
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        escaped(f, self.0.as_bytes(), true)
    }
}

/// What the C library says of an errno (`strerror`: "No such file or directory"), as std
/// writes it but without its ` (os error 2)` suffix. nix's `Errno::desc` has the same texts in
/// a table of its own, and its `Display` goes through `Debug` (docs/size.md).
pub struct OsError(pub i32);

impl fmt::Display for OsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let full = std::io::Error::from_raw_os_error(self.0).to_string();
        f.write_str(
            full.rsplit_once(" (os error ")
                .map_or(full.as_str(), |(text, _)| text),
        )
    }
}

fn escaped(f: &mut fmt::Formatter<'_>, bytes: &[u8], quote: bool) -> fmt::Result {
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' if quote => f.write_str("\\\"")?,
                '\r' => f.write_str("\\r")?,
                '\n' => f.write_str("\\n")?,
                '\t' => f.write_str("\\t")?,
                '\\' => f.write_str("\\\\")?,
                c if c.is_control() => {
                    let mut utf8 = [0u8; 4];
                    for b in c.encode_utf8(&mut utf8).bytes() {
                        write!(f, "\\x{b:02x}")?;
                    }
                }
                c => write!(f, "{c}")?,
            }
        }
        for b in chunk.invalid() {
            write!(f, "\\x{b:02x}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memchr_finds_every_position() {
        let hay: Vec<u8> = (0..40).map(|i| b'a' + (i % 20) as u8).collect();
        for (i, &b) in hay.iter().enumerate().take(20) {
            assert_eq!(memchr(b, &hay), Some(i));
        }
        assert_eq!(memchr(b'\n', &hay), None);
        assert_eq!(memchr(0x80, &[0x7f, 0x80]), Some(1));
        assert_eq!(memchr(0, &[1; 9]), None);
        assert_eq!(memchr(0, &[1, 1, 1, 1, 1, 1, 1, 1, 1, 0]), Some(9));
    }

    #[test]
    fn memchr2_finds_the_first_of_either() {
        let hay: Vec<u8> = (0..40).map(|i| b'a' + (i % 20) as u8).collect();
        for i in 0..20 {
            for j in 0..20 {
                assert_eq!(memchr2(hay[i], hay[j], &hay), Some(i.min(j)), "{i} {j}");
            }
        }
        assert_eq!(memchr2(b'\n', 0, &hay), None);
        // Bytes next to a match that differ by one bit, and 0x80/0x00 pairs.
        assert_eq!(memchr2(b'\n', 0, b"\x0b\x0b\x01\x80\x0a\x00"), Some(4));
        assert_eq!(memchr2(b'\n', 0, b"\x01\x01\x01\x01\x01\x01\x01\x00\n"), Some(7));
        assert_eq!(memchr2(b'\n', 0, b"\x01\x01\x01\x00\x01\x01\x01\x01\n"), Some(3));
        for len in 0..20 {
            let mut v = vec![b'x'; len];
            assert_eq!(memchr2(b'\n', 0, &v), None);
            v.push(0);
            assert_eq!(memchr2(b'\n', 0, &v), Some(len));
        }
    }

    #[test]
    fn shown_escapes_what_a_terminal_would_act_on() {
        let s = Shown(b"for 'a\rfrom 1.2.3.4' \x1b[2K\x00\xff r\xc3\xb6ot\\").to_string();
        assert_eq!(s, "for 'a\\rfrom 1.2.3.4' \\x1b[2K\\x00\\xff r\u{f6}ot\\\\");
        assert!(!s.contains('\r'));
    }

    #[test]
    fn os_error_is_the_c_library_text_alone() {
        assert_eq!(OsError(libc::ENOENT).to_string(), "No such file or directory");
        assert_eq!(OsError(libc::EPERM).to_string(), "Operation not permitted");
    }

    #[test]
    fn quoted_writes_what_debug_of_an_ascii_str_writes() {
        for s in [
            "logjail",
            "a\"b",
            "back\\slash",
            "tab\there",
            "new\nline",
            "",
            "r\u{f6}ot",
        ] {
            assert_eq!(Quoted(s).to_string(), format!("{s:?}"), "{s:?}");
        }
        assert_eq!(Quoted("\x1b[2K").to_string(), "\"\\x1b[2K\"");
    }
}
