//! Netlink attributes: a writer into a fixed buffer and a checked reader.
//!
//! ```text
//!  0       2       4
//! +-------+-------+------------------+---- pad to 4
//! | len   | type  | payload          |
//! +-------+-------+------------------+
//! ```
//!
//! `len` and `type` are host-endian `u16`s; `len` counts the 4-byte header and the payload
//! but not the padding. A nest is an attribute whose payload is attributes; like `nft`,
//! logjail marks its nests with `NLA_F_NESTED`. A nest's `len` is a `u16`, so no nest can
//! exceed 65 535 bytes: [`Writer::end_nest`] refuses rather than wrap, and the batch code
//! chunks set elements to stay well below.
//!
//! Everything logjail sends is an [`Emitable`]: `emit` writes it, and `buffer_len` — the one
//! length rule — is the same `emit` run on a measuring [`Writer`] that counts instead of
//! writing, so a length can never drift from the bytes.

use super::{align4, WireError};

pub const NLA_HDRLEN: usize = 4;
pub const NLA_F_NESTED: u16 = 0x8000;
pub const NLA_F_NET_BYTEORDER: u16 = 0x4000;
pub const NLA_TYPE_MASK: u16 = !(NLA_F_NESTED | NLA_F_NET_BYTEORDER);
/// Largest value of an attribute's `len`.
pub const NLA_MAX_LEN: usize = u16::MAX as usize;

/// Emits attributes into `buf[..]`, tracking the write position; or, made by
/// [`Writer::measuring`], only counts the bytes that would be written.
pub struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
    measure: bool,
}

/// Something that emits netlink attributes (a request body, an element).
pub trait Emitable {
    /// Writes the attributes at the writer's position.
    fn emit(&self, w: &mut Writer<'_>) -> Result<(), WireError>;

    /// Bytes [`Emitable::emit`] writes (measured by running it on a counting writer).
    fn buffer_len(&self) -> usize {
        let mut w = Writer::measuring();
        let _ = self.emit(&mut w);
        w.len()
    }
}

/// Where an open nest's header is; handed back to [`Writer::end_nest`].
#[must_use]
pub struct Nest(usize);

impl<'a> Writer<'a> {
    pub fn new(buf: &'a mut [u8]) -> Self {
        Writer {
            buf,
            pos: 0,
            measure: false,
        }
    }

    /// A writer without a buffer that only counts (no limit but the nest length).
    pub fn measuring() -> Writer<'static> {
        Writer {
            buf: &mut [],
            pos: 0,
            measure: true,
        }
    }

    /// Bytes written so far (always 4-byte aligned between attributes).
    pub fn len(&self) -> usize {
        self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.pos == 0
    }

    fn reserve(&mut self, n: usize) -> Result<usize, WireError> {
        let start = self.pos;
        let end = start.checked_add(align4(n)).ok_or(WireError::Full)?;
        if self.measure {
            self.pos = end;
            return Ok(start);
        }
        if end > self.buf.len() {
            return Err(WireError::Full);
        }
        self.buf[start..end].fill(0);
        self.pos = end;
        Ok(start)
    }

    fn header(&mut self, at: usize, len: usize, kind: u16) -> Result<(), WireError> {
        let len = u16::try_from(len).map_err(|_| WireError::NestTooLong)?;
        if !self.measure {
            self.buf[at..at + 2].copy_from_slice(&len.to_ne_bytes());
            self.buf[at + 2..at + 4].copy_from_slice(&kind.to_ne_bytes());
        }
        Ok(())
    }

    /// An attribute with raw payload bytes.
    pub fn bytes(&mut self, kind: u16, payload: &[u8]) -> Result<(), WireError> {
        let len = NLA_HDRLEN + payload.len();
        if len > NLA_MAX_LEN {
            return Err(WireError::NestTooLong);
        }
        let at = self.reserve(len)?;
        self.header(at, len, kind)?;
        if !self.measure {
            self.buf[at + NLA_HDRLEN..at + len].copy_from_slice(payload);
        }
        Ok(())
    }

    /// A NUL-terminated string (`NLA_STRING` as nf_tables expects it).
    pub fn str(&mut self, kind: u16, s: &str) -> Result<(), WireError> {
        let len = NLA_HDRLEN + s.len() + 1;
        if len > NLA_MAX_LEN {
            return Err(WireError::NestTooLong);
        }
        let at = self.reserve(len)?;
        self.header(at, len, kind)?;
        if !self.measure {
            self.buf[at + NLA_HDRLEN..at + len - 1].copy_from_slice(s.as_bytes());
        }
        Ok(())
    }

    pub fn u8(&mut self, kind: u16, v: u8) -> Result<(), WireError> {
        self.bytes(kind, &[v])
    }

    /// A big-endian `u32` (nf_tables' `NLA_BE32`).
    pub fn be32(&mut self, kind: u16, v: u32) -> Result<(), WireError> {
        self.bytes(kind, &v.to_be_bytes())
    }

    /// A big-endian `u64` (timeouts, handles).
    pub fn be64(&mut self, kind: u16, v: u64) -> Result<(), WireError> {
        self.bytes(kind, &v.to_be_bytes())
    }

