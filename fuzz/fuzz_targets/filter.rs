//! Every built-in filter's `check` on arbitrary messages: the first byte picks the filter, the
//! rest is the message. Never panics; a match's address is written in the message itself (a
//! v4 address as a whole dotted quad, a v6 one as text that parses to it) and can be a host
//! (not 0/8, multicast, 240/4, broadcast, `::`, ff00::/8); a message longer than a line is no
//! match.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logjail::bytes::MAX_LINE;
use logjail::filter::{self, Filter, Outcome};
use std::net::{IpAddr, Ipv6Addr};
use std::path::Path;

thread_local! {
    static FILTERS: Vec<Filter> = filter::builtin::names()
        .map(|n| filter::load(n, Path::new("/nonexistent")).expect("built-in filter"))
        .collect();
}

/// The address occurs in `text`: v4 as a dotted quad with no digit or dot glued to it, v6 as
/// a run of hex digits, `:` and `.` that parses to it.
fn written_in(addr: IpAddr, text: &str) -> bool {
    match addr {
        IpAddr::V4(a) => {
            let quad = a.to_string();
            text.match_indices(&quad).any(|(at, _)| {
                let before = text[..at].chars().next_back();
                let after = text[at + quad.len()..].chars().next();
                !before.is_some_and(|c| c.is_ascii_digit())
                    && !after.is_some_and(|c| c.is_ascii_digit() || c == '.')
            })
        }
        IpAddr::V6(a) => {
            let b = text.as_bytes();
            let ok = |c: u8| c.is_ascii_hexdigit() || c == b':' || c == b'.';
            (0..b.len()).filter(|&i| ok(b[i])).any(|i| {
                (i + 2..=b.len().min(i + 45))
                    .take_while(|&j| ok(b[j - 1]))
                    .any(|j| text[i..j].parse::<Ipv6Addr>() == Ok(a))
            })
        }
    }
}

fn can_be_a_host(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => a.octets()[0] != 0 && a.octets()[0] < 224,
        IpAddr::V6(a) => !a.is_unspecified() && a.segments()[0] >> 8 != 0xff,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, message)) = data.split_first() else {
        return;
    };
    FILTERS.with(|filters| {
        let f = &filters[usize::from(pick) % filters.len()];
        if let Outcome::Match(m) = f.check(message) {
            let text = String::from_utf8_lossy(message);
            assert!(
                written_in(m.addr, &text),
                "{}: {} is not written in {text:?}",
                f.name(),
                m.addr
            );
            assert!(can_be_a_host(m.addr), "{}: {} in {text:?}", f.name(), m.addr);
            let mut long = message.to_vec();
            long.resize(MAX_LINE + 1, b' ');
            assert_eq!(f.check(&long), Outcome::NoMatch, "{}: padded {text:?}", f.name());
        }
    });
});
