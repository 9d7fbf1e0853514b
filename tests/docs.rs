//! The documentation keeps up with the code, cheaply: the README stays a front door, every
//! configuration option is in `docs/configuration.md` and `logjail.conf(5)`, every verb and
//! flag of the built binary is in `logjail(8)`, CI runs the README's test command, and the
//! docs' relative links lead somewhere.
//!
//! Option names come from the string literals the UCI loader matches on (`"maxretry" =>` in
//! `src/config/options.rs`); verbs and flags from the binary's own `--help`, so a refactor that moves
//! code around does not break this test, and a new option or verb without docs does.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The front door's length (the shared hook warns above 250).
const README_MAX_LINES: usize = 200;
/// The user's first command; `tests/replay.rs` asserts its output.
const FIRST_COMMAND: &str = "cargo run --release -- run --dry-run --foreground -c examples/logjail.config --source - < examples/sample.log";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    let path = root().join(rel);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Roff text as a reader sees the words: `\-` is `-`, `\(aq` is `'`, font escapes dropped.
fn roff_plain(text: &str) -> String {
    text.replace("\\-", "-")
        .replace("\\(aq", "'")
        .replace("\\(dq", "\"")
        .replace("\\fB", "")
        .replace("\\fI", "")
        .replace("\\fR", "")
        .replace("\\fP", "")
}

/// Whether `word` occurs in `text` with no name character (`[A-Za-z0-9_]`) on either side.
fn has_word(text: &str, word: &str) -> bool {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(is_name) && !after.is_some_and(is_name)
    })
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// Every option name the configuration loader matches on: lines of the option tables
/// (`src/config/**/options*.rs`, tests excluded) that start with a string literal, optionally
/// `|`-joined, followed by `=>`.
fn config_names() -> BTreeSet<String> {
    let mut files = Vec::new();
    rust_files(&root().join("src/config"), &mut files);
    let mut names = BTreeSet::new();
    for file in files {
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let in_options = file.to_string_lossy().contains("options");
        if !in_options || stem == "tests" || stem.ends_with("_tests") {
            continue;
        }
        let text = fs::read_to_string(&file).expect("read source");
        for line in text.lines() {
            let Some((arm, _)) = line.trim().split_once("=>") else {
                continue;
            };
            let literals: Vec<&str> = arm.split('|').map(str::trim).collect();
            if !literals
                .iter()
                .all(|l| l.len() > 2 && l.starts_with('"') && l.ends_with('"'))
            {
                continue;
            }
            for l in literals {
                let name = &l[1..l.len() - 1];
                let ident = name.starts_with(|c: char| c.is_ascii_lowercase())
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                if ident {
                    names.insert(name.to_string());
                }
            }
        }
    }
    names
}

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_logjail"))
        .args(args)
        .output()
        .expect("run logjail");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "logjail {args:?} failed:\n{text}");
    text
}

/// The first word of each entry of a `--help` section (`Commands:`, `Options:`): entries are
/// indented by two spaces, their continuation lines by more.
fn help_entries(text: &str, section: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| l.trim() != section)
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
        .collect()
}

#[test]
fn readme_is_a_front_door() {
    let n = read("README.md").lines().count();
    assert!(
        n <= README_MAX_LINES,
        "README.md has {n} lines; keep it ≤ {README_MAX_LINES} and move reference to docs/"
    );
}

#[test]
fn every_config_option_is_documented() {
    let names = config_names();
    // Guards the scan itself: if the loader stops matching on literals, say so here rather
    // than pass on an empty list.
    for must in [
        "source",
        "maxretry",
        "bantime_max",
        "recidive_maxbans",
        "ignoreself",
    ] {
        assert!(
            names.contains(must),
            "option {must:?} not found in src/config/ by the scan; found {names:?}"
        );
    }
    let md = read("docs/configuration.md");
    let man = roff_plain(&read("docs/man/logjail.conf.5"));
    let missing_md: Vec<_> = names
        .iter()
        .filter(|n| !has_word(&md, &format!("`{n}`")))
        .collect();
    let missing_man: Vec<_> = names.iter().filter(|n| !has_word(&man, n)).collect();
    assert!(
        missing_md.is_empty(),
        "not in docs/configuration.md (as `name`): {missing_md:?}"
    );
    assert!(
        missing_man.is_empty(),
        "not in docs/man/logjail.conf.5: {missing_man:?}"
    );
}

