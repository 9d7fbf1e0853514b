//! `line::parse` on arbitrary bytes (what any program on the router can write into the log):
//! never panics, and the message (and the program, unless named: `kernel`, `dropbear`) is a
//! slice of the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// Programs `line::parse` names instead of slicing: OpenWrt kernel lines (`kernel: `) and
/// dropbear's own `-E` stderr format (`[pid] date msg`).
const NAMED: [&[u8]; 2] = [b"kernel", b"dropbear"];

/// True when `part` lies inside `whole` (same memory, not merely equal bytes).
fn within(part: &[u8], whole: &[u8]) -> bool {
    let (p, w) = (part.as_ptr() as usize, whole.as_ptr() as usize);
    part.is_empty() || (p >= w && p + part.len() <= w + whole.len())
}

fuzz_target!(|data: &[u8]| {
    // The first 8 bytes pick `now` (year inference), the rest is the line.
    let (now, raw) = match data.split_first_chunk::<8>() {
        Some((n, rest)) => (i64::from_le_bytes(*n) >> 16, rest),
        None => (1_764_000_000, data),
    };
    let line = logjail::line::parse(raw, now);
    assert!(within(line.message, raw), "message is not a slice of the line");
    assert!(
        within(line.program, raw) || NAMED.contains(&line.program),
        "program is not a slice of the line"
    );
    // A tag is at most MAX_TAG bytes; an RFC 5424 APP-NAME is any header field (up to 255
    // bytes, while RFC 5424 allows 48; found by the `line` fuzz target, see
    // `line_rfc5424_app_name_may_exceed_max_tag`).
    assert!(line.program.len() <= 255);
});
