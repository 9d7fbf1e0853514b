//! `logjail rpcd list|call METHOD`: rpcd's exec-plugin protocol, for LuCI (installed by
//! luci-app-logjail as `/usr/libexec/rpcd/luci.logjail`, a wrapper that runs this verb).
//!
//! rpcd runs the plugin with `list` once and publishes the printed method signatures as the
//! ubus object `luci.logjail`; a call runs `call METHOD` with the ubus arguments as one JSON
//! object on standard input and returns the JSON object printed on standard output. The
//! methods ([`METHODS`], carried out in [`super::rpcd_methods`]) talk to the daemon over its
//! control socket, like the control verbs.
//!
//! Every argument is checked here before anything is asked of the daemon: the input is read
//! with [`crate::json_object`] (bounded, flat), unknown keys are refused (but for
//! `ubus_rpc_session`, which uhttpd adds), jail names, addresses, filter names and times are
//! validated. Whatever is wrong comes back as `{"error":"…"}` with exit status 0, so rpcd hands
//! the message to LuCI; a call never panics on its input.

use super::cli::{Common, RpcdArgs};
use super::rpcd_methods as m;
use crate::bytes::Quoted;
use crate::json_object::{Object, Value, MAX_INPUT};
use std::io::{Read, Write};

/// The methods with their argument signatures, as `list` prints them (rpcd reads the types
/// from the example values: a string, a number, a boolean).
pub const METHODS: &[(&str, &[(&str, &str)])] = &[
    ("status", &[]),
    ("bans", &[("jail", "\"str\"")]),
    (
        "unban",
        &[("address", "\"str\""), ("jail", "\"str\""), ("all", "false")],
    ),
    (
        "ban",
        &[("jail", "\"str\""), ("address", "\"str\""), ("time", "3600")],
    ),
    ("jails", &[]),
    ("filters", &[]),
    ("test", &[("filter", "\"str\""), ("lines", "\"str\"")]),
    ("reload", &[]),
];

/// Longest filter name taken from a caller (a name, never a path).
pub const MAX_FILTER_NAME: usize = 64;

pub fn run(a: &RpcdArgs) -> i32 {
    let common = Common {
        config: a.config.clone(),
        socket: a.socket.clone(),
        json: true,
    };
    let out = match a.args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["list"] => list(),
        ["call", method] => {
            let mut input = Vec::new();
            let read = std::io::stdin()
                .lock()
                .take(MAX_INPUT as u64 + 1)
                .read_to_end(&mut input);
            match read {
                Ok(_) => call(&common, method, &input),
                Err(e) => error(&format!("reading the arguments: {e}")),
            }
        }
        _ => {
            eprintln!("usage: logjail rpcd [-c CONFIG] [--socket PATH] list | call METHOD");
            return 1;
        }
    };
    // rpcd reads the reply from the pipe; a closed one is rpcd's business.
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    0
}

/// `list`: `{"status":{},"bans":{"jail":"str"},…}`.
pub fn list() -> String {
    let mut s = String::from("{");
    for (i, (name, args)) in METHODS.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!("\"{name}\":{{"));
        for (j, (arg, example)) in args.iter().enumerate() {
            if j > 0 {
                s.push(',');
            }
            s.push_str(&format!("\"{arg}\":{example}"));
        }
        s.push('}');
    }
    s.push_str("}\n");
    s
}

/// `call METHOD` with `input` (the JSON arguments): the JSON reply.
pub fn call(c: &Common, method: &str, input: &[u8]) -> String {
    let Some((_, sig)) = METHODS.iter().find(|(n, _)| *n == method) else {
        return error(&format!("unknown method {}", Quoted(method)));
    };
    let args = match Object::parse(input) {
        Ok(o) => o,
        Err(e) => return error(&e.to_string()),
    };
    if let Some(k) = args
        .keys()
        .find(|k| *k != "ubus_rpc_session" && !sig.iter().any(|(a, _)| a == k))
    {
        return error(&format!("{method}: unknown argument {}", Quoted(k)));
    }
    let a = Args(&args);
    let result = match method {
        "status" => Ok(m::status(c)),
        "bans" => a.jail("jail").map(|j| m::bans(c, j.as_deref())),
        "unban" => unban(c, &a),
        "ban" => ban(c, &a),
        "jails" => Ok(m::jails(c)),
        "filters" => Ok(m::filters(c)),
        "test" => test(c, &a),
        "reload" => Ok(m::reload(c)),
        _ => Err(format!("unknown method {}", Quoted(method))),
    };
    result.unwrap_or_else(|e| error(&format!("{method}: {e}")))
}

fn unban(c: &Common, a: &Args) -> Result<String, String> {
    let addr = a.address("address")?;
    let jail = a.jail("jail")?;
    let all = a.flag("all")?;
    match (addr, jail, all) {
        (Some(addr), None, false) => Ok(m::unban(c, Some(&addr))),
        (None, Some(jail), false) => Ok(m::unban_jail(c, &jail)),
        (None, None, true) => Ok(m::unban(c, None)),
        _ => Err("give one of: address, jail (every ban of that jail), all: true".into()),
    }
}

