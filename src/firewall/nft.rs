//! The nftables backend: bans are elements with kernel timeouts in two sets.
//!
//! By default the sets are `logjail_v4` (`ipv4_addr`, `flags timeout`) and `logjail_v6`
//! (`ipv6_addr`, `flags interval, timeout`, so a /64 is one element) in fw4's `table inet fw4`;
//! the fw4 includes in `openwrt/logjail/files/nftables.d/` declare the same sets and the rules
//! that drop their members. Names come from [`Settings`].
//!
//! * [`Nft::new`] opens the request socket and subscribes to nf_tables events.
//! * [`Firewall::init`] makes sure the sets exist: a missing set is created; a missing table
//!   with `standalone` set makes logjail create its own table — the configured family and name,
//!   except that fw4's `fw4` (the default) becomes `logjail`, since fw4 owns its table — with
//!   both sets and a `prerouting` chain (priority -150) dropping their members; a missing table
//!   otherwise is not fatal — bans fail with a clear message and are re-installed when the
//!   table appears.
//! * [`Nft::block_report`] bans and says which elements the kernel refused and why
//!   ([`Refusal`]: set full, set without `flags timeout`, overlapping interval).
//! * [`Nft::kernel_bans`], [`Nft::unban`] and [`Nft::unban_all`] (see `kernel`) work on what
//!   the sets *hold*, whatever the daemon remembers: elements left by a crash or added by hand.
//! * Every change is one batch (see `apply`); kernel timeouts are the source of truth for
//!   expiry, so bans end on time even when the daemon is gone.
//! * [`Events::poll_events`] watches for the table or a set being deleted and re-created
//!   (`firewall restart`, `nft -f`) and tells the daemon to re-install its bans;
//!   [`Nft::poll_changes`] also says when refused bans are worth retrying (see `events`).

mod apply;
mod events;
mod kernel;
mod refusal;
mod setup;

pub use events::Changes;
pub use kernel::KernelBan;

use super::{Ban, Error, Events, Firewall};
use crate::addr::Host;
use crate::netlink::conn::{Conn, ConnError};
use crate::netlink::msg::Element;
use crate::netlink::socket::Socket;
use crate::netlink::{family, NFNLGRP_NFTABLES};
use std::os::fd::BorrowedFd;

/// fw4's table: never created by logjail.
pub const FW4_TABLE: &str = "fw4";
/// Table created in standalone mode when the configured table is fw4's.
pub const STANDALONE_TABLE: &str = "logjail";
/// Its chain, hooked at prerouting before conntrack (priority -150, `mangle`).
pub const STANDALONE_CHAIN: &str = "prerouting";
pub const STANDALONE_PRIORITY: i32 = -150;
/// Bytes of one batch: below the default `net.core.wmem_default`, so no sysctl is needed.
pub const BATCH_BYTES: usize = 128 * 1024;
/// Messages per batch: each gets an ack, and the acks must fit the receive buffer.
pub const BATCH_MESSAGES: u32 = 128;
/// Largest elements nest per message, safely below the 65 535 an attribute can hold.
pub const ELEMS_NEST_BYTES: usize = 60_000;
/// nf_tables names are at most 255 bytes (`NFT_NAME_MAXLEN` with its NUL).
pub const NAME_MAX: usize = 255;

/// What the backend is told: where the sets are and whether it may create its own table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// nftables family keyword: `inet`, `ip`, `ip6`, `bridge`, `netdev`.
    pub family: String,
    pub table: String,
    pub set_v4: String,
    pub set_v6: String,
    /// Create the table, with its own drop chain, when it is missing.
    pub standalone: bool,
}

impl Default for Settings {
    /// fw4's `table inet fw4` with `logjail_v4` and `logjail_v6`.
    fn default() -> Self {
        Settings {
            family: "inet".into(),
            table: FW4_TABLE.into(),
            set_v4: "logjail_v4".into(),
            set_v6: "logjail_v6".into(),
            standalone: false,
        }
    }
}

