//! Noticing that the firewall threw the sets away, and that they are back.
//!
//! `fw4 reload` keeps set elements, but `firewall restart` deletes `table inet fw4` (and with it
//! every ban) and loads it again, and `firewall stop` deletes every table. The event socket
//! receives every nf_tables change (`NFNLGRP_NFTABLES`, what `nft monitor` shows). Events
//! about logjail's table or sets — a table or set deleted or created — or a lost event
//! (`ENOBUFS`: the socket overflowed, for instance while 10 000 elements were added) make
//! [`Nft::poll_changes`] look again: it asks the kernel for the table and both sets and
//! compares their *handles* (unique per object, never reused within a table's lifetime) with the
//! ones it saw last.
//!
//! * Same handles: nothing happened to logjail (its own changes also raise events).
//! * Table gone: logjail waits, without polling, until an event says a table appeared. It
//!   does not re-create a table a user deleted on purpose.
//! * Table there, a set missing: the set is created, as at start.
//! * New handles: the sets are new and empty, so the daemon must re-install every active ban
//!   ([`Changes::reinstall`]).
//!
//! Bans the kernel refused (a full set, a set without `flags timeout`) are worth another try
//! when a set of logjail's changes: created or deleted (`NEWSET`/`DELSET`, a re-declaration
//! with a larger `size`), or elements removed by somebody else (`DELSETELEM` from another
//! socket: room was made). [`Changes::retry`] says so. Events caused by logjail's own request
//! socket (their `nlmsg_pid` is its port id) are not reasons to retry, or a refused ban retried
//! by delete-and-add would retry itself for ever. Elements the kernel expires raise no event,
//! so a caller holding refused bans should also retry on a slow timer.

use super::Nft;
use crate::firewall::Error;
use crate::netlink::header::Message;
use crate::netlink::header::Messages;
use crate::netlink::msg_type;
use crate::netlink::reply::{self, Reply};
use nix::errno::Errno;

/// Receive buffer for events (one datagram may carry many messages).
const EVENT_BUFFER: usize = 64 * 1024;
/// Datagrams read per call, so a flood of events cannot starve the daemon loop.
const MAX_READS: usize = 256;

/// What the events read by [`Nft::poll_changes`] mean for the caller.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// The sets are new and empty: install every active ban again.
    pub reinstall: bool,
    /// A set changed or lost elements to somebody else: retry the bans it refused.
    pub retry: bool,
}

impl Nft {
    /// Reads every queued event and says what they mean (see [`Changes`]).
    pub fn poll_changes(&mut self) -> Result<Changes, Error> {
        let Some(sock) = self.events.take() else {
            return Ok(Changes::default());
        };
        let mut buf = core::mem::take(&mut self.event_buf);
        buf.resize(EVENT_BUFFER, 0);
        let (mut look, mut retry) = (false, false);
        let own = self.conn.port();
        let mut result = Ok(());
        for _ in 0..MAX_READS {
            match sock.recv(&mut buf) {
                Ok(n) => {
                    let c = concerns(
                        &buf[..n],
                        self.family,
                        &self.table,
                        [&self.set_v4, &self.set_v6],
                        own,
                    );
                    look |= c.reinstall;
                    retry |= c.retry;
                }
                Err(Errno::EAGAIN) => break,
                Err(Errno::EINTR) => continue,
                // Events were lost (overflow) or cut short: we cannot know what they said.
                Err(Errno::ENOBUFS) | Err(Errno::EMSGSIZE) => {
                    look = true;
                    retry = true;
                }
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
        let reinstall = look && self.recheck()?;
        Ok(Changes { reinstall, retry })
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

/// What an event datagram says about `table` (of `family`) and its `sets`: `reinstall` (look
/// again) when the table or one of the sets was created or deleted — or the datagram cannot
/// be read, in which case nobody knows what it said; `retry` also when another socket than
/// `own` (logjail's request socket) removed elements from one of the sets.
pub(crate) fn concerns(
    datagram: &[u8],
    family: u8,
    table: &str,
    sets: [&str; 2],
    own: Option<u32>,
) -> Changes {
    let all = Changes {
        reinstall: true,
        retry: true,
    };
    let mut c = Changes::default();
    for m in Messages::new(datagram) {
        let Ok(m) = m else { return all };
        let o = match reply::parse(m) {
            Ok(Reply::Object(o)) => o,
            Ok(_) => continue,
            Err(_) => return all,
        };
        if o.family != family || o.table != table.as_bytes() {
            continue;
        }
        let ours = o.set.is_some_and(|s| sets.iter().any(|n| n.as_bytes() == s));
        match o.msg {
            msg_type::NEWTABLE | msg_type::DELTABLE | msg_type::DESTROYTABLE => c = all,
            msg_type::NEWSET | msg_type::DELSET | msg_type::DESTROYSET if ours => c = all,
            msg_type::DELSETELEM if ours && !from(&m, own) => c.retry = true,
            _ => {}
        }
    }
    c
}

fn from(m: &Message<'_>, own: Option<u32>) -> bool {
    own.is_some_and(|p| p == m.pid())
}

#[cfg(test)]
mod tests {
    use super::{concerns, Changes};
    use crate::netlink::{family, vectors};

    fn reinstall(d: &[u8], fam: u8, table: &str) -> bool {
        concerns(d, fam, table, SETS, None).reinstall
    }

    const SETS: [&str; 2] = ["logjail_v4", "logjail_v6"];

    #[test]
    fn table_deletion_and_creation_concern_us() {
        for name in ["event_table_deleted", "event_table_created"] {
            let d = vectors::host(&vectors::load(name));
            assert!(reinstall(&d, family::INET, "fw4"), "{name}");
            assert!(!reinstall(&d, family::INET, "other"), "{name}: another table");
            assert!(!reinstall(&d, family::IPV4, "fw4"), "{name}: another family");
        }
    }

    #[test]
    fn our_own_elements_and_generations_do_not() {
        let d = vectors::host(&vectors::load("event_own_setelem"));
        assert_eq!(concerns(&d, family::INET, "fw4", SETS, None), Changes::default());
        assert!(!reinstall(&[], family::INET, "fw4"));
    }

    #[test]
    fn unreadable_datagrams_do() {
        let mut d = vectors::host(&vectors::load("event_own_setelem"));
        d.truncate(30);
        assert!(reinstall(&d, family::INET, "fw4"));
    }

    #[test]
    fn elements_removed_by_others_ask_for_a_retry_ours_do_not() {
        let d = vectors::host(&vectors::load("event_delsetelem_other"));
        let c = concerns(&d, family::INET, "fw4", SETS, None);
        assert_eq!((c.retry, c.reinstall), (true, false));
        let other = Some(1);
        assert!(concerns(&d, family::INET, "fw4", SETS, other).retry);
        // The captured event came from port 14905: had that been logjail's socket, no retry.
        assert_eq!(
            concerns(&d, family::INET, "fw4", SETS, Some(14905)),
            Changes::default()
        );
        assert!(
            !concerns(&d, family::INET, "fw4", ["a", "b"], None).retry,
            "another set"
        );
    }

    #[test]
    fn our_sets_recreated_ask_for_both_other_sets_for_nothing() {
        let d = vectors::host(&vectors::load("event_set_recreated"));
        let c = concerns(&d, family::INET, "fw4", SETS, None);
        assert_eq!((c.retry, c.reinstall), (true, true));
        let d = vectors::host(&vectors::load("event_newset_other_set"));
        assert_eq!(concerns(&d, family::INET, "fw4", SETS, None), Changes::default());
    }
}
