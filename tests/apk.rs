//! The .apk (OpenWrt 25.12, apk-tools 3) that `openwrt/build-ipk.sh` makes with `APK=`, read
//! back with the real apk-tools: `apk adbdump` for the package info and the maintainer scripts,
//! `apk extract` for the files, their modes and owners, and the `/lib/apk/packages/` files
//! (`.list`, `.conffiles`, `.conffiles_static`) that OpenWrt's `include/package-pack.mk` adds.
//! Also the same inputs give the same bytes, a package of architecture `all` (what
//! luci-app-logjail is) becomes `noarch`, and the real luci-app-logjail apk carries its
//! Makefile's fields, depends on logjail and luci-base, and lists its files.
//!
//! apk-tools 3.0.6 is the host build of the OpenWrt userland harness (`shared/openwrt` beside
//! the checkout, built by `tests/openwrt/prepare.sh --userland`, as root): without it these
//! tests fail and say why. `tests/openwrt.rs` installs, upgrades and removes the package.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const EPOCH: &str = "1700000000";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let o = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        o.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

fn build(bin: &Path, arch: &str, out: &Path, apk: &Path) -> Output {
    Command::new("sh")
        .arg(root().join("openwrt/build-ipk.sh"))
        .arg(bin)
        .arg(arch)
        .arg(out)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env("APK", apk)
        .output()
        .expect("run sh openwrt/build-ipk.sh")
}

/// Builds both packages of the host binary; returns the apk's path (the second line).
fn host_apk(out: &Path) -> PathBuf {
    let o = build(
        Path::new(env!("CARGO_BIN_EXE_logjail")),
        "x86_64",
        out,
        support::owrt::apk_tools(),
    );
    let stdout = String::from_utf8(o.stdout).unwrap();
    assert!(
        o.status.success(),
        "build-ipk.sh failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "build-ipk.sh printed {stdout:?}");
    assert!(lines[0].ends_with("_x86_64.ipk"), "{}", lines[0]);
    let apk = PathBuf::from(lines[1]);
    assert!(apk.is_file(), "build-ipk.sh printed {apk:?}, which is no file");
    apk
}

/// The apk of the host binary, built once for the tests that only read it.
fn the_apk() -> &'static Path {
    static APK: OnceLock<PathBuf> = OnceLock::new();
    APK.get_or_init(|| host_apk(&support::scratch("apk-pkg")))
}

fn makefile_var(name: &str) -> String {
    package_var("logjail", name)
}

/// Variable NAME of `openwrt/PKG/Makefile`.
fn package_var(pkg: &str, name: &str) -> String {
    let mk = fs::read_to_string(root().join("openwrt").join(pkg).join("Makefile")).unwrap();
    let prefix = format!("{name}:=");
    mk.lines()
        .find_map(|l| l.strip_prefix(&prefix).map(str::to_string))
        .unwrap_or_else(|| panic!("{name} not in openwrt/{pkg}/Makefile"))
}

/// Every file and link under DIR (none under SKIP), as absolute paths below DIR, sorted.
fn files_under(dir: &Path, skip: Option<&Path>) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() && !p.is_symlink() {
                stack.push(p);
            } else if !skip.is_some_and(|s| p.starts_with(s)) {
                found.push(format!("/{}", p.strip_prefix(dir).unwrap().display()));
            }
        }
    }
    found.sort();
    found
}

/// `apk adbdump`: the package info (`info:` fields, lists joined by spaces) and the scripts
/// (`scripts:` blocks), as the tool prints them.
struct Dump {
    info: BTreeMap<String, String>,
    scripts: BTreeMap<String, String>,
}

