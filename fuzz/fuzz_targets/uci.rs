//! The UCI parser on arbitrary files (a careless admin, a broken editor, a full flash): never
//! panics; an error names a line of the input; what parses has valid names and lines within
//! the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logjail::config::uci;

fuzz_target!(|data: &[u8]| {
    let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
    match uci::parse(data, "fuzz") {
        Err(e) => {
            assert!(
                (1..=lines).contains(&e.line),
                "error on line {} of {lines}",
                e.line
            );
            assert!(e.to_string().starts_with(&format!("fuzz:{}: ", e.line)));
        }
        Ok(sections) => {
            for s in &sections {
                assert!((1..=lines).contains(&s.line));
                assert!(s.name.as_deref().is_none_or(uci::valid_name), "{:?}", s.name);
                assert!(!s.kind.is_empty() && s.kind.bytes().all(|b| (33..=126).contains(&b)));
                for i in &s.items {
                    assert!((1..=lines).contains(&i.line));
                    assert!(uci::valid_name(&i.name), "{:?}", i.name);
                }
            }
        }
    }
});
