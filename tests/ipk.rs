//! The .ipk that `openwrt/build-ipk.sh` makes, unpacked with tar and gzip as opkg would and
//! checked member by member: the outer archive, every control field, the conffiles, the
//! maintainer scripts, and every installed path with its mode, owner and contents.
//!
//! The package is built from the host binary (`x86_64`), so these tests need no cross
//! toolchain; cross/ci.sh packs the real router binaries the same way.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const EPOCH: &str = "1700000000";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn pkgdir() -> PathBuf {
    root().join("openwrt/logjail")
}

/// A fresh, empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    support::scratch(&format!("ipk-{name}"))
}

fn build_ipk(bin: &Path, arch: &str, out: &Path) -> Output {
    Command::new("sh")
        .arg(root().join("openwrt/build-ipk.sh"))
        .arg(bin)
        .arg(arch)
        .arg(out)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .output()
        .expect("run sh openwrt/build-ipk.sh")
}

/// Builds the ipk for `arch` from the host binary; returns its path.
fn host_ipk(arch: &str, out: &Path) -> PathBuf {
    let o = build_ipk(Path::new(env!("CARGO_BIN_EXE_logjail")), arch, out);
    assert!(
        o.status.success(),
        "build-ipk.sh failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let path = PathBuf::from(String::from_utf8(o.stdout).unwrap().trim());
    assert!(path.is_file(), "build-ipk.sh printed {path:?}, which is no file");
    path
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let o = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        o.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

/// One member of a tar listing (`tar -tv`): mode string, owner/group, size.
#[derive(Debug)]
struct Entry {
    mode: String,
    owner: String,
    size: u64,
}

/// `tar -tvzf ARCHIVE`, in archive order, names without the leading `./`.
fn listing(archive: &Path) -> Vec<(String, Entry)> {
    let out = run(Command::new("tar").arg("-tvzf").arg(archive));
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert!(f.len() >= 6, "tar listing line {l:?}");
            let name = f[5..].join(" ");
            let name = name.trim_start_matches("./").trim_end_matches('/').to_string();
            let entry = Entry {
                mode: f[0].into(),
                owner: f[1].into(),
                size: f[2].parse().unwrap(),
            };
            (name, entry)
        })
        .collect()
}

fn extract(archive: &Path, into: &Path) {
    fs::create_dir_all(into).unwrap();
    run(Command::new("tar").arg("-xzf").arg(archive).arg("-C").arg(into));
}

/// The control file as (field, value) pairs, continuation lines joined to their field.
fn control_fields(text: &str) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    let mut last = String::new();
    for line in text.lines() {
        if let Some(more) = line.strip_prefix(' ') {
            let v: &mut String = fields.get_mut(&last).expect("continuation line first");
            v.push('\n');
            v.push_str(more);
        } else {
            let (k, v) = line
                .split_once(": ")
                .unwrap_or_else(|| panic!("control line {line:?}"));
            assert!(fields.insert(k.to_string(), v.to_string()).is_none(), "{k} twice");
            last = k.to_string();
        }
    }
    fields
}

fn cargo_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

fn makefile() -> String {
    fs::read_to_string(pkgdir().join("Makefile")).unwrap()
}

fn makefile_var(name: &str) -> String {
    let prefix = format!("{name}:=");
    makefile()
        .lines()
        .find_map(|l| l.strip_prefix(&prefix).map(str::to_string))
        .unwrap_or_else(|| panic!("{name} not in the Makefile"))
}

/// Files under openwrt/logjail/files/nftables.d, relative to it.
fn nft_includes() -> Vec<String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, base, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let base = pkgdir().join("files/nftables.d");
    let mut out = Vec::new();
    if base.is_dir() {
        walk(&base, &base, &mut out);
    }
    out.sort();
    out
}

#[test]
fn outer_archive_is_debian_binary_data_control() {
    let out = scratch("outer");
    let ipk = host_ipk("x86_64", &out);
    let name = format!(
        "logjail_{}-r{}_x86_64.ipk",
        cargo_version(),
        makefile_var("PKG_RELEASE")
    );
    assert_eq!(ipk.file_name().unwrap().to_str().unwrap(), name);

    let members: Vec<String> = listing(&ipk).into_iter().map(|(n, _)| n).collect();
    assert_eq!(members, ["debian-binary", "data.tar.gz", "control.tar.gz"]);
    let x = out.join("x");
    extract(&ipk, &x);
    assert_eq!(fs::read(x.join("debian-binary")).unwrap(), b"2.0\n");
}

