use super::*;

fn builtin(name: &str) -> Filter {
    Filter::parse(name, &builtin::text(name).unwrap()).unwrap()
}

fn addr(f: &Filter, msg: &[u8]) -> Option<String> {
    match f.check(msg) {
        Outcome::Match(m) => Some(m.addr.to_string()),
        _ => None,
    }
}

#[test]
fn reports_address_and_rule_index() {
    let f = Filter::parse(
        "t",
        "program p\nfailregex ^a <HOST>$\nfailregex ^b <HOST>:\\d+$\n",
    )
    .unwrap();
    let want = |a: &str, rule| {
        Outcome::Match(Match {
            addr: a.parse().unwrap(),
            rule,
        })
    };
    assert_eq!(f.check(b"a 1.2.3.4"), want("1.2.3.4", 0));
    assert_eq!(f.check(b"b 2001:db8::7:54498"), want("2001:db8::7", 1));
    assert_eq!(f.check(b"a example.org"), Outcome::NoMatch);
    assert_eq!(f.check(b"c 1.2.3.4"), Outcome::NoMatch);
    assert_eq!(f.rule(1), Some("^b <HOST>:\\d+$"));
    assert_eq!(f.rule(2), None);
}

#[test]
fn ignoreregex_turns_a_match_into_ignored() {
    let f = Filter::parse("t", "failregex ^a .* <HOST>$\nignoreregex ^a trusted\n").unwrap();
    assert_eq!(f.check(b"a trusted 1.2.3.4"), Outcome::Ignored);
    assert!(matches!(f.check(b"a other 1.2.3.4"), Outcome::Match(_)));
    assert_eq!(f.check(b"a trusted"), Outcome::NoMatch);
}

#[test]
fn programs_dispatch_and_bare_messages_go_everywhere() {
    let f = Filter::parse("t", "program sshd sshd-session\nfailregex ^x <HOST>$\n").unwrap();
    assert!(f.applies_to(b"sshd") && f.applies_to(b"sshd-session") && f.applies_to(b""));
    assert!(!f.applies_to(b"dropbear") && !f.applies_to(b"sshd-"));
    let any = Filter::parse("t", "failregex ^x <HOST>$\n").unwrap();
    assert!(any.applies_to(b"anything"));
    let prefix = Filter::parse("t", "program postfix/* openvpn*\nfailregex ^x <HOST>$\n").unwrap();
    assert!(prefix.applies_to(b"postfix/smtpd") && prefix.applies_to(b"postfix/submission/smtpd"));
    assert!(prefix.applies_to(b"openvpn(server)") && prefix.applies_to(b"openvpn"));
    assert!(!prefix.applies_to(b"postfix") && !prefix.applies_to(b"postfix-script"));
    let line = |program: &'static [u8]| crate::line::Line {
        program,
        ..crate::line::Line::bare(b"x 1.2.3.4")
    };
    assert!(matches!(f.check_line(&line(b"sshd")), Outcome::Match(_)));
    assert!(matches!(f.check_line(&line(b"")), Outcome::Match(_)));
    assert_eq!(f.check_line(&line(b"dropbear")), Outcome::NoMatch);
}

#[test]
fn parse_errors_name_the_line() {
    let cases = [
        ("failregex ^a$\n", "f:1: failregex has no <HOST>"),
        (
            "\nfailregex <HOST> <HOST>\n",
            "f:2: <HOST> appears more than once",
        ),
        ("failregex ^a <HOST>\nignoreregex (\n", "f:2: bad regex: "),
        ("failregex ^a <HOST>\nbogus\n", "f:2: unknown keyword `bogus`"),
        ("program x\n", "f: no failregex"),
    ];
    for (text, want) in cases {
        let e = Filter::parse("f", text).unwrap_err().to_string();
        assert!(e.starts_with(want), "{e:?} should start with {want:?}");
    }
}

#[test]
fn user_names_cannot_frame_another_address() {
    let d = builtin("dropbear");
    let s = builtin("sshd");
    let l = builtin("luci");
    let aggressive = Options {
        mode: Mode::Aggressive,
        ..Options::default()
    };
    let sa = Filter::parse_with("sshd", &builtin::text("sshd").unwrap(), &aggressive).unwrap();
    let cases: [(&Filter, &str); 6] = [
        (&d, "Bad password attempt for 'root' from 10.0.0.1:22' from 203.0.113.9:4242"),
        (&s, "Failed password for invalid user x from 10.0.0.1 port 22 ssh2 from 203.0.113.9 port 4242 ssh2"),
        (&s, "Invalid user a from 10.0.0.1 port 1 from 203.0.113.9 port 4242"),
        (&s, "User x from 10.0.0.1 not allowed because y from 203.0.113.9 not allowed because not listed in AllowUsers"),
        (&sa, "Connection closed by invalid user a 10.0.0.1 port 1 203.0.113.9 port 4242 [preauth]"),
        (&l, "luci: failed login on /x from 10.0.0.1 for root from 10.0.0.1 from 203.0.113.9"),
    ];
    for (f, msg) in cases {
        assert_eq!(addr(f, msg.as_bytes()).as_deref(), Some("203.0.113.9"), "{msg}");
    }
    // A name that tries to end the line with a forged address leaves no real one: no match.
    assert_eq!(
        addr(&l, b"[info] luci: failed login on / for x from 10.0.0.1 from ?"),
        None
    );
    // A kex offer is client text after the address; it cannot move the capture.
    let kex = b"Unable to negotiate with 203.0.113.9 port 4242: no matching cipher found. Their offer: from 10.0.0.1 port 1";
    assert_eq!(addr(&sa, kex).as_deref(), Some("203.0.113.9"));
}

