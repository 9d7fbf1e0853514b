//! What the kernel sends back: acks, errors, object descriptions and change events.
//!
//! An ack or error is an `NLMSG_ERROR` message whose payload is `struct nlmsgerr`:
//!
//! ```text
//! +----------------+------------------------------------+-----------------------+
//! | error (i32, NE)| the request's nlmsghdr [+ payload] | extended-ack TLVs ... |
//! +----------------+------------------------------------+-----------------------+
//! ```
//!
//! `error` is 0 for an ack, `-errno` for a failure. The request's payload is echoed only
//! for failures without `NLM_F_CAPPED`; TLVs follow when `NLM_F_ACK_TLVS` is set
//! (`NLMSGERR_ATTR_MSG` is a text message, `NLMSGERR_ATTR_OFFS` the byte offset of the
//! attribute the kernel objected to). The sequence number that matters is the one in the
//! outer header: the kernel copies it from the request.
//!
//! Object messages (`NEWTABLE`, `NEWSET`, `DELSET`, ...) are both the replies to `GET*`
//! requests and, on the `NFNLGRP_NFTABLES` multicast group, the change events `nft monitor`
//! prints; [`Object`] reads the attributes logjail cares about from either.

use super::attr::{Attr, Attrs};
use super::header::{flags, u32_ne, Message, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLMSG_OVERRUN};
use super::msg::{elem_attr, set_attr, table_attr};
use super::{align4, msg_type, WireError, NFNL_SUBSYS_NFTABLES};

/// `NLMSGERR_ATTR_*`.
pub mod ext_attr {
    pub const MSG: u16 = 1;
    pub const OFFS: u16 = 2;
}

