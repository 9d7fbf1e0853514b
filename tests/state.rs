//! State across restarts with a real daemon (dry-run backend: re-installed bans are printed
//! as `ban JAIL ADDR SECONDS` at start) and real files; and with the real kernel's sets in a
//! network namespace (`kernel_*`).

mod support;

use logjail::state::{file, BanRecord, HostRec, JailState, Snapshot};
use std::time::Duration;
use support::daemon::{cli, config, dropbear, failure, remaining, Daemon};
use support::netns::enter;
use support::nft::{element, elements, expires, fw4_ruleset, load, nft};
use support::scratch;

/// The seconds of the first `ban dropbear ADDR N` line in `out`.
fn ban_secs(out: &str, addr: &str) -> Option<i64> {
    let prefix = format!("ban dropbear {addr} ");
    out.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|n| n.trim().parse().ok())
}

#[test]
fn bans_and_history_survive_a_clean_restart_with_the_remaining_time() {
    let dir = scratch("state-restart");
    let cfg = config(&dir, "", &dropbear(1, "\toption bantime_factor '2'"));
    let mut d = Daemon::start(&cfg);
    d.feed(&failure("203.0.113.9"));
    assert!(d.wait_out("ban dropbear 203.0.113.9 600"));
    assert_eq!(
        cli(&cfg, &["ban", "dropbear", "198.51.100.3", "--time", "-1"]).0,
        0
    );
    assert_eq!(cli(&cfg, &["ban", "dropbear", "192.0.2.8", "--time", "100"]).0, 0);
    assert_eq!(cli(&cfg, &["unban", "192.0.2.8"]).0, 0); // history only
    std::thread::sleep(Duration::from_millis(1500));
    let (code, _, err) = d.stop();
    assert_eq!(code, 0, "{err}");
    assert!(dir.join("state").exists());

    let d = Daemon::start(&cfg);
    let out = d.out();
    let secs = ban_secs(&out, "203.0.113.9").unwrap_or_else(|| panic!("not re-installed: {out}"));
    assert!((590..600).contains(&secs), "{secs}");
    assert_eq!(ban_secs(&out, "198.51.100.3"), Some(-1));
    assert_eq!(ban_secs(&out, "192.0.2.8"), None);
    let (_, list, _) = cli(&cfg, &["list", "--json"]);
    let left: i64 = remaining(&list, "203.0.113.9")
        .and_then(|r| r.parse().ok())
        .expect("listed");
    assert!((580..=secs).contains(&left), "{left} {list}");
    assert_eq!(remaining(&list, "198.51.100.3").as_deref(), Some("null"));
    assert!(d.err().contains("2 bans restored"), "{}", d.err());
    // The offender history came back: a new ban of 192.0.2.8 is its second, doubled.
    let (_, out, _) = cli(&cfg, &["ban", "dropbear", "192.0.2.8"]);
    assert_eq!(out, "dropbear: banned 192.0.2.8 for 20m0s (ban #2)\n");
    assert_eq!(d.stop().0, 0);
}

#[test]
fn kill_9_loses_nothing_older_than_a_second() {
    let dir = scratch("state-kill9");
    let cfg = config(&dir, "", &dropbear(1, ""));
    let mut d = Daemon::start(&cfg);
    for a in ["203.0.113.1", "203.0.113.2"] {
        d.feed(&failure(a));
        assert!(d.wait_out(&format!("ban dropbear {a} 600")));
    }
    std::thread::sleep(Duration::from_millis(1600));
    d.kill9();
    // The stale socket is replaced; both bans are back.
    let d = Daemon::start(&cfg);
    let out = d.out();
    assert!(
        ban_secs(&out, "203.0.113.1").is_some() && ban_secs(&out, "203.0.113.2").is_some(),
        "{out}"
    );
    let (_, list, _) = cli(&cfg, &["list"]);
    assert_eq!(list.lines().count(), 3, "{list}");
    assert_eq!(d.stop().0, 0);
}

