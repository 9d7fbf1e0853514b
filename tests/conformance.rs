//! sshguard's parser corpus (`shared/conformance/sshguard-parser-tests.txt`, format in
//! `shared/README.md`) against every built-in filter that covers one of its services, through
//! the real pipeline: `line::parse`, program dispatch, `Filter::check`. [`SERVICES`] maps
//! sshguard's service codes to our filters; entries marked `*` (no attack) in a section must
//! give no match from that section's filters. Services the corpus has and no filter covers are
//! counted and printed, not tested.
//!
//! Filters run in mode `normal`; an attack entry that only a wider mode finds (`ddos`,
//! `aggressive`: see `docs/filters.md`) agrees "in that mode" and is printed as such.
//!
//! Every disagreement must be listed in [`KNOWN`] with its reason, so the test fails on a
//! regression and on a new corpus entry nobody looked at; an entry that starts to agree (say,
//! when `line.rs` learns a format) is fine.

mod support;

use logjail::filter::{self, Filter, Mode, Options, Outcome};
use std::io::Write as _;
use std::path::Path;

/// Prints to standard error directly: libtest captures `eprintln!`, and the table should show
/// in every `cargo test` run, not only with `--nocapture`.
macro_rules! say {
    ($($t:tt)*) => {
        let _ = writeln!(std::io::stderr(), $($t)*);
    };
}

const CORPUS: &str = "conformance/sshguard-parser-tests.txt";

/// sshguard service code, the filter that covers it.
const SERVICES: &[(&str, &str)] = &[
    ("100", "sshd"),
    ("101", "dropbear"),
    ("210", "dovecot"),
    ("260", "postfix-sasl"),
    ("310", "proftpd"),
    ("330", "vsftpd"),
    ("400", "openvpn"),
    ("410", "openvpn"),
];

/// Corpus section (top level, or the mail/ftp sub-section), the filters its `*` entries must
/// not match.
const NEGATIVE: &[(&str, &[&str])] = &[
    ("SSH", &["sshd"]),
    ("Dropbear", &["dropbear"]),
    ("Mail", &["dovecot", "postfix-sasl"]),
    ("FTP", &["proftpd", "vsftpd"]),
    ("OpenVPN", &["openvpn"]),
    (
        "Web",
        &["nginx-http-auth", "nginx-limit-req", "lighttpd-auth", "luci"],
    ),
];

/// Deliberate differences: a fragment of the corpus line, and why.
const KNOWN: &[(&str, &str)] = &[
    // Filter decisions (see the headers of filters/dropbear.filter and filters/sshd.filter).
    (
        "Exited normally",
        "dropbear: a client that left without a failed attempt",
    ),
    (
        "Error reading: Connection reset",
        "dropbear: a client that left without a failed attempt",
    ),
    (
        "Connection closed by 66.240.236.119 [preauth]",
        "sshd: left before trying (scanner, keyscan)",
    ),
    (
        "Connection closed by 2001:db8::a11:beef:7ac0 [preauth]",
        "sshd: left before trying",
    ),
    (
        "Disconnected from 1.2.3.4 port 30761 [preauth]",
        "sshd: left before trying",
    ),
    (
        "Failed XYZ for XYZ",
        "sshd: not a method sshd prints (the privsep monitor logs its own names); the filter counts by method (publickey: aggressive, keyboard-interactive/pam: via the PAM line)",
    ),
    (
        "Received disconnect from",
        "sshd: a client leaving before authentication counts in normal mode (issue 14: after failed attempts, or a probe); sshguard scores no disconnect",
    ),
    (
        "Timeout before authentication for connection",
        "FreeBSD patch, not OpenSSH",
    ),
    // Filter decisions for the services added with the filter library: each filter matches
    // authentication failures only (see the filter headers), where sshguard also scores other
    // misbehaviour of the same daemon.
    (
        "non-SMTP command from",
        "postfix-sasl: a protocol error, not an authentication failure",
    ),
    (
        "lost connection after",
        "postfix-sasl: a client that left; its failed AUTH has its own line",
    ),
    ("postgrey[", "postfix-sasl: greylisting, not authentication"),
    (
        "postfix/postscreen[",
        "postfix-sasl: postscreen's pre-greeting tests, not authentication",
    ),
    (
        "XYZ no such user XYZ",
        "proftpd: not mod_auth.c's shape (\"(NAME[ADDR]) - USER x: no such user found from\")",
    ),
    (
        "XYZ FAIL LOGIN: Client",
        "vsftpd: logging.c writes \"[USER] \" (and in its file the date and \"[pid N] \") first; anchored on it",
    ),
    (
        "port-share-redirect",
        "openvpn: a non-VPN client handed to the port-share server, not a failure",
    ),
    // Line formats line.rs does not split into program and message (no program, so the whole
    // line is the message and the anchored failregex does not match it).
    (
        "2015-05-27T04:31:27.46667 auth.info: Invalid user",
        "svlogd TAI64 + `auth.info:` program",
    ),
    (
        "2015-05-27T04:31:28.10040 auth.info:",
        "svlogd TAI64 + `auth.info:` program",
    ),
    (
        "2018-06-26 13:22:02.108781500 Failed password",
        "no program at all",
    ),
    (
        "2018-12-20 10:09:05.180218+0000 localhost",
        "`YYYY-MM-DD hh:mm:ss` timestamp",
    ),
    (
        "2020-05-29T11:28:56.058908+02:00 bastion sshd[20974] error",
        "no `:` after sshd[PID]",
    ),
    (
        "May 9 11:11:17 sshd[30876]",
        "RFC 3164 without host, unpadded day",
    ),
    ("Jan  1 00:00:00 <10.5> foxtrot", "priority in the middle"),
    (
        "2022-02-24T21:00:42.021457+00:00 evse dropbear 6052 - -",
        "RFC 5424 without `<PRI>1`",
    ),
];

