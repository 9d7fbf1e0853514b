//! End to end: the bundled sample log replayed through `logjail run --dry-run` gives exactly
//! the decisions a user would expect, in order.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};
use support::daemon::{config, dropbear, failure, Daemon};
use support::scratch;

const EXPECTED: &str = "\
ban dropbear 203.0.113.9 600
ban dropbear 2001:db8:bad::/64 600
ban dropbear 198.51.100.23 600
ban luci 198.51.100.77 3600
ban dropbear 192.0.2.44 600
unban dropbear 203.0.113.9
unban dropbear 2001:db8:bad::/64
ban dropbear 203.0.113.9 1200
unban dropbear 198.51.100.23
unban dropbear 192.0.2.44
unban dropbear 203.0.113.9
";

fn replay(config: &str, log: &[u8]) -> (String, String, i32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_logjail"))
        .args(["run", "--dry-run", "--foreground", "--source", "-", "-c", config])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start logjail");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = log.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer").expect("write log");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn manifest(p: &str) -> String {
    format!("{}/{p}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn sample_log_gives_the_exact_decisions() {
    let log = std::fs::read(manifest("examples/sample.log")).expect("sample log");
    let (out, err, code) = replay(&manifest("examples/logjail.config"), &log);
    assert_eq!(code, 0, "stderr:\n{err}");
    assert_eq!(out, EXPECTED, "stderr:\n{err}");
    // The injected address and the LAN owner are never banned.
    assert!(!out.contains("10.9.9.9") && !out.contains("192.168.1."));
}

#[test]
fn replay_is_the_same_when_fed_byte_by_byte_slowly_enough_to_tick() {
    // Feed the sample in two halves with a pause longer than a tick between them: the event
    // clock follows the log, not the wall clock, so the decisions do not change.
    let log = std::fs::read(manifest("examples/sample.log")).expect("sample log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_logjail"))
        .args([
            "run",
            "--dry-run",
            "--foreground",
            "--source",
            "-",
            "-c",
            &manifest("examples/logjail.config"),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start logjail");
    let mut stdin = child.stdin.take().expect("stdin");
    let half = log.len() / 2;
    stdin.write_all(&log[..half]).expect("first half");
    stdin.flush().expect("flush");
    std::thread::sleep(std::time::Duration::from_millis(700));
    stdin.write_all(&log[half..]).expect("second half");
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(String::from_utf8_lossy(&out.stdout), EXPECTED);
}

/// A logread line (`Thu Dec  3 10:00:00 2026 PRIO PROG: MSG`) stamped `ahead` seconds from
/// now, in UTC as the daemon reads it when the zone is UTC.
fn logread_line_ahead(ahead: i64, rest: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let out = Command::new("date")
        .args(["-u", "-d", &format!("@{}", now + ahead), "+%a %b %e %H:%M:%S %Y"])
        .output()
        .expect("date");
    format!("{} {rest}\n", String::from_utf8_lossy(&out.stdout).trim_end())
}

#[test]
fn a_line_dated_two_days_ahead_lifts_no_ban() {
    // issue 10: one line from the future (any program: an NTP message at boot) moved the
    // event clock two days ahead and every ban ended at once.
    let dir = scratch("replay-future");
    let cfg = config(&dir, "", &dropbear(3, ""));
    let mut d = Daemon::start(&cfg);
    for _ in 0..3 {
        d.feed(&failure("203.0.113.9"));
    }
    assert!(d.wait_out("ban dropbear 203.0.113.9 600"), "{}", d.out());
    d.feed(&logread_line_ahead(
        2 * 86_400,
        "daemon.notice ntpd[9]: time slew +0.000s",
    ));
    d.feed(&logread_line_ahead(
        2 * 86_400 + 1,
        "authpriv.warn dropbear[1]: Bad password attempt for 'root' from 198.51.100.5:22",
    ));
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let (code, out, err) = d.stop();
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("unban"), "a ban was lifted:\n{out}");
    assert!(err.contains("ahead of the clock"), "{err}");
}
