//! The nftables backend: bans are elements with kernel timeouts in two sets.
//!
//! By default the sets are `logjail_v4` (`ipv4_addr`, `flags timeout`) and `logjail_v6`
//! (`ipv6_addr`, `flags interval, timeout`, so a /64 is one element) in fw4's `table inet fw4`;
//! the fw4 include `openwrt/logjail/files/logjail.nft` declares the same sets and the rules that
//! drop their members. Names come from [`Main`].
//!
//! * [`Nft::new`] opens the request socket and subscribes to nf_tables events.
//! * [`Firewall::init`] makes sure the sets exist: a missing set is created; a missing table
//!   with `standalone` set makes logjail create its own `table inet logjail` with both sets and a
//!   `prerouting` chain (priority -150) dropping their members; a missing table otherwise is not
//!   fatal — bans fail with a clear message and are re-installed when the table appears.
//! * Every change is one batch (see `apply`); kernel timeouts are the source of truth for
//!   expiry, so bans end on time even when the daemon is gone.
//! * [`Firewall::poll_events`] watches for the table or a set being deleted and re-created
//!   (`firewall restart`, `nft -f`) and tells the daemon to re-install its bans (see `events`).

mod apply;
mod events;

use super::{Ban, Error, Firewall};
use crate::addr::Host;
use crate::config::Main;
use crate::netlink::batch::Batch;
use crate::netlink::conn::{Conn, ConnError, Info};
use crate::netlink::expr::RuleRepr;
use crate::netlink::header::flags;
use crate::netlink::msg::{set_attr, ChainRepr, Element, LookupRepr, SetRepr, TableRepr, HOOK_PREROUTING};
use crate::netlink::socket::Socket;
use crate::netlink::{family, msg_type, NFNLGRP_NFTABLES};
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

    fn table_info(&mut self, table: &str) -> Result<Option<Info>, Error> {
        let body = LookupRepr { table, set: None };
        self.conn
            .object(msg_type::GETTABLE, self.family, |w| body.emit(w))
            .map_err(conn_error)
    }

    fn set_info(&mut self, v6: bool) -> Result<Option<Info>, Error> {
        let (table, set) = (self.table.clone(), self.set_name(v6).to_string());
        let body = LookupRepr {
            table: &table,
            set: Some(&set),
        };
        let info = self
            .conn
            .object(msg_type::GETSET, self.family, |w| body.emit(w))
            .map_err(conn_error)?;
        if let Some(i) = info {
            self.check_set(v6, &i)?;
        }
        Ok(info)
    }

    /// A set declared by hand must be able to hold what logjail puts in it.
    fn check_set(&self, v6: bool, i: &Info) -> Result<(), Error> {
        let (ty, len) = if v6 {
            (set_attr::TYPE_IPV6_ADDR, 16)
        } else {
            (set_attr::TYPE_IPV4_ADDR, 4)
        };
        let want_flags = SetRepr::flags(v6);
        let what = if i.key_len.is_some_and(|l| l != len) || i.key_type.is_some_and(|t| t != ty) {
            Some(if v6 {
                "`type ipv6_addr`"
            } else {
                "`type ipv4_addr`"
            })
        } else if i.set_flags.unwrap_or(0) & want_flags != want_flags {
            // The kernel leaves NFTA_SET_FLAGS out when no flag is set.
            Some(if v6 {
                "`flags interval, timeout`"
            } else {
                "`flags timeout`"
            })
        } else {
            None
        };
        match what {
            Some(need) => Err(Error::Kernel {
                what: format!(
                    "set {} in {} must be declared with {need}",
                    self.set_name(v6),
                    self.table_words()
                ),
                errno: libc::EINVAL,
            }),
            None => Ok(()),
        }
    }

    /// Creates whichever of the two sets is missing; returns the current handles, or `None`
    /// when the table itself is missing.
    fn ensure_sets(&mut self) -> Result<Option<Handles>, Error> {
        let Some(table) = self.table_info(&self.table.clone())? else {
            return Ok(None);
        };
        let mut missing = Vec::new();
        for v6 in [false, true] {
            if self.set_info(v6)?.is_none() {
                missing.push(v6);
            }
        }
        if !missing.is_empty() {
            self.conn.begin(&mut self.batch);
            let table_name = self.table.clone();
            for &v6 in &missing {
                let name = self.set_name(v6).to_string();
                let r = SetRepr {
                    table: &table_name,
                    name: &name,
                    v6,
                    id: 1 + u32::from(v6),
                };
                self.batch
                    .push(msg_type::NEWSET, flags::CREATE, self.family, |w| r.emit(w))
                    .map_err(|e| Error::Protocol { what: e.to_string() })?;
            }
            self.run_batch("creating sets")?;
            for &v6 in &missing {
                log::info!("created set {} in {}", self.set_name(v6), self.table_words());
            }
        }
        let v4 = self.set_info(false)?.and_then(|i| i.handle);
        let v6 = self.set_info(true)?.and_then(|i| i.handle);
        Ok(Some(Handles {
            table: table.handle,
            v4,
            v6,
        }))
    }

    /// `table inet logjail` with both sets, a prerouting chain and the two drop rules.
    fn create_standalone(&mut self) -> Result<(), Error> {
        let t = STANDALONE_TABLE;
        self.conn.begin(&mut self.batch);
        let (v4, v6) = (self.set_v4.clone(), self.set_v6.clone());
        let fam = self.family;
        let b = &mut self.batch;
        let push = |b: &mut Batch,
                    msg,
                    extra,
                    f: &dyn Fn(
            &mut crate::netlink::attr::Writer<'_>,
        ) -> Result<(), crate::netlink::WireError>| {
            b.push(msg, extra, fam, f)
                .map(drop)
                .map_err(|e| Error::Protocol { what: e.to_string() })
        };
        push(b, msg_type::NEWTABLE, 0, &|w| TableRepr { name: t }.emit(w))?;
        push(b, msg_type::NEWSET, flags::CREATE, &|w| {
            SetRepr {
                table: t,
                name: &v4,
                v6: false,
                id: 1,
            }
            .emit(w)
        })?;
        push(b, msg_type::NEWSET, flags::CREATE, &|w| {
            SetRepr {
                table: t,
                name: &v6,
                v6: true,
                id: 2,
            }
            .emit(w)
        })?;
        let chain = ChainRepr {
            table: t,
            name: STANDALONE_CHAIN,
            hooknum: HOOK_PREROUTING,
            priority: STANDALONE_PRIORITY,
        };
        push(b, msg_type::NEWCHAIN, flags::CREATE, &|w| chain.emit(w))?;
        for (set, id, is_v6) in [(&v4, 1, false), (&v6, 2, true)] {
            let exprs = RuleRepr::saddr_drop(set, id, is_v6);
            let rule = RuleRepr {
                table: t,
                chain: STANDALONE_CHAIN,
                exprs: &exprs,
            };
            push(b, msg_type::NEWRULE, flags::CREATE | flags::APPEND, &|w| {
                rule.emit(w)
            })?;
        }
        self.run_batch("creating the standalone table")?;
        log::info!(
            "created table {} {t} with sets {v4}, {v6} and a prerouting drop chain",
            self.family_name
        );
        Ok(())
    }

    /// Sends the current batch; any failure is an error naming `doing`.
    fn run_batch(&mut self, doing: &str) -> Result<(), Error> {
        let failures = self.conn.transact(&mut self.batch).map_err(conn_error)?;
        match failures.first() {
            None => Ok(()),
            Some(f) => Err(Error::Kernel {
                what: format!("{doing} in {}", self.table_words()),
                errno: f.errno,
            }),
        }
    }

    fn element(ban: &Ban<'_>) -> Option<Element> {
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

    fn block(&mut self, ban: &Ban<'_>) -> Result<(), Error> {
        self.block_many(core::slice::from_ref(ban))
    }

    fn block_many(&mut self, bans: &[Ban<'_>]) -> Result<(), Error> {
        let mut first_err = None;
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

    fn release(&mut self, ban: &Ban<'_>) -> Result<(), Error> {
        let e = Element {
            host: ban.host,
            timeout_ms: None,
        };
        self.remove(ban.host.is_v6(), &e)
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