struct Entry {
    line: String,
    /// `None` for "must not match".
    addr: Option<String>,
    /// The filter that must give `addr`.
    service: &'static str,
}

/// The entries our filters cover, and per sshguard service code the number of entries no
/// filter covers.
fn entries(text: &str) -> (Vec<Entry>, Vec<(String, usize)>) {
    let mut sections: Vec<String> = Vec::new();
    let mut body = Vec::new();
    for l in text.lines() {
        if let Some(c) = l.strip_prefix('#') {
            let c = c.trim_start_matches('#').trim();
            if let Some(name) = c.strip_suffix("{{{") {
                sections.push(name.trim().to_owned());
            } else if c.starts_with("}}}") || c.ends_with("}}}") {
                sections.pop();
            }
            continue;
        }
        if !l.trim().is_empty() {
            body.push((l, sections.first().cloned().unwrap_or_default()));
            // The FTP section closes on its last `M` line: "M }}}".
            if l.contains("}}}") {
                sections.pop();
            }
        }
    }
    assert_eq!(body.len() % 3, 0, "corpus is not in triples");
    let mut out = Vec::new();
    let mut uncovered: Vec<(String, usize)> = Vec::new();
    for t in body.chunks(3) {
        let ((line, section), (expect, _), (m, _)) = (&t[0], &t[1], &t[2]);
        assert!(m.starts_with('M'), "triple for {line:?} does not end in M");
        let f: Vec<&str> = expect.split_whitespace().collect();
        match f.as_slice() {
            ["*"] => {
                let filters = NEGATIVE.iter().find(|(s, _)| s == section);
                for service in filters.map_or(&[][..], |(_, f)| f) {
                    out.push(Entry {
                        line: line.to_string(),
                        addr: None,
                        service,
                    });
                }
            }
            [code, a, ..] => match SERVICES.iter().find(|(c, _)| c == code) {
                Some((_, service)) => out.push(Entry {
                    line: line.to_string(),
                    addr: Some(a.to_string()),
                    service,
                }),
                None => match uncovered.iter_mut().find(|(c, _)| c == code) {
                    Some((_, n)) => *n += 1,
                    None => uncovered.push((code.to_string(), 1)),
                },
            },
            _ => {}
        }
    }
    (out, uncovered)
}

fn verdict(f: &Filter, raw: &str) -> Option<String> {
    match f.check_line(&logjail::line::parse(raw.as_bytes(), 1_733_420_638)) {
        Outcome::Match(m) => Some(m.addr.to_string()),
        _ => None,
    }
}

#[test]
fn sshguard_corpus_agreement() {
    // Missing is a failure, not a skip: without its corpus this test cannot fail.
    let path = support::shared_dir(CORPUS);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (entries, uncovered) = entries(&text);
    let dir = Path::new("/nonexistent");
    say!("conformance against {}", path.display());
    say!(
        "{:<16} {:>7} {:>7} {:>8}",
        "service",
        "entries",
        "agree",
        "percent"
    );
    let mut unexplained = Vec::new();
    let mut services: Vec<&str> = SERVICES.iter().map(|(_, f)| *f).collect();
    services.extend(NEGATIVE.iter().flat_map(|(_, f)| f.iter().copied()));
    services.dedup();
    let mut seen = Vec::new();
    for service in services {
        if seen.contains(&service) {
            continue;
        }
        seen.push(service);
        let f = filter::load(service, dir).unwrap();
        let widest = *f.modes().last().unwrap();
        let wide = Options {
            mode: widest,
            ..Options::default()
        };
        let w = filter::load_with(service, dir, &wide).unwrap();
        let mine: Vec<&Entry> = entries.iter().filter(|e| e.service == service).collect();
        let mut agree = 0;
        let mut differ = Vec::new();
        let mut known = Vec::new();
        for e in &mine {
            let want = e
                .addr
                .as_ref()
                .map(|a| a.parse::<std::net::IpAddr>().unwrap().to_string());
            let got = verdict(&f, &e.line);
            if got == want {
                agree += 1;
                continue;
            }
            if want.is_some() && widest != Mode::Normal && verdict(&w, &e.line) == want {
                agree += 1;
                known.push(format!("  found in mode {widest} only: {}", e.line));
                continue;
            }
            match KNOWN.iter().find(|(frag, _)| e.line.contains(frag)) {
                Some((_, why)) => {
                    known.push(format!("  known ({why}): want {want:?}, got {got:?}: {}", e.line))
                }
                None => differ.push(format!("want {want:?}, got {got:?}: {}", e.line)),
            }
        }
        let pct = 100.0 * agree as f64 / mine.len().max(1) as f64;
        say!("{service:<16} {:>7} {agree:>7} {pct:>7.1}%", mine.len());
        for k in known.iter().chain(&differ) {
            say!("{k}");
        }
        assert!(!mine.is_empty(), "no {service} entries in the corpus");
        unexplained.extend(differ.into_iter().map(|d| format!("{service}: {d}")));
    }
    for (code, n) in &uncovered {
        say!("sshguard service {code}: {n} entries, no filter covers it");
    }
    assert!(
        unexplained.is_empty(),
        "disagreements not in KNOWN:\n{}",
        unexplained.join("\n")
    );
}