    /// Opens a nest; every attribute until [`Writer::end_nest`] goes inside it.
    pub fn begin_nest(&mut self, kind: u16) -> Result<Nest, WireError> {
        let at = self.reserve(NLA_HDRLEN)?;
        if !self.measure {
            self.buf[at + 2..at + 4].copy_from_slice(&(kind | NLA_F_NESTED).to_ne_bytes());
        }
        Ok(Nest(at))
    }

    /// Closes a nest, writing its length; fails if it grew past 65 535 bytes.
    pub fn end_nest(&mut self, nest: Nest) -> Result<(), WireError> {
        let len = self.pos - nest.0;
        let len = u16::try_from(len).map_err(|_| WireError::NestTooLong)?;
        if !self.measure {
            self.buf[nest.0..nest.0 + 2].copy_from_slice(&len.to_ne_bytes());
        }
        Ok(())
    }

    /// Undoes everything written since `mark` (a value of [`Writer::len`]).
    pub fn truncate(&mut self, mark: usize) {
        self.pos = mark.min(self.pos);
    }
}

/// One received attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attr<'a> {
    /// Type without the `NLA_F_NESTED`/`NLA_F_NET_BYTEORDER` bits.
    pub kind: u16,
    pub payload: &'a [u8],
}

impl<'a> Attr<'a> {
    /// The attributes inside a nest.
    pub fn nested(&self) -> Attrs<'a> {
        Attrs::new(self.payload)
    }

    pub fn be32(&self) -> Result<u32, WireError> {
        let b: [u8; 4] = self
            .payload
            .get(..4)
            .ok_or(WireError::Truncated)?
            .try_into()
            .map_err(|_| WireError::Truncated)?;
        Ok(u32::from_be_bytes(b))
    }

    pub fn be64(&self) -> Result<u64, WireError> {
        let b: [u8; 8] = self
            .payload
            .get(..8)
            .ok_or(WireError::Truncated)?
            .try_into()
            .map_err(|_| WireError::Truncated)?;
        Ok(u64::from_be_bytes(b))
    }

    /// A string attribute without its terminating NUL (lossy on invalid UTF-8).
    pub fn str(&self) -> &'a [u8] {
        let p = self.payload;
        match p.iter().position(|&b| b == 0) {
            Some(n) => &p[..n],
            None => p,
        }
    }
}

/// A checked iterator over a run of attributes; stops with an error at the first bad one.
#[derive(Clone)]
pub struct Attrs<'a> {
    rest: &'a [u8],
}

impl<'a> Attrs<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Attrs { rest: buf }
    }

    /// The first attribute of type `kind`, ignoring malformed tails.
    pub fn find(self, kind: u16) -> Option<Attr<'a>> {
        self.filter_map(Result::ok).find(|a| a.kind == kind)
    }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Result<Attr<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.len() < NLA_HDRLEN {
            return None;
        }
        let len = usize::from(u16::from_ne_bytes([self.rest[0], self.rest[1]]));
        let kind = u16::from_ne_bytes([self.rest[2], self.rest[3]]) & NLA_TYPE_MASK;
        if len < NLA_HDRLEN {
            self.rest = &[];
            return Some(Err(WireError::BadLength));
        }
        if len > self.rest.len() {
            self.rest = &[];
            return Some(Err(WireError::Truncated));
        }
        let payload = &self.rest[NLA_HDRLEN..len];
        self.rest = &self.rest[align4(len).min(self.rest.len())..];
        Some(Ok(Attr { kind, payload }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reads_back() {
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        w.str(1, "fw4").unwrap();
        let n = w.begin_nest(3).unwrap();
        w.be32(1, 0xcb00_7109).unwrap();
        w.be64(4, 3_600_000).unwrap();
        w.end_nest(n).unwrap();
        let len = w.len();
        assert_eq!(len, 8 + 4 + 8 + 12);
        let attrs: Vec<_> = Attrs::new(&buf[..len]).map(Result::unwrap).collect();
        assert_eq!(attrs[0].str(), b"fw4");
        let inner: Vec<_> = attrs[1].nested().map(Result::unwrap).collect();
        assert_eq!(inner[0].be32(), Ok(0xcb00_7109));
        assert_eq!(inner[1].be64(), Ok(3_600_000));
    }

    #[test]
    fn refuses_overflow_and_bad_lengths() {
        let mut buf = [0u8; 8];
        let mut w = Writer::new(&mut buf);
        assert_eq!(w.be64(1, 1), Err(WireError::Full));
        let mut big = vec![0u8; 80_000];
        let mut w = Writer::new(&mut big);
        let n = w.begin_nest(3).unwrap();
        w.bytes(1, &[0u8; 40_000]).unwrap();
        w.bytes(1, &[0u8; 30_000]).unwrap();
        assert_eq!(w.end_nest(n), Err(WireError::NestTooLong));
        let bad = [2u16.to_ne_bytes(), 1u16.to_ne_bytes()].concat();
        assert_eq!(Attrs::new(&bad).next(), Some(Err(WireError::BadLength)));
        let long = [16u16.to_ne_bytes(), 1u16.to_ne_bytes()].concat();
        assert_eq!(Attrs::new(&long).next(), Some(Err(WireError::Truncated)));
    }
}