fn dump(apk: &Path) -> Dump {
    let text = String::from_utf8(run(Command::new(support::owrt::apk_tools())
        .arg("adbdump")
        .arg(apk)))
    .unwrap();
    let mut info = BTreeMap::new();
    let mut scripts: BTreeMap<String, String> = BTreeMap::new();
    let mut section = "";
    let mut key = String::new();
    for line in text.lines() {
        if !line.starts_with(' ') {
            section = line.trim_end_matches(':');
            continue;
        }
        match section {
            "info" => {
                if let Some(item) = line.strip_prefix("    - ") {
                    let v: &mut String = info.get_mut(&key).unwrap();
                    v.push_str(if v.is_empty() { "" } else { " " });
                    v.push_str(item);
                } else if let Some(body) = line.strip_prefix("    ") {
                    info.insert(key.clone(), body.to_string());
                } else if let Some((k, v)) = line.trim().split_once(':') {
                    key = k.to_string();
                    let v = v.trim();
                    let v = if v.starts_with('|') || v.starts_with('#') {
                        ""
                    } else {
                        v
                    };
                    info.insert(key.clone(), v.to_string());
                }
            }
            "scripts" => {
                if let Some(body) = line.strip_prefix("    ") {
                    let s = scripts.get_mut(&key).unwrap();
                    s.push_str(body);
                    s.push('\n');
                } else if let Some((k, _)) = line.trim().split_once(':') {
                    key = k.to_string();
                    scripts.insert(key.clone(), String::new());
                }
            }
            _ => {}
        }
    }
    Dump { info, scripts }
}

/// `apk extract` of the package into a fresh directory.
fn extract(apk: &Path, into: &Path) {
    fs::create_dir_all(into).unwrap();
    run(Command::new(support::owrt::apk_tools())
        .args(["extract", "--allow-untrusted", "--destination"])
        .arg(into)
        .arg(apk));
}

#[test]
fn package_info_as_openwrt_makes_it() {
    let apk = the_apk();
    let version = format!("{}-r{}", env!("CARGO_PKG_VERSION"), makefile_var("PKG_RELEASE"));
    assert_eq!(
        apk.file_name().unwrap().to_str().unwrap(),
        format!("logjail-{version}.apk"),
        "OpenWrt names apks NAME-VERSION.apk"
    );
    let d = dump(apk);
    let i = &d.info;
    assert_eq!(i["name"], "logjail");
    assert_eq!(i["version"], version);
    assert_eq!(i["arch"], "x86_64");
    assert_eq!(i["license"], makefile_var("PKG_LICENSE"));
    assert_eq!(i["maintainer"], makefile_var("PKG_MAINTAINER"));
    assert_eq!(i["origin"], "feeds/logjail/logjail");
    assert_eq!(i["depends"], "firewall4");
    assert!(
        i["description"].starts_with("Intrusion prevention") && !i["description"].contains('\n'),
        "description: {:?}",
        i["description"]
    );
    assert!(!i.contains_key("provides"), "{i:?}");
}

#[test]
fn maintainer_scripts_wrapped_as_package_pack_mk_does() {
    let out = support::scratch("apk-scripts");
    let s = dump(the_apk()).scripts;
    let names: Vec<&str> = s.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["post-deinstall", "post-install", "post-upgrade", "pre-deinstall"],
        "the apk's scripts"
    );
    let body = |name: &str| -> String {
        let text = fs::read_to_string(root().join("openwrt/logjail/scripts").join(name)).unwrap();
        text.lines()
            .filter(|l| !l.starts_with("#!"))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let head = "#!/bin/sh\n\
        [ -s \"${IPKG_INSTROOT}/lib/functions.sh\" ] || exit 0\n\
        . \"${IPKG_INSTROOT}/lib/functions.sh\"\n\
        export root=\"${IPKG_INSTROOT}\"\n\
        export pkgname=\"logjail\"\n";
    let noscript = "[ \"${IPKG_NO_SCRIPT}\" = \"1\" ] && exit 0\n";
    let post_install = format!(
        "#!/bin/sh\n{noscript}{}add_group_and_user\ndefault_postinst\n{}",
        &head["#!/bin/sh\n".len()..],
        body("postinst")
    );
    assert_eq!(s["post-install"], post_install);
    assert_eq!(
        s["post-upgrade"],
        format!(
            "#!/bin/sh\nexport PKG_UPGRADE=1\n{}",
            &post_install["#!/bin/sh\n".len()..]
        )
    );
    assert_eq!(
        s["pre-deinstall"],
        format!("{head}default_prerm\n{}", body("prerm"))
    );
    assert_eq!(
        s["post-deinstall"],
        fs::read_to_string(root().join("openwrt/logjail/scripts/postrm")).unwrap()
    );
    let dir = out.join("scripts");
    fs::create_dir_all(&dir).unwrap();
    for (name, text) in &s {
        let f = dir.join(name);
        fs::write(&f, text).unwrap();
        run(Command::new("sh").arg("-n").arg(&f));
    }
}

