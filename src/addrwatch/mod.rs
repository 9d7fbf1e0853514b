//! Following the router's own addresses: an rtnetlink socket in the daemon's poll loop.
//!
//! `ignoreself` must cover the addresses the router gains after start: routers start their
//! services before the WAN is up (DHCP, PPPoE) and get new IPv6 prefixes delegated while
//! running. [`AddrWatch`] is a non-blocking `NETLINK_ROUTE` socket bound to the
//! `RTMGRP_IPV4_IFADDR` and `RTMGRP_IPV6_IFADDR` groups that dumps the address list once
//! (`RTM_GETADDR`) and then reads every `RTM_NEWADDR`/`RTM_DELADDR` the kernel announces.
//!
//! The event loop polls [`AddrWatch::fd`] for input and calls [`AddrWatch::read`], which
//! drains the socket and returns the [`Change`]s; when there are any, [`AddrWatch::own`] is
//! the new own-address list for every `ignoreself` jail (`Jail::set_own`). Nothing is
//! reported until the first dump is complete, so a jail never sees a partial list.
//!
//! When the kernel drops events because the socket buffer overflowed (`ENOBUFS`), the list
//! is dumped again and the difference reported. The wire format is [`crate::netlink::route`],
//! the bookkeeping [`tracker`]; this module only reads, writes and logs.

pub mod tracker;

pub use tracker::{Change, TrackError, MAX_ADDRESSES};

use crate::addr::Cidr;
use crate::netlink::header::Messages;
use crate::netlink::route::{self, RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR};
use core::net::IpAddr;
use nix::errno::Errno;
use nix::sys::socket::{
    bind, recv, sendto, setsockopt, socket, sockopt, AddressFamily, MsgFlags, NetlinkAddr, SockFlag,
    SockProtocol, SockType,
};
use nix::sys::time::{TimeVal, TimeValLike};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use tracker::Tracker;

/// Receive buffer: a dump part is at most 32 KiB (the kernel's cap for dump messages).
pub const RX_BUFFER: usize = 32 * 1024;
/// Requested socket receive buffer (the kernel caps it at `net.core.rmem_max`).
pub const SOCKET_BUFFER: usize = 256 * 1024;
/// Datagrams read per [`AddrWatch::read`] before returning to the loop (poll fires again).
pub const READ_BATCH: usize = 64;
/// How long [`snapshot`] waits for each part of the dump.
pub const SNAPSHOT_TIMEOUT_SECS: i64 = 2;
/// Most datagrams [`snapshot`] reads before giving up on a dump that does not end.
const SNAPSHOT_DATAGRAMS: usize = 4096;

/// What watching can fail with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchError {
    Io {
        what: &'static str,
        errno: Errno,
    },
    /// The kernel refused or broke off the address dump.
    Dump(TrackError),
    /// A one-shot dump did not end within [`SNAPSHOT_DATAGRAMS`] datagrams.
    Endless,
}

impl core::fmt::Display for WatchError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            WatchError::Io { what, errno } => write!(f, "{what}: {}", crate::bytes::OsError(*errno as i32)),
            WatchError::Dump(e) => e.fmt(f),
            WatchError::Endless => f.write_str("the interface address dump did not end"),
        }
    }
}

impl std::error::Error for WatchError {}

/// The router's addresses, followed on an rtnetlink socket.
pub struct AddrWatch {
    fd: OwnedFd,
    tracker: Tracker,
    seq: u32,
    rx: Vec<u8>,
    /// `TrackError::Full` was logged already (once is enough).
    told_full: bool,
    /// Overruns seen (events lost, list dumped again), for `status` and tests.
    overruns: u64,
}

impl AddrWatch {
    /// Opens the socket, subscribes to address changes and asks for the first dump.
    pub fn open() -> Result<AddrWatch, WatchError> {
        AddrWatch::with_buffer(SOCKET_BUFFER)
    }

    /// [`AddrWatch::open`] with a socket receive buffer of `bytes` (tests use a tiny one to
    /// provoke overruns).
    pub fn with_buffer(bytes: usize) -> Result<AddrWatch, WatchError> {
        let fd = open(SockFlag::SOCK_NONBLOCK, RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR)?;
        let _ = setsockopt(&fd, sockopt::RcvBuf, &bytes);
        let mut w = AddrWatch {
            fd,
            tracker: Tracker::new(),
            seq: 1,
            rx: vec![0; RX_BUFFER],
            told_full: false,
            overruns: 0,
        };
        w.dump()?;
        Ok(w)
    }

    /// The descriptor to poll for input.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// True once the first dump is complete (before that, [`AddrWatch::read`] reports nothing).
    pub fn synced(&self) -> bool {
        self.tracker.synced()
    }

