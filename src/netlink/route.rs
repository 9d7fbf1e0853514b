//! rtnetlink address messages: the router's own addresses as the kernel announces them.
//!
//! `RTM_NEWADDR` and `RTM_DELADDR` (the answer to an `RTM_GETADDR` dump, and the events on the
//! `RTMGRP_IPV4_IFADDR`/`RTMGRP_IPV6_IFADDR` groups) are an `nlmsghdr`, an `ifaddrmsg` and
//! attributes:
//!
//! ```text
//!  0       1       2       3       4               8
//! +-------+-------+-------+-------+---------------+------------------------------+
//! |family |prefix |flags  |scope  | index (NE)    | IFA_ADDRESS, IFA_LOCAL, ...  |
//! +-------+-------+-------+-------+---------------+------------------------------+
//! ```
//!
//! Like every netlink header, `ifa_index` and the attribute headers are host-endian; the
//! addresses are in network order. *Which* attribute holds our address: `IFA_LOCAL` when
//! present (on a point-to-point link, PPPoE for one, `IFA_ADDRESS` is the peer's), else
//! `IFA_ADDRESS` (IPv6 sends only that). A dump (`AF_UNSPEC`) also lists families other than
//! IPv4 and IPv6 (MCTP, ...): they are reported as [`RouteMsg::Other`], never as an error.

use super::header::{Message, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLMSG_OVERRUN};
use super::{attr::Attrs, WireError};
use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const RTM_NEWADDR: u16 = 20;
pub const RTM_DELADDR: u16 = 21;
pub const RTM_GETADDR: u16 = 22;
/// Multicast group bit masks for `bind` (`RTMGRP_*`; the groups are `RTNLGRP_IPV4_IFADDR` = 5
/// and `RTNLGRP_IPV6_IFADDR` = 9).
pub const RTMGRP_IPV4_IFADDR: u32 = 0x10;
pub const RTMGRP_IPV6_IFADDR: u32 = 0x100;
/// `nlmsg_flags` bit of a dump part: the dump was interrupted by a change, dump again.
pub const NLM_F_DUMP_INTR: u16 = 0x10;
pub const AF_UNSPEC: u8 = 0;
pub const AF_INET: u8 = 2;
pub const AF_INET6: u8 = 10;
pub const IFADDRMSG_LEN: usize = 8;
/// Length of an `RTM_GETADDR` dump request.
pub const GETADDR_LEN: usize = NLMSG_HDRLEN + IFADDRMSG_LEN;

mod field {
    use core::ops::Range;
    // nlmsghdr
    pub const LEN: Range<usize> = 0..4;
    pub const TYPE: Range<usize> = 4..6;
    pub const FLAGS: Range<usize> = 6..8;
    pub const SEQ: Range<usize> = 8..12;
    pub const PID: Range<usize> = 12..16;
    // ifaddrmsg, relative to the payload
    pub const FAMILY: usize = 0;
    pub const PREFIXLEN: usize = 1;
    pub const INDEX: Range<usize> = 4..8;
}

/// `IFA_*` attribute types.
pub mod ifa_attr {
    pub const ADDRESS: u16 = 1;
    pub const LOCAL: u16 = 2;
    pub const LABEL: u16 = 3;
    pub const CACHEINFO: u16 = 6;
    pub const FLAGS: u16 = 8;
    pub const RT_PRIORITY: u16 = 9;
}

/// One address of one interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IfAddr {
    /// Interface index (`ifa_index`).
    pub index: u32,
    /// Our address: `IFA_LOCAL`, else `IFA_ADDRESS`.
    pub ip: IpAddr,
    /// The on-link prefix length (`ifa_prefixlen`), for the log.
    pub prefix: u8,
}

/// One received rtnetlink message, classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteMsg {
    /// `RTM_NEWADDR`: an IPv4 or IPv6 address is (or, in a dump, was) configured.
    New { addr: IfAddr, seq: u32, flags: u16 },
    /// `RTM_DELADDR`: an address was removed.
    Del { addr: IfAddr, seq: u32, flags: u16 },
    /// `NLMSG_DONE`: end of a dump.
    Done { seq: u32, flags: u16 },
    /// `NLMSG_ERROR`: `errno` 0 is an ack, else the positive errno of a failed request.
    Error { seq: u32, errno: i32 },
    /// `NLMSG_OVERRUN`, which the kernel no longer sends but the format defines.
    Overrun,
    /// Anything else: other message types, address messages of other families.
    Other { kind: u16 },
}

/// What an address message can be wrong with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteError {
    /// The netlink framing (`nlmsghdr`, attribute headers) is broken.
    Wire(WireError),
    /// The payload is shorter than an `ifaddrmsg` (or an `nlmsgerr`).
    ShortPayload { kind: u16, len: usize },
    /// An IPv4/IPv6 address message carries neither `IFA_LOCAL` nor `IFA_ADDRESS`.
    NoAddress { family: u8 },
    /// `IFA_LOCAL`/`IFA_ADDRESS` has the wrong length for the family.
    AddressLength { family: u8, len: usize },
}