#[test]
fn every_verb_and_flag_is_in_the_man_page() {
    let verbs = help_entries(&help(&["--help"]), "Commands:");
    for must in ["run", "check", "test", "ban"] {
        assert!(
            verbs.iter().any(|v| v == must),
            "verb {must} not found in `logjail --help`: {verbs:?}"
        );
    }
    let man = roff_plain(&read("docs/man/logjail.8"));
    let mut missing = Vec::new();
    for verb in &verbs {
        if !man.contains(&format!(".B logjail {verb}")) {
            missing.push(format!("{verb} (in the SYNOPSIS as `.B logjail {verb}`)"));
        }
        for flag in help_entries(&help(&[verb, "--help"]), "Options:") {
            let flag = flag.trim_end_matches(',');
            if flag != "--help" && !has_flag(&man, flag) {
                missing.push(format!("{verb} {flag}"));
            }
        }
    }
    assert!(missing.is_empty(), "not in docs/man/logjail.8: {missing:?}");
}

/// `--dry-run` (or `-c`) in the page, not as part of a longer flag.
fn has_flag(text: &str, flag: &str) -> bool {
    let is_flag_char = |c: char| c.is_ascii_alphanumeric() || c == '-';
    text.match_indices(flag).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + flag.len()..].chars().next();
        !before.is_some_and(is_flag_char) && !after.is_some_and(is_flag_char)
    })
}

#[test]
fn ci_runs_the_readme_test_command() {
    let readme = read("README.md");
    let ci = read(".ci/run");
    let commands: Vec<&str> = ci
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && l.contains("cargo test"))
        .collect();
    let [command] = commands.as_slice() else {
        panic!(".ci/run should run one test command; lines with `cargo test`: {commands:?}");
    };
    assert!(
        readme.lines().any(|l| l.trim() == *command),
        "README.md has no line `{command}` (the command .ci/run runs)"
    );
    assert!(
        readme.lines().any(|l| l.trim() == FIRST_COMMAND),
        "README.md lost its first command `{FIRST_COMMAND}`"
    );

    // The packages .ci/run installs are the ones the README tells a newcomer to install.
    let ci_packages: BTreeSet<&str> = ci
        .lines()
        .find_map(|l| l.trim().strip_prefix("for p in "))
        .and_then(|l| l.split(';').next())
        .expect(".ci/run has no `for p in PACKAGES; do` line")
        .split_whitespace()
        .collect();
    let readme_packages: BTreeSet<&str> = readme
        .split("apt-get install -y ")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .expect("README.md has no `apt-get install -y ...` line")
        .split_whitespace()
        .collect();
    assert_eq!(
        readme_packages, ci_packages,
        "README's apt-get line and .ci/run's packages differ"
    );
}

#[test]
fn relative_links_in_the_docs_lead_somewhere() {
    let mut pages = vec![root().join("README.md")];
    for entry in fs::read_dir(root().join("docs")).expect("docs/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|x| x == "md") {
            pages.push(path);
        }
    }
    assert!(
        pages.len() > 5,
        "docs/ should hold the reference pages: {pages:?}"
    );
    let mut broken = Vec::new();
    for page in &pages {
        let text = fs::read_to_string(page).expect("read page");
        for (i, _) in text.match_indices("](") {
            let target = text[i + 2..].split(')').next().unwrap_or("");
            let file = target.split('#').next().unwrap_or("");
            if file.is_empty() || file.contains("://") {
                continue;
            }
            let dir = page.parent().expect("page dir");
            if !dir.join(file).exists() {
                broken.push(format!("{}: {target}", page.display()));
            }
        }
    }
    assert!(broken.is_empty(), "links to missing files: {broken:?}");
}
