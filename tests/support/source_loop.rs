//! Shared by the source tests: a log capture, the daemon's poll loop for one source, fast
//! source options, the processes of a command source's group.

use logjail::source::{Options, Source};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub static LOGS: Mutex<Vec<String>> = Mutex::new(Vec::new());

pub struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        if let Ok(mut logs) = LOGS.lock() {
            logs.push(format!("{} {}", record.level(), record.args()));
        }
    }
    fn flush(&self) {}
}

pub fn capture_logs() {
    let _ = log::set_logger(&Capture);
    log::set_max_level(log::LevelFilter::Info);
}

pub fn logged(needle: &str) -> bool {
    LOGS.lock()
        .map(|l| l.iter().any(|m| m.contains(needle)))
        .unwrap_or(false)
}

pub fn ms(start: Instant) -> u64 {
    start.elapsed().as_millis() as u64
}

/// The daemon's loop for one source: poll its fd or sleep until its deadline, read, tick;
/// until `done` says so or `max_ms` passes.
pub fn pump(
    src: &mut Source,
    start: Instant,
    got: &mut Vec<String>,
    max_ms: u64,
    done: impl Fn(&[String]) -> bool,
) {
    let until = ms(start) + max_ms;
    while !done(got) && ms(start) < until {
        let now = ms(start);
        let wake = src.next_deadline_ms().unwrap_or(u64::MAX).min(now + 100);
        let timeout = PollTimeout::from(wake.saturating_sub(now).min(100) as u16);
        match src.fd() {
            Some(fd) => {
                let _ = poll(&mut [PollFd::new(fd, PollFlags::POLLIN)], timeout);
            }
            None => std::thread::sleep(Duration::from_millis(wake.saturating_sub(now).min(100))),
        }
        let now = ms(start);
        src.read(now, &mut |l: &[u8]| {
            got.push(String::from_utf8_lossy(l).into_owned())
        });
        src.tick(now);
    }
}

pub fn fast() -> Options {
    Options {
        backoff_min_ms: 200,
        backoff_max_ms: 400,
        file_poll_ms: 5,
        kill_grace_ms: 200,
        ..Options::default()
    }
}

pub fn pid_of(src: &Source) -> Option<u32> {
    let d = src.to_string();
    d.split("pid ")
        .nth(1)?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Processes in process group `pgid` that are not zombies.
pub fn alive_in_group(pgid: u32) -> Vec<u32> {
    let mut alive = Vec::new();
    for entry in fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid pgrp …; comm may hold spaces, so split after its `)`.
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.len() > 2 && fields[2] == pgid.to_string() && fields[0] != "Z" {
            alive.extend(head.split_whitespace().next().and_then(|p| p.parse::<u32>().ok()));
        }
    }
    alive
}

pub fn append(path: &PathBuf, data: &[u8]) {
    let mut f = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .expect("open for append");
    f.write_all(data).expect("append");
}