#[test]
fn files_modes_owners_list_and_conffile_sums() {
    let x = support::scratch("apk-files");
    extract(the_apk(), &x);
    let files = root().join("openwrt/logjail/files");
    use std::os::unix::fs::MetadataExt;
    let want = [
        (
            "usr/sbin/logjail",
            0o755,
            fs::read(env!("CARGO_BIN_EXE_logjail")).unwrap(),
        ),
        (
            "etc/init.d/logjail",
            0o755,
            fs::read(files.join("logjail.init")).unwrap(),
        ),
        (
            "etc/config/logjail",
            0o600,
            fs::read(files.join("logjail.config")).unwrap(),
        ),
    ];
    for (path, mode, content) in &want {
        let m = fs::metadata(x.join(path)).unwrap_or_else(|e| panic!("/{path}: {e}"));
        assert_eq!(m.mode() & 0o7777, *mode, "mode of /{path}");
        assert_eq!((m.uid(), m.gid()), (0, 0), "owner of /{path}");
        assert!(fs::read(x.join(path)).unwrap() == *content, "contents of /{path}");
    }
    let meta = x.join("lib/apk/packages");
    // The .list: every file and link of the package, sorted, without the /lib/apk/packages
    // files that describe it.
    let found = files_under(&x, Some(&meta));
    let list = fs::read_to_string(meta.join("logjail.list")).unwrap();
    assert_eq!(list.lines().collect::<Vec<_>>(), found, "logjail.list");
    assert!(found
        .iter()
        .any(|f| f == "/usr/share/nftables.d/table-pre/logjail.nft"));
    assert_eq!(
        fs::read_to_string(meta.join("logjail.conffiles")).unwrap(),
        "/etc/config/logjail\n"
    );
    let sum = run(Command::new("sha256sum").arg(x.join("etc/config/logjail")));
    let sum = String::from_utf8(sum).unwrap();
    assert_eq!(
        fs::read_to_string(meta.join("logjail.conffiles_static")).unwrap(),
        format!("/etc/config/logjail {}\n", sum.split(' ').next().unwrap())
    );
}

#[test]
fn same_inputs_same_apk() {
    let again = host_apk(&support::scratch("apk-repro"));
    assert!(
        fs::read(the_apk()).unwrap() == fs::read(again).unwrap(),
        "two builds differ"
    );
}

/// Not apk-tools 3 (no `apk mkpkg`): the build fails and says so; no apk is left.
#[test]
fn refuses_an_apk_tool_that_is_not_apk_tools_3() {
    let out = support::scratch("apk-notool");
    let o = build(
        Path::new(env!("CARGO_BIN_EXE_logjail")),
        "x86_64",
        &out,
        Path::new("true"),
    );
    assert!(!o.status.success(), "build-ipk.sh with APK=true succeeded");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("is not apk-tools 3"), "{err}");
    let apks: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".apk"))
        .collect();
    assert!(apks.is_empty(), "left {apks:?}");
}

/// A package of architecture `all` without a binary and with versioned dependencies (what
/// luci-app-logjail is), packed by apk-pack.sh's `apk_pack` directly: arch `noarch`,
/// depends in apk's form, no post-deinstall without a postrm.
#[test]
fn arch_all_becomes_noarch() {
    let out = support::scratch("apk-noarch");
    let data = out.join("data/www/luci-static/resources/view");
    fs::create_dir_all(&data).unwrap();
    fs::write(data.join("app.js"), "'use strict';\n").unwrap();
    let c = out.join("control");
    fs::create_dir_all(&c).unwrap();
    fs::write(
        c.join("control"),
        "Package: luci-app-demo\nVersion: 1.2.3-r4\nDepends: luci-base, logjail (>= 0.1.0-r1)\n\
         License: Apache-2.0\nArchitecture: all\nDescription: A demo.\n More words.\n",
    )
    .unwrap();
    fs::write(c.join("postinst"), "#!/bin/sh\nexit 0\n").unwrap();
    let script = format!(
        ". '{}' && apk_pack \"$1\" '{}' '{}' '{}' '{}'",
        root().join("openwrt/apk-pack.sh").display(),
        out.join("data").display(),
        c.display(),
        out.join("work").display(),
        out.display()
    );
    let printed = run(Command::new("sh")
        .args(["-c", &script, "sh"])
        .arg(support::owrt::apk_tools())
        .env("SOURCE_DATE_EPOCH", EPOCH));
    let apk = PathBuf::from(String::from_utf8(printed).unwrap().trim());
    assert_eq!(apk, out.join("luci-app-demo-1.2.3-r4.apk"));
    let d = dump(&apk);
    assert_eq!(d.info["arch"], "noarch");
    // apk sorts the dependencies.
    assert_eq!(d.info["depends"], "logjail>=0.1.0-r1 luci-base");
    assert_eq!(d.info["description"], "A demo. More words.");
    let names: Vec<&str> = d.scripts.keys().map(String::as_str).collect();
    assert_eq!(names, ["post-install", "post-upgrade", "pre-deinstall"]);
    let x = out.join("x");
    extract(&apk, &x);
    assert_eq!(
        fs::read_to_string(x.join("lib/apk/packages/luci-app-demo.list")).unwrap(),
        "/www/luci-static/resources/view/app.js\n"
    );
    assert!(!x.join("lib/apk/packages/luci-app-demo.conffiles").exists());
}

