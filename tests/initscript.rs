//! The procd init script (`openwrt/logjail/files/logjail.init`), run without a router.
//!
//! A scratch root stands in for the router's: `etc/rc.common` and `lib/functions/procd.sh`
//! are stand-ins that record every procd call instead of talking to ubus, `bin/logger`
//! records what would reach the system log, and `usr/sbin/logjail` is the real binary, so
//! `logjail check` really decides whether a configuration is good. The script finds that
//! root through `IPKG_INSTROOT`, as it does in OpenWrt image builds.

mod support;

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The parts of the real /etc/rc.common a procd script relies on: defaults, the script,
/// then procd.sh and the verbs, wrapping start_service in a service registration.
const RC_COMMON: &str = r#"#!/bin/sh
initscript=$1
action=${2:-help}
shift 2
start_service() { return 0; }
stop_service() { return 0; }
service_triggers() { return 0; }
. "$initscript"
[ -n "$USE_PROCD" ] || { echo "rc.common stand-in: not a procd script" >&2; exit 64; }
. "$IPKG_INSTROOT/lib/functions/procd.sh"
rc_procd() {
	procd_open_service "$(basename "$initscript")" "$initscript"
	"$@"
	procd_close_service
}
start() { rc_procd start_service "$@"; }
stop() { stop_service "$@"; procd_kill "$(basename "$initscript")"; }
reload() {
	if type reload_service >/dev/null 2>&1; then
		procd_lock
		reload_service "$@"
	else
		start
	fi
}
"$action" "$@"
"#;

/// Records each procd call as one line: the function and its arguments, tab-separated.
/// Like the real procd_close_service, closing the service collects service_triggers.
const PROCD_SH: &str = r#"
_rec() { (IFS="$(printf '\t')"; printf '%s\n' "$*") >>"$PROCD_LOG"; }
procd_lock() { :; }
procd_open_service() { _rec procd_open_service "$@"; }
procd_close_service() { _rec procd_close_service "$@"; service_triggers; }
procd_open_instance() { _rec procd_open_instance "$@"; }
procd_close_instance() { _rec procd_close_instance "$@"; }
procd_set_param() { _rec procd_set_param "$@"; }
procd_append_param() { _rec procd_append_param "$@"; }
procd_add_reload_trigger() { _rec procd_add_reload_trigger "$@"; }
procd_add_validation() { _rec procd_add_validation "$@"; }
procd_send_signal() { _rec procd_send_signal "$@"; }
procd_kill() { _rec procd_kill "$@"; }
procd_running() { _rec procd_running "$@"; [ "$FAKE_RUNNING" = 1 ]; }
"#;

const LOGGER: &str = r#"#!/bin/sh
(IFS="$(printf '\t')"; printf '%s\n' "$*") >>"$LOGGER_LOG"
"#;

/// Debian's sh (dash) and busybox ash, the shell OpenWrt runs init scripts with.
const SHELLS: [&[&str]; 2] = [&["sh"], &["busybox", "sh"]];

fn init_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openwrt/logjail/files/logjail.init")
}

fn shipped_config() -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openwrt/logjail/files/logjail.config");
    fs::read_to_string(p).unwrap()
}

struct Router {
    root: PathBuf,
}

struct Run {
    out: Output,
    procd: Vec<Vec<String>>,
    logged: Vec<Vec<String>>,
}

impl Router {
    fn new(name: &str, config: &str) -> Router {
        let root = support::scratch(&format!("initscript-{name}"));
        for d in ["etc/config", "etc/init.d", "lib/functions", "usr/sbin", "bin"] {
            fs::create_dir_all(root.join(d)).unwrap();
        }
        fs::write(root.join("etc/rc.common"), RC_COMMON).unwrap();
        fs::write(root.join("lib/functions/procd.sh"), PROCD_SH).unwrap();
        fs::write(root.join("bin/logger"), LOGGER).unwrap();
        fs::set_permissions(root.join("bin/logger"), fs::Permissions::from_mode(0o755)).unwrap();
        symlink(env!("CARGO_BIN_EXE_logjail"), root.join("usr/sbin/logjail")).unwrap();
        fs::write(root.join("etc/config/logjail"), config).unwrap();
        fs::copy(init_script(), root.join("etc/init.d/logjail")).unwrap();
        Router { root }
    }

    fn path(&self, rel: &str) -> String {
        self.root.join(rel).to_str().unwrap().to_string()
    }

    /// `/etc/init.d/logjail ACTION`, as procd and the shell run it, under each shell.
    fn run(&self, action: &str, running: bool) -> Run {
        let mut runs = SHELLS.iter().map(|sh| self.run_in(sh, action, running));
        let first = runs.next().unwrap();
        for other in runs {
            assert_eq!(other.procd, first.procd, "procd calls differ between shells");
            assert_eq!(other.logged, first.logged, "log lines differ between shells");
            assert_eq!(other.out.status.code(), first.out.status.code(), "exit differs");
        }
        first
    }

