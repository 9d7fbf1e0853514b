//! The state file and the control socket on hostile file systems: planted symbolic links,
//! directories others can write, a huge state file, a full tmpfs.

mod support;

use logjail::control::server::Server;
use logjail::state::{file, BanRecord, HostRec, JailState, Snapshot};
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::daemon::{cli, dropbear, failure, wait};
use support::{scratch, BIN};

const PRECIOUS: &str = "a root-owned file that must stay as it is\n";

fn bans(n: u8) -> Snapshot {
    let now = logjail::clock::wall();
    Snapshot {
        saved_at: now,
        jails: vec![JailState {
            name: "dropbear".into(),
            bans: (1..=n)
                .map(|i| BanRecord {
                    host: HostRec::V4([203, 0, 113, i]),
                    start: now - 100,
                    duration: Some(600),
                    remaining: Some(500),
                    count: 1,
                })
                .collect(),
            offenders: vec![],
        }],
        ..Snapshot::default()
    }
}

/// A state directory (mode 0700) and, elsewhere, a victim file a link will point at.
fn setup(name: &str) -> (PathBuf, PathBuf) {
    let base = scratch(&format!("state-files-{name}"));
    let dir = base.join("state");
    fs::create_dir(&dir).expect("state dir");
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).expect("chmod");
    let victim = base.join("victim");
    fs::write(&victim, PRECIOUS).expect("victim");
    (dir, victim)
}

fn unchanged(victim: &Path) {
    assert_eq!(
        fs::read_to_string(victim).expect("victim"),
        PRECIOUS,
        "{victim:?}"
    );
}

#[test]
fn a_link_planted_at_the_temp_file_is_not_written_through() {
    let (dir, victim) = setup("tmp-link");
    symlink(&victim, dir.join("state.tmp")).expect("plant");
    file::write(&dir.join("state"), &bans(2)).expect("written");
    unchanged(&victim);
    assert_eq!(file::read(&dir.join("state")).expect("read"), Some(bans(2)));
    assert!(
        fs::symlink_metadata(dir.join("state.tmp")).is_err(),
        "no temp file left"
    );
}

#[test]
fn a_link_at_the_state_file_is_neither_read_nor_written_through() {
    let (dir, victim) = setup("state-link");
    // The link's target is even a valid state file: it must not be trusted.
    fs::write(&victim, file::encode(&bans(3)).expect("encode")).expect("victim");
    let before = fs::read(&victim).expect("victim");
    symlink(&victim, dir.join("state")).expect("plant");
    let err = file::read(&dir.join("state")).expect_err("a link is not read");
    assert!(err.to_string().contains("symbolic link"), "{err}");
    file::write(&dir.join("state"), &bans(1)).expect("written");
    assert_eq!(fs::read(&victim).expect("victim"), before);
    assert!(fs::symlink_metadata(dir.join("state")).expect("state").is_file());
    assert_eq!(file::read(&dir.join("state")).expect("read"), Some(bans(1)));
}

#[test]
fn the_quarantine_never_writes_through_a_link() {
    let (dir, victim) = setup("bad-link");
    fs::write(dir.join("state"), b"garbage").expect("bad state");
    symlink(&victim, dir.join("state.bad")).expect("plant");
    assert!(matches!(
        file::quarantine(&dir.join("state")),
        Ok(file::Quarantined::Moved(_))
    ));
    unchanged(&victim);
    assert_eq!(fs::read(dir.join("state.bad")).expect("bad"), b"garbage");

    // An oversized file: only its head is kept, in a new file, not through the link.
    let big = fs::File::create(dir.join("state")).expect("big");
    big.set_len(50 << 20).expect("sparse 50 MB");
    fs::remove_file(dir.join("state.bad")).expect("rm");
    symlink(&victim, dir.join("state.bad")).expect("plant again");
    let q = file::quarantine(&dir.join("state")).expect("quarantined");
    assert_eq!(
        q,
        file::Quarantined::Cut {
            bad: dir.join("state.bad"),
            kept: file::KEEP_OF_OVERSIZED
        }
    );
    unchanged(&victim);
    let bad = fs::symlink_metadata(dir.join("state.bad")).expect("bad");
    assert!(
        bad.is_file() && bad.len() == file::KEEP_OF_OVERSIZED as u64,
        "{bad:?}"
    );
    assert!(!dir.join("state").exists(), "the oversized file is removed");
}

