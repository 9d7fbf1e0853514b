//! The router builds compile `Debug` out: `cross/env.sh` passes `-Zfmt-debug=none`, which
//! makes every `{:?}` write nothing (12.6 KB of MIPS code, docs/size.md). A message that
//! formats a value with `{:?}` would lose that value on the router and keep it in tests, so no
//! shipped code may: names from outside are quoted with `bytes::Quoted`, errno values are
//! written through `std::io::Error` (nix's `Display` for `Errno` is `{:?}: desc`).
//!
//! The scan reads every file under `src/` up to its first `#[cfg(test)]`, leaving out the test
//! files (`tests*.rs`, `*_tests.rs`) and comment lines.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("src/ is readable") {
        let p = e.expect("a directory entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn is_test_file(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.starts_with("tests") || name.ends_with("_tests.rs")
}

/// `(line number, line)` of each `{…?}` placeholder in the shipped part of `text`.
fn debug_placeholders(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        if line.trim_start().starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else { break };
            let inner = &after[..close];
            if !inner.contains('{') && inner.ends_with('?') && !inner.contains(' ') {
                found.push((i + 1, line.trim().to_string()));
                break;
            }
            rest = &after[close + 1..];
        }
    }
    found
}

#[test]
fn no_shipped_code_formats_with_debug() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        files.len() > 50,
        "only {} files under {}",
        files.len(),
        src.display()
    );
    let mut bad = Vec::new();
    for f in files.iter().filter(|f| !is_test_file(f)) {
        let text = std::fs::read_to_string(f).expect("a source file");
        for (n, line) in debug_placeholders(&text) {
            bad.push(format!("{}:{n}: {line}", f.display()));
        }
    }
    assert!(
        bad.is_empty(),
        "release builds print nothing for {{:?}} (-Zfmt-debug=none); use Display:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_router_builds_compile_debug_out() {
    let env = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("cross/env.sh"))
        .expect("cross/env.sh");
    assert!(
        env.contains("-Zfmt-debug=none"),
        "cross/env.sh no longer passes -Zfmt-debug=none"
    );
}

#[test]
fn the_scan_sees_each_form_of_placeholder() {
    let shipped = "let a = format!(\"{x:?}\");\nlog::info!(\"{:?} {}\", y, z);\n\
                   write!(f, \"{:#?}\", w);\nlet b = format!(\"{v:>8?}\");\n\
                   // a comment {c:?}\nlet ok = format!(\"{{}} {}\", q);\n\
                   #[cfg(test)]\nassert!(t, \"{t:?}\");\n";
    let lines: Vec<usize> = debug_placeholders(shipped).into_iter().map(|(n, _)| n).collect();
    assert_eq!(lines, [1, 2, 3, 4]);
}
