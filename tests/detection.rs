//! Detection scores: every `tests/data/detection/NAME.corpus` through the real pipeline
//! (`line::parse`, program dispatch, the built-in filter NAME in the entry's mode), with
//! per-filter recall and false counts printed and held to thresholds.
//!
//! Corpus format: one entry a line, `EXPECT[@MODE] RAW-LINE` as in `filters/*.fixtures`
//! (EXPECT is the address a jail must count, or `none` for a line that must not count; `@MODE`
//! loads the filter in that mode, default `normal`). `@source TEXT` lines name where the
//! entries below them come from (the service's source file and version range, or its
//! documentation); every entry must have one. `#` lines and blank lines are comments.
//!
//! One attempt counts once: an entry `=ADDR` is a further line of the attempt of an entry
//! before it (the same host within the companion's window, see `logjail::jail::attempt`). The
//! filter may find ADDR in it or nothing, but it must not count again; a failure entry must
//! count. Attempts are followed per file and mode, with the lines' own times.
//!
//! Each failure line is also given to every other built-in filter in its widest mode: a match
//! there is a *cross* count (a line of one program feeding another's filter).
//!
//! `LOGJAIL_CORPUS_DIR=/path` scores the `NAME.corpus` files of another directory as well (an
//! independent corpus); their scores are printed, the thresholds hold for the shipped corpus.

use logjail::filter::{self, Filter, Mode, Options, Outcome};
use logjail::jail::attempt::{Attempt, Pending, Role};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Share of failure lines that must be found with the right host, per filter.
const MIN_RECALL: f64 = 0.95;

#[derive(Default, Debug)]
struct Score {
    /// Failure lines, and how many gave the right host / another address / nothing.
    positives: usize,
    found: usize,
    wrong: usize,
    /// Lines that must not count, and how many did.
    negatives: usize,
    false_counts: usize,
    /// Matches by other filters.
    cross: usize,
    misses: Vec<String>,
}

impl Score {
    fn recall(&self) -> f64 {
        if self.positives == 0 {
            1.0
        } else {
            self.found as f64 / self.positives as f64
        }
    }
}

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

fn load(name: &str, mode: Mode) -> Filter {
    let opts = Options {
        mode,
        ..Options::default()
    };
    filter::load_with(name, Path::new("/nonexistent"), &opts)
        .unwrap_or_else(|e| panic!("{name} in mode {mode}: {e}"))
}

fn verdict(f: &Filter, raw: &[u8]) -> Option<String> {
    found(f, raw).map(|(addr, _, _)| addr)
}

/// The address a filter finds, the rule's role among one attempt's lines, and the line's time.
fn found(f: &Filter, raw: &[u8]) -> Option<(String, Role, i64)> {
    const NOW: i64 = 1_733_420_638;
    let line = logjail::line::parse(raw, NOW);
    match f.check_line(&line) {
        Outcome::Match(m) => Some((m.addr.to_string(), f.role(m.rule), line.time.unwrap_or(NOW))),
        Outcome::Ignored | Outcome::NoMatch => None,
    }
}