    fn run_in(&self, shell: &[&str], action: &str, running: bool) -> Run {
        let procd_log = self.root.join("procd.log");
        let logger_log = self.root.join("logger.log");
        let _ = fs::remove_file(&procd_log);
        let _ = fs::remove_file(&logger_log);
        let path = format!(
            "{}:{}",
            self.path("bin"),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new(shell[0])
            .args(&shell[1..])
            .arg(self.root.join("etc/rc.common"))
            .arg(self.root.join("etc/init.d/logjail"))
            .arg(action)
            .env("IPKG_INSTROOT", &self.root)
            .env("PATH", path)
            .env("PROCD_LOG", &procd_log)
            .env("LOGGER_LOG", &logger_log)
            .env("FAKE_RUNNING", if running { "1" } else { "0" })
            .output()
            .unwrap_or_else(|e| panic!("{shell:?}: {e} (busybox: apt-get install busybox)"));
        let lines = |p: &Path| -> Vec<Vec<String>> {
            fs::read_to_string(p)
                .unwrap_or_default()
                .lines()
                .map(|l| l.split('\t').map(str::to_string).collect())
                .collect()
        };
        Run {
            procd: lines(&procd_log),
            logged: lines(&logger_log),
            out,
        }
    }
}

impl Run {
    fn calls(&self, name: &str) -> Vec<Vec<&str>> {
        self.procd
            .iter()
            .filter(|c| c[0] == name)
            .map(|c| c[1..].iter().map(String::as_str).collect())
            .collect()
    }

