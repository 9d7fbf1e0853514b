//! The event clock: the engine's idea of "now", on the log's own time line.
//!
//! Failures count at the time their line carries; expiry runs on the event clock, the latest
//! accepted line time advanced by the monotonic time since that line arrived. Live, that is
//! the wall clock; in a replay it follows the log; a jump of the wall clock moves nothing.
//!
//! **One time line.** The engine's time line is the *trusted wall clock*: the wall time of
//! its first input carried on by the monotonic clock. When the system's wall clock is stepped
//! later (NTP at boot on a router without a real-time clock, or an admin), lines stamped by it
//! carry the step; the engine subtracts it (the difference between the wall clock and the
//! trusted one at the line's arrival), so a step moves no ban's end, in either direction.
//!
//! **Lines from the future.** A line's time (so corrected) is believed only up to [`LEAP`]
//! seconds past the trusted wall clock. A line dated further ahead (a program with its own
//! wrong clock, a crafted line) does not move the event clock — it would lift every ban at
//! once — and counts at the event clock, like a line without a time; the first such line is
//! logged, then at most one summary per [`WARN_EVERY_MS`]. A replayed file passes: its lines
//! are older than the wall clock, however fast they arrive and however far apart their stamps
//! are. Stepping ahead within the bound is allowed (a line a few minutes early ends bans at
//! most [`LEAP`] seconds early), and as the bound is the trusted wall clock, not the last
//! line, such steps cannot creep further.
//!
//! The kernel is told what a ban has left by the trusted wall clock (never more than
//! decided), so a ban an old line decided (a file replayed at start) does not reach the
//! kernel at all, while the dry run shows what it had left by the event clock.

use crate::clock::Now;

/// How far past the trusted wall clock a line's time may be and still be believed (seconds).
pub const LEAP: i64 = 300;
/// Least time between two warnings about lines from the future.
pub const WARN_EVERY_MS: u64 = 3_600_000;

#[derive(Clone, Debug)]
pub struct EventClock {
    /// The first `Now` seen: the wall clock is trusted from here on by the monotonic clock.
    base: Option<Now>,
    /// Latest line time accepted (or the trusted wall when none), and when it arrived.
    event: Option<(i64, u64)>,
    /// `event` was set from a line's own time.
    from_log: bool,
    /// Lines from the future since the last warning, and when that was.
    future: u64,
    warned_ms: Option<u64>,
}

impl Default for EventClock {
    fn default() -> Self {
        EventClock::new()
    }
}

impl EventClock {
    pub fn new() -> EventClock {
        EventClock {
            base: None,
            event: None,
            from_log: false,
            future: 0,
            warned_ms: None,
        }
    }

    fn base(&mut self, now: Now) -> Now {
        *self.base.get_or_insert(now)
    }

    /// The wall clock as the monotonic clock carries it on from the first input.
    pub fn trusted_wall(&self, now: Now) -> i64 {
        match self.base {
            None => now.wall,
            Some(b) => b.wall.saturating_add(secs(now.mono_ms.saturating_sub(b.mono_ms))),
        }
    }

    /// The event clock at `now`.
    pub fn at(&self, now: Now) -> i64 {
        match self.event {
            None => self.trusted_wall(now),
            Some((t, ms)) => t.saturating_add(secs(now.mono_ms.saturating_sub(ms))),
        }
    }

    /// A line with time `t` (UTC seconds, `None` when it has none) arrived at `now`; returns
    /// the time its failure counts at.
    pub fn line(&mut self, t: Option<i64>, now: Now) -> i64 {
        self.base(now);
        let trusted = self.trusted_wall(now);
        // The step of the system's wall clock since the first input, taken out of the stamp.
        let step = now.wall.saturating_sub(trusted);
        match t.map(|t| t.saturating_sub(step)) {
            Some(t) if t > trusted.saturating_add(LEAP) => {
                self.future(t - trusted, now);
                self.event.get_or_insert((trusted, now.mono_ms));
                self.at(now)
            }
            Some(t) => {
                if !self.from_log || t >= self.at(now) {
                    self.event = Some((t, now.mono_ms));
                    self.from_log = true;
                }
                t
            }
            None => {
                // A line without a time does not move the clock: a replayed file with one odd
                // line must not jump to today.
                self.event.get_or_insert((trusted, now.mono_ms));
                self.at(now)
            }
        }
    }

    /// Time passes without a line.
    pub fn tick(&mut self, now: Now) {
        self.base(now);
    }

    fn future(&mut self, ahead: i64, now: Now) {
        self.future += 1;
        let due = self
            .warned_ms
            .map_or(true, |w| now.mono_ms.saturating_sub(w) >= WARN_EVERY_MS);
        if due {
            log::warn!(
                "a log line is dated {ahead}s ahead of the clock ({} such lines since the last warning): its time is not believed, bans are not ended early",
                self.future
            );
            self.warned_ms = Some(now.mono_ms);
            self.future = 0;
        }
    }
}

fn secs(ms: u64) -> i64 {
    i64::try_from(ms / 1000).unwrap_or(i64::MAX)
}