/// Scores every corpus file of `dir`: filter name → score; panics on a malformed file.
fn score_dir(dir: &Path, require_sources: bool) -> BTreeMap<String, Score> {
    let names: Vec<&str> = filter::builtin::names().collect();
    let widest: Vec<Filter> = names
        .iter()
        .map(|n| load(n, *load(n, Mode::Normal).modes().last().unwrap()))
        .collect();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "corpus"))
        .collect();
    paths.sort();
    let mut scores = BTreeMap::new();
    for path in paths {
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        assert!(
            names.contains(&name.as_str()),
            "{}: no built-in filter {name}",
            path.display()
        );
        let mut by_mode: BTreeMap<&str, Filter> = BTreeMap::new();
        let mut per_mode: BTreeMap<String, Score> = BTreeMap::new();
        // Per mode and host, the attempt its last companion line opened.
        let mut attempts: BTreeMap<(String, String), Pending> = BTreeMap::new();
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let mut source = false;
        for (i, l) in text.lines().enumerate() {
            let at = format!("{}:{}", path.display(), i + 1);
            if l.starts_with("@source ") {
                source = true;
                continue;
            }
            if l.trim().is_empty() || l.starts_with('#') {
                continue;
            }
            assert!(
                source || !require_sources,
                "{at}: entry without an @source line above it"
            );
            let (token, line) = l.split_once(' ').unwrap_or((l, ""));
            let (want, mode) = match token.split_once('@') {
                Some((w, m)) => (w, m),
                None => (token, "normal"),
            };
            if want == "nohost" {
                continue;
            }
            let m: Mode = mode.parse().unwrap_or_else(|e| panic!("{at}: {e}"));
            if !require_sources && !load(&name, Mode::Normal).modes().contains(&m) {
                continue; // an independent corpus may test modes our filter does not have
            }
            let f = by_mode.entry(mode).or_insert_with(|| load(&name, m));
            let raw = unescape(line);
            let hit = found(f, &raw);
            let key = match mode {
                "normal" => name.clone(),
                _ => format!("{name}@{mode}"),
            };
            let counted = hit.as_ref().map(|(addr, role, time)| {
                let p = attempts.entry((key.clone(), addr.clone())).or_default();
                p.judge(*role, *time) == Attempt::New
            });
            let got = hit.map(|(addr, _, _)| addr);
            let s = per_mode.entry(key).or_default();
            if let Some(same) = want.strip_prefix('=') {
                // A further line of one attempt: the same host or none, and not counted again.
                s.negatives += 1;
                match (&got, counted) {
                    (Some(g), _) if g != same => {
                        s.wrong += 1;
                        s.misses.push(format!("{at}: WRONG {g} (want ={same}) | {line}"));
                    }
                    (Some(g), Some(true)) => {
                        s.false_counts += 1;
                        s.misses.push(format!("{at}: COUNTED AGAIN {g}@{mode} | {line}"));
                    }
                    _ => {}
                }
                continue;
            }
            let positive = want != "none" && want != "ignored";
            if positive {
                s.positives += 1;
                match &got {
                    Some(g) if g == want && counted == Some(false) => {
                        s.misses
                            .push(format!("{at}: SAME ATTEMPT (want a new one) | {line}"));
                    }
                    Some(g) if g == want => s.found += 1,
                    Some(g) => {
                        s.wrong += 1;
                        s.misses.push(format!("{at}: WRONG {g} (want {want}) | {line}"));
                    }
                    None => s.misses.push(format!("{at}: MISS (want {want}@{mode}) | {line}")),
                }
            } else {
                s.negatives += 1;
                if let Some(g) = got {
                    s.false_counts += 1;
                    s.misses.push(format!("{at}: FALSE {g}@{mode} | {line}"));
                }
            }
            // A failure line of this service: no other filter may count it.
            for other in widest.iter().filter(|o| positive && o.name() != name) {
                if let Some(g) = verdict(other, &raw) {
                    s.cross += 1;
                    s.misses
                        .push(format!("{at}: CROSS {} gives {g} | {line}", other.name()));
                }
            }
        }
        scores.extend(per_mode);
    }
    scores
}

fn table(title: &str, scores: &BTreeMap<String, Score>) -> String {
    let mut out = format!("\n{title}\n");
    let _ = writeln!(
        out,
        "{:<16} {:>9} {:>7} {:>6} {:>9} {:>6} {:>6}",
        "filter", "failures", "found", "wrong", "recall", "false", "cross"
    );
    for (name, s) in scores {
        let _ = writeln!(
            out,
            "{:<16} {:>9} {:>7} {:>6} {:>8.1}% {:>6} {:>6}",
            name,
            s.positives,
            s.found,
            s.wrong,
            100.0 * s.recall(),
            s.false_counts,
            s.cross
        );
    }
    for s in scores.values() {
        for m in &s.misses {
            let _ = writeln!(out, "  {m}");
        }
    }
    out
}

#[test]
fn detection_scores_hold_per_filter() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/detection");
    let scores = score_dir(&dir, true);
    println!("{}", table("shipped corpus (tests/data/detection)", &scores));
    if let Some(extra) = std::env::var_os("LOGJAIL_CORPUS_DIR") {
        let extra = PathBuf::from(extra);
        let title = format!("independent corpus ({})", extra.display());
        println!("{}", table(&title, &score_dir(&extra, false)));
    }
    let missing: Vec<_> = filter::builtin::names()
        .filter(|n| !scores.contains_key(*n))
        .collect();
    assert!(
        missing.is_empty(),
        "built-in filters without a corpus: {missing:?}"
    );
    let mut failed = Vec::new();
    for (name, s) in &scores {
        if !name.contains('@') && (s.positives < 5 || s.negatives < 2) {
            failed.push(format!(
                "{name}: only {} failure and {} other lines",
                s.positives, s.negatives
            ));
        }
        if s.recall() < MIN_RECALL || s.wrong > 0 || s.false_counts > 0 || s.cross > 0 {
            failed.push(format!(
                "{name}: recall {:.1}% (min {:.0}%), {} wrong, {} false, {} cross",
                100.0 * s.recall(),
                100.0 * MIN_RECALL,
                s.wrong,
                s.false_counts,
                s.cross
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