    fn errors_logged(&self) -> Vec<String> {
        self.logged
            .iter()
            .filter(|l| l.contains(&"daemon.err".to_string()))
            .map(|l| l.last().unwrap().clone())
            .collect()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
}

/// The shipped configuration with the value of `maxretry` in the first jail broken;
/// returns the text and the 1-based line of the broken option.
fn broken_config() -> (String, usize) {
    let good = shipped_config();
    let line = good
        .lines()
        .position(|l| l.trim_start().starts_with("option maxretry"))
        .unwrap();
    let text: Vec<String> = good
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == line {
                "\toption maxretry 'lots'".to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    (text.join("\n") + "\n", line + 1)
}

#[test]
fn start_registers_one_respawning_instance_with_logs_to_logd() {
    let r = Router::new("start", &shipped_config());
    let run = r.run("start", false);
    assert!(run.out.status.success(), "{}", run.stderr());
    assert!(run.errors_logged().is_empty(), "errors logged: {:?}", run.logged);

    let init = r.path("etc/init.d/logjail");
    let bin = r.path("usr/sbin/logjail");
    let conf = r.path("etc/config/logjail");
    let want: Vec<Vec<&str>> = vec![
        vec!["procd_open_service", "logjail", &init],
        vec!["procd_open_instance"],
        vec!["procd_set_param", "command", &bin, "run", "-c", &conf],
        vec!["procd_set_param", "respawn", "3600", "5", "5"],
        vec!["procd_set_param", "stdout", "1"],
        vec!["procd_set_param", "stderr", "1"],
        vec!["procd_close_instance"],
        vec!["procd_close_service"],
        vec!["procd_add_reload_trigger", "logjail"],
    ];
    assert_eq!(run.procd, want);
    assert!(r.root.join("var/run/logjail").is_dir(), "run directory not made");
}

#[test]
fn broken_config_is_logged_and_nothing_is_started() {
    let (text, line) = broken_config();
    let r = Router::new("broken-start", &text);
    let run = r.run("start", false);

    assert!(
        run.calls("procd_open_instance").is_empty(),
        "started anyway: {:?}",
        run.procd
    );
    assert!(run.calls("procd_set_param").is_empty(), "{:?}", run.procd);
    // The service and its reload trigger are still registered: fixing the file and
    // committing it starts the daemon.
    assert_eq!(run.calls("procd_add_reload_trigger"), [["logjail"]]);

    let errors = run.errors_logged();
    let at = format!("{}:{line}:", r.path("etc/config/logjail"));
    assert!(
        errors.iter().any(|e| e.contains(&at)),
        "no error naming {at} in the log: {:?}",
        run.logged
    );
    for entry in &run.logged {
        assert_eq!(entry[..2], ["-t", "logjail"], "logger call {entry:?}");
    }
    assert!(run.stderr().contains(&at), "stderr: {}", run.stderr());
}

/// Without a daemon answering `logjail reload` on the control socket (none runs here), reload
/// sends SIGHUP through procd and calls start, which procd ignores for an unchanged running
/// instance and which starts a stopped one. It never asks `procd_running`: with upstream
/// jsonfilter (no stdin) that always says "not running" (tests/openwrt.rs checks the
/// real thing, both ways).
#[test]
fn reload_without_an_answer_on_the_socket_signals_and_starts() {
    for running in [true, false] {
        let r = Router::new("reload", &shipped_config());
        let run = r.run("reload", running);
        assert!(run.out.status.success(), "{}", run.stderr());
        assert!(run.calls("procd_running").is_empty(), "{:?}", run.procd);
        assert_eq!(run.calls("procd_send_signal"), [["logjail", "*", "HUP"]]);
        assert_eq!(run.calls("procd_open_instance").len(), 1, "{:?}", run.procd);
        assert!(run.calls("procd_kill").is_empty(), "{:?}", run.procd);
    }
}

#[test]
fn reload_with_a_broken_config_leaves_the_daemon_alone() {
    let (text, line) = broken_config();
    let r = Router::new("broken-reload", &text);
    let run = r.run("reload", true);
    assert!(!run.out.status.success(), "reload reported success");
    assert!(run.calls("procd_send_signal").is_empty(), "{:?}", run.procd);
    assert!(run.calls("procd_kill").is_empty(), "{:?}", run.procd);
    assert!(run.calls("procd_open_instance").is_empty(), "{:?}", run.procd);
    let at = format!(":{line}:");
    assert!(
        run.errors_logged().iter().any(|e| e.contains(&at)),
        "{:?}",
        run.logged
    );
}

#[test]
fn procd_script_that_starts_after_the_firewall() {
    let text = fs::read_to_string(init_script()).unwrap();
    assert!(text.starts_with("#!/bin/sh /etc/rc.common\n"));
    assert!(text.lines().any(|l| l == "USE_PROCD=1"));
    let start: u32 = text
        .lines()
        .find_map(|l| l.strip_prefix("START="))
        .expect("START=")
        .parse()
        .unwrap();
    // /etc/init.d/firewall is START=19; fw4's table must exist before the daemon runs.
    assert!(start > 19, "START={start} is not after the firewall");
    let mode = fs::metadata(init_script()).unwrap().permissions().mode();
    assert_eq!(mode & 0o111, 0o111, "init script not executable");
}

#[test]
fn shellcheck_is_clean() {
    let files = [
        "openwrt/logjail/files/logjail.init",
        "openwrt/logjail/scripts/postinst",
        "openwrt/logjail/scripts/prerm",
        "openwrt/logjail/scripts/postrm",
        "openwrt/build-ipk.sh",
        "openwrt/apk-pack.sh",
        "cross/env.sh",
        "cross/install-deps.sh",
        "cross/build-all.sh",
        "cross/sizes.sh",
        "cross/ci.sh",
        "cross/size-report.sh",
        "cross/sdk-size.sh",
    ];
    let root = env!("CARGO_MANIFEST_DIR");
    // OpenWrt's shell is busybox ash; dash is the closest dialect shellcheck knows.
    let out = Command::new("shellcheck")
        .current_dir(root)
        .args(["-x", "-s", "dash"])
        .args(files)
        .output()
        .expect("shellcheck is not installed: apt-get install shellcheck");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

/// What the service logs carries the tag `logjail` (procd's stdout/stderr: `logjail[PID]`),
/// and no built-in filter matches it, even when the message quotes a failed login: the
/// daemon never counts its own messages. The same messages under their real programs do
/// match, so the lines are real failures.
#[test]
fn messages_tagged_logjail_match_no_filter() {
    let dir = support::scratch("initscript-tag");
    let failures = [
        (
            "dropbear",
            "dropbear",
            "Bad password attempt for 'root' from 203.0.113.9:40000",
        ),
        (
            "sshd",
            "sshd",
            "Failed password for root from 203.0.113.9 port 40000 ssh2",
        ),
        (
            "luci",
            "uhttpd",
            "luci: failed login on / for root from 203.0.113.9",
        ),
    ];
    let line = |tag: &str, msg: &str| format!("Thu Nov 20 03:14:01 2025 daemon.err {tag}: {msg}\n");
    let bin = env!("CARGO_BIN_EXE_logjail");
    let count = |filter: &str, text: &str| -> String {
        let file = dir.join(format!("{filter}.log"));
        fs::write(&file, text).unwrap();
        let o = Command::new(bin)
            .args(["test", "--json", filter])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "logjail test {filter}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    };
    for (filter, program, msg) in failures {
        let own = count(filter, &line(&format!("{program}[2201]"), msg));
        assert!(
            own.contains("\"matched\":1"),
            "{filter} does not match its own line: {own}"
        );
        let mut ours = String::new();
        for (_, _, m) in failures {
            ours += &line("logjail", m);
            ours += &line("logjail[4242]", m);
        }
        let report = count(filter, &ours);
        assert!(
            report.contains("\"matched\":0"),
            "{filter} matched logjail's own lines: {report}"
        );
    }
}
