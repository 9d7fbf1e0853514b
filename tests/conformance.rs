//! sshguard's parser corpus (`shared/conformance/sshguard-parser-tests.txt`, format in
//! `shared/README.md`) against the built-in `sshd` (service 100) and `dropbear` (101) filters,
//! through the real pipeline: `line::parse`, program dispatch, `Filter::check`. Entries marked
//! `*` (no attack) in the SSH and Dropbear sections must give no match.
//!
//! Every disagreement must be listed in [`KNOWN`] with its reason, so the test fails on a
//! regression and on a new corpus entry nobody looked at; an entry that starts to agree (say,
//! when `line.rs` learns a format) is fine.

use logjail::filter::{self, Filter, Outcome};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Prints to standard error directly: libtest captures `eprintln!`, and the table should show
/// in every `cargo test` run, not only with `--nocapture`.
macro_rules! say {
    ($($t:tt)*) => {
        let _ = writeln!(std::io::stderr(), $($t)*);
    };
}

const CORPUS: &str = "conformance/sshguard-parser-tests.txt";

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
        "Change of username or service not allowed",
        "sshd: client text after the address",
    ),
    (
        "Timeout before authentication for connection",
        "FreeBSD patch, not OpenSSH",
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

fn corpus() -> Option<PathBuf> {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(CORPUS);
    let fixed = Path::new("/work/shared").join(CORPUS);
    [beside, fixed].into_iter().find(|p| p.is_file())
}

struct Entry {
    line: String,
    /// `None` for "must not match".
    addr: Option<String>,
    service: &'static str,
}

/// The entries for sshd and dropbear, with the section each `*` entry sits in.
fn entries(text: &str) -> Vec<Entry> {
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
        }
    }
    assert_eq!(body.len() % 3, 0, "corpus is not in triples");
    let mut out = Vec::new();
    for t in body.chunks(3) {
        let ((line, section), (expect, _), (m, _)) = (&t[0], &t[1], &t[2]);
        assert!(m.starts_with('M'), "triple for {line:?} does not end in M");
        let f: Vec<&str> = expect.split_whitespace().collect();
        let (service, addr) = match f.as_slice() {
            ["100", a, ..] => ("sshd", Some(a.to_string())),
            ["101", a, ..] => ("dropbear", Some(a.to_string())),
            ["*"] if section == "SSH" => ("sshd", None),
            ["*"] if section == "Dropbear" => ("dropbear", None),
            _ => continue,
        };
        out.push(Entry {
            line: line.to_string(),
            addr,
            service,
        });
    }
    out
}

fn verdict(f: &Filter, raw: &str) -> Option<String> {
    match f.check_line(&logjail::line::parse(raw.as_bytes(), 1_733_420_638)) {
        Outcome::Match(m) => Some(m.addr.to_string()),
        _ => None,
    }
}

#[test]
fn sshguard_corpus_agreement() {
    let Some(path) = corpus() else {
        say!("conformance: {CORPUS} not found beside the repository or in /work/shared; skipped");
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let entries = entries(&text);
    let dir = Path::new("/nonexistent");
    say!("conformance against {}", path.display());
    say!(
        "{:<10} {:>7} {:>7} {:>8}",
        "service",
        "entries",
        "agree",
        "percent"
    );
    let mut unexplained = Vec::new();
    for service in ["sshd", "dropbear"] {
        let f = filter::load(service, dir).unwrap();
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
            match KNOWN.iter().find(|(frag, _)| e.line.contains(frag)) {
                Some((_, why)) => {
                    known.push(format!("  known ({why}): want {want:?}, got {got:?}: {}", e.line))
                }
                None => differ.push(format!("want {want:?}, got {got:?}: {}", e.line)),
            }
        }
        let pct = 100.0 * agree as f64 / mine.len().max(1) as f64;
        say!("{service:<10} {:>7} {agree:>7} {pct:>7.1}%", mine.len());
        for k in known.iter().chain(&differ) {
            say!("{k}");
        }
        assert!(!mine.is_empty(), "no {service} entries in the corpus");
        unexplained.extend(differ.into_iter().map(|d| format!("{service}: {d}")));
    }
    assert!(
        unexplained.is_empty(),
        "disagreements not in KNOWN:\n{}",
        unexplained.join("\n")
    );
}
