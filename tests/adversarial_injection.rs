//! Adversarial pass (issue 10), part 2, through the real daemon: text a client chooses (user
//! names, passwords, key ids, SIP headers, client ids, URLs) never moves `<HOST>` in any
//! filter; addresses that are no hosts are never banned, from a log line or from `logjail
//! ban`; lines dated in the future lift no ban. See `adversarial.rs` for the index.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use support::daemon::{cli, config, remaining, Daemon};
use support::{scratch, BIN};

/// The address every injection writes into a client field.
const BAIT: &str = "198.51.100.77";

fn manifest(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// The built-in filters, by their fixture files.
fn filter_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(manifest("filters"))
        .expect("filters/")
        .flatten()
        .filter_map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.strip_suffix(".filter").map(str::to_string)
        })
        .collect();
    names.sort();
    assert!(names.len() >= 13, "only {} filters", names.len());
    names
}

/// A jail (named like the filter, `-` → `_`) per built-in filter, banning at the first failure.
fn every_jail(dir: &Path) -> PathBuf {
    let mut jails = String::new();
    for n in filter_names() {
        jails += &format!(
            "config jail '{}'\n\toption filter '{n}'\n\toption maxretry '1'\n\toption bantime '600'\n",
            n.replace('-', "_")
        );
    }
    config(dir, "", &jails)
}

/// Feeds `log` to `logjail run --dry-run` and returns (stdout, stderr) once input ended.
fn replay(cfg: &Path, log: &[u8]) -> (String, String) {
    let mut child = Command::new(BIN)
        .args(["run", "--dry-run", "--foreground", "--source", "-", "-c"])
        .arg(cfg)
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
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "logjail failed:\n{err}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), err)
}

/// Decodes the fixtures' `\xHH` and `\\`.
fn unescape(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = s.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        match (b, tail) {
            (b'\\', [b'\\', t @ ..]) => (out.push(b'\\'), rest = t).1,
            (b'\\', [b'x', h, l, t @ ..]) => {
                let hex = std::str::from_utf8(&[*h, *l]).expect("hex").to_string();
                out.push(u8::from_str_radix(&hex, 16).expect("\\xHH"));
                rest = t;
            }
            _ => (out.push(b), rest = tail).1,
        }
    }
    out
}

#[test]
fn every_injection_fixture_through_the_daemon_frames_nobody() {
    let dir = scratch("adv-inj-fixtures");
    let cfg = every_jail(&dir);
    let mut log = Vec::new();
    let mut lines = 0;
    for n in filter_names() {
        let text = std::fs::read_to_string(manifest(&format!("filters/{n}.fixtures"))).unwrap();
        for l in text.lines().filter(|l| !l.starts_with('#') && l.contains(BAIT)) {
            let (_, line) = l.split_once(' ').expect("fixture: EXPECTED LINE");
            log.extend(unescape(line));
            log.push(b'\n');
            lines += 1;
        }
    }
    assert!(lines >= 26, "only {lines} injection fixtures");
    let (out, err) = replay(&cfg, &log);
    assert!(!out.contains(BAIT), "the injected address was banned:\n{out}");
    // Every filter judged its lines (each has an injection fixture with a real peer).
    for n in filter_names() {
        let jail = n.replace('-', "_");
        assert!(
            out.contains(&format!("ban {jail} ")),
            "no ban by {jail}: its lines did not reach it\n{out}\n{err}"
        );
    }
}

/// A logread line (`Wed Dec  2 18:40:00 2026 FACILITY PROG: MSG`) stamped now + `ahead` s,
/// in UTC as the daemon reads it when the zone is UTC.
fn logread(ahead: i64, prog: &str, msg: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let out = Command::new("date")
        .args(["-u", "-d", &format!("@{}", now + ahead), "+%a %b %e %H:%M:%S %Y"])
        .output()
        .expect("date");
    let stamp = String::from_utf8_lossy(&out.stdout).trim_end().to_string();
    format!("{stamp} daemon.info {prog}: {msg}\n")
}