impl Settings {
    /// The table standalone mode creates: the configured one, or `logjail` instead of fw4's.
    pub fn standalone_table(&self) -> &str {
        if self.table == FW4_TABLE {
            STANDALONE_TABLE
        } else {
            &self.table
        }
    }
}

/// A ban the kernel would not take, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub host: Host,
    /// The kernel's errno (`ENFILE`: set full, `EINVAL`: no timeout flag, `EEXIST`: overlap).
    pub errno: i32,
    /// In words: `set logjail_v4 in table inet fw4 is full (size 2)`.
    pub reason: String,
}

impl core::fmt::Display for Refusal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "cannot ban {}: {}", shown(&self.host), self.reason)
    }
}

impl From<&Refusal> for Error {
    fn from(r: &Refusal) -> Error {
        Error::Kernel {
            what: r.to_string(),
            errno: r.errno,
        }
    }
}

/// Handles of the table and sets as last seen; a change means they were re-created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Handles {
    table: Option<u64>,
    v4: Option<u64>,
    v6: Option<u64>,
}

/// The nftables backend.
pub struct Nft {
    family: u8,
    family_name: String,
    /// The table in use: the configured one, or the standalone one.
    table: String,
    settings: Settings,
    set_v4: String,
    set_v6: String,
    conn: Conn,
    events: Option<Socket>,
    /// Receive buffer of the event socket, allocated on first use and kept.
    event_buf: Vec<u8>,
    handles: Option<Handles>,
    /// The table or a set is gone; bans wait for it to come back.
    lost: bool,
}

impl Nft {
    /// Opens the sockets for the family, table and set names of `settings`.
    pub fn new(settings: &Settings) -> Result<Nft, Error> {
        let main = settings;
        let fam = family::parse(&main.family).ok_or_else(|| Error::Kernel {
            what: format!("unknown nftables family `{}` (want inet, ip or ip6)", main.family),
            errno: libc::EINVAL,
        })?;
        for (what, name) in [
            ("table", &main.table),
            ("set_v4", &main.set_v4),
            ("set_v6", &main.set_v6),
        ] {
            if name.is_empty() || name.len() > NAME_MAX || name.contains('\0') {
                return Err(Error::Kernel {
                    what: format!("option {what} `{name}` is not a valid nftables name"),
                    errno: libc::EINVAL,
                });
            }
        }
        let conn = Conn::open(BATCH_BYTES).map_err(conn_error)?;
        let events = Socket::events(NFNLGRP_NFTABLES)
            .map_err(|e| {
                log::warn!(
                    "cannot subscribe to nftables events ({}); no resync after a firewall restart",
                    crate::bytes::OsError(e as i32)
                )
            })
            .ok();
        Ok(Nft {
            family: fam,
            family_name: main.family.clone(),
            table: main.table.clone(),
            set_v4: main.set_v4.clone(),
            set_v6: main.set_v6.clone(),
            settings: settings.clone(),
            conn,
            events,
            event_buf: Vec::new(),
            handles: None,
            lost: false,
        })
    }

    /// The table bans go to (the configured one, or the standalone one).
    pub fn table(&self) -> &str {
        &self.table
    }

    fn set_name(&self, v6: bool) -> &str {
        if v6 {
            &self.set_v6
        } else {
            &self.set_v4
        }
    }

    /// `table inet fw4`, as users write it.
    fn table_words(&self) -> String {
        format!("table {} {}", self.family_name, self.table)
    }

    fn element(ban: &Ban) -> Option<Element> {
        match ban.timeout {
            // No time left: the ban is over; a zero timeout would mean "permanent" to the kernel.
            Some(0) => None,
            t => Some(Element {
                host: ban.host,
                timeout_ms: t.map(|s| u64::from(s) * 1000),
            }),
        }
    }
}

