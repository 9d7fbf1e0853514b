//! `nft` to set up and to verify independently of logjail's own netlink code, an fw4-shaped
//! ruleset with logjail's real include files, and readers of set elements as nft prints them.
//! Used inside a namespace ([`super::netns::enter`]).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Runs `nft ARGS`; panics with nft's message on failure.
pub fn nft(args: &[&str]) -> String {
    nft_try(args).unwrap_or_else(|e| panic!("nft {}: {e}", args.join(" ")))
}

pub fn nft_try(args: &[&str]) -> Result<String, String> {
    let out = Command::new("nft")
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// `nft -f -` with `ruleset` on stdin.
pub fn load(ruleset: &str) {
    let mut child = Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nft");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(ruleset.as_bytes())
        .expect("write ruleset");
    let out = child.wait_with_output().expect("nft -f");
    assert!(
        out.status.success(),
        "nft -f: {}\n{ruleset}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn include(rel: &str) -> String {
    let path = format!(
        "{}/openwrt/logjail/files/nftables.d/{rel}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A ruleset shaped like fw4's (`table inet fw4`, flushed and re-declared like `fw4 reload`
/// does, input/forward chains jumping to per-zone chains) with logjail's include files where
/// fw4 puts `table-pre` and `chain-pre/{input,forward}_wan` includes. `wan` is the WAN device.
pub fn fw4_ruleset(wan: &str, with_include: bool) -> String {
    let (sets, input, forward) = if with_include {
        (
            include("table-pre/logjail.nft"),
            include("chain-pre/input_wan/logjail.nft"),
            include("chain-pre/forward_wan/logjail.nft"),
        )
    } else {
        Default::default()
    };
    format!(
        "table inet fw4\nflush table inet fw4\ntable inet fw4 {{\n{sets}\n\
         \tchain input {{\n\t\ttype filter hook input priority filter; policy accept;\n\
         \t\tiifname \"lo\" accept\n\t\tct state established,related accept\n\
         \t\tiifname \"{wan}\" jump input_wan\n\t}}\n\
         \tchain forward {{\n\t\ttype filter hook forward priority filter; policy accept;\n\
         \t\tct state established,related accept\n\t\tiifname \"{wan}\" jump forward_wan\n\t}}\n\
         \tchain input_wan {{\n{input}\n\t\tjump accept_from_wan\n\t}}\n\
         \tchain forward_wan {{\n{forward}\n\t}}\n\
         \tchain accept_from_wan {{\n\t\tiifname \"{wan}\" accept\n\t}}\n}}\n"
    )
}

/// The element lines of `nft list set FAMILY TABLE SET`, one string per element.
pub fn elements(table: &str, set: &str) -> Vec<String> {
    let text = nft(&["list", "set", "inet", table, set]);
    let Some(start) = text.find("elements = {") else {
        return Vec::new();
    };
    let body = &text[start + "elements = {".len()..];
    let body = &body[..body.find('}').unwrap_or(body.len())];
    body.split(',')
        .map(|e| e.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|e| !e.is_empty())
        .collect()
}

/// The element whose key is `key` (`203.0.113.9`, `2001:db8:bad::/64`), as nft prints it.
pub fn element(table: &str, set: &str, key: &str) -> Option<String> {
    elements(table, set)
        .into_iter()
        .find(|e| e.split(' ').next() == Some(key))
}

/// `expires 59m59s996ms` of an element line.
pub fn expires(element: &str) -> Option<Duration> {
    let words: Vec<&str> = element.split(' ').collect();
    let i = words.iter().position(|w| *w == "expires")?;
    parse_duration(words.get(i + 1)?)
}

/// nft's duration format: `1d2h3m4s5ms`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let mut ms: u64 = 0;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().ok()?;
        num.clear();
        let unit = match c {
            'd' => 86_400_000,
            'h' => 3_600_000,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                1
            }
            'm' => 60_000,
            's' => 1000,
            _ => return None,
        };
        ms += n * unit;
    }
    num.is_empty().then(|| Duration::from_millis(ms))
}
