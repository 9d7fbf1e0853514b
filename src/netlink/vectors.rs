//! Test vectors captured from the real kernel path, made valid for *this* host.
//!
//! `tests/kernel/NAME.hex` hold bytes exactly as `nft` sent them (or the kernel answered) on a
//! little-endian x86_64 host, captured with `strace -e write=3 -e read=3`. Netlink headers
//! (`nlmsghdr`, `nlattr`, `nlmsgerr.error`, extended-ack values, libnftnl user-data values)
//! are host-endian, so [`host`] walks the captured messages and re-writes exactly those fields
//! with `to_ne_bytes`; every big-endian payload is left alone. On a little-endian host the
//! result is the file's bytes unchanged, on big-endian MIPS the headers are swapped.

use super::align4;
use super::attr::NLA_F_NESTED;
use super::header::{NLMSG_ERROR, NLMSG_HDRLEN};

/// Reads `tests/kernel/NAME.hex` (`#` comments, whitespace ignored).
pub fn load(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/kernel/{name}.hex", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let hex: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .flat_map(|l| l.chars().filter(|c| c.is_ascii_hexdigit()))
        .collect();
    (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn put16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_ne_bytes());
}

fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_ne_bytes());
}

/// Captured little-endian netlink messages → the same messages in host byte order.
pub fn host(le: &[u8]) -> Vec<u8> {
    let mut out = le.to_vec();
    let mut at = 0;
    while at + NLMSG_HDRLEN <= le.len() {
        let len = le32(le, at) as usize;
        convert_message(le, &mut out, at, len);
        at += align4(len.max(NLMSG_HDRLEN));
    }
    out
}

fn convert_message(le: &[u8], out: &mut [u8], at: usize, len: usize) {
    let kind = le16(le, at + 4);
    let flags = le16(le, at + 6);
    put32(out, at, le32(le, at));
    put16(out, at + 4, kind);
    put16(out, at + 6, flags);
    put32(out, at + 8, le32(le, at + 8));
    put32(out, at + 12, le32(le, at + 12));
    let end = (at + len).min(le.len());
    if kind == NLMSG_ERROR {
        let p = at + NLMSG_HDRLEN;
        put32(out, p, le32(le, p));
        let echoed = le32(le, p + 4) as usize;
        let capped = flags & 0x100 != 0 || le32(le, p) == 0;
        let echo_len = if capped { NLMSG_HDRLEN } else { echoed };
        convert_message(le, out, p + 4, echo_len);
        // Extended-ack TLVs: u32 values are host-endian.
        let mut t = p + 4 + align4(echo_len);
        while t + 4 <= end {
            let alen = le16(le, t) as usize;
            put16(out, t, alen as u16);
            put16(out, t + 2, le16(le, t + 2));
            if alen == 8 {
                put32(out, t + 4, le32(le, t + 4));
            }
            t += align4(alen.max(4));
        }
    } else if kind >> 8 != 0 && at + NLMSG_HDRLEN + 4 <= end {
        let msg = (kind & 0xff) as u8;
        let setelem = msg == super::msg_type::NEWSETELEM || msg == super::msg_type::DELSETELEM;
        let schema = if setelem {
            Schema::SetElems(0)
        } else {
            Schema::Flagged {
                set_udata: msg == super::msg_type::NEWSET,
            }
        };
        convert_attrs(le, out, at + NLMSG_HDRLEN + 4, end, schema);
    }
}

/// Which attributes are nests. Requests mark theirs with `NLA_F_NESTED`; the kernel does not,
/// so for element messages the nesting is spelled out: the elements list (3), each element,
/// and an element's key (1), data (2) and key end (10); for set messages, the set's
/// description (9, `NFTA_SET_DESC`), which the kernel sends without the flag.
#[derive(Clone, Copy)]
enum Schema {
    Flagged { set_udata: bool },
    SetElems(u8),
}

impl Schema {
    fn nested(self, kind: u16) -> Option<Schema> {
        match self {
            Schema::Flagged { .. } if kind & NLA_F_NESTED != 0 => Some(Schema::Flagged { set_udata: false }),
            Schema::Flagged { set_udata: true } if kind == super::msg::set_attr::DESC => {
                Some(Schema::Flagged { set_udata: false })
            }
            Schema::Flagged { .. } => None,
            Schema::SetElems(0) if kind & !NLA_F_NESTED == 3 => Some(Schema::SetElems(1)),
            Schema::SetElems(1) => Some(Schema::SetElems(2)),
            Schema::SetElems(2) if matches!(kind & !NLA_F_NESTED, 1 | 2 | 10) => Some(Schema::SetElems(3)),
            Schema::SetElems(_) => None,
        }
    }
}

fn convert_attrs(le: &[u8], out: &mut [u8], mut at: usize, end: usize, schema: Schema) {
    let set_udata = matches!(schema, Schema::Flagged { set_udata: true });
    while at + 4 <= end {
        let alen = le16(le, at) as usize;
        let kind = le16(le, at + 2);
        put16(out, at, alen as u16);
        put16(out, at + 2, kind);
        if alen < 4 {
            return;
        }
        if let Some(inner) = schema.nested(kind) {
            convert_attrs(le, out, at + 4, (at + alen).min(end), inner);
        } else if set_udata && kind == super::msg::set_attr::USERDATA {
            // libnftnl TLVs: u8 type, u8 len, value; 4-byte values are host-endian u32s.
            let mut u = at + 4;
            while u + 2 <= at + alen {
                let ulen = le[u + 1] as usize;
                if ulen == 4 && u + 6 <= le.len() {
                    put32(out, u + 2, le32(le, u + 2));
                }
                u += 2 + ulen;
            }
        }
        at += align4(alen);
    }
}
