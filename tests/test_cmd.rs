//! `logjail test` as a user runs it: the real binary on real files and pipes.

mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn logjail(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_logjail"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    // A logjail that refuses its arguments exits without reading: a closed pipe is its answer.
    match pipe.write_all(stdin.unwrap_or_default()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        r => r.unwrap(),
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `name` in this test binary's scratch directory (one for all its tests).
fn tmp(name: &str) -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| support::scratch("test-cmd")).join(name)
}

/// The offenders of a genlog `openwrt` log, found without logjail: every 10th line is an attack
/// whose address follows the last "from " (as `ip:port` or `<ip:port>`); v6 ones all lie in
/// 2001:db8:bad::/64 and count as that one host.
fn expected_hosts(log: &str) -> (BTreeMap<String, u64>, usize) {
    let mut hosts = BTreeMap::new();
    let mut distinct = std::collections::BTreeSet::new();
    for line in log.lines().step_by(10) {
        let tail = &line[line.rfind("from ").unwrap() + 5..];
        let tail = tail.trim_start_matches('<');
        let (ip, _port) = tail.split('>').next().unwrap().rsplit_once(':').unwrap();
        distinct.insert(ip.to_owned());
        let host = if ip.contains(':') {
            assert!(ip.starts_with("2001:db8:bad::"), "{ip}");
            "2001:db8:bad::/64".to_owned()
        } else {
            ip.to_owned()
        };
        *hosts.entry(host).or_insert(0) += 1;
    }
    (hosts, distinct.len())
}

#[test]
fn json_on_a_generated_log_finds_every_attacker() {
    let tool = support::shared_dir("tools/genlog.py");
    let log = tmp("openwrt.log");
    let gen = Command::new("python3")
        .arg(&tool)
        .args(["openwrt", "20000"])
        .arg(&log)
        .output()
        .unwrap();
    assert!(gen.status.success(), "genlog: {}", text(&gen.stderr));
    // "OUT: N lines, A attack lines, D distinct attacker IPs"
    let summary = text(&gen.stderr);
    let num = |word: &str| -> u64 {
        let before = &summary[..summary.find(word).unwrap()];
        before.split_whitespace().last().unwrap().parse().unwrap()
    };
    let (attacks, distinct) = (num(" attack lines"), num(" distinct attacker"));
    let content = std::fs::read_to_string(&log).unwrap();
    let (want_hosts, want_distinct) = expected_hosts(&content);
    assert_eq!(
        want_distinct as u64, distinct,
        "the independent reading of the log is off"
    );

    let out = logjail(&["test", "dropbear", "--json", log.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout.lines().count(),
        1,
        "--json must print one object: {stdout}"
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["lines"], 20000);
    assert_eq!(v["matched"], attacks);
    assert_eq!(v["ignored"], 0);
    let got: BTreeMap<String, u64> = v["hosts"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, n)| (k.clone(), n.as_u64().unwrap()))
        .collect();
    assert_eq!(got.values().sum::<u64>(), attacks);
    assert_eq!(got, want_hosts);
}

#[test]
fn reads_stdin_and_prints_text_with_matched_rules() {
    let log = b"Bad password attempt for 'root' from 203.0.113.9:4242\n\
                Login attempt for nonexistent user from 2001:db8:bad::7:4242\n\
                Password auth succeeded for 'root' from 192.168.1.2:1\n\
                Bad password attempt for 'r\xffot' from 203.0.113.9:4243";
    let out = logjail(
        &["test", "--print-matched", "--print-missed", "dropbear", "-"],
        Some(log),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(
        s.contains("MATCH 203.0.113.9 rule 0 `^Bad password attempt for '.*' from <HOST>:\\d+$`"),
        "{s}"
    );
    assert!(s.contains("MATCH 2001:db8:bad::7 rule 1 "), "{s}");
    assert!(s.contains("MISS | Password auth succeeded"), "{s}");
    assert!(s.contains("4 read, 3 matched, 0 ignored, 1 missed"), "{s}");
    assert!(
        s.contains("203.0.113.9") && s.contains("2001:db8:bad::/64"),
        "{s}"
    );
}

#[test]
fn lists_builtin_filters_with_programs() {
    let out = logjail(&["test", "--list"], None);
    assert!(out.status.success());
    let s = text(&out.stdout);
    for want in [
        "dropbear",
        "programs: sshd sshd-session sshd-auth",
        "programs: uhttpd luci",
    ] {
        assert!(s.contains(want), "{want} not in {s}");
    }
}

#[test]
fn bad_filters_and_files_exit_1_with_a_message() {
    let bad = tmp("broken.filter");
    std::fs::write(&bad, "program x\nfailregex ^a (<HOST>\n").unwrap();
    let log = tmp("empty.log");
    std::fs::write(&log, "").unwrap();
    let cases: [(Vec<&str>, String); 4] = [
        (
            vec!["test", "nonesuch", log.to_str().unwrap()],
            "no filter `nonesuch`".into(),
        ),
        (
            vec!["test", bad.to_str().unwrap(), log.to_str().unwrap()],
            format!("{}:2: bad regex", bad.display()),
        ),
        (
            vec!["test", "sshd", "/nonexistent/auth.log"],
            "/nonexistent/auth.log: ".into(),
        ),
        (vec!["test", "sshd"], "usage: logjail test".into()),
    ];
    for (args, want) in cases {
        let out = logjail(&args, None);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains(&want), "{args:?}: {err:?} lacks {want:?}");
    }
    let out = logjail(&["test", "luci", "--json", log.to_str().unwrap()], None);
    assert_eq!(
        text(&out.stdout),
        "{\"lines\":0,\"matched\":0,\"ignored\":0,\"hosts\":{}}\n"
    );
}

