//! Adversarial pass (issue 10), part 3: hostile log sources never make the daemon spin. The
//! quiet cases (each source kind left idle) are `tests/sources_idle.rs`; here the source
//! misbehaves: a followed file deleted and re-created in a loop, a command that exits at once
//! again and again, a command printing garbage without newline at full speed. CPU time is
//! read from `/proc/PID/stat`, memory from `VmHWM`. See `adversarial.rs` for the index.

mod support;

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::daemon::{cli, config, dropbear, wait};
use support::{scratch, BIN};

/// utime + stime of `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    let rest = stat.rsplit_once(')').expect("comm").1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    f[11].parse::<u64>().expect("utime") + f[12].parse::<u64>().expect("stime")
}

fn clock_ticks() -> f64 {
    let out = Command::new("getconf").arg("CLK_TCK").output().expect("getconf");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("CLK_TCK")
}

/// CPU share of one core `pid` used while `during` ran.
fn cpu_share(pid: u32, during: impl FnOnce()) -> f64 {
    let before = cpu_ticks(pid);
    let t = Instant::now();
    during();
    let used = (cpu_ticks(pid) - before) as f64 / clock_ticks();
    used / t.elapsed().as_secs_f64()
}

fn hwm_kib(pid: u32) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("status")
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

/// A dry-run daemon on `--source SOURCE`, stdin held open, decisions and log collected.
struct Run {
    child: Child,
    cfg: std::path::PathBuf,
    out: Arc<Mutex<String>>,
    err: Arc<Mutex<String>>,
}

fn collect(mut r: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let buf = Arc::new(Mutex::new(String::new()));
    let b = buf.clone();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n @ 1..) = r.read(&mut chunk) {
            b.lock().unwrap().push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    });
    buf
}

impl Run {
    fn start(dir: &Path, source: &str) -> Run {
        let cfg = config(dir, "", &dropbear(1, ""));
        let mut child = Command::new(BIN)
            .args(["run", "--foreground", "--dry-run", "--source", source, "-c"])
            .arg(&cfg)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start logjail");
        let out = collect(child.stdout.take().expect("stdout"));
        let err = collect(child.stderr.take().expect("stderr"));
        let run = Run { child, cfg, out, err };
        let up = wait(Duration::from_secs(20), || cli(&run.cfg, &["version"]).0 == 0);
        assert!(up, "the daemon did not answer:\n{}", run.err());
        run
    }
    fn pid(&self) -> u32 {
        self.child.id()
    }
    fn out(&self) -> String {
        self.out.lock().unwrap().clone()
    }
    fn err(&self) -> String {
        self.err.lock().unwrap().clone()
    }
    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_followed_file_deleted_and_recreated_in_a_loop_does_not_make_it_spin() {
    let dir = scratch("adv-src-churn");
    let log = dir.join("messages");
    fs::write(&log, "old\n").expect("log");
    let mut run = Run::start(&dir, &log.display().to_string());
    let stop = Arc::new(AtomicBool::new(false));
    let churn = {
        let (stop, log) = (stop.clone(), log.clone());
        std::thread::spawn(move || {
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let _ = fs::remove_file(&log);
                let _ = fs::write(&log, format!("noise {n}\n"));
                n += 1;
                std::thread::sleep(Duration::from_millis(2));
            }
            n
        })
    };
    let busy = cpu_share(run.pid(), || std::thread::sleep(Duration::from_secs(2)));
    stop.store(true, Ordering::Relaxed);
    let churned = churn.join().expect("churn");
    // Left alone after the churn, it sleeps again.
    std::thread::sleep(Duration::from_millis(300));
    let idle = cpu_share(run.pid(), || std::thread::sleep(Duration::from_secs(2)));
    eprintln!("{churned} re-creations: {busy:.3} of a core while churned, {idle:.3} after");
    assert!(run.alive(), "the daemon exited:\n{}", run.err());
    assert!(busy < 0.5, "{busy:.2} of a core while the file was re-created");
    assert!(idle < 0.05, "{idle:.3} of a core idle after the churn");
    // It still follows the file that is there now.
    support::source_loop::append(&log, b"Bad password attempt for 'root' from 203.0.113.9:22\n");
    let banned = wait(Duration::from_secs(10), || {
        run.out().contains("ban dropbear 203.0.113.9")
    });
    assert!(banned, "the re-created file is not followed:\n{}", run.err());
}

