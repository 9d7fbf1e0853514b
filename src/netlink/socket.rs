//! The netlink socket: the only part of [`crate::netlink`] that touches the OS.
//!
//! `AF_NETLINK`/`SOCK_RAW`/`NETLINK_NETFILTER`, opened through nix. Two kinds are used:
//!
//! * a *request* socket: blocking with a receive timeout (a kernel that never answers must
//!   not hang the daemon), `NETLINK_CAP_ACK` so an error does not echo a 60 KiB request back,
//!   `NETLINK_EXT_ACK` so the kernel may say which attribute it objected to;
//! * an *event* socket: non-blocking, bound to the `NFNLGRP_NFTABLES` multicast group, read
//!   when `poll` says so.
//!
//! Two options nix has no safe wrapper for are set through [`crate::sys`], the crate's one
//! module with `unsafe`.

use nix::errno::Errno;
use nix::sys::socket::{
    bind, getsockname, recv, sendto, setsockopt, socket, sockopt, AddressFamily, MsgFlags, NetlinkAddr,
    SockFlag, SockProtocol, SockType,
};
use nix::sys::time::{TimeVal, TimeValLike};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

/// Requested socket buffer sizes; the kernel caps them at `net.core.[rw]mem_max`.
pub const SOCKET_BUFFER: usize = 1 << 20;
/// How long a request waits for the kernel's answer.
pub const REPLY_TIMEOUT_SECS: i64 = 5;

const NETLINK_CAP_ACK: libc::c_int = 10;
const NETLINK_EXT_ACK: libc::c_int = 11;

/// An open netlink socket.
pub struct Socket {
    fd: OwnedFd,
}

impl Socket {
    /// A request socket (blocking, with a reply timeout).
    pub fn request() -> Result<Socket, Errno> {
        let fd = open(SockFlag::SOCK_CLOEXEC, 0)?;
        setsockopt(
            &fd,
            sockopt::ReceiveTimeout,
            &TimeVal::seconds(REPLY_TIMEOUT_SECS),
        )?;
        // Best effort: older kernels lack these, and the code copes without them.
        let _ = set_int(&fd, NETLINK_CAP_ACK, 1);
        let _ = set_int(&fd, NETLINK_EXT_ACK, 1);
        Ok(Socket { fd })
    }

    /// A non-blocking socket subscribed to multicast group `group`.
    pub fn events(group: u32) -> Result<Socket, Errno> {
        let mask = 1u32.checked_shl(group.saturating_sub(1)).ok_or(Errno::EINVAL)?;
        let fd = open(SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK, mask)?;
        Ok(Socket { fd })
    }

    /// Sends one datagram (a whole batch or request) to the kernel.
    pub fn send(&self, bytes: &[u8]) -> Result<(), Errno> {
        let n = sendto(
            self.fd.as_raw_fd(),
            bytes,
            &NetlinkAddr::new(0, 0),
            MsgFlags::empty(),
        )?;
        if n != bytes.len() {
            return Err(Errno::EMSGSIZE);
        }
        Ok(())
    }

    /// Receives one datagram into `buf`; `Err(EMSGSIZE)` when it did not fit (its tail is lost),
    /// `Err(EAGAIN)` on timeout or when nothing is queued, `Err(ENOBUFS)` after an overrun.
    pub fn recv(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        let n = recv(self.fd.as_raw_fd(), buf, MsgFlags::MSG_TRUNC)?;
        if n > buf.len() {
            return Err(Errno::EMSGSIZE);
        }
        Ok(n)
    }

    /// The port id the kernel gave the socket (`getsockname`).
    pub fn port(&self) -> Option<u32> {
        getsockname::<NetlinkAddr>(self.fd.as_raw_fd())
            .ok()
            .map(|a| a.pid())
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

fn open(flags: SockFlag, groups: u32) -> Result<OwnedFd, Errno> {
    let fd = socket(
        AddressFamily::Netlink,
        SockType::Raw,
        flags,
        SockProtocol::NetlinkNetFilter,
    )?;
    bind(fd.as_raw_fd(), &NetlinkAddr::new(0, groups))?;
    let size = SOCKET_BUFFER;
    let _ = setsockopt(&fd, sockopt::RcvBuf, &size);
    let _ = setsockopt(&fd, sockopt::SndBuf, &size);
    Ok(fd)
}

fn set_int(fd: &OwnedFd, name: libc::c_int, value: libc::c_int) -> Result<(), Errno> {
    crate::sys::set_netlink_option(fd.as_fd(), name, value)
}
