//! Parse tests against `tests/kernel/route_*.hex`, captured from the real kernel by
//! `tests/kernel/capture_route.py`. The captures are little-endian; [`host`] rewrites the
//! host-endian fields (nlmsghdr, ifaddrmsg index, attribute headers, `IFA_FLAGS`,
//! `IFA_CACHEINFO`, `nlmsgerr`) so the same tests pass on big-endian MIPS.

use super::*;
use crate::netlink::header::Messages;
use crate::netlink::{align4, vectors};

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn swap32(le: &[u8], out: &mut [u8], at: usize) {
    let v = u32::from_le_bytes([le[at], le[at + 1], le[at + 2], le[at + 3]]);
    out[at..at + 4].copy_from_slice(&v.to_ne_bytes());
}

fn swap16(le: &[u8], out: &mut [u8], at: usize) {
    out[at..at + 2].copy_from_slice(&le16(le, at).to_ne_bytes());
}

/// Captured little-endian rtnetlink messages → the same messages in host byte order.
fn host(le: &[u8]) -> Vec<u8> {
    let mut out = le.to_vec();
    let mut at = 0;
    while at + NLMSG_HDRLEN <= le.len() {
        let len = u32::from_le_bytes([le[at], le[at + 1], le[at + 2], le[at + 3]]) as usize;
        message(le, &mut out, at, len);
        at += align4(len.max(NLMSG_HDRLEN));
    }
    out
}

fn message(le: &[u8], out: &mut [u8], at: usize, len: usize) {
    let kind = le16(le, at + 4);
    for f in [0, 8, 12] {
        swap32(le, out, at + f);
    }
    swap16(le, out, at + 4);
    swap16(le, out, at + 6);
    let p = at + NLMSG_HDRLEN;
    let end = (at + len).min(le.len());
    match kind {
        RTM_NEWADDR | RTM_DELADDR | RTM_GETADDR if p + IFADDRMSG_LEN <= end => {
            swap32(le, out, p + 4);
            let mut a = p + IFADDRMSG_LEN;
            while a + 4 <= end {
                let alen = le16(le, a) as usize;
                let akind = le16(le, a + 2);
                swap16(le, out, a);
                swap16(le, out, a + 2);
                let words = match akind {
                    ifa_attr::FLAGS | ifa_attr::RT_PRIORITY => 1,
                    ifa_attr::CACHEINFO => 4,
                    _ => 0,
                };
                for w in 0..words {
                    if a + 8 + 4 * w <= end {
                        swap32(le, out, a + 4 + 4 * w);
                    }
                }
                a += align4(alen.max(4));
            }
        }
        NLMSG_DONE if p + 4 <= end => swap32(le, out, p),
        NLMSG_ERROR if p + 4 + NLMSG_HDRLEN <= end => {
            swap32(le, out, p);
            let echoed = u32::from_le_bytes([le[p + 4], le[p + 5], le[p + 6], le[p + 7]]);
            message(le, out, p + 4, (echoed as usize).min(end - p - 4));
        }
        _ => {}
    }
}

fn parse_all(name: &str) -> Vec<RouteMsg> {
    let bytes = host(&vectors::load(name));
    Messages::new(&bytes)
        .map(|m| parse(m.unwrap()).unwrap())
        .collect()
}

fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