/// The real luci-app-logjail apk, as `build-ipk.sh --app openwrt/luci-app-logjail` makes it
/// beside the ipk: named and versioned from its Makefile, `noarch`, depending on logjail and
/// luci-base, luci.mk's postinst (LuCI's caches dropped, rpcd reloaded), `htdocs/` under
/// `/www` and `root/` under `/` with their modes, all in its `.list`, no conffiles.
#[test]
fn luci_app_apk_from_the_builder() {
    let out = support::scratch("apk-luci");
    let app = root().join("openwrt/luci-app-logjail");
    let o = run(Command::new("sh")
        .arg(root().join("openwrt/build-ipk.sh"))
        .arg("--app")
        .arg(&app)
        .arg(&out)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env("APK", support::owrt::apk_tools()));
    let stdout = String::from_utf8(o).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "build-ipk.sh --app printed {stdout:?}");
    assert!(lines[0].ends_with("_all.ipk"), "{}", lines[0]);
    let version = format!(
        "{}-r{}",
        package_var("luci-app-logjail", "PKG_VERSION"),
        package_var("luci-app-logjail", "PKG_RELEASE")
    );
    let apk = PathBuf::from(lines[1]);
    assert_eq!(apk, out.join(format!("luci-app-logjail-{version}.apk")));
    let d = dump(&apk);
    let i = &d.info;
    assert_eq!(i["name"], "luci-app-logjail");
    assert_eq!(i["version"], version);
    assert_eq!(i["arch"], "noarch");
    assert_eq!(i["depends"], "logjail luci-base");
    assert_eq!(i["license"], package_var("luci-app-logjail", "PKG_LICENSE"));
    assert_eq!(i["origin"], "feeds/logjail/luci-app-logjail");
    assert_eq!(i["description"], package_var("luci-app-logjail", "LUCI_TITLE"));
    let names: Vec<&str> = d.scripts.keys().map(String::as_str).collect();
    assert_eq!(names, ["post-install", "post-upgrade", "pre-deinstall"]);
    for body in ["rm -f /tmp/luci-indexcache.*", "/etc/init.d/rpcd reload"] {
        assert!(
            d.scripts["post-install"].contains(body),
            "post-install lacks {body:?}: {}",
            d.scripts["post-install"]
        );
    }
    let x = out.join("x");
    extract(&apk, &x);
    let meta = x.join("lib/apk/packages");
    let mut want: Vec<String> = files_under(&app.join("htdocs"), None)
        .into_iter()
        .map(|f| format!("/www{f}"))
        .chain(files_under(&app.join("root"), None))
        .collect();
    want.sort();
    assert_eq!(files_under(&x, Some(&meta)), want, "the apk's files");
    assert!(want.contains(&"/usr/share/luci/menu.d/luci-app-logjail.json".to_string()));
    let list = fs::read_to_string(meta.join("luci-app-logjail.list")).unwrap();
    assert_eq!(list.lines().collect::<Vec<_>>(), want, "luci-app-logjail.list");
    assert!(!meta.join("luci-app-logjail.conffiles").exists());
    use std::os::unix::fs::MetadataExt;
    for f in &want {
        let m = fs::metadata(x.join(&f[1..])).unwrap();
        let mode = if f == "/usr/libexec/rpcd/luci.logjail" {
            0o755
        } else {
            0o644
        };
        assert_eq!(m.mode() & 0o7777, mode, "mode of {f}");
        assert_eq!((m.uid(), m.gid()), (0, 0), "owner of {f}");
    }
}