#[test]
fn a_directory_others_can_write_is_refused_and_a_missing_one_is_created_0700() {
    for mode in [0o777, 0o1777, 0o722] {
        let (dir, victim) = setup(&format!("open-dir-{mode:o}"));
        fs::set_permissions(&dir, fs::Permissions::from_mode(mode)).expect("chmod");
        symlink(&victim, dir.join("state.tmp")).expect("plant");
        let err = file::write(&dir.join("state"), &bans(1)).expect_err("refused");
        let msg = err.to_string();
        assert!(
            msg.contains("writable by") && msg.contains(&dir.display().to_string()),
            "{msg}"
        );
        unchanged(&victim);
        assert!(!dir.join("state").exists());
        fs::write(dir.join("state"), file::encode(&bans(4)).expect("encode")).expect("planted");
        assert!(
            file::read(&dir.join("state")).is_err(),
            "a file there is not trusted"
        );
        // The control socket is not put there either.
        let err = Server::bind(&dir.join("sock")).err().expect("refused");
        assert!(err.to_string().contains("writable by"), "{err}");
    }
    let (dir, _) = setup("new-dir");
    let path = dir.join("a/b/state");
    file::write(&path, &bans(1)).expect("written");
    assert_eq!(fs::metadata(dir.join("a/b")).expect("dir").mode() & 0o777, 0o700);
}

#[test]
fn a_link_at_the_socket_path_is_neither_followed_nor_removed() {
    let (dir, victim) = setup("sock-link");
    let sock = dir.join("sock");
    symlink(&victim, &sock).expect("plant");
    let err = Server::bind(&sock).err().expect("refused");
    assert!(err.to_string().contains("symbolic link"), "{err}");
    unchanged(&victim);
    assert!(fs::symlink_metadata(&sock)
        .expect("link")
        .file_type()
        .is_symlink());
    // A dangling link (to where a socket could be made) too.
    fs::remove_file(&sock).expect("rm");
    let elsewhere = dir.parent().expect("base").join("elsewhere.sock");
    symlink(&elsewhere, &sock).expect("plant");
    assert!(Server::bind(&sock).is_err());
    assert!(!elsewhere.exists(), "no socket made at the link's target");
    // A regular file there is not removed either; a stale socket is replaced.
    fs::remove_file(&sock).expect("rm");
    fs::write(&sock, PRECIOUS).expect("file");
    assert!(Server::bind(&sock).is_err());
    unchanged(&sock);
    fs::remove_file(&sock).expect("rm");
    drop(std::os::unix::net::UnixListener::bind(&sock).expect("stale socket"));
    let s = Server::bind(&sock).expect("stale socket replaced");
    assert_eq!(fs::metadata(&sock).expect("sock").mode() & 0o777, 0o600);
    drop(s);
}

/// A daemon started by a command line (so a wrapper like `unshare` can come first), with its
/// standard error collected.
struct Run {
    child: Child,
    err: Arc<Mutex<String>>,
}

impl Run {
    fn start(program: &str, args: &[&str]) -> Run {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start");
        let err = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("stderr");
        let e = err.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                e.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Run { child, err }
    }

    fn err(&self) -> String {
        self.err.lock().unwrap().clone()
    }