impl From<WireError> for RouteError {
    fn from(e: WireError) -> Self {
        RouteError::Wire(e)
    }
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteError::Wire(e) => write!(f, "rtnetlink: {e}"),
            RouteError::ShortPayload { kind, len } => {
                write!(
                    f,
                    "rtnetlink message type {kind}: payload of {len} bytes is too short"
                )
            }
            RouteError::NoAddress { family } => {
                write!(
                    f,
                    "rtnetlink address message (family {family}) without an address"
                )
            }
            RouteError::AddressLength { family, len } => {
                write!(f, "rtnetlink address of {len} bytes for family {family}")
            }
        }
    }
}

impl std::error::Error for RouteError {}

/// Classifies one message of a receive buffer (split it with [`super::header::Messages`]).
pub fn parse(m: Message<'_>) -> Result<RouteMsg, RouteError> {
    let (kind, seq, flags) = (m.kind(), m.seq(), m.flags());
    match kind {
        RTM_NEWADDR | RTM_DELADDR => {
            let Some(addr) = if_addr(kind, m.payload())? else {
                return Ok(RouteMsg::Other { kind });
            };
            Ok(if kind == RTM_NEWADDR {
                RouteMsg::New { addr, seq, flags }
            } else {
                RouteMsg::Del { addr, seq, flags }
            })
        }
        NLMSG_DONE => Ok(RouteMsg::Done { seq, flags }),
        NLMSG_ERROR => {
            let p = m.payload();
            let b: [u8; 4] = p
                .get(..4)
                .and_then(|b| b.try_into().ok())
                .ok_or(RouteError::ShortPayload { kind, len: p.len() })?;
            let error = i32::from_ne_bytes(b);
            Ok(RouteMsg::Error {
                seq,
                errno: error.checked_neg().unwrap_or(i32::MAX),
            })
        }
        NLMSG_OVERRUN => Ok(RouteMsg::Overrun),
        _ => Ok(RouteMsg::Other { kind }),
    }
}

/// The address an `ifaddrmsg` payload describes; `None` for a family other than IPv4/IPv6.
fn if_addr(kind: u16, p: &[u8]) -> Result<Option<IfAddr>, RouteError> {
    if p.len() < IFADDRMSG_LEN {
        return Err(RouteError::ShortPayload { kind, len: p.len() });
    }
    let family = p[field::FAMILY];
    if family != AF_INET && family != AF_INET6 {
        return Ok(None);
    }
    let mut index = [0u8; 4];
    index.copy_from_slice(&p[field::INDEX]);
    let (mut local, mut address) = (None, None);
    for a in Attrs::new(&p[IFADDRMSG_LEN..]) {
        let a = a?;
        match a.kind {
            ifa_attr::LOCAL => local = Some(a.payload),
            ifa_attr::ADDRESS => address = Some(a.payload),
            _ => {}
        }
    }
    let bytes = local.or(address).ok_or(RouteError::NoAddress { family })?;
    let ip = match (family, bytes.len()) {
        (AF_INET, 4) => IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3])),
        (AF_INET6, 16) => {
            let mut b = [0u8; 16];
            b.copy_from_slice(bytes);
            IpAddr::V6(Ipv6Addr::from(b))
        }
        _ => {
            return Err(RouteError::AddressLength {
                family,
                len: bytes.len(),
            })
        }
    };
    Ok(Some(IfAddr {
        index: u32::from_ne_bytes(index),
        ip,
        prefix: p[field::PREFIXLEN],
    }))
}

/// Writes an `RTM_GETADDR` dump request for every family (`AF_UNSPEC`) with sequence `seq`;
/// returns its length.
pub fn getaddr_request(buf: &mut [u8], seq: u32) -> Result<usize, WireError> {
    let out = buf.get_mut(..GETADDR_LEN).ok_or(WireError::Full)?;
    out.fill(0);
    out[field::LEN].copy_from_slice(&(GETADDR_LEN as u32).to_ne_bytes());
    out[field::TYPE].copy_from_slice(&RTM_GETADDR.to_ne_bytes());
    let flags = super::header::flags::REQUEST | super::header::flags::DUMP;
    out[field::FLAGS].copy_from_slice(&flags.to_ne_bytes());
    out[field::SEQ].copy_from_slice(&seq.to_ne_bytes());
    out[field::PID].copy_from_slice(&0u32.to_ne_bytes());
    out[NLMSG_HDRLEN + field::FAMILY] = AF_UNSPEC;
    Ok(GETADDR_LEN)
}

#[cfg(test)]
#[path = "route_tests.rs"]
mod tests;
