//! The firewall interface: where a jail's decisions leave the core.
//!
//! In the spirit of sshguard's `fw.h`, a backend is five verbs — [`Firewall::init`],
//! [`Firewall::block`], [`Firewall::release`], [`Firewall::flush`], [`Firewall::fin`] — plus
//! [`Firewall::block_many`] for backends that can batch (netlink puts thousands of elements in
//! one message). The core never knows which backend it talks to.
//!
//! A [`Ban`] carries the *remaining* time the kernel should hold the element (`timeout`, already
//! computed by the engine; `None` = permanent, `Some(0)` = already over: a kernel backend
//! installs nothing) and the time it has left by the log's clock (`left`), which the dry-run backend prints. Lifting a ban
//! needs only the jail and the host ([`Firewall::release`]). Backends that report events (the
//! kernel lost its sets) implement [`Events`] as well.
//!
//! The sets are logjail's, but what the daemon remembers of them is not the whole truth (a
//! crash before a state save, `nft add element` by hand). Four more verbs work on what the
//! backend *holds*: [`Firewall::held`] lists it, [`Firewall::lift`] removes every element
//! overlapping a host whether or not a jail knew it, [`Firewall::lift_all`] empties the sets,
//! and [`Firewall::block_report`] bans and hands back the bans the kernel refused, each with
//! its reason ([`Refusal`]). A backend without a kernel behind it (the dry run) holds nothing
//! and refuses nothing.

pub mod dryrun;
pub mod nft;

pub use nft::{Changes, KernelBan, Refusal};

use crate::addr::Host;
use core::fmt;

/// A jail's name as actions carry it (jail names are at most 32 bytes, see the configuration).
pub type JailName = heapless::String<32>;

/// `name` as a [`JailName`], cut at a character boundary if longer than 32 bytes.
pub fn jail_name(name: &str) -> JailName {
    let mut end = name.len().min(32);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    let mut n = JailName::new();
    let _ = n.push_str(&name[..end]);
    n
}

/// One ban, as handed to a backend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ban {
    pub jail: JailName,
    pub host: Host,
    /// Seconds the kernel should hold the element; `None` = permanent, `Some(0)` = over.
    pub timeout: Option<u32>,
    /// Seconds the ban has left by the log's own clock (the event clock): the decided duration
    /// for a ban just decided, what is left for a restored one. The dry run prints this.
    pub left: Option<u32>,
    /// The host may already be in the set with another timeout (a jail's ban that recidive
    /// lengthens): a kernel backend removes the element first.
    pub replace: bool,
}

impl Ban {
    /// A ban of `timeout` seconds (as decided and as the kernel should hold it).
    pub fn new(jail: &str, host: Host, timeout: Option<u32>) -> Ban {
        Ban {
            jail: jail_name(jail),
            host,
            timeout,
            left: timeout,
            replace: false,
        }
    }
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
            Error::Io { what, errno } => write!(f, "{what}: {}", crate::bytes::OsError(*errno)),
            Error::Kernel { what, errno } => {
                write!(f, "{what} ({})", crate::bytes::OsError(*errno))
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
    /// Blocks one host for `ban.timeout`.
    fn block(&mut self, ban: &Ban) -> Result<(), Error>;
    /// Lifts the ban of `host` (put there by `jail`); a host that is not blocked (expired
    /// already, or never known) is not an error.
    fn release(&mut self, jail: &str, host: Host) -> Result<(), Error>;
    /// Removes every ban this backend manages.
    fn flush(&mut self) -> Result<(), Error>;
    /// Closes the backend; kernel bans stay in force with their timeouts.
    fn fin(&mut self) -> Result<(), Error>;
    /// Blocks many hosts; backends that batch override this.
    fn block_many(&mut self, bans: &[Ban]) -> Result<(), Error> {
        bans.iter().try_for_each(|b| self.block(b))
    }
    /// Blocks `bans` and returns the ones the kernel refused, with why (already logged,
    /// bounded). `Err` is a failure of a whole set. Backends that cannot tell refuse nothing.
    fn block_report(&mut self, bans: &[Ban]) -> Result<Vec<Refusal>, Error> {
        self.block_many(bans).map(|()| Vec::new())
    }
    /// What the backend holds now, whatever the daemon remembers (empty for a backend that
    /// holds nothing).
    fn held(&mut self) -> Result<Vec<KernelBan>, Error> {
        Ok(Vec::new())
    }
    /// Removes every element overlapping `host`, known to a jail or not; returns the hosts
    /// removed (empty: the backend held nothing for it).
    fn lift(&mut self, host: Host) -> Result<Vec<Host>, Error> {
        self.release("", host).map(|()| Vec::new())
    }
    /// Empties the sets, unknown elements included; returns how many hosts they held.
    fn lift_all(&mut self) -> Result<usize, Error> {
        self.flush().map(|()| 0)
    }
    /// The backend's event side, when it has one.
    fn events(&mut self) -> Option<&mut dyn Events> {
        None
    }
}

/// Events a backend reports (nftables notifications: a set was flushed or deleted).
pub trait Events {
    /// A descriptor the event loop polls.
    fn event_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>>;
    /// Reads pending events: whether every active ban must be re-installed, and whether bans
    /// the kernel refused are worth another try ([`Changes`]).
    fn poll_events(&mut self) -> Result<Changes, Error>;
}
