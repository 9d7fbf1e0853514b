//! logjail's package on the real OpenWrt userland: opkg, apk-tools 3, procd, ubus, logd/logread,
//! uci and firewall4 built from their upstream sources by the harness in `shared/openwrt` beside
//! the checkout (see `tests/openwrt/prepare.sh`), each scenario in a fresh copy of that root,
//! chrooted in new mount, network and PID namespaces, with an attacker namespace behind the
//! WAN (`tests/openwrt/run.sh`).
//!
//! Each test runs one scenario script of `tests/openwrt/` and prints every check it made
//! (`cargo test --test openwrt -- --nocapture` shows them). They need root, namespaces,
//! nf_tables and the harness: without them they fail and say why, they never pass silently.
//! Scenarios run one at a time (timings matter on a loaded 2-core machine).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
static PREPARED: OnceLock<Result<(), String>> = OnceLock::new();

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The target directory of this build (the test binary's `…/target/debug/logjail` is two
/// levels below it).
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_logjail"))
        .ancestors()
        .nth(2)
        .expect("target dir")
        .to_path_buf()
}

/// `cargo build --release` of the daemon, then the userland and the packages
/// (`tests/openwrt/prepare.sh`), once per test binary.
fn prepare() -> Result<(), String> {
    let id = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| format!("id -u: {e}"))?;
    if String::from_utf8_lossy(&id.stdout).trim() != "0" {
        return Err(
            "the OpenWrt userland tests need root (namespaces, chroot, nf_tables); \
                    CI runs them as root"
                .into(),
        );
    }
    let t0 = Instant::now();
    let cargo = std::env::var("CARGO")
        .ok()
        .or_else(|| option_env!("CARGO").map(str::to_string))
        .unwrap_or_else(|| "cargo".into());
    let st = Command::new(&cargo)
        .current_dir(repo())
        .args(["build", "--release", "--bin", "logjail", "--target-dir"])
        .arg(target_dir())
        .status()
        .map_err(|e| format!("{cargo} build --release: {e}"))?;
    if !st.success() {
        return Err(format!("{cargo} build --release failed: {st}"));
    }
    println!("cargo build --release: {:.1} s", t0.elapsed().as_secs_f64());
    let t0 = Instant::now();
    let out = Command::new("bash")
        .arg(repo().join("tests/openwrt/prepare.sh"))
        .arg(target_dir().join("release/logjail"))
        .env("OWRT_TARGET", target_dir())
        .output()
        .map_err(|e| format!("bash tests/openwrt/prepare.sh: {e}"))?;
    print!("{}", String::from_utf8_lossy(&out.stdout));
    if !out.status.success() {
        return Err(format!(
            "tests/openwrt/prepare.sh failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    println!("prepare.sh: {:.1} s", t0.elapsed().as_secs_f64());
    Ok(())
}

/// Runs `tests/openwrt/SCENARIO.sh` with `vars` (NAME=VALUE) through run.sh; fails unless
/// every check passed.
fn scenario(name: &str, vars: &[&str]) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if let Err(e) = PREPARED.get_or_init(prepare) {
        panic!("cannot run the OpenWrt scenario {name}: {e}");
    }
    let t0 = Instant::now();
    let out = Command::new("bash")
        .arg(repo().join("tests/openwrt/run.sh"))
        .arg(name)
        .args(vars)
        .env("OWRT_TARGET", target_dir())
        .output()
        .unwrap_or_else(|e| panic!("bash tests/openwrt/run.sh {name}: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    print!("{text}{}", String::from_utf8_lossy(&out.stderr));
    println!("scenario {name} {vars:?}: {:.1} s", t0.elapsed().as_secs_f64());
    let failed: Vec<&str> = text.lines().filter(|l| l.starts_with("FAIL: ")).collect();
    assert!(
        failed.is_empty(),
        "scenario {name}: {} check(s) failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
    assert!(
        out.status.success(),
        "scenario {name} ended with {} (see its output above)",
        out.status
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("== ") && l.ends_with(" passed, 0 failed")),
        "scenario {name} did not reach its summary"
    );
}

#[test]
fn opkg_install_upgrade_remove() {
    scenario("opkg", &[]);
}

/// Issue 17, OpenWrt 25.12: the .apk that `build-ipk.sh` makes with `APK=` is installed by
/// the real apk-tools 3 (`apk add FILE`: service started under procd, fw4's sets and rules in
/// place, a ban through logd), upgraded by `apk add` of release 2's file (the user's edited
/// conffile kept, the new one beside it as `.apk-new`, bans and state kept, a new process) and
/// removed by `apk del` (no process, service, set or rule left).
#[test]
fn apk_add_upgrade_del() {
    scenario("apk", &[]);
}

/// The same, upgraded from a repository (`apk mkndx` index) with `apk update` and
/// `apk upgrade --available` (apk pinned the first release to its file).
#[test]
fn apk_upgrade_from_a_repository() {
    scenario("apk", &["UPGRADE=repo"]);
}

#[test]
fn procd_service_lifecycle() {
    scenario("procd", &[]);
}

/// Upstream jsonfilter HEAD (no stdin): procd.sh's `procd_running` is always false; reload
/// must still reach the running daemon and start a stopped one.
#[test]
fn procd_service_lifecycle_with_jsonfilter_head() {
    scenario("procd", &["JSONFILTER=head"]);
}

#[test]
fn logd_logread_and_a_real_dropbear() {
    scenario("logd", &[]);
}

#[test]
fn fw4_reload_restart_traffic_ipv6_and_a_renamed_wan_zone() {
    scenario("fw4", &[]);
}

#[test]
fn uci_edits_applied_by_reload_and_rpcd_commit() {
    scenario("uci", &[]);
}

/// The scenario scripts are busybox ash (dash is the closest dialect shellcheck knows), the
/// host-side ones bash. Needs neither root nor the harness.
#[test]
fn scripts_are_shellcheck_clean() {
    let dir = repo().join("tests/openwrt");
    let ash = [
        "lib.sh",
        "opkg.sh",
        "apk.sh",
        "procd.sh",
        "logd.sh",
        "fw4.sh",
        "uci.sh",
        "history.sh",
        "luci.sh",
    ];
    let out = Command::new("shellcheck")
        .current_dir(&dir)
        .args(["-S", "warning", "-s", "dash"])
        .args(ash)
        .output()
        .expect("shellcheck (apt-get install shellcheck)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let out = Command::new("shellcheck")
        .current_dir(&dir)
        .args(["-S", "warning", "prepare.sh", "run.sh"])
        .args(["-s", "bash", "luci.host.sh"])
        .output()
        .expect("shellcheck");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

/// Issue 12: failures logged while logjail was not reading (before START=60, during procd's
/// respawn pause, across a restart) count, once: the daemon runs `logread -l 1000 -f` and
/// judges the replayed lines against the mark in its state file (`engine::history`).
#[test]
fn failures_logged_while_not_reading_are_counted() {
    scenario("history", &[]);
}

/// Issue 13: luci-app-logjail on real LuCI in Debian's headless chromium
/// (`tests/openwrt/luci-browser.py`, started host-side by `luci.host.sh`): a WAN attacker's
/// failed LuCI logins are banned and the Status page shows it within one poll; Unban empties
/// the kernel set element and the row; maxretry saved on the Jails page reaches
/// /etc/config/logjail and the running daemon; the filter tester names the host of a dropbear
/// line and none for an injection; a read-only user gets no Unban and rpcd refuses it.
/// Screenshots: `target/owrt-tests/luci/report/*.png`.
#[test]
fn luci_app_in_a_real_browser() {
    scenario("luci", &[]);
}

/// Issue 17, OpenWrt 25.12: the same app installed with apk-tools 3 (`apk add` of logjail's
/// and luci-app-logjail's .apk; the root's apk database marks luci-base installed, as the
/// harness does for firewall4): rpcd publishes `luci.logjail`, the Status page in the real
/// browser shows a WAN attacker's ban within one poll and LuCI's menu holds the page; then
/// `apk del luci-app-logjail` removes every file of its `.list` (the menu.d entry included),
/// leaves logjail running, and the browser finds no menu entry and LuCI's 404 page at the
/// page's URL. Screenshots: `target/owrt-tests/luci-apk/report/*.png`.
#[test]
fn luci_app_installed_and_removed_with_apk() {
    scenario("luci", &["PKG=apk"]);
}