#[test]
fn invalid_utf8_neither_panics_nor_evades() {
    let d = builtin("dropbear");
    let msg = b"Bad password attempt for 'ro\xffot\xc3' from 203.0.113.9:4242";
    assert_eq!(addr(&d, msg).as_deref(), Some("203.0.113.9"));
    assert_eq!(addr(&d, b"\xff\xfe\xfd"), None);
    let long = vec![0xffu8; 5000];
    assert_eq!(d.check(&long), Outcome::NoMatch);
}

#[test]
fn random_messages_never_panic() {
    let pieces: [&[u8]; 16] = [
        b"Bad password attempt for '",
        b"' from ",
        b"203.0.113.9",
        b":4242",
        b"2001:db8::7",
        b"%eth0",
        b"[",
        b"]",
        b"\xff",
        b"\xe2\x82",
        b" port ",
        b"Failed password for ",
        b"invalid user ",
        b" ",
        b"luci: failed login on /",
        b"::ffff:1.2.3.4",
    ];
    let filters: Vec<Filter> = builtin::names().map(builtin).collect();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..3000 {
        let mut msg = Vec::new();
        for _ in 0..(x % 24) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            msg.extend_from_slice(pieces[(x % 16) as usize]);
        }
        for f in &filters {
            if let Outcome::Match(m) = f.check(&msg) {
                assert!(f.rule(m.rule).is_some());
            }
        }
    }
}

#[test]
fn a_message_longer_than_a_line_is_never_matched() {
    // Even when it ends in a well-formed failure: only whole lines yield offenders.
    let f = builtin("luci");
    let tail = " from 198.51.100.77";
    let mut msg = "luci: failed login on / for ".to_string();
    msg.push_str(&"x".repeat(crate::bytes::MAX_LINE - msg.len() - tail.len()));
    msg.push_str(tail);
    assert_eq!(addr(&f, msg.as_bytes()).as_deref(), Some("198.51.100.77"));
    let longer = msg.replacen("for x", "for xx", 1);
    assert_eq!(f.check(longer.as_bytes()), Outcome::NoMatch);
    // Invalid UTF-8 in a long message is no way around it.
    let bad = msg.replacen("for x", "for \u{ff}\u{ff}", 1).into_bytes();
    let mut bad = bad;
    bad[30] = 0xff;
    assert_eq!(f.check(&bad), Outcome::NoMatch);
}

#[test]
fn addresses_that_are_no_hosts_are_never_offenders() {
    let f = builtin("dropbear");
    for a in ["0.0.0.0", "255.255.255.255", "224.0.0.1", "240.1.2.3", "0.1.2.3"] {
        let msg = format!("Bad password attempt for 'root' from {a}:22");
        assert_eq!(addr(&f, msg.as_bytes()), None, "{a}");
    }
    for a in ["::", "ff02::1", "::ffff:0.0.0.0", "::198.51.100.77"] {
        let msg = format!("Bad password attempt for 'root' from [{a}]:22");
        assert_eq!(addr(&f, msg.as_bytes()), None, "{a}");
    }
    // The same forms with a host's address match.
    let msg = b"Bad password attempt for 'root' from [::ffff:198.51.100.77]:22";
    assert_eq!(addr(&f, msg).as_deref(), Some("198.51.100.77"));
    let msg = b"Bad password attempt for 'root' from [2001:db8::1]:22";
    assert_eq!(addr(&f, msg).as_deref(), Some("2001:db8::1"));
    let msg = b"Bad password attempt for 'root' from 1.1.2.3:22";
    assert_eq!(addr(&f, msg).as_deref(), Some("1.1.2.3"));
}

