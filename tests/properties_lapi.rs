//! Bounded property tests of the CrowdSec LAPI parsers, the `cargo test` twins of the fuzz
//! targets `lapi_json` and `lapi_http` (see `tests/properties.rs` for the others): real LAPI
//! answers cut, spliced and sprinkled with the bytes that matter, fed whole and in two chunks.
//!
//! | parser | test | invariants beyond "does not panic" |
//! |---|---|---|
//! | `lapi::json::Reader`, `lapi::stream::Decisions` | [`json_tokens_do_not_depend_on_chunking`] | the same tokens or error whole or split; decisions ≤ bytes |
//! | `lapi::http::Response` | [`http_parts_do_not_depend_on_chunking`] | the same head, body, end whole or split; body slices in the input, under the limit |

use logjail::lapi::http::{Part, Response};
use logjail::lapi::json::Reader;
use logjail::lapi::stream::{Decisions, Filter};

const CASES: usize = 4000;

/// splitmix64, as in `tests/properties.rs`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// `seed` cut, spliced with itself, or with bytes that matter to JSON and HTTP flipped in.
fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    const SPECIAL: &[u8] = b"{}[]\",:\\u0123456789-+.eEtfn \r\n\t;\x00\xff";
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        match rng.below(4) {
            0 if !v.is_empty() => {
                let at = rng.below(v.len());
                v[at] = SPECIAL[rng.below(SPECIAL.len())];
            }
            1 if !v.is_empty() => v.truncate(rng.below(v.len())),
            2 => {
                let at = rng.below(v.len() + 1);
                v.insert(at, SPECIAL[rng.below(SPECIAL.len())]);
            }
            _ if !v.is_empty() => {
                let (a, b) = (rng.below(v.len()), rng.below(v.len()));
                let piece = v[a.min(b)..a.max(b)].to_vec();
                let at = rng.below(v.len() + 1);
                v.splice(at..at, piece);
            }
            _ => {}
        }
    }
    v
}

const STREAM: &[u8] = br#"{"deleted":[{"duration":"-13.44s","id":3,"origin":"cscli","scenario":"manual 'ban' from 'x'","scope":"Ip","type":"ban","value":"198.51.100.9"}],"new":[{"duration":"3h59m58.5s","id":1,"origin":"crowdsec","scenario":"crowdsecurity/ssh-bf","scope":"Range","type":"ban","value":"2001:db8::/64","uuid":"\u00e9","simulated":false}]}"#;

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

#[test]
fn json_tokens_do_not_depend_on_chunking() {
    let mut rng = Rng(15);
    let mut ok = 0;
    for _ in 0..CASES {
        let doc = mutate(&mut rng, STREAM);
        let at = rng.below(doc.len() + 1);
        let whole = tokens(&[&doc]);
        let split = tokens(&[&doc[..at], &doc[at..]]);
        assert_eq!(whole.is_ok(), split.is_ok(), "{}", String::from_utf8_lossy(&doc));
        if let (Ok(a), Ok(b)) = (&whole, &split) {
            assert_eq!(a, b);
            ok += 1;
        }
        let mut d = Decisions::new(Filter::default());
        let mut n = 0usize;
        let _ = d
            .feed(&doc[..at], &mut |_| n += 1)
            .and_then(|()| d.feed(&doc[at..], &mut |_| n += 1));
        assert!(n <= doc.len());
    }
    assert!(ok > CASES / 20, "too few valid documents ({ok}) to test anything");
}

const LIMIT: u64 = 4096;

fn http(parts: &[&[u8]]) -> Result<(Option<u16>, Vec<u8>, bool), String> {
    let mut r = Response::new(LIMIT);
    let (mut status, mut body, mut end) = (None, Vec::new(), false);
    for p in parts {
        let mut input = *p;
        while let Some(part) = r.next(&mut input).map_err(|e| e.to_string())? {
            match part {
                Part::Head(h) => status = Some(h.status),
                Part::Body(b) => {
                    let range = p.as_ptr_range();
                    assert!(b.is_empty() || (range.contains(&b.as_ptr()) && b.len() <= p.len()));
                    body.extend_from_slice(b);
                }
                Part::End => end = true,
            }
        }
    }
    assert!(body.len() as u64 <= LIMIT);
    Ok((status, body, end))
}

#[test]
fn http_parts_do_not_depend_on_chunking() {
    let seeds: [&[u8]; 3] = [
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{\"new\":null,\"deleted\":null}",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\n",
        b"HTTP/1.0 403 Forbidden\r\nConnection: close\r\n\r\n{\"message\":\"access forbidden\"}",
    ];
    let mut rng = Rng(16);
    let mut complete = 0;
    for i in 0..CASES {
        let raw = mutate(&mut rng, seeds[i % seeds.len()]);
        let at = rng.below(raw.len() + 1);
        let whole = http(&[&raw]);
        let split = http(&[&raw[..at], &raw[at..]]);
        assert_eq!(whole, split, "{}", String::from_utf8_lossy(&raw));
        complete += usize::from(whole.is_ok_and(|(_, _, end)| end));
    }
    assert!(
        complete > CASES / 20,
        "too few complete responses ({complete}) to test anything"
    );
}