#[test]
fn control_fields_conffiles_and_scripts() {
    let out = scratch("control");
    let ipk = host_ipk("x86_64", &out);
    let x = out.join("x");
    extract(&ipk, &x);
    let c = x.join("c");
    extract(&x.join("control.tar.gz"), &c);

    let control = fs::read_to_string(c.join("control")).unwrap();
    let f = control_fields(&control);
    let want_version = format!("{}-r{}", cargo_version(), makefile_var("PKG_RELEASE"));
    assert_eq!(f["Package"], "logjail");
    assert_eq!(f["Version"], want_version);
    assert_eq!(f["Architecture"], "x86_64");
    let depends: Vec<&str> = f["Depends"].split(',').map(str::trim).collect();
    assert!(depends.contains(&"firewall4"), "Depends: {}", f["Depends"]);
    assert!(f["Description"].len() > 20, "Description: {}", f["Description"]);
    // Installed-Size is the uncompressed data tar, in bytes, as ipkg-build computes it.
    let data = run(Command::new("gzip").arg("-dc").arg(x.join("data.tar.gz")));
    assert_eq!(f["Installed-Size"], data.len().to_string());

    assert_eq!(
        fs::read_to_string(c.join("conffiles")).unwrap(),
        "/etc/config/logjail\n"
    );

    let members: BTreeMap<String, Entry> = listing(&x.join("control.tar.gz")).into_iter().collect();
    for (name, mode) in [
        ("control", "-rw-r--r--"),
        ("conffiles", "-rw-r--r--"),
        ("postinst", "-rwxr-xr-x"),
        ("prerm", "-rwxr-xr-x"),
        ("postrm", "-rwxr-xr-x"),
    ] {
        let e = members
            .get(name)
            .unwrap_or_else(|| panic!("control.tar.gz lacks {name}"));
        assert_eq!(e.mode, mode, "{name}");
        assert_eq!(e.owner, "0/0", "{name}");
    }
    let postinst = fs::read_to_string(c.join("postinst")).unwrap();
    assert!(
        postinst.contains("fw4 -q reload"),
        "postinst must reload the firewall"
    );
    assert!(
        postinst.contains("/etc/init.d/logjail enable"),
        "postinst must enable the service"
    );
    let prerm = fs::read_to_string(c.join("prerm")).unwrap();
    assert!(
        prerm.contains("/etc/init.d/logjail stop"),
        "prerm must stop the service"
    );
    for s in ["postinst", "prerm", "postrm"] {
        let text = fs::read_to_string(c.join(s)).unwrap();
        assert!(text.starts_with("#!/bin/sh\n"), "{s} shebang");
        // Live-system actions only when not assembling an image.
        assert!(text.contains("IPKG_INSTROOT"), "{s} must respect IPKG_INSTROOT");
        run(Command::new("sh").arg("-n").arg(c.join(s)));
    }
}

