//! The one function that applies the engine's [`Action`]s to the firewall backend and tells
//! the state keeper something changed.
//!
//! Consecutive blocks go in one batch ([`Firewall::block_report`]); the bans the kernel
//! refused go back to the engine with the kernel's reason ([`Engine::refused`]) so `list` and
//! `status` can say so and the event loop can try them again. [`Action::Lift`] and
//! [`Action::ReleaseAll`] work on what the sets hold, whatever the engine remembers; what they
//! removed comes back in [`Applied`] for the control client that asked.

use crate::addr::Host;
use crate::engine::{Action, Engine};
use crate::firewall::{Ban, Error, Firewall, Refusal};
use crate::state::keeper::Keeper;

/// What applying a buffer of actions did.
#[derive(Debug, Default)]
pub struct Applied {
    /// The first backend error (each is logged and counted).
    pub error: Option<Error>,
    /// Hosts [`Action::Lift`] removed from the sets.
    pub lifted: Vec<Host>,
    /// How many hosts [`Action::ReleaseAll`] found in the sets.
    pub emptied: Option<usize>,
    /// Bans the kernel refused (also handed to the engine).
    pub refused: Vec<Refusal>,
}

/// Applies `actions` (and empties the buffer). See the module text.
pub fn apply(
    actions: &mut Vec<Action>,
    fw: &mut dyn Firewall,
    engine: &mut Engine,
    keeper: Option<&mut Keeper>,
) -> Applied {
    let mut out = Applied::default();
    if actions.is_empty() {
        return out;
    }
    if let Some(k) = keeper {
        k.mark();
    }
    let failed = |e: Error, engine: &mut Engine, out: &mut Applied| {
        engine.counters.firewall_errors += 1;
        out.error.get_or_insert(e);
    };
    let mut bans: Vec<Ban> = Vec::new();
    let mut it = actions.drain(..).peekable();
    while let Some(a) = it.next() {
        match a {
            Action::Block { ban } => {
                bans.push(ban);
                if matches!(it.peek(), Some(Action::Block { .. })) {
                    continue;
                }
                match fw.block_report(&bans) {
                    Ok(refused) => {
                        for r in refused {
                            let jail = bans.iter().find(|b| b.host == r.host).map(|b| b.jail.clone());
                            if let Some(j) = jail {
                                engine.refused(&j, r.host, &r.reason);
                            }
                            out.refused.push(r);
                        }
                    }
                    Err(e) => {
                        match bans.as_slice() {
                            [one] => log::error!("{}: ban {}: {e}", one.jail, one.host),
                            many => log::error!("installing {} bans: {e}", many.len()),
                        }
                        failed(e, engine, &mut out);
                    }
                }
                bans.clear();
            }
            Action::Release { jail, host } => {
                if let Err(e) = fw.release(&jail, host) {
                    log::error!("{jail}: unban {host}: {e}");
                    failed(e, engine, &mut out);
                }
            }
            Action::Lift { host } => match fw.lift(host) {
                Ok(gone) => {
                    for h in &gone {
                        log::info!("{h}: removed from the firewall's sets (manual unban)");
                    }
                    out.lifted.extend(gone);
                }
                Err(e) => {
                    log::error!("unban {host}: {e}");
                    failed(e, engine, &mut out);
                }
            },
            Action::ReleaseAll => match fw.lift_all() {
                Ok(n) => {
                    *out.emptied.get_or_insert(0) += n;
                }
                Err(e) => {
                    log::error!("emptying the sets: {e}");
                    failed(e, engine, &mut out);
                }
            },
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, JailConfig};
    use crate::firewall::jail_name;

    /// A backend that records calls, fails blocks when `fail` is set and refuses the hosts in
    /// `refuse`.
    #[derive(Default)]
    struct Recorder {
        log: Vec<String>,
        fail: bool,
        refuse: Vec<Host>,
        held: Vec<Host>,
    }

    impl Firewall for Recorder {
        fn init(&mut self) -> Result<(), Error> {
            Ok(())
        }
        fn block(&mut self, b: &Ban) -> Result<(), Error> {
            self.block_many(core::slice::from_ref(b))
        }
        fn block_many(&mut self, bans: &[Ban]) -> Result<(), Error> {
            self.block_report(bans).map(|_| ())
        }
        fn block_report(&mut self, bans: &[Ban]) -> Result<Vec<Refusal>, Error> {
            self.log.push(format!("block {}", bans.len()));
            if self.fail {
                return Err(Error::Kernel {
                    what: "set logjail_v4 not found in table inet fw4".into(),
                    errno: 2,
                });
            }
            Ok(bans
                .iter()
                .filter(|b| self.refuse.contains(&b.host))
                .map(|b| Refusal {
                    host: b.host,
                    errno: libc::ENFILE,
                    reason: "set logjail_v4 in table inet fw4 is full (size 2)".into(),
                })
                .collect())
        }
        fn release(&mut self, jail: &str, host: Host) -> Result<(), Error> {
            self.log.push(format!("release {jail} {host}"));
            Ok(())
        }
        fn lift(&mut self, host: Host) -> Result<Vec<Host>, Error> {
            self.log.push(format!("lift {host}"));
            let gone: Vec<Host> = self.held.iter().copied().filter(|h| *h == host).collect();
            self.held.retain(|h| *h != host);
            Ok(gone)
        }
        fn lift_all(&mut self) -> Result<usize, Error> {
            self.log.push("flush".into());
            Ok(core::mem::take(&mut self.held).len())
        }
        fn flush(&mut self) -> Result<(), Error> {
            self.lift_all().map(|_| ())
        }
        fn fin(&mut self) -> Result<(), Error> {
            Ok(())
        }
    }

    fn host(a: &str) -> Host {
        Host::parse(a).expect("host")
    }

    fn block(a: &str) -> Action {
        Action::Block {
            ban: Ban::new("dropbear", host(a), Some(60)),
        }
    }

    fn engine() -> Engine {
        let c = Config {
            jails: vec![JailConfig::new("dropbear")],
            ..Config::default()
        };
        Engine::new(&c, &[], 1).expect("engine")
    }

    #[test]
    fn consecutive_blocks_go_in_one_batch_in_order() {
        let mut fw = Recorder {
            held: vec![host("192.0.2.5")],
            ..Recorder::default()
        };
        let mut e = engine();
        let mut actions = vec![
            block("192.0.2.1"),
            block("192.0.2.2"),
            Action::Release {
                jail: jail_name("dropbear"),
                host: host("192.0.2.3"),
            },
            block("192.0.2.4"),
            Action::Lift {
                host: host("192.0.2.5"),
            },
            Action::ReleaseAll,
        ];
        let done = apply(&mut actions, &mut fw, &mut e, None);
        assert!(done.error.is_none());
        assert!(actions.is_empty());
        assert_eq!(done.lifted, [host("192.0.2.5")]);
        assert_eq!(done.emptied, Some(0));
        assert_eq!(
            fw.log,
            [
                "block 2",
                "release dropbear 192.0.2.3",
                "block 1",
                "lift 192.0.2.5",
                "flush"
            ]
        );
    }

    #[test]
    fn a_backend_error_is_counted_returned_and_the_rest_goes_on() {
        let mut fw = Recorder {
            fail: true,
            ..Recorder::default()
        };
        let mut e = engine();
        let mut actions = vec![block("192.0.2.1"), Action::ReleaseAll, block("192.0.2.2")];
        let done = apply(&mut actions, &mut fw, &mut e, None);
        let err = done.error.expect("error");
        assert!(err.to_string().contains("logjail_v4"), "{err}");
        assert_eq!(e.counters.firewall_errors, 2);
        assert_eq!(fw.log, ["block 1", "flush", "block 1"]);
    }

    #[test]
    fn refusals_reach_the_engine_with_the_reason_and_are_retried() {
        use crate::clock::Now;
        use crate::engine::{BanRequest, BanTime};
        let now = Now {
            wall: 1_795_860_000,
            mono_ms: 1000,
        };
        let mut fw = Recorder {
            refuse: vec![host("192.0.2.2")],
            ..Recorder::default()
        };
        let mut e = engine();
        let mut actions = Vec::new();
        for a in ["192.0.2.1", "192.0.2.2"] {
            let req = BanRequest {
                jail: "dropbear",
                addr: a,
                time: BanTime::Seconds(600),
                force: false,
            };
            e.ban(req, &[], now, &mut actions).expect("ban");
        }
        let done = apply(&mut actions, &mut fw, &mut e, None);
        assert!(done.error.is_none());
        assert_eq!(done.refused.len(), 1);
        assert_eq!(e.counters.refused, 1);
        let waiting: Vec<_> = e.refusals(now).map(|(r, d)| (r.reason.clone(), d.host)).collect();
        assert_eq!(
            waiting,
            [(
                "set logjail_v4 in table inet fw4 is full (size 2)".to_string(),
                host("192.0.2.2")
            )]
        );
        assert!(e.is_refused("dropbear", &host("192.0.2.2")));
        // Room is made: the retry blocks only the refused ban, and it lands.
        fw.refuse.clear();
        assert_eq!(e.retry(now, &mut actions), 1);
        assert_eq!(actions, [block_600("192.0.2.2")]);
        apply(&mut actions, &mut fw, &mut e, None);
        assert!(!e.has_refused());
        assert_eq!(e.retry(now, &mut actions), 0);
    }

    fn block_600(a: &str) -> Action {
        Action::Block {
            ban: Ban::new("dropbear", host(a), Some(600)),
        }
    }
}
