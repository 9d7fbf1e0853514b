//! Lines read again: what a log command replays when it (re)starts.
//!
//! `logread -f` prints only the lines logd receives after it started, so failures logged at
//! boot before logjail starts, during procd's respawn pause or across a restart would never be
//! counted. The daemon therefore asks logd for its recent history first (`logread -l N -f`,
//! see [`crate::source`]) and the engine sorts the replayed lines by a *mark*: the last line
//! it judged ([`LogMark`]: the line's own time, as the line says it, and how many lines carried
//! exactly that second). The mark travels in the state file, so a new process knows where the
//! last one stopped.
//!
//! A replay begins each time the source command starts ([`History::begin`]). Its lines are
//! compared with the mark, in order:
//!
//! * **Newer** (a later second, or one more line at the mark's second than the mark counted):
//!   a new line. The replay ends here; every later line is new.
//! * **At or before the mark**, when this process already judged it (the command was
//!   restarted): skipped, it is in the jail tables already.
//! * **At or before the mark** of the *previous* process (the first replay after a start with
//!   a saved mark): [`Seen::Recount`]. Failure counts are not saved, so such lines are counted
//!   again to rebuild them, but they never ban: the previous run judged them and already
//!   banned where they completed a window (the ban is restored from the same snapshot as the
//!   mark, or it ended, or an admin lifted it). "3 failures, restart, 2 failures" bans with
//!   `maxretry 5`; "4 failures, restart" does not count 8.
//!
//! Without a mark (no state file, another boot: the keeper drops a mark whose boot id differs,
//! logd's buffer being in RAM) every replayed line is new. Lines are judged on their own time
//! either way, so what is older than `findtime` does not add up to a ban that is due now.
//!
//! **Bounds.** A replay ends at its first new line or after the number of lines the command
//! was asked to replay, whichever comes first, so a clock stepped back after the mark cannot
//! make live lines look old for long. Lines without a time (not logread's) are always new.
//! Lines at the mark's second are told apart by their count, which assumes the replay starts
//! before that second: true unless more than N lines were logged within it.

use crate::state::LogMark;

/// How a line stands with respect to the mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    /// Not judged before: counted, and may ban.
    New,
    /// Judged by the previous process: counted again, never banning.
    Recount,
    /// Judged by this process already: ignored.
    Skip,
}

#[derive(Clone, Copy, Debug)]
struct Replay {
    mark: LogMark,
    /// Lines at the mark's second seen in this replay.
    same: u32,
    /// Lines this replay may still hold.
    left: u32,
    recount: bool,
}

/// The mark and the replay in progress.
#[derive(Clone, Debug, Default)]
pub struct History {
    mark: Option<LogMark>,
    /// The mark came from a snapshot and this process has judged nothing against it yet.
    saved: bool,
    replay: Option<Replay>,
    /// Which start of the source the current replay belongs to.
    generation: Option<u64>,
}

impl History {
    /// The last line judged.
    pub fn mark(&self) -> Option<LogMark> {
        self.mark
    }

    /// The mark of a previous process (from the state file), before any line was read.
    pub fn restore(&mut self, mark: Option<LogMark>) {
        if self.generation.is_none() && self.mark.is_none() {
            self.mark = mark;
            self.saved = mark.is_some();
        }
    }

    /// Start number `generation` of the source command, which replays up to `lines` lines
    /// first. Nothing happens when that start is already known.
    pub fn begin(&mut self, generation: u64, lines: u32) {
        if self.generation == Some(generation) {
            return;
        }
        self.generation = Some(generation);
        let recount = core::mem::take(&mut self.saved);
        self.replay = self.mark.filter(|_| lines > 0).map(|mark| Replay {
            mark,
            same: 0,
            left: lines,
            recount,
        });
    }

