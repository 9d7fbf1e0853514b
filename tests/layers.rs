//! Layers without cycles, checked by reading `src/`: the pure core (line, filter, jail,
//! engine, netlink wire, configuration, the state snapshot and firewall seam types) never
//! names the OS shell (event loop and verbs, sources, sockets, files, `sys`, logging, clock
//! reads), and the core's top-level modules import each other without a cycle.
//!
//! Paths are read from `use` statements (braces expanded) and from `crate::`/`super::` paths
//! in code; test modules are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Files (relative to `src/`) or directories (ending in `/`) of the pure core.
const CORE: &[&str] = &[
    "addr.rs",
    "bytes.rs",
    "json_object.rs",
    "addrwatch/tracker.rs",
    "line/",
    "filter/",
    "jail/",
    "engine/",
    "netlink/attr.rs",
    "netlink/batch.rs",
    "netlink/expr.rs",
    "netlink/header.rs",
    "netlink/msg.rs",
    "netlink/reply.rs",
    "netlink/route.rs",
    "netlink/elems.rs",
    "config/mod.rs",
    "config/error.rs",
    "config/options.rs",
    "config/options/",
    "config/crowdsec.rs",
    "lapi/",
    "config/uci.rs",
    "config/value.rs",
    "state/mod.rs",
    "firewall/mod.rs",
];

