//! The engine of decisions: lines, ticks and requests in, actions out. No clock, no file, no
//! socket.
//!
//! [`Engine`] holds the filters, the jails and recidive. It is fed raw lines with the time
//! they arrived ([`Engine::line`]), ticks ([`Engine::tick`]) and requests (manual
//! [`ban`](Engine::ban)/[`unban`](Engine::unban), [`reload`](Engine::reload) with a new
//! configuration, [`restore`](Engine::restore) from a snapshot, [`reinstall`](Engine::reinstall)
//! after the kernel lost its sets, and later decisions from outside such as CrowdSec, each
//! with its [`Origin`]). What the firewall should do comes out as [`Action`]s pushed onto a
//! buffer the caller owns and then applies (the event loop has one function for that; the
//! dry-run backend is just another backend). [`Engine::snapshot`] is what the state file keeps.
//!
//! **Bounds.** One line pushes at most two actions per jail fed by its filters plus the
//! expiries due; a request at most one per ban held (the jail tables are sized at start).
//!
//! **Time.** See [`time`]: failures count at their line's time, expiry runs on the event
//! clock, lines from the future are not believed, and the kernel is told what a ban has left
//! by the trusted wall clock ([`Engine::ban_view`], the one place that is computed).
//!
//! **Dispatch.** Each filter runs once per line, and only when it declares the line's program
//! (lines without a program reach every filter). logjail's own log lines are dropped first.
//!
//! **History.** A log command that replays its recent lines when it starts (`logread -l N -f`)
//! is announced with [`Engine::replay`]; replayed lines that were judged before are skipped or
//! only recounted (see [`history`]).

pub mod history;
pub mod lapi;
mod own;
mod refused;
mod requests;
mod say;
mod setup;
mod snapshot;
#[cfg(test)]
mod tests;
pub mod time;

pub use refused::{Refused, MAX_REFUSED, REASON_MAX, RETRY_MS};
pub use requests::{BanRequest, BanTime, RequestError};
pub use setup::SetupError;
pub use snapshot::Restored;

use crate::addr::{Cidr, Host};
use crate::clock::Now;
use crate::config::Config;
use crate::filter::dispatch::Dispatch;
use crate::filter::{self, Filter, Outcome};
use crate::firewall::{jail_name, Ban, JailName};
use crate::jail::recidive::{self, Recidive};
use crate::jail::{Decision, Jail, Verdict};
use crate::line;
use crate::logging::TAG;
use say::{release, Lasting, Why};
use time::EventClock;

/// What the firewall backend should do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Put `ban.host` into the sets for `ban.timeout`.
    Block { ban: Ban },
    /// Take `host` out of the sets (whether or not the engine had a record of it).
    Release { jail: JailName, host: Host },
    /// Take every element overlapping `host` out of the sets, whichever jail put it there and
    /// whether or not the engine knew it (`unban ADDR`: elements left by a crash or added by
    /// hand go too).
    Lift { host: Host },
    /// Take every element out of logjail's sets (`unban --all`), unknown ones included.
    ReleaseAll,
}

/// Where a decision came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A jail counted failures in the log.
    Log,
    /// `logjail ban` / `unban` on the control socket.
    Manual,
    /// A decision of CrowdSec's Local API (see [`lapi`]).
    Lapi,
}

/// Running counters for `status`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub lines: u64,
    pub matched: u64,
    pub firewall_errors: u64,
    /// Bans the kernel refused (each refusal of each try).
    pub refused: u64,
}

pub struct Engine {
    filters: Vec<Filter>,
    /// Which filters a program reaches.
    dispatch: Dispatch,
    /// `jails_of[i]`: indices of the jails fed by `filters[i]`.
    jails_of: Vec<Vec<usize>>,
    pub jails: Vec<Jail>,
    /// Hosts banned often across all jails (`recidive_maxbans`); `None` when off.
    pub recidive: Option<Recidive>,
    /// `ignoreself[i]`: jail `i` ignores the router's own addresses.
    ignoreself: Vec<bool>,
    /// The router's own addresses as last told ([`Engine::set_own`]), loopback included.
    own: Vec<Cidr>,
    /// Bans the kernel refused, with why, until retried (see [`refused`]).
    refused: Vec<Refused>,
    clock: EventClock,
    /// Seconds east of UTC of the router's zone, for lines stamped in local time.
    utc_offset: i64,
    pub counters: Counters,
    /// The last line judged, and the replay of a restarted source in progress.
    history: history::History,
    /// CrowdSec LAPI's bans, when `config crowdsec` is enabled (see [`lapi`]).
    pub lapi: Option<lapi::LapiBans>,
}

/// Loopback is never banned, whatever the configuration says.
pub fn loopback() -> [Cidr; 2] {
    [
        Cidr::new([127, 0, 0, 0].into(), 8),
        Cidr::new(core::net::Ipv6Addr::LOCALHOST.into(), 128),
    ]
}

