//! Messages are bytes; regex-lite matches `&str`. Invalid UTF-8 must neither panic nor hide a
//! failure: an attacker who puts `\xff` in a user name must still be caught. So a message that
//! is not valid UTF-8 is copied into a fixed stack buffer with each invalid sequence replaced by
//! U+FFFD, which `.` and `\S` match like any other character. Valid messages (nearly all) are
//! borrowed as they are; nothing allocates.

use crate::bytes::MAX_LINE;

/// Room for a `MAX_LINE` message in which every byte is invalid (each becomes 3 bytes).
pub const SANITISED: usize = 3 * MAX_LINE;

const REPLACEMENT: &str = "\u{FFFD}";

/// `message` as text: borrowed when valid, else sanitised into `buf`. A message longer than
/// `MAX_LINE` (the line splitter never hands one out, and [`super::Filter::check`] refuses
/// one) is cut where the buffer ends.
pub fn text<'a>(message: &'a [u8], buf: &'a mut [u8; SANITISED]) -> &'a str {
    if let Ok(s) = core::str::from_utf8(message) {
        return s;
    }
    let mut n = 0;
    for chunk in message.utf8_chunks() {
        let valid = chunk.valid();
        let take = floor_char_boundary(valid, SANITISED - n);
        buf[n..n + take].copy_from_slice(&valid.as_bytes()[..take]);
        n += take;
        if take < valid.len() {
            break;
        }
        if !chunk.invalid().is_empty() {
            if n + REPLACEMENT.len() > SANITISED {
                break;
            }
            buf[n..n + REPLACEMENT.len()].copy_from_slice(REPLACEMENT.as_bytes());
            n += REPLACEMENT.len();
        }
    }
    // Only whole characters were copied, so this cannot fail; "" is the safe answer if it did.
    core::str::from_utf8(&buf[..n]).unwrap_or("")
}

/// The largest `i <= max` that is a char boundary of `s`.
fn floor_char_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    (0..=max).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_text_is_borrowed() {
        let mut buf = [0u8; SANITISED];
        let msg = "Bad password attempt for 'röot'".as_bytes();
        let t = text(msg, &mut buf);
        assert_eq!(t.as_ptr(), msg.as_ptr());
    }

    #[test]
    fn invalid_sequences_become_replacement_characters() {
        let mut buf = [0u8; SANITISED];
        assert_eq!(text(b"for 'ro\xffot' from", &mut buf), "for 'ro\u{FFFD}ot' from");
        assert_eq!(text(b"\xc3", &mut buf), "\u{FFFD}");
        assert_eq!(text(b"a\xe2\x82b", &mut buf), "a\u{FFFD}b");
    }

    #[test]
    fn worst_case_fits_and_overlong_input_is_cut() {
        let mut buf = [0u8; SANITISED];
        let all_bad = [0xffu8; MAX_LINE];
        assert_eq!(text(&all_bad, &mut buf).chars().count(), MAX_LINE);
        let long: Vec<u8> = [0xff]
            .iter()
            .chain(b"ab".repeat(4 * MAX_LINE).iter())
            .copied()
            .collect();
        assert_eq!(text(&long, &mut buf).len(), SANITISED);
        let huge = vec![0xffu8; 4 * MAX_LINE];
        assert_eq!(text(&huge, &mut buf).len(), SANITISED);
    }
}
