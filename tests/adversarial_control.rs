//! Adversarial pass (issue 10), part 5: the control socket, the configuration and the
//! dispatch, as an attacker and a careless admin meet them through the real daemon. A
//! thousand random frames, oversized and empty ones, too many clients and a silent one are
//! `tests/control.rs`; the non-root `status` is `tests/control_access.rs`. Here: half frames
//! left hanging, a flood of connections held open, requests a decoder accepts but nobody
//! should, the non-root client of every verb. Configurations and filters are
//! `adversarial_config.rs`; see `adversarial.rs` for the index.

mod support;

use logjail::control::proto::{self, BanTime, Request};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use support::daemon::{cli, config, dropbear, failure, Daemon};
use support::{scratch, BIN};

/// How long the daemon gives a client to send its request (docs: 2 s).
const REQUEST_TIME: Duration = Duration::from_secs(2);

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// The pid of the `logjail run` process started with `cfg` (found in /proc).
fn daemon_pid(cfg: &Path) -> u32 {
    let me = std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                let c = String::from_utf8_lossy(&c);
                c.contains("run") && c.contains(&*cfg.to_string_lossy())
            })
        })
        .max();
    me.expect("the daemon's pid")
}

/// `status` answered, and how long it took.
fn status_time(cfg: &Path) -> Duration {
    let t = Instant::now();
    let (code, _, err) = cli(cfg, &["status"]);
    assert_eq!(code, 0, "status failed: {err}");
    t.elapsed()
}