    /// Every address the router has now, each once.
    pub fn addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.tracker.addresses()
    }

    /// The own-address list for `Jail::set_own`: loopback plus each address as a single host.
    pub fn own(&self) -> Vec<Cidr> {
        crate::config::selfaddr::own(self.addresses())
    }

    /// How often events were lost and the list dumped again.
    pub fn overruns(&self) -> u64 {
        self.overruns
    }

    /// Reads what the kernel queued (up to [`READ_BATCH`] datagrams) and returns what changed.
    /// Overruns, malformed messages and refused dumps are handled here (dump again, skip,
    /// log); `Err` only for a socket error other than those.
    pub fn read(&mut self) -> Result<Vec<Change>, WatchError> {
        let mut changes = Vec::new();
        let mut malformed = None;
        for _ in 0..READ_BATCH {
            let n = match recv(self.fd.as_raw_fd(), &mut self.rx, MsgFlags::MSG_TRUNC) {
                Ok(n) if n > self.rx.len() => {
                    // The tail of the datagram is lost: whatever it said, dump again.
                    self.tracker.overrun();
                    self.overruns += 1;
                    continue;
                }
                Ok(n) => n,
                Err(Errno::EINTR) => continue,
                Err(Errno::EAGAIN) => break,
                Err(Errno::ENOBUFS) => {
                    log::info!("ignoreself: address events were lost (socket overrun); listing again");
                    self.tracker.overrun();
                    self.overruns += 1;
                    continue;
                }
                Err(errno) => {
                    return Err(WatchError::Io {
                        what: "reading address changes",
                        errno,
                    })
                }
            };
            for m in Messages::new(&self.rx[..n]) {
                let parsed = m.map_err(route::RouteError::Wire).and_then(route::parse);
                match parsed {
                    Ok(msg) => {
                        if let Err(e) = self.tracker.message(msg, &mut changes) {
                            complain(&mut self.told_full, e);
                        }
                    }
                    Err(e) => malformed = Some(e),
                }
            }
        }
        if let Some(e) = malformed {
            log::warn!("ignoreself: skipped a malformed address message: {e}");
        }
        if self.tracker.wants_dump() {
            self.dump()?;
        }
        Ok(changes)
    }

    /// Sends a dump request; a dump still running on the socket (`EBUSY`) is left to finish.
    fn dump(&mut self) -> Result<(), WatchError> {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1).max(1);
        match send_getaddr(&self.fd, seq) {
            Ok(()) => {
                self.tracker.dump_started(seq);
                Ok(())
            }
            Err(Errno::EBUSY) => Ok(()),
            Err(errno) => Err(WatchError::Io {
                what: "asking for the interface addresses",
                errno,
            }),
        }
    }
}

/// The router's addresses right now, each once: one dump on a blocking socket (what
/// `ignoreself` starts from, and what `logjail check` lists).
pub fn snapshot() -> Result<Vec<IpAddr>, WatchError> {
    let fd = open(SockFlag::empty(), 0)?;
    let timeout = TimeVal::seconds(SNAPSHOT_TIMEOUT_SECS);
    setsockopt(&fd, sockopt::ReceiveTimeout, &timeout).map_err(|errno| WatchError::Io {
        what: "setting the address dump timeout",
        errno,
    })?;
    let mut tracker = Tracker::new();
    send_getaddr(&fd, 1).map_err(|errno| WatchError::Io {
        what: "asking for the interface addresses",
        errno,
    })?;
    tracker.dump_started(1);
    let mut rx = vec![0u8; RX_BUFFER];
    let mut changes = Vec::new();
    for _ in 0..SNAPSHOT_DATAGRAMS {
        let n = match recv(fd.as_raw_fd(), &mut rx, MsgFlags::MSG_TRUNC) {
            Ok(n) => n.min(rx.len()),
            Err(Errno::EINTR) => continue,
            Err(errno) => {
                return Err(WatchError::Io {
                    what: "reading the interface addresses",
                    errno,
                })
            }
        };
        for m in Messages::new(&rx[..n]) {
            let Ok(msg) = m.map_err(route::RouteError::Wire).and_then(route::parse) else {
                continue;
            };
            match tracker.message(msg, &mut changes) {
                Ok(()) | Err(TrackError::Full(_)) => {}
                Err(e) => return Err(WatchError::Dump(e)),
            }
        }
        if tracker.synced() {
            return Ok(tracker.addresses().collect());
        }
    }
    Err(WatchError::Endless)
}

/// Logs a tracker error; `Full` only the first time.
fn complain(told_full: &mut bool, e: TrackError) {
    match e {
        TrackError::Full(_) if *told_full => {}
        TrackError::Full(_) => {
            *told_full = true;
            log::warn!("ignoreself: {e}");
        }
        TrackError::DumpFailed(_) => log::warn!("ignoreself: {e}"),
    }
}

fn open(flags: SockFlag, groups: u32) -> Result<OwnedFd, WatchError> {
    let io = |what| move |errno| WatchError::Io { what, errno };
    let fd = socket(
        AddressFamily::Netlink,
        SockType::Raw,
        flags | SockFlag::SOCK_CLOEXEC,
        SockProtocol::NetlinkRoute,
    )
    .map_err(io("opening the rtnetlink socket"))?;
    bind(fd.as_raw_fd(), &NetlinkAddr::new(0, groups)).map_err(io("subscribing to address changes"))?;
    Ok(fd)
}

fn send_getaddr(fd: &OwnedFd, seq: u32) -> Result<(), Errno> {
    let mut req = [0u8; route::GETADDR_LEN];
    let len = route::getaddr_request(&mut req, seq).map_err(|_| Errno::EMSGSIZE)?;
    let sent = sendto(
        fd.as_raw_fd(),
        &req[..len],
        &NetlinkAddr::new(0, 0),
        MsgFlags::empty(),
    )?;
    if sent != len {
        return Err(Errno::EMSGSIZE);
    }
    Ok(())
}
