//! The HTTP/1.1 response parser on arbitrary bytes, split at a point the first byte picks:
//! never panics, body slices come from the input, the body stays under its limit, and the
//! chunking changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logjail::lapi::http::{Part, Response};

const LIMIT: u64 = 4096;

fn parse(parts: &[&[u8]]) -> Result<(Option<u16>, Vec<u8>, bool), String> {
    let mut r = Response::new(LIMIT);
    let (mut status, mut body, mut end) = (None, Vec::new(), false);
    for p in parts {
        let mut input = *p;
        while let Some(part) = r.next(&mut input).map_err(|e| e.to_string())? {
            match part {
                Part::Head(h) => status = Some(h.status),
                Part::Body(b) => {
                    assert!(p.as_ptr_range().contains(&b.as_ptr()) || b.is_empty());
                    body.extend_from_slice(b)
                }
                Part::End => end = true,
            }
        }
    }
    assert!(body.len() as u64 <= LIMIT);
    Ok((status, body, end))
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, raw)) = data.split_first() else {
        return;
    };
    let at = usize::from(cut).min(raw.len());
    let whole = parse(&[raw]);
    let split = parse(&[&raw[..at], &raw[at..]]);
    assert_eq!(whole, split);
});
