//! The daemon's core: lines in, firewall calls out.
//!
//! [`Daemon`] holds the filters and the jails and drives a [`Firewall`]. It is fed raw lines
//! with the wall-clock time they arrived ([`Daemon::line`]) and periodic ticks
//! ([`Daemon::tick`]); the event loop in [`event_loop`] owns the sources, signals and `poll`.
//!
//! **Time.** A failure counts at the time its log line carries (so replaying a file gives the
//! same bans as live), or at arrival when the line has none. Expiry runs on an *event clock*:
//! the latest line time seen, advanced by the real time elapsed since that line arrived. Live,
//! that is the wall clock; in a replay it follows the log. The kernel, however, is told the
//! time a ban has left by the wall clock — never more than the decided duration, so a clock
//! jump cannot lengthen a ban — and a ban whose time is already over (an old line replayed by
//! `logread -f` at start) does not reach the kernel at all.
//!
//! **Dispatch.** Each filter runs once per line, and only when it declares the line's program
//! (lines without a program reach every filter). logjail's own log lines are dropped first.

pub mod event_loop;
#[cfg(test)]
mod tests;

use crate::addr::Cidr;
use crate::config::Config;
use crate::filter::dispatch::Dispatch;
use crate::filter::{self, Filter, Outcome};
use crate::firewall::{Ban, Firewall};
use crate::jail::recidive::{self, Recidive};
use crate::jail::{Decision, Jail, Verdict};
use crate::line;
use core::fmt;

/// The syslog tag logjail logs under; lines with this program never reach a filter.
pub const TAG: &str = "logjail";

/// Why the daemon could not be built.
#[derive(Debug)]
pub enum SetupError {
    Filter {
        jail: String,
        error: filter::FilterError,
    },
    NoJails,
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetupError::Filter { jail, error } => write!(f, "jail '{jail}': {error}"),
            SetupError::NoJails => f.write_str("no enabled jail in the configuration"),
        }
    }
}

/// The two clocks, read once by the event loop and handed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Now {
    /// Unix seconds.
    pub wall: i64,
    /// Monotonic milliseconds.
    pub mono_ms: u64,
}

impl Now {
    pub fn read() -> Now {
        Now {
            wall: crate::clock::wall(),
            mono_ms: crate::clock::mono_ms(),
        }
    }
}

/// Running counters for `status`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub lines: u64,
    pub matched: u64,
    pub firewall_errors: u64,
}

pub struct Daemon {
    filters: Vec<Filter>,
    /// Which filters a program reaches.
    dispatch: Dispatch,
    /// `jails_of[i]`: indices of the jails fed by `filters[i]`.
    jails_of: Vec<Vec<usize>>,
    pub jails: Vec<Jail>,
    /// Hosts banned often across all jails (`recidive_maxbans`); `None` when off.
    pub recidive: Option<Recidive>,
    /// Dry run: the backend is told decided durations on the event clock.
    dry_run: bool,
    /// Latest line time seen, and the monotonic time it arrived.
    event: i64,
    event_arrival_ms: u64,
    /// The event clock was set by a line's own time (not by arrival).
    event_from_log: bool,
    /// Seconds east of UTC of the router's zone, for lines stamped in local time.
    utc_offset: i64,
    pub counters: Counters,
}

/// How long a ban lasts, as the log says it: `for 600s` or `permanently` (formatted in place,
/// without a `String` per ban).
struct Lasting(Option<u32>);

impl fmt::Display for Lasting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(s) => write!(f, "for {s}s"),
            None => f.write_str("permanently"),
        }
    }
}

/// Loopback is never banned, whatever the configuration says.
pub fn loopback() -> [Cidr; 2] {
    [
        Cidr::new([127, 0, 0, 0].into(), 8),
        Cidr::new(core::net::Ipv6Addr::LOCALHOST.into(), 128),
    ]
}