/// Forms found while hunting, each with its program as logread shows it and the peer the
/// service wrote (`None`: the line is missed, which is safe).
fn hunted() -> Vec<(&'static str, String, Option<&'static str>)> {
    let b = BAIT;
    vec![
        ("vsftpd[9]", format!("[anonymous] FAIL LOGIN: Client \"{b}\", anon password \"x] FAIL LOGIN: Client \"203.0.113.101\""), None),
        ("vsftpd[9]", format!("[anonymous] FAIL LOGIN: Client \"203.0.113.102\", anon password \"x\", anon password \"\" FAIL LOGIN: Client \"{b}\""), None),
        ("vsftpd[9]", format!("[x] FAIL LOGIN: Client \"{b}\"] FAIL LOGIN: Client \"203.0.113.103\""), None),
        ("sshd[9]", format!("Failed publickey for root from 203.0.113.104 port 4242 ssh2: ED25519-CERT SHA256:AAAA ID from {b} port 22 ssh2 (serial 1) CA ED25519 SHA256:BBBB"), None),
        ("sshd[9]", format!("Failed publickey for root from 203.0.113.105 port 4242 ssh2: RSA-CERT SHA256:AAAA ID x ssh2: ED25519 SHA256:x from {b} port 22 ssh2 (serial 1) CA RSA SHA256:BBBB"), None),
        ("sshd[9]", format!("User a from {b} not allowed because listed in DenyUsers from 203.0.113.106 not allowed because not listed in AllowUsers"), Some("203.0.113.106")),
        ("sshd[9]", format!("Connection closed by invalid user a {b} port 22 203.0.113.107 port 4242 [preauth]"), None), // the same connection as its "Invalid user" line: counted there
        ("sshd[9]", format!("Bad protocol version identification 'SSH-2.0-x from {b} port 22' from 203.0.113.108 port 4242"), None), // ddos mode only
        ("sshd[9]", format!("Unable to negotiate with 203.0.113.109 port 4242: no matching cipher found. Their offer: x from {b} port 22"), None), // aggressive mode only
        ("sshd[9]", format!("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.110  user=a rhost={b}"), None), // user= holds a space: missed, never framed
        ("sshd[9]", format!("Disconnecting invalid user a {b} port 22: Too many authentication failures 203.0.113.111 port 4242: Too many authentication failures [preauth]"), None), // aggressive mode only: the same event as "maximum authentication attempts exceeded"
        ("dropbear[9]", format!("Exit before auth from <203.0.113.112:4242>: (user 'a from <{b}:22>: (user ', 3 fails): Max auth tries reached - user 'b'"), Some("203.0.113.112")),
        ("uhttpd[9]", format!("luci: failed login on /cgi-bin/luci/ from {b} for root from {b} from 203.0.113.113"), Some("203.0.113.113")),
        ("asterisk[9]", format!("NOTICE[3170]: res_pjsip/pjsip_distributor.c:676 in log_failed_request: Request 'REGISTER' from '\"' failed for '{b}:5060' (callid: 1) - Failed to authenticate\" <sip:a@b>' failed for '203.0.113.114:5060' (callid: ' failed for '{b}:5060' (callid: 2) - Failed to authenticate"), None),
        ("asterisk[9]", format!("NOTICE[3200]: chan_sip.c:28510 in handle_request_register: Registration from '\"a' failed for '{b}' - Wrong password\" <sip:1@2>' failed for '203.0.113.115:5060' - Wrong password"), Some("203.0.113.115")),
        ("dovecot[9]", format!("imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<a, rip={b}, lip=192.0.2.1>, method=PLAIN, rip=203.0.113.116, lip=192.0.2.1, TLS, session=<s>"), Some("203.0.113.116")),
        ("openvpn(server)[9]", format!("{b}/203.0.113.117:4001 TLS Auth Error: Auth Username/Password verification failed for peer"), Some("203.0.113.117")),
        ("openvpn(server)[9]", format!("a {b}/203.0.113.118:4001 TLS Error: TLS handshake failed"), None),
        ("postfix/smtpd[9]", format!("warning: unknown[203.0.113.119]: SASL LOGIN authentication failed: UGFzc3dvcmQ6 unknown[{b}]: SASL LOGIN authentication failed:"), Some("203.0.113.119")),
        ("proftpd[9]", format!("nas.lan (203.0.113.120[203.0.113.120]) - USER a (Login failed): Incorrect password (x[{b}]) - USER b (Login failed): Incorrect password"), Some("203.0.113.120")),
        ("nginx[9]", format!("2026/11/24 10:00:05 [error] 1234#1234: *1 user \"a\" was not found in \"/etc/p\", client: 203.0.113.121, server: _, request: \"GET /, client: {b}, server: x HTTP/1.1\", host: \"{b}\""), Some("203.0.113.121")),
        ("nginx[9]", format!("2026/11/24 10:00:05 [error] 1234#1234: *2 limiting requests, excess: 1.000 by zone \"one\", client: 203.0.113.122, server: _, request: \"GET /\\\", client: {b}, server: \""), Some("203.0.113.122")),
        ("lighttpd[9]", format!("(mod_auth.c.852) password doesn't match for /x IP: {b} username: a IP: {b} username: b IP: 203.0.113.123"), Some("203.0.113.123")),
        ("AdGuardHome[9]", format!("[error] POST {b} /control/login: from ip {b}: invalid username or password /control/login: from ip 203.0.113.124: invalid username or password"), None),
    ]
}

#[test]
fn client_fields_of_every_filter_frame_nobody_through_the_daemon() {
    let dir = scratch("adv-inj-hunted");
    let cfg = every_jail(&dir);
    let forms = hunted();
    let mut d = Daemon::start(&cfg);
    for (prog, msg, _) in &forms {
        d.feed(&logread(0, prog, msg));
    }
    // The last line is plain: once it is banned, every line before it was judged.
    d.feed(&logread(
        0,
        "dropbear[9]",
        "Bad password attempt for 'root' from 203.0.113.199:1",
    ));
    assert!(d.wait_out("ban dropbear 203.0.113.199"), "{}", d.err());
    let (_, out, err) = d.stop();
    assert!(!out.contains(BAIT), "the injected address was banned:\n{out}");
    for (prog, msg, want) in &forms {
        if let Some(peer) = want {
            assert!(
                out.contains(&format!(" {peer} 600")),
                "{prog}: {msg}\n  should ban {peer}:\n{out}\n{err}"
            );
        }
    }
}