fn one_ban(saved_at: i64, remaining: u32) -> Snapshot {
    Snapshot {
        saved_at,
        jails: vec![JailState {
            name: "dropbear".into(),
            bans: vec![BanRecord {
                host: HostRec::V4([203, 0, 113, 44]),
                start: saved_at - 100,
                duration: Some(600),
                remaining: Some(remaining),
                count: 1,
            }],
            offenders: vec![],
        }],
        ..Snapshot::default()
    }
}

#[test]
fn bad_state_files_are_moved_aside_and_the_daemon_starts() {
    let now = logjail::clock::wall();
    let good = file::encode(&one_ban(now, 500)).expect("encode");
    let mut future = good.clone();
    future[5] = 9; // format version 9
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    let cases: [(&str, Vec<u8>, &str); 5] = [
        ("truncated", good[..good.len() - 3].to_vec(), "truncated"),
        ("short", good[..7].to_vec(), "truncated"),
        ("future", future, "format version 9 is newer"),
        ("corrupt", flipped, "checksum mismatch"),
        (
            "garbage",
            b"\x00\x01not a state file at all".to_vec(),
            "bad magic",
        ),
    ];
    for (name, bytes, reason) in cases {
        let dir = scratch(&format!("state-bad-{name}"));
        let cfg = config(&dir, "", &dropbear(1, ""));
        std::fs::write(dir.join("state"), &bytes).unwrap();
        let mut d = Daemon::start(&cfg);
        d.wait_err("moved aside");
        let err = d.err();
        assert!(
            err.contains(reason) && err.contains("moved aside"),
            "{name}: {err}"
        );
        assert_eq!(std::fs::read(dir.join("state.bad")).unwrap(), bytes, "{name}");
        assert_eq!(cli(&cfg, &["list"]).1, "no bans\n", "{name}");
        d.feed(&failure("198.51.100.9"));
        assert!(d.wait_out("ban dropbear 198.51.100.9 600"), "{name}");
        assert_eq!(d.stop().0, 0, "{name}");
        // The good state written since is trusted at the next start.
        let d = Daemon::start(&cfg);
        d.wait_out("ban dropbear 198.51.100.9");
        assert!(
            ban_secs(&d.out(), "198.51.100.9").is_some(),
            "{name}: {}",
            d.out()
        );
        d.stop();
    }
}

#[test]
fn a_clock_that_went_back_never_lengthens_a_ban() {
    let dir = scratch("state-clock");
    let cfg = config(&dir, "", &dropbear(1, ""));
    let now = logjail::clock::wall();
    // Saved "tomorrow" (the router booted without RTC): 500 s were left, and 500 s it gets —
    // not 600, not 500 + a day.
    file::write(&dir.join("state"), &one_ban(now + 86_400, 500)).unwrap();
    let d = Daemon::start(&cfg);
    d.wait_out("ban dropbear 203.0.113.44");
    assert_eq!(ban_secs(&d.out(), "203.0.113.44"), Some(500), "{}", d.out());
    d.stop();
    // Saved 200 s ago with 500 left: about 300 left.
    file::write(&dir.join("state"), &one_ban(now - 200, 500)).unwrap();
    let d = Daemon::start(&cfg);
    d.wait_out("ban dropbear 203.0.113.44");
    let s = ban_secs(&d.out(), "203.0.113.44").expect("restored");
    assert!((295..=300).contains(&s), "{s}");
    d.stop();
    // Saved 600 s ago with 500 left: over.
    file::write(&dir.join("state"), &one_ban(now - 600, 500)).unwrap();
    let d = Daemon::start(&cfg);
    d.wait_err("1 expired");
    assert_eq!(ban_secs(&d.out(), "203.0.113.44"), None);
    assert!(d.err().contains("1 expired"), "{}", d.err());
    d.stop();
}

