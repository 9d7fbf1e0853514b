//! Command and stdin sources against real processes, driven by the daemon's poll loop.

mod support;

use logjail::source::{Options, Source, Spec, Status};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use support::source_loop::*;

#[test]
fn a_command_that_exits_is_reaped_logged_and_restarted_with_backoff() {
    capture_logs();
    let start = Instant::now();
    let spec = Spec::Command("echo one; printf 'two'".into());
    let mut src = Source::open_with(&spec, fast(), 0).expect("spawn");
    let first = pid_of(&src).expect("running with a pid");
    let mut got = Vec::new();
    pump(&mut src, start, &mut got, 3000, |g| !g.is_empty());
    let first_batch = ms(start);
    pump(&mut src, start, &mut got, 3000, |g| g.len() >= 3);
    // The last line without newline is dropped: the command may have died in the middle of it.
    assert_eq!(got, ["one", "one", "one"]);
    assert!(src.stats().ignored >= 2, "{:?}", src.stats());
    // Restarted twice, after 200 ms and then 400 ms.
    assert!(
        ms(start) - first_batch >= 550,
        "backoff doubled: {} ms",
        ms(start) - first_batch
    );
    assert_eq!(src.stats().restarts, 2);
    assert!(logged("command 'echo one; printf 'two'' ended (exit status: 0)"));
    assert!(
        logged("restarting in 0.2s"),
        "{:?}",
        LOGS.lock().map(|l| l.clone())
    );
    // The first shell was reaped: no zombie left behind.
    assert!(
        !PathBuf::from(format!("/proc/{first}")).exists(),
        "pid {first} still there"
    );
    let d = src.to_string();
    assert!(d.starts_with("command 'echo one; printf 'two'' "), "{d}");
}

#[test]
fn closing_stops_and_reaps_the_whole_pipeline() {
    let start = Instant::now();
    let spec = Spec::Command("echo ready; sleep 30 | cat".into());
    let mut src = Source::open_with(&spec, fast(), 0).expect("spawn");
    let pid = pid_of(&src).expect("pid");
    let mut got = Vec::new();
    pump(&mut src, start, &mut got, 3000, |g| !g.is_empty());
    assert_eq!(got, ["ready"]);
    assert_eq!(src.status(), Status::Open);
    assert!(src.to_string().contains(&format!("running, pid {pid}")));
    src.close();
    assert!(!PathBuf::from(format!("/proc/{pid}")).exists(), "shell reaped");
    // Nothing of the group is left alive: `sleep 30` and `cat` were killed with it (the
    // orphans may linger as zombies until init reaps them).
    let until = Instant::now() + Duration::from_secs(2);
    while !alive_in_group(pid).is_empty() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(alive_in_group(pid), Vec::<u32>::new());
    assert!(src.to_string().ends_with("stopped"));
}

#[test]
fn an_empty_command_is_refused() {
    let err = Source::open_with(&Spec::Command("  ".into()), fast(), 0)
        .err()
        .expect("error");
    assert_eq!(err.to_string(), "log source: the command is empty");
}

/// Runs in a child process (see below) whose stdin is a pipe from the test.
#[test]
#[ignore = "run by stdin_end_ends_the_source with its stdin piped"]
fn stdin_child() {
    if std::env::var_os("LOGJAIL_STDIN_CHILD").is_none() {
        return;
    }
    let start = Instant::now();
    let mut src = Source::open_with(&Spec::Stdin, fast(), 0).expect("stdin");
    let mut got = Vec::new();
    let mut status = Status::Open;
    while status != Status::Ended && ms(start) < 5000 {
        if let Some(fd) = src.fd() {
            let _ = poll(
                &mut [PollFd::new(fd, PollFlags::POLLIN)],
                PollTimeout::from(100u16),
            );
        }
        status = src.read(ms(start), &mut |l: &[u8]| {
            got.push(String::from_utf8_lossy(l).into_owned())
        });
    }
    assert!(src.fd().is_none());
    println!("LINES {got:?} {status:?} {src}");
}

