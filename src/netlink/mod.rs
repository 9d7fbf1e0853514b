//! nf_tables over raw netlink: the wire format, byte by byte, and the one socket.
//!
//! logjail talks to the kernel's nf_tables the way `nft` does, without libmnl or libnftnl:
//!
//! * [`header`] — the 16-byte `nlmsghdr` (host-endian, like everything netlink puts in its own
//!   headers) and the 4-byte `nfgenmsg` (family, version, big-endian `res_id`).
//! * [`attr`] — netlink attributes: a [`attr::Writer`] that emits into a `&mut [u8]` and
//!   refuses to let a nest grow past 65 535 bytes (an attribute's length is a `u16`), and a
//!   checked iterator over received attributes; [`attr::Emitable`] — `emit` and `buffer_len`,
//!   the one length rule, measured by running `emit` on a counting writer. Attribute headers are host-endian; the
//!   payloads nf_tables defines (`u32`, `u64`, addresses) are big-endian and written so.
//! * [`msg`] — the nf_tables requests logjail sends, each a `Repr` with `emit`: tables,
//!   chains, rules (payload load, `meta nfproto`, `cmp`, `lookup`, `immediate` verdict), sets,
//!   set elements (with kernel timeouts, and interval start/end pairs for IPv6 prefixes).
//! * [`batch`] — an nfnetlink batch: `NFNL_MSG_BATCH_BEGIN`, messages with consecutive
//!   sequence numbers and `NLM_F_ACK`, `NFNL_MSG_BATCH_END`, in one fixed-size buffer.
//! * [`elems`] — the elements a `GETSETELEM` dump lists, paired into hosts (IPv6 prefixes are
//!   start and end elements).
//! * [`reply`] — what comes back: acks and errors (`nlmsgerr`, matched by sequence number),
//!   set and table descriptions from `GET*` requests, and the multicast events `nft monitor`
//!   shows.
//! * [`conn`] — owns the batch: a batch out, every ack back, matched by sequence number;
//!   `GET*` requests and `NLM_F_DUMP` dumps.
//! * [`socket`] — the only part that touches the OS.
//!
//! Nothing but `socket` (and `conn`, through it) performs I/O; every other function takes bytes and returns values,
//! and is tested against bytes captured from the real kernel path (`tests/kernel/*.hex`).

pub mod attr;
pub mod batch;
pub mod conn;
pub mod elems;
pub mod expr;
pub mod header;
pub mod msg;
pub mod reply;
pub mod route;
pub mod socket;
#[cfg(test)]
pub(crate) mod vectors;
#[cfg(test)]
mod wire_tests;

use core::fmt;

/// `NETLINK_NETFILTER` subsystem id of nf_tables (`NFNL_SUBSYS_NFTABLES`).
pub const NFNL_SUBSYS_NFTABLES: u8 = 10;
/// Multicast group carrying nf_tables change events (`NFNLGRP_NFTABLES`).
pub const NFNLGRP_NFTABLES: u32 = 7;

/// Netlink families as nf_tables knows them (`NFPROTO_*`).
pub mod family {
    pub const UNSPEC: u8 = 0;
    pub const INET: u8 = 1;
    pub const IPV4: u8 = 2;
    pub const ARP: u8 = 3;
    pub const NETDEV: u8 = 5;
    pub const BRIDGE: u8 = 7;
    pub const IPV6: u8 = 10;

    /// The family number of an `nft` family keyword.
    pub fn parse(name: &str) -> Option<u8> {
        Some(match name {
            "inet" => INET,
            "ip" => IPV4,
            "ip6" => IPV6,
            "arp" => ARP,
            "bridge" => BRIDGE,
            "netdev" => NETDEV,
            _ => return None,
        })
    }
}

/// `enum nf_tables_msg_types`, the low byte of an nf_tables message type.
pub mod msg_type {
    pub const NEWTABLE: u8 = 0;
    pub const GETTABLE: u8 = 1;
    pub const DELTABLE: u8 = 2;
    pub const NEWCHAIN: u8 = 3;
    pub const DELCHAIN: u8 = 5;
    pub const NEWRULE: u8 = 6;
    pub const NEWSET: u8 = 9;
    pub const GETSET: u8 = 10;
    pub const DELSET: u8 = 11;
    pub const NEWSETELEM: u8 = 12;
    pub const GETSETELEM: u8 = 13;
    pub const DELSETELEM: u8 = 14;
    pub const NEWGEN: u8 = 15;
    pub const DESTROYTABLE: u8 = 26;
    pub const DESTROYSET: u8 = 29;
}

/// What the wire layer can fail with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireError {
    /// The output buffer cannot hold what was to be emitted.
    Full,
    /// A nest would exceed the 65 535 bytes an attribute length can express.
    NestTooLong,
    /// Received bytes are shorter than a header or a length field claims.
    Truncated,
    /// A length field is smaller than the header it belongs to.
    BadLength,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WireError::Full => "message buffer full",
            WireError::NestTooLong => "attribute nest longer than 65535 bytes",
            WireError::Truncated => "truncated netlink message",
            WireError::BadLength => "netlink length field smaller than its header",
        })
    }
}

impl std::error::Error for WireError {}

/// Rounds a length up to netlink's 4-byte alignment (`NLMSG_ALIGN`, `NLA_ALIGN`).
pub const fn align4(n: usize) -> usize {
    (n + 3) & !3
}
