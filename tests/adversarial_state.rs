//! Adversarial pass (issue 10), part 4: hostile state files and directories met by the real
//! daemon. It says which file and why, keeps running, never writes through a planted link and
//! keeps the good data it had. The library-level cases (`state::file`, `Server::bind`) and a
//! full tmpfs under a running daemon are `tests/state_files.rs`; the basic corrupt files
//! (truncated, bad magic, newer version, flipped payload byte) are `tests/state.rs`. Here:
//! the same attacks through `logjail run`, and the forms found while hunting. See
//! `adversarial.rs` for the index.

mod support;

use logjail::state::file::{self, crc32, HEADER_LEN};
use logjail::state::{BanRecord, HostRec, JailState, Snapshot};
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use support::daemon::{cli, config, dropbear, failure, Daemon};
use support::scratch;

const PRECIOUS: &str = "a root-owned file that must stay as it is\n";

/// A good state file holding one dropbear ban of 203.0.113.`last` with 500 s left.
fn one_ban(last: u8) -> Vec<u8> {
    let now = logjail::clock::wall();
    file::encode(&Snapshot {
        saved_at: now,
        jails: vec![JailState {
            name: "dropbear".into(),
            bans: vec![BanRecord {
                host: HostRec::V4([203, 0, 113, last]),
                start: now - 100,
                duration: Some(600),
                remaining: Some(500),
                count: 1,
            }],
            offenders: vec![],
        }],
        ..Snapshot::default()
    })
    .expect("encode")
}

/// A header with `payload`'s length and CRC (or the ones given), then `payload`.
fn framed(payload: &[u8], len: Option<u32>, crc: Option<u32>) -> Vec<u8> {
    let mut f = b"LJST\x00\x01\x00\x00".to_vec();
    f.extend(len.unwrap_or(payload.len() as u32).to_be_bytes());
    f.extend(crc.unwrap_or_else(|| crc32(payload)).to_be_bytes());
    assert_eq!(f.len(), HEADER_LEN);
    f.extend_from_slice(payload);
    f
}

/// A scratch base with a 0700 state directory `base/s` (the socket too) and a victim file.
fn base(name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let base = scratch(name);
    let dir = base.join("s");
    fs::create_dir(&dir).expect("dir");
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).expect("chmod");
    let victim = base.join("victim");
    fs::write(&victim, PRECIOUS).expect("victim");
    let cfg = config(&dir, "", &dropbear(1, ""));
    (dir, victim, cfg)
}

fn listed(cfg: &Path) -> String {
    cli(cfg, &["list"]).1
}

#[test]
fn hostile_state_files_are_named_moved_aside_and_the_daemon_serves() {
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng as u8
        })
        .collect();
    let good = one_ban(9);
    let payload = &good[HEADER_LEN..];
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("random", random, "bad magic"),
        ("header-only", good[..HEADER_LEN].to_vec(), "truncated"),
        ("half", good[..good.len() / 2].to_vec(), "truncated"),
        (
            "bad-crc",
            framed(payload, None, Some(crc32(payload) ^ 1)),
            "checksum",
        ),
        // A length prefix promising 4 GiB (never allocated) and one promising nothing.
        ("huge-length", framed(payload, Some(u32::MAX), None), ""),
        ("empty-payload", framed(b"", None, None), ""),
        // A right CRC over a payload postcard cannot decode: lengths of 2^63 inside.
        ("hostile-payload", framed(&[0xff; 64], None, None), ""),
        // Created, never written (a crash in between): truncated too.
        ("empty-file", Vec::new(), "truncated"),
    ];
    for (name, bytes, reason) in cases {
        let (dir, _, cfg) = base(&format!("adv-state-{name}"));
        let state = dir.join("state");
        fs::write(&state, &bytes).expect("plant");
        let mut d = Daemon::start(&cfg);
        // The log is read by a thread: wait for the message rather than race it.
        d.wait_err("moved aside");
        let err = d.err();
        assert!(
            err.contains(&state.display().to_string()) && err.contains(reason) && err.contains("moved aside"),
            "{name}: the message does not name the file and the reason:\n{err}"
        );
        assert_eq!(fs::read(file::bad_path(&state)).expect(".bad"), bytes, "{name}");
        assert_eq!(listed(&cfg), "no bans\n", "{name}");
        d.feed(&failure("198.51.100.9"));
        assert!(d.wait_out("ban dropbear 198.51.100.9 600"), "{name}: {}", d.err());
        assert!(d.alive(), "{name}");
        assert_eq!(d.stop().0, 0, "{name}");
        assert!(file::read(&state).expect("rewritten").is_some(), "{name}");
    }
}

