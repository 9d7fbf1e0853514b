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
