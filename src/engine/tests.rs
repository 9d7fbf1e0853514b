//! The engine fed lines, ticks and requests; the actions it asks for are asserted. Lines and
//! time here, requests (manual ban and unban, restore, reload) in `tests_requests.rs`.

#[path = "tests_own.rs"]
mod own;
#[path = "tests_requests.rs"]
mod requests;

use super::*;
use crate::config::{Config, JailConfig};

fn config() -> Config {
    let mut db = JailConfig::new("dropbear");
    db.maxretry = 3;
    db.bantime = Some(60);
    let mut off = JailConfig::new("sshd");
    off.enabled = false;
    Config {
        jails: vec![db, off],
        ..Config::default()
    }
}

fn req<'a>(jail: &'a str, addr: &'a str, time: BanTime, force: bool) -> BanRequest<'a> {
    BanRequest {
        jail,
        addr,
        time,
        force,
    }
}

fn engine() -> Engine {
    Engine::new(&config(), &[], 42).expect("engine")
}

const T0: i64 = 1_795_860_000; // 2026-11-28 10:00:00 UTC

fn at(wall: i64) -> Now {
    Now {
        wall,
        mono_ms: u64::try_from(wall - T0).unwrap_or(0) * 1000,
    }
}

/// An action as a line: `ban JAIL HOST TIMEOUT` (what the kernel gets; `left` when it differs,
/// `replace` when set), `unban JAIL HOST`, `flush`.
fn show(a: &Action) -> String {
    match a {
        Action::Block { ban } => {
            let mut s = format!("ban {} {} {:?}", ban.jail, ban.host, ban.timeout);
            if ban.left != ban.timeout {
                s.push_str(&format!(" left {:?}", ban.left));
            }
            if ban.replace {
                s.push_str(" replace");
            }
            s
        }
        Action::Release { jail, host } => format!("unban {jail} {host}"),
        Action::Lift { host } => format!("lift {host}"),
        Action::ReleaseAll => "flush".into(),
    }
}

fn shown(out: &[Action]) -> Vec<String> {
    out.iter().map(show).collect()
}

/// Feeds `n` lines, `line(i)` arriving at `arrival(i)`; returns the actions as lines.
fn feed(e: &mut Engine, n: i64, line: impl Fn(i64) -> String, arrival: impl Fn(i64) -> Now) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..n {
        e.line(line(i).as_bytes(), arrival(i), &mut out);
    }
    shown(&out)
}

fn tick(e: &mut Engine, now: Now) -> Vec<String> {
    let mut out = Vec::new();
    e.tick(now, &mut out);
    shown(&out)
}

const BARE: &str = "Bad password attempt for 'root' from 203.0.113.9:4242";

/// A dropbear failure from 203.0.113.9 stamped `HH:MM:0S` local time on Sat Nov 28 2026.
fn dropbear_at(hour: u32, min: u32, sec: i64) -> String {
    format!(
        "Sat Nov 28 {hour:02}:{min:02}:0{sec} 2026 authpriv.warn dropbear[1]: Bad password attempt for 'root' from 203.0.113.9:22"
    )
}

#[test]
fn bare_lines_reach_every_filter_and_count_at_arrival() {
    let mut e = engine();
    let out = feed(&mut e, 3, |_| BARE.into(), |i| at(T0 + i));
    assert_eq!(out, vec!["ban dropbear 203.0.113.9 Some(60)"]);
    assert_eq!(e.counters.matched, 3);
    // Live: the event clock follows arrival, and the ban ends 60 s after the third line.
    assert!(tick(&mut e, at(T0 + 61)).is_empty());
    assert_eq!(tick(&mut e, at(T0 + 62)), vec!["unban dropbear 203.0.113.9"]);
}

