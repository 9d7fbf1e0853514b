//! Adding and removing set elements: chunked batches, refresh, per-element retry.
//!
//! Adding is done in rounds per chunk of elements:
//!
//! 1. One batch of `NEWSETELEM` messages with `NLM_F_EXCL`, each message holding as many
//!    elements as fit in a 60 000-byte nest. The common case — new offenders, or every ban
//!    re-installed into re-created sets — ends here.
//! 2. If that batch failed, the kernel has rolled it back and reported the failing messages.
//!    A failure that concerns the set itself (`ENOENT`: set or table missing) is reported at
//!    once. Otherwise the chunk is assumed to be already banned (a daemon restart re-installs
//!    what the kernel still holds): one batch deletes and re-adds it. A delete and an add of
//!    the same element in one transaction refreshes its timeout on every kernel (before 6.12
//!    a plain re-add keeps the old timeout).
//! 3. If that failed too, the chunk is mixed: every element is tried in a message of its own
//!    (still `NLM_F_EXCL`, one batch, rolled back again): `EEXIST` marks an element that is
//!    already banned, any other error a bad element, success a new one.
//! 4. Batches then delete each present element (one message each, so a miss is attributed) and
//!    add the present and new ones. Bad elements are left out and reported; the good ones land.
//!
//! Removing an element that is already gone (expired) is not an error.

use super::{shown, Nft, Refusal, BATCH_MESSAGES, ELEMS_NEST_BYTES};
use crate::firewall::Error;
use crate::netlink::attr::Emitable;
use crate::netlink::header::flags;
use crate::netlink::msg::{Element, ElemsRepr, SetRef};
use crate::netlink::{msg_type, WireError};

/// Elements per round-3 batch: each present one costs a delete message of its own.
const REPLACE_GROUP: usize = 100;

/// What round 2 learnt about one element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    New,
    Present,
    Bad(i32),
}

/// Errors that concern the whole set rather than one element.
fn set_level(errno: i32) -> bool {
    matches!(
        errno,
        libc::ENOENT | libc::EPERM | libc::EOPNOTSUPP | libc::EBUSY | libc::ENOSPC
    )
}

/// Elements `from..k` whose nest fits one message.
fn next_chunk(elems: &[Element], from: usize) -> usize {
    let mut bytes = 0;
    let mut k = from;
    while k < elems.len() {
        let n = elems[k].buffer_len();
        if k > from && bytes + n > ELEMS_NEST_BYTES {
            break;
        }
        bytes += n;
        k += 1;
    }
    k
}

impl Nft {
    fn push_elems(&mut self, msg: u8, extra: u16, v6: bool, elems: &[Element]) -> Result<u32, WireError> {
        let (table, set) = (self.table.clone(), self.set_name(v6).to_string());
        let r = ElemsRepr {
            table: &table,
            set: &set,
            set_id: None,
            elems,
            add: msg == msg_type::NEWSETELEM,
        };
        self.conn.batch().push(msg, extra, self.family, &r)
    }

    /// Adds (or refreshes) `elems` in the v4 or v6 set.
    /// Returns the elements the kernel refused, with its reasons; `Err` when the set itself
    /// failed (missing, not permitted), in which case nothing of that chunk was added.
    pub(super) fn add(&mut self, v6: bool, elems: &[Element]) -> Result<Vec<Refusal>, Error> {
        let mut first_err = None;
        let mut refused = Vec::new();
        let mut i = 0;
        while i < elems.len() {
            // Round 1: bulk, exclusive.
            self.conn.begin();
            let mut j = i;
            while j < elems.len() && self.conn.batch().messages() < BATCH_MESSAGES {
                let k = next_chunk(elems, j);
                match self.push_elems(
                    msg_type::NEWSETELEM,
                    flags::CREATE | flags::EXCL,
                    v6,
                    &elems[j..k],
                ) {
                    Ok(_) => j = k,
                    Err(WireError::Full) if j > i => break,
                    Err(e) => return Err(Error::Protocol { what: e.to_string() }),
                }
            }
            let failures = self.conn.transact().map_err(super::conn_error)?;
            if let Some(f) = failures.iter().find(|f| set_level(f.errno)) {
                self.lost |= f.errno == libc::ENOENT;
                return Err(self.set_error(v6, f.errno, "adding to"));
            }
            if !failures.is_empty() {
                match self.refresh(v6, &elems[i..j]) {
                    Ok(r) => refused.extend(r),
                    Err(e) => {
                        first_err.get_or_insert(e);
                    }
                }
            }
            i = j;
        }
        first_err.map_or(Ok(refused), Err)
    }

