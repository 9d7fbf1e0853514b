//! The nftables backend: bans are elements with kernel timeouts in two sets.
//!
//! By default the sets are `logjail_v4` (`ipv4_addr`, `flags timeout`) and `logjail_v6`
//! (`ipv6_addr`, `flags interval, timeout`, so a /64 is one element) in fw4's `table inet fw4`;
//! the fw4 includes in `openwrt/logjail/files/nftables.d/` declare the same sets and the rules
//! that drop their members. Names come from [`Main`].
//!
//! * [`Nft::new`] opens the request socket and subscribes to nf_tables events.
//! * [`Firewall::init`] makes sure the sets exist: a missing set is created; a missing table
//!   with `standalone` set makes logjail create its own `table inet logjail` with both sets and a
//!   `prerouting` chain (priority -150) dropping their members; a missing table otherwise is not
//!   fatal — bans fail with a clear message and are re-installed when the table appears.
//! * Every change is one batch (see `apply`); kernel timeouts are the source of truth for
//!   expiry, so bans end on time even when the daemon is gone.
//! * [`Events::poll_events`] watches for the table or a set being deleted and re-created
//!   (`firewall restart`, `nft -f`) and tells the daemon to re-install its bans (see `events`).

mod apply;
mod events;
mod setup;

use super::{Ban, Error, Events, Firewall};
use crate::addr::Host;
use crate::config::Main;
use crate::netlink::batch::Batch;
use crate::netlink::conn::{Conn, ConnError};
use crate::netlink::msg::Element;
use crate::netlink::socket::Socket;
use crate::netlink::{family, NFNLGRP_NFTABLES};
use std::os::fd::BorrowedFd;

/// Table created in standalone mode.
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
    /// The table in use: the configured one, or [`STANDALONE_TABLE`].
    table: String,
    configured_table: String,
    set_v4: String,
    set_v6: String,
    standalone: bool,
    conn: Conn,
    events: Option<Socket>,
    /// Receive buffer of the event socket, allocated on first use and kept.
    event_buf: Vec<u8>,
    batch: Batch,
    handles: Option<Handles>,
    /// The table or a set is gone; bans wait for it to come back.
    lost: bool,
}

impl Nft {
    /// Opens the sockets for the family, table and set names of `main`.
    pub fn new(main: &Main) -> Result<Nft, Error> {
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
        let conn = Conn::open().map_err(conn_error)?;
        let events = Socket::events(NFNLGRP_NFTABLES)
            .map_err(|e| {
                log::warn!(
                    "cannot subscribe to nftables events ({}); no resync after a firewall restart",
                    e.desc()
                )
            })
            .ok();
        Ok(Nft {
            family: fam,
            family_name: main.family.clone(),
            table: main.table.clone(),
            configured_table: main.table.clone(),
            set_v4: main.set_v4.clone(),
            set_v6: main.set_v6.clone(),
            standalone: main.standalone,
            conn,
            events,
            event_buf: Vec::new(),
            batch: Batch::new(BATCH_BYTES),
            handles: None,
            lost: false,
        })
    }

    /// The table bans go to (`fw4`, or `logjail` in standalone mode without fw4).
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

impl Firewall for Nft {
    fn init(&mut self) -> Result<(), Error> {
        self.table = self.configured_table.clone();
        let mut handles = self.ensure_sets()?;
        if handles.is_none() && self.standalone {
            self.table = STANDALONE_TABLE.to_string();
            if self.table_info(STANDALONE_TABLE)?.is_none() {
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

    fn block_many(&mut self, bans: &[Ban]) -> Result<(), Error> {
        let mut first_err = None;
        // An element's timeout is kept by the kernel when it is added again: remove first.
        for b in bans.iter().filter(|b| b.replace) {
            if let Err(e) = self.release(&b.jail, b.host) {
                first_err.get_or_insert(e);
            }
        }
        for v6 in [false, true] {
            let elems: Vec<Element> = bans
                .iter()
                .filter(|b| b.host.is_v6() == v6)
                .filter_map(Self::element)
                .collect();
            if elems.is_empty() {
                continue;
            }
            if let Err(e) = self.add(v6, &elems) {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
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

    fn poll_events(&mut self) -> Result<bool, Error> {
        self.drain_events()
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
