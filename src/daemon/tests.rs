//! The daemon core with a recording backend: dispatch, time, own lines, backend errors.

use super::*;
use crate::config::{Config, JailConfig};
use crate::firewall::Error;

#[derive(Default)]
struct Recorder {
    log: Vec<String>,
    fail: bool,
}

impl Firewall for Recorder {
    fn init(&mut self) -> Result<(), Error> {
        Ok(())
    }
    fn block(&mut self, b: &Ban<'_>) -> Result<(), Error> {
        self.log
            .push(format!("ban {} {} {:?}", b.jail, b.host, b.timeout));
        if self.fail {
            return Err(Error::Kernel {
                what: "set logjail_v4 not found in table inet fw4".into(),
                errno: 2,
            });
        }
        Ok(())
    }
    fn release(&mut self, b: &Ban<'_>) -> Result<(), Error> {
        self.log.push(format!("unban {} {}", b.jail, b.host));
        Ok(())
    }
    fn flush(&mut self) -> Result<(), Error> {
        Ok(())
    }
    fn fin(&mut self) -> Result<(), Error> {
        Ok(())
    }
}

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

fn daemon(dry_run: bool) -> Daemon {
    Daemon::new(&config(), &[], 42, dry_run).expect("daemon")
}

const T0: i64 = 1_795_860_000; // 2026-11-28 10:00:00 UTC

fn at(wall: i64) -> Now {
    Now {
        wall,
        mono_ms: u64::try_from(wall - T0).unwrap_or(0) * 1000,
    }
}

#[test]
fn bare_lines_reach_every_filter_and_count_at_arrival() {
    let mut d = daemon(false);
    let mut fw = Recorder::default();
    for i in 0..3 {
        d.line(
            b"Bad password attempt for 'root' from 203.0.113.9:4242",
            at(T0 + i),
            &mut fw,
        );
    }
    assert_eq!(fw.log, vec!["ban dropbear 203.0.113.9 Some(60)"]);
    assert_eq!(d.counters.matched, 3);
    // Live: the daemon's clock follows arrival, and the ban ends 60 s after the third line.
    d.tick(at(T0 + 61), &mut fw);
    assert_eq!(fw.log.len(), 1);
    d.tick(at(T0 + 62), &mut fw);
    assert_eq!(fw.log[1], "unban dropbear 203.0.113.9");
}

/// Feeds `n` lines, `line(i)` arriving at `arrival(i)`, to `d`; returns the backend's record.
fn feed(d: &mut Daemon, n: i64, line: impl Fn(i64) -> String, arrival: impl Fn(i64) -> Now) -> Recorder {
    let mut fw = Recorder::default();
    for i in 0..n {
        d.line(line(i).as_bytes(), arrival(i), &mut fw);
    }
    fw
}

/// A dropbear failure from 203.0.113.9 stamped `HH:00:0S` local time on Sat Nov 28 2026.
fn dropbear_at(hour: u32, sec: i64) -> String {
    format!(
        "Sat Nov 28 {hour:02}:00:0{sec} 2026 authpriv.warn dropbear[1]: Bad password attempt for 'root' from 203.0.113.9:22"
    )
}

#[test]
fn only_filters_declaring_the_program_run() {
    let mut d = daemon(true);
    let sshd =
        |i| format!("Nov 28 10:00:0{i} host sshd[1]: Bad password attempt for 'root' from 203.0.113.9:22");
    let fw = feed(&mut d, 5, sshd, |i| at(T0 + i));
    assert!(fw.log.is_empty(), "{:?}", fw.log);
    assert_eq!(d.counters.matched, 0);
}

#[test]
fn logjails_own_lines_never_feed_a_jail() {
    let own = |i| {
        format!("Sat Nov 28 10:00:0{i} 2026 daemon.info logjail[7]: Bad password attempt for 'x' from 198.51.100.1:22")
    };
    let fw = feed(&mut daemon(true), 5, own, |i| at(T0 + i));
    assert!(fw.log.is_empty(), "{:?}", fw.log);
}

#[test]
fn old_lines_decide_bans_that_are_already_over_and_stay_out_of_the_kernel() {
    // `logread -f` prints its whole buffer at start: failures from two hours ago.
    let fw = feed(&mut daemon(false), 3, |i| dropbear_at(8, i), |_| at(T0));
    assert!(fw.log.is_empty(), "{:?}", fw.log);
    // The same replay in dry-run prints the decision.
    let fw = feed(&mut daemon(true), 3, |i| dropbear_at(8, i), |_| at(T0));
    assert_eq!(fw.log, vec!["ban dropbear 203.0.113.9 Some(60)"]);
}

#[test]
fn a_backend_error_is_counted_and_the_daemon_goes_on() {
    let mut d = daemon(false);
    let mut fw = Recorder {
        fail: true,
        ..Recorder::default()
    };
    for i in 0..6 {
        let host = if i < 3 { "203.0.113.9" } else { "203.0.113.10" };
        let l = format!("Bad password attempt for 'root' from {host}:22");
        d.line(l.as_bytes(), at(T0 + i), &mut fw);
    }
    assert_eq!(fw.log.len(), 2);
    assert_eq!(d.counters.firewall_errors, 2);
    // The jail still holds both bans: a later re-install (fw4 restart) will try again.
    assert_eq!(d.active_bans(T0 + 6).len(), 2);
}

