//! What the state file keeps: the engine's bans and offender records, taken and put back.
//! Recidive's bans travel as a jail named [`recidive::NAME`] (its ban history does not).

use super::{release, Action, Engine, Why};
use crate::addr::Host;
use crate::clock::Now;
use crate::jail::recidive;
use crate::jail::{Decision, Offender};
use crate::state::{elapsed, BanRecord, HostRec, JailState, OffenderRecord, Snapshot, FAR};

/// What [`Engine::restore`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Restored {
    pub bans: usize,
    pub expired: usize,
    pub offenders: usize,
    /// Bans whose jail is gone or whose host is now ignored: `(jail, host)`, lifted.
    pub lift: Vec<(String, Host)>,
}

fn record(d: &Decision, clock: i64) -> BanRecord {
    BanRecord {
        host: HostRec::new(&d.host),
        start: d.start,
        duration: d.duration,
        remaining: d.remaining(clock),
        count: d.count,
    }
}

/// The saved ban `b` as a decision at `clock`, `gone` seconds after the save; `None` when it
/// is over.
fn decision(b: &BanRecord, clock: i64, gone: i64) -> Option<Decision> {
    let host = b.host.host();
    Some(match b.duration {
        Some(dur) => {
            let left = i64::from(b.remaining.unwrap_or(dur).min(dur)) - gone;
            if left <= 0 {
                return None;
            }
            Decision {
                host,
                start: clock - (i64::from(dur) - left),
                duration: Some(dur),
                count: b.count.max(1),
            }
        }
        None => Decision {
            host,
            start: b.start.clamp(clock - FAR, clock),
            duration: None,
            count: b.count.max(1),
        },
    })
}

impl Engine {
    /// The bans and offender records at `now`. Bans already over are left out.
    pub fn snapshot(&self, now: Now) -> Snapshot {
        let clock = self.clock.at(now);
        let mut jails: Vec<JailState> = self
            .jails
            .iter()
            .map(|j| JailState {
                name: j.name.clone(),
                bans: j
                    .bans()
                    .filter(|d| d.remaining(clock) != Some(0))
                    .map(|d| record(d, clock))
                    .collect(),
                offenders: j
                    .offenders()
                    .map(|(h, o)| OffenderRecord {
                        host: HostRec::new(h),
                        bans: o.bans,
                        last: o.last,
                        until_rel: o.until.saturating_sub(clock),
                    })
                    .collect(),
            })
            .collect();
        if let Some(r) = &self.recidive {
            jails.push(JailState {
                name: recidive::NAME.into(),
                bans: r
                    .bans()
                    .filter(|d| d.remaining(clock) != Some(0))
                    .map(|d| record(d, clock))
                    .collect(),
                offenders: Vec::new(),
            });
        }
        Snapshot {
            saved_at: now.wall,
            jails,
            mark: self.history.mark(),
            boot: None,
        }
    }

    /// Puts `snap` into this freshly built engine at `now`: each ban with what it has left
    /// (see [`elapsed`]); bans whose jail is gone or whose host is now ignored are released;
    /// then every active ban is blocked again.
    pub fn restore(&mut self, snap: &Snapshot, now: Now, out: &mut Vec<Action>) -> Restored {
        self.clock.tick(now);
        let clock = self.clock.at(now);
        let gone = elapsed(snap.saved_at, now.wall);
        self.history.restore(snap.mark);
        let mut r = Restored::default();
        for js in &snap.jails {
            if js.name == recidive::NAME && !self.jails.iter().any(|j| j.name == js.name) {
                for b in js.bans.iter().rev() {
                    if !b.host.host().can_offend() {
                        r.lift.push((js.name.clone(), b.host.host()));
                        continue;
                    }
                    match (self.recidive.as_mut(), decision(b, clock, gone)) {
                        (_, None) => r.expired += 1,
                        (Some(rec), Some(d)) => {
                            rec.restore(d);
                            r.bans += 1;
                        }
                        (None, Some(d)) => r.lift.push((js.name.clone(), d.host)),
                    }
                }
                continue;
            }
            let Some(jail) = self.jails.iter_mut().find(|j| j.name == js.name) else {
                r.lift
                    .extend(js.bans.iter().map(|b| (js.name.clone(), b.host.host())));
                continue;
            };
            for o in js.offenders.iter().rev() {
                let until = clock.saturating_add(o.until_rel).saturating_sub(gone);
                let rec = Offender {
                    bans: o.bans.max(1),
                    last: o.last,
                    until,
                };
                jail.restore_offender(o.host.host(), rec);
                r.offenders += 1;
            }
            for b in js.bans.iter().rev() {
                let host = b.host.host();
                // A file from before the hardening may hold bans of addresses that are no
                // host's (0.0.0.0, multicast, …): never put back, lifted from the firewall.
                if jail.is_ignored(&host) || !host.can_offend() {
                    r.lift.push((js.name.clone(), host));
                    continue;
                }
                match decision(b, clock, gone) {
                    Some(d) => {
                        jail.restore(d);
                        r.bans += 1;
                    }
                    None => r.expired += 1,
                }
            }
        }
        log::info!(
            "state: {} bans restored, {} expired while we were away, {} repeat offenders remembered",
            r.bans,
            r.expired,
            r.offenders
        );
        for (jail, host) in &r.lift {
            release(out, jail, *host, Why::Saved);
        }
        self.reinstall(now, out);
        r
    }
}
