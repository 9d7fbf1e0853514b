//! An idle daemon sleeps: the real binary, left alone for a few seconds with each kind of log
//! source, uses almost no CPU. (A followed file once made the loop spin on a deadline in the
//! past: ~15,000 zero-timeout polls a second, 60 % of a core.)

mod support;

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::daemon::{cli, config, dropbear, wait};
use support::{scratch, BIN};

/// How long each daemon is watched.
const IDLE: Duration = Duration::from_secs(3);
/// CPU share of one core an idle daemon may use (it wakes a few times a second).
const MAX_SHARE: f64 = 0.05;

/// utime + stime of `pid`, in seconds.
fn cpu_secs(pid: u32) -> f64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    // pid (comm) state ppid …: fields after the `)` start at field 3; utime is 14, stime 15.
    let rest = stat.rsplit_once(')').expect("comm").1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f[11].parse::<u64>().expect("utime") + f[12].parse::<u64>().expect("stime");
    ticks as f64 / clock_ticks()
}

/// `sysconf(_SC_CLK_TCK)`, the unit of /proc/PID/stat's times.
fn clock_ticks() -> f64 {
    let out = Command::new("getconf").arg("CLK_TCK").output().expect("getconf");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("CLK_TCK")
}

struct Run {
    child: Child,
    name: &'static str,
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(name: &'static str, source: &str) -> (Run, std::path::PathBuf) {
    let dir = scratch(&format!("idle-{name}"));
    let cfg = config(&dir, "", &dropbear(3, ""));
    let child = Command::new(BIN)
        .args(["run", "--foreground", "--dry-run", "--source", source, "-c"])
        .arg(&cfg)
        .stdin(Stdio::piped()) // held open and never written: stdin idles, not ends
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start logjail");
    let run = Run { child, name };
    let up = wait(Duration::from_secs(20), || cli(&cfg, &["version"]).0 == 0);
    assert!(up, "{name}: the daemon did not answer");
    (run, dir)
}

/// CPU share used by the daemon over [`IDLE`].
fn idle_share(run: &mut Run) -> f64 {
    let pid = run.child.id();
    let before = cpu_secs(pid);
    let t = Instant::now();
    std::thread::sleep(IDLE);
    let used = cpu_secs(pid) - before;
    assert!(
        matches!(run.child.try_wait(), Ok(None)),
        "{}: the daemon exited while idle",
        run.name
    );
    used / t.elapsed().as_secs_f64()
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut f = fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .expect("append");
    f.write_all(text.as_bytes()).expect("write");
}

/// Starts one daemon, lets `prepare` disturb its source, then measures it idle.
fn measure(name: &'static str, kind: Kind) -> (String, f64) {
    let dir = scratch(&format!("idle-log-{name}"));
    let log = dir.join("messages");
    let source = match kind {
        Kind::Command => "sleep 100000".to_string(),
        Kind::Stdin => "-".to_string(),
        _ => log.display().to_string(),
    };
    if matches!(kind, Kind::File | Kind::Rotated | Kind::Truncated) {
        fs::write(&log, "an old line\n").expect("log");
    }
    let (mut run, state_dir) = start(name, &source);
    match kind {
        Kind::Rotated => {
            fs::rename(&log, dir.join("messages.1")).expect("rotate");
            append(&log, "a new file\n");
        }
        Kind::Truncated => {
            append(&log, "more\n");
            fs::write(&log, "").expect("truncate");
        }
        _ => {}
    }
    // Past the first polls after the change (and the 2 s safety-net poll's first deadline).
    std::thread::sleep(Duration::from_millis(500));
    let share = idle_share(&mut run);
    drop(run);
    let _ = fs::remove_dir_all(&dir);
    let _ = fs::remove_dir_all(&state_dir);
    (name.to_string(), share)
}

#[derive(Clone, Copy)]
enum Kind {
    Command,
    Stdin,
    File,
    Missing,
    Rotated,
    Truncated,
}

#[test]
fn an_idle_daemon_sleeps_whatever_its_source() {
    let kinds = [
        ("command", Kind::Command),
        ("stdin", Kind::Stdin),
        ("file", Kind::File),
        ("missing-file", Kind::Missing),
        ("rotated-file", Kind::Rotated),
        ("truncated-file", Kind::Truncated),
    ];
    // In parallel: each is its own process, and idle ones do not compete for the CPU.
    let handles: Vec<_> = kinds
        .into_iter()
        .map(|(name, kind)| std::thread::spawn(move || measure(name, kind)))
        .collect();
    let shares: Vec<(String, f64)> = handles
        .into_iter()
        .map(|h| h.join().expect("measurement"))
        .collect();
    eprintln!("idle CPU share of a core: {shares:?}");
    let busy: Vec<&(String, f64)> = shares.iter().filter(|(_, s)| *s >= MAX_SHARE).collect();
    assert!(
        busy.is_empty(),
        "idle daemons using more than {:.0} % of a core: {busy:?} (all: {shares:?})",
        MAX_SHARE * 100.0
    );
}
