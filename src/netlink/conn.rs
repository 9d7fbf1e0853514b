//! Request and answer: a batch goes out, every ack comes back, matched by sequence number.
//!
//! [`Conn::transact`] sends one batch and reads until the kernel has answered each message
//! (an ack or an error — the kernel reports *every* failing message of a batch before it
//! rolls the batch back), returning the failures by sequence number. An error naming the
//! `BATCH_BEGIN` fails the whole batch. Answers to older requests (a timed-out earlier
//! request's late acks) are recognised by their sequence number and dropped.
//!
//! [`Conn::object`] sends one `GET*` request and returns the object the kernel describes,
//! or `None` for `ENOENT`. [`Conn::dump`] sends one `NLM_F_DUMP` request and hands each
//! message of the answer to the caller until `NLMSG_DONE`.
//!
//! The connection owns the batch it sends: [`Conn::begin`] starts it, the caller fills
//! [`Conn::batch`], [`Conn::transact`] sends it.

use super::attr::Emitable;
use super::batch::{request, Batch};
use super::header::{flags, Message, Messages};
use super::reply::{self, Object, Reply};
use super::socket::Socket;
use super::WireError;
use nix::errno::Errno;

/// Receive buffer: larger than any single message the kernel sends logjail.
pub const RX_BUFFER: usize = 64 * 1024;

/// What talking to the kernel can fail with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnError {
    /// A system call failed (`EAGAIN` on the request socket means the reply timed out).
    Io { what: &'static str, errno: Errno },
    /// The kernel sent bytes that do not parse.
    Wire(WireError),
}

impl core::fmt::Display for ConnError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ConnError::Io { what, errno } => write!(f, "{what}: {}", crate::bytes::OsError(*errno as i32)),
            ConnError::Wire(e) => write!(f, "malformed netlink reply: {e}"),
        }
    }
}

impl From<WireError> for ConnError {
    fn from(e: WireError) -> Self {
        ConnError::Wire(e)
    }
}

/// One failed message of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    pub seq: u32,
    /// Positive errno.
    pub errno: i32,
}

/// A table or set as a `GET*` request describes it (owned copy of [`Object`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    pub handle: Option<u64>,
    pub set_flags: Option<u32>,
    pub key_type: Option<u32>,
    pub key_len: Option<u32>,
    /// The `size` the set was declared with.
    pub size: Option<u32>,
}

impl From<&Object<'_>> for Info {
    fn from(o: &Object<'_>) -> Self {
        Info {
            handle: o.handle,
            set_flags: o.set_flags,
            key_type: o.key_type,
            key_len: o.key_len,
            size: o.size,
        }
    }
}

/// The request socket with its sequence counter, batch and receive buffer.
pub struct Conn {
    sock: Socket,
    seq: u32,
    rx: Vec<u8>,
    batch: Batch,
}

impl Conn {
    /// Opens the socket; batches hold at most `batch_bytes` bytes.
    pub fn open(batch_bytes: usize) -> Result<Conn, ConnError> {
        let sock = Socket::request().map_err(|errno| ConnError::Io {
            what: "opening the nf_tables netlink socket",
            errno,
        })?;
        // Start away from 0 so replies are never confused with unsolicited messages.
        let seq = (crate::clock::wall() as u32) | 1;
        Ok(Conn {
            sock,
            seq,
            rx: vec![0; RX_BUFFER],
            batch: Batch::new(batch_bytes),
        })
    }

    /// The netlink port id of the socket: events about changes made through it carry it.
    pub fn port(&self) -> Option<u32> {
        self.sock.port()
    }

    /// Starts a new batch (dropping any unsent one) and returns it to be filled.
    pub fn begin(&mut self) -> &mut Batch {
        self.batch.begin(self.seq);
        &mut self.batch
    }

    /// The batch being filled.
    pub fn batch(&mut self) -> &mut Batch {
        &mut self.batch
    }