fn v6(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn parses_captured_newaddr_v4() {
    let addr = IfAddr {
        index: 1,
        ip: v4(198, 51, 100, 1),
        prefix: 24,
    };
    let seq = 0x6b10_5f57;
    assert_eq!(
        parse_all("route_newaddr_v4"),
        [RouteMsg::New { addr, seq, flags: 0 }]
    );
    assert_eq!(
        parse_all("route_deladdr_v4"),
        [RouteMsg::Del { addr, seq, flags: 0 }]
    );
}

#[test]
fn parses_captured_newaddr_v6_tentative_then_final() {
    let addr = IfAddr {
        index: 1,
        ip: v6("2001:db8:1::1"),
        prefix: 64,
    };
    let new = RouteMsg::New {
        addr,
        seq: 0,
        flags: 0,
    };
    assert_eq!(parse_all("route_newaddr_v6"), [new, new]);
    assert_eq!(
        parse_all("route_deladdr_v6"),
        [RouteMsg::Del {
            addr,
            seq: 0,
            flags: 0
        }]
    );
}

/// On a point-to-point link `IFA_ADDRESS` is the peer: our address is `IFA_LOCAL`.
#[test]
fn peer_address_is_not_ours() {
    let got = parse_all("route_newaddr_peer");
    let [RouteMsg::New { addr, .. }] = got[..] else {
        panic!("{got:?}")
    };
    assert_eq!((addr.ip, addr.prefix), (v4(192, 0, 2, 1), 32));
}

#[test]
fn parses_captured_dump() {
    let multi = crate::netlink::header::flags::MULTI;
    let got = parse_all("route_dump");
    let ips: Vec<(IpAddr, u32, u16)> = got
        .iter()
        .filter_map(|m| match *m {
            RouteMsg::New { addr, seq, flags } => Some((addr.ip, seq, flags)),
            _ => None,
        })
        .collect();
    assert_eq!(
        ips,
        [
            (v4(127, 0, 0, 1), 7, multi),
            (v4(192, 0, 2, 1), 7, multi),
            (v6("::1"), 7, multi)
        ]
    );
    assert_eq!(got.last(), Some(&RouteMsg::Done { seq: 7, flags: multi }));
    assert_eq!(got.len(), 4);
}

#[test]
fn parses_captured_error() {
    assert_eq!(
        parse_all("route_error"),
        [RouteMsg::Error {
            seq: 9,
            errno: libc::EINVAL
        }]
    );
}

#[test]
fn emits_the_dump_request_ip_sends() {
    let want = host(&vectors::load("route_getaddr_request"));
    let mut buf = [0xaa; 64];
    let n = getaddr_request(&mut buf, 0x6b10_5ced).unwrap();
    assert_eq!(&buf[..n], &want[..]);
    assert_eq!(getaddr_request(&mut buf[..23], 1), Err(WireError::Full));
}

/// A v4 message with its `IFA_LOCAL` payload replaced by `payload`.
fn with_local(payload: &[u8]) -> Vec<u8> {
    let mut m = host(&vectors::load("route_newaddr_v4"))[..NLMSG_HDRLEN + IFADDRMSG_LEN].to_vec();
    let alen = 4 + payload.len();
    m.extend_from_slice(&(alen as u16).to_ne_bytes());
    m.extend_from_slice(&ifa_attr::LOCAL.to_ne_bytes());
    m.extend_from_slice(payload);
    m.resize(align4(m.len()), 0);
    let len = m.len() as u32;
    m[..4].copy_from_slice(&len.to_ne_bytes());
    m
}

#[test]
fn rejects_malformed_address_messages() {
    let one = |b: &[u8]| parse(Message::new_checked(b).unwrap());
    // No address attribute at all.
    let bare = with_local(&[])[..NLMSG_HDRLEN + IFADDRMSG_LEN].to_vec();
    let mut bare = bare;
    bare[..4].copy_from_slice(&24u32.to_ne_bytes());
    assert_eq!(one(&bare), Err(RouteError::NoAddress { family: AF_INET }));
    // An IPv6-sized address in an IPv4 message.
    assert_eq!(
        one(&with_local(&[1; 16])),
        Err(RouteError::AddressLength {
            family: AF_INET,
            len: 16
        })
    );
    // An ifaddrmsg cut short.
    let mut short = bare[..20].to_vec();
    short[..4].copy_from_slice(&20u32.to_ne_bytes());
    assert_eq!(
        one(&short),
        Err(RouteError::ShortPayload {
            kind: RTM_NEWADDR,
            len: 4
        })
    );
    // An attribute claiming more bytes than the message has.
    let mut long = with_local(&[198, 51, 100, 1]);
    long[24..26].copy_from_slice(&200u16.to_ne_bytes());
    assert_eq!(one(&long), Err(RouteError::Wire(WireError::Truncated)));
    // A family that is neither IPv4 nor IPv6 (MCTP = 45) is skipped, not an error.
    let mut mctp = with_local(&[9]);
    mctp[NLMSG_HDRLEN] = 45;
    assert_eq!(one(&mctp), Ok(RouteMsg::Other { kind: RTM_NEWADDR }));
    // Messages the watcher does not handle.
    let mut link = bare.clone();
    link[4..6].copy_from_slice(&16u16.to_ne_bytes());
    assert_eq!(one(&link), Ok(RouteMsg::Other { kind: 16 }));
}

/// Kernel messages are input: no cut or corruption of a real capture may panic.
#[test]
fn mangled_messages_never_panic() {
    let mut x: u32 = 0x9e37_79b9;
    for name in [
        "route_newaddr_v4",
        "route_newaddr_v6",
        "route_dump",
        "route_error",
    ] {
        let good = host(&vectors::load(name));
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
            for m in Messages::new(&bytes).map_while(Result::ok) {
                let _ = parse(m);
            }
        }
    }
}

#[test]
fn errors_name_what_is_wrong() {
    let e = RouteError::AddressLength {
        family: AF_INET,
        len: 16,
    };
    assert_eq!(e.to_string(), "rtnetlink address of 16 bytes for family 2");
    assert_eq!(
        RouteError::Wire(WireError::Truncated).to_string(),
        "rtnetlink: truncated netlink message"
    );
}
