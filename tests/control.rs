//! The control socket and the CLI verbs against a real daemon (dry-run backend, real socket).

mod support;

use logjail::control::proto::{self, Request};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};
use support::daemon::{cli, config, dropbear, failure, wait, Daemon};
use support::scratch;

#[test]
fn verbs_show_and_change_what_is_banned() {
    let dir = scratch("ctl-verbs");
    let cfg = config(&dir, "", &dropbear(2, ""));
    let mut d = Daemon::start(&cfg);
    d.feed(&failure("203.0.113.9"));
    d.feed(&failure("203.0.113.9"));
    d.feed(&failure("198.51.100.1"));
    assert!(d.wait_out("ban dropbear 203.0.113.9 600"), "{}", d.err());

    let (code, out, _) = cli(&cfg, &["status", "--json"]);
    assert_eq!(code, 0);
    assert!(out.contains("\"source\":{\"state\":\"open\""), "{out}");
    assert!(
        out.contains("{\"name\":\"dropbear\",\"currently_failed\":1,\"total_failed\":3,\"currently_banned\":1,\"total_banned\":1}"),
        "{out}"
    );
    let (code, out, _) = cli(&cfg, &["status", "dropbear"]);
    assert_eq!(code, 0);
    assert!(out.contains("dropbear") && out.contains("source: open"), "{out}");
    let (code, _, err) = cli(&cfg, &["status", "nope"]);
    assert_eq!(code, 1);
    assert!(err.contains("no jail 'nope' (jails: dropbear)"), "{err}");

    // Manual bans: a time, permanent, an IPv6 address (banned as its /64), the ignore list.
    let (code, out, _) = cli(&cfg, &["ban", "dropbear", "192.0.2.7", "--time", "120"]);
    assert_eq!(
        (code, out.as_str()),
        (0, "dropbear: banned 192.0.2.7 for 2m0s (ban #1)\n")
    );
    assert!(d.wait_out("ban dropbear 192.0.2.7 120"));
    let (code, out, _) = cli(
        &cfg,
        &["ban", "dropbear", "2001:db8:bad::7", "--time", "-1", "--json"],
    );
    assert_eq!(code, 0);
    assert!(out.starts_with("{\"banned\":{\"jail\":\"dropbear\",\"address\":\"2001:db8:bad::/64\",\"remaining\":null,\"count\":1,"), "{out}");
    assert!(d.wait_out("ban dropbear 2001:db8:bad::/64 -1"));
    let (code, _, err) = cli(&cfg, &["ban", "dropbear", "192.168.1.20"]);
    assert_eq!(code, 1);
    assert!(err.contains("ignore list") && err.contains("--force"), "{err}");
    let (code, _, _) = cli(&cfg, &["ban", "dropbear", "192.168.1.20", "--force"]);
    assert_eq!(code, 0);
    let (code, _, err) = cli(&cfg, &["ban", "dropbear", "127.0.0.1", "--force"]);
    assert_eq!(code, 1);
    assert!(err.contains("never banned"), "{err}");
    // Addresses that are no host's are never banned, not even by hand.
    for a in ["0.0.0.0", "255.255.255.255", "224.0.0.1", "::", "ff02::1"] {
        let (code, _, err) = cli(&cfg, &["ban", "dropbear", a, "--force"]);
        assert_eq!(code, 1, "{a}");
        assert!(
            err.contains("not a host's address") && err.contains("never banned"),
            "{a}: {err}"
        );
    }
    let (code, out, err) = cli(&cfg, &["ban", "dropbear", "not-an-ip", "--json"]);
    assert_eq!(code, 1);
    assert!(
        out.starts_with("{\"error\":") && err.contains("not an IP address"),
        "{out}{err}"
    );

    let (code, out, _) = cli(&cfg, &["list", "--json"]);
    assert_eq!(code, 0);
    for a in ["203.0.113.9", "192.0.2.7", "2001:db8:bad::/64", "192.168.1.20"] {
        assert!(out.contains(&format!("\"address\":\"{a}\"")), "{a}: {out}");
    }
    let (_, text, _) = cli(&cfg, &["list"]);
    assert!(
        text.lines().any(|l| l.contains("192.0.2.7") && l.contains("m")),
        "{text}"
    );

    // Unban resets the failure count: one more failure from 198.51.100.1 is not a ban.
    let (code, out, _) = cli(&cfg, &["unban", "198.51.100.1", "--json"]);
    assert_eq!(
        (code, out.as_str()),
        (0, "{\"unbanned\":[],\"kernel_only\":[]}\n")
    );
    // The daemon had no ban of it, yet the firewall is asked to remove it (issue 10: an
    // element left by a crash or added by hand could not be lifted).
    assert!(d.wait_out("unban * 198.51.100.1"), "{}", d.out());
    // The dry run holds nothing: neither logjail nor the sets had it, and it says so.
    let (code, out, _) = cli(&cfg, &["unban", "198.51.100.2"]);
    assert_eq!(
        (code, out.as_str()),
        (
            0,
            "nothing was banned: 198.51.100.2 is neither among logjail's bans nor in the firewall's sets\n"
        )
    );
    d.feed(&failure("198.51.100.1"));
    let (code, out, _) = cli(&cfg, &["unban", "203.0.113.9"]);
    assert_eq!((code, out.as_str()), (0, "dropbear: unbanned 203.0.113.9\n"));
    assert!(d.wait_out("unban dropbear 203.0.113.9"));
    let (_, st, _) = cli(&cfg, &["status", "--json"]);
    assert!(st.contains("\"currently_failed\":1,"), "{st}");
    assert!(!d
        .out()
        .lines()
        .any(|l| l.starts_with("ban dropbear 198.51.100.1")));

    let (code, out, _) = cli(&cfg, &["unban", "--all", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(out.matches("\"address\"").count(), 3, "{out}");
    // And everything in the sets goes, known or not.
    assert!(d.wait_out("flush"), "{}", d.out());
    let (_, out, _) = cli(&cfg, &["list"]);
    assert_eq!(out, "no bans\n");
    let (code, _, err) = cli(&cfg, &["unban"]);
    assert_eq!(code, 1);
    assert!(err.contains("--all"), "{err}");

    let (code, out, _) = cli(&cfg, &["version", "--json"]);
    let v = env!("CARGO_PKG_VERSION");
    assert_eq!(
        (code, out),
        (0, format!("{{\"client\":\"{v}\",\"daemon\":\"{v}\"}}\n"))
    );
    let (code, ..) = d.stop();
    assert_eq!(code, 0);
}

#[test]
fn without_a_daemon_every_verb_says_so_and_fails() {
    let dir = scratch("ctl-none");
    let cfg = config(&dir, "", &dropbear(2, ""));
    for args in [
        &["status"][..],
        &["list", "--json"],
        &["ban", "dropbear", "192.0.2.1"],
        &["unban", "--all"],
        &["reload"],
        &["version"],
    ] {
        let (code, out, err) = cli(&cfg, args);
        assert_eq!(code, 1, "{args:?}");
        assert!(err.contains("no logjail daemon is running"), "{args:?}: {err}");
        assert!(err.contains(&dir.join("sock").display().to_string()), "{err}");
        if args.contains(&"--json") {
            assert!(out.starts_with("{\"error\":\"no logjail daemon"), "{out}");
        }
    }
    // An unreadable config falls back to the default socket path; --socket overrides both.
    let (code, _, err) = cli(&dir.join("missing"), &["status", "--socket", "/nonexistent/s"]);
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent/s"), "{err}");
}

#[test]
fn a_silent_client_does_not_stall_another_or_the_lines() {
    let dir = scratch("ctl-silent");
    let cfg = config(&dir, "", &dropbear(1, ""));
    let mut d = Daemon::start(&cfg);
    let sock = dir.join("sock");
    let silent = UnixStream::connect(&sock).expect("connect");
    let mut half = UnixStream::connect(&sock).expect("connect");
    half.write_all(&[0, 0, 0, 9, 1]).expect("half a request");
    let t = Instant::now();
    let (code, out, err) = cli(&cfg, &["status"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("dropbear"));
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    d.feed(&failure("203.0.113.50"));
    assert!(d.wait_out("ban dropbear 203.0.113.50 600"));
    // The silent ones are dropped after their deadline.
    let mut buf = [0u8; 8];
    half.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    assert_eq!(half.read(&mut buf).unwrap_or(0), 0, "closed");
    drop(silent);
    assert_eq!(d.stop().0, 0);
}

#[test]
fn too_many_clients_are_closed_and_the_daemon_recovers() {
    let dir = scratch("ctl-many");
    let cfg = config(&dir, "", &dropbear(1, ""));
    let d = Daemon::start(&cfg);
    let sock = dir.join("sock");
    let hogs: Vec<UnixStream> = (0..8)
        .map(|_| UnixStream::connect(&sock).expect("connect"))
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    // Every slot is held by a silent client: the one silent longest gives way to a client
    // that asks at once (before issue 10's pass, it was closed for the hogs' 2 s).
    let (code, _, err) = cli(&cfg, &["status"]);
    assert_eq!(code, 0, "{err}");
    let mut hogs = hogs;
    let mut buf = [0u8; 8];
    hogs[0].set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    assert_eq!(
        hogs[0].read(&mut buf).unwrap_or(1),
        0,
        "the oldest hog was closed"
    );
    assert!(wait(Duration::from_secs(10), || cli(&cfg, &["status"]).0 == 0));
    drop(hogs);
    assert_eq!(d.stop().0, 0);
}

/// Sends `bytes` raw and returns what the daemon answered before closing.
fn raw(sock: &std::path::Path, bytes: &[u8]) -> Vec<u8> {
    let mut s = UnixStream::connect(sock).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.write_all(bytes);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

#[test]
fn a_thousand_garbage_requests_leave_the_daemon_serving() {
    let dir = scratch("ctl-garbage");
    let cfg = config(&dir, "", &dropbear(1, ""));
    let mut d = Daemon::start(&cfg);
    let sock = dir.join("sock");
    // Oversized and empty frames get an error reply naming the problem.
    let r = raw(&sock, &[0, 1, 0, 0]);
    let msg = proto::decode_response(&r[4..]).expect("reply");
    assert!(
        format!("{msg:?}").contains("larger than the limit of 4096"),
        "{msg:?}"
    );
    let r = raw(&sock, &[0, 0, 0, 0]);
    assert!(format!("{:?}", proto::decode_response(&r[4..])).contains("empty frame"));
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut errors = 0;
    for i in 0..1000 {
        let len = (next() % 48) as usize;
        let mut body: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        // Half with a correct length prefix (reaching the decoder), half raw bytes.
        if i % 2 == 0 {
            let mut framed = (body.len() as u32).to_be_bytes().to_vec();
            framed.append(&mut body);
            body = framed;
        }
        let r = raw(&sock, &body);
        if r.len() > 4 && format!("{:?}", proto::decode_response(&r[4..])).contains("Error") {
            errors += 1;
        }
    }
    assert!(errors > 100, "{errors} error replies");
    assert!(d.alive());
    // A well-formed request still works, and so do the lines.
    let mut req = Vec::new();
    proto::push_frame(&Request::Version, &mut req).unwrap();
    let r = raw(&sock, &req);
    assert!(format!("{:?}", proto::decode_response(&r[4..])).contains("Version"));
    d.feed(&failure("203.0.113.77"));
    assert!(d.wait_out("ban dropbear 203.0.113.77 600"));
    assert_eq!(d.stop().0, 0);
}

#[test]
fn list_of_ten_thousand_bans_streams_in_frames() {
    let dir = scratch("ctl-10k");
    let cfg = config(
        &dir,
        "",
        &dropbear(
            1,
            "\toption max_bans '20000'\n\toption max_offenders '20000'\n\toption max_failures '20000'",
        ),
    );
    let mut d = Daemon::start(&cfg);
    let mut lines = String::new();
    for i in 0..10_000u32 {
        lines.push_str(&failure(&format!(
            "10.{}.{}.{}",
            100 + i / 65536,
            (i / 256) % 256,
            i % 256
        )));
    }
    d.feed(&lines);
    assert!(wait(Duration::from_secs(60), || d.out().lines().count() >= 10_000));
    let (code, out, err) = cli(&cfg, &["list", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.matches("\"address\"").count(), 10_000);
    let (code, out, _) = cli(&cfg, &["list"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 10_001);
    assert_eq!(d.stop().0, 0);
}

#[test]
fn reload_applies_a_changed_config_and_keeps_the_bans() {
    let dir = scratch("ctl-reload");
    let two = format!("{}config jail 'luci'\n\toption maxretry '1'\n", dropbear(1, ""));
    let cfg = config(&dir, "", &two);
    let mut d = Daemon::start(&cfg);
    d.feed(&failure("203.0.113.1"));
    assert!(d.wait_out("ban dropbear 203.0.113.1 600"));
    assert_eq!(cli(&cfg, &["ban", "luci", "198.51.100.5"]).0, 0);
    assert!(d.wait_out("ban luci 198.51.100.5 3600"));
    // luci goes away; dropbear's ban time changes (running bans keep theirs).
    config(&dir, "", &dropbear(1, "\toption bantime '900'"));
    let (code, out, err) = cli(&cfg, &["reload", "--json"]);
    assert_eq!(
        (code, out.as_str()),
        (0, "{\"reloaded\":true,\"jails\":1}\n"),
        "{err}"
    );
    assert!(d.wait_out("unban luci 198.51.100.5"));
    let (_, list, _) = cli(&cfg, &["list", "--json"]);
    assert!(
        list.contains("203.0.113.1") && !list.contains("198.51.100.5"),
        "{list}"
    );
    d.feed(&failure("203.0.113.2"));
    assert!(d.wait_out("ban dropbear 203.0.113.2 900"));
    // SIGHUP does the same: luci is back.
    config(&dir, "", &two);
    d.signal("HUP");
    assert!(wait(Duration::from_secs(10), || cli(&cfg, &["status", "luci"]).0 == 0));
    let (_, list, _) = cli(&cfg, &["list", "--json"]);
    assert!(
        list.contains("203.0.113.1") && list.contains("203.0.113.2"),
        "{list}"
    );
    // A broken config is refused and the running one stays.
    std::fs::write(&cfg, "config jail 'x'\n\toption maxretry 'many'\n").unwrap();
    let (code, _, err) = cli(
        &cfg,
        &["reload", "--socket", &dir.join("sock").display().to_string()],
    );
    assert_eq!(code, 1);
    assert!(err.contains("reload failed") && err.contains("maxretry"), "{err}");
    assert!(d.alive());
    assert!(d.stop().1.contains("ban dropbear 203.0.113.2 900"));
}

#[test]
fn a_second_daemon_on_the_same_socket_refuses_to_start() {
    let dir = scratch("ctl-second");
    let cfg = config(&dir, "", &dropbear(1, ""));
    let mut d = Daemon::start(&cfg);
    d.feed(&failure("203.0.113.60"));
    assert!(d.wait_out("ban dropbear 203.0.113.60 600"));
    let out = std::process::Command::new(support::BIN)
        .args(["run", "--dry-run", "--foreground", "--source", "-", "-c"])
        .arg(&cfg)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("second daemon");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("another logjail daemon is running"), "{err}");
    assert!(
        !err.contains("state:"),
        "the second one did not read the state: {err}"
    );
    assert_eq!(cli(&cfg, &["list"]).1.lines().count(), 2);
    assert_eq!(d.stop().0, 0);
}

#[test]
fn manual_unban_lifts_a_recidive_ban_too() {
    let dir = scratch("ctl-recidive");
    let jails = format!(
        "{}config jail 'second'\n\toption filter 'dropbear'\n\toption maxretry '2'\n\toption bantime '600'\n",
        dropbear(2, "")
    );
    let cfg = config(
        &dir,
        "\toption recidive_maxbans '2'\n\toption recidive_bantime '1d'",
        &jails,
    );
    let mut d = Daemon::start(&cfg);
    d.feed(&failure("203.0.113.9"));
    d.feed(&failure("203.0.113.9"));
    // Two jails ban the same host: the second ban makes it a recidivist.
    assert!(
        d.wait_out("ban recidive 203.0.113.9 86400"),
        "{}\n{}",
        d.out(),
        d.err()
    );
    let (code, out, err) = cli(&cfg, &["unban", "203.0.113.9"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("recidive"), "{out}");
    assert!(d.wait_out("unban recidive 203.0.113.9"), "{}", d.out());
    let (code, out, _) = cli(&cfg, &["list", "--json"]);
    assert_eq!(code, 0);
    assert!(!out.contains("203.0.113.9"), "{out}");
}
