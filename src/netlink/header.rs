//! The netlink message header and the nfnetlink generic header.
//!
//! ```text
//!  0               4       6       8               12              16
//! +---------------+-------+-------+---------------+---------------+
//! | nlmsg_len     | type  | flags | nlmsg_seq     | nlmsg_pid     |   host byte order
//! +-------+-------+-------+-------+---------------+---------------+
//! |family |version| res_id (BE)   |  nfgenmsg, then attributes
//! +-------+-------+---------------+
//! ```
//!
//! The nlmsghdr fields are in the *host's* byte order (a big-endian MIPS router writes them
//! big-endian), so they are written with `to_ne_bytes`; `res_id` is big-endian on every host.

use super::{align4, WireError};

pub const NLMSG_HDRLEN: usize = 16;
pub const NFGENMSG_LEN: usize = 4;

mod field {
    use core::ops::Range;
    pub const LEN: Range<usize> = 0..4;
    pub const TYPE: Range<usize> = 4..6;
    pub const FLAGS: Range<usize> = 6..8;
    pub const SEQ: Range<usize> = 8..12;
    pub const PID: Range<usize> = 12..16;
    pub const FAMILY: usize = 16;
    pub const VERSION: usize = 17;
    pub const RES_ID: Range<usize> = 18..20;
}

/// `nlmsg_flags` bits.
pub mod flags {
    pub const REQUEST: u16 = 0x1;
    pub const MULTI: u16 = 0x2;
    pub const ACK: u16 = 0x4;
    pub const DUMP: u16 = 0x300;
    pub const REPLACE: u16 = 0x100;
    pub const EXCL: u16 = 0x200;
    pub const CREATE: u16 = 0x400;
    pub const APPEND: u16 = 0x800;
    /// On an `NLMSG_ERROR`: the echoed request was cut to its header.
    pub const CAPPED: u16 = 0x100;
    /// On an `NLMSG_ERROR`: extended-ack attributes follow.
    pub const ACK_TLVS: u16 = 0x200;
}

/// Control message types below `NLMSG_MIN_TYPE`.
pub const NLMSG_NOOP: u16 = 1;
pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;
pub const NLMSG_OVERRUN: u16 = 4;
/// nfnetlink batch delimiters (`NFNL_MSG_BATCH_BEGIN`/`END`).
pub const NFNL_MSG_BATCH_BEGIN: u16 = 16;
pub const NFNL_MSG_BATCH_END: u16 = 17;
pub const NFNETLINK_V0: u8 = 0;

/// The full message type of an nf_tables message.
pub const fn nft_type(msg: u8) -> u16 {
    ((super::NFNL_SUBSYS_NFTABLES as u16) << 8) | msg as u16
}

/// An `nlmsghdr` + `nfgenmsg` as values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderRepr {
    pub kind: u16,
    pub flags: u16,
    pub seq: u32,
    pub family: u8,
    pub res_id: u16,
}

impl HeaderRepr {
    /// Writes both headers with `nlmsg_len = total` (header included) and `nlmsg_pid = 0`.
    pub fn emit(&self, buf: &mut [u8], total: usize) -> Result<(), WireError> {
        if buf.len() < NLMSG_HDRLEN + NFGENMSG_LEN {
            return Err(WireError::Full);
        }
        let len = u32::try_from(total).map_err(|_| WireError::Full)?;
        buf[field::LEN].copy_from_slice(&len.to_ne_bytes());
        buf[field::TYPE].copy_from_slice(&self.kind.to_ne_bytes());
        buf[field::FLAGS].copy_from_slice(&self.flags.to_ne_bytes());
        buf[field::SEQ].copy_from_slice(&self.seq.to_ne_bytes());
        buf[field::PID].copy_from_slice(&0u32.to_ne_bytes());
        buf[field::FAMILY] = self.family;
        buf[field::VERSION] = NFNETLINK_V0;
        buf[field::RES_ID].copy_from_slice(&self.res_id.to_be_bytes());
        Ok(())
    }
}

/// A checked view of one netlink message inside a receive buffer.
#[derive(Clone, Copy, Debug)]
pub struct Message<'a> {
    bytes: &'a [u8],
}

impl<'a> Message<'a> {
    /// Checks the header and that the buffer holds `nlmsg_len` bytes.
    pub fn new_checked(buf: &'a [u8]) -> Result<Message<'a>, WireError> {
        if buf.len() < NLMSG_HDRLEN {
            return Err(WireError::Truncated);
        }
        let len = u32_ne(&buf[field::LEN]) as usize;
        if len < NLMSG_HDRLEN {
            return Err(WireError::BadLength);
        }
        if buf.len() < len {
            return Err(WireError::Truncated);
        }
        Ok(Message { bytes: &buf[..len] })
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.len() <= NLMSG_HDRLEN
    }

    pub fn kind(&self) -> u16 {
        u16::from_ne_bytes([self.bytes[4], self.bytes[5]])
    }

    pub fn flags(&self) -> u16 {
        u16::from_ne_bytes([self.bytes[6], self.bytes[7]])
    }

    pub fn seq(&self) -> u32 {
        u32_ne(&self.bytes[field::SEQ])
    }

    pub fn pid(&self) -> u32 {
        u32_ne(&self.bytes[field::PID])
    }

    /// Everything after the 16-byte nlmsghdr.
    pub fn payload(&self) -> &'a [u8] {
        &self.bytes[NLMSG_HDRLEN..]
    }

    /// The nfgenmsg family, if the payload has an nfgenmsg.
    pub fn nfgen_family(&self) -> Option<u8> {
        self.bytes.get(field::FAMILY).copied()
    }

    /// Attributes after the nfgenmsg (empty when there is none).
    pub fn nft_attrs(&self) -> &'a [u8] {
        self.bytes.get(NLMSG_HDRLEN + NFGENMSG_LEN..).unwrap_or(&[])
    }
}

/// Iterates over the messages of a receive buffer; stops with an error at the first bad one.
pub struct Messages<'a> {
    rest: &'a [u8],
}

impl<'a> Messages<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Messages { rest: buf }
    }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<Message<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match Message::new_checked(self.rest) {
            Ok(m) => {
                let step = align4(m.len()).min(self.rest.len());
                self.rest = &self.rest[step..];
                Some(Ok(m))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

pub(crate) fn u32_ne(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    u32::from_ne_bytes(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip() {
        let mut buf = [0u8; 20];
        let h = HeaderRepr {
            kind: nft_type(super::super::msg_type::NEWSETELEM),
            flags: flags::REQUEST | flags::ACK,
            seq: 7,
            family: super::super::family::INET,
            res_id: 0,
        };
        h.emit(&mut buf, 20).unwrap();
        let m = Message::new_checked(&buf).unwrap();
        assert_eq!((m.kind(), m.flags(), m.seq(), m.len()), (0x0a0c, 5, 7, 20));
        assert_eq!(m.nfgen_family(), Some(1));
        assert_eq!(
            Message::new_checked(&buf[..10]).unwrap_err(),
            WireError::Truncated
        );
        let mut short = buf;
        short[..4].copy_from_slice(&8u32.to_ne_bytes());
        assert_eq!(Message::new_checked(&short).unwrap_err(), WireError::BadLength);
        short[..4].copy_from_slice(&64u32.to_ne_bytes());
        assert_eq!(Message::new_checked(&short).unwrap_err(), WireError::Truncated);
    }
}