#[test]
fn data_paths_modes_owners_and_contents() {
    let out = scratch("data");
    let ipk = host_ipk("x86_64", &out);
    let x = out.join("x");
    extract(&ipk, &x);
    let data = x.join("data.tar.gz");
    let entries = listing(&data);
    let d = x.join("d");
    extract(&data, &d);

    let files = pkgdir().join("files");
    let bin = fs::read(env!("CARGO_BIN_EXE_logjail")).unwrap();
    let mut want: Vec<(String, &str, Vec<u8>)> = vec![
        ("usr/sbin/logjail".into(), "-rwxr-xr-x", bin),
        (
            "etc/init.d/logjail".into(),
            "-rwxr-xr-x",
            fs::read(files.join("logjail.init")).unwrap(),
        ),
        (
            "etc/config/logjail".into(),
            "-rw-------",
            fs::read(files.join("logjail.config")).unwrap(),
        ),
    ];
    for rel in nft_includes() {
        let content = fs::read(files.join("nftables.d").join(&rel)).unwrap();
        want.push((format!("usr/share/nftables.d/{rel}"), "-rw-r--r--", content));
    }

    let files_in_ipk: Vec<&String> = entries
        .iter()
        .filter(|(_, e)| !e.mode.starts_with('d'))
        .map(|(n, _)| n)
        .collect();
    let mut want_names: Vec<&String> = want.iter().map(|(n, _, _)| n).collect();
    want_names.sort();
    let mut got_names = files_in_ipk.clone();
    got_names.sort();
    assert_eq!(got_names, want_names, "the files in data.tar.gz");

    let by_name: BTreeMap<&str, &Entry> = entries.iter().map(|(n, e)| (n.as_str(), e)).collect();
    for (name, mode, content) in &want {
        let e = by_name[name.as_str()];
        assert_eq!(&e.mode, mode, "mode of /{name}");
        assert_eq!(e.owner, "0/0", "owner of /{name}");
        assert_eq!(e.size, content.len() as u64, "size of /{name}");
        assert!(fs::read(d.join(name)).unwrap() == *content, "contents of /{name}");
    }
    for (name, e) in &entries {
        if e.mode.starts_with('d') {
            assert_eq!(e.mode, "drwxr-xr-x", "mode of directory /{name}");
            assert_eq!(e.owner, "0/0", "owner of directory /{name}");
        }
    }
    // The packed binary is the one that runs.
    let v = run(Command::new(d.join("usr/sbin/logjail")).arg("--version"));
    assert_eq!(
        String::from_utf8(v).unwrap(),
        format!("logjail {}\n", cargo_version())
    );
}

#[test]
fn fw4_include_declares_sets_and_wan_drop_rules() {
    let includes = nft_includes();
    for needed in [
        "table-pre/logjail.nft",
        "chain-pre/input_wan/logjail.nft",
        "chain-pre/forward_wan/logjail.nft",
    ] {
        assert!(
            includes.iter().any(|i| i == needed),
            "openwrt/logjail/files/nftables.d/{needed} is missing (have {includes:?})"
        );
    }
    let dir = pkgdir().join("files/nftables.d");
    let sets = fs::read_to_string(dir.join("table-pre/logjail.nft")).unwrap();
    assert!(sets.contains("set logjail_v4"), "{sets}");
    assert!(sets.contains("set logjail_v6"), "{sets}");
    for chain in ["input_wan", "forward_wan"] {
        let rules = fs::read_to_string(dir.join(format!("chain-pre/{chain}/logjail.nft"))).unwrap();
        assert!(
            rules.contains("@logjail_v4") && rules.contains("drop"),
            "{chain}: {rules}"
        );
        assert!(rules.contains("@logjail_v6"), "{chain}: {rules}");
    }
}

#[test]
fn same_inputs_same_ipk() {
    let a = host_ipk("x86_64", &scratch("repro-a"));
    let b = host_ipk("x86_64", &scratch("repro-b"));
    assert!(fs::read(a).unwrap() == fs::read(b).unwrap(), "two builds differ");
}

#[test]
fn refuses_a_binary_for_another_cpu() {
    let out = scratch("wrong-arch");
    for arch in [
        "mips_24kc",
        "mipsel_24kc",
        "arm_cortex-a7_neon-vfpv4",
        "aarch64_cortex-a53",
    ] {
        let o = build_ipk(Path::new(env!("CARGO_BIN_EXE_logjail")), arch, &out);
        assert!(!o.status.success(), "an x86_64 binary was packed as {arch}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(&format!("not a binary for {arch}")), "{arch}: {err}");
    }
    let left: Vec<_> = fs::read_dir(&out).unwrap().collect();
    assert!(left.is_empty(), "a refused build left {left:?}");

    let o = build_ipk(&root().join("Cargo.toml"), "x86_64", &out);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not an ELF executable"));
    let o = build_ipk(Path::new(env!("CARGO_BIN_EXE_logjail")), "x86 64", &out);
    assert!(!o.status.success());
}

/// apk (OpenWrt 25.12) and opkg both take digits and dots plus `-rN`; the Makefile's
/// PKG_VERSION must be Cargo.toml's.
#[test]
fn version_suits_opkg_and_apk() {
    let v = makefile_var("PKG_VERSION");
    assert_eq!(v, cargo_version(), "PKG_VERSION and Cargo.toml disagree");
    assert!(
        v.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())),
        "PKG_VERSION {v} is not digits and dots"
    );
    let r = makefile_var("PKG_RELEASE");
    assert!(
        !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()),
        "PKG_RELEASE {r}"
    );
}

