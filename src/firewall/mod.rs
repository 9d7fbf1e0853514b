//! The firewall interface: where a jail's decisions leave the core.
//!
//! In the spirit of sshguard's `fw.h`, a backend is five verbs — [`Firewall::init`],
//! [`Firewall::block`], [`Firewall::release`], [`Firewall::flush`], [`Firewall::fin`] — plus
//! [`Firewall::block_many`] for backends that can batch (netlink puts thousands of elements in
//! one message). The core never knows which backend it talks to.
//!
//! A [`Ban`] carries the *remaining* time the kernel should hold the element, already computed
//! by the caller from the ban's decided end and the wall clock; `None` means permanent.

pub mod dryrun;
pub mod nft;

use crate::addr::Host;
use core::fmt;

/// One ban or unban, as handed to a backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ban<'a> {
    pub jail: &'a str,
    pub host: Host,
    /// Seconds the ban has left; `None` = permanent.
    pub timeout: Option<u32>,
}

/// What a backend can fail with. Each variant names what was being done.
#[derive(Debug, PartialEq, Eq)]
pub enum Error {
    /// A system call on the backend's socket or file failed.
    Io { what: &'static str, errno: i32 },
    /// The kernel refused a request; `what` says which object, in words a user knows.
    Kernel { what: String, errno: i32 },
    /// A reply that does not parse.
    Protocol { what: String },
    /// Writing the dry-run decision failed.
    Output,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { what, errno } => write!(f, "{what}: {}", nix::errno::Errno::from_raw(*errno).desc()),
            Error::Kernel { what, errno } => {
                write!(f, "{what} ({})", nix::errno::Errno::from_raw(*errno).desc())
            }
            Error::Protocol { what } => write!(f, "malformed reply: {what}"),
            Error::Output => f.write_str("cannot write decision to stdout"),
        }
    }
}

impl std::error::Error for Error {}

/// A place bans go. All methods are called from the daemon's one thread.
pub trait Firewall {
    /// Prepares the backend (open sockets, make sure sets exist).
    fn init(&mut self) -> Result<(), Error>;
    /// Blocks one host for `ban.timeout`; blocking a blocked host refreshes its timeout.
    fn block(&mut self, ban: &Ban<'_>) -> Result<(), Error>;
    /// Lifts a ban; a host that is not blocked (expired already) is not an error.
    fn release(&mut self, ban: &Ban<'_>) -> Result<(), Error>;
    /// Removes every ban this backend manages.
    fn flush(&mut self) -> Result<(), Error>;
    /// Closes the backend; kernel bans stay in force with their timeouts.
    fn fin(&mut self) -> Result<(), Error>;
    /// Blocks many hosts; backends that batch override this.
    fn block_many(&mut self, bans: &[Ban<'_>]) -> Result<(), Error> {
        bans.iter().try_for_each(|b| self.block(b))
    }
    /// A descriptor the daemon polls for firewall events (nftables notifications).
    fn event_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        None
    }
    /// Reads pending events; `true` when every active ban must be re-installed.
    fn poll_events(&mut self) -> Result<bool, Error> {
        Ok(false)
    }
}