    /// Judges a line with time `t` (as the line says it) and moves the mark past a new one.
    pub fn judge(&mut self, t: Option<i64>) -> Seen {
        let Some(t) = t else {
            return Seen::New;
        };
        if let Some(r) = self.replay.as_mut() {
            r.left = r.left.saturating_sub(1);
            let old = match t.cmp(&r.mark.time) {
                core::cmp::Ordering::Less => true,
                core::cmp::Ordering::Equal => {
                    r.same = r.same.saturating_add(1);
                    r.same <= r.mark.lines
                }
                core::cmp::Ordering::Greater => false,
            };
            let seen = if r.recount { Seen::Recount } else { Seen::Skip };
            if r.left == 0 || !old {
                self.replay = None;
            }
            if old {
                return seen;
            }
        }
        self.mark = Some(match self.mark {
            Some(m) if m.time == t => LogMark {
                time: t,
                lines: m.lines.saturating_add(1),
            },
            Some(m) if m.time > t => m,
            _ => LogMark { time: t, lines: 1 },
        });
        Seen::New
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge_all(h: &mut History, times: &[i64]) -> Vec<Seen> {
        times.iter().map(|&t| h.judge(Some(t))).collect()
    }

    use Seen::{New, Recount, Skip};

    #[test]
    fn without_a_mark_every_line_is_new_and_moves_the_mark() {
        let mut h = History::default();
        h.begin(1, 100);
        assert_eq!(judge_all(&mut h, &[10, 11, 11, 12, 12, 12]), [New; 6]);
        assert_eq!(h.mark(), Some(LogMark { time: 12, lines: 3 }));
    }

    #[test]
    fn a_restart_skips_what_this_process_judged_including_lines_of_the_same_second() {
        let mut h = History::default();
        h.begin(1, 100);
        judge_all(&mut h, &[10, 11, 12, 12]);
        // The command restarts and replays its history, then two new lines at second 12.
        h.begin(2, 100);
        assert_eq!(
            judge_all(&mut h, &[10, 11, 12, 12, 12, 13]),
            [Skip, Skip, Skip, Skip, New, New]
        );
        assert_eq!(h.mark(), Some(LogMark { time: 13, lines: 1 }));
        // The same start again changes nothing: live lines older than the mark still count.
        h.begin(2, 100);
        assert_eq!(h.judge(Some(5)), New);
    }

    #[test]
    fn the_first_replay_after_a_saved_mark_recounts_the_old_lines() {
        let mut h = History::default();
        h.restore(Some(LogMark { time: 12, lines: 2 }));
        h.begin(1, 100);
        assert_eq!(
            judge_all(&mut h, &[11, 12, 12, 12, 13]),
            [Recount, Recount, Recount, New, New]
        );
        // A later restart only skips: the recounted lines are in the tables.
        h.begin(2, 100);
        assert_eq!(
            judge_all(&mut h, &[11, 12, 12, 12, 13, 14]),
            [Skip, Skip, Skip, Skip, Skip, New]
        );
    }

    #[test]
    fn a_replay_ends_after_its_lines_even_if_they_look_old() {
        let mut h = History::default();
        h.restore(Some(LogMark { time: 100, lines: 1 }));
        h.begin(1, 2);
        // The clock went back after the mark: after 2 replayed lines, lines are live.
        assert_eq!(judge_all(&mut h, &[90, 95, 96, 97]), [Recount, Recount, New, New]);
    }

    #[test]
    fn lines_without_a_time_are_new_and_a_mark_is_restored_only_into_a_fresh_history() {
        let mut h = History::default();
        h.restore(Some(LogMark { time: 100, lines: 1 }));
        h.begin(1, 10);
        assert_eq!(h.judge(None), New);
        assert_eq!(h.judge(Some(99)), Recount);
        h.restore(Some(LogMark { time: 5, lines: 1 }));
        assert_eq!(h.mark(), Some(LogMark { time: 100, lines: 1 }));
        // No replay asked (lines 0): nothing is skipped.
        let mut h = History::default();
        h.restore(Some(LogMark { time: 100, lines: 1 }));
        h.begin(1, 0);
        assert_eq!(h.judge(Some(99)), New);
    }
}

/// The engine fed replays: what a mark does to bans.
#[cfg(test)]
mod engine_tests {
    use crate::clock::Now;
    use crate::config::{Config, JailConfig};
    use crate::engine::{Action, Engine};
    use crate::state::{LogMark, Snapshot};

    /// 2026-11-28 10:00:00 UTC (Saturday).
    const T0: i64 = 1_795_860_000;

    fn engine() -> Engine {
        let mut db = JailConfig::new("dropbear");
        db.maxretry = 3;
        db.findtime = 600;
        db.bantime = Some(3600);
        let c = Config {
            jails: vec![db],
            ..Config::default()
        };
        Engine::new(&c, &[], 42).expect("engine")
    }