impl Daemon {
    /// Builds filters and jails from `config`. `own` are the router's own addresses (used for
    /// jails with `ignoreself`), `seed` keys the jail tables' hashes.
    pub fn new(config: &Config, own: &[Cidr], seed: u64, dry_run: bool) -> Result<Daemon, SetupError> {
        let mut filters: Vec<Filter> = Vec::new();
        let mut jails_of: Vec<Vec<usize>> = Vec::new();
        let mut jails = Vec::new();
        for (n, jc) in config.jails.iter().filter(|j| j.enabled).enumerate() {
            let fi = match filters.iter().position(|f| f.name() == jc.filter) {
                Some(i) => i,
                None => {
                    let f = filter::load(&jc.filter, &config.main.filter_dir).map_err(|error| {
                        SetupError::Filter {
                            jail: jc.name.clone(),
                            error,
                        }
                    })?;
                    filters.push(f);
                    jails_of.push(Vec::new());
                    filters.len() - 1
                }
            };
            let mut ignore: Vec<Cidr> = loopback().to_vec();
            ignore.extend_from_slice(&config.main.ignoreip);
            ignore.extend_from_slice(&jc.ignoreip);
            if jc.ignoreself {
                ignore.extend_from_slice(own);
            }
            jails_of[fi].push(jails.len());
            jails.push(Jail::new(jc, ignore, seed.rotate_left(n as u32 * 7)));
        }
        if jails.is_empty() {
            return Err(SetupError::NoJails);
        }
        Ok(Daemon {
            dispatch: Dispatch::new(&filters),
            filters,
            jails_of,
            jails,
            recidive: config
                .main
                .recidive
                .map(|p| Recidive::new(p, seed.rotate_left(29))),
            dry_run,
            event: i64::MIN,
            event_arrival_ms: 0,
            event_from_log: false,
            utc_offset: 0,
            counters: Counters::default(),
        })
    }

    /// Sets the local zone's offset from UTC (seconds east), read by the event loop.
    pub fn set_utc_offset(&mut self, seconds: i64) {
        self.utc_offset = seconds;
    }

    /// The event clock at `now` (see the module docs): the latest line time advanced by the
    /// monotonic time since that line, so a wall-clock jump does not end bans early.
    pub fn clock(&self, now: Now) -> i64 {
        if self.event == i64::MIN {
            now.wall
        } else {
            let elapsed = now.mono_ms.saturating_sub(self.event_arrival_ms) / 1000;
            self.event
                .saturating_add(i64::try_from(elapsed).unwrap_or(i64::MAX))
        }
    }