#[test]
fn a_command_that_exits_at_once_is_restarted_with_backoff() {
    let dir = scratch("adv-src-exits");
    let mut run = Run::start(&dir, "true");
    let share = cpu_share(run.pid(), || std::thread::sleep(Duration::from_secs(4)));
    let err = run.err();
    assert!(run.alive(), "the daemon exited:\n{err}");
    // 1 s doubling: at most 1 + 2 (+ the first) starts in 4 s, not thousands.
    let starts = err.lines().filter(|l| l.contains("restarting in")).count();
    eprintln!("{share:.3} of a core; {starts} restarts logged:\n{err}");
    assert!(
        share < 0.05,
        "{share:.3} of a core with a command that exits at once"
    );
    assert!((1..=4).contains(&starts), "{starts} restarts in 4 s:\n{err}");
    let (code, status, _) = cli(&run.cfg, &["status"]);
    assert_eq!(code, 0);
    assert!(status.contains("restarting"), "{status}");
}

#[test]
fn garbage_without_newline_at_full_speed_stays_bounded_and_answers() {
    // 64 MiB of text without a newline as fast as a pipe takes it, then a real failure.
    let dir = scratch("adv-src-garbage");
    let cmd = "head -c 67108864 /dev/zero | tr '\\000' 'x'; echo; \
               echo \"Bad password attempt for 'root' from 203.0.113.9:22\"; exec sleep 600";
    let mut run = Run::start(&dir, cmd);
    // The control socket answers while the flood is read.
    let t = Instant::now();
    let mut slowest = Duration::ZERO;
    while !run.out().contains("ban dropbear 203.0.113.9") && t.elapsed() < Duration::from_secs(30) {
        let asked = Instant::now();
        assert_eq!(cli(&run.cfg, &["status"]).0, 0, "status failed during the flood");
        slowest = slowest.max(asked.elapsed());
        std::thread::sleep(Duration::from_millis(50));
    }
    let peak = hwm_kib(run.pid());
    eprintln!(
        "flood read in {:?}; slowest status {slowest:?}; peak RSS {peak} KiB",
        t.elapsed()
    );
    assert!(
        run.out().contains("ban dropbear 203.0.113.9 600"),
        "{}",
        run.err()
    );
    assert!(run.alive());
    assert!(slowest < Duration::from_secs(2), "status took {slowest:?}");
    assert!(peak < 16 * 1024, "peak RSS {peak} KiB");
    // The flood is over: idle again.
    let idle = cpu_share(run.pid(), || std::thread::sleep(Duration::from_secs(1)));
    assert!(idle < 0.05, "{idle:.3} of a core after the flood");
}

#[test]
fn a_fifo_at_the_followed_path_never_blocks_the_loop() {
    // A followed file that is missing, then appears as a FIFO (a careless syslog setup): open
    // would wait for a writer, and the whole event loop with it.
    let dir = scratch("adv-src-fifo");
    let log = dir.join("messages");
    let mut run = Run::start(&dir, &log.display().to_string());
    let made = Command::new("mkfifo").arg(&log).status().expect("mkfifo");
    assert!(made.success());
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    let (code, _, err) = cli(&run.cfg, &["status"]);
    assert_eq!(code, 0, "the loop is blocked on the FIFO: {err}\n{}", run.err());
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "status took {:?}",
        t.elapsed()
    );
    let said = wait(Duration::from_secs(5), || {
        run.err().contains("not a regular file")
    });
    assert!(said, "{}", run.err());
    // A regular file there again is followed from its start.
    fs::remove_file(&log).expect("rm fifo");
    fs::write(&log, "Bad password attempt for 'root' from 203.0.113.9:22\n").expect("log");
    let banned = wait(Duration::from_secs(10), || {
        run.out().contains("ban dropbear 203.0.113.9")
    });
    assert!(banned, "{}", run.err());
    assert!(run.alive());
    // At start, a FIFO is refused at once, with its name, not waited on.
    let other = scratch("adv-src-fifo-start");
    let fifo = other.join("messages");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo")
        .success());
    let cfg = config(&other, "", &dropbear(1, ""));
    let mut child = Command::new(BIN)
        .args(["run", "--foreground", "--dry-run", "--source"])
        .arg(&fifo)
        .arg("-c")
        .arg(&cfg)
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    let ended = wait(Duration::from_secs(3), || matches!(child.try_wait(), Ok(Some(_))));
    let _ = child.kill();
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(ended, "the daemon waits on a FIFO at start:\n{err}");
    assert!(
        err.contains(&format!("{} is not a regular file", fifo.display())),
        "{err}"
    );
}