impl Engine {
    /// Builds filters and jails from `config`, reading filters with the default loader
    /// ([`filter::load_with`]: built-in, or a file in `filter_dir`, in the jail's mode and with
    /// its extra program names). See [`Engine::with_loader`].
    pub fn new(config: &Config, own: &[Cidr], seed: u64) -> Result<Engine, SetupError> {
        let dir = config.main.filter_dir.clone();
        Engine::with_loader(config, own, seed, &mut |name, options| {
            filter::load_with(name, &dir, options)
        })
    }

    /// Builds filters and jails from `config`; `load` turns a jail's filter name and options
    /// (mode, extra programs) into a [`Filter`] (the shell's file access, or a test's table).
    /// Jails share a filter only when name, mode and programs are the same. `own` are the
    /// router's own addresses (used for jails with `ignoreself`), `seed` keys the jail tables'
    /// hashes.
    pub fn with_loader(
        config: &Config,
        own: &[Cidr],
        seed: u64,
        load: &mut dyn FnMut(&str, &filter::Options) -> Result<Filter, filter::FilterError>,
    ) -> Result<Engine, SetupError> {
        let mut loaded: Vec<(String, filter::Options)> = Vec::new();
        let mut filters: Vec<Filter> = Vec::new();
        let mut jails_of: Vec<Vec<usize>> = Vec::new();
        let mut jails = Vec::new();
        let mut ignoreself = Vec::new();
        for (n, jc) in config.jails.iter().filter(|j| j.enabled).enumerate() {
            let key = (jc.filter.clone(), jc.filter_options());
            let fi = match loaded.iter().position(|k| *k == key) {
                Some(i) => i,
                None => {
                    let f = load(&jc.filter, &key.1).map_err(|error| SetupError::Filter {
                        jail: jc.name.clone(),
                        line: jc.line_of(&error),
                        error,
                    })?;
                    loaded.push(key);
                    filters.push(f);
                    jails_of.push(Vec::new());
                    filters.len() - 1
                }
            };
            let mut ignore: Vec<Cidr> = loopback().to_vec();
            ignore.extend_from_slice(&config.main.ignoreip);
            ignore.extend_from_slice(&jc.ignoreip);
            jails_of[fi].push(jails.len());
            let mut jail = Jail::with(
                &jc.name,
                jc.params(),
                ignore,
                jc.capacity(),
                seed.rotate_left(n as u32 * 7),
            );
            if jc.ignoreself {
                jail.set_own(own);
            }
            jails.push(jail);
            ignoreself.push(jc.ignoreself);
        }
        if jails.is_empty() {
            return Err(SetupError::NoJails);
        }
        Ok(Engine {
            dispatch: Dispatch::new(&filters),
            filters,
            jails_of,
            jails,
            recidive: config
                .main
                .recidive
                .map(|p| Recidive::new(p, seed.rotate_left(29))),
            ignoreself,
            own: own.to_vec(),
            refused: Vec::new(),
            clock: EventClock::new(),
            utc_offset: 0,
            counters: Counters::default(),
            history: history::History::default(),
            lapi: config
                .crowdsec
                .as_ref()
                .filter(|c| c.enabled)
                .map(|c| lapi::LapiBans::new(c.max_decisions, &config.main.ignoreip)),
        })
    }

    /// Sets the local zone's offset from UTC (seconds east), read by the event loop.
    pub fn set_utc_offset(&mut self, seconds: i64) {
        self.utc_offset = seconds;
    }

    /// The event clock at `now` (see [`time`]).
    pub fn clock(&self, now: Now) -> i64 {
        self.clock.at(now)
    }

    /// The ban `d` of `jail` as the backend should see it at `now`: what the kernel should hold
    /// (by the trusted wall clock) and what is left by the event clock. The one place this is
    /// computed.
    pub fn ban_view(&self, jail: &str, d: &Decision, now: Now) -> Ban {
        Ban {
            jail: jail_name(jail),
            host: d.host,
            timeout: d.remaining(self.clock.trusted_wall(now)),
            left: d.remaining(self.clock.at(now)),
            replace: false,
        }
    }

    /// Start number `generation` of the log source, which first replays up to `lines` old
    /// lines (see [`history`]); the same generation again is a no-op, so the loop may say it
    /// every turn.
    pub fn replay(&mut self, generation: u64, lines: u32) {
        self.history.begin(generation, lines);
    }

    /// One raw log line that arrived at `now`.
    pub fn line(&mut self, raw: &[u8], now: Now, out: &mut Vec<Action>) {
        self.counters.lines += 1;
        let l = line::parse(raw, now.wall);
        let seen = self.history.judge(l.time);
        if l.program == TAG.as_bytes() || seen == history::Seen::Skip {
            return;
        }
        let recount = seen == history::Seen::Recount;
        let t = l.time.map(|t| if l.local { t - self.utc_offset } else { t });
        let at = self.clock.line(t, now);
        self.expire(now, out);
        let mut asked = self.dispatch.cursor(l.program);
        while let Some(fi) = self.dispatch.next(&mut asked, l.program) {
            let Outcome::Match(m) = self.filters[fi].check(l.message) else {
                continue;
            };
            self.counters.matched += 1;
            let role = self.filters[fi].role(m.rule);
            for k in 0..self.jails_of[fi].len() {
                let ji = self.jails_of[fi][k];
                let verdict = if recount {
                    self.jails[ji].recount(m.addr, at, role)
                } else {
                    self.jails[ji].failure_as(m.addr, at, role)
                };
                match verdict {
                    Verdict::Ban(d) => {
                        self.block(ji, &d, now, Origin::Log, out);
                    }
                    Verdict::Counted { failures } => {
                        log::debug!(
                            "{}: {} failure {failures}/{}",
                            self.jails[ji].name,
                            m.addr,
                            self.jails[ji].params.maxretry
                        )
                    }
                    Verdict::Ignored => {
                        log::debug!("{}: {} is on the ignore list", self.jails[ji].name, m.addr)
                    }
                    Verdict::SameAttempt => {
                        log::debug!("{}: {} same attempt", self.jails[ji].name, m.addr)
                    }
                    Verdict::AlreadyBanned => {}
                }
            }
        }
    }

