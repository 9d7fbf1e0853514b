//! A fresh user + network namespace per test, with the real `nft`, `ip` and `unshare`.
//!
//! A test calls [`enter`] first: outside a namespace it re-executes its own test binary,
//! filtered to itself, under `unshare -Urn` and reports that run's result; inside it returns
//! `true` and the test body runs. When `unshare`, `ip` or `nft` are missing, user namespaces
//! are disabled or the kernel has no nf_tables, the test fails and says which: it never passes
//! without having run.

use std::process::{Command, Stdio};

/// Set in the environment of the run inside the namespace.
pub const IN_NS: &str = "LOGJAIL_NETNS";

/// `PATH` with the sbin directories `nft`, `ip` and `dropbear` live in (absent from a normal
/// user's `PATH` on Debian).
pub fn path() -> String {
    let p = std::env::var("PATH").unwrap_or_default();
    format!("{p}:/usr/sbin:/sbin")
}

fn works(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .env("PATH", path())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// True inside the namespace; outside, runs `name` in one and returns false (the outer test
/// passes only if the inner run passed).
///
/// A missing tool (`nft`, `unshare -Urn`, `ip`) or a kernel without nf_tables is a failure
/// with a message naming it, never a silent pass: `.ci/run` installs the tools, and a test
/// that passes without running cannot fail.
pub fn enter(name: &str) -> bool {
    if std::env::var_os(IN_NS).is_some() {
        return true;
    }
    if !works("nft", &["--version"]) {
        panic!("{name}: nft is missing (install the nftables package; .ci/run does)");
    }
    if !works("ip", &["-V"]) {
        panic!("{name}: ip is missing (install the iproute2 package; .ci/run does)");
    }
    if !works("unshare", &["-Urn", "true"]) {
        panic!(
            "{name}: `unshare -Urn true` failed: this kernel or sandbox does not allow user + \
             network namespaces (util-linux unshare, kernel.unprivileged_userns_clone, \
             user.max_user_namespaces)"
        );
    }
    if !works("unshare", &["-Urn", "nft", "list", "tables"]) {
        panic!("{name}: `nft list tables` fails in a new namespace: the kernel lacks nf_tables");
    }
    let exe = std::env::current_exe().expect("test binary path");
    let out = Command::new("unshare")
        .arg("-Urn")
        .arg(&exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(IN_NS, "1")
        .env("PATH", path())
        .output()
        .expect("run unshare");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Show figures and diagnostics of the inner run.
    for line in text
        .lines()
        .filter(|l| !l.starts_with("running ") && !l.is_empty())
    {
        eprintln!("  | {line}");
    }
    assert!(out.status.success(), "{name} failed inside its namespace");
    assert!(
        text.contains("1 passed"),
        "{name} did not run inside its namespace"
    );
    false
}