#[test]
fn stdin_end_ends_the_source() {
    let exe = std::env::current_exe().expect("test binary");
    let mut child = std::process::Command::new(exe)
        .args([
            "--exact",
            "stdin_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LOGJAIL_STDIN_CHILD", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("child");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(b"first\r\nsecond\n").expect("write");
    std::thread::sleep(Duration::from_millis(100));
    input.write_all(b"last without newline").expect("write");
    drop(input);
    let out = child.wait_with_output().expect("child output");
    let out = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.contains(r#"LINES ["first", "second", "last without newline"] Ended standard input ended"#),
        "{out}"
    );
}

#[test]
fn a_command_that_closes_its_output_but_lingers_is_terminated() {
    capture_logs();
    let start = Instant::now();
    let spec = Spec::Command("echo bye; exec >&-; sleep 30".into());
    let opts = Options {
        kill_grace_ms: 1000,
        ..fast()
    };
    let mut src = Source::open_with(&spec, opts, 0).expect("spawn");
    let pid = pid_of(&src).expect("pid");
    let mut got = Vec::new();
    pump(&mut src, start, &mut got, 3000, |g| !g.is_empty());
    pump(&mut src, start, &mut got, 100, |_| false);
    assert_eq!(src.status(), Status::Waiting);
    assert!(
        src.to_string()
            .contains(&format!("waiting for pid {pid} to exit")),
        "{src}"
    );
    pump(&mut src, start, &mut got, 3000, |_| logged("ended (signal: 15"));
    assert!(
        logged("ended (signal: 15"),
        "{:?}",
        LOGS.lock().map(|l| l.clone())
    );
    assert!(!PathBuf::from(format!("/proc/{pid}")).exists(), "reaped");
    assert_eq!(got, ["bye"]);
}

#[test]
fn a_command_that_ran_long_enough_restarts_quickly_again() {
    capture_logs();
    let start = Instant::now();
    let spec = Spec::Command("sleep 0.3; echo stable".into());
    let opts = Options {
        stable_ms: 250,
        ..fast()
    };
    let mut src = Source::open_with(&spec, opts, 0).expect("spawn");
    let mut got = Vec::new();
    pump(&mut src, start, &mut got, 5000, |g| g.len() >= 3);
    assert_eq!(got, ["stable", "stable", "stable"]);
    let count = |needle: &str| {
        LOGS.lock()
            .map(|l| {
                l.iter()
                    .filter(|m| m.contains("'sleep 0.3; echo stable'") && m.contains(needle))
                    .count()
            })
            .unwrap_or(0)
    };
    // Every run lasted over `stable_ms`: the delay never doubled.
    // (The third exit may already be seen with the third line.)
    assert!(count("restarting in 0.2s") >= 2);
    assert_eq!(count("restarting in 0.4s"), 0);
}

#[test]
fn the_command_starts_with_no_signals_blocked_even_when_the_daemon_blocks_them() {
    use nix::sys::signal::{SigSet, Signal};
    // The daemon blocks SIGTERM, SIGINT and SIGHUP to read them from a signalfd.
    let mut mask = SigSet::empty();
    mask.add(Signal::SIGTERM);
    mask.add(Signal::SIGHUP);
    mask.thread_block().expect("block");
    let start = Instant::now();
    let spec = Spec::Command("grep SigBlk /proc/self/status".into());
    let mut src = Source::open_with(&spec, fast(), 0).expect("spawn");
    mask.thread_unblock().expect("unblock");
    let mut got = Vec::new();
    pump(&mut src, start, &mut got, 3000, |g| !g.is_empty());
    assert_eq!(got, ["SigBlk:\t0000000000000000"]);
}

/// What the shell starts with, as `std::process::Command` set it up before the source moved
/// to `posix_spawnp`: stdin `/dev/null`, the leader of its own process group, `SIGPIPE` at
/// its default action (this test process, like the daemon, ignores it: std's runtime does),
/// its stderr this process's, and the environment passed on.
#[test]
fn the_command_starts_with_null_stdin_its_own_group_default_sigpipe_and_our_environment() {
    let start = Instant::now();
    let script = "readlink /proc/self/fd/0; \
        echo group $(cut -d' ' -f5 /proc/$$/stat) of $$; \
        grep SigIgn /proc/self/status; \
        [ /proc/$$/fd/2 -ef /proc/$PPID/fd/2 ] && echo stderr shared; \
        echo home=$HOME";
    let mut src = Source::open_with(&Spec::Command(script.into()), fast(), 0).expect("spawn");
    let mut got = Vec::new();
    pump(&mut src, start, &mut got, 3000, |g| g.len() >= 5);
    assert_eq!(got.len(), 5, "{got:?}");
    assert_eq!(got[0], "/dev/null");
    let words: Vec<&str> = got[1].split(' ').collect();
    assert_eq!(words.len(), 4, "{got:?}");
    assert_eq!(words[1], words[3], "the shell leads its own group: {got:?}");
    assert_ne!(words[1], std::process::id().to_string());
    let ignored = got[2].strip_prefix("SigIgn:\t").expect("SigIgn line");
    let ignored = u64::from_str_radix(ignored, 16).expect("hex mask");
    assert_eq!(
        ignored & (1 << (libc::SIGPIPE - 1)),
        0,
        "SIGPIPE ignored: {got:?}"
    );
    assert_eq!(got[3], "stderr shared");
    assert_eq!(
        got[4],
        format!("home={}", std::env::var("HOME").unwrap_or_default())
    );
}