    /// A logread failure line of `host` at `T0 + s` (UTC here: the offset is 0).
    fn failure(s: i64, host: &str) -> String {
        let (m, s) = (s / 60, s % 60);
        format!(
            "Sat Nov 28 10:{m:02}:{s:02} 2026 authpriv.warn dropbear[1]: Bad password attempt for 'root' from {host}:22"
        )
    }

    fn now() -> Now {
        Now {
            wall: T0 + 3000,
            mono_ms: 1000,
        }
    }

    /// Feeds `lines`; the hosts banned.
    fn feed(e: &mut Engine, lines: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        for l in lines {
            e.line(l.as_bytes(), now(), &mut out);
        }
        out.iter()
            .filter_map(|a| match a {
                Action::Block { ban } => Some(ban.host.to_string()),
                _ => None,
            })
            .collect()
    }

    fn restored(mark: Option<LogMark>) -> Engine {
        let mut e = engine();
        let snap = Snapshot {
            saved_at: T0 + 3000,
            mark,
            ..Snapshot::default()
        };
        e.restore(&snap, now(), &mut Vec::new());
        e
    }

    const A: &str = "192.0.2.7";

    #[test]
    fn without_a_mark_the_history_counts_within_findtime() {
        let mut e = restored(None);
        e.replay(0, 1000);
        // Three failures spread over more than findtime: no ban; three within it: a ban.
        let spread = [failure(0, A), failure(400, A), failure(1100, A)];
        assert!(feed(&mut e, &spread).is_empty());
        assert_eq!(feed(&mut e, &[failure(1200, A), failure(1300, A)]), [A]);
    }

    #[test]
    fn lines_up_to_the_saved_mark_are_recounted_but_never_ban() {
        let old = [failure(0, A), failure(10, A), failure(20, A)];
        // The previous run saw all three (and banned then; the ban has since been lifted).
        let mut e = restored(Some(LogMark {
            time: T0 + 20,
            lines: 1,
        }));
        e.replay(0, 1000);
        assert!(
            feed(&mut e, &old).is_empty(),
            "no second ban for the same 3 lines"
        );
        // It saw two: the third is new and completes the window with the recounted two.
        let mut e = restored(Some(LogMark {
            time: T0 + 10,
            lines: 1,
        }));
        e.replay(0, 1000);
        assert_eq!(feed(&mut e, &old), [A]);
    }

    #[test]
    fn lines_of_the_mark_second_are_told_apart_by_their_count() {
        let same = [failure(5, A), failure(5, A), failure(5, A)];
        let mut e = restored(Some(LogMark {
            time: T0 + 5,
            lines: 2,
        }));
        e.replay(0, 1000);
        assert_eq!(feed(&mut e, &same), [A], "2 recounted + 1 new");
        let mut e = restored(Some(LogMark {
            time: T0 + 5,
            lines: 3,
        }));
        e.replay(0, 1000);
        assert!(feed(&mut e, &same).is_empty(), "all 3 were judged");
    }

    #[test]
    fn a_restarted_command_does_not_count_its_replay_twice() {
        let mut e = restored(None);
        e.replay(0, 1000);
        let two = [failure(0, A), failure(1, A)];
        assert!(feed(&mut e, &two).is_empty());
        // logread is restarted and replays the same two lines: skipped, not 4 failures.
        e.replay(1, 1000);
        assert!(feed(&mut e, &two).is_empty());
        assert_eq!(
            e.history.mark(),
            Some(LogMark {
                time: T0 + 1,
                lines: 1
            })
        );
        // The next new line is the third.
        assert_eq!(feed(&mut e, &[failure(2, A)]), [A]);
        // The mark is in the snapshot.
        assert_eq!(
            e.snapshot(now()).mark,
            Some(LogMark {
                time: T0 + 2,
                lines: 1
            })
        );
    }

    #[test]
    fn without_a_replay_nothing_is_skipped() {
        // A source that does not replay (stdin, a file, `logread -f` without -l) never says
        // `replay`: lines at or before a saved mark count as usual.
        let mut e = restored(Some(LogMark {
            time: T0 + 20,
            lines: 1,
        }));
        assert_eq!(
            feed(&mut e, &[failure(0, A), failure(10, A), failure(20, A)]),
            [A]
        );
    }
}
