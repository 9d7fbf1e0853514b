//! Noticing that the firewall threw the sets away, and that they are back.
//!
//! `fw4 reload` keeps set elements, but `firewall restart` deletes `table inet fw4` (and with it
//! every ban) and loads it again, and `firewall stop` deletes every table. The event socket
//! receives every nf_tables change (`NFNLGRP_NFTABLES`, what `nft monitor` shows). Events
//! about logjail's table or sets — a table or set deleted or created — or a lost event
//! (`ENOBUFS`: the socket overflowed, for instance while 10 000 elements were added) make
//! [`Nft::drain_events`] look again: it asks the kernel for the table and both sets and
//! compares their *handles* (unique per object, never reused within a table's lifetime) with the
//! ones it saw last.
//!
//! * Same handles: nothing happened to logjail (its own changes also raise events).
//! * Table gone: logjail waits, without polling, until an event says a table appeared. It
//!   does not re-create a table a user deleted on purpose.
//! * Table there, a set missing: the set is created, as at start.
//! * New handles: the sets are new and empty, so the daemon must re-install every active ban
//!   (`poll_events` returns `true`).

use super::Nft;
use crate::firewall::Error;
use crate::netlink::header::Messages;
use crate::netlink::reply::{self, Reply};
use crate::netlink::{msg_type, WireError};
use nix::errno::Errno;

/// Receive buffer for events (one datagram may carry many messages).
const EVENT_BUFFER: usize = 64 * 1024;
/// Datagrams read per call, so a flood of events cannot starve the daemon loop.
const MAX_READS: usize = 256;

impl Nft {
    /// Reads every queued event; `Ok(true)` when the active bans must be re-installed.
    pub(super) fn drain_events(&mut self) -> Result<bool, Error> {
        let Some(sock) = self.events.take() else {
            return Ok(false);
        };
        let mut buf = vec![0u8; EVENT_BUFFER];
        let mut look = false;
        let mut result = Ok(());
        for _ in 0..MAX_READS {
            match sock.recv(&mut buf) {
                Ok(n) => look |= self.relevant(&buf[..n]),
                Err(Errno::EAGAIN) => break,
                Err(Errno::EINTR) => continue,
                // Events were lost (overflow) or cut short: we cannot know what they said.
                Err(Errno::ENOBUFS) | Err(Errno::EMSGSIZE) => look = true,
                Err(errno) => {
                    result = Err(Error::Io {
                        what: "reading nftables events",
                        errno: errno as i32,
                    });
                    break;
                }
            }
        }
        self.events = Some(sock);
        result?;
        if look {
            self.recheck()
        } else {
            Ok(false)
        }
    }

    /// True when a datagram mentions logjail's table or one of its sets being created or
    /// deleted.
    fn relevant(&self, datagram: &[u8]) -> bool {
        let mut any = false;
        for m in Messages::new(datagram) {
            let Ok(m) = m else { return true };
            let o = match reply::parse(m) {
                Ok(Reply::Object(o)) => o,
                Ok(_) => continue,
                Err(
                    WireError::Truncated | WireError::BadLength | WireError::Full | WireError::NestTooLong,
                ) => return true,
            };
            if o.family != self.family || o.table != self.table.as_bytes() {
                continue;
            }
            any |= match o.msg {
                msg_type::NEWTABLE | msg_type::DELTABLE | msg_type::DESTROYTABLE => true,
                msg_type::NEWSET | msg_type::DELSET | msg_type::DESTROYSET => o
                    .set
                    .is_some_and(|s| s == self.set_v4.as_bytes() || s == self.set_v6.as_bytes()),
                _ => false,
            };
        }
        any
    }

    /// Compares the table's and sets' handles with the last ones seen.
    fn recheck(&mut self) -> Result<bool, Error> {
        let now = self.ensure_sets()?;
        let before = self.handles;
        match now {
            None => {
                if !self.lost {
                    log::warn!(
                        "{} was deleted: its bans are gone from the kernel; they will be re-installed when it is re-created",
                        self.table_words()
                    );
                }
                self.lost = true;
                self.handles = None;
                Ok(false)
            }
            Some(h) if Some(h) == before && !self.lost => Ok(false),
            Some(h) => {
                self.handles = Some(h);
                self.lost = false;
                log::info!(
                    "sets {} and {} in {} are new: re-installing active bans",
                    self.set_v4,
                    self.set_v6,
                    self.table_words()
                );
                Ok(true)
            }
        }
    }
}
