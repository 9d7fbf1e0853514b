//! Every `filters/NAME.fixtures` entry through the real pipeline: `line::parse`, program
//! dispatch, `Filter::check` of the built-in filter NAME. Format: see `filters/dropbear.fixtures`.

use logjail::filter::{self, Filter, Outcome};
use std::path::Path;

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
    let line = logjail::line::parse(raw, 1_733_420_638);
    if !f.applies_to(line.program) {
        return "none".into();
    }
    match f.check(line.message) {
        Outcome::Match(m) => m.addr.to_string(),
        Outcome::Ignored => "ignored".into(),
        Outcome::NoMatch => "none".into(),
    }
}

/// True while `line.rs` is still the stub that treats every line as a bare message.
fn line_parser_is_stub() -> bool {
    logjail::line::parse(b"Nov 24 10:00:01 host sshd[1]: x", 0)
        .program
        .is_empty()
}

fn has_log_prefix(line: &str) -> bool {
    let names = [
        "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
        "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    names.iter().any(|n| line.starts_with(&format!("{n} ")))
}

#[test]
fn every_fixture_gives_the_expected_address() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("filters");
    let stub = line_parser_is_stub();
    let mut failures = Vec::new();
    let (mut checked, mut skipped, mut files) = (0, 0, 0);
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
        let f = filter::load(name, Path::new("/nonexistent")).unwrap();
        files += 1;
        let text = std::fs::read_to_string(path).unwrap();
        for (i, l) in text.lines().enumerate() {
            if l.trim().is_empty() || l.starts_with('#') {
                continue;
            }
            let (want, line) = l.split_once(' ').unwrap_or((l, ""));
            if stub && has_log_prefix(line) {
                skipped += 1;
                continue;
            }
            checked += 1;
            let got = verdict(&f, &unescape(line));
            if got != want {
                failures.push(format!(
                    "{}:{}: want {want}, got {got}: {line}",
                    path.display(),
                    i + 1
                ));
            }
        }
    }
    eprintln!("fixtures: {files} files, {checked} entries checked, {skipped} skipped (line.rs stub)");
    assert!(
        files >= 3 && checked >= 40,
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
