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
        let f = filter::load(name, Path::new("/nonexistent")).unwrap();
        files += 1;
        let text = std::fs::read_to_string(path).unwrap();
        for (i, l) in text.lines().enumerate() {
            if l.trim().is_empty() || l.starts_with('#') {
                continue;
            }
            let (want, line) = l.split_once(' ').unwrap_or((l, ""));
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
