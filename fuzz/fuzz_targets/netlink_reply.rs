//! The netlink reply parser on arbitrary receive buffers (what the kernel, or anything that
//! can send to our socket, hands back): message splitting, `reply::parse` and
//! `reply::element_keys` never panic, and every slice they return lies inside the buffer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logjail::netlink::header::Messages;
use logjail::netlink::reply::{self, Reply};

fn within(part: &[u8], whole: &[u8]) -> bool {
    let (p, w) = (part.as_ptr() as usize, whole.as_ptr() as usize);
    part.is_empty() || (p >= w && p + part.len() <= w + whole.len())
}

fuzz_target!(|data: &[u8]| {
    for m in Messages::new(data).take(1024) {
        let Ok(m) = m else { break };
        assert!(m.len() <= data.len());
        match reply::parse(m) {
            Ok(Reply::Ack(a)) => assert!(a.text.is_none_or(|t| within(t, data))),
            Ok(Reply::Object(o)) => {
                assert!(within(o.table, data));
                assert!(o.set.is_none_or(|s| within(s, data)));
            }
            _ => {}
        }
        for k in reply::element_keys(&m) {
            assert!(within(k, data), "element key outside the buffer");
        }
    }
});