    /// Rounds 2 to 4 for one chunk.
    fn refresh(&mut self, v6: bool, elems: &[Element]) -> Result<Vec<Refusal>, Error> {
        let done = self.replace_all(v6, elems)?;
        let elems = &elems[done..];
        if elems.is_empty() {
            return Ok(Vec::new());
        }
        let mut states = self.classify(v6, elems)?;
        let mut done = vec![false; elems.len()];
        // Each group can fail once for a miss and once for a full set before it lands.
        for _ in 0..2 * (elems.len() / REPLACE_GROUP) + 3 {
            let (misses, full) = self.replace(v6, elems, &states, &mut done)?;
            if !full.is_empty() {
                // Round 3 ran against the set as it was; earlier groups have filled it since.
                let sub: Vec<Element> = full.iter().map(|&i| elems[i]).collect();
                let again = self.classify(v6, &sub)?;
                for (&i, s) in full.iter().zip(again) {
                    states[i] = s;
                }
                continue;
            }
            if misses.is_empty()
                && done
                    .iter()
                    .zip(&states)
                    .all(|(d, s)| *d || matches!(s, State::Bad(_)))
            {
                break;
            }
            // A "present" element the kernel could not delete either expired meanwhile (it is
            // new now) or was never there: its EEXIST came from overlapping another interval.
            let sub: Vec<Element> = misses.iter().map(|&i| elems[i]).collect();
            let again = self.classify(v6, &sub)?;
            for (&i, s) in misses.iter().zip(again) {
                states[i] = if s == State::Present {
                    State::Bad(libc::EEXIST)
                } else {
                    s
                };
            }
        }
        let bad: Vec<(&Element, i32)> = elems
            .iter()
            .zip(&states)
            .zip(&done)
            .filter_map(|((e, s), d)| match *s {
                State::Bad(errno) => Some((e, errno)),
                _ if !d => Some((e, libc::EAGAIN)),
                _ => None,
            })
            .collect();
        Ok(self.refusals(v6, &bad))
    }

    /// Round 2: delete and re-add every element, batch by batch; returns how many leading
    /// elements are done (all of them unless a batch failed).
    fn replace_all(&mut self, v6: bool, elems: &[Element]) -> Result<usize, Error> {
        let mut i = 0;
        while i < elems.len() {
            self.conn.begin();
            let start = i;
            while i < elems.len() && self.conn.batch().messages() + 2 <= BATCH_MESSAGES {
                let k = next_chunk(elems, i);
                let mark = self.conn.batch().mark();
                let pushed = self.push_elems(msg_type::DELSETELEM, 0, v6, &elems[i..k]).is_ok()
                    && self
                        .push_elems(msg_type::NEWSETELEM, flags::CREATE, v6, &elems[i..k])
                        .is_ok();
                if !pushed {
                    self.conn.batch().rewind(mark);
                    break;
                }
                i = k;
            }
            if i == start || !self.conn.transact().map_err(super::conn_error)?.is_empty() {
                return Ok(start);
            }
        }
        Ok(i)
    }

    /// Round 3: each element alone in an exclusive add; the batch is rolled back.
    fn classify(&mut self, v6: bool, elems: &[Element]) -> Result<Vec<State>, Error> {
        let mut states = vec![State::New; elems.len()];
        let mut i = 0;
        while i < elems.len() {
            self.conn.begin();
            let mut seqs: Vec<(u32, usize)> = Vec::new();
            while i < elems.len() && self.conn.batch().messages() < BATCH_MESSAGES {
                match self.push_elems(
                    msg_type::NEWSETELEM,
                    flags::CREATE | flags::EXCL,
                    v6,
                    &elems[i..=i],
                ) {
                    Ok(seq) => seqs.push((seq, i)),
                    Err(WireError::Full) if !seqs.is_empty() => break,
                    Err(e) => return Err(Error::Protocol { what: e.to_string() }),
                }
                i += 1;
            }
            for f in self.conn.transact().map_err(super::conn_error)? {
                if set_level(f.errno) {
                    return Err(self.set_error(v6, f.errno, "adding to"));
                }
                if let Some(&(_, idx)) = seqs.iter().find(|(s, _)| *s == f.seq) {
                    states[idx] = if f.errno == libc::EEXIST {
                        State::Present
                    } else {
                        State::Bad(f.errno)
                    };
                }
            }
        }
        Ok(states)
    }