#[test]
fn a_corrupt_tmpfs_copy_falls_back_to_the_good_flash_copy() {
    let (dir, _, _) = base("adv-state-fallback");
    let flash = dir.join("flash");
    fs::write(&flash, one_ban(7)).expect("flash copy");
    let mut bad = one_ban(8);
    let n = bad.len();
    bad[n - 2] ^= 0x40;
    fs::write(dir.join("state"), &bad).expect("tmpfs copy");
    let cfg = config(
        &dir,
        &format!("\toption state_file_persistent '{}'", flash.display()),
        &dropbear(1, ""),
    );
    let d = Daemon::start(&cfg);
    let list = listed(&cfg);
    assert!(
        list.contains("203.0.113.7"),
        "the good copy was not used:\n{list}\n{}",
        d.err()
    );
    assert!(!list.contains("203.0.113.8"), "{list}");
    assert!(d.wait_err("checksum"), "{}", d.err());
}

#[test]
fn a_50_mb_state_file_is_refused_by_size_and_only_its_head_kept() {
    let (dir, _, cfg) = base("adv-state-50mb");
    let state = dir.join("state");
    // Not sparse: a header claiming all of it, then real bytes.
    let mut big = framed(&[], Some(50 << 20), None);
    big.resize(50 << 20, 0x5a);
    fs::write(&state, &big).expect("50 MB");
    drop(big);
    let d = Daemon::start(&cfg);
    d.wait_err("larger than");
    let err = d.err();
    assert!(
        err.contains(&state.display().to_string()) && err.contains("larger than"),
        "{err}"
    );
    let kept = fs::metadata(file::bad_path(&state)).expect(".bad").len();
    assert!(kept <= 4096, "{kept} bytes kept of a 50 MB file");
    assert_eq!(listed(&cfg), "no bans\n");
}

#[test]
fn links_planted_at_the_state_paths_are_not_followed_by_the_daemon() {
    let (dir, victim, cfg) = base("adv-state-links");
    // The link at `state` points at a valid state file: it must not be trusted either.
    let decoy = dir.parent().expect("base").join("decoy");
    let decoy_bytes = one_ban(5);
    fs::write(&decoy, &decoy_bytes).expect("decoy");
    symlink(&decoy, dir.join("state")).expect("plant state");
    symlink(&victim, dir.join("state.tmp")).expect("plant state.tmp");
    symlink(&victim, dir.join("state.bad")).expect("plant state.bad");
    let mut d = Daemon::start(&cfg);
    assert!(!listed(&cfg).contains("203.0.113.5"), "the link was read");
    assert!(d.wait_err("symbolic link"), "{}", d.err());
    d.feed(&failure("198.51.100.9"));
    assert!(d.wait_out("ban dropbear 198.51.100.9 600"), "{}", d.err());
    assert_eq!(d.stop().0, 0);
    assert_eq!(fs::read_to_string(&victim).expect("victim"), PRECIOUS);
    assert_eq!(fs::read(&decoy).expect("decoy"), decoy_bytes);
    let meta = fs::symlink_metadata(dir.join("state")).expect("state");
    assert!(meta.is_file(), "the state is a file of its own now: {meta:?}");
    assert!(file::read(&dir.join("state")).expect("state").is_some());
}

#[test]
fn a_link_at_the_socket_path_or_an_open_directory_is_refused_with_a_message() {
    let (dir, victim, cfg) = base("adv-state-sock");
    symlink(&victim, dir.join("sock")).expect("plant sock");
    let (code, _, err) = cli(&cfg, &["run", "--foreground", "--dry-run", "--source", "-"]);
    // The daemon runs on (its lines are judged) without a control socket, and says why.
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&dir.join("sock").display().to_string())
            && err.contains("symbolic link")
            && err.contains("running without a control socket"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&victim).expect("victim"), PRECIOUS);
    assert!(fs::symlink_metadata(dir.join("sock"))
        .expect("link")
        .file_type()
        .is_symlink());

    // A state directory every user can write.
    let (dir, victim, cfg) = base("adv-state-open");
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).expect("chmod");
    symlink(&victim, dir.join("state.tmp")).expect("plant");
    let (code, _, err) = cli(&cfg, &["run", "--foreground", "--dry-run", "--source", "-"]);
    assert!(err.contains("writable by"), "code {code}: {err}");
    assert_eq!(fs::read_to_string(&victim).expect("victim"), PRECIOUS);
}

