//! luci-app-logjail without a browser (the browser test is `tests/openwrt.rs`
//! `luci_app_in_a_real_browser`): its JavaScript passes eslint with LuCI's globals, its JSON
//! files parse, the menu points at views that exist, the ACL grants exactly the methods
//! `logjail rpcd list` publishes (reads to the read group, changes to the write group), the
//! rpcd wrapper runs `logjail rpcd`, and the rpcd methods answer a real daemon.
//!
//! eslint comes from npm (`.ci/run` installs it); without it the lint test fails, naming it.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::daemon::{config, dropbear, failure, wait, Daemon};
use support::{scratch, BIN};

fn app() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("openwrt/luci-app-logjail")
}

fn json(rel: &str) -> Value {
    let p = app().join(rel);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", p.display()))
}

const VIEWS: &str = "htdocs/luci-static/resources/view/logjail";

#[test]
fn javascript_passes_eslint_with_luci_globals() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("eslint")
        .current_dir(root)
        .args([
            "--no-config-lookup",
            "--config",
            "tests/luci_app/eslint.config.mjs",
            "--max-warnings",
            "0",
        ])
        .arg(app().join(VIEWS))
        .output()
        .expect("eslint not found: .ci/run installs it (npm install -g eslint@9.39.5)");
    assert!(
        out.status.success(),
        "eslint: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // A linter that checks nothing would pass too: it must see an undefined global. The file
    // goes in on stdin (eslint ignores files outside its base path, and the target directory
    // may be anywhere).
    let mut lint = Command::new("eslint")
        .current_dir(root)
        .args([
            "--no-config-lookup",
            "--config",
            "tests/luci_app/eslint.config.mjs",
            "--stdin",
            "--stdin-filename",
            "bad.js",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("eslint");
    std::io::Write::write_all(
        lint.stdin.as_mut().expect("stdin"),
        b"'use strict';\nreturn view.extend({ x: function() { return nope; } });\n",
    )
    .expect("eslint stdin");
    let out = lint.wait_with_output().expect("eslint");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success() && said.contains("'nope' is not defined"),
        "{said}"
    );
}

#[test]
fn menu_points_at_existing_views_under_services() {
    let menu = json("root/usr/share/luci/menu.d/luci-app-logjail.json");
    let nodes = menu.as_object().expect("menu object");
    assert!(nodes.contains_key("admin/services/logjail"));
    assert_eq!(
        menu["admin/services/logjail"]["depends"]["acl"][0],
        "luci-app-logjail"
    );
    let mut views = 0;
    for (path, node) in nodes {
        assert!(path.starts_with("admin/services/logjail"), "{path}");
        if node["action"]["type"] == "view" {
            let v = node["action"]["path"].as_str().expect("view path");
            let file = app()
                .join("htdocs/luci-static/resources/view")
                .join(format!("{v}.js"));
            assert!(file.is_file(), "{path}: {} missing", file.display());
            views += 1;
        }
    }
    assert_eq!(views, 3, "status, jails, test");
}

#[test]
fn acl_grants_reads_to_read_and_changes_to_write() {
    let acl = json("root/usr/share/rpcd/acl.d/luci-app-logjail.json");
    let g = &acl["luci-app-logjail"];
    let methods = |rw: &str| -> Vec<String> {
        let mut v: Vec<String> = g[rw]["ubus"]["luci.logjail"]
            .as_array()
            .unwrap_or_else(|| panic!("{rw}: no luci.logjail methods"))
            .iter()
            .map(|m| m.as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(methods("read"), ["bans", "filters", "jails", "status", "test"]);
    assert_eq!(methods("write"), ["ban", "reload", "unban"]);
    assert_eq!(g["read"]["uci"], serde_json::json!(["logjail"]));
    assert_eq!(g["write"]["uci"], serde_json::json!(["logjail"]));
    assert_eq!(
        g.as_object().unwrap().len(),
        3,
        "description, read, write; nothing else"
    );
    // Every method the plugin publishes is granted to exactly one group.
    let list = Command::new(BIN)
        .args(["rpcd", "list"])
        .output()
        .expect("logjail rpcd list");
    let published: Value = serde_json::from_slice(&list.stdout).expect("rpcd list prints JSON");
    let mut names: Vec<String> = published.as_object().unwrap().keys().cloned().collect();
    names.sort();
    let mut granted = [methods("read"), methods("write")].concat();
    granted.sort();
    assert_eq!(names, granted);
}

#[test]
fn rpcd_wrapper_runs_the_verb() {
    let w = app().join("root/usr/libexec/rpcd/luci.logjail");
    let text = std::fs::read_to_string(&w).expect("wrapper");
    assert_eq!(text, "#!/bin/sh\nexec /usr/sbin/logjail rpcd \"$@\"\n");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&w).unwrap().permissions().mode() & 0o111, 0o111);
}

/// `logjail rpcd call METHOD` with `input` on stdin, against the daemon of `cfg`: its stdout,
/// parsed (every reply is one JSON object).
fn call(cfg: &Path, method: &str, input: &str) -> Value {
    use std::io::Write;
    let mut c = Command::new(BIN)
        .args(["rpcd", "-c"])
        .arg(cfg)
        .args(["call", method])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("logjail rpcd");
    c.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = c.wait_with_output().unwrap();
    assert!(out.status.success(), "{method}: exit {}", out.status);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{method}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[test]
fn rpcd_methods_against_a_real_daemon() {
    let dir = scratch("rpcd-methods");
    let cfg = config(&dir, "", &dropbear(2, ""));
    let before = call(&cfg, "status", "{}");
    assert_eq!(before["running"], false, "{before}");
    assert!(before["error"].as_str().unwrap().contains("sock"), "{before}");
    let mut d = Daemon::start(&cfg);
    d.feed(&failure("203.0.113.9"));
    d.feed(&failure("203.0.113.9"));
    assert!(d.wait_out("ban dropbear 203.0.113.9 600"), "{}", d.err());
    let s = call(&cfg, "status", "{\"ubus_rpc_session\":\"0123\"}");
    assert_eq!(s["running"], true);
    assert_eq!(s["jails"][0]["name"], "dropbear");
    assert_eq!(s["jails"][0]["currently_banned"], 1);
    let b = call(&cfg, "bans", "{}");
    assert_eq!(b["bans"][0]["address"], "203.0.113.9", "{b}");
    assert_eq!(b["bans"][0]["jail"], "dropbear");
    assert_eq!(b["bans"][0]["origin"], "logjail");
    assert_eq!(b["bans"][0]["count"], 1);
    let j = call(&cfg, "jails", "");
    assert_eq!(j["jails"][0]["maxretry"], 2, "{j}");
    assert_eq!(j["jails"][0]["total_banned"], 1, "{j}");
    let banned = call(
        &cfg,
        "ban",
        "{\"jail\":\"dropbear\",\"address\":\"2001:db8:bad::1/64\",\"time\":60}",
    );
    assert_eq!(banned["banned"]["address"], "2001:db8:bad::/64", "{banned}");
    assert!(d.wait_out("ban dropbear 2001:db8:bad::/64"), "{}", d.out());
    let u = call(&cfg, "unban", "{\"jail\":\"dropbear\"}");
    let mut lifted: Vec<&str> = u["unbanned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    lifted.sort();
    assert_eq!(lifted, ["2001:db8:bad::/64", "203.0.113.9"], "{u}");
    assert!(wait(std::time::Duration::from_secs(5), || d
        .out()
        .contains("unban dropbear 203.0.113.9")));
    assert_eq!(call(&cfg, "bans", "{}")["bans"], serde_json::json!([]));
    let bad = call(&cfg, "ban", "{\"jail\":\"dropbear\",\"address\":\"127.0.0.1\"}");
    assert!(bad["error"].is_string(), "{bad}");
    let r = call(&cfg, "reload", "{}");
    assert_eq!(r["reloaded"], true, "{r}");
    let t = call(
        &cfg,
        "test",
        "{\"filter\":\"dropbear\",\"lines\":\"Bad password attempt for 'root' from 203.0.113.5:1\\nBad password attempt for 'root' from 10.0.0.1:22' from\\n\"}",
    );
    assert_eq!(t["lines"][0]["address"], "203.0.113.5", "{t}");
    assert_eq!(t["lines"][1]["result"], "miss", "{t}");
    assert!(t["lines"][1].get("address").is_none(), "{t}");
    let f = call(&cfg, "filters", "{}");
    assert!(f["filters"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["name"] == "luci" && x["builtin"] == true));
    for garbage in ["{", "[1]", "\u{0}", "{\"jail\":{\"a\":1}}", &"x".repeat(70_000)] {
        let e = call(&cfg, "bans", garbage);
        assert!(e["error"].is_string(), "{garbage:.20}: {e}");
    }
    assert!(d.alive(), "the daemon survived every call");
}

/// `openwrt/build-ipk.sh --app openwrt/luci-app-logjail OUT` makes an ipk of architecture
/// `all` holding the views under /www and root/ under /, as luci.mk installs them (unpacked
/// with tar as opkg would); the packing script is shellcheck clean.
#[test]
fn build_ipk_packs_the_app_for_every_architecture() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = scratch("app-ipk");
    let run = Command::new("sh")
        .arg(repo.join("openwrt/build-ipk.sh"))
        .arg("--app")
        .arg(app())
        .arg(&out)
        .output()
        .expect("sh openwrt/build-ipk.sh --app");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let ipk = out.join("luci-app-logjail_0.1.0-r1_all.ipk");
    assert_eq!(
        String::from_utf8_lossy(&run.stdout).trim(),
        ipk.display().to_string()
    );
    let sh = |cmd: &str| -> String {
        let o = Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .current_dir(&out)
            .output()
            .expect("sh");
        assert!(
            o.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let ipk = ipk.display();
    assert_eq!(
        sh(&format!("tar -tzf {ipk}")),
        "./debian-binary\n./data.tar.gz\n./control.tar.gz\n"
    );
    let control = sh(&format!(
        "tar -xzOf {ipk} ./control.tar.gz | tar -xzOf - ./control"
    ));
    for want in [
        "Package: luci-app-logjail\n",
        "Version: 0.1.0-r1\n",
        "Depends: luci-base, logjail\n",
        "Architecture: all\n",
    ] {
        assert!(control.contains(want), "{want:?} not in:\n{control}");
    }
    let postinst = sh(&format!(
        "tar -xzOf {ipk} ./control.tar.gz | tar -xzOf - ./postinst"
    ));
    assert!(postinst.contains("/etc/init.d/rpcd reload"), "{postinst}");
    let data = sh(&format!("tar -xzOf {ipk} ./data.tar.gz | tar -tvzf -"));
    for (mode, path) in [
        ("-rwxr-xr-x", "./usr/libexec/rpcd/luci.logjail"),
        ("-rw-r--r--", "./usr/share/rpcd/acl.d/luci-app-logjail.json"),
        ("-rw-r--r--", "./usr/share/luci/menu.d/luci-app-logjail.json"),
        ("-rw-r--r--", "./www/luci-static/resources/view/logjail/status.js"),
        ("-rw-r--r--", "./www/luci-static/resources/view/logjail/jails.js"),
        ("-rw-r--r--", "./www/luci-static/resources/view/logjail/test.js"),
    ] {
        assert!(
            data.lines().any(|l| l.starts_with(mode) && l.ends_with(path)),
            "{mode} {path} not in:\n{data}"
        );
    }
    assert!(!data.contains("Makefile") && !data.contains("usr/sbin"), "{data}");
    let lint = Command::new("shellcheck")
        .args(["-S", "warning", "-s", "sh"])
        .arg(repo.join("openwrt/build-app-ipk.sh"))
        .output()
        .expect("shellcheck (apt-get install shellcheck)");
    assert!(lint.status.success(), "{}", String::from_utf8_lossy(&lint.stdout));
}