    /// One raw log line that arrived at `now`.
    pub fn line(&mut self, raw: &[u8], now: Now, fw: &mut dyn Firewall) {
        self.counters.lines += 1;
        let l = line::parse(raw, now.wall);
        if l.program == TAG.as_bytes() {
            return;
        }
        // A line without a time counts at the event clock and does not move it: a replayed
        // file with one odd line must not jump to today.
        let at = match l.time.map(|t| if l.local { t - self.utc_offset } else { t }) {
            Some(t) => {
                if t >= self.clock(now) || !self.event_from_log {
                    self.event = t;
                    self.event_arrival_ms = now.mono_ms;
                    self.event_from_log = true;
                }
                t
            }
            None => {
                if self.event == i64::MIN {
                    self.event = now.wall;
                    self.event_arrival_ms = now.mono_ms;
                }
                self.clock(now)
            }
        };
        self.expire(now, fw);
        let mut asked = self.dispatch.cursor(l.program);
        while let Some(fi) = self.dispatch.next(&mut asked, l.program) {
            let Outcome::Match(m) = self.filters[fi].check(l.message) else {
                continue;
            };
            self.counters.matched += 1;
            for k in 0..self.jails_of[fi].len() {
                let ji = self.jails_of[fi][k];
                let verdict = self.jails[ji].failure(m.addr, at);
                match verdict {
                    Verdict::Ban(d) => {
                        self.block(ji, &d, now.wall, fw);
                        self.recidive_ban(&d, now.wall, fw);
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
                    Verdict::AlreadyBanned => {}
                }
            }
        }
    }

    /// Time passes: bans whose end the event clock has reached are lifted.
    pub fn tick(&mut self, now: Now, fw: &mut dyn Firewall) {
        self.expire(now, fw);
    }

    fn expire(&mut self, now: Now, fw: &mut dyn Firewall) {
        let now = self.clock(now);
        let Daemon {
            jails,
            counters,
            recidive,
            ..
        } = self;
        for j in jails.iter_mut() {
            j.expire(now, |name, d| {
                if recidive.as_ref().is_some_and(|r| r.holds(d.host)) {
                    log::info!("{name}: ban of {} ended; {} holds it", d.host, recidive::NAME);
                    return;
                }
                log::info!("{name}: unban {}", d.host);
                if let Err(e) = fw.release(&Ban {
                    jail: name,
                    host: d.host,
                    timeout: None,
                }) {
                    counters.firewall_errors += 1;
                    log::error!("{name}: unban {}: {e}", d.host);
                }
            });
        }
        if let Some(r) = recidive {
            r.expire(now, |d| {
                log::info!("{}: unban {}", recidive::NAME, d.host);
                let ban = Ban {
                    jail: recidive::NAME,
                    host: d.host,
                    timeout: None,
                };
                if let Err(e) = fw.release(&ban) {
                    counters.firewall_errors += 1;
                    log::error!("{}: unban {}: {e}", recidive::NAME, d.host);
                }
            });
        }
    }

    /// On a reload, `self` (the new daemon) takes over the running recidive history and bans
    /// of `old`, so a recidive ban is not cut short by the end of a jail's shorter one. When
    /// the new configuration turned recidive off, returns the old recidive bans for the caller
    /// to lift.
    pub fn adopt_recidive(&mut self, old: &mut Daemon) -> Vec<Decision> {
        match (self.recidive.as_mut(), old.recidive.take()) {
            (Some(new), Some(o)) => {
                new.adopt(o);
                Vec::new()
            }
            (None, Some(o)) => o.bans().copied().collect(),
            (_, None) => Vec::new(),
        }
    }

    /// Feeds a jail's ban to recidive; a recidivist's element is replaced by one with the long
    /// timeout (released first: the kernel keeps an existing element's timeout).
    fn recidive_ban(&mut self, d: &Decision, wall: i64, fw: &mut dyn Firewall) {
        let Some(rd) = self.recidive.as_mut().and_then(|r| r.ban(d.host, d.start)) else {
            return;
        };
        let now = if self.dry_run { rd.start } else { wall };
        let ban = Ban {
            jail: recidive::NAME,
            host: rd.host,
            timeout: rd.remaining(now),
        };
        if ban.timeout == Some(0) {
            return;
        }
        let shown = Lasting(rd.duration);
        log::info!(
            "{}: ban {} {shown} ({} bans within {}s)",
            recidive::NAME,
            rd.host,
            rd.count,
            self.recidive.as_ref().map_or(0, |r| r.params.findtime)
        );
        if !self.dry_run {
            let _ = fw.release(&ban);
        }
        if let Err(e) = fw.block(&ban) {
            self.counters.firewall_errors += 1;
            log::error!("{}: ban {}: {e}", recidive::NAME, rd.host);
        }
    }

    /// The ban `d` of jail `ji` as the backend should see it now.
    pub fn ban_of<'a>(&'a self, ji: usize, d: &Decision, wall: i64) -> Ban<'a> {
        let now = if self.dry_run { d.start } else { wall };
        Ban {
            jail: &self.jails[ji].name,
            host: d.host,
            timeout: d.remaining(now),
        }
    }

    fn block(&mut self, ji: usize, d: &Decision, wall: i64, fw: &mut dyn Firewall) {
        let ban = self.ban_of(ji, d, wall);
        let shown = Lasting(d.duration);
        if ban.timeout == Some(0) {
            log::info!(
                "{}: {} crossed maxretry in an old line; its ban is already over",
                ban.jail,
                d.host
            );
            return;
        }
        log::info!("{}: ban {} {shown} (ban #{})", ban.jail, d.host, d.count);
        let failed = match fw.block(&ban) {
            Ok(()) => false,
            Err(e) => {
                log::error!("{}: ban {}: {e}", ban.jail, d.host);
                true
            }
        };
        self.counters.firewall_errors += u64::from(failed);
    }

    /// Every active ban with the time it has left, for re-installing after the firewall lost
    /// them (fw4 restart) or at start from saved state.
    pub fn active_bans(&self, wall: i64) -> Vec<Ban<'_>> {
        let mut out = Vec::new();
        let held = |h| self.recidive.as_ref().is_some_and(|r| r.holds(h));
        for d in self.recidive.iter().flat_map(|r| r.bans()) {
            let now = if self.dry_run { d.start } else { wall };
            let b = Ban {
                jail: recidive::NAME,
                host: d.host,
                timeout: d.remaining(now),
            };
            if b.timeout != Some(0) {
                out.push(b);
            }
        }
        for (ji, j) in self.jails.iter().enumerate() {
            for d in j.bans().filter(|d| !held(d.host)) {
                let b = self.ban_of(ji, d, wall);
                if b.timeout != Some(0) {
                    out.push(b);
                }
            }
        }
        out
    }
}
