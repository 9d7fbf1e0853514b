//! The built-in filters' text, packed: a byte-oriented LZ77 (LZSS) that `build.rs` applies to
//! the shipped filters and [`unpack`] undoes when a jail loads one.
//!
//! Filters repeat themselves: the dovecot rules share a 90-byte prefix, asterisk's rules the
//! same header, every rule `failregex`. Packed, the 13.9 KB of text take a third of that in the
//! router binary (docs/size.md). This file is also compiled into `build.rs` (`#[path]`), so it
//! uses nothing but `core` and `alloc`.
//!
//! # Format
//!
//! A sequence of groups. Each group is one flag byte followed by up to eight items; bit `i` of
//! the flag (least significant first) says what item `i` is:
//!
//! | bit | item | bytes |
//! |---|---|---|
//! | 0 | a literal byte | 1 |
//! | 1 | a copy of earlier output | 3: distance back (big-endian u16, 1..=65535), length − [`MIN_MATCH`] |
//!
//! The stream ends after the last item; a final group may hold fewer than eight. A copy may
//! overlap what it writes (distance smaller than length), as in every LZ77.

extern crate alloc;
use alloc::vec::Vec;

/// Shortest copy: a copy item takes 3 bytes, so shorter repeats stay literals.
pub const MIN_MATCH: usize = 4;
/// Longest copy: the length byte counts from [`MIN_MATCH`].
pub const MAX_MATCH: usize = MIN_MATCH + 255;
/// Farthest a copy reaches back.
pub const WINDOW: usize = u16::MAX as usize;

/// Bytes of a copy item.
const COPY_LEN: usize = 3;

/// The first `want` bytes of the text `packed` holds, or `None` when the stream ends before
/// them or is malformed (a copy from before the start, a distance of 0).
pub fn unpack(packed: &[u8], want: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(want);
    let mut i = 0;
    while out.len() < want {
        let flags = *packed.get(i)?;
        i += 1;
        for bit in 0..8 {
            if out.len() >= want {
                break;
            }
            if flags >> bit & 1 == 0 {
                out.push(*packed.get(i)?);
                i += 1;
                continue;
            }
            let item = packed.get(i..i + COPY_LEN)?;
            i += COPY_LEN;
            let distance = usize::from(u16::from_be_bytes([item[0], item[1]]));
            let len = usize::from(item[2]) + MIN_MATCH;
            let from = out.len().checked_sub(distance).filter(|_| distance > 0)?;
            for k in from..from + len {
                let b = *out.get(k)?;
                out.push(b);
            }
        }
    }
    out.truncate(want);
    Some(out)
}

/// Packs `text` (greedy longest match within [`WINDOW`]). Used by `build.rs`, and by the tests
/// for the round trip; `unpack(&pack(t), t.len())` is `t`.
pub fn pack(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 2);
    let mut flag_at = 0;
    let mut items = 8;
    let mut pos = 0;
    while pos < text.len() {
        if items == 8 {
            flag_at = out.len();
            out.push(0);
            items = 0;
        }
        let (distance, len) = longest(text, pos);
        if len >= MIN_MATCH {
            out[flag_at] |= 1 << items;
            out.extend_from_slice(&(distance as u16).to_be_bytes());
            out.push((len - MIN_MATCH) as u8);
            pos += len;
        } else {
            out.push(text[pos]);
            pos += 1;
        }
        items += 1;
    }
    out
}

/// The longest earlier repeat of the bytes at `pos`: (distance, length).
fn longest(text: &[u8], pos: usize) -> (usize, usize) {
    let limit = MAX_MATCH.min(text.len() - pos);
    let mut best = (0, 0);
    for start in pos.saturating_sub(WINDOW)..pos {
        let n = (0..limit)
            .take_while(|&k| text[start + k] == text[pos + k])
            .count();
        if n > best.1 {
            best = (pos - start, n);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_round_trips() {
        let texts: [&[u8]; 6] = [
            b"",
            b"a",
            b"abcabcabcabcabcabcabc",
            b"failregex ^x <HOST>\nfailregex ^y <HOST>\nfailregex ^z <HOST>\n",
            &[7u8; 1000],
            &(0..=255u8).cycle().take(3000).collect::<Vec<_>>(),
        ];
        for t in texts {
            let p = pack(t);
            assert_eq!(unpack(&p, t.len()).as_deref(), Some(t));
            assert_eq!(unpack(&p, t.len() / 2).as_deref(), Some(&t[..t.len() / 2]));
        }
    }

    #[test]
    fn an_overlapping_copy_repeats_what_it_writes() {
        // "ab", then a copy of 6 from 2 back: "abababab".
        assert_eq!(
            unpack(&[0b100, b'a', b'b', 0, 2, 2], 8).as_deref(),
            Some(&b"abababab"[..])
        );
    }

    #[test]
    fn malformed_streams_are_refused() {
        assert_eq!(unpack(&[], 1), None, "ends before the text");
        assert_eq!(unpack(&[0b1, 0, 0, 0], 4), None, "distance 0");
        assert_eq!(
            unpack(&[0b10, b'a', 0, 5, 0], 5),
            None,
            "copy from before the start"
        );
        assert_eq!(unpack(&[0b10, b'a', 0], 5), None, "copy item cut short");
        assert_eq!(unpack(&[0b0, b'a'], 2), None, "ends inside the group");
    }
}
