//! `logjail check` as a user runs it: the real binary on real files.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh directory for one test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        TempDir(support::scratch(&format!("check-{name}")))
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write config");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn check(config: &Path) -> (i32, String, String) {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_logjail"))
        .args(["check", "-c"])
        .arg(config)
        .output()
        .expect("run logjail");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn good_config_prints_the_jails_and_exits_0() {
    let dir = TempDir::new("good");
    let path = dir.file(
        "logjail",
        "config logjail 'main'\n\
         \tlist ignoreip '192.168.1.0/24'\n\
         config jail 'dropbear'\n\
         \toption maxretry '3'\n\
         \toption bantime '1d'\n\
         config jail 'sshd'\n\
         \toption enabled '0'\n",
    );
    let (code, out, err) = check(&path);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert_eq!(err, "");
    for want in [
        "configuration OK",
        "main\n",
        "  ignoreip               192.168.1.0/24 (all jails)\n",
        "jail dropbear (enabled)\n",
        "  maxretry               3\n",
        "  bantime                86400s (1d)\n",
        "  findtime               600s (10m)\n",
        "jail sshd (disabled)\n",
        "127.0.0.0/8 ::1",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
}

#[test]
fn shipped_example_config_checks_clean() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/logjail.config");
    let (code, out, err) = check(&path);
    assert_eq!((code, err.as_str()), (0, ""), "stdout:\n{out}");
    for want in [
        "jail dropbear (enabled)",
        "jail luci (enabled)",
        "jail sshd (disabled)",
        "  bantime_max            604800s (1w)\n",
        "  bantime_factor         2\n",
        "# 3 jails: 2 enabled, 1 disabled",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
}

#[test]
fn broken_config_names_file_and_line_and_exits_1() {
    let dir = TempDir::new("broken");
    let cases = [
        (
            "range",
            "config jail 'dropbear'\n\n\toption maxretry '0'\n",
            3,
            "maxretry '0'",
        ),
        (
            "quote",
            "config jail 'dropbear'\n\toption bantime '1h\n\n",
            2,
            "unterminated ' quote",
        ),
        (
            "orphan",
            "# no section yet\noption maxretry 5\n",
            2,
            "before the first config section",
        ),
        (
            "dup",
            "config jail a\nconfig jail b\nconfig jail a\n",
            3,
            "already defined on line 1",
        ),
    ];
    for (name, text, line, what) in cases {
        let path = dir.file(name, text);
        let (code, out, err) = check(&path);
        assert_eq!(code, 1, "{name}: stderr {err}");
        assert_eq!(out, "", "{name}: nothing on stdout for a broken config");
        let prefix = format!("{}:{line}: ", path.display());
        assert!(err.starts_with(&prefix) && err.contains(what), "{name}: {err}");
    }
}

#[test]
fn invalid_utf8_is_reported_with_its_line() {
    let dir = TempDir::new("utf8");
    let path = dir.0.join("logjail");
    std::fs::write(&path, b"config jail 'a'\n\toption filter 'x\xff'\n").expect("write");
    let (code, _, err) = check(&path);
    assert_eq!(code, 1);
    assert_eq!(err.trim_end(), format!("{}:2: invalid UTF-8", path.display()));
}

#[test]
fn unknown_option_warns_and_exits_0() {
    let dir = TempDir::new("unknown");
    let path = dir.file("logjail", "config jail 'dropbear'\n\toption maxretyr '3'\n");
    let (code, out, err) = check(&path);
    assert_eq!(code, 0, "{err}");
    let want = format!(
        "{}:2: unknown option 'maxretyr' in jail 'dropbear'",
        path.display()
    );
    assert!(err.contains(&want), "{err}");
    assert!(out.contains("  maxretry               5\n"), "{out}");
}

#[test]
fn missing_file_exits_1_naming_it() {
    let dir = TempDir::new("missing");
    let path = dir.0.join("no-such-config");
    let (code, out, err) = check(&path);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert!(
        err.starts_with(&format!("{}: ", path.display())) && err.contains("no such file"),
        "{err}"
    );
}

/// In a fresh network namespace with two addresses on `lo`, `ignoreself` lists exactly the
/// loopback ranges and those two addresses (read from the kernel, not from the config).
#[test]
fn ignoreself_lists_the_interface_addresses() {
    let dir = TempDir::new("selfaddr");
    let path = dir.file("logjail", "config jail 'dropbear'\n");
    let script = format!(
        "ip link set lo up && ip addr add 203.0.113.77/32 dev lo && \
         ip addr add 2001:db8::77/128 dev lo && exec '{}' check -c '{}'",
        env!("CARGO_BIN_EXE_logjail"),
        path.display()
    );
    let out = Command::new("unshare")
        .args(["-Urn", "sh", "-c", &script])
        .output()
        .expect("the tests need util-linux unshare and iproute2 ip");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let own = stdout.lines().last().unwrap_or_default();
    let mut got: Vec<&str> = own.trim_start_matches('#').split_whitespace().collect();
    got.sort_unstable();
    assert_eq!(
        got,
        ["127.0.0.0/8", "2001:db8::77", "203.0.113.77", "::1"],
        "{stdout}"
    );
}

#[test]
fn a_jail_whose_filter_does_not_exist_fails_the_check() {
    let dir = TempDir::new("nofilter");
    let path = dir.file("logjail", "config jail 'web'\n\toption filter 'nosuch'\n");
    let (code, out, err) = check(&path);
    assert_eq!(code, 1, "stdout:\n{out}\nstderr:\n{err}");
    assert!(err.contains("jail 'web'") && err.contains("nosuch"), "{err}");
    // A filter given as a file path is read from disk, and its errors name file and line.
    let filter = dir.file("web.filter", "program nginx\nfailregex ^no host here$\n");
    let path = dir.file(
        "logjail2",
        &format!("config jail 'web'\n\toption filter '{}'\n", filter.display()),
    );
    let (code, _, err) = check(&path);
    assert_eq!(code, 1);
    assert!(err.contains("web.filter:2"), "{err}");
}