/// One received message, classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply<'a> {
    /// `NLMSG_ERROR`: `errno` 0 is an ack, otherwise the positive errno of the failure.
    Ack(Ack<'a>),
    /// End of a dump.
    Done { seq: u32 },
    /// An nf_tables object message (reply to a `GET*`, or an event).
    Object(Object<'a>),
    /// Anything else (another subsystem, `NLMSG_NOOP`, ...).
    Other { kind: u16 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ack<'a> {
    pub seq: u32,
    pub errno: i32,
    /// Extended-ack text, when the kernel gave one.
    pub text: Option<&'a [u8]>,
    /// Offset of the offending attribute within the request, when given.
    pub offset: Option<u32>,
}

/// The interesting attributes of a table, set, chain, rule or element message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Object<'a> {
    /// `msg_type::*` (low byte of the message type).
    pub msg: u8,
    pub family: u8,
    pub seq: u32,
    /// Port id of the socket whose change this is (events), or of the receiver (replies).
    pub pid: u32,
    /// The table the object is in (the table's own name for table messages).
    pub table: &'a [u8],
    /// The set's name for set and set element messages.
    pub set: Option<&'a [u8]>,
    pub handle: Option<u64>,
    pub set_flags: Option<u32>,
    pub key_type: Option<u32>,
    pub key_len: Option<u32>,
    /// The `size` a set was declared with (`NFTA_SET_DESC_SIZE`).
    pub size: Option<u32>,
}

/// Classifies one message.
pub fn parse(m: Message<'_>) -> Result<Reply<'_>, WireError> {
    match m.kind() {
        NLMSG_ERROR => parse_ack(m).map(Reply::Ack),
        NLMSG_DONE => Ok(Reply::Done { seq: m.seq() }),
        NLMSG_OVERRUN => Ok(Reply::Other { kind: NLMSG_OVERRUN }),
        k if k >> 8 == u16::from(NFNL_SUBSYS_NFTABLES) => parse_object(m).map(Reply::Object),
        kind => Ok(Reply::Other { kind }),
    }
}

fn parse_ack(m: Message<'_>) -> Result<Ack<'_>, WireError> {
    let p = m.payload();
    if p.len() < 4 + NLMSG_HDRLEN {
        return Err(WireError::Truncated);
    }
    let error = u32_ne(&p[..4]) as i32;
    let echoed = u32_ne(&p[4..8]) as usize;
    let skip = if error == 0 || m.flags() & flags::CAPPED != 0 {
        NLMSG_HDRLEN
    } else {
        if echoed < NLMSG_HDRLEN {
            return Err(WireError::BadLength);
        }
        align4(echoed)
    };
    let mut ack = Ack {
        seq: m.seq(),
        errno: error.checked_neg().unwrap_or(i32::MAX),
        text: None,
        offset: None,
    };
    if m.flags() & flags::ACK_TLVS != 0 {
        let tlvs = p.get(4 + skip..).ok_or(WireError::Truncated)?;
        for a in Attrs::new(tlvs) {
            let a = a?;
            match a.kind {
                ext_attr::MSG => ack.text = Some(a.str()),
                ext_attr::OFFS if a.payload.len() >= 4 => ack.offset = Some(u32_ne(a.payload)),
                _ => {}
            }
        }
    }
    Ok(ack)
}

fn parse_object(m: Message<'_>) -> Result<Object<'_>, WireError> {
    let msg = (m.kind() & 0xff) as u8;
    let family = m.nfgen_family().ok_or(WireError::Truncated)?;
    let mut o = Object {
        msg,
        family,
        seq: m.seq(),
        pid: m.pid(),
        table: b"",
        set: None,
        handle: None,
        set_flags: None,
        key_type: None,
        key_len: None,
        size: None,
    };
    let is_table = matches!(
        msg,
        msg_type::NEWTABLE | msg_type::DELTABLE | msg_type::GETTABLE | msg_type::DESTROYTABLE
    );
    let is_set = matches!(
        msg,
        msg_type::NEWSET | msg_type::DELSET | msg_type::GETSET | msg_type::DESTROYSET
    );
    let is_elems = matches!(msg, msg_type::NEWSETELEM | msg_type::DELSETELEM);
    for a in Attrs::new(m.nft_attrs()) {
        let a: Attr<'_> = a?;
        match (a.kind, is_table, is_set) {
            (table_attr::NAME, true, _) => o.table = a.str(),
            (table_attr::HANDLE, true, _) => o.handle = a.be64().ok(),
            // NFTA_{SET,CHAIN,RULE,SET_ELEM_LIST}_TABLE are all attribute 1.
            (set_attr::TABLE, false, _) => o.table = a.str(),
            (set_attr::NAME, _, true) => o.set = Some(a.str()),
            (set_attr::HANDLE, _, true) => o.handle = a.be64().ok(),
            (set_attr::FLAGS, _, true) => o.set_flags = a.be32().ok(),
            (set_attr::KEY_TYPE, _, true) => o.key_type = a.be32().ok(),
            (set_attr::KEY_LEN, _, true) => o.key_len = a.be32().ok(),
            (set_attr::DESC, _, true) => {
                o.size = a.nested().find(set_attr::DESC_SIZE).and_then(|s| s.be32().ok())
            }
            (elem_attr::LIST_SET, false, false) if is_elems => o.set = Some(a.str()),
            _ => {}
        }
    }
    Ok(o)
}

/// The keys of the elements a `NEWSETELEM`/`DELSETELEM` message carries (for an interval
/// set, start and end keys alike). Malformed nests end the list early.
pub fn element_keys<'a>(m: &Message<'a>) -> Vec<&'a [u8]> {
    use super::msg::elem_attr;
    let mut keys = Vec::new();
    let Some(list) = Attrs::new(m.nft_attrs()).find(elem_attr::LIST_ELEMENTS) else {
        return keys;
    };
    for elem in list.nested().map_while(Result::ok) {
        if let Some(key) = elem.nested().find(elem_attr::KEY) {
            if let Some(v) = key.nested().find(elem_attr::DATA_VALUE) {
                keys.push(v.payload);
            }
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::vectors;

    #[test]
    fn parses_captured_enoent() {
        let bytes = vectors::host(&vectors::load("err_enoent_del_v4"));
        let m = Message::new_checked(&bytes).unwrap();
        match parse(m).unwrap() {
            Reply::Ack(a) => {
                assert_eq!((a.seq, a.errno, a.text), (1, libc::ENOENT, None));
                // Offset 0x30 points at NFTA_SET_ELEM_LIST_ELEMENTS in the echoed request.
                assert_eq!(a.offset, Some(0x30));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_captured_ack_and_extended_error() {
        let bytes = vectors::host(&vectors::load("ack_newsetelem"));
        let ack = parse(Message::new_checked(&bytes).unwrap()).unwrap();
        let want = Ack {
            seq: 1_795_644_117,
            errno: 0,
            text: None,
            offset: None,
        };
        assert_eq!(ack, Reply::Ack(want));
        let bytes = vectors::host(&vectors::load("err_enoent_gettable"));
        match parse(Message::new_checked(&bytes).unwrap()).unwrap() {
            Reply::Ack(a) => assert_eq!(
                (a.seq, a.errno, a.offset),
                (1_795_644_119, libc::ENOENT, Some(20))
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_captured_set_description() {
        let bytes = vectors::host(&vectors::load("reply_getset_v4"));
        let Reply::Object(o) = parse(Message::new_checked(&bytes).unwrap()).unwrap() else {
            panic!()
        };
        assert_eq!(
            (o.msg, o.family, o.table, o.set),
            (msg_type::NEWSET, 1, &b"fw4"[..], Some(&b"logjail_v4"[..]))
        );
        assert_eq!(
            (o.set_flags, o.key_type, o.key_len),
            (Some(0x10), Some(7), Some(4))
        );
        assert!(o.handle.is_some());
        assert_eq!(o.size, None, "declared without a size");
    }

    #[test]
    fn parses_captured_set_full_error() {
        let bytes = vectors::host(&vectors::load("err_enfile_newsetelem"));
        match parse(Message::new_checked(&bytes).unwrap()).unwrap() {
            Reply::Ack(a) => assert_eq!(
                (a.seq, a.errno, a.text, a.offset),
                (1_796_234_859, libc::ENFILE, None, Some(0x30))
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_the_declared_size_of_a_set() {
        let bytes = vectors::host(&vectors::load("reply_getset_size2"));
        let Reply::Object(o) = parse(Message::new_checked(&bytes).unwrap()).unwrap() else {
            panic!()
        };
        assert_eq!((o.set, o.size), (Some(&b"logjail_v4"[..]), Some(2)));
    }

    #[test]
    fn names_the_set_of_element_messages() {
        let bytes = vectors::host(&vectors::load("reply_dump_v4"));
        let Reply::Object(o) = parse(Message::new_checked(&bytes).unwrap()).unwrap() else {
            panic!()
        };
        assert_eq!(
            (o.msg, o.table, o.set),
            (msg_type::NEWSETELEM, &b"fw4"[..], Some(&b"logjail_v4"[..]))
        );
    }

    #[test]
    fn reads_element_keys_of_an_event() {
        let bytes = vectors::host(&vectors::load("event_own_setelem"));
        let m = Message::new_checked(&bytes).unwrap();
        assert_eq!(element_keys(&m), vec![&[203, 0, 113, 9][..]]);
    }

    /// Kernel replies are input: no truncation or corruption of a real reply may panic.
    #[test]
    fn mangled_replies_never_panic() {
        use crate::netlink::header::Messages;
        let names = [
            "err_enoent_del_v4",
            "ack_newsetelem",
            "reply_getset_v4",
            "event_table_created",
            "reply_getset_size2",
            "reply_dump_v6",
            "event_set_recreated",
            "err_enfile_newsetelem",
        ];
        let mut x: u32 = 0x2545_f491;
        for name in names {
            let good = vectors::host(&vectors::load(name));
            for cut in 0..good.len() {
                let mut bytes = good[..cut].to_vec();
                for _ in 0..4 {
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
                    let _ = element_keys(&m);
                }
            }
        }
    }

    #[test]
    fn rejects_short_error() {
        let mut bytes = vectors::host(&vectors::load("err_enoent_del_v4"));
        bytes.truncate(24);
        bytes[..4].copy_from_slice(&24u32.to_ne_bytes());
        let m = Message::new_checked(&bytes).unwrap();
        assert_eq!(parse(m), Err(WireError::Truncated));
    }
}