    /// Round 4: per group, delete each present element (one message each, so a miss is
    /// attributed) and add the group. Returns the present elements that could not be deleted,
    /// or the group that did not fit the set (`ENFILE`: round 3 saw the set before earlier
    /// groups filled it); that group was rolled back and stays not `done`.
    fn replace(
        &mut self,
        v6: bool,
        elems: &[Element],
        states: &[State],
        done: &mut [bool],
    ) -> Result<(Vec<usize>, Vec<usize>), Error> {
        let pending: Vec<usize> = (0..elems.len())
            .filter(|&i| !done[i] && !matches!(states[i], State::Bad(_)))
            .collect();
        for group in pending.chunks(REPLACE_GROUP) {
            self.conn.begin();
            let mut dels: Vec<(u32, usize)> = Vec::new();
            for &i in group.iter().filter(|&&i| states[i] == State::Present) {
                let seq = self
                    .push_elems(msg_type::DELSETELEM, 0, v6, &elems[i..=i])
                    .map_err(|e| Error::Protocol { what: e.to_string() })?;
                dels.push((seq, i));
            }
            let adds: Vec<Element> = group.iter().map(|&i| elems[i]).collect();
            let mut j = 0;
            while j < adds.len() {
                let k = next_chunk(&adds, j);
                self.push_elems(msg_type::NEWSETELEM, flags::CREATE, v6, &adds[j..k])
                    .map_err(|e| Error::Protocol { what: e.to_string() })?;
                j = k;
            }
            let failures = self.conn.transact().map_err(super::conn_error)?;
            let misses: Vec<usize> = failures
                .iter()
                .filter(|f| f.errno == libc::ENOENT)
                .filter_map(|f| dels.iter().find(|(s, _)| *s == f.seq).map(|&(_, i)| i))
                .collect();
            if misses.is_empty() && failures.iter().any(|f| f.errno == libc::ENFILE) {
                return Ok((Vec::new(), group.to_vec()));
            }
            // Without a miss to explain it, any failure is the set's problem.
            if let (true, Some(f)) = (misses.is_empty(), failures.first()) {
                return Err(self.set_error(v6, f.errno, "refreshing elements of"));
            }
            if !failures.is_empty() {
                return Ok((misses, Vec::new()));
            }
            group.iter().for_each(|&i| done[i] = true);
        }
        Ok((Vec::new(), Vec::new()))
    }

    /// Sends the batch; the errno of its first failure, an element or set already gone (an
    /// expired ban, a set flushed already) excepted.
    fn transact_tolerating_gone(&mut self) -> Result<Option<i32>, Error> {
        let failures = self.conn.transact().map_err(super::conn_error)?;
        Ok(failures.first().map(|f| f.errno).filter(|&e| e != libc::ENOENT))
    }

    /// Deletes one element; an element (or set) that is already gone is fine.
    pub(super) fn remove(&mut self, v6: bool, e: &Element) -> Result<(), Error> {
        self.remove_reporting(v6, e).map(drop)
    }

    /// Deletes one element; `Ok(false)` when the kernel did not hold it (`ENOENT`: the
    /// element, or its whole set, is gone).
    pub(super) fn remove_reporting(&mut self, v6: bool, e: &Element) -> Result<bool, Error> {
        self.conn.begin();
        self.push_elems(msg_type::DELSETELEM, 0, v6, core::slice::from_ref(e))
            .map_err(|w| Error::Protocol { what: w.to_string() })?;
        let failures = self.conn.transact().map_err(super::conn_error)?;
        match failures.first().map(|f| f.errno) {
            None => Ok(true),
            Some(libc::ENOENT) => Ok(false),
            Some(errno) => Err(Error::Kernel {
                what: format!(
                    "removing {} from set {} in {}",
                    shown(&e.host),
                    self.set_name(v6),
                    self.table_words()
                ),
                errno,
            }),
        }
    }

    /// Empties one set (`DELSETELEM` without elements).
    pub(super) fn flush_set(&mut self, v6: bool) -> Result<(), Error> {
        let (table, set) = (self.table.clone(), self.set_name(v6).to_string());
        self.conn.begin();
        let body = SetRef {
            table: &table,
            set: &set,
        };
        self.conn
            .batch()
            .push(msg_type::DELSETELEM, 0, self.family, &body)
            .map_err(|w| Error::Protocol { what: w.to_string() })?;
        match self.transact_tolerating_gone()? {
            None => Ok(()),
            Some(errno) => Err(self.set_error(v6, errno, "flushing")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::Host;
    use crate::netlink::attr::Writer;

    #[test]
    fn chunks_keep_every_nest_below_64_kib() {
        let elems: Vec<Element> = (0..5000u32)
            .map(|i| {
                let net = (0x2001_0db8u128 << 96) | (u128::from(i) << 64);
                Element {
                    host: Host::V6(net.into(), 64),
                    timeout_ms: Some(1000),
                }
            })
            .collect();
        let mut buf = vec![0u8; 1 << 17];
        let (mut i, mut messages) = (0, 0);
        while i < elems.len() {
            let k = next_chunk(&elems, i);
            assert!(k > i);
            let mut w = Writer::new(&mut buf);
            let r = ElemsRepr {
                table: "fw4",
                set: "logjail_v6",
                set_id: None,
                elems: &elems[i..k],
                add: true,
            };
            r.emit(&mut w).expect("a chunk always fits one nest");
            assert!(
                w.len() <= 65_535 && w.len() > 50_000 || k == elems.len(),
                "{}",
                w.len()
            );
            i = k;
            messages += 1;
        }
        assert_eq!(messages, 7, "5000 elements of 76 bytes in 60 000-byte nests");
    }
}