    fn feed(&mut self, text: &str) {
        let s = self.child.stdin.as_mut().expect("stdin");
        s.write_all(text.as_bytes()).expect("feed");
        s.flush().expect("flush");
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write_config(dir: &Path, state: &Path) -> PathBuf {
    let text = format!(
        "config logjail 'main'\n\toption state_file '{}'\n\toption control_socket '{}/sock'\n\tlist ignoreip '192.168.1.0/24'\n{}",
        state.display(),
        dir.display(),
        dropbear(1, "")
    );
    let cfg = dir.join("config");
    fs::write(&cfg, text).expect("config");
    cfg
}

fn hwm_kib(pid: u32) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

#[test]
fn a_huge_state_file_is_not_read_and_not_kept() {
    let dir = scratch("state-huge");
    let state = dir.join("state");
    fs::File::create(&state)
        .and_then(|f| f.set_len(50 << 20))
        .expect("sparse 50 MB state file");
    let cfg = write_config(&dir, &state);
    let cfg_s = cfg.display().to_string();
    let run = Run::start(
        BIN,
        &["run", "--foreground", "--dry-run", "--source", "-", "-c", &cfg_s],
    );
    assert!(
        wait(Duration::from_secs(20), || cli(&cfg, &["version"]).0 == 0),
        "{}",
        run.err()
    );
    let hwm = hwm_kib(run.child.id());
    eprintln!("peak RSS of a daemon that met a 50 MB state file: {hwm} KiB");
    assert!(hwm < 16 << 10, "peak RSS {hwm} KiB: the file was read");
    // The log is read by a thread: wait for the line rather than racing it.
    wait(Duration::from_secs(20), || run.err().contains("first 4096 bytes"));
    let err = run.err();
    assert!(
        err.contains("larger than") && err.contains("first 4096 bytes"),
        "{err}"
    );
    assert_eq!(fs::metadata(dir.join("state.bad")).expect("bad").len(), 4096);
    drop(run);
    let _ = fs::remove_dir_all(&dir);
}

/// The state in the daemon's mount namespace, read through /proc/PID/root.
fn ns_path(pid: u32, p: &Path) -> PathBuf {
    PathBuf::from(format!("/proc/{pid}/root{}", p.display()))
}

fn banned_in(path: &Path) -> usize {
    file::read(path).ok().flatten().map_or(0, |s| s.bans())
}

#[test]
fn a_full_tmpfs_keeps_the_last_good_file_leaves_no_partial_one_and_recovers() {
    let dir = scratch("state-full");
    let mnt = dir.join("tmpfs");
    fs::create_dir(&mnt).expect("mount point");
    let cfg = write_config(&dir, &mnt.join("state"));
    // A 64 KiB tmpfs of its own, in a private mount namespace.
    let script = r#"mount -t tmpfs -o size=64k,mode=0700 logjail-test "$0" && exec "$1" run --foreground --dry-run --source - -c "$2""#;
    let (m, c) = (mnt.display().to_string(), cfg.display().to_string());
    let mut run = Run::start(
        "unshare",
        &["-m", "--propagation", "private", "sh", "-c", script, &m, BIN, &c],
    );
    assert!(
        wait(Duration::from_secs(20), || cli(&cfg, &["version"]).0 == 0),
        "{}",
        run.err()
    );
    let pid = run.child.id();
    let (state, tmp) = (
        ns_path(pid, &mnt.join("state")),
        ns_path(pid, &mnt.join("state.tmp")),
    );
    run.feed(&failure("198.51.100.1"));
    assert!(
        wait(Duration::from_secs(10), || banned_in(&state) == 1),
        "{}",
        run.err()
    );

    // Fill the file system.
    let filler = ns_path(pid, &mnt.join("filler"));
    let mut f = fs::File::create(&filler).expect("filler");
    while f.write_all(&[0u8; 4096]).is_ok() {}
    drop(f);
    for i in 2..=6 {
        run.feed(&failure(&format!("198.51.100.{i}")));
    }
    std::thread::sleep(Duration::from_secs(4));
    let err = run.err();
    assert!(
        fs::symlink_metadata(&tmp).is_err(),
        "a partial state.tmp is left: {err}"
    );
    assert_eq!(banned_in(&state), 1, "the last good file is kept");
    assert!(
        err.contains("No space left") && err.contains("last good copy is kept"),
        "{err}"
    );
    // Failures at about 0, 1, 3 and 7 s: logged once (again after a minute).
    assert_eq!(err.matches("No space left").count(), 1, "rate-limited: {err}");

    // Space again: the retry writes every ban and says so.
    fs::remove_file(&filler).expect("rm filler");
    assert!(
        wait(Duration::from_secs(20), || banned_in(&state) == 6),
        "{}",
        run.err()
    );
    assert!(
        wait(Duration::from_secs(2), || run
            .err()
            .contains("writing works again")),
        "{}",
        run.err()
    );
    drop(run);
    let _ = fs::remove_dir_all(&dir);
}
