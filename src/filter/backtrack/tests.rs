use super::*;
use crate::filter::{builtin, host};
use regex_lite::Regex;

/// regex-lite's answer, in the same terms.
fn reference(re: &Regex, group: Option<usize>, text: &str) -> Verdict {
    let mut locs = re.capture_locations();
    match re.captures_read(&mut locs, text) {
        Some(_) => Verdict::Match(group.and_then(|g| locs.get(g))),
        None => Verdict::NoMatch,
    }
}

fn program(p: &str) -> Program {
    Program::new(p, host::GROUP).unwrap_or_else(|| panic!("{p} not compiled"))
}

#[test]
fn matches_like_regex_lite_on_small_cases() {
    let cases: &[(&str, &[&str])] = &[
        (r"^a.*b$", &["ab", "axxb", "axbxb", "a", "ba", "aé€b", "a\nb"]),
        (r"^a.+b", &["ab", "aéb", "a\nb", "axb\n", "abb"]),
        (r"^.*x(?P<logjail_host>.*)$", &["axbxc", "x", "é\nx", "xé", ""]),
        (r"^.+é.*", &["éé", "aé", "é", "\né"]),
        (
            r"^(?:ab|a)(?P<logjail_host>b*)c$",
            &["abc", "abbc", "ac", "abbbd"],
        ),
        (
            r"^x\d{1,3}(?:\.\d{1,3}){3}y",
            &["x1.2.3.4y", "x1234.1.1.1y", "x1.2.3y", "x1.2.3.4.5y"],
        ),
        (
            r"^[^']*'[\w.-]+'\s+\S*$",
            &["ab'c.d-e' x", "'' x", "é'é' \u{FFFD}", "a'b'\tc d"],
        ),
        (
            r"^(?:error: )?PAM: [A-Za-z ]+ for (?P<logjail_host>.*)$",
            &["PAM: x y for z", "error: PAM: 1 for z"],
        ),
        (r"^a?b+c*d{2}e{1,}$", &["bdde", "abbcccddeee", "adde", "bddd"]),
    ];
    for (p, texts) in cases {
        let re = Regex::new(p).unwrap();
        let g = re.capture_names().position(|n| n == Some(host::GROUP));
        let prog = program(p);
        for t in *texts {
            assert_eq!(prog.run(t), reference(&re, g, t), "{p} on {t:?}");
        }
    }
}

#[test]
fn declines_what_it_does_not_implement() {
    let host = host::PATTERN;
    assert!(Program::new(&format!("^a {host}$"), host::GROUP).is_some());
    for p in [
        "a",
        "(?i)^a",
        "^a*?",
        r"^\bx",
        "^[[:alpha:]]",
        r"^\x41",
        "^a|^b",
        r"^a\<b",
        r"^a\>",
        "^(?:a*)*",
        "^a**",
    ] {
        assert!(Program::new(p, host::GROUP).is_none(), "{p}");
    }
}

#[test]
fn odd_patterns_never_panic() {
    let patterns = [
        "^(?P<é€>a)(?P<logjail_host>b)$",
        "^(?<x>)",
        "^(?P<",
        "^[",
        "^[]",
        "^[^]",
        "^a{",
        "^a{2,",
        "^a{,2}",
        "^\\",
        "^\\é",
        "^(",
        "^)",
        "^[a-]",
        "^[-a]",
        "^[\\]-a]",
        "^é+",
        "^.{0}",
    ];
    for p in patterns {
        if let Some(prog) = Program::new(p, host::GROUP) {
            for t in ["", "a", "ab", "é€", "\u{FFFD}b"] {
                let _ = prog.run(t);
            }
        }
    }
    let prog = program("^(?P<é€>a)(?P<logjail_host>b)$");
    assert_eq!(prog.run("ab"), Verdict::Match(Some((1, 2))));
}

#[test]
fn gives_up_on_catastrophic_backtracking() {
    let prog = program(r"^(?:a|aa)(?:a|aa)(?:a|aa)(?:a|aa)(?:a|aa)(?:a|aa).*.*.*.*x$");
    let text = "a".repeat(900);
    assert_eq!(prog.run(&text), Verdict::GaveUp);
}