#[test]
fn the_flash_copy_is_written_at_stop_and_the_newer_copy_wins() {
    let dir = scratch("state-flash");
    let main = format!(
        "\toption state_file_persistent '{}/flash'\n\toption persist_interval '1h'",
        dir.display()
    );
    let cfg = config(&dir, &main, &dropbear(1, ""));
    let mut d = Daemon::start(&cfg);
    d.feed(&failure("203.0.113.5"));
    assert!(d.wait_out("ban dropbear 203.0.113.5 600"));
    std::thread::sleep(Duration::from_millis(1500));
    assert!(dir.join("state").exists());
    assert!(
        !dir.join("flash").exists(),
        "flash written before persist_interval"
    );
    assert_eq!(d.stop().0, 0);
    assert!(dir.join("flash").exists());
    // A reboot: tmpfs is empty, flash remains.
    std::fs::remove_file(dir.join("state")).unwrap();
    let d = Daemon::start(&cfg);
    d.wait_out("ban dropbear 203.0.113.5");
    assert!(ban_secs(&d.out(), "203.0.113.5").is_some(), "{}", d.out());
    d.stop();
    // An older tmpfs copy loses against a newer flash copy.
    let now = logjail::clock::wall();
    file::write(&dir.join("state"), &one_ban(now - 300, 500)).unwrap();
    let d = Daemon::start(&cfg);
    d.wait_out("ban dropbear 203.0.113.5");
    let out = d.out();
    assert!(
        ban_secs(&out, "203.0.113.5").is_some() && ban_secs(&out, "203.0.113.44").is_none(),
        "{out}"
    );
    d.stop();
    // Killed before the flash write: the next run, even without a change, brings flash up to
    // date at its clean stop.
    let mut d = Daemon::start(&cfg);
    d.feed(&failure("203.0.113.6"));
    assert!(d.wait_out("ban dropbear 203.0.113.6 600"));
    std::thread::sleep(Duration::from_millis(1500));
    d.kill9();
    let in_flash = |h: [u8; 4]| {
        let snap = file::read(&dir.join("flash")).unwrap().unwrap();
        snap.jails[0].bans.iter().any(|b| b.host == HostRec::V4(h))
    };
    assert!(!in_flash([203, 0, 113, 6]));
    assert_eq!(Daemon::start(&cfg).stop().0, 0);
    assert!(in_flash([203, 0, 113, 6]));
}

#[test]
fn dry_run_with_the_default_paths_touches_no_state_or_socket() {
    let dir = scratch("state-dry");
    let cfg = dir.join("config");
    std::fs::write(&cfg, dropbear(1, "")).unwrap();
    let out = std::process::Command::new(support::BIN)
        .args(["run", "--dry-run", "--foreground", "--source", "-", "-c"])
        .arg(&cfg)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("control socket") && !err.contains("state"), "{err}");
}

/// The seconds an element has left in the kernel.
fn kernel_left(key: &str) -> Option<u64> {
    element("fw4", "logjail_v4", key)
        .and_then(|e| expires(&e))
        .map(|d| d.as_secs())
}

#[test]
fn kernel_ban_survives_sigterm_and_a_lost_ruleset() {
    if !enter("kernel_ban_survives_sigterm_and_a_lost_ruleset") {
        return;
    }
    load(&fw4_ruleset("wan0", true));
    let dir = scratch("state-kernel-term");
    let cfg = config(&dir, "", &dropbear(1, ""));
    let mut d = Daemon::start_kernel(&cfg);
    d.feed(&failure("203.0.113.9"));
    assert!(
        support::wait_for(Duration::from_secs(5), || kernel_left("203.0.113.9").is_some()).is_some(),
        "{}",
        d.err()
    );
    assert_eq!(
        cli(&cfg, &["ban", "dropbear", "198.51.100.2", "--time", "300"]).0,
        0
    );
    let (code, _, err) = d.stop();
    assert_eq!(code, 0, "{err}");
    assert!(
        kernel_left("203.0.113.9").is_some(),
        "kernel bans stay after a stop"
    );
    // The router reboots: the sets come back empty.
    nft(&["flush", "set", "inet", "fw4", "logjail_v4"]);
    assert!(elements("fw4", "logjail_v4").is_empty());
    std::thread::sleep(Duration::from_millis(1100));
    let d = Daemon::start_kernel(&cfg);
    let ok = support::wait_for(Duration::from_secs(5), || {
        kernel_left("203.0.113.9").is_some() && kernel_left("198.51.100.2").is_some()
    });
    assert!(ok.is_some(), "{:?}\n{}", elements("fw4", "logjail_v4"), d.err());
    let left = kernel_left("203.0.113.9").unwrap();
    assert!(
        (585..600).contains(&left),
        "restored with what was left, not 600: {left}"
    );
    assert!(kernel_left("198.51.100.2").unwrap() < 300);
    let (_, list, _) = cli(&cfg, &["list", "--json"]);
    let listed: u64 = remaining(&list, "203.0.113.9")
        .and_then(|r| r.parse().ok())
        .expect("listed");
    assert!(listed.abs_diff(left) <= 2, "list {listed} vs kernel {left}");
    // Unban through the CLI reaches the kernel.
    assert_eq!(cli(&cfg, &["unban", "198.51.100.2"]).0, 0);
    assert!(support::wait_for(Duration::from_secs(5), || kernel_left("198.51.100.2").is_none()).is_some());
    assert_eq!(d.stop().0, 0);
}

