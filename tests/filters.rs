//! Every `filters/NAME.fixtures` entry through the real pipeline: `line::parse`, program
//! dispatch, `Filter::check` of the built-in filter NAME. Format: see `filters/dropbear.fixtures`.
//! An expectation `EXPECT@MODE` is checked with the filter loaded in that mode (`none@normal`,
//! `203.0.113.9@aggressive`); a plain `EXPECT` in mode `normal`.

use logjail::filter::{self, Filter, Mode, Options, Outcome};
use std::path::Path;

/// The built-in filter `name` in `mode`.
fn builtin(name: &str, mode: Mode) -> Filter {
    let opts = Options {
        mode,
        ..Options::default()
    };
    filter::load_with(name, Path::new("/nonexistent"), &opts)
        .unwrap_or_else(|e| panic!("{name} in mode {mode}: {e}"))
}

/// `EXPECT@MODE` into the expectation and the mode.
fn expectation(token: &str) -> (&str, Mode) {
    match token.split_once('@') {
        Some((want, mode)) => (want, mode.parse().unwrap_or_else(|e| panic!("{token}: {e}"))),
        None => (token, Mode::Normal),
    }
}

/// Decodes `\xHH` and `\\` in a fixture line.
fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else if b[i] == b'\\' && b.get(i + 1) == Some(&b'x') && i + 4 <= b.len() {
            let hex = std::str::from_utf8(&b[i + 2..i + 4]).expect("hex digits");
            out.push(u8::from_str_radix(hex, 16).expect("\\xHH"));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// What the pipeline says about one raw line, in fixture terms.
fn verdict(f: &Filter, raw: &[u8]) -> String {
    match f.check_line(&logjail::line::parse(raw, 1_733_420_638)) {
        Outcome::Match(m) => m.addr.to_string(),
        Outcome::Ignored => "ignored".into(),
        Outcome::NoMatch => "none".into(),
    }
}

#[test]
fn every_fixture_gives_the_expected_address() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("filters");
    let mut failures = Vec::new();
    let (mut checked, mut files) = (0, 0);
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "fixtures"))
    {
        let name = path.file_stem().unwrap().to_str().unwrap();
        let modes: Vec<(Mode, Filter)> = builtin(name, Mode::Normal)
            .modes()
            .iter()
            .map(|&m| (m, builtin(name, m)))
            .collect();
        files += 1;
        let text = std::fs::read_to_string(path).unwrap();
        for (i, l) in text.lines().enumerate() {
            if l.trim().is_empty() || l.starts_with('#') {
                continue;
            }
            let (token, line) = l.split_once(' ').unwrap_or((l, ""));
            let (want, mode) = expectation(token);
            let Some((_, f)) = modes.iter().find(|(m, _)| *m == mode) else {
                failures.push(format!("{}:{}: {name} has no mode {mode}", path.display(), i + 1));
                continue;
            };
            checked += 1;
            let got = verdict(f, &unescape(line));
            if got != want {
                failures.push(format!(
                    "{}:{}: want {want}, got {got}: {line}",
                    path.display(),
                    i + 1
                ));
            }
        }
    }
    assert!(
        files >= 3 && checked >= 100,
        "too few fixtures: {files} files, {checked} entries"
    );
    assert!(
        failures.is_empty(),
        "{} fixture(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_builtin_filter_has_fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("filters");
    for name in filter::builtin::names() {
        let p = dir.join(format!("{name}.fixtures"));
        assert!(p.is_file(), "built-in filter {name} has no {}", p.display());
    }
}

/// Every line a fixture file expects an address from is another service's line to every other
/// filter: no other built-in filter may match it (bare lines reach every filter, so a loose
/// pattern would ban on another service's message).
#[test]
fn no_filter_matches_another_services_lines() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("filters");
    let names: Vec<&str> = filter::builtin::names().collect();
    // Every filter in its widest mode: no mode may reach another service's lines.
    let filters: Vec<Filter> = names
        .iter()
        .map(|n| {
            let widest = *builtin(n, Mode::Normal).modes().last().unwrap();
            builtin(n, widest)
        })
        .collect();
    let mut crossed = Vec::new();
    let mut checked = 0;
    for name in &names {
        let text = std::fs::read_to_string(dir.join(format!("{name}.fixtures"))).unwrap();
        for l in text.lines().filter(|l| !l.starts_with('#')) {
            let Some((token, line)) = l.split_once(' ') else {
                continue;
            };
            let (want, _) = expectation(token);
            if want == "none" || want == "ignored" {
                continue;
            }
            let raw = unescape(line);
            for other in filters.iter().filter(|f| f.name() != *name) {
                checked += 1;
                let got = verdict(other, &raw);
                if got != "none" {
                    crossed.push(format!("{} gives {got} on a {name} line: {line}", other.name()));
                }
            }
        }
    }
    assert!(checked > 1000, "only {checked} cross checks");
    assert!(crossed.is_empty(), "{}", crossed.join("\n"));
}

/// Injection fixtures (issue 10) write 198.51.100.77 into a field the client controls (a user
/// name, password, URL, SIP header, key id, client id): it is never the server's address for
/// the line, so no fixture may expect it, and every built-in filter must have such fixtures.
#[test]
fn injected_address_is_never_the_offender() {
    const INJECTED: &str = "198.51.100.77";
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("filters");
    let mut missing = Vec::new();
    for name in filter::builtin::names() {
        let text = std::fs::read_to_string(dir.join(format!("{name}.fixtures"))).unwrap();
        let mut injections = 0;
        for (i, l) in text.lines().enumerate() {
            if l.starts_with('#') || !l.contains(INJECTED) {
                continue;
            }
            let (token, _) = l.split_once(' ').unwrap_or((l, ""));
            let (want, _) = expectation(token);
            assert_ne!(
                want,
                INJECTED,
                "{name}.fixtures:{}: expects the injected address",
                i + 1
            );
            injections += 1;
        }
        if injections < 2 {
            missing.push(format!("{name} ({injections})"));
        }
    }
    assert!(
        missing.is_empty(),
        "built-in filters with fewer than 2 injection fixtures ({INJECTED} in a client field): {}",
        missing.join(", ")
    );
}
