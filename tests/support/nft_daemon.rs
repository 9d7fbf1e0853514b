//! The real `logjail run` binary, fed on stdin, and a watch on the kernel's set elements.
//!
//! [`Logjail::start`] writes a UCI configuration into a scratch directory and starts
//! `logjail run --foreground --source - -c FILE` with its stdin held open; stderr (the log) is
//! collected for assertions. [`Watch`] subscribes to nf_tables events, independently of the
//! daemon's own socket, so a test can time the moment an element lands in the kernel.

use logjail::netlink::header::{nft_type, Messages};
use logjail::netlink::msg_type;
use logjail::netlink::reply::element_keys;
use logjail::netlink::socket::Socket;
use logjail::netlink::NFNLGRP_NFTABLES;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{scratch, BIN};

pub struct Logjail {
    child: Child,
    stdin: Option<ChildStdin>,
    log: Arc<Mutex<Vec<String>>>,
    pub dir: PathBuf,
}

/// The configuration: `main` lines go into `config logjail 'main'`, `jail` lines into the
/// `dropbear` jail (maxretry 5 unless overridden later in `jail`).
pub fn config(dir: &std::path::Path, main: &str, jail: &str) -> PathBuf {
    let text = format!(
        "config logjail 'main'\n\toption source '-'\n\toption state_file '{d}/state'\n\
         \toption control_socket '{d}/sock'\n{main}\n\
         config jail 'dropbear'\n\toption filter 'dropbear'\n\toption maxretry '5'\n\
         \toption findtime '10m'\n{jail}\n",
        d = dir.display()
    );
    let path = dir.join("logjail.conf");
    std::fs::write(&path, text).expect("write config");
    path
}

impl Logjail {
    /// Starts the daemon and waits for its `started` log line.
    pub fn start(tag: &str, main: &str, jail: &str) -> Logjail {
        let dir = scratch(tag);
        let conf = config(&dir, main, jail);
        let mut child = Command::new(BIN)
            .args(["run", "--foreground", "--source", "-", "-c"])
            .arg(&conf)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start logjail");
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&log);
        let err = child.stderr.take().expect("stderr");
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                eprintln!("logjail: {line}");
                sink.lock().expect("log").push(line);
            }
        });
        let stdin = child.stdin.take();
        let mut me = Logjail {
            child,
            stdin,
            log,
            dir,
        };
        let started = super::wait_for(Duration::from_secs(5), || {
            me.has_logged("started") || me.child.try_wait().ok().flatten().is_some()
        });
        if me.child.try_wait().ok().flatten().is_some() {
            let _ = reader.join(); // the whole log of a daemon that exited
        }
        assert!(
            started.is_some() && me.has_logged("started"),
            "logjail did not start:\n{}",
            me.log()
        );
        me
    }

    pub fn feed(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(line.as_bytes()).expect("feed logjail");
        stdin.write_all(b"\n").expect("feed logjail");
        stdin.flush().expect("flush");
    }

    /// Hands over the daemon's stdin (to connect another process's output to it).
    pub fn take_stdin(&mut self) -> ChildStdin {
        self.stdin.take().expect("stdin")
    }

    pub fn log(&self) -> String {
        self.log.lock().expect("log").join("\n")
    }

    pub fn has_logged(&self, needle: &str) -> bool {
        self.log.lock().expect("log").iter().any(|l| l.contains(needle))
    }

    /// Closes stdin (the daemon ends with its input) and waits for it to exit.
    pub fn stop(mut self) {
        drop(self.stdin.take());
        let exited = super::wait_for(Duration::from_secs(10), || {
            self.child.try_wait().ok().flatten().is_some()
        });
        if exited.is_none() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Logjail {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The five dropbear lines that make a host cross maxretry, as dropbear writes them.
pub fn failures(addr_port: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| format!("Bad password attempt for 'root' from {addr_port}"))
        .collect()
}

/// nf_tables events, watched for elements added to any set.
pub struct Watch {
    sock: Socket,
    buf: Vec<u8>,
}

impl Watch {
    pub fn new() -> Watch {
        Watch {
            sock: Socket::events(NFNLGRP_NFTABLES).expect("event socket"),
            buf: vec![0; 1 << 16],
        }
    }

    /// Waits until an element with key `key` is added; returns when, or `None` at `limit`.
    pub fn added(&mut self, key: &[u8], limit: Duration) -> Option<Instant> {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        let end = Instant::now() + limit;
        loop {
            let left = end.checked_duration_since(Instant::now())?;
            let mut fds = [PollFd::new(self.sock.fd(), PollFlags::POLLIN)];
            let ms = PollTimeout::try_from(left.as_millis().min(60_000) as i32).unwrap_or(PollTimeout::MAX);
            if poll(&mut fds, ms).unwrap_or(0) == 0 {
                continue;
            }
            let at = Instant::now();
            while let Ok(n) = self.sock.recv(&mut self.buf) {
                for m in Messages::new(&self.buf[..n]).map_while(Result::ok) {
                    if m.kind() == nft_type(msg_type::NEWSETELEM) && element_keys(&m).contains(&key) {
                        return Some(at);
                    }
                }
            }
        }
    }
}