#[test]
fn no_enabled_jail_is_an_error() {
    let mut c = config();
    c.jails[0].enabled = false;
    assert!(matches!(Daemon::new(&c, &[], 1, true), Err(SetupError::NoJails)));
    let mut c = config();
    c.jails[0].filter = "nosuch".into();
    let e = Daemon::new(&c, &[], 1, true)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("jail 'dropbear'") && e.contains("nosuch"), "{e}");
}

#[test]
fn loopback_is_never_banned_even_without_ignoreself() {
    let mut c = config();
    c.jails[0].ignoreself = false;
    let mut d = Daemon::new(&c, &[], 1, true).expect("daemon");
    let mut fw = Recorder::default();
    for i in 0..10 {
        d.line(
            b"Bad password attempt for 'root' from 127.0.0.1:22",
            at(T0 + i),
            &mut fw,
        );
        d.line(
            b"Login attempt for nonexistent user from ::1:22",
            at(T0 + i),
            &mut fw,
        );
    }
    assert!(fw.log.is_empty(), "{:?}", fw.log);
}

/// Three dropbear failures stamped `HH:00:0i` local time on Nov 28, arriving at `T0 + 2`,
/// through a live daemon whose zone is `offset` seconds east of UTC.
fn three_local_failures(hour: u32, offset: i64) -> Vec<String> {
    let mut d = daemon(false);
    d.set_utc_offset(offset);
    feed(&mut d, 3, |i| dropbear_at(hour, i), |_| at(T0 + 2)).log
}

#[test]
fn local_stamps_are_shifted_by_the_zone_offset() {
    let live = vec!["ban dropbear 203.0.113.9 Some(60)".to_string()];
    // A router in UTC+1 logs 11:00 local for 10:00 UTC: the ban is live, not an hour old.
    assert_eq!(three_local_failures(11, 3600), live);
    // Read without the offset the lines would be an hour in the future: still never longer
    // than decided.
    assert_eq!(three_local_failures(11, 0), live);
    // West of UTC (UTC-5: 05:00 local is 10:00 UTC), without the offset the lines would look
    // five hours old and the ban would never reach the kernel.
    assert_eq!(three_local_failures(5, -5 * 3600), live);
    assert!(three_local_failures(5, 0).is_empty());
}

#[test]
fn ban_durations_read_as_the_log_shows_them() {
    assert_eq!(Lasting(Some(600)).to_string(), "for 600s");
    assert_eq!(Lasting(None).to_string(), "permanently");
}

#[test]
fn recidive_bans_a_host_banned_by_several_jails_and_holds_it() {
    let mut cfg = config();
    let mut luci = JailConfig::new("luci");
    luci.maxretry = 1;
    luci.bantime = Some(60);
    cfg.jails.push(luci);
    cfg.main.recidive = Some(crate::jail::recidive::Params {
        maxbans: 2,
        findtime: 3600,
        bantime: Some(1000),
    });
    let mut d = Daemon::new(&cfg, &[], 42, false).expect("daemon");
    let mut fw = Recorder::default();
    for i in 0..3 {
        d.line(
            b"Bad password attempt for 'root' from 203.0.113.9:4242",
            at(T0 + i),
            &mut fw,
        );
    }
    d.line(
        b"[info] luci: failed login on / for root from 203.0.113.9",
        at(T0 + 5),
        &mut fw,
    );
    assert_eq!(
        fw.log,
        vec![
            "ban dropbear 203.0.113.9 Some(60)",
            "ban luci 203.0.113.9 Some(60)",
            "unban recidive 203.0.113.9",
            "ban recidive 203.0.113.9 Some(1000)",
        ]
    );
    // The jails' bans end; the host stays in the set for recidive.
    d.tick(at(T0 + 100), &mut fw);
    assert_eq!(fw.log.len(), 4);
    let active: Vec<String> = d
        .active_bans(T0 + 100)
        .iter()
        .map(|b| format!("{} {} {:?}", b.jail, b.host, b.timeout))
        .collect();
    assert_eq!(active, vec!["recidive 203.0.113.9 Some(905)"]);
    d.tick(at(T0 + 1005), &mut fw);
    assert_eq!(fw.log[4..], ["unban recidive 203.0.113.9"]);
}

#[test]
fn recidive_is_off_by_default() {
    let d = daemon(false);
    assert!(d.recidive.is_none());
}

#[test]
fn a_reload_keeps_recidive_bans_or_hands_them_back_when_turned_off() {
    let mut cfg = config();
    cfg.jails[0].maxretry = 1;
    cfg.main.recidive = Some(crate::jail::recidive::Params {
        maxbans: 2,
        findtime: 3600,
        bantime: Some(1000),
    });
    let mut old = Daemon::new(&cfg, &[], 42, false).expect("daemon");
    let mut fw = Recorder::default();
    let line = b"Bad password attempt for 'root' from 203.0.113.9:4242";
    old.line(line, at(T0), &mut fw);
    old.tick(at(T0 + 61), &mut fw);
    old.line(line, at(T0 + 62), &mut fw);
    assert!(fw
        .log
        .contains(&"ban recidive 203.0.113.9 Some(1000)".to_string()));
    let mut new = Daemon::new(&cfg, &[], 43, false).expect("daemon");
    assert!(new.adopt_recidive(&mut old).is_empty());
    assert!(new
        .recidive
        .as_ref()
        .unwrap()
        .holds(crate::addr::Host::V4([203, 0, 113, 9].into())));
    let mut off = Daemon::new(&config(), &[], 44, false).expect("daemon");
    let lifted = off.adopt_recidive(&mut new);
    assert_eq!(lifted.len(), 1);
    assert_eq!(lifted[0].duration, Some(1000));
}
