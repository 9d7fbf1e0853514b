//! Adversarial pass (issue 10), part 6: what a careless admin puts in the configuration and
//! the filter directory, met by `logjail check` and by the running daemon on a reload (SIGHUP
//! and `logjail reload`): broken files keep the running daemon and its bans with a
//! `FILE:LINE:` message; files that are no files (devices, FIFOs, huge ones) are refused
//! unread; 70 user filters are all asked. See `adversarial.rs` for the index.

mod support;

use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use support::daemon::{cli, config, dropbear, failure, wait, Daemon};
use support::{scratch, BIN};

/// `status` answered, and how long it took.
fn status_time(cfg: &Path) -> Duration {
    let t = Instant::now();
    let (code, _, err) = cli(cfg, &["status"]);
    assert_eq!(code, 0, "status failed: {err}");
    t.elapsed()
}

#[test]
fn a_broken_config_on_reload_keeps_the_daemon_and_its_bans() {
    let dir = scratch("adv-ctl-reload");
    let cfg = config(&dir, "", &dropbear(1, ""));
    let mut d = Daemon::start(&cfg);
    d.feed(&failure("203.0.113.70"));
    assert!(d.wait_out("ban dropbear 203.0.113.70 600"));
    let good = std::fs::read_to_string(&cfg).expect("config");
    // The line after the good file's last: where each breakage is.
    let next = format!("config:{}:", good.lines().count() + 1);
    let broken: [(&str, String, &str); 4] = [
        ("bad value", format!("{good}\toption maxretry 'many'\n"), &next),
        ("unclosed quote", format!("{good}config jail 'luci\n"), &next),
        (
            "bad filter regex",
            format!(
                "{good}config jail 'x'\n\toption filter '{}/x.filter'\n",
                dir.display()
            ),
            "x.filter:1:",
        ),
        (
            "binary garbage",
            "\u{0}\u{1}config \u{ff}\n".repeat(50),
            "config:1:",
        ),
    ];
    std::fs::write(dir.join("x.filter"), "failregex ^(unclosed <HOST>\n").expect("filter");
    for (what, text, at) in broken {
        std::fs::write(&cfg, &text).expect("break config");
        // `logjail reload`: the client is told where, and the daemon stays.
        let (code, _, err) = cli(
            &cfg,
            &["reload", "--socket", &dir.join("sock").display().to_string()],
        );
        assert_eq!(code, 1, "{what}: reload accepted: {err}");
        assert!(err.contains("reload failed") && err.contains(at), "{what}: {err}");
        // SIGHUP: the daemon log says where.
        let before = d.err().len();
        d.signal("HUP");
        let logged = wait(Duration::from_secs(10), || d.err()[before..].contains(at));
        assert!(
            logged,
            "{what}: SIGHUP logged no FILE:LINE: message:\n{}",
            &d.err()[before..]
        );
        assert!(d.alive(), "{what}: the daemon died");
    }
    // A configuration that is a symbolic link to an endless device, and a directory.
    std::fs::remove_file(&cfg).expect("rm");
    std::os::unix::fs::symlink("/dev/zero", &cfg).expect("link");
    d.signal("HUP");
    assert!(
        wait(Duration::from_secs(10), || d
            .err()
            .contains("not a regular file, not a logjail configuration")),
        "{}",
        d.err()
    );
    std::fs::remove_file(&cfg).expect("rm");
    std::fs::create_dir(&cfg).expect("dir");
    d.signal("HUP");
    std::thread::sleep(Duration::from_millis(300));
    assert!(d.alive());
    // Still judging with the first configuration, and the ban is there.
    d.feed(&failure("203.0.113.71"));
    assert!(d.wait_out("ban dropbear 203.0.113.71 600"), "{}", d.err());
    std::fs::remove_dir(&cfg).expect("rmdir");
    std::fs::write(&cfg, &good).expect("restore");
    let (_, list, _) = cli(&cfg, &["list", "--json"]);
    assert!(
        list.contains("203.0.113.70") && list.contains("203.0.113.71"),
        "{list}"
    );
}

#[test]
fn the_seventieth_user_filter_is_asked() {
    let dir = scratch("adv-ctl-70");
    let fdir = dir.join("filters");
    std::fs::create_dir(&fdir).expect("filter dir");
    let mut jails = String::new();
    for i in 1..=70 {
        std::fs::write(
            fdir.join(format!("u{i:02}.filter")),
            format!("failregex ^user filter {i:02} failure from <HOST>$\n"),
        )
        .expect("filter");
        jails += &format!("config jail 'u{i:02}'\n\toption maxretry '1'\n\toption bantime '600'\n");
    }
    let cfg = config(&dir, &format!("\toption filter_dir '{}'", fdir.display()), &jails);
    let mut d = Daemon::start(&cfg);
    for i in [70, 65, 64, 1] {
        d.feed(&format!("user filter {i:02} failure from 203.0.113.{i}\n"));
    }
    // A program name no filter lists reaches them too (they list none).
    d.feed("Wed Dec  2 10:00:00 2026 daemon.info anything[1]: user filter 69 failure from 203.0.113.69\n");
    assert!(d.wait_out("ban u69 203.0.113.69"), "{}", d.err());
    let out = d.out();
    for i in [70, 65, 64, 1] {
        assert!(
            out.contains(&format!("ban u{i:02} 203.0.113.{i} ")),
            "u{i:02} not asked:\n{out}"
        );
    }
}