/// Paths of the shell: a core file naming one of these (or anything under it) is an upward
/// import. `crate::logging::TAG` (the syslog tag, a word of the vocabulary) and
/// `crate::clock::Now` (the clocks' value type) are allowed; reading a clock is not.
const SHELL: &[&str] = &[
    "crate::cmd",
    "crate::addrwatch::AddrWatch",
    "crate::addrwatch::snapshot",
    "crate::cli",
    "crate::control",
    "crate::source",
    "crate::sys",
    "crate::logging",
    "crate::state::file",
    "crate::state::keeper",
    "crate::firewall::nft",
    "crate::firewall::dryrun",
    "crate::netlink::socket",
    "crate::netlink::conn",
    "crate::config::selfaddr",
    "crate::clock::wall",
    "crate::clock::mono_ms",
    "crate::clock::Now::read",
];
const ALLOWED: &[&str] = &["crate::logging::TAG", "crate::clock::Now"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read src") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `line/mod.rs` → `["line"]`, `line/time.rs` → `["line", "time"]`, `addr.rs` → `["addr"]`.
fn module_of(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel.trim_end_matches(".rs").split('/').map(String::from).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The file without its test modules and comments.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests {") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Expands `a::{b, c::{d, e}}` into `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str, out: &mut Vec<String>) {
    let tree: String = tree
        .replace(" as ", "@")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let Some(open) = tree.find('{') else {
        out.push(tree.split('@').next().unwrap_or(&tree).to_string());
        return;
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut depth = 0;
    let mut start = 0;
    let bytes: Vec<char> = inner.chars().collect();
    let mut items = Vec::new();
    for (i, c) in bytes.iter().enumerate() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(bytes[start..i].iter().collect::<String>());
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(bytes[start..].iter().collect::<String>());
    for item in items.into_iter().filter(|s| !s.is_empty()) {
        expand(&format!("{prefix}{item}"), out);
    }
}

/// Every `crate::…` path a file names, `super::` resolved against its module.
fn paths(module: &[String], code: &str) -> Vec<String> {
    let mut raw = Vec::new();
    for stmt in code.split(';') {
        let s = stmt.trim();
        let s = s.strip_prefix("pub ").unwrap_or(s);
        let s = s.strip_prefix("pub(crate) ").unwrap_or(s);
        if let Some(tree) = s.strip_prefix("use ") {
            expand(tree, &mut raw);
        }
    }
    // Paths written inline in code.
    for key in ["crate::", "super::"] {
        let mut rest = code;
        while let Some(i) = rest.find(key) {
            let tail = &rest[i..];
            let end = tail
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(tail.len());
            raw.push(tail[..end].trim_end_matches(':').to_string());
            rest = &tail[end..];
        }
    }
    // The module a `super::` path starts from (for `x/mod.rs`, module `x`, and `x/y.rs`,
    // module `x::y`, that is the module above).
    let parent: Vec<String> = module[..module.len().saturating_sub(1)].to_vec();
    raw.into_iter()
        .filter_map(|p| {
            if p.starts_with("crate::") {
                Some(p)
            } else if let Some(rest) = p.strip_prefix("super::") {
                let mut base = parent.clone();
                let mut rest = rest;
                while let Some(r) = rest.strip_prefix("super::") {
                    base.pop();
                    rest = r;
                }
                let mut s = String::from("crate");
                for b in &base {
                    s.push_str("::");
                    s.push_str(b);
                }
                Some(format!("{s}::{rest}"))
            } else {
                None
            }
        })
        .collect()
}

fn is_core(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let test = name.starts_with("tests") || name.ends_with("tests.rs") || name == "vectors.rs";
    !test
        && CORE.iter().any(|c| {
            if c.ends_with('/') {
                rel.starts_with(c)
            } else {
                rel == *c
            }
        })
}

fn under(path: &str, prefix: &str) -> bool {
    path == prefix || path.starts_with(&format!("{prefix}::"))
}

struct Scan {
    /// Core file → the crate paths it names.
    core: BTreeMap<String, Vec<String>>,
}

fn scan() -> Scan {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut core = BTreeMap::new();
    for f in files {
        let rel = f
            .strip_prefix(&root)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        if !is_core(&rel) {
            continue;
        }
        let text = std::fs::read_to_string(&f).expect("read");
        let module = module_of(&rel);
        core.insert(rel.clone(), paths(&module, &code(&text)));
    }
    Scan { core }
}

#[test]
fn the_core_never_imports_the_shell() {
    let scan = scan();
    assert!(scan.core.len() > 30, "only {} core files found", scan.core.len());
    let mut bad = Vec::new();
    for (file, paths) in &scan.core {
        for p in paths {
            if ALLOWED
                .iter()
                .any(|a| under(p, a) && !under(p, "crate::clock::Now::read"))
            {
                continue;
            }
            if let Some(s) = SHELL.iter().find(|s| under(p, s)) {
                bad.push(format!("src/{file}: {p} (shell: {s})"));
            }
        }
    }
    assert!(bad.is_empty(), "upward imports:\n{}", bad.join("\n"));
}

#[test]
fn the_core_modules_import_each_other_without_a_cycle() {
    let scan = scan();
    // Top-level module → top-level modules it names.
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, paths) in &scan.core {
        let from = module_of(file)[0].clone();
        for p in paths {
            let Some(to) = p.strip_prefix("crate::").and_then(|r| r.split("::").next()) else {
                continue;
            };
            if to != from && !to.is_empty() {
                graph.entry(from.clone()).or_default().insert(to.to_string());
            }
        }
    }
    // Depth-first search for a back edge.
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(n) {
            Some(1) => {
                let i = stack.iter().position(|s| s == n).unwrap_or(0);
                let mut cycle = stack[i..].to_vec();
                cycle.push(n.to_string());
                return Some(cycle);
            }
            Some(_) => return None,
            None => {}
        }
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, g, state, stack) {
                return Some(c);
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if let Some(c) = visit(n, &graph, &mut state, &mut Vec::new()) {
            panic!("import cycle: {}\n{graph:?}", c.join(" → "));
        }
    }
    // The two the issue names.
    let jail = graph.get("jail").cloned().unwrap_or_default();
    assert!(!jail.contains("config"), "jail imports config: {jail:?}");
    let config_recidive: Vec<&String> = scan
        .core
        .iter()
        .filter(|(f, _)| f.starts_with("config/"))
        .flat_map(|(_, p)| p)
        .filter(|p| under(p, "crate::jail::recidive"))
        .collect();
    assert!(
        config_recidive.is_empty(),
        "config imports jail::recidive: {config_recidive:?}"
    );
}

#[test]
fn the_scan_sees_an_upward_import() {
    // The scanner itself: a shell path in a brace group, and via `super::`.
    let mut out = Vec::new();
    expand("crate::state::{file::{read, write}, Snapshot}", &mut out);
    assert_eq!(
        out,
        [
            "crate::state::file::read",
            "crate::state::file::write",
            "crate::state::Snapshot"
        ]
    );
    let m = module_of("netlink/batch.rs");
    let p = paths(&m, "use super::conn::Conn;\nfn f() { crate::sys::x(); }");
    assert!(p.contains(&"crate::netlink::conn::Conn".to_string()), "{p:?}");
    assert!(p.iter().any(|p| under(p, "crate::sys")), "{p:?}");
}