#[test]
fn only_filters_declaring_the_program_run() {
    let mut e = engine();
    let sshd =
        |i| format!("Nov 28 10:00:0{i} host sshd[1]: Bad password attempt for 'root' from 203.0.113.9:22");
    assert!(feed(&mut e, 5, sshd, |i| at(T0 + i)).is_empty());
    assert_eq!(e.counters.matched, 0);
}

#[test]
fn logjails_own_lines_never_feed_a_jail() {
    let own = |i| {
        format!("Sat Nov 28 10:00:0{i} 2026 daemon.info logjail[7]: Bad password attempt for 'x' from 198.51.100.1:22")
    };
    assert!(feed(&mut engine(), 5, own, |i| at(T0 + i)).is_empty());
}

#[test]
fn old_lines_decide_bans_that_are_already_over_and_stay_out_of_the_kernel() {
    // A file source read from its start: failures from two hours ago. The decision is made
    // (a dry run shows it with the time it had, 60 s) but the kernel is told 0 s: nothing.
    let out = feed(&mut engine(), 3, |i| dropbear_at(8, 0, i), |_| at(T0));
    assert_eq!(out, vec!["ban dropbear 203.0.113.9 Some(0) left Some(60)"]);
}

#[test]
fn no_enabled_jail_is_an_error() {
    let mut c = config();
    c.jails[0].enabled = false;
    assert!(matches!(Engine::new(&c, &[], 1), Err(SetupError::NoJails)));
    let mut c = config();
    c.jails[0].filter = "nosuch".into();
    let e = Engine::new(&c, &[], 1)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("jail 'dropbear'") && e.contains("nosuch"), "{e}");
}

#[test]
fn jails_load_their_filter_in_their_mode_and_share_only_equal_ones() {
    use crate::filter::Mode;
    let mut c = config();
    c.jails[0].mode = Mode::Ddos;
    c.jails[0].lines.mode = 7;
    let e = Engine::new(&c, &[], 1)
        .err()
        .map(|e| e.at("cfg"))
        .unwrap_or_default();
    assert_eq!(
        e,
        "cfg:7: jail 'dropbear': filter `dropbear` has no mode `ddos` (its modes: normal, aggressive)"
    );
    // Two dropbear jails, one aggressive with an extra program name: two filters.
    let mut c = config();
    c.jails.retain(|j| j.enabled);
    let mut other = c.jails[0].clone();
    other.name = "wan".into();
    other.mode = Mode::Aggressive;
    other.programs = vec!["dropbear-wan".into()];
    c.jails.push(other.clone());
    let mut same = c.jails[0].clone();
    same.name = "lan".into();
    c.jails.push(same);
    let e = Engine::new(&c, &[], 1).expect("engine");
    assert_eq!(e.filters.len(), 2);
    assert_eq!(e.jails_of, vec![vec![0, 2], vec![1]]);
    assert_eq!(e.filters[1].mode(), Mode::Aggressive);
    assert!(e.filters[1].applies_to(b"dropbear-wan") && !e.filters[0].applies_to(b"dropbear-wan"));
}

#[test]
fn loopback_is_never_banned_even_without_ignoreself() {
    let mut c = config();
    c.jails[0].ignoreself = false;
    let mut e = Engine::new(&c, &[], 1).expect("engine");
    let mut out = Vec::new();
    for i in 0..10 {
        e.line(
            b"Bad password attempt for 'root' from 127.0.0.1:22",
            at(T0 + i),
            &mut out,
        );
        e.line(
            b"Login attempt for nonexistent user from ::1:22",
            at(T0 + i),
            &mut out,
        );
    }
    assert!(out.is_empty(), "{:?}", shown(&out));
    // Nor by hand, even with force.
    let r = e.ban(
        req("dropbear", "127.0.0.2", BanTime::Jail, true),
        &[],
        at(T0),
        &mut out,
    );
    assert!(matches!(r, Err(RequestError::Own { .. })), "{r:?}");
    assert!(out.is_empty());
}

