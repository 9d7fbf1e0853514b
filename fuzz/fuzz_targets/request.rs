//! The control-request decoder on arbitrary bytes: never panics, and what decodes re-encodes
//! to a frame that decodes to the same request.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logjail::control::proto::{decode_request, decode_response, frame_len, push_frame, MAX_REQUEST};

fuzz_target!(|data: &[u8]| {
    if data.len() >= 4 {
        let _ = frame_len([data[0], data[1], data[2], data[3]], MAX_REQUEST);
    }
    let _ = decode_response(data);
    if let Ok(req) = decode_request(data) {
        let mut out = Vec::new();
        push_frame(&req, &mut out).expect("re-encode");
        assert_eq!(decode_request(&out[4..]).expect("round trip"), req);
    }
});
