//! nfnetlink batches: every change logjail makes is one transaction.
//!
//! ```text
//! NFNL_MSG_BATCH_BEGIN (seq s,   res_id = NFNL_SUBSYS_NFTABLES, big-endian)
//! message              (seq s+1, NLM_F_REQUEST | NLM_F_ACK | ...)
//! ...
//! message              (seq s+n)
//! NFNL_MSG_BATCH_END   (seq s+n+1)
//! ```
//!
//! The kernel applies the messages in order and commits them all, or — if any fails — reports
//! every failure (one `NLMSG_ERROR` per failing message, by sequence number) and rolls the
//! whole batch back. With `NLM_F_ACK` every message also gets an ack when it succeeds, so the
//! caller knows when the kernel has answered everything.
//!
//! The batch lives in one buffer allocated at construction; [`Batch::push`] hands
//! [`WireError::Full`] back (with the half-written message undone) instead of growing, and
//! room for the closing `BATCH_END` is always kept free.

use super::attr::{Emitable, Writer};
use super::header::{
    flags, nft_type, HeaderRepr, NFGENMSG_LEN, NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END, NLMSG_HDRLEN,
};
use super::{align4, family, WireError, NFNL_SUBSYS_NFTABLES};

const HDRS: usize = NLMSG_HDRLEN + NFGENMSG_LEN;
/// Bytes of the `BATCH_END` message kept free at the end of the buffer.
const END_LEN: usize = HDRS;

/// A batch under construction.
pub struct Batch {
    buf: Vec<u8>,
    len: usize,
    begin_seq: u32,
    messages: u32,
}

impl Batch {
    /// A batch whose whole wire form (delimiters included) fits in `capacity` bytes.
    pub fn new(capacity: usize) -> Batch {
        Batch {
            buf: vec![0; capacity.max(2 * END_LEN)],
            len: 0,
            begin_seq: 0,
            messages: 0,
        }
    }

    /// Starts a new batch whose `BATCH_BEGIN` carries `seq`; drops any previous content.
    pub fn begin(&mut self, seq: u32) {
        self.begin_seq = seq;
        self.messages = 0;
        self.len = HDRS;
        let hdr = delimiter(NFNL_MSG_BATCH_BEGIN, seq);
        // The buffer is at least 2 * END_LEN long (see `new`), so this cannot fail.
        let _ = hdr.emit(&mut self.buf[..HDRS], HDRS);
    }

    /// Sequence number of the `BATCH_BEGIN`.
    pub fn begin_seq(&self) -> u32 {
        self.begin_seq
    }

    /// A point to [`Batch::rewind`] to.
    pub fn mark(&self) -> (usize, u32) {
        (self.len, self.messages)
    }

    /// Drops every message pushed after `mark` was taken.
    pub fn rewind(&mut self, mark: (usize, u32)) {
        if mark.0 <= self.len && mark.0 >= HDRS {
            self.len = mark.0;
            self.messages = mark.1;
        }
    }

    /// Sequence number the next pushed message gets.
    pub fn next_seq(&self) -> u32 {
        self.begin_seq.wrapping_add(self.messages).wrapping_add(1)
    }

    /// Number of messages pushed since `begin`.
    pub fn messages(&self) -> u32 {
        self.messages
    }

    /// Sequence numbers of the pushed messages, first to last.
    pub fn seqs(&self) -> impl Iterator<Item = u32> {
        let first = self.begin_seq.wrapping_add(1);
        (0..self.messages).map(move |i| first.wrapping_add(i))
    }

    /// Bytes still free for messages.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.len + END_LEN)
    }

    /// Appends one nf_tables message (`NLM_F_REQUEST | NLM_F_ACK | extra`) whose attributes
    /// `body` writes; returns its sequence number. On error nothing is appended.
    pub fn push(&mut self, msg: u8, extra: u16, family: u8, body: &dyn Emitable) -> Result<u32, WireError> {
        let start = self.len;
        let limit = self.buf.len().saturating_sub(END_LEN);
        if start + HDRS > limit {
            return Err(WireError::Full);
        }
        let seq = self.next_seq();
        let body_len = {
            let mut w = Writer::new(&mut self.buf[start + HDRS..limit]);
            body.emit(&mut w)?;
            w.len()
        };
        let total = HDRS + body_len;
        let hdr = HeaderRepr {
            kind: nft_type(msg),
            flags: flags::REQUEST | flags::ACK | extra,
            seq,
            family,
            res_id: 0,
        };
        hdr.emit(&mut self.buf[start..start + HDRS], total)?;
        self.len = start + align4(total);
        self.messages += 1;
        Ok(seq)
    }

    /// Closes the batch and returns its bytes, ready for one `sendmsg`.
    pub fn end(&mut self) -> &[u8] {
        let seq = self.next_seq();
        let start = self.len;
        let hdr = delimiter(NFNL_MSG_BATCH_END, seq);
        // `remaining` always keeps END_LEN bytes free, so this cannot fail.
        let _ = hdr.emit(&mut self.buf[start..start + END_LEN], END_LEN);
        &self.buf[..start + END_LEN]
    }
}

fn delimiter(kind: u16, seq: u32) -> HeaderRepr {
    HeaderRepr {
        kind,
        flags: flags::REQUEST,
        seq,
        family: family::UNSPEC,
        res_id: u16::from(NFNL_SUBSYS_NFTABLES),
    }
}

/// A single non-batched request (`GETSET`, `GETTABLE` with `NLM_F_ACK`, a `GETSETELEM` dump
/// with `NLM_F_DUMP`) into `buf`; returns its length. `NLM_F_REQUEST` is always set.
pub fn request(
    buf: &mut [u8],
    seq: u32,
    msg: u8,
    extra: u16,
    family: u8,
    body: &dyn Emitable,
) -> Result<usize, WireError> {
    if buf.len() < HDRS {
        return Err(WireError::Full);
    }
    let body_len = {
        let mut w = Writer::new(&mut buf[HDRS..]);
        body.emit(&mut w)?;
        w.len()
    };
    let hdr = HeaderRepr {
        kind: nft_type(msg),
        flags: flags::REQUEST | extra,
        seq,
        family,
        res_id: 0,
    };
    hdr.emit(buf, HDRS + body_len)?;
    Ok(HDRS + body_len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::{msg::TableRepr, msg_type};

    #[test]
    fn full_batch_hands_back_and_keeps_end() {
        let mut b = Batch::new(120);
        b.begin(100);
        let t = TableRepr { name: "logjail" };
        assert_eq!(b.push(msg_type::NEWTABLE, 0, family::INET, &t), Ok(101));
        assert_eq!(b.push(msg_type::NEWTABLE, 0, family::INET, &t), Ok(102));
        let before = b.remaining();
        assert_eq!(
            b.push(msg_type::NEWTABLE, 0, family::INET, &t),
            Err(WireError::Full)
        );
        assert_eq!(b.remaining(), before);
        assert_eq!(b.seqs().collect::<Vec<_>>(), vec![101, 102]);
        let bytes = b.end();
        assert_eq!(bytes.len(), 20 + 2 * 40 + 20);
        let last = crate::netlink::header::Message::new_checked(&bytes[100..]).unwrap();
        assert_eq!((last.kind(), last.seq()), (NFNL_MSG_BATCH_END, 103));
    }
}