/// Every fixture line, and the message part of it (`\xHH` escapes read as U+FFFD).
fn fixture_texts() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("filters");
    let mut texts = Vec::new();
    for name in builtin::names() {
        let raw = std::fs::read(dir.join(format!("{name}.fixtures"))).unwrap_or_default();
        for l in String::from_utf8_lossy(&raw)
            .lines()
            .filter(|l| !l.starts_with('#'))
        {
            let line = l.split_once(' ').map_or(l, |(_, rest)| rest);
            let mut line = line.to_owned();
            while let Some(at) = line.find("\\x") {
                line.replace_range(at..(at + 4).min(line.len()), "\u{FFFD}");
            }
            let message = line
                .split_once("]: ")
                .map_or(line.as_str(), |(_, m)| m)
                .to_owned();
            texts.push(line.clone());
            texts.push(message);
        }
    }
    texts
}

/// Every rule of every built-in filter: source, regex-lite, `<HOST>` group, backtracker.
fn builtin_rules() -> Vec<(&'static str, Regex, Option<usize>, Program)> {
    let mut rules = Vec::new();
    for name in builtin::names() {
        // Leaked: a test's rules keep pointing into the filter text.
        let text: &'static str = builtin::text(name).unwrap().leak();
        let spec = super::super::format::split(name, text).unwrap();
        for p in spec.fail.iter().chain(&spec.ignore) {
            let expanded = host::expand(p.text, false).unwrap();
            let re = Regex::new(&expanded).unwrap();
            let g = re.capture_names().position(|n| n == Some(host::GROUP));
            rules.push((p.text, re, g, program(&expanded)));
        }
    }
    rules
}

/// Every built-in rule on every fixture line, its message part, and every third prefix of
/// those: the two engines must agree wherever the backtracker answers.
#[test]
fn agrees_with_regex_lite_on_every_fixture() {
    let texts = fixture_texts();
    let rules = builtin_rules();
    let mut compared = 0;
    for (src, re, g, prog) in &rules {
        for t in &texts {
            for (end, _) in t.char_indices().chain([(t.len(), ' ')]).step_by(3) {
                let t = &t[..end];
                match prog.run(t) {
                    Verdict::GaveUp => {}
                    v => {
                        assert_eq!(v, reference(re, *g, t), "{src} on {t:?}");
                        compared += 1;
                    }
                }
            }
        }
    }
    assert!(
        rules.len() >= 20 && compared > 10_000,
        "{} rules, {compared} comparisons",
        rules.len()
    );
}

/// Fixture messages with random pieces spliced in and random runs cut out, through every
/// built-in rule: the two engines must agree, on matches and near-misses alike.
#[test]
fn agrees_with_regex_lite_on_mutated_messages() {
    let pieces = [
        "' from ",
        "203.0.113.9",
        ":4242",
        "2001:db8::7",
        "%eth0",
        "[",
        "]",
        "\u{FFFD}",
        "é€",
        " port ",
        "invalid user ",
        " ",
        "ssh2",
        "::ffff:1.2.3.4",
        "<",
        ">",
        " [preauth]",
        ":",
        "1.2.3",
        "'",
        "from",
    ];
    let messages: Vec<String> = fixture_texts().into_iter().filter(|t| !t.is_empty()).collect();
    let rules = builtin_rules();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    };
    let mut matched = 0;
    for _ in 0..3000 {
        let mut msg = messages[next(messages.len())].clone();
        for _ in 0..1 + next(2) {
            let bounds: Vec<usize> = msg.char_indices().map(|(i, _)| i).chain([msg.len()]).collect();
            let i = next(bounds.len());
            if next(2) == 0 {
                msg.insert_str(bounds[i], pieces[next(pieces.len())]);
            } else {
                let j = (i + 1 + next(6)).min(bounds.len() - 1);
                msg.replace_range(bounds[i]..bounds[j], "");
            }
        }
        for (src, re, g, prog) in &rules {
            match prog.run(&msg) {
                Verdict::GaveUp => {}
                v => {
                    assert_eq!(v, reference(re, *g, &msg), "{src} on {msg:?}");
                    matched += usize::from(v != Verdict::NoMatch);
                }
            }
        }
    }
    assert!(
        matched > 200,
        "only {matched} mutated messages matched: the test exercises little"
    );
}