#[test]
fn half_frames_and_a_flood_of_connections_leave_a_good_client_answered() {
    let dir = scratch("adv-ctl-flood");
    let cfg = config(&dir, "", &dropbear(1, ""));
    let mut d = Daemon::start(&cfg);
    let pid = daemon_pid(&cfg);
    let fds_before = open_fds(pid);
    let sock = dir.join("sock");
    // Half frames, then silence: two bytes of a prefix; a prefix promising 100 bytes and 10
    // of them; the largest prefix there is (4 GiB) and nothing.
    let mut hanging = Vec::new();
    for part in [
        &[0u8, 0][..],
        &[0, 0, 0, 100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        &[0xff; 4],
    ] {
        let mut s = UnixStream::connect(&sock).expect("connect");
        s.write_all(part).expect("half frame");
        hanging.push(s);
    }
    // Then 300 connections at once, held open without a byte.
    let held: Vec<UnixStream> = (0..300).filter_map(|_| UnixStream::connect(&sock).ok()).collect();
    assert!(!held.is_empty());
    for _ in 0..5 {
        let took = status_time(&cfg);
        assert!(
            took < Duration::from_secs(2),
            "status took {took:?} under the flood"
        );
    }
    d.feed(&failure("203.0.113.50"));
    assert!(d.wait_out("ban dropbear 203.0.113.50 600"), "{}", d.err());
    let fds_flood = open_fds(pid);
    eprintln!("daemon fds: {fds_before} before, {fds_flood} under 303 idle connections");
    assert!(
        fds_flood < fds_before + 16,
        "{fds_flood} fds: connections are not bounded"
    );
    // The half frames are closed after the request time, with an error or nothing.
    std::thread::sleep(REQUEST_TIME + Duration::from_millis(500));
    for mut s in hanging {
        s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut rest = Vec::new();
        // Closed: an end of file, or a reset when the daemon left bytes unread.
        let r = s.read_to_end(&mut rest).map_err(|e| e.kind());
        let held = matches!(r, Err(ErrorKind::WouldBlock | ErrorKind::TimedOut));
        assert!(!held, "a half frame is still held open after {REQUEST_TIME:?}");
    }
    drop(held);
    assert!(status_time(&cfg) < Duration::from_secs(2));
    assert!(d.alive());
}

/// Sends one well-formed request and returns the daemon's reply, decoded, as text.
fn ask(sock: &Path, req: &Request) -> String {
    let mut s = UnixStream::connect(sock).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut frame = Vec::new();
    proto::push_frame(req, &mut frame).expect("frame");
    s.write_all(&frame).expect("send");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    assert!(out.len() > 4, "no reply to {req:?}");
    format!("{:?}", proto::decode_response(&out[4..]))
}

#[test]
fn requests_that_decode_but_should_not_act_are_refused() {
    let dir = scratch("adv-ctl-hostile");
    let cfg = config(&dir, "", &dropbear(1, ""));
    let mut d = Daemon::start(&cfg);
    d.feed(&failure("203.0.113.60"));
    assert!(d.wait_out("ban dropbear 203.0.113.60 600"));
    let sock = dir.join("sock");
    let ban = |jail: &str, addr: &str, force: bool| Request::Ban {
        jail: jail.into(),
        addr: addr.into(),
        time: BanTime::Permanent,
        force,
    };
    for (req, want) in [
        (ban("dropbear", "0.0.0.0/0", true), "Error"),
        (ban("dropbear", "::/0", true), "Error"),
        (ban("dropbear", "127.0.0.1", true), "Error"),
        (ban("dropbear", "192.168.1.7", false), "Error"),
        (ban("dropbear", "203.0.113.61\0", false), "Error"),
        (ban("dropbear", "203.0.113.61\n203.0.113.62", false), "Error"),
        (ban("../../etc/passwd", "203.0.113.63", false), "Error"),
        (ban("", "203.0.113.63", false), "Error"),
        (ban("recidive", "203.0.113.64", false), "Error"),
        (
            Request::Unban {
                addr: Some("0.0.0.0/0".into()),
            },
            "Error",
        ),
        (
            Request::Unban {
                addr: Some("203.0.113.0/24".into()),
            },
            "Error",
        ),
        (
            Request::Status {
                jail: Some("x".repeat(4000)),
            },
            "Error",
        ),
    ] {
        let reply = ask(&sock, &req);
        assert!(reply.contains(want), "{req:?} answered {reply}");
    }
    // Raw frames: the largest length prefix there is, an unknown request, a request with
    // bytes after it, a prefix shorter than its payload.
    for (bytes, want) in [
        (&[0xff, 0xff, 0xff, 0xff][..], "larger than the limit"),
        (&[0, 0, 0, 1, 0x7f], "Error"),
        (&[0, 0, 0, 3, 0, 0xaa, 0xbb], "Error"),
        (&[0, 0, 0, 1, 3, 1, 0xff], "Error"),
    ] {
        let mut s = UnixStream::connect(&sock).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(bytes).expect("send");
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        let reply = format!("{:?}", out.get(4..).map(proto::decode_response));
        assert!(reply.contains(want), "{bytes:x?} answered {reply}");
    }
    let (_, list, _) = cli(&cfg, &["list", "--json"]);
    assert!(list.contains("203.0.113.60"), "a ban was lifted: {list}");
    assert_eq!(list.matches("\"address\"").count(), 1, "{list}");
    assert_eq!(d.out(), "ban dropbear 203.0.113.60 600\n");
}

#[test]
fn a_non_root_client_of_every_verb_is_told_the_socket_needs_root() {
    let dir = scratch("adv-ctl-nonroot");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let cfg = config(&dir, "", &dropbear(1, ""));
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let d = Daemon::start(&cfg);
    for verb in [
        &["list"][..],
        &["ban", "dropbear", "203.0.113.80"],
        &["unban", "--all"],
        &["reload"],
        &["status", "--json"],
    ] {
        let o = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN])
            .args(verb)
            .arg("-c")
            .arg(&cfg)
            .output()
            .expect("setpriv");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{verb:?} as nobody: {err}");
        assert!(err.contains("only root"), "{verb:?}: {err}");
        if verb.contains(&"--json") {
            let out = String::from_utf8_lossy(&o.stdout);
            assert!(
                out.starts_with("{\"error\":") && out.contains("only root"),
                "{out}"
            );
        }
    }
    assert_eq!(d.out(), "", "a non-root client changed something");
}
