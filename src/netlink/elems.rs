//! What a set holds: the elements a `GETSETELEM` dump lists, read and paired into hosts.
//!
//! A dump (`NLM_F_DUMP`) is answered with `NEWSETELEM` messages flagged `NLM_F_MULTI`, each
//! holding an `NFTA_SET_ELEM_LIST_ELEMENTS` nest, and ends with `NLMSG_DONE`. Each element:
//!
//! ```text
//! NFTA_LIST_ELEM { NFTA_SET_ELEM_KEY { NFTA_DATA_VALUE: address, big-endian }
//!                  NFTA_SET_ELEM_FLAGS: NFT_SET_ELEM_INTERVAL_END   (interval ends only)
//!                  NFTA_SET_ELEM_TIMEOUT: u64 ms, big-endian         (timed elements only)
//!                  NFTA_SET_ELEM_EXPIRATION: u64 ms left, big-endian (timed elements only) }
//! ```
//!
//! The kernel does not mark its nests with `NLA_F_NESTED`. In an interval set (`logjail_v6`)
//! a range is a start element and an end element whose key is the first address *after* the
//! range; the kernel lists them highest first, and `nft` leaves a zero-key end element at the
//! bottom. [`pair`] sorts that out: each start is matched with the lowest end above it, and a
//! start without one runs to the top of the address space. A range that is a CIDR prefix
//! becomes a [`Host`]; any other range (written by hand as `a-b`) is counted, not listed.

use super::attr::Attrs;
use super::header::Message;
use super::msg::elem_attr;
use super::WireError;
use crate::addr::Host;
use core::net::{Ipv4Addr, Ipv6Addr};

/// One element as the kernel lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listed {
    /// The key: an IPv4 address in the first 4 bytes (`key_len` 4), or an IPv6 address.
    pub key: [u8; 16],
    pub key_len: u8,
    /// `NFT_SET_ELEM_INTERVAL_END`: the first address after a range.
    pub interval_end: bool,
    /// The timeout the element was added with, in ms; `None` = permanent.
    pub timeout_ms: Option<u64>,
    /// Time left before the kernel removes it, in ms.
    pub expires_ms: Option<u64>,
}

/// A host a set holds, with the time it has left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub host: Host,
    pub timeout_ms: Option<u64>,
    pub expires_ms: Option<u64>,
}

/// The elements of one `NEWSETELEM` message (a dump reply or an event), appended to `out`.
/// Stops at the first malformed nest with its error; what was read before it is kept.
pub fn parse(m: &Message<'_>, out: &mut Vec<Listed>) -> Result<(), WireError> {
    let Some(list) = Attrs::new(m.nft_attrs()).find(elem_attr::LIST_ELEMENTS) else {
        return Ok(());
    };
    for elem in list.nested() {
        let elem = elem?;
        if elem.kind != elem_attr::LIST_ELEM {
            continue;
        }
        let mut l = Listed {
            key: [0; 16],
            key_len: 0,
            interval_end: false,
            timeout_ms: None,
            expires_ms: None,
        };
        for a in elem.nested() {
            let a = a?;
            match a.kind {
                elem_attr::KEY => {
                    let v = a
                        .nested()
                        .find(elem_attr::DATA_VALUE)
                        .ok_or(WireError::Truncated)?;
                    let n = v.payload.len();
                    if n != 4 && n != 16 {
                        return Err(WireError::BadLength);
                    }
                    l.key[..n].copy_from_slice(v.payload);
                    l.key_len = n as u8;
                }
                elem_attr::FLAGS => {
                    l.interval_end = a.be32()? & elem_attr::F_INTERVAL_END != 0;
                }
                elem_attr::TIMEOUT => l.timeout_ms = Some(a.be64()?),
                elem_attr::EXPIRATION => l.expires_ms = Some(a.be64()?),
                _ => {}
            }
        }
        if l.key_len == 0 {
            return Err(WireError::Truncated);
        }
        out.push(l);
    }
    Ok(())
}

fn v6(l: &Listed) -> u128 {
    u128::from_be_bytes(l.key)
}

/// The prefix length of the range `start..end` (`end` exclusive, `None` = to the top), when
/// the range is exactly one CIDR prefix.
fn prefix_of(start: u128, end: Option<u128>) -> Option<u8> {
    let size = match end {
        Some(e) => e.checked_sub(start).filter(|&s| s > 0)?,
        // start..=u128::MAX: 2^128 - start, which is 0 (2^128) only for start 0.
        None if start == 0 => return Some(0),
        None => start.wrapping_neg(),
    };
    if !size.is_power_of_two() || start & (size - 1) != 0 {
        return None;
    }
    Some(128 - size.trailing_zeros() as u8)
}