/// Runs `logjail ARGS -c CFG`, killed after `limit`: (exit code or None when killed, stderr).
fn cli_within(cfg: &Path, args: &[&str], limit: Duration) -> (Option<i32>, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .arg("-c")
        .arg(cfg)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run logjail");
    let done = wait(limit, || matches!(child.try_wait(), Ok(Some(_))));
    if !done {
        let _ = child.kill();
    }
    let out = child.wait_with_output().expect("wait");
    let code = if done { out.status.code() } else { None };
    (code, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_filter_path_that_is_no_filter_file_is_refused_without_reading_it() {
    // A careless `option filter`: an endless device (read until memory ran out), a FIFO
    // (the loader, and on a reload the whole daemon, blocked in open), a big file.
    let dir = scratch("adv-ctl-filterfile");
    let fifo = dir.join("fifo.filter");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo")
        .success());
    let big = dir.join("big.filter");
    std::fs::write(&big, format!("# {}\n", "x".repeat(1000)).repeat(1000)).expect("big");
    for (path, why) in [
        (Path::new("/dev/zero"), "not a regular file"),
        (&fifo, "not a regular file"),
        (&big, "larger than"),
    ] {
        let jail = format!("config jail 'luci'\n\toption filter '{}'\n", path.display());
        let cfg = config(&dir, "", &jail);
        let (code, err) = cli_within(&cfg, &["check"], Duration::from_secs(5));
        assert_eq!(code, Some(1), "{path:?}: check did not refuse it in time: {err}");
        let named = err.contains(&format!("{}: {why}", path.display()));
        assert!(named, "{path:?}: {err}");
    }
    // Met on SIGHUP: the daemon does not block, keeps its configuration and keeps answering.
    let cfg = config(&dir, "", &dropbear(1, ""));
    let mut d = Daemon::start(&cfg);
    let jail = format!("config jail 'luci'\n\toption filter '{}'\n", fifo.display());
    config(&dir, "", &format!("{}{jail}", dropbear(1, "")));
    d.signal("HUP");
    let refused = wait(Duration::from_secs(5), || d.err().contains("not a regular file"));
    assert!(refused, "{}", d.err());
    assert!(status_time(&cfg) < Duration::from_secs(2));
    d.feed(&failure("203.0.113.90"));
    assert!(d.wait_out("ban dropbear 203.0.113.90 600"), "{}", d.err());
}

#[test]
fn a_fifo_as_the_configuration_blocks_nothing() {
    let dir = scratch("adv-cfg-fifo");
    let cfg = config(&dir, "", &dropbear(1, ""));
    let mut d = Daemon::start(&cfg);
    let good = std::fs::read_to_string(&cfg).expect("config");
    std::fs::remove_file(&cfg).expect("rm");
    assert!(Command::new("mkfifo")
        .arg(&cfg)
        .status()
        .expect("mkfifo")
        .success());
    let (code, err) = cli_within(&cfg, &["check"], Duration::from_secs(3));
    assert_eq!(code, Some(1), "check waited on a FIFO: {err}");
    // The clients find the socket without reading the FIFO: give it by path.
    let sock = dir.join("sock").display().to_string();
    d.signal("HUP");
    std::thread::sleep(Duration::from_millis(300));
    let (code, err) = cli_within(&cfg, &["status", "--socket", &sock], Duration::from_secs(3));
    // Unblock a daemon stuck on the FIFO before asserting, so it can be stopped.
    let unblock = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&cfg);
    drop(unblock);
    assert_eq!(code, Some(0), "the loop is blocked on the FIFO: {err}");
    d.feed(&failure("203.0.113.91"));
    assert!(d.wait_out("ban dropbear 203.0.113.91 600"), "{}", d.err());
    std::fs::remove_file(&cfg).expect("rm");
    std::fs::write(&cfg, good).expect("restore");
}

#[test]
fn a_storm_of_reloads_loses_no_ban_and_no_line() {
    let dir = scratch("adv-cfg-storm");
    let cfg = config(&dir, "", &dropbear(1, ""));
    let mut d = Daemon::start(&cfg);
    d.feed(&failure("203.0.113.92"));
    assert!(d.wait_out("ban dropbear 203.0.113.92 600"));
    for i in 0..100 {
        d.signal("HUP");
        if i % 10 == 0 {
            d.feed(&failure(&format!("198.51.100.{}", i / 10 + 1)));
            assert_eq!(cli(&cfg, &["reload"]).0, 0, "{}", d.err());
        }
    }
    for i in 1..=10 {
        let want = format!("ban dropbear 198.51.100.{i} 600");
        assert!(d.wait_out(&want), "{want}: {}", d.err());
    }
    assert!(status_time(&cfg) < Duration::from_secs(2));
    let (_, list, _) = cli(&cfg, &["list", "--json"]);
    assert_eq!(list.matches("\"address\"").count(), 11, "{list}");
    let (code, out, err) = d.stop();
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("unban"), "{out}");
}