/// Three dropbear failures stamped `HH:00:0i` local time on Nov 28, arriving at `T0 + 2`,
/// through an engine whose zone is `offset` seconds east of UTC: what the kernel gets.
fn three_local_failures(hour: u32, offset: i64) -> Vec<String> {
    let mut e = engine();
    e.set_utc_offset(offset);
    feed(&mut e, 3, |i| dropbear_at(hour, 0, i), |_| at(T0 + 2))
}

#[test]
fn local_stamps_are_shifted_by_the_zone_offset() {
    let live = vec!["ban dropbear 203.0.113.9 Some(60)".to_string()];
    // A router in UTC+1 logs 11:00 local for 10:00 UTC: the ban is live, not an hour old.
    assert_eq!(three_local_failures(11, 3600), live);
    // Read without the offset the lines would be an hour in the future: not believed, they
    // count at the event clock; never longer than decided.
    assert_eq!(three_local_failures(11, 0), live);
    // West of UTC (UTC-5: 05:00 local is 10:00 UTC), without the offset the lines would look
    // five hours old and the ban would never reach the kernel.
    assert_eq!(three_local_failures(5, -5 * 3600), live);
    assert_eq!(
        three_local_failures(5, 0),
        vec!["ban dropbear 203.0.113.9 Some(0) left Some(60)"]
    );
}

#[test]
fn ban_durations_read_as_the_log_shows_them() {
    assert_eq!(Lasting(Some(600)).to_string(), "for 600s");
    assert_eq!(Lasting(None).to_string(), "permanently");
}

/// A live engine holding a 60 s ban of 203.0.113.9 decided at `T0 + 2`.
fn banned() -> Engine {
    let mut e = engine();
    let out = feed(&mut e, 3, |i| dropbear_at(10, 0, i), |i| at(T0 + i));
    assert_eq!(out, vec!["ban dropbear 203.0.113.9 Some(60)"]);
    e
}

#[test]
fn a_line_from_the_future_does_not_lift_bans() {
    // issue 10: one line dated two days ahead, from any program, ended every ban at once.
    let mut e = banned();
    let mut out = Vec::new();
    let ahead = "Mon Nov 30 10:00:10 2026 daemon.notice ntpd[9]: time slew +0.0s";
    e.line(ahead.as_bytes(), at(T0 + 10), &mut out);
    assert!(out.is_empty(), "{:?}", shown(&out));
    assert!(e.clock(at(T0 + 10)) < T0 + 20, "the event clock jumped");
    assert!(tick(&mut e, at(T0 + 30)).is_empty());
    // The ban ends when its time is up, by the monotonic clock.
    assert_eq!(tick(&mut e, at(T0 + 62)), vec!["unban dropbear 203.0.113.9"]);
}

#[test]
fn a_failure_from_the_future_counts_now_and_is_banned_for_its_time() {
    let mut e = engine();
    let out = feed(&mut e, 3, |i| dropbear_at(20, 0, i), |i| at(T0 + i));
    // Ten hours ahead: counted at the event clock, the kernel gets the full 60 s.
    assert_eq!(out, vec!["ban dropbear 203.0.113.9 Some(60)"]);
    assert_eq!(tick(&mut e, at(T0 + 63)), vec!["unban dropbear 203.0.113.9"]);
}

#[test]
fn lines_a_little_ahead_cannot_creep_the_clock_forward() {
    let mut e = banned();
    // Each line 4 minutes ahead of the one before: only the first is believed (within LEAP
    // of the trusted wall clock), so the ban ends at most LEAP seconds early, not hours.
    let mut out = Vec::new();
    for k in 1..=30u32 {
        let l = format!(
            "Sat Nov 28 {:02}:{:02}:00 2026 daemon.info x[1]: hello",
            10 + k * 4 / 60,
            (k * 4) % 60
        );
        e.line(l.as_bytes(), at(T0 + 3), &mut out);
    }
    assert!(
        e.clock(at(T0 + 3)) <= T0 + 3 + time::LEAP,
        "{}",
        e.clock(at(T0 + 3)) - T0
    );
}