#[test]
fn kernel_in_sync_after_kill_9() {
    if !enter("kernel_in_sync_after_kill_9") {
        return;
    }
    load(&fw4_ruleset("wan0", true));
    let dir = scratch("state-kernel-kill");
    let cfg = config(&dir, "", &dropbear(1, ""));
    let mut d = Daemon::start_kernel(&cfg);
    for a in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        d.feed(&failure(a));
    }
    assert!(
        support::wait_for(Duration::from_secs(5), || elements("fw4", "logjail_v4").len()
            == 3)
        .is_some()
    );
    assert_eq!(cli(&cfg, &["unban", "203.0.113.2"]).0, 0);
    std::thread::sleep(Duration::from_millis(1500));
    d.kill9();
    // The kernel lost one element meanwhile (fw4 restart); a restart puts it back and the
    // unbanned address stays out.
    nft(&[
        "delete",
        "element",
        "inet",
        "fw4",
        "logjail_v4",
        "{ 203.0.113.3 }",
    ]);
    let d = Daemon::start_kernel(&cfg);
    let ok = support::wait_for(Duration::from_secs(5), || kernel_left("203.0.113.3").is_some());
    assert!(ok.is_some(), "{}", d.err());
    let mut kernel: Vec<String> = elements("fw4", "logjail_v4")
        .iter()
        .filter_map(|e| e.split(' ').next().map(str::to_string))
        .collect();
    kernel.sort();
    assert_eq!(kernel, ["203.0.113.1", "203.0.113.3"]);
    let (_, list, _) = cli(&cfg, &["list", "--json"]);
    for k in &kernel {
        assert!(
            list.contains(&format!("\"address\":\"{k}\"")),
            "{k} not listed: {list}"
        );
    }
    assert_eq!(list.matches("\"address\"").count(), 2, "{list}");
    assert_eq!(d.stop().0, 0);
}

#[test]
fn the_state_is_saved_during_a_long_burst() {
    // issue 10: with slow kernel commits a burst of thousands of failures went by in one read
    // of the source, and no state was written until it was over: `kill -9` lost every ban.
    // Here the dry-run backend's stdout is read slowly, so each ban waits like a slow commit.
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    let dir = scratch("state-burst");
    let cfg = config(&dir, "", &dropbear(1, "\toption max_bans '8192'"));
    let mut child = Command::new(support::BIN)
        .args(["run", "--dry-run", "--foreground", "--source", "-", "-c"])
        .arg(&cfg)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start logjail");
    let mut stdout = child.stdout.take().expect("stdout");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = stop.clone();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        let mut seen = 0;
        // About 10 KB/s: once the pipe is full, each ban line waits ~3 ms.
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || stopped.load(std::sync::atomic::Ordering::Relaxed) {
                break;
            }
            seen += n;
            std::thread::sleep(Duration::from_millis(100));
        }
        seen
    });
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let mut all = String::new();
        for i in 0..3000u32 {
            all.push_str(&failure(&format!("198.18.{}.{}", i / 200, 1 + i % 200)));
        }
        let _ = stdin.write_all(all.as_bytes());
        stdin
    });
    std::thread::sleep(Duration::from_millis(2000));
    let saved = file::read(&dir.join("state"))
        .ok()
        .flatten()
        .map_or(0, |s| s.bans());
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = child.kill();
    let _ = child.wait();
    drop(writer.join());
    let _ = reader.join();
    assert!(saved >= 1000, "{saved} bans saved 2 s into the burst");
}
