//! End to end: the bundled sample log replayed through `logjail run --dry-run` gives exactly
//! the decisions a user would expect, in order.

use std::io::Write;
use std::process::{Command, Stdio};

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
