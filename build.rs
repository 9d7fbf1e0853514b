//! Embeds the shipped filters: every `filters/*.filter` becomes an entry of the table
//! `BUILTIN: &[(&str, &str)]` (name, text) in `$OUT_DIR/builtin_filters.rs`, sorted by name.

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
                entries.push((name, path.display().to_string()));
            }
        }
    }
    entries.sort();
    let mut out = String::from("pub static BUILTIN: &[(&str, &str)] = &[\n");
    for (name, path) in &entries {
        let _ = writeln!(out, "    ({name:?}, include_str!({path:?})),");
    }
    out.push_str("];\n");
    let out_dir = env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    let dest = Path::new(&out_dir).join("builtin_filters.rs");
    if let Err(e) = fs::write(&dest, out) {
        panic!("writing {}: {e}", dest.display());
    }
}
