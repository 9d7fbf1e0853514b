//! A real CrowdSec Local API (Debian's `crowdsec` package, LAPI only) in the test's network
//! namespace, and `cscli` against it.
//!
//! [`Lapi::start`] writes a copy of `/etc/crowdsec/config.yaml` into a scratch directory —
//! database, credentials and data there, `online_client` removed (no Central API, no
//! network), prometheus off, listening on `127.0.0.1:8080` — adds a watcher machine for
//! `cscli`, and runs `crowdsec -c COPY -no-cs`. A missing package is a failure that says so.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{scratch, wait_for};

/// Where LAPI listens inside the namespace.
pub const URL: &str = "http://127.0.0.1:8080";
/// The machine `cscli` logs in as.
pub const CSCLI_MACHINE: &str = "cscli-test";

pub struct Lapi {
    child: Option<Child>,
    pub dir: PathBuf,
    pub config: PathBuf,
}

fn config_text(dir: &std::path::Path) -> String {
    let base = std::fs::read_to_string("/etc/crowdsec/config.yaml")
        .expect("/etc/crowdsec/config.yaml: install Debian's crowdsec package (.ci/run does)");
    let d = dir.display();
    let mut out = String::new();
    let mut skip_indent = None;
    for line in base.lines() {
        let indent = line.len() - line.trim_start().len();
        if let Some(i) = skip_indent {
            if indent > i || line.trim().is_empty() {
                continue;
            }
            skip_indent = None;
        }
        let t = line.trim_start();
        let pad = &line[..indent];
        let l = if t.starts_with("online_client:") {
            skip_indent = Some(indent);
            continue;
        } else if t.starts_with("daemonize:") {
            format!("{pad}daemonize: false")
        } else if t.starts_with("log_media:") {
            format!("{pad}log_media: stdout")
        } else if t.starts_with("data_dir:") {
            format!("{pad}data_dir: {d}/")
        } else if t.starts_with("db_path:") {
            format!("{pad}db_path: {d}/crowdsec.db\n{pad}use_wal: true")
        } else if t.starts_with("credentials_path:") {
            format!("{pad}credentials_path: {d}/local_api_credentials.yaml")
        } else if t.starts_with("listen_uri:") {
            format!("{pad}listen_uri: 127.0.0.1:8080")
        } else if t.starts_with("listen_port:") {
            format!("{pad}listen_port: 6061")
        } else if t.starts_with("enabled:") && out.ends_with("prometheus:\n") {
            format!("{pad}enabled: false")
        } else {
            line.to_string()
        };
        out.push_str(&l);
        out.push('\n');
    }
    assert!(
        !out.contains("online_api_credentials"),
        "online_client left in:\n{out}"
    );
    out
}

impl Lapi {
    /// A fresh LAPI (empty database) in the current namespace on 127.0.0.1:8080, answering.
    pub fn start(tag: &str) -> Lapi {
        Lapi::start_on(tag, "127.0.0.1")
    }

    /// The same, listening on `addr`:8080 (`0.0.0.0` for every interface).
    pub fn start_on(tag: &str, addr: &str) -> Lapi {
        let dir = scratch(&format!("lapi-{tag}"));
        let config = dir.join("config.yaml");
        let text =
            config_text(&dir).replace("listen_uri: 127.0.0.1:8080", &format!("listen_uri: {addr}:8080"));
        std::fs::write(&config, text).expect("write LAPI config");
        let _ = Command::new("ip").args(["link", "set", "lo", "up"]).status();
        let mut me = Lapi {
            child: None,
            dir,
            config,
        };
        let creds = me.dir.join("local_api_credentials.yaml");
        me.cscli(&[
            "machines",
            "add",
            CSCLI_MACHINE,
            "--password",
            "cscli-password",
            "--url",
            URL,
            "-f",
            creds.to_str().expect("path"),
        ]);
        me.run();
        me
    }

    /// Starts the LAPI process and waits until it answers.
    pub fn run(&mut self) {
        assert!(self.child.is_none(), "LAPI already running");
        let log = std::fs::File::create(self.dir.join("lapi.log")).expect("LAPI log");
        let child = Command::new("crowdsec")
            .arg("-c")
            .arg(&self.config)
            .arg("-no-cs")
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("run crowdsec (install Debian's crowdsec package; .ci/run does)");
        self.child = Some(child);
        let up = wait_for(Duration::from_secs(30), || {
            std::net::TcpStream::connect("127.0.0.1:8080").is_ok()
        });
        assert!(up.is_some(), "LAPI did not start:\n{}", self.log());
    }

    /// Stops the LAPI process (the database stays).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("lapi.log")).unwrap_or_default()
    }

    /// `cscli -c COPY ARGS`; panics with its output on failure. Returns stdout.
    pub fn cscli(&self, args: &[&str]) -> String {
        let out = Command::new("cscli")
            .arg("-c")
            .arg(&self.config)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run cscli (install Debian's crowdsec package; .ci/run does)");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "cscli {args:?} failed:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    }

    /// A new bouncer's API key.
    pub fn bouncer(&self, name: &str) -> String {
        self.cscli(&["bouncers", "add", name, "-o", "raw"])
            .trim()
            .to_string()
    }

    /// A new watcher machine for a logjail reporter.
    pub fn machine(&self, name: &str, password: &str) {
        let unused = self.dir.join(format!("{name}.yaml"));
        self.cscli(&[
            "machines",
            "add",
            name,
            "--password",
            password,
            "-f",
            unused.to_str().expect("path"),
        ]);
    }

    /// The `config crowdsec` section for a bouncer with `key` (and `extra` lines).
    pub fn section(key: &str, extra: &str) -> String {
        Lapi::section_for(URL, key, extra)
    }

    /// The same for LAPI at `url`.
    pub fn section_for(url: &str, key: &str, extra: &str) -> String {
        format!(
            "\nconfig crowdsec 'lapi'\n\toption lapi_url '{url}'\n\toption api_key '{key}'\n\toption poll_interval '1s'\n{extra}\n"
        )
    }
}

impl Drop for Lapi {
    fn drop(&mut self) {
        self.stop();
    }
}