    /// Time passes: bans whose end the event clock has reached are lifted.
    pub fn tick(&mut self, now: Now, out: &mut Vec<Action>) {
        self.clock.tick(now);
        self.expire(now, out);
    }

    fn expire(&mut self, now: Now, out: &mut Vec<Action>) {
        let clock = self.clock.at(now);
        if let Some(t) = self.lapi.as_mut() {
            t.tick(self.clock.trusted_wall(now));
        }
        let Engine {
            jails,
            recidive,
            lapi,
            ..
        } = self;
        for j in jails.iter_mut() {
            j.expire(clock, |name, d| {
                if recidive.as_ref().is_some_and(|r| r.holds(d.host)) {
                    log::info!("{name}: ban of {} ended; {} holds it", d.host, recidive::NAME);
                    return;
                }
                if lapi.as_ref().is_some_and(|t| t.holds(&d.host)) {
                    log::info!("{name}: ban of {} ended; {} holds it", d.host, lapi::JAIL);
                    return;
                }
                release(out, name, d.host, Why::Expired);
            });
        }
        if let Some(r) = recidive {
            r.expire(clock, |d| release(out, recidive::NAME, d.host, Why::Expired));
        }
    }

    /// Pushes the block of jail `ji`'s new ban `d`, and recidive's when `d` makes a recidivist.
    fn block(&mut self, ji: usize, d: &Decision, now: Now, origin: Origin, out: &mut Vec<Action>) {
        let ban = self.ban_view(&self.jails[ji].name, d, now);
        let what = match origin {
            Origin::Log => "ban",
            Origin::Manual => "manual ban of",
            Origin::Lapi => "LAPI ban of",
        };
        if ban.timeout == Some(0) {
            log::info!(
                "{}: {} crossed maxretry in an old line; its ban is already over",
                ban.jail,
                d.host
            );
        } else {
            log::info!(
                "{}: {what} {} {} (ban #{})",
                ban.jail,
                d.host,
                Lasting(d.duration),
                d.count
            );
        }
        out.push(Action::Block { ban });
        self.recidive_ban(d, now, out);
    }

    /// Feeds a jail's ban to recidive; a recidivist's element is replaced by one with the long
    /// timeout.
    fn recidive_ban(&mut self, d: &Decision, now: Now, out: &mut Vec<Action>) {
        let Some(rd) = self.recidive.as_mut().and_then(|r| r.ban(d.host, d.start)) else {
            return;
        };
        let mut ban = self.ban_view(recidive::NAME, &rd, now);
        if ban.left == Some(0) {
            return;
        }
        log::info!(
            "{}: ban {} {} ({} bans within {}s)",
            recidive::NAME,
            rd.host,
            Lasting(rd.duration),
            rd.count,
            self.recidive.as_ref().map_or(0, |r| r.params.findtime)
        );
        ban.replace = true;
        out.push(Action::Block { ban });
    }

    /// Every active ban (recidive's first, then each jail's not held by recidive) as the
    /// backend should see it at `now`. LAPI's are not in it (tens of thousands: see
    /// [`Engine::lapi_bans`] and [`Engine::lapi_drain`]).
    pub fn active(&self, now: Now) -> Vec<Ban> {
        let held = |h| self.recidive.as_ref().is_some_and(|r| r.holds(h));
        let rec = self
            .recidive
            .iter()
            .flat_map(|r| r.bans())
            .map(|d| self.ban_view(recidive::NAME, d, now));
        let jails = self.jails.iter().flat_map(|j| {
            j.bans()
                .filter(move |d| !held(d.host))
                .map(move |d| self.ban_view(&j.name, d, now))
        });
        rec.chain(jails).filter(|b| b.left != Some(0)).collect()
    }

    /// The firewall lost its elements (fw4 restart): every active ban again (refused ones
    /// included: a re-created set may take them). LAPI's are marked to be installed again and
    /// come out of [`Engine::lapi_drain`] in batches.
    pub fn reinstall(&mut self, now: Now, out: &mut Vec<Action>) {
        self.refused.clear();
        let bans = self.active(now);
        if !bans.is_empty() {
            log::info!("re-installing {} active bans", bans.len());
        }
        out.extend(bans.into_iter().map(|ban| Action::Block { ban }));
        self.lapi_reinstall(now);
    }
}
