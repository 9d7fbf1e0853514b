//! Embeds the shipped filters: every `filters/*.filter` becomes an entry of the table
//! `BUILTIN: &[(&str, usize, usize)]` (name, start, end) in `$OUT_DIR/builtin_filters.rs`,
//! sorted by name; the texts, one after another, are packed into `$OUT_DIR/builtin_filters.lz`
//! (`src/filter/packed.rs`), and `start..end` is where each lies in the unpacked text.
//! Comment lines (first non-blank character `#`: the sources the filters cite, about
//! three quarters of their bytes) are embedded as empty lines, which the filter parser skips
//! the same way, so error messages keep their line numbers and the binary 35 KB of text.

// unpack is the library's; the build script only packs.
#[allow(dead_code)]
#[path = "src/filter/packed.rs"]
mod packed;

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("filters");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut entries: Vec<(String, String)> = Vec::new();
    if let Ok(rd) = fs::read_dir(&dir) {
        for entry in rd.flatten() {
            let path = entry.path();
            println!("cargo:rerun-if-changed={}", path.display());
            let is_filter = path.extension().is_some_and(|e| e == "filter");
            let stem = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned);
            if let (true, Some(name)) = (is_filter, stem) {
                let text = match fs::read_to_string(&path) {
                    Ok(text) => text,
                    Err(e) => panic!("reading {}: {e}", path.display()),
                };
                entries.push((name, without_comments(&text)));
            }
        }
    }
    entries.sort();
    let mut all = String::new();
    let mut out = String::from("pub static BUILTIN: &[(&str, usize, usize)] = &[\n");
    for (name, text) in &entries {
        let _ = writeln!(out, "    ({name:?}, {}, {}),", all.len(), all.len() + text.len());
        all.push_str(text);
    }
    out.push_str("];\n");
    let out_dir = env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    write(&Path::new(&out_dir).join("builtin_filters.rs"), out.as_bytes());
    write(
        &Path::new(&out_dir).join("builtin_filters.lz"),
        &packed::pack(all.as_bytes()),
    );
}

fn write(dest: &Path, bytes: &[u8]) {
    if let Err(e) = fs::write(dest, bytes) {
        panic!("writing {}: {e}", dest.display());
    }
}

/// `text` with every comment line emptied (its newline kept).
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with('#') {
            out.push_str(if line.ends_with('\n') { "\n" } else { "" });
        } else {
            out.push_str(line);
        }
    }
    out
}
