//! Tests of the option tables: every option of each section, every validation error.

use crate::config::load::{parse, Loaded};
use crate::config::JailConfig;

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

fn error(text: &str) -> String {
    match parse(text, "cfg") {
        Ok(l) => panic!("expected an error, got {l:?}\nin:\n{text}"),
        Err(e) => e.to_string(),
    }
}

fn cidrs(list: &[&str]) -> Vec<crate::addr::Cidr> {
    list.iter().filter_map(|s| crate::addr::Cidr::parse(s)).collect()
}

#[test]
fn every_main_option() {
    let m = ok("config logjail 'main'
        option source '-'
        option loglevel 'warning'
        option state_file '/tmp/s'
        option state_file_persistent '/etc/s'
        option persist_interval '1d'
        option control_socket '/tmp/c.sock'
        option filter_dir '/tmp/f'
        option family 'ip'
        option table 'logjail'
        option set_v4 'v4'
        option set_v6 'v6'
        option standalone 'yes'
        option ignoreip '10.0.0.0/8 2001:db8::1'
        list ignoreip '172.16.0.0/12'
    config jail x")
    .config
    .main;
    assert_eq!((m.source.as_str(), m.loglevel), ("-", log::LevelFilter::Warn));
    assert_eq!(
        (m.state_file.to_str(), m.persist_interval),
        (Some("/tmp/s"), 86_400)
    );
    assert_eq!(
        m.state_file_persistent.as_deref(),
        Some(std::path::Path::new("/etc/s"))
    );
    assert_eq!(
        (m.control_socket.to_str(), m.filter_dir.to_str()),
        (Some("/tmp/c.sock"), Some("/tmp/f"))
    );
    assert_eq!((m.family.as_str(), m.table.as_str()), ("ip", "logjail"));
    assert_eq!(
        (m.set_v4.as_str(), m.set_v6.as_str(), m.standalone),
        ("v4", "v6", true)
    );
    assert_eq!(m.ignoreip, cidrs(&["10.0.0.0/8", "2001:db8::1", "172.16.0.0/12"]));
}

#[test]
fn every_jail_option() {
    let j = jail(
        "config jail 'ssh'
        option enabled 'off'
        option filter 'sshd'
        option maxretry 3
        option findtime 90
        option bantime -1
        option bantime_factor 4
        option bantime_max -1
        list ignoreip 198.51.100.7
        option ignoreself false
        option ipv6_prefix 56
        option max_failures 10
        option max_bans 65536
        option max_offenders 1",
    );
    assert_eq!(
        (j.name.as_str(), j.enabled, j.filter.as_str()),
        ("ssh", false, "sshd")
    );
    assert_eq!((j.maxretry, j.findtime, j.bantime), (3, 90, None));
    assert_eq!((j.bantime_factor, j.bantime_max), (4, None));
    assert_eq!(
        (j.ignoreip, j.ignoreself, j.ipv6_prefix),
        (cidrs(&["198.51.100.7"]), false, 56)
    );
    assert_eq!((j.max_failures, j.max_bans, j.max_offenders), (10, 65536, 1));
}

#[test]
fn durations_and_booleans_in_options() {
    for (text, secs) in [
        ("45", 45),
        ("45s", 45),
        ("10m", 600),
        ("2h", 7200),
        ("1d", 86_400),
        ("1w", 604_800),
    ] {
        assert_eq!(
            jail(&format!("config jail a\noption findtime {text}")).findtime,
            secs,
            "{text}"
        );
    }
    for (text, on) in [
        ("1", true),
        ("yes", true),
        ("on", true),
        ("true", true),
        ("enabled", true),
    ]
    .into_iter()
    .chain([
        ("0", false),
        ("no", false),
        ("off", false),
        ("false", false),
        ("disabled", false),
    ]) {
        assert_eq!(
            jail(&format!("config jail a\noption enabled {text}")).enabled,
            on,
            "{text}"
        );
    }
}

#[test]
fn every_error_names_its_line() {
    let j = "# header\nconfig jail 'a'\n\toption ";
    let cases: &[(String, &str)] = &[
        (
            format!("{j}maxretry 0"),
            "cfg:3: maxretry '0' in jail 'a' is out of range: expected 1 to 32",
        ),
        (
            format!("{j}maxretry 33"),
            "cfg:3: maxretry '33' in jail 'a' is out of range: expected 1 to 32",
        ),
        (
            format!("{j}maxretry five"),
            "cfg:3: maxretry 'five' in jail 'a' is not a number",
        ),
        (
            format!("{j}findtime 0"),
            "cfg:3: findtime in jail 'a' must be at least 1s",
        ),
        (
            format!("{j}findtime -1"),
            "cfg:3: findtime '-1' in jail 'a' is not a duration",
        ),
        (
            format!("{j}bantime 0"),
            "cfg:3: bantime in jail 'a' must be at least 1s (-1 means permanent)",
        ),
        (
            format!("{j}bantime 1y"),
            "cfg:3: bantime '1y' in jail 'a' is not a duration",
        ),
        (
            format!("{j}bantime 9999999w"),
            "cfg:3: bantime '9999999w' in jail 'a' is too large",
        ),
        (
            format!("{j}bantime_factor 0"),
            "cfg:3: bantime_factor '0' in jail 'a' is out of range: expected 1 to 1000",
        ),
        (
            format!("{j}ipv6_prefix 0"),
            "cfg:3: ipv6_prefix '0' in jail 'a' is out of range: expected 1 to 128",
        ),
        (
            format!("{j}ipv6_prefix 129"),
            "cfg:3: ipv6_prefix '129' in jail 'a' is out of range",
        ),
        (
            format!("{j}max_failures 0"),
            "cfg:3: max_failures '0' in jail 'a' is out of range: expected 1 to 65536",
        ),
        (
            format!("{j}max_bans 65537"),
            "cfg:3: max_bans '65537' in jail 'a' is out of range: expected 1 to 65536",
        ),
        (
            format!("{j}max_offenders -3"),
            "cfg:3: max_offenders '-3' in jail 'a' is not a number",
        ),
        (
            format!("{j}enabled maybe"),
            "cfg:3: enabled 'maybe' in jail 'a' is not a boolean",
        ),
        (
            format!("{j}ignoreself 2"),
            "cfg:3: ignoreself '2' in jail 'a' is not a boolean",
        ),
        (
            format!("{j}ignoreip '10.0.0.1 router.lan'"),
            "cfg:3: ignoreip 'router.lan' in jail 'a' is not an address or network",
        ),
        (
            format!("{j}ignoreip 10.0.0.0/33"),
            "cfg:3: ignoreip '10.0.0.0/33' in jail 'a' is not an address",
        ),
        (
            format!("{j}bantime 1h\n\toption bantime_max 30m"),
            "cfg:4: bantime_max (1800s (30m)) in jail 'a' is shorter than bantime (3600s (1h), line 3)",
        ),
        (
            format!("{j}bantime_max 1w\n\toption bantime -1"),
            "cfg:3: bantime_max (604800s (1w)) in jail 'a' is shorter than bantime (permanent, line 4)",
        ),
        (
            format!("{j}bantime_max 30m"),
            "cfg:3: bantime_max (1800s (30m)) in jail 'a' is shorter than bantime (3600s (1h), the default)",
        ),
        (
            format!("{j}x 1\n\tlist maxretry 3"),
            "cfg:4: maxretry in jail 'a' takes one value: write 'option maxretry ...', not 'list'",
        ),
        (
            "config jail\n".into(),
            "cfg:1: jail section without a name: write config jail 'NAME'",
        ),
        (
            format!("config jail {}\n", "n".repeat(33)),
            "cfg:1: jail name 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn' is longer than 32 characters",
        ),
        (
            "config jail a\n\nconfig jail a\n".into(),
            "cfg:3: section 'a' is already defined on line 1: names must be unique",
        ),
        (
            "config logjail main\nconfig jail main\n".into(),
            "cfg:2: section 'main' is already defined on line 1",
        ),
        (
            "config logjail main\nconfig logjail\n".into(),
            "cfg:2: second logjail section: only one is allowed (the first is on line 1)",
        ),
        (
            "config logjail main\n\n option loglevel verbose".into(),
            "cfg:3: loglevel 'verbose' in section 'main' is not a log level",
        ),
        (
            "config logjail main\n option family arp".into(),
            "cfg:2: family 'arp' in section 'main' is not an nftables family",
        ),
        (
            "config logjail main\n option table '1fw'".into(),
            "cfg:2: table '1fw' in section 'main' is not an nftables name",
        ),
        (
            "config logjail main\n option set_v4 'a b'".into(),
            "cfg:2: set_v4 'a b' in section 'main' is not an nftables name",
        ),
        (
            "config logjail main\n option set_v4 s\n option set_v6 s".into(),
            "cfg:3: set_v4 and set_v6 in section 'main' name the same set 's'",
        ),
        (
            format!("config logjail\n option control_socket '/{}'", "s".repeat(107)),
            "cfg:2: control_socket in the logjail section is longer than 107 bytes",
        ),
        (
            "config logjail main\n option persist_interval -1".into(),
            "cfg:2: persist_interval '-1' in section 'main' is not a duration",
        ),
        (
            "config logjail main\n option standalone 'Y'".into(),
            "cfg:2: standalone 'Y' in section 'main' is not a boolean",
        ),
        (
            "config logjail main\n list ignoreip 1.2.3.4\n list ignoreip ::g".into(),
            "cfg:3: ignoreip '::g' in section 'main' is not an address",
        ),
        (
            "config logjail main\n option source 'a' 'b'".into(),
            "cfg:2: unexpected 'b' after the end of the statement",
        ),
    ];
    for (text, want) in cases {
        let got = error(text);
        assert!(
            got.starts_with(want),
            "\n got: {got}\nwant: {want}...\n  in: {text:?}"
        );
    }
}

#[test]
fn recidive_is_off_by_default_and_set_by_maxbans() {
    use crate::jail::recidive::Params;
    let m = ok("config logjail 'main'\nconfig jail x").config.main;
    assert_eq!(m.recidive, None);
    let m = ok("config logjail 'main'
        option recidive_maxbans '3'
        option recidive_findtime '1h'
        option recidive_bantime '-1'
    config jail x")
    .config
    .main;
    let want = Params {
        maxbans: 3,
        findtime: 3600,
        bantime: None,
    };
    assert_eq!(m.recidive, Some(want));
    let m = ok("config logjail 'main'\n option recidive_maxbans '5'\nconfig jail x")
        .config
        .main;
    assert_eq!(m.recidive, Some(Params::default()));
    let m = ok(
        "config logjail 'main'\n option recidive_maxbans '0'\n option recidive_bantime '2d'\nconfig jail x",
    )
    .config
    .main;
    assert_eq!(m.recidive, None);
    assert!(
        error("config logjail 'main'\n option recidive_maxbans '1'\nconfig jail x").contains("at least 2")
    );
    assert!(
        error("config logjail 'main'\n option recidive_maxbans '17'\nconfig jail x")
            .contains("recidive_maxbans")
    );
    assert!(
        error("config logjail 'main'\n option recidive_findtime '0'\nconfig jail x")
            .contains("recidive_findtime")
    );
}

#[test]
fn mode_and_program_of_a_jail() {
    use crate::filter::{FilterError, Mode};
    let j = jail("config jail 'ssh'\n\toption filter sshd\n\toption mode 'aggressive'\n\tlist program 'sshd-wan'\n\tlist program 'sshd-lan sshd-wan'\n");
    assert_eq!(j.mode, Mode::Aggressive);
    assert_eq!(j.programs, ["sshd-wan", "sshd-lan"]);
    assert_eq!(
        (j.lines.section, j.lines.filter, j.lines.mode, j.lines.program),
        (1, 2, 3, 4)
    );
    let o = j.filter_options();
    assert_eq!((o.mode, o.programs.len()), (Mode::Aggressive, 2));
    // Errors of the filter name the line they are about.
    let lacks = FilterError::Mode {
        filter: "sshd".into(),
        mode: Mode::Ddos,
        modes: vec![],
    };
    let missing = FilterError::NotFound {
        name: "x".into(),
        dir: "/d".into(),
    };
    assert_eq!((j.line_of(&lacks), j.line_of(&missing)), (3, 2));
    let d = jail("config jail 'dropbear'\n");
    assert_eq!(
        (d.mode, d.programs.len(), d.line_of(&lacks)),
        (Mode::Normal, 0, 1)
    );
    assert_eq!(
        error("config jail a\n option mode 'paranoid'\n"),
        "cfg:2: mode 'paranoid' in jail 'a': unknown mode `paranoid` (expected normal, ddos or aggressive)"
    );
    assert_eq!(
        error("config jail a\n list mode 'ddos'\n"),
        "cfg:2: mode in jail 'a' takes one value: write 'option mode ...', not 'list'"
    );
    assert_eq!(
        error("config jail a\n list program 'ok'\n list program 'sshd[1]'\n"),
        "cfg:3: program 'sshd[1]' in jail 'a' is not a program name: a log tag has no spaces, control characters, `:`, `[` or `]`"
    );
    assert!(error("config jail a\n list program '*'\n").starts_with("cfg:2: program '*' in jail 'a'"));
}

/// Repeated networks keep their first place; options repeated with `option` keep the last
/// value, `list` entries add up in order, and names keep the order they first appear in.
#[test]
fn repeats_fold_in_order() {
    let j = jail(
        "config jail 'x'\n\
         \tlist ignoreip 10.0.0.0/8\n\
         \toption maxretry 3\n\
         \tlist ignoreip '192.0.2.1 10.0.0.0/8'\n\
         \toption findtime 60\n\
         \tlist ignoreip 2001:db8::/32\n\
         \toption maxretry 7\n\
         \tlist ignoreip 192.0.2.1\n",
    );
    assert_eq!(j.ignoreip, cidrs(&["10.0.0.0/8", "192.0.2.1", "2001:db8::/32"]));
    assert_eq!((j.maxretry, j.findtime), (7, 60));
}