#[test]
fn the_config_names_the_filter_directory() {
    let dir = tmp("filters.d");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("dropbear.filter"),
        "program dropbear\nfailregex ^pwned <HOST>$\n",
    )
    .unwrap();
    let config = tmp("logjail.config");
    std::fs::write(
        &config,
        format!("config logjail 'main'\n\toption filter_dir '{}'\n", dir.display()),
    )
    .unwrap();
    let log = b"pwned 203.0.113.9\nBad password attempt for 'root' from 198.51.100.1:22\n";
    let c = config.to_str().unwrap();
    let out = logjail(&["test", "-c", c, "--json", "dropbear", "-"], Some(log));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("\"hosts\":{\"203.0.113.9\":1}"),
        "{}",
        text(&out.stdout)
    );
    // Without a config file the built-in filter applies.
    let out = logjail(
        &["test", "-c", "/nonexistent/config", "--json", "dropbear", "-"],
        Some(log),
    );
    assert!(
        text(&out.stdout).contains("\"hosts\":{\"198.51.100.1\":1}"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn all_filters_at_once_name_the_filter_of_each_match() {
    let log = b"Bad password attempt for 'root' from 203.0.113.9:4242\n\
                2026/11/24 10:00:01 [error] 12#12: *5 user \"admin\": password mismatch, client: 198.51.100.4, server: _, request: \"GET / HTTP/1.1\", host: \"r\"\n\
                Nov 24 10:00:02 router mosquitto[9]: Client x (192.0.2.77) disconnected, not authorised.\n\
                Nov 24 10:00:03 router dnsmasq[1]: DHCPACK(br-lan) 192.168.1.5 aa:bb:cc:dd:ee:ff host\n";
    let out = logjail(&["test", "--print-matched", "all", "-"], Some(log));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    // mosquitto is no built-in: on released brokers its line is the client's to forge.
    assert!(!s.contains("mosquitto rule"), "{s}");
    for want in [
        "MATCH 203.0.113.9 dropbear rule 0 ",
        "MATCH 198.51.100.4 nginx-http-auth rule 1 ",
        "4 read, 2 matched, 0 ignored, 2 missed",
        "filter:  postfix-sasl (programs: postfix/* postfix-*)",
    ] {
        assert!(s.contains(want), "{want} not in {s}");
    }
    let out = logjail(&["test", "--json", "dropbear,nginx-http-auth", "-"], Some(log));
    assert_eq!(
        text(&out.stdout),
        "{\"lines\":4,\"matched\":2,\"ignored\":0,\"hosts\":{\"198.51.100.4\":1,\"203.0.113.9\":1}}\n"
    );
    let out = logjail(&["test", "dropbear,nonesuch", "-"], Some(log));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("nonesuch"), "{}", text(&out.stderr));
}

#[test]
fn printed_lines_show_control_bytes_escaped() {
    // A `\r` in a user name would make the printed line look like another one in a terminal.
    let log = b"Bad password attempt for 'x\rBad password attempt for 'root' from 198.51.100.77:1' from 203.0.113.9:4242\n\
                Password auth succeeded for '\x1b[2Kroot' from 192.168.1.2:1\n";
    let out = logjail(
        &["test", "--print-matched", "--print-missed", "dropbear", "-"],
        Some(log),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(
        s.contains("| Bad password attempt for 'x\\rBad password attempt for 'root' from 198.51.100.77:1' from 203.0.113.9:4242\n"),
        "{s}"
    );
    assert!(s.contains("MATCH 203.0.113.9 "), "{s}");
    assert!(
        s.contains("MISS | Password auth succeeded for '\\x1b[2Kroot'"),
        "{s}"
    );
    assert!(!s.contains('\r') && !s.contains('\x1b'), "{s:?}");
}
