//! A real `logjail run --dry-run` with a scratch configuration, state file and control socket,
//! fed lines on standard input, its decisions and log collected; and the CLI run against it.
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::BIN;

/// Writes `DIR/config` with the state file and socket in `DIR`, `main` extra options and
/// `jails` sections appended verbatim.
pub fn config(dir: &Path, main: &str, jails: &str) -> PathBuf {
    let text = format!(
        "config logjail 'main'\n\toption state_file '{d}/state'\n\toption control_socket '{d}/sock'\n\tlist ignoreip '192.168.1.0/24'\n{main}\n{jails}",
        d = dir.display()
    );
    let p = dir.join("config");
    std::fs::write(&p, text).expect("config");
    p
}

/// One jail `dropbear` with `maxretry` and a 600 s ban time.
pub fn dropbear(maxretry: u32, extra: &str) -> String {
    format!("config jail 'dropbear'\n\toption maxretry '{maxretry}'\n\toption findtime '10m'\n\toption bantime '600'\n{extra}\n")
}

/// A failure line the dropbear filter matches, without a time (counted at arrival).
pub fn failure(addr: &str) -> String {
    format!("Bad password attempt for 'root' from {addr}:40000\n")
}

fn collect<R: Read + Send + 'static>(mut r: R) -> Arc<Mutex<String>> {
    let buf = Arc::new(Mutex::new(String::new()));
    let b = buf.clone();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n) = r.read(&mut chunk) {
            if n == 0 {
                break;
            }
            b.lock().unwrap().push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    });
    buf
}

pub struct Daemon {
    child: Child,
    stdin: Option<ChildStdin>,
    out: Arc<Mutex<String>>,
    err: Arc<Mutex<String>>,
    pub cfg: PathBuf,
}

impl Daemon {
    /// Starts the daemon (dry run) and waits until its control socket answers.
    pub fn start(cfg: &Path) -> Daemon {
        Daemon::start_with(cfg, true)
    }

    /// Starts the daemon with the kernel firewall (inside a network namespace).
    pub fn start_kernel(cfg: &Path) -> Daemon {
        Daemon::start_with(cfg, false)
    }

    fn start_with(cfg: &Path, dry_run: bool) -> Daemon {
        let mut args = vec!["run", "--foreground", "--source", "-", "-c"];
        if dry_run {
            args.insert(1, "--dry-run");
        }
        let mut child = Command::new(BIN)
            .args(&args)
            .arg(cfg)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start logjail");
        let out = collect(child.stdout.take().expect("stdout"));
        let err = collect(child.stderr.take().expect("stderr"));
        let d = Daemon {
            stdin: child.stdin.take(),
            child,
            out,
            err,
            cfg: cfg.to_path_buf(),
        };
        let ok = wait(Duration::from_secs(20), || cli(cfg, &["version"]).0 == 0);
        assert!(ok, "daemon did not answer; log:\n{}", d.err());
        d
    }

    pub fn feed(&mut self, text: &str) {
        let s = self.stdin.as_mut().expect("stdin open");
        s.write_all(text.as_bytes()).expect("feed");
        s.flush().expect("flush");
    }

    pub fn out(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    pub fn err(&self) -> String {
        self.err.lock().unwrap().clone()
    }

    /// Waits until the decisions contain `what`.
    pub fn wait_out(&self, what: &str) -> bool {
        wait(Duration::from_secs(20), || self.out().contains(what))
    }

    /// Waits until the daemon's log (stderr) contains `what`.
    pub fn wait_err(&self, what: &str) -> bool {
        wait(Duration::from_secs(20), || self.err().contains(what))
    }

    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends a signal by name (`HUP`, `INT`, …).
    pub fn signal(&self, sig: &str) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args([&format!("-{sig}"), &pid]).status();
    }

    /// SIGTERM, then waits; returns the exit code.
    pub fn stop(mut self) -> (i32, String, String) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let status = self.child.wait().expect("wait");
        std::thread::sleep(Duration::from_millis(100));
        (status.code().unwrap_or(-1), self.out(), self.err())
    }

    /// SIGKILL: no chance to save.
    pub fn kill9(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.err()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// True once `ok` holds, false if it did not within `limit` ([`super::wait_for`]).
pub fn wait(limit: Duration, ok: impl FnMut() -> bool) -> bool {
    super::wait_for(limit, ok).is_some()
}

/// Runs `logjail ARGS -c CFG`: exit code, stdout, stderr.
pub fn cli(cfg: &Path, args: &[&str]) -> (i32, String, String) {
    let o = Command::new(BIN)
        .args(args)
        .arg("-c")
        .arg(cfg)
        .output()
        .expect("run logjail");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The `remaining` of `addr` in `logjail list --json` output (crude, keys are fixed).
pub fn remaining(list_json: &str, addr: &str) -> Option<String> {
    let at = list_json.find(&format!("\"address\":\"{addr}\""))?;
    let rest = &list_json[at..];
    let r = rest.find("\"remaining\":")? + "\"remaining\":".len();
    let end = rest[r..].find(',')?;
    Some(rest[r..r + end].to_string())
}