#[test]
fn a_replayed_file_follows_its_own_time_however_fast_it_arrives() {
    // Old lines hours apart, arriving within a second: the clock follows the log, so the
    // ban decided at 08:00 ends before the failures at 09:00 are counted.
    let mut e = engine();
    let mut lines: Vec<String> = (0..3).map(|i| dropbear_at(8, 0, i)).collect();
    lines.extend((0..3).map(|i| dropbear_at(9, 0, i)));
    let out = feed(&mut e, 6, |i| lines[i as usize].clone(), |_| at(T0));
    assert_eq!(
        out,
        vec![
            "ban dropbear 203.0.113.9 Some(0) left Some(60)",
            "unban dropbear 203.0.113.9",
            "ban dropbear 203.0.113.9 Some(0) left Some(60)",
        ]
    );
}

#[test]
fn a_step_of_the_wall_clock_moves_no_ban() {
    // NTP at boot steps the router's clock two days ahead: lines now carry the new time. The
    // ban decided before the step ends when its 60 s are over, and new bans are full length.
    let mut e = banned();
    let step = 2 * 86_400;
    let stepped = |secs: i64| Now {
        wall: T0 + secs + step,
        mono_ms: u64::try_from(secs).unwrap_or(0) * 1000,
    };
    let mut out = Vec::new();
    let l = "Mon Nov 30 10:00:10 2026 daemon.notice ntpd[9]: time set +172800s";
    e.line(l.as_bytes(), stepped(10), &mut out);
    assert!(out.is_empty(), "{:?}", shown(&out));
    assert!(tick(&mut e, stepped(30)).is_empty());
    let other = |i| {
        format!("Mon Nov 30 10:00:4{i} 2026 authpriv.warn dropbear[1]: Bad password attempt for 'root' from 198.51.100.5:22")
    };
    let out = feed(&mut e, 3, other, |i| stepped(40 + i));
    assert_eq!(out, vec!["ban dropbear 198.51.100.5 Some(60)"]);
    assert_eq!(tick(&mut e, stepped(62)), vec!["unban dropbear 203.0.113.9"]);
    // Stepped back by an hour instead: new bans still reach the kernel in full.
    let mut e = banned();
    let back = |secs: i64| Now {
        wall: T0 + secs - 3600,
        mono_ms: u64::try_from(secs).unwrap_or(0) * 1000,
    };
    let other = |i| {
        format!("Sat Nov 28 09:00:4{i} 2026 authpriv.warn dropbear[1]: Bad password attempt for 'root' from 198.51.100.5:22")
    };
    let out = feed(&mut e, 3, other, |i| back(40 + i));
    assert_eq!(out, vec!["ban dropbear 198.51.100.5 Some(60)"]);
}

#[test]
fn the_lines_of_one_attempt_count_once() {
    // sshd with PAM, maxretry 3: pam_unix and "Failed password" for each attempt. Three
    // attempts (six lines) ban; two (four lines) do not.
    let mut ssh = JailConfig::new("sshd");
    ssh.maxretry = 3;
    ssh.bantime = Some(60);
    let c = Config {
        jails: vec![ssh],
        ..Config::default()
    };
    let mut e = Engine::new(&c, &[], 1).expect("engine");
    let mut out = Vec::new();
    let pam = b"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root";
    let failed = b"Failed password for root from 203.0.113.9 port 4242 ssh2";
    for i in 0..2 {
        e.line(pam, at(T0 + 10 * i), &mut out);
        e.line(failed, at(T0 + 10 * i + 2), &mut out);
    }
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(e.jails[0].stats().failed_total, 2);
    e.line(pam, at(T0 + 20), &mut out);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(e.counters.matched, 5);
}
