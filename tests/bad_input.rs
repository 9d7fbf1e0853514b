//! Hostile input through the real daemon: a line without end, invalid UTF-8, NUL bytes.
//! Memory stays bounded and the lines after the garbage are still judged.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

fn config() -> String {
    format!("{}/examples/logjail.config", env!("CARGO_MANIFEST_DIR"))
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

#[test]
fn a_64_mib_line_without_newline_does_not_grow_memory() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_logjail"))
        .args([
            "run",
            "--dry-run",
            "--foreground",
            "--source",
            "-",
            "-c",
            &config(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start logjail");
    let pid = child.id();
    let mut stdin = child.stdin.take().expect("stdin");
    let chunk = vec![b'A'; 1 << 20];
    for _ in 0..64 {
        stdin.write_all(&chunk).expect("garbage");
    }
    // Invalid UTF-8, NUL bytes and control characters, then a real attack.
    stdin.write_all(b"\n\xff\xfe\x00\x01\x1b[31m\n").expect("junk");
    for i in 0..5 {
        writeln!(
            stdin,
            "Bad password attempt for '\u{1}\u{ff}' from 203.0.113.99:{}",
            4000 + i
        )
        .expect("attack");
    }
    stdin.flush().expect("flush");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    out.read_line(&mut first).expect("decision");
    assert_eq!(first, "ban dropbear 203.0.113.99 600\n");
    let peak = peak_rss_kib(pid);
    drop(stdin);
    let status = child.wait().expect("wait");
    assert!(status.success());
    assert!(peak < 16 * 1024, "peak RSS {peak} KiB after a 64 MiB line");
}

/// `logjail run --dry-run --foreground --source -` with the example config, fed `log`; its
/// standard output (the decisions) once input ended.
fn decisions(log: &[u8]) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_logjail"))
        .args([
            "run",
            "--dry-run",
            "--foreground",
            "--source",
            "-",
            "-c",
            &config(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start logjail");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = log.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer").expect("write log");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A LuCI failure whose user name is padded so that ` from {framed}` ends at byte `cut_at` of
/// the line; the real peer, 203.0.113.66, ends the line as uhttpd writes it.
fn padded_luci_line(framed: &str, cut_at: usize) -> Vec<u8> {
    let head = "Tue Nov 24 10:06:00 2026 daemon.err uhttpd[1500]: [info] luci: failed login on / for ";
    let bait = format!(" from {framed}");
    let mut line = head.as_bytes().to_vec();
    line.resize(cut_at - bait.len(), b'x');
    line.extend_from_slice(bait.as_bytes());
    assert_eq!(line.len(), cut_at);
    line.extend_from_slice(b"x from 203.0.113.66\n");
    line
}

#[test]
fn a_line_longer_than_the_limit_frames_nobody() {
    let mut log = Vec::new();
    for _ in 0..6 {
        // Cut at 1024 bytes, the old code read `from 198.51.100.77`; with one byte less of
        // padding, `from 198.51.100.7`.
        log.extend(padded_luci_line("198.51.100.77", 1024));
        log.extend(padded_luci_line("198.51.100.77", 1025));
    }
    // The same lines, whole and short enough, are judged as usual: the real peer is banned.
    for _ in 0..5 {
        log.extend_from_slice(
            b"Tue Nov 24 10:06:00 2026 daemon.err uhttpd[1500]: [info] luci: failed login on / for x from 198.51.100.77x from 203.0.113.66\n",
        );
    }
    assert_eq!(decisions(&log), "ban luci 203.0.113.66 3600\n");
}

#[test]
fn addresses_that_are_no_hosts_are_never_banned() {
    let mut log = Vec::new();
    for a in [
        "0.0.0.0:22",
        "255.255.255.255:22",
        "224.0.0.1:22",
        "240.0.0.9:22",
        "0.7.7.7:22",
        ":::22",
        "ff02::1:22",
        "::ffff:0.0.0.0:22",
        "::198.51.100.77:22",
        "203.0.113.5:22",
    ] {
        for _ in 0..6 {
            let line = format!(
                "Tue Nov 24 10:06:00 2026 authpriv.warn dropbear[7]: Bad password attempt for 'root' from {a}\n"
            );
            log.extend_from_slice(line.as_bytes());
        }
    }
    assert_eq!(decisions(&log), "ban dropbear 203.0.113.5 600\n");
}
