//! A jail's `option mode` and `list program` as a user writes them in UCI: the real daemon
//! counts in each jail's mode, with its extra program names; `logjail check` names the line of
//! a mode the filter lacks; `logjail test --mode/--program` does what the jail would.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};
use support::daemon::{cli, config, Daemon};
use support::{scratch, BIN};

const JAILS: &str = "config jail 'ssh_normal'\n\toption filter 'sshd'\n\toption maxretry '2'\n\toption bantime '600'\n\
config jail 'ssh_aggr'\n\toption filter 'sshd'\n\toption mode 'aggressive'\n\toption maxretry '2'\n\toption bantime '600'\n\
config jail 'ssh_wan'\n\toption filter 'sshd'\n\tlist program 'sshd-wan'\n\toption maxretry '2'\n\toption bantime '600'\n";

/// A client trying its keys: counted in mode aggressive only.
fn publickey(addr: &str, port: u32) -> String {
    format!("Dec  3 07:00:00 host sshd[41]: Failed publickey for root from {addr} port {port} ssh2: RSA SHA256:Vv2cDNfpjvxD7Vc0gN6pR4yVqXtNnE2bVAhcP3pkXgE\n")
}

fn password(program: &str, addr: &str, port: u32) -> String {
    format!("Dec  3 07:00:00 host {program}[42]: Failed password for root from {addr} port {port} ssh2\n")
}

#[test]
fn each_jail_counts_in_its_mode_with_its_programs() {
    let dir = scratch("jail-modes");
    let cfg = config(&dir, "", JAILS);
    let mut d = Daemon::start(&cfg);
    d.feed(&publickey("203.0.113.21", 1000));
    d.feed(&publickey("203.0.113.21", 1001));
    assert!(d.wait_out("ban ssh_aggr 203.0.113.21 600"), "{}", d.err());
    // Program `sshd-wan` reaches only the jail that added it.
    d.feed(&password("sshd-wan", "203.0.113.22", 2000));
    d.feed(&password("sshd-wan", "203.0.113.22", 2001));
    assert!(d.wait_out("ban ssh_wan 203.0.113.22 600"), "{}", d.err());
    // A password failure of plain sshd counts in all three.
    d.feed(&password("sshd", "203.0.113.23", 3000));
    d.feed(&password("sshd", "203.0.113.23", 3001));
    assert!(d.wait_out("ban ssh_normal 203.0.113.23 600"), "{}", d.err());
    let (code, out, err) = d.stop();
    assert_eq!(code, 0, "{err}");
    for (jail, addr, banned) in [
        ("ssh_normal", "203.0.113.21", false),
        ("ssh_wan", "203.0.113.21", false),
        ("ssh_normal", "203.0.113.22", false),
        ("ssh_aggr", "203.0.113.22", false),
        ("ssh_aggr", "203.0.113.23", true),
        ("ssh_wan", "203.0.113.23", true),
    ] {
        let ban = format!("ban {jail} {addr} ");
        assert_eq!(out.contains(&ban), banned, "{ban}?\n{out}");
    }
}

#[test]
fn check_names_the_line_of_a_mode_the_filter_lacks() {
    let dir = scratch("jail-modes-check");
    let jail = "config jail 'dropbear'\n\toption maxretry '3'\n\toption mode 'ddos'\n";
    let cfg = config(&dir, "", jail);
    let line = std::fs::read_to_string(&cfg)
        .expect("config")
        .lines()
        .position(|l| l.contains("option mode"))
        .expect("mode line")
        + 1;
    let (code, _, err) = cli(&cfg, &["check"]);
    assert_eq!(code, 1, "{err}");
    let want = format!(
        "config:{line}: jail 'dropbear': filter `dropbear` has no mode `ddos` (its modes: normal, aggressive)"
    );
    assert!(err.contains(&want), "{err}");
    // The daemon refuses to start with the same words.
    let (code, _, err) = cli(&cfg, &["run", "--dry-run", "--foreground", "--source", "-"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&want), "{err}");
    // A good mode is shown with the effective values.
    std::fs::write(
        &cfg,
        "config jail 'ssh'\n\toption filter sshd\n\toption mode 'ddos'\n\tlist program 'sshd-wan'\n",
    )
    .expect("config");
    let (code, out, err) = cli(&cfg, &["check"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("  mode                   ddos\n  program                sshd-wan\n"),
        "{out}"
    );
    std::fs::write(&cfg, "config jail 'ssh'\n\toption mode 'loud'\n").expect("config");
    let (code, _, err) = cli(&cfg, &["check"]);
    assert_eq!(code, 1);
    assert!(
        err.contains(":2: mode 'loud' in jail 'ssh': unknown mode `loud`"),
        "{err}"
    );
}

/// `logjail test ARGS`, the log on standard input: exit code and stdout.
fn test_cmd(args: &[&str], log: &str) -> (i32, String) {
    let mut child = Command::new(BIN)
        .arg("test")
        .args(["-c", "/nonexistent"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("logjail test");
    let mut stdin = child.stdin.take().expect("stdin");
    // A refused option ends the command before it reads: a broken pipe then is no failure.
    let _ = stdin.write_all(log.as_bytes());
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn test_takes_the_mode_and_program_a_jail_would() {
    let log = publickey("203.0.113.31", 1) + &password("sshd-wan", "203.0.113.32", 2);
    let hosts = |r: &str| r.split("\"hosts\":").nth(1).unwrap_or("").to_string();
    let (code, out) = test_cmd(&["--json", "sshd", "-"], &log);
    assert_eq!((code, hosts(&out).as_str()), (0, "{}}\n"), "{out}");
    let (code, out) = test_cmd(&["--mode", "aggressive", "sshd", "-", "--json"], &log);
    assert_eq!(
        (code, hosts(&out).as_str()),
        (0, "{\"203.0.113.31\":1}}\n"),
        "{out}"
    );
    let (code, out) = test_cmd(&["--json", "sshd", "-", "--program", "sshd-wan"], &log);
    assert_eq!(
        (code, hosts(&out).as_str()),
        (0, "{\"203.0.113.32\":1}}\n"),
        "{out}"
    );
    let (code, out) = test_cmd(&["--mode", "ddos", "dropbear", "-"], &log);
    assert_eq!(code, 1);
    assert!(out.contains("filter `dropbear` has no mode `ddos`"), "{out}");
    let (code, out) = test_cmd(&["--mode", "loud", "sshd", "-"], &log);
    assert_eq!(code, 1);
    assert!(out.contains("unknown mode `loud`"), "{out}");
    // With several filters, those without the mode run in normal.
    let (code, out) = test_cmd(&["--json", "--mode", "aggressive", "all", "-"], &log);
    assert_eq!(
        (code, hosts(&out).as_str()),
        (0, "{\"203.0.113.31\":1}}\n"),
        "{out}"
    );
}
