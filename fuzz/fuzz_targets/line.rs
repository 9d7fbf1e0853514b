//! `line::parse` on arbitrary bytes (what any program on the router can write into the log):
//! never panics, and program and message are slices of the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

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
    // OpenWrt kernel lines get the literal program `kernel` (it is written in the line).
    assert!(
        within(line.program, raw) || line.program == b"kernel",
        "program is not a slice of the line"
    );
    assert!(line.program.len() <= logjail::line::MAX_TAG);
});
