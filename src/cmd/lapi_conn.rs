//! One HTTP exchange with LAPI on a non-blocking TCP socket, driven by the event loop.
//!
//! [`Conn::open`] starts the connect and queues the request; [`Conn::advance`] (called every
//! turn; the loop also polls [`Conn::interest`]) sends what it can, reads what arrived — at
//! most [`READS_PER_TURN`] buffers, so a fast 10 MB body never starves the log — and hands
//! the body to a sink as it streams. Nothing blocks: `EAGAIN` means "later". An exchange
//! that is not over by its deadline, or whose peer misbehaves, ends with an error string.
//! One request per connection (`Connection: close`): LAPI is polled every few seconds at
//! most, and a fresh connection is the simplest state to recover from.

use crate::lapi::http::{Head, Part, Response};
use nix::errno::Errno;
use nix::poll::PollFlags;
use nix::sys::socket::{self, AddressFamily, MsgFlags, SockFlag, SockType, SockaddrStorage};
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

/// Bytes read per `recv`.
pub const READ_BUF: usize = 16 * 1024;
/// Most `recv` calls per loop turn.
pub const READS_PER_TURN: usize = 32;

/// Where body bytes go, with the response's status; an `Err` ends the exchange.
pub type BodySink<'a> = dyn FnMut(u16, &[u8]) -> Result<(), String> + 'a;

/// How an exchange ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Done {
    /// Still going.
    Pending,
    /// The whole response was read; its head.
    Complete(Head),
    Failed(String),
}

/// One exchange in progress.
pub struct Conn {
    sock: OwnedFd,
    out: Vec<u8>,
    sent: usize,
    resp: Response,
    head: Option<Head>,
    deadline_ms: u64,
}

impl Conn {
    /// Connects to `to` (without waiting) and queues `request`, to be answered by
    /// `deadline_ms` with a body of at most `max_body` bytes.
    pub fn open(to: SocketAddr, request: Vec<u8>, max_body: u64, deadline_ms: u64) -> Result<Conn, String> {
        let family = if to.is_ipv4() {
            AddressFamily::Inet
        } else {
            AddressFamily::Inet6
        };
        let sock = socket::socket(
            family,
            SockType::Stream,
            SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
            None,
        )
        .map_err(|e| format!("socket: {}", crate::bytes::OsError(e as i32)))?;
        match socket::connect(sock.as_raw_fd(), &SockaddrStorage::from(to)) {
            Ok(()) | Err(Errno::EINPROGRESS) => {}
            Err(e) => return Err(format!("connect: {}", crate::bytes::OsError(e as i32))),
        }
        Ok(Conn {
            sock,
            out: request,
            sent: 0,
            resp: Response::new(max_body),
            head: None,
            deadline_ms,
        })
    }

    /// What the loop should poll for.
    pub fn interest(&self) -> (BorrowedFd<'_>, PollFlags) {
        let flags = if self.sent < self.out.len() {
            PollFlags::POLLOUT
        } else {
            PollFlags::POLLIN
        };
        (self.sock.as_fd(), flags)
    }

    pub fn deadline_ms(&self) -> u64 {
        self.deadline_ms
    }

    /// Moves the exchange on; body bytes go to `body` with the response's status (it may
    /// refuse them with an error).
    pub fn advance(&mut self, now_ms: u64, body: &mut BodySink<'_>) -> Done {
        if now_ms >= self.deadline_ms {
            return Done::Failed("no complete answer in time".into());
        }
        while self.sent < self.out.len() {
            match socket::send(
                self.sock.as_raw_fd(),
                &self.out[self.sent..],
                MsgFlags::MSG_NOSIGNAL,
            ) {
                Ok(n) => self.sent += n,
                Err(Errno::EAGAIN) | Err(Errno::EINTR) => return Done::Pending,
                Err(e) => {
                    return Done::Failed(format!("connect or send: {}", crate::bytes::OsError(e as i32)))
                }
            }
        }
        let mut buf = [0u8; READ_BUF];
        for _ in 0..READS_PER_TURN {
            let n = match socket::recv(self.sock.as_raw_fd(), &mut buf, MsgFlags::empty()) {
                Ok(n) => n,
                Err(Errno::EAGAIN) | Err(Errno::EINTR) => return Done::Pending,
                Err(e) => return Done::Failed(format!("receive: {}", crate::bytes::OsError(e as i32))),
            };
            if n == 0 {
                return match self.resp.closed() {
                    Ok(_) => self
                        .head
                        .map_or_else(|| Done::Failed("closed before answering".into()), Done::Complete),
                    Err(e) => Done::Failed(e.to_string()),
                };
            }
            let mut input = &buf[..n];
            loop {
                match self.resp.next(&mut input) {
                    Ok(Some(Part::Head(h))) => self.head = Some(h),
                    Ok(Some(Part::Body(b))) => {
                        if let Err(e) = body(self.head.map_or(0, |h| h.status), b) {
                            return Done::Failed(e);
                        }
                    }
                    Ok(Some(Part::End)) => {
                        return self
                            .head
                            .map_or_else(|| Done::Failed("no head".into()), Done::Complete)
                    }
                    Ok(None) => break,
                    Err(e) => return Done::Failed(e.to_string()),
                }
            }
        }
        Done::Pending
    }
}