/// The feed Makefile and the standalone builder install the same maintainer scripts.
#[test]
fn makefile_matches_the_builder() {
    let mk = makefile();
    for needed in [
        "PKG_BUILD_DEPENDS:=rust/host",
        "DEPENDS:=$(RUST_ARCH_DEPENDS) +firewall4",
        "include $(TOPDIR)/feeds/packages/lang/rust/rust-package.mk",
        "$(eval $(call RustBinPackage,logjail))",
        "$(eval $(call BuildPackage,logjail))",
        "$(INSTALL_BIN) ./files/logjail.init $(1)/etc/init.d/logjail",
        "$(INSTALL_CONF) ./files/logjail.config $(1)/etc/config/logjail",
        "$(INSTALL_BIN) $(PKG_INSTALL_DIR)/bin/logjail $(1)/usr/sbin/logjail",
        "$(1)/usr/share/nftables.d",
    ] {
        assert!(mk.contains(needed), "Makefile lacks {needed}");
    }
    let block = |name: &str| -> String {
        let start = format!("define Package/logjail/{name}\n");
        let from = mk.find(&start).unwrap_or_else(|| panic!("no {name} in Makefile")) + start.len();
        let len = mk[from..].find("endef\n").unwrap();
        mk[from..from + len].replace("$$", "$")
    };
    assert_eq!(block("conffiles"), "/etc/config/logjail\n");
    for s in ["postinst", "prerm", "postrm"] {
        let script = fs::read_to_string(pkgdir().join("scripts").join(s)).unwrap();
        assert_eq!(
            block(s),
            script,
            "Makefile's {s} differs from openwrt/logjail/scripts/{s}"
        );
    }
}

/// The fw4 include as the package installs it, assembled the way fw4 does (table-pre inside
/// `table inet fw4`, chain-pre at the top of each chain), loads into a real kernel in a user
/// and network namespace, and the sets come back with the types and flags the daemon uses.
#[test]
fn fw4_include_loads_into_nf_tables() {
    let out = scratch("nft");
    let ipk = host_ipk("x86_64", &out);
    let x = out.join("x");
    extract(&ipk, &x);
    let d = x.join("d");
    extract(&x.join("data.tar.gz"), &d);
    let inc = d.join("usr/share/nftables.d");
    let read = |rel: &str| {
        fs::read_to_string(inc.join(rel)).unwrap_or_else(|e| panic!("/usr/share/nftables.d/{rel}: {e}"))
    };
    let ruleset = format!(
        "table inet fw4 {{\n{}\nchain input_wan {{\n{}\n}}\nchain forward_wan {{\n{}\n}}\n}}\n",
        read("table-pre/logjail.nft"),
        read("chain-pre/input_wan/logjail.nft"),
        read("chain-pre/forward_wan/logjail.nft"),
    );
    let file = out.join("fw4.nft");
    fs::write(&file, ruleset).unwrap();
    let script = format!("nft -f '{}' && nft list table inet fw4", file.display());
    let o = Command::new("unshare")
        .args(["-Urn", "sh", "-c", &script])
        .output()
        .expect("unshare (util-linux) and nft (apt-get install nftables) are needed");
    let listed = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{}{listed}",
        String::from_utf8_lossy(&o.stderr)
    );
    let squeeze = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let listed = squeeze(&listed);
    for set in [
        "set logjail_v4 { type ipv4_addr flags timeout }",
        "set logjail_v6 { type ipv6_addr flags interval,timeout }",
    ] {
        assert!(listed.contains(set), "kernel lists {listed}");
    }
    for chain in ["input_wan", "forward_wan"] {
        let body = listed.split(&format!("chain {chain} {{")).nth(1).unwrap();
        let body = body.split('}').next().unwrap();
        assert!(
            body.contains("ip saddr @logjail_v4") && body.contains("drop"),
            "{chain}: {body}"
        );
        assert!(body.contains("ip6 saddr @logjail_v6"), "{chain}: {body}");
    }
}