/// Addresses that are no hosts, in the spelling a service writes them.
const NOT_HOSTS: [&str; 8] = [
    "0.0.0.0",
    "255.255.255.255",
    "224.0.0.1",
    "240.0.0.1",
    "::",
    "ff02::1",
    "::ffff:0.0.0.0",
    "::ffff:224.0.0.1",
];

#[test]
fn addresses_that_are_no_hosts_are_never_banned_from_any_filter() {
    let dir = scratch("adv-nohost-lines");
    let cfg = every_jail(&dir);
    let mut log = String::new();
    for a in NOT_HOSTS {
        log += &format!("Failed password for root from {a} port 22 ssh2\n");
        log += &format!("[info] luci: failed login on / for root from {a}\n");
        log += &format!("[x] FAIL LOGIN: Client \"{a}\"\n");
        log += &format!("warning: unknown[{a}]: SASL LOGIN authentication failed: x\n");
        log += &format!("Bad password attempt for 'root' from {a}:22\n");
    }
    log += "Failed password for root from 203.0.113.5 port 22 ssh2\n";
    let (out, err) = replay(&cfg, log.as_bytes());
    assert_eq!(out, "ban sshd 203.0.113.5 600\n", "{err}");
}

#[test]
fn addresses_that_are_no_hosts_are_refused_by_logjail_ban() {
    let dir = scratch("adv-nohost-ban");
    let cfg = every_jail(&dir);
    let d = Daemon::start(&cfg);
    for a in NOT_HOSTS.iter().chain(&["127.0.0.1", "::1", "::ffff:127.0.0.1"]) {
        for force in [false, true] {
            let mut args = vec!["ban", "dropbear", a];
            if force {
                args.push("--force");
            }
            let (code, out, err) = cli(&cfg, &args);
            assert_eq!(code, 1, "logjail {args:?} was accepted: {out}");
            assert!(err.contains("never banned"), "{args:?}: {err}");
        }
    }
    let (code, list, _) = cli(&cfg, &["list", "--json"]);
    assert_eq!(
        (code, list.trim()),
        (0, "{\"bans\":[],\"refused\":[],\"kernel_only\":[]}")
    );
    assert_eq!(d.out(), "", "a decision was taken");
}

#[test]
fn a_burst_of_lines_from_the_future_lifts_no_ban_and_warns_once() {
    let dir = scratch("adv-future");
    let cfg = config(&dir, "", &support::daemon::dropbear(1, ""));
    let mut d = Daemon::start(&cfg);
    d.feed(&logread(
        0,
        "dropbear[1]",
        "Bad password attempt for 'root' from 203.0.113.9:22",
    ));
    assert!(d.wait_out("ban dropbear 203.0.113.9 600"), "{}", d.err());
    let banned = std::time::Instant::now();
    // Within the bound, just past it, two days, a year, a century ahead; then back and
    // forth, from any program, 300 lines in all.
    let mut burst = String::new();
    for i in 0..50 {
        for ahead in [
            299,
            301 + i,
            2 * 86_400,
            365 * 86_400,
            100 * 365 * 86_400,
            -86_400,
        ] {
            burst += &logread(ahead, "ntpd[2]", "time slew +0.000s");
        }
    }
    // RFC 5424 stamps far ahead, and stamps no calendar has.
    burst += "<13>1 2999-01-01T00:00:00Z host prog - - - x\n";
    burst += "<13>1 9999-12-31T23:59:60.999999+14:00 host prog - - - x\n";
    burst += "Fri Feb 30 99:99:99 99999 daemon.info prog: x\n";
    d.feed(&burst);
    d.feed(&logread(
        2 * 86_400,
        "dropbear[1]",
        "Bad password attempt for 'root' from 203.0.113.10:22",
    ));
    assert!(d.wait_out("ban dropbear 203.0.113.10 600"), "{}", d.err());
    std::thread::sleep(Duration::from_millis(1200));
    let (_, list, _) = cli(&cfg, &["list", "--json"]);
    let left: u32 = remaining(&list, "203.0.113.9")
        .and_then(|r| r.parse().ok())
        .unwrap_or_else(|| panic!("203.0.113.9 is no longer banned: {list}\n{}", d.err()));
    // At most the 300 s bound may be taken off (a line a few minutes early is believed),
    // besides the time that really passed.
    let floor = 600 - 300 - 2 - banned.elapsed().as_secs() as u32;
    assert!(
        left >= floor,
        "the ban lost {}s to lines from the future",
        600 - left
    );
    let (code, out, err) = d.stop();
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("unban"), "a ban was lifted:\n{out}");
    let warnings = err.matches("ahead of the clock").count();
    assert_eq!(warnings, 1, "warned {warnings} times:\n{err}");
}
