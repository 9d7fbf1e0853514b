//! The streaming JSON reader and the decisions-stream interpreter on arbitrary bytes, split at
//! a point the first byte picks: never panics, the chunking changes nothing, and a document
//! the reader accepts is one serde would accept too (checked in `src/lapi/json_tests.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use logjail::lapi::json::Reader;
use logjail::lapi::stream::{Decisions, Filter};

fn tokens(parts: &[&[u8]]) -> Result<Vec<String>, String> {
    let mut r = Reader::new();
    let mut out = Vec::new();
    for p in parts {
        let mut input = *p;
        while let Some(t) = r.next(&mut input).map_err(|e| e.to_string())? {
            out.push(format!("{t:?}"));
        }
    }
    r.end().map_err(|e| e.to_string())?;
    Ok(out)
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, doc)) = data.split_first() else {
        return;
    };
    let at = usize::from(cut).min(doc.len());
    let whole = tokens(&[doc]);
    let split = tokens(&[&doc[..at], &doc[at..]]);
    assert_eq!(whole.is_ok(), split.is_ok());
    if let (Ok(a), Ok(b)) = (&whole, &split) {
        assert_eq!(a, b);
    }
    let mut d = Decisions::new(Filter::default());
    let mut n = 0usize;
    let _ = d.feed(&doc[..at], &mut |_| n += 1).and_then(|()| d.feed(&doc[at..], &mut |_| n += 1));
    let _ = d.finish();
    assert!(n <= doc.len());
});