/// The address a cut line would frame.
const BAIT: &str = "198.51.100.77";

#[test]
fn a_line_cut_by_its_writer_ending_is_never_judged() {
    // A command whose output ends in the middle of a line (it exits, or is killed), again and
    // again; one that pauses in the middle of a line; and a followed file rotated and
    // truncated right after a piece of a line ending with the bait.
    let dir = scratch("adv-src-cut");
    let cmd = format!(
        "printf \"Bad password attempt for 'a' from {BAIT}:22\"; sleep 1; \
         printf \"' from 203.0.113.9:4242\\n\"; \
         printf \"Bad password attempt for 'z' from {BAIT}:22\""
    );
    let mut run = Run::start(&dir, &cmd);
    let banned = wait(Duration::from_secs(10), || run.out().contains("203.0.113.9"));
    assert!(banned, "{}", run.err());
    // Let it exit and restart once more (1 s backoff).
    std::thread::sleep(Duration::from_millis(2500));
    assert!(run.alive());
    assert_eq!(run.out(), "ban dropbear 203.0.113.9 600\n", "{}", run.err());

    let fdir = scratch("adv-src-cut-file");
    let log = fdir.join("messages");
    fs::write(&log, "").expect("log");
    let run = Run::start(&fdir, &log.display().to_string());
    let append = |text: &str| support::source_loop::append(&log, text.as_bytes());
    append(&format!("Bad password attempt for 'a' from {BAIT}:22"));
    std::thread::sleep(Duration::from_millis(300));
    fs::rename(&log, fdir.join("messages.1")).expect("rotate");
    append(&format!("Bad password attempt for 'b' from {BAIT}:22"));
    std::thread::sleep(Duration::from_millis(300));
    fs::write(&log, "").expect("truncate");
    std::thread::sleep(Duration::from_millis(300));
    append("Bad password attempt for 'c' from 203.0.113.10:1\n");
    let banned = wait(Duration::from_secs(10), || run.out().contains("203.0.113.10"));
    assert!(banned, "{}", run.err());
    assert_eq!(run.out(), "ban dropbear 203.0.113.10 600\n", "{}", run.err());
}

#[test]
fn a_followed_file_truncated_and_regrown_unseen_frames_nobody() {
    // `copytruncate` while the daemon is busy (here: stopped): when it looks again the file is
    // longer than what it had read. Read on from the old offset, it would start in the middle
    // of a line — a line's tail whose start an attacker wrote (an anonymous FTP password).
    let dir = scratch("adv-src-regrown");
    let log = dir.join("messages");
    let old = "Nov 24 10:04:00 nas vsftpd[1]: [x] OK LOGIN: Client \"192.0.2.1\"\n".repeat(4);
    fs::write(&log, &old).expect("log");
    let cfg_jail = "config jail 'vsftpd'\n\toption maxretry '1'\n\toption bantime '600'\n";
    let cfg = config(&dir, "", cfg_jail);
    let mut child = Command::new(BIN)
        .args(["run", "--foreground", "--dry-run", "--source"])
        .arg(&log)
        .arg("-c")
        .arg(&cfg)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    let out = collect(child.stdout.take().expect("stdout"));
    let err = collect(child.stderr.take().expect("stderr"));
    let run = Run { child, cfg, out, err };
    assert!(wait(Duration::from_secs(20), || cli(&run.cfg, &["version"]).0 == 0));
    let pid = run.pid().to_string();
    let signal = |s: &str| Command::new("kill").args([s, &pid]).status().expect("kill");
    signal("-STOP");
    let head = "[anonymous] FAIL LOGIN: Client \"203.0.113.9\", anon password \"";
    let bait = format!("[anonymous] FAIL LOGIN: Client \"{BAIT}\", anon password \"x");
    let mut line = head.to_string();
    while line.len() < old.len() {
        line.push('p');
    }
    line.truncate(old.len());
    line += &bait;
    line += "\"\n";
    fs::write(&log, &line).expect("truncate and regrow");
    signal("-CONT");
    support::source_loop::append(&log, b"[x] FAIL LOGIN: Client \"203.0.113.11\"\n");
    let banned = wait(Duration::from_secs(10), || run.out().contains("203.0.113.11"));
    assert!(banned, "{}", run.err());
    assert!(
        !run.out().contains(BAIT),
        "a line's tail was judged:\n{}",
        run.out()
    );
}