fn ban(c: &Common, a: &Args) -> Result<String, String> {
    let jail = a.jail("jail")?.ok_or("give a jail")?;
    let addr = a.address("address")?.ok_or("give an address")?;
    let time = match a.0.get("time") {
        None | Some(Value::Null) => None,
        Some(Value::Int(-1)) => Some(-1),
        Some(Value::Int(n)) if (1..=i64::from(u32::MAX)).contains(n) => Some(*n),
        Some(_) => {
            return Err(format!(
                "time: seconds from 1 to {}, or -1 for permanent",
                u32::MAX
            ))
        }
    };
    Ok(m::ban(c, &jail, &addr, time))
}

fn test(c: &Common, a: &Args) -> Result<String, String> {
    let filter = a.string("filter")?.ok_or("give a filter")?;
    let ok = !filter.is_empty()
        && filter.len() <= MAX_FILTER_NAME
        && !filter.starts_with('.')
        && filter
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !ok {
        return Err(format!(
            "filter: a filter name of letters, digits, `-`, `_` and `.`, at most {MAX_FILTER_NAME}"
        ));
    }
    let lines = a.string("lines")?.unwrap_or_default();
    Ok(m::test(c, &filter, lines.as_bytes()))
}

/// Typed, checked access to the arguments.
struct Args<'a>(&'a Object);

impl Args<'_> {
    /// A string argument; absent or `null` is `None`, another type an error.
    fn string(&self, key: &str) -> Result<Option<String>, String> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("{key}: give a string")),
        }
    }

    fn flag(&self, key: &str) -> Result<bool, String> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(format!("{key}: give true or false")),
        }
    }

    /// A jail name as the configuration allows it (letters, digits, `_`, `-`; at most
    /// [`crate::config::MAX_JAIL_NAME`]).
    fn jail(&self, key: &str) -> Result<Option<String>, String> {
        let Some(j) = self.string(key)? else {
            return Ok(None);
        };
        let ok = !j.is_empty()
            && j.len() <= crate::config::MAX_JAIL_NAME
            && j.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(Some(j))
        } else {
            Err(format!(
                "{key}: {} is no jail name (letters, digits, `_`, `-`, at most {})",
                Quoted(&j),
                crate::config::MAX_JAIL_NAME
            ))
        }
    }

    /// An address or an IPv6 prefix (`203.0.113.9`, `2001:db8:bad::/64`), in its normal form.
    fn address(&self, key: &str) -> Result<Option<String>, String> {
        let Some(s) = self.string(key)? else {
            return Ok(None);
        };
        match crate::addr::Host::parse(s.trim()) {
            Some(h) => Ok(Some(h.to_string())),
            None => Err(format!(
                "{key}: {} is neither an address nor an IPv6 prefix",
                Quoted(&s)
            )),
        }
    }
}

/// `{"error":"…"}`.
pub fn error(msg: &str) -> String {
    super::show::error(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn common() -> Common {
        Common {
            config: "/nonexistent/logjail".into(),
            socket: Some("/nonexistent/logjail.sock".into()),
            json: true,
        }
    }

    #[test]
    fn lists_every_method_as_json() {
        let l = list();
        let o = l.trim();
        assert!(o.starts_with("{\"status\":{},\"bans\":{\"jail\":\"str\"}"), "{o}");
        assert!(
            o.contains("\"ban\":{\"jail\":\"str\",\"address\":\"str\",\"time\":3600}"),
            "{o}"
        );
    }

    #[test]
    fn bad_arguments_get_json_errors_before_any_socket() {
        let c = common();
        for (method, input, want) in [
            ("nope", "{}", "unknown method"),
            ("bans", "{\"jail\":\"a b\"}", "is no jail name"),
            ("bans", "{\"jail\":[1]}", "nested"),
            ("bans", "{\"jail\":1}", "give a string"),
            ("bans", "{\"x\":1}", "unknown argument"),
            (
                "unban",
                "{\"address\":\"1.2.3.4; nft flush\"}",
                "neither an address",
            ),
            ("unban", "{}", "give one of"),
            ("unban", "{\"address\":\"1.2.3.4\",\"all\":true}", "give one of"),
            (
                "ban",
                "{\"jail\":\"dropbear\",\"address\":\"1.2.3.4\",\"time\":0}",
                "seconds",
            ),
            ("ban", "{\"jail\":\"dropbear\"}", "give an address"),
            (
                "test",
                "{\"filter\":\"../../etc/shadow\",\"lines\":\"\"}",
                "filter name",
            ),
            ("test", "{\"filter\":\"/etc/shadow\"}", "filter name"),
            ("status", "{\"a\":1", "expected"),
        ] {
            let r = call(&c, method, input.as_bytes());
            assert!(
                r.starts_with("{\"error\":") && r.contains(want),
                "{method} {input}: {r}"
            );
        }
    }

    #[test]
    fn no_daemon_is_an_answer_not_a_crash() {
        let c = common();
        let r = call(&c, "status", b"{\"ubus_rpc_session\":\"00\"}");
        assert!(r.starts_with("{\"running\":false,\"error\":"), "{r}");
        let r = call(&c, "bans", b"");
        assert!(r.starts_with("{\"error\":"), "{r}");
    }
}
