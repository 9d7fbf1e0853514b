//! The rpcd argument reader (`json_object`) on arbitrary bytes: never panics, and whatever it
//! takes has at most `MAX_KEYS` keys, none twice.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logjail::json_object::{Object, MAX_KEYS};

fuzz_target!(|data: &[u8]| {
    if let Ok(o) = Object::parse(data) {
        let keys: Vec<&str> = o.keys().collect();
        assert!(keys.len() <= MAX_KEYS);
        for (i, k) in keys.iter().enumerate() {
            assert!(!keys[..i].contains(k));
        }
    }
});
