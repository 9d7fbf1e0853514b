//! Failures logged while logjail was not reading: the real daemon (dry run) with a stand-in
//! `logread` as its source command. The stand-in keeps a "ring buffer" file and, like ubox's
//! logread, prints only new lines with `-f`, and the last N lines first with `-l N -f`.
//! The daemon must ask for the history, count what it had not judged, and never count a line
//! twice: across a stop and start (the mark in the state file) and across a restart of the
//! command (the mark in memory).
mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::daemon::{cli, config, dropbear, wait};
use support::{scratch, BIN};

/// ubox's `logread` as far as the daemon can tell: `-l N` replays the last N lines of the
/// buffer, `-f` follows it. Its pid is written to `DIR/logread.pid`.
fn fake_logread(dir: &Path) -> PathBuf {
    let script = format!(
        "#!/bin/sh\nn=0\nwhile [ $# -gt 0 ]; do\n  case \"$1\" in -l) n=$2; shift ;; esac\n  shift\ndone\necho $$ > {d}/logread.pid\nexec tail -n \"$n\" -F {d}/buffer 2>/dev/null\n",
        d = dir.display()
    );
    let p = dir.join("logread");
    std::fs::write(&p, script).expect("script");
    Command::new("chmod").arg("755").arg(&p).status().expect("chmod");
    std::fs::write(dir.join("buffer"), "").expect("buffer");
    p
}

/// Appends `n` logread-format dropbear failures of `addr`, stamped now (UTC: the daemon runs
/// with `TZ=UTC0`).
fn log_failures(dir: &Path, addr: &str, n: usize) {
    use std::io::Write;
    let out = Command::new("date")
        .args(["-u", "+%a %b %e %H:%M:%S %Y"])
        .output()
        .expect("date");
    let stamp = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("buffer"))
        .expect("buffer");
    for _ in 0..n {
        writeln!(
            f,
            "{stamp} authpriv.warn dropbear[4242]: Bad password attempt for 'root' from {addr}:40000"
        )
        .expect("append");
    }
}

struct Run {
    child: Child,
    out: Arc<Mutex<String>>,
    err: Arc<Mutex<String>>,
}

fn collect<R: std::io::Read + Send + 'static>(mut r: R) -> Arc<Mutex<String>> {
    let buf = Arc::new(Mutex::new(String::new()));
    let b = buf.clone();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = r.read(&mut chunk) {
            if n == 0 {
                break;
            }
            b.lock().unwrap().push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    });
    buf
}

impl Run {
    /// `logjail run --dry-run` with the configuration's source (the stand-in), ready.
    fn start(cfg: &Path) -> Run {
        let mut child = Command::new(BIN)
            .args(["run", "--dry-run", "--foreground", "-c"])
            .arg(cfg)
            .env("TZ", "UTC0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start logjail");
        let out = collect(child.stdout.take().expect("stdout"));
        let err = collect(child.stderr.take().expect("stderr"));
        let r = Run { child, out, err };
        let ok = wait(Duration::from_secs(20), || {
            status(cfg).contains("\"state\":\"open\"")
        });
        assert!(ok, "daemon not reading; log:\n{}", r.err());
        r
    }

    fn out(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    fn err(&self) -> String {
        self.err.lock().unwrap().clone()
    }

    fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(100));
        self.err()
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn status(cfg: &Path) -> String {
    cli(cfg, &["status", "--json"]).1
}

/// Waits until `status --json` contains `what`.
fn wait_status(cfg: &Path, what: &str) -> bool {
    wait(Duration::from_secs(20), || status(cfg).contains(what))
}

#[test]
fn failures_logged_while_not_reading_count_once() {
    let dir = scratch("history");
    let logread = fake_logread(&dir);
    let main = format!("\toption source '{} -f'", logread.display());
    let cfg = config(&dir, &main, &dropbear(5, ""));
    let a = "203.0.113.50";
    let b = "203.0.113.51";

    let run = Run::start(&cfg);
    log_failures(&dir, a, 3);
    assert!(wait_status(&cfg, "\"total_failed\":3"), "{}", status(&cfg));
    let log = run.stop();
    assert!(log.contains("-l 1000 -f"), "the source asks for history: {log}");

    // Stopped: 2 more failures. The new run recounts the 3 it had judged and bans on the 5th.
    log_failures(&dir, a, 2);
    let run = Run::start(&cfg);
    let ban_a = format!("ban dropbear {a} 600");
    assert!(
        wait(Duration::from_secs(20), || run.out().contains(&ban_a)),
        "3 + 2 failures: no ban\nstatus {}\nlog:\n{}",
        status(&cfg),
        run.err()
    );

    // 4 failures, restart with nothing new: not 8.
    log_failures(&dir, b, 4);
    assert!(wait_status(&cfg, "\"total_failed\":6"), "{}", status(&cfg));
    run.stop();
    let run = Run::start(&cfg);
    assert!(wait_status(&cfg, "\"currently_failed\":1"), "{}", status(&cfg));
    std::thread::sleep(Duration::from_millis(500));
    assert!(!run.out().contains(b), "4 failures counted twice:\n{}", run.out());

    // logread dies and is restarted by the daemon: its replay is not counted again either.
    let pid = std::fs::read_to_string(dir.join("logread.pid")).expect("pid");
    let _ = Command::new("kill").arg(pid.trim()).status();
    assert!(
        wait(Duration::from_secs(20), || run.err().contains("restarting in")),
        "{}",
        run.err()
    );
    let restarted = wait(Duration::from_secs(20), || {
        std::fs::read_to_string(dir.join("logread.pid")).is_ok_and(|p| p != pid)
    });
    assert!(restarted, "{}", run.err());
    assert!(wait_status(&cfg, "\"state\":\"open\""));
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !run.out().contains(b),
        "the replay was counted again:\n{}",
        run.out()
    );
    // The 5th failure is the 5th, not the 9th.
    log_failures(&dir, b, 1);
    let ban_b = format!("ban dropbear {b} 600");
    assert!(
        wait(Duration::from_secs(20), || run.out().contains(&ban_b)),
        "{}",
        run.err()
    );
    let out = run.out();
    assert_eq!(out.matches(&ban_b).count(), 1, "{out}");
    // This run decided one ban: {b}'s ({a}'s was restored, not decided again).
    assert!(wait_status(&cfg, "\"total_banned\":1}"), "{}", status(&cfg));
    run.stop();
}
