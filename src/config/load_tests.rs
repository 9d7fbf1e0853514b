//! Tests of the loader: meanings, defaults, every validation error with its line, warnings.

use super::*;
use crate::config::{JailConfig, Main};

const EXAMPLE: &str = include_str!("../../tests/data/logjail.config");

fn ok(text: &str) -> Loaded {
    match parse(text, "cfg") {
        Ok(l) => l,
        Err(e) => panic!("unexpected error: {e}\nin:\n{text}"),
    }
}

fn jail(text: &str) -> JailConfig {
    let l = ok(text);
    assert_eq!(l.config.jails.len(), 1, "{text}");
    l.config.jails[0].clone()
}

fn cidrs(list: &[&str]) -> Vec<crate::addr::Cidr> {
    list.iter().filter_map(|s| crate::addr::Cidr::parse(s)).collect()
}

#[test]
fn shipped_example_loads_cleanly() {
    let l = ok(EXAMPLE);
    assert_eq!(l.warnings, Vec::<String>::new());
    let c = &l.config;
    assert_eq!(c.main.ignoreip, cidrs(&["192.168.1.0/24", "fd00::/8"]));
    assert_eq!(c.main.state_file_persistent, None);
    let names: Vec<_> = c.jails.iter().map(|j| (j.name.as_str(), j.enabled)).collect();
    assert_eq!(names, [("dropbear", true), ("luci", true), ("sshd", false)]);
    for j in &c.jails {
        assert_eq!((j.maxretry, j.findtime, j.bantime), (5, 600, Some(3600)));
        assert_eq!((j.bantime_factor, j.bantime_max), (2, Some(604_800)));
        assert_eq!(j.filter, j.name);
    }
}

#[test]
fn empty_file_gives_defaults_and_a_warning() {
    let l = ok("# nothing\n");
    assert_eq!(l.config, Config::default());
    assert_eq!(
        l.warnings,
        ["cfg: no jail is enabled: logjail will read the log but ban nobody"]
    );
    let j = jail("config jail 'dropbear'\n");
    let mut want = JailConfig::new("dropbear");
    want.lines.section = 1;
    assert_eq!(j, want);
    let m = ok("config logjail\n").config.main;
    assert_eq!(m, Main::default());
}

#[test]
fn uci_meaning_last_wins_lists_accumulate_empty_unsets() {
    let j = jail(
        "config jail a
        option maxretry 3
        option maxretry 7
        list ignoreip 10.0.0.1
        list ignoreip '10.0.0.2 10.0.0.3'
        option filter 'other'
        option filter ''
        option bantime 1w; option bantime 2h",
    );
    assert_eq!((j.maxretry, j.filter.as_str(), j.bantime), (7, "a", Some(7200)));
    assert_eq!(j.ignoreip, cidrs(&["10.0.0.1", "10.0.0.2", "10.0.0.3"]));
    // An option after a list replaces it; a list after an option extends it.
    let j = jail("config jail a\nlist ignoreip 10.0.0.1\noption ignoreip 10.0.0.9\n");
    assert_eq!(j.ignoreip, cidrs(&["10.0.0.9"]));
    let j = jail("config jail a\noption ignoreip 10.0.0.1\nlist ignoreip 10.0.0.2\nlist ignoreip 10.0.0.1\n");
    assert_eq!(j.ignoreip, cidrs(&["10.0.0.1", "10.0.0.2"]));
    // `option x ''` removes a list too.
    let j = jail("config jail a\nlist ignoreip 10.0.0.1\noption ignoreip ''\n");
    assert!(j.ignoreip.is_empty());
}

#[test]
fn errors_carry_their_line() {
    let e = parse("config jail a\n\n\toption maxretry 99\n", "cfg");
    assert_eq!(e.map_err(|e| e.line()).err(), Some(Some(3)));
    let e = parse("config jail a\n\toption x 'y\n", "cfg");
    assert_eq!(e.map_err(|e| e.line()).err(), Some(Some(2)));
}

#[test]
fn warnings_unknown_options_and_sections() {
    let l = ok("config jail 'dropbear'
\toption maxretyr 3
\tlist ports 22
\toption ipv6_prefix 24
config logjail 'main'
\toption colour 'red'
config defaults
\toption whatever 1
config jail 'luci'
\toption bantime_max 1w
");
    assert_eq!(
        l.warnings,
        [
            "cfg:2: unknown option 'maxretyr' in jail 'dropbear'",
            "cfg:3: unknown option 'ports' in jail 'dropbear'",
            "cfg:4: ipv6_prefix 24 in jail 'dropbear': one offender gets a whole /24 banned",
            "cfg:6: unknown option 'colour' in section 'main'",
            "cfg:7: unknown section type 'defaults' (expected logjail, jail or crowdsec): ignored",
            "cfg:10: bantime_max in jail 'luci' has no effect while bantime_factor is 1",
        ]
    );
    // The unknown option does not change anything else.
    assert_eq!(l.config.jails[0].maxretry, 5);
}

#[test]
fn invalid_utf8_is_an_error_with_its_line() {
    let e = parse_bytes(b"config jail a\noption filter 'dr\xffpbear'\n", "cfg").map_err(|e| e.to_string());
    assert_eq!(e.err().as_deref(), Some("cfg:2: invalid UTF-8"));
}

#[test]
fn load_reads_files_and_names_missing_ones() {
    let dir = std::env::temp_dir().join(format!("logjail-load-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let good = dir.join("logjail");
    std::fs::write(&good, EXAMPLE).expect("write temp file");
    let l = load(&good).map_err(|e| e.to_string());
    assert_eq!(l.map(|l| l.config.jails.len()), Ok(3));

    let missing = dir.join("nope");
    let e = load(&missing).map_err(|e| e.to_string()).err();
    assert_eq!(
        e,
        Some(format!(
            "{}: cannot read the configuration: no such file",
            missing.display()
        ))
    );
    let e = load(&dir).map_err(|e| e.to_string()).err().unwrap_or_default();
    assert_eq!(
        e,
        format!(
            "{}: not a regular file, not a logjail configuration",
            dir.display()
        )
    );

    let big = dir.join("big");
    let filler = format!("# {}\n", "x".repeat(1000));
    std::fs::write(&big, filler.repeat(1100)).expect("write temp file");
    let e = load(&big).map_err(|e| e.to_string()).err();
    assert_eq!(
        e,
        Some(format!(
            "{}: larger than 1024 KiB, not a logjail configuration",
            big.display()
        ))
    );

    let bad = dir.join("bad");
    std::fs::write(&bad, "config jail a\n\toption maxretry 0\n").expect("write temp file");
    let e = load(&bad).map_err(|e| e.to_string()).err().unwrap_or_default();
    assert!(e.starts_with(&format!("{}:2: maxretry", bad.display())), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn large_file_of_many_entries_loads() {
    // Close to the size limit: tens of thousands of list entries and distinct options.
    let mut text = String::from("config jail 'big'\n");
    for i in 0..25_000u32 {
        text.push_str(&format!(
            "\tlist ignoreip 10.{}.{}.0/24\n",
            i >> 8 & 0xff,
            i & 0xff
        ));
    }
    for i in 0..8_000u32 {
        text.push_str(&format!("\toption custom_{i} x\n"));
    }
    assert!(text.len() as u64 <= MAX_FILE_BYTES);
    let l = ok(&text);
    assert_eq!(l.config.jails[0].ignoreip.len(), 25_000);
    assert_eq!(l.warnings.len(), 8_000);
    assert_eq!(
        l.warnings[7_999],
        "cfg:33001: unknown option 'custom_7999' in jail 'big'"
    );
}