impl Nft {
    /// Bans `bans` and returns the ones the kernel refused, each with its reason (also
    /// logged). `Err` is for failures of a whole set (missing, not permitted, the socket):
    /// then none of that family's bans are in, and they are installed again when the set
    /// comes back ([`Nft::poll_changes`] says `reinstall`).
    pub fn block_report(&mut self, bans: &[Ban]) -> Result<Vec<Refusal>, Error> {
        let mut first_err = None;
        let mut refused = Vec::new();
        for v6 in [false, true] {
            let elems: Vec<Element> = bans
                .iter()
                .filter(|b| b.host.is_v6() == v6)
                .filter_map(Self::element)
                .collect();
            if elems.is_empty() {
                continue;
            }
            match self.add(v6, &elems) {
                Ok(r) => refused.extend(r),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        first_err.map_or(Ok(refused), Err)
    }
}

impl Firewall for Nft {
    fn init(&mut self) -> Result<(), Error> {
        self.table = self.settings.table.clone();
        let mut handles = self.ensure_sets()?;
        if handles.is_none() && self.settings.standalone {
            self.table = self.settings.standalone_table().to_string();
            if self.table_info(&self.table.clone())?.is_none() {
                self.create_standalone()?;
            }
            handles = self.ensure_sets()?;
        }
        self.lost = handles.is_none();
        if self.lost {
            log::warn!(
                "{} not found: bans are kept and installed when it appears (set `option standalone 1` to let logjail create its own table)",
                self.table_words()
            );
        }
        self.handles = handles;
        Ok(())
    }

    fn block(&mut self, ban: &Ban) -> Result<(), Error> {
        self.block_many(core::slice::from_ref(ban))
    }

    /// Every refusal is logged (see [`Nft::block_report`]); the first is the error.
    fn block_many(&mut self, bans: &[Ban]) -> Result<(), Error> {
        match Firewall::block_report(self, bans)?.first() {
            Some(r) => Err(r.into()),
            None => Ok(()),
        }
    }

    /// Elements to be replaced (`ban.replace`) are removed first: the kernel keeps an
    /// element's timeout when it is added again.
    fn block_report(&mut self, bans: &[Ban]) -> Result<Vec<Refusal>, Error> {
        let mut first_err = None;
        for b in bans.iter().filter(|b| b.replace) {
            if let Err(e) = self.release(&b.jail, b.host) {
                first_err.get_or_insert(e);
            }
        }
        let refused = Nft::block_report(self, bans)?;
        match first_err {
            Some(e) if refused.is_empty() => Err(e),
            _ => Ok(refused),
        }
    }

    fn held(&mut self) -> Result<Vec<KernelBan>, Error> {
        self.kernel_bans()
    }

    fn lift(&mut self, host: Host) -> Result<Vec<Host>, Error> {
        self.unban(host)
    }

    fn lift_all(&mut self) -> Result<usize, Error> {
        self.unban_all()
    }

    fn release(&mut self, _jail: &str, host: Host) -> Result<(), Error> {
        let e = Element {
            host,
            timeout_ms: None,
        };
        self.remove(host.is_v6(), &e)
    }

    fn flush(&mut self) -> Result<(), Error> {
        for v6 in [false, true] {
            self.flush_set(v6)?;
        }
        Ok(())
    }

    fn fin(&mut self) -> Result<(), Error> {
        self.events = None;
        Ok(())
    }

    fn events(&mut self) -> Option<&mut dyn Events> {
        Some(self)
    }
}

impl Events for Nft {
    fn event_fd(&self) -> Option<BorrowedFd<'_>> {
        self.events.as_ref().map(Socket::fd)
    }

    fn poll_events(&mut self) -> Result<Changes, Error> {
        self.poll_changes()
    }
}

fn conn_error(e: ConnError) -> Error {
    match e {
        ConnError::Io { what, errno } => Error::Io {
            what,
            errno: errno as i32,
        },
        ConnError::Wire(w) => Error::Protocol { what: w.to_string() },
    }
}

/// How users write a host in `nft list set` (for messages).
fn shown(h: &Host) -> String {
    h.to_string()
}