#[test]
fn a_state_directory_full_from_the_start_keeps_the_good_file_and_serves() {
    // A 64 KiB tmpfs of its own (private mount namespace) holding a good state file and
    // filled to the last byte before the daemon starts.
    let (dir, _, _) = base("adv-state-full");
    let mnt = dir.join("tmpfs");
    fs::create_dir(&mnt).expect("mount point");
    let good = dir.join("good");
    fs::write(&good, one_ban(4)).expect("good state");
    let state = mnt.join("state");
    let cfg = config(
        &dir,
        &format!("\toption state_file '{}'", state.display()),
        &dropbear(1, ""),
    );
    let script = r#"mount -t tmpfs -o size=64k,mode=0700 adv "$0" && cp "$1" "$0/state" \
        && { head -c 1M /dev/zero > "$0/filler" 2>/dev/null; true; } && exec "$2" run --foreground --dry-run --source - -c "$3""#;
    let mut child = std::process::Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", script])
        .args([&mnt, &good, Path::new(support::BIN), &cfg])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("unshare");
    let err_pipe = child.stderr.take().expect("stderr");
    let err = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let e = err.clone();
    std::thread::spawn(move || {
        use std::io::Read;
        let mut r = err_pipe;
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = r.read(&mut buf) {
            e.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    let log = || err.lock().unwrap().clone();
    let up = support::wait_for(std::time::Duration::from_secs(20), || {
        cli(&cfg, &["version"]).0 == 0
    });
    assert!(up.is_some(), "{}", log());
    assert!(
        listed(&cfg).contains("203.0.113.4"),
        "the good file was not read: {}",
        log()
    );
    let pid = child.id();
    let inside = |p: &Path| PathBuf::from(format!("/proc/{pid}/root{}", p.display()));
    {
        use std::io::Write;
        let stdin = child.stdin.as_mut().expect("stdin");
        for i in 1..=5 {
            stdin
                .write_all(failure(&format!("198.51.100.{i}")).as_bytes())
                .expect("feed");
        }
        stdin.flush().expect("flush");
    }
    let said = support::wait_for(std::time::Duration::from_secs(5), || {
        log().contains("No space left")
    });
    assert!(said.is_some(), "{}", log());
    let text = log();
    assert!(
        text.contains(&state.display().to_string()) && text.contains("last good copy is kept"),
        "{text}"
    );
    assert!(
        fs::symlink_metadata(inside(&mnt.join("state.tmp"))).is_err(),
        "a partial state.tmp is left"
    );
    let kept = file::read(&inside(&state)).expect("state").expect("a state");
    assert_eq!(kept.bans(), 1, "the good file was replaced");
    assert_eq!(listed(&cfg).lines().count(), 7, "{}", listed(&cfg));
    assert!(
        matches!(child.try_wait(), Ok(None)),
        "the daemon exited: {}",
        log()
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn bans_of_no_hosts_in_a_state_file_are_not_restored() {
    // A state file written by a logjail that still banned 0.0.0.0, broadcast, multicast
    // (before issue 10), or by hand: after the upgrade these bans must not come back.
    let (dir, _, cfg) = base("adv-state-nohosts");
    let now = logjail::clock::wall();
    let ban = |host| BanRecord {
        host,
        start: now - 100,
        duration: Some(600),
        remaining: Some(500),
        count: 1,
    };
    let hosts = [
        HostRec::V4([0, 0, 0, 0]),
        HostRec::V4([255, 255, 255, 255]),
        HostRec::V4([224, 0, 0, 1]),
        HostRec::V4([240, 0, 0, 1]),
        HostRec::V6([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 64),
        HostRec::V6([0; 16], 64),
        HostRec::V4([203, 0, 113, 3]),
    ];
    let snap = Snapshot {
        saved_at: now,
        jails: vec![JailState {
            name: "dropbear".into(),
            bans: hosts.into_iter().map(ban).collect(),
            offenders: vec![],
        }],
        ..Snapshot::default()
    };
    fs::write(dir.join("state"), file::encode(&snap).expect("encode")).expect("state");
    let d = Daemon::start(&cfg);
    let list = listed(&cfg);
    assert!(list.contains("203.0.113.3"), "{list}\n{}", d.err());
    assert_eq!(list.lines().count(), 2, "bans of no hosts were restored:\n{list}");
    // Only the real host goes to the firewall; the others are lifted from it (the old
    // logjail put them there).
    let out = d.out();
    let bans: Vec<&str> = out.lines().filter(|l| l.starts_with("ban ")).collect();
    assert_eq!(bans, ["ban dropbear 203.0.113.3 500"], "{out}");
    let lifted = [
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.1",
        "240.0.0.1",
        "ff02::/64",
    ];
    for h in lifted {
        assert!(
            out.contains(&format!("unban dropbear {h}\n")),
            "{h} not lifted:\n{out}"
        );
    }
}
