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
use crate::netlink::msg_type;
use crate::netlink::reply::{self, Reply};
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
        let mut buf = core::mem::take(&mut self.event_buf);
        buf.resize(EVENT_BUFFER, 0);
        let mut look = false;
        let mut result = Ok(());
        for _ in 0..MAX_READS {
            match sock.recv(&mut buf) {
                Ok(n) => look |= concerns(&buf[..n], self.family, &self.table, [&self.set_v4, &self.set_v6]),
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
        self.event_buf = buf;
        result?;
        if look {
            self.recheck()
        } else {
            Ok(false)
        }
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

/// True when an event datagram mentions `table` (of `family`) or one of `sets` in it being
/// created or deleted — or cannot be read, in which case nobody knows what it said.
pub(crate) fn concerns(datagram: &[u8], family: u8, table: &str, sets: [&str; 2]) -> bool {
    let mut any = false;
    for m in Messages::new(datagram) {
        let Ok(m) = m else { return true };
        let o = match reply::parse(m) {
            Ok(Reply::Object(o)) => o,
            Ok(_) => continue,
            Err(_) => return true,
        };
        if o.family != family || o.table != table.as_bytes() {
            continue;
        }
        any |= match o.msg {
            msg_type::NEWTABLE | msg_type::DELTABLE | msg_type::DESTROYTABLE => true,
            msg_type::NEWSET | msg_type::DELSET | msg_type::DESTROYSET => {
                o.set.is_some_and(|s| sets.iter().any(|n| n.as_bytes() == s))
            }
            _ => false,
        };
    }
    any
}

#[cfg(test)]
mod tests {
    use super::concerns;
    use crate::netlink::{family, vectors};

    const SETS: [&str; 2] = ["logjail_v4", "logjail_v6"];

    #[test]
    fn table_deletion_and_creation_concern_us() {
        for name in ["event_table_deleted", "event_table_created"] {
            let d = vectors::host(&vectors::load(name));
            assert!(concerns(&d, family::INET, "fw4", SETS), "{name}");
            assert!(
                !concerns(&d, family::INET, "other", SETS),
                "{name}: another table"
            );
            assert!(!concerns(&d, family::IPV4, "fw4", SETS), "{name}: another family");
        }
    }

    #[test]
    fn our_own_elements_and_generations_do_not() {
        let d = vectors::host(&vectors::load("event_own_setelem"));
        assert!(!concerns(&d, family::INET, "fw4", SETS));
        assert!(!concerns(&[], family::INET, "fw4", SETS));
    }

    #[test]
    fn unreadable_datagrams_do() {
        let mut d = vectors::host(&vectors::load("event_own_setelem"));
        d.truncate(30);
        assert!(concerns(&d, family::INET, "fw4", SETS));
    }
}