#[test]
fn modes_select_tagged_rules() {
    let text = "program p\nfailregex ^a <HOST>$\nfailregex[ddos,aggressive] ^b <HOST>$\n\
                failregex[aggressive] ^c <HOST>$\nignoreregex[aggressive] ^a 9\\.\n";
    let with = |mode| {
        Filter::parse_with(
            "t",
            text,
            &Options {
                mode,
                ..Options::default()
            },
        )
    };
    let normal = with(Mode::Normal).unwrap();
    let ddos = with(Mode::Ddos).unwrap();
    let aggressive = with(Mode::Aggressive).unwrap();
    assert_eq!(normal.modes(), [Mode::Normal, Mode::Ddos, Mode::Aggressive]);
    assert_eq!(aggressive.mode(), Mode::Aggressive);
    let got = |f: &Filter| {
        ["a 1.2.3.4", "b 1.2.3.4", "c 1.2.3.4", "a 9.9.9.9"]
            .map(|m| match f.check(m.as_bytes()) {
                Outcome::Match(_) => 'm',
                Outcome::Ignored => 'i',
                Outcome::NoMatch => '-',
            })
            .iter()
            .collect::<String>()
    };
    assert_eq!(got(&normal), "m--m");
    assert_eq!(got(&ddos), "mm-m");
    assert_eq!(got(&aggressive), "mmmi");
    assert_eq!(normal.rules().count(), 1);
    assert_eq!(aggressive.rule(2), Some("^c <HOST>$"));
}

#[test]
fn a_mode_the_filter_lacks_is_an_error() {
    let opts = Options {
        mode: Mode::Ddos,
        ..Options::default()
    };
    let e = Filter::parse_with(
        "t",
        "failregex ^a <HOST>$\nfailregex[aggressive] ^b <HOST>$\n",
        &opts,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "filter `t` has no mode `ddos` (its modes: normal, aggressive)"
    );
    let e = Filter::parse_with("t", "failregex[aggressive] ^b <HOST>$\n", &Options::default()).unwrap_err();
    assert_eq!(e.to_string(), "t: no failregex in mode `normal`");
    for name in builtin::names() {
        let f = builtin(name);
        for &m in f.modes() {
            let opts = Options {
                mode: m,
                ..Options::default()
            };
            Filter::parse_with(name, &builtin::text(name).unwrap(), &opts).unwrap();
        }
    }
}

#[test]
fn extra_program_names_reach_a_builtin() {
    let opts = Options {
        programs: vec!["ovpn-office".into(), "sshd@wan*".into()],
        ..Options::default()
    };
    let f = Filter::parse_with("t", "program sshd\nfailregex ^x <HOST>$\n", &opts).unwrap();
    assert_eq!(f.programs(), ["sshd", "ovpn-office", "sshd@wan*"]);
    assert!(f.applies_to(b"sshd") && f.applies_to(b"ovpn-office") && f.applies_to(b"sshd@wan2"));
    assert!(!f.applies_to(b"ovpn-office2") && !f.applies_to(b"dropbear"));
    let d = dispatch::Dispatch::new(core::slice::from_ref(&f));
    assert_eq!(d.filters(b"ovpn-office").count(), 1);
    let bad = Options {
        programs: vec!["ovpn office".into()],
        ..Options::default()
    };
    let e = Filter::parse_with("t", "program sshd\nfailregex ^x <HOST>$\n", &bad).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("filter `t`: program name \"ovpn office\": "),
        "{e}"
    );
    // A filter for every program stays one.
    let any = Filter::parse_with("t", "failregex ^x <HOST>$\n", &opts).unwrap();
    assert!(any.programs().is_empty() && any.applies_to(b"anything"));
}

/// A rule the backtracker runs keeps no regex-lite program until the backtracker gives up on
/// a line; then regex-lite, compiled on the spot, answers (here: a match with its host).
#[test]
fn regex_lite_answers_where_the_backtracker_gives_up() {
    let f = Filter::parse("t", "failregex ^(?:a.*.*.*.*c|a.*) from <HOST>$\n").unwrap();
    let rule = &f.fail[0];
    assert!(rule.fast.is_some(), "the backtracker runs this pattern");
    assert!(rule.regex.get().is_none(), "compiled before it was needed");
    assert_eq!(addr(&f, b"a from 198.51.100.7").as_deref(), Some("198.51.100.7"));
    assert!(rule.regex.get().is_none(), "an easy line needed regex-lite");
    let hard = format!("a{} from 198.51.100.8", "b".repeat(300));
    let program = rule.fast.as_ref().unwrap();
    assert_eq!(program.run(&hard), Verdict::GaveUp, "the line is not hard enough");
    assert_eq!(addr(&f, hard.as_bytes()).as_deref(), Some("198.51.100.8"));
    assert!(rule.regex.get().is_some_and(Option::is_some));
}

/// A rule outside the backtracker's subset has its regex-lite program from the start.
#[test]
fn a_rule_the_backtracker_cannot_run_is_compiled_at_load() {
    // `\b` (a word boundary) is outside the backtracker's subset.
    let f = Filter::parse("t", "failregex ^a\\b from <HOST>$\n").unwrap();
    let rule = &f.fail[0];
    assert!(rule.fast.is_none());
    assert!(rule.regex.get().is_some_and(Option::is_some));
    assert_eq!(addr(&f, b"a from 198.51.100.9").as_deref(), Some("198.51.100.9"));
}