    /// Sends the batch (already [`Conn::begin`]-ed and filled) and collects its failures.
    pub fn transact(&mut self) -> Result<Vec<Failure>, ConnError> {
        let batch = &mut self.batch;
        let begin = batch.begin_seq();
        let mut pending: Vec<u32> = batch.seqs().collect();
        self.seq = batch.next_seq().wrapping_add(1);
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        let bytes = batch.end();
        let sock = &self.sock;
        sock.send(bytes).map_err(|errno| ConnError::Io {
            what: "sending an nf_tables batch",
            errno,
        })?;
        let mut failures = Vec::new();
        while !pending.is_empty() {
            let n = self.recv("waiting for nf_tables acks")?;
            for m in Messages::new(&self.rx[..n]) {
                let Reply::Ack(ack) = reply::parse(m?)? else {
                    continue;
                };
                if ack.seq == begin && ack.errno != 0 {
                    // The batch as a whole was refused: every message failed.
                    failures.extend(pending.drain(..).map(|seq| Failure {
                        seq,
                        errno: ack.errno,
                    }));
                } else if let Some(i) = pending.iter().position(|&s| s == ack.seq) {
                    pending.swap_remove(i);
                    if ack.errno != 0 {
                        failures.push(Failure {
                            seq: ack.seq,
                            errno: ack.errno,
                        });
                    }
                }
            }
        }
        failures.sort_unstable_by_key(|f| f.seq.wrapping_sub(begin));
        Ok(failures)
    }

    /// Asks for one object (`GETTABLE`/`GETSET`); `Ok(None)` when the kernel says `ENOENT`.
    pub fn object(&mut self, msg: u8, family: u8, body: &dyn Emitable) -> Result<Option<Info>, ConnError> {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        let mut out = [0u8; 1024];
        let len = request(&mut out, seq, msg, flags::ACK, family, body)?;
        self.sock.send(&out[..len]).map_err(|errno| ConnError::Io {
            what: "sending an nf_tables request",
            errno,
        })?;
        let mut found = None;
        loop {
            let n = self.recv("waiting for an nf_tables reply")?;
            for m in Messages::new(&self.rx[..n]) {
                let m: Message<'_> = m?;
                if m.seq() != seq {
                    continue;
                }
                match reply::parse(m)? {
                    Reply::Object(o) => found = Some(Info::from(&o)),
                    Reply::Ack(a) if a.errno == 0 => return Ok(found),
                    Reply::Ack(a) if a.errno == libc::ENOENT => return Ok(None),
                    Reply::Ack(a) => {
                        return Err(ConnError::Io {
                            what: "querying nf_tables",
                            errno: Errno::from_raw(a.errno),
                        })
                    }
                    _ => {}
                }
            }
        }
    }

    /// Sends one dump request and hands every message of the answer to `each` until
    /// `NLMSG_DONE`; `Ok(false)` when the kernel says `ENOENT` (no such table or set).
    pub fn dump(
        &mut self,
        msg: u8,
        family: u8,
        body: &dyn Emitable,
        mut each: impl FnMut(Message<'_>) -> Result<(), WireError>,
    ) -> Result<bool, ConnError> {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        let mut out = [0u8; 1024];
        let len = request(&mut out, seq, msg, flags::DUMP, family, body)?;
        self.sock.send(&out[..len]).map_err(|errno| ConnError::Io {
            what: "sending an nf_tables dump request",
            errno,
        })?;
        loop {
            let n = self.recv("waiting for an nf_tables dump")?;
            for m in Messages::new(&self.rx[..n]) {
                let m: Message<'_> = m?;
                if m.seq() != seq {
                    continue;
                }
                match reply::parse(m)? {
                    Reply::Object(_) => each(m)?,
                    Reply::Done { .. } => return Ok(true),
                    Reply::Ack(a) if a.errno == 0 => return Ok(true),
                    Reply::Ack(a) if a.errno == libc::ENOENT => return Ok(false),
                    Reply::Ack(a) => {
                        return Err(ConnError::Io {
                            what: "listing nf_tables set elements",
                            errno: Errno::from_raw(a.errno),
                        })
                    }
                    _ => {}
                }
            }
        }
    }

    fn recv(&mut self, what: &'static str) -> Result<usize, ConnError> {
        loop {
            match self.sock.recv(&mut self.rx) {
                Ok(n) => return Ok(n),
                Err(Errno::EINTR) => continue,
                Err(Errno::EAGAIN) => {
                    return Err(ConnError::Io {
                        what,
                        errno: Errno::ETIMEDOUT,
                    })
                }
                Err(errno) => return Err(ConnError::Io { what, errno }),
            }
        }
    }
}