/// Pairs listed elements into hosts; returns them (lowest address first) and the number of
/// ranges that are not a prefix.
pub fn pair(listed: &[Listed]) -> (Vec<Entry>, usize) {
    let mut entries = Vec::new();
    let mut odd = 0;
    let mut ends: Vec<u128> = listed
        .iter()
        .filter(|l| l.interval_end && l.key_len == 16)
        .map(v6)
        .collect();
    ends.sort_unstable();
    for l in listed.iter().filter(|l| !l.interval_end) {
        let host = if l.key_len == 4 {
            Some(Host::V4(Ipv4Addr::new(l.key[0], l.key[1], l.key[2], l.key[3])))
        } else {
            let start = v6(l);
            let end = ends.iter().copied().find(|&e| e > start);
            prefix_of(start, end).map(|p| Host::V6(Ipv6Addr::from(start), p))
        };
        match host {
            Some(host) => entries.push(Entry {
                host,
                timeout_ms: l.timeout_ms,
                expires_ms: l.expires_ms,
            }),
            None => odd += 1,
        }
    }
    entries.sort_unstable_by_key(|e| key_order(&e.host));
    (entries, odd)
}

fn key_order(h: &Host) -> u128 {
    match h {
        Host::V4(a) => u128::from(u32::from(*a)),
        Host::V6(a, _) => u128::from(*a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::header::Messages;
    use crate::netlink::reply::{self, Reply};
    use crate::netlink::{msg_type, vectors};

    fn dump(name: &str) -> (Vec<Listed>, usize) {
        let bytes = vectors::host(&vectors::load(name));
        let (mut listed, mut done) = (Vec::new(), 0);
        for m in Messages::new(&bytes) {
            let m = m.unwrap();
            match reply::parse(m).unwrap() {
                Reply::Object(o) => {
                    assert_eq!(o.msg, msg_type::NEWSETELEM);
                    parse(&m, &mut listed).unwrap();
                }
                Reply::Done { .. } => done += 1,
                other => panic!("{other:?}"),
            }
        }
        (listed, done)
    }

    #[test]
    fn reads_captured_v4_dump() {
        let (listed, done) = dump("reply_dump_v4");
        assert_eq!(done, 1);
        let (entries, odd) = pair(&listed);
        assert_eq!(odd, 0);
        let want = [
            Entry {
                host: Host::parse("198.51.100.7").unwrap(),
                timeout_ms: None,
                expires_ms: None,
            },
            Entry {
                host: Host::parse("203.0.113.9").unwrap(),
                timeout_ms: Some(3_600_000),
                expires_ms: Some(3_599_968),
            },
        ];
        assert_eq!(entries, want);
    }

    #[test]
    fn pairs_captured_v6_interval_dump() {
        let (listed, done) = dump("reply_dump_v6");
        assert_eq!(done, 1);
        assert_eq!(listed.len(), 5, "2 starts, 2 ends, nft's zero-key end");
        assert_eq!(listed.iter().filter(|l| l.interval_end).count(), 3);
        let (entries, odd) = pair(&listed);
        assert_eq!(odd, 0);
        let want = [
            Entry {
                host: Host::parse("2001:db8:1::/48").unwrap(),
                timeout_ms: None,
                expires_ms: None,
            },
            Entry {
                host: Host::parse("2001:db8:bad::/64").unwrap(),
                timeout_ms: Some(600_000),
                expires_ms: Some(599_912),
            },
        ];
        assert_eq!(entries, want);
    }

    #[test]
    fn prefixes_and_odd_ranges() {
        assert_eq!(prefix_of(0, None), Some(0));
        assert_eq!(prefix_of(u128::MAX, None), Some(128));
        assert_eq!(prefix_of(1 << 64, Some(2 << 64)), Some(64));
        assert_eq!(prefix_of(1 << 64, Some(3 << 64)), None, "two /64s");
        assert_eq!(prefix_of(1, Some(3)), None, "misaligned");
        assert_eq!(prefix_of(5, Some(5)), None, "empty");
        let start = |k: u128, end: bool| Listed {
            key: k.to_be_bytes(),
            key_len: 16,
            interval_end: end,
            timeout_ms: None,
            expires_ms: None,
        };
        // 1..3 is no prefix; ff..ff alone (no end) is a /128.
        let (e, odd) = pair(&[start(1, false), start(3, true), start(u128::MAX, false)]);
        assert_eq!(odd, 1);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].host.prefix(), 128);
    }

    #[test]
    fn mangled_dumps_never_panic() {
        let good = vectors::host(&vectors::load("reply_dump_v6"));
        let mut x: u32 = 0x9e37_79b9;
        for cut in 0..good.len() {
            let mut bytes = good[..cut].to_vec();
            for _ in 0..3 {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                if !bytes.is_empty() {
                    let i = x as usize % bytes.len();
                    bytes[i] = (x >> 8) as u8;
                }
            }
            let mut out = Vec::new();
            for m in Messages::new(&bytes).map_while(Result::ok) {
                let _ = parse(&m, &mut out);
            }
            let _ = pair(&out);
        }
    }
}
