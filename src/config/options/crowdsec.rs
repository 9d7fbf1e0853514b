//! The options of `config crowdsec` (kept apart from the logjail and jail sections).

use super::{fold, invalid, ConfigError, Excerpt, Scope, Section, Val};
use crate::config::crowdsec::{self as cs, CrowdSec};
use crate::lapi::http::Endpoint;
use crate::lapi::stream::Filter;

/// `config crowdsec ['NAME']`.
pub fn crowdsec_section(
    file: &str,
    s: &Section,
    warnings: &mut Vec<String>,
) -> Result<CrowdSec, ConfigError> {
    let sc = Scope {
        file,
        label: "the crowdsec section".into(),
    };
    let mut enabled = true;
    let mut url = None;
    let mut api_key = None;
    let mut c = CrowdSec {
        enabled: true,
        lapi: Endpoint(core::net::SocketAddr::from(([127, 0, 0, 1], 8080))),
        api_key: String::new(),
        poll_interval: cs::POLL_INTERVAL,
        filter: Filter::default(),
        max_decisions: cs::DEFAULT_CAPACITY,
        machine_id: None,
        password: None,
        line: s.line,
    };
    for (name, v) in fold(&s.items) {
        match name {
            "enabled" => enabled = sc.boolean(&v)?,
            "lapi_url" => {
                let item = sc.one(&v)?;
                let e = Endpoint::parse(&item.value).map_err(|why| {
                    let what = format!("lapi_url '{}' in {} {why}", Excerpt(&item.value), sc.label);
                    invalid(file, item.line, what)
                })?;
                url = Some(e);
            }
            "api_key" => api_key = Some(secret(&sc, &v, "api_key")?),
            "machine_id" => c.machine_id = Some(secret(&sc, &v, "machine_id")?),
            "password" => c.password = Some(secret(&sc, &v, "password")?),
            "poll_interval" => {
                c.poll_interval = sc.duration(&v, false)?.0.unwrap_or(1);
                if !(cs::MIN_POLL..=cs::MAX_POLL).contains(&c.poll_interval) {
                    let what = format!("poll_interval in {} must be between 1s and 1h", sc.label);
                    return Err(invalid(file, sc.one(&v)?.line, what));
                }
            }
            "max_decisions" => c.max_decisions = sc.num(&v, 1, cs::MAX_CAPACITY)?,
            "scopes" => {
                let (ip, range) = scopes(&sc, &v)?;
                (c.filter.ip, c.filter.range) = (ip, range);
            }
            "origins" => c.filter.origins = origins(&sc, &v)?,
            _ => sc.unknown(name, &v, warnings),
        }
    }
    c.enabled = enabled;
    if c.machine_id.is_some() != c.password.is_some() {
        let what = format!(
            "{} needs both machine_id and password to report bans, or neither",
            sc.label
        );
        return Err(invalid(file, s.line, what));
    }
    match (url, api_key) {
        (Some(u), Some(k)) => (c.lapi, c.api_key) = (u, k),
        _ if !enabled => {}
        (None, _) => {
            let what = format!("{} needs lapi_url (http://ADDR:PORT)", sc.label);
            return Err(invalid(file, s.line, what));
        }
        (_, None) => {
            let what = format!("{} needs api_key (cscli bouncers add NAME prints one)", sc.label);
            return Err(invalid(file, s.line, what));
        }
    }
    Ok(c)
}

/// A key, id or password: one printable word, never echoed in messages.
fn secret(sc: &Scope, v: &Val, name: &str) -> Result<String, ConfigError> {
    let item = sc.one(v)?;
    let t = &item.value;
    if t.len() > cs::MAX_SECRET || !t.bytes().all(|b| b.is_ascii_graphic()) {
        let what = format!(
            "{name} in {} must be at most {} printable characters without spaces",
            sc.label,
            cs::MAX_SECRET
        );
        return Err(invalid(sc.file, item.line, what));
    }
    Ok(t.clone())
}

fn words<'a>(v: &'a Val) -> Vec<(&'a str, usize)> {
    let items = match v {
        Val::One(item) => std::slice::from_ref(item),
        Val::Many(items) => items.as_slice(),
    };
    items
        .iter()
        .flat_map(|i| i.value.split_whitespace().map(move |w| (w, i.line)))
        .collect()
}

fn scopes(sc: &Scope, v: &Val) -> Result<(bool, bool), ConfigError> {
    let (mut ip, mut range) = (false, false);
    for (w, line) in words(v) {
        match w.to_ascii_lowercase().as_str() {
            "ip" => ip = true,
            "range" => range = true,
            _ => {
                let what = format!("scopes '{}' in {} is not ip or range", Excerpt(w), sc.label);
                return Err(invalid(sc.file, line, what));
            }
        }
    }
    Ok((ip, range))
}

fn origins(sc: &Scope, v: &Val) -> Result<Vec<String>, ConfigError> {
    let mut out = Vec::new();
    for (w, line) in words(v) {
        let ok = w.len() <= crate::lapi::stream::MAX_LABEL && w.bytes().all(|b| b.is_ascii_graphic());
        if !ok || out.len() >= cs::MAX_ORIGINS {
            let what = format!(
                "origins '{}' in {}: at most {} entries such as crowdsec, cscli, CAPI, lists or lists:NAME",
                Excerpt(w),
                sc.label,
                cs::MAX_ORIGINS
            );
            return Err(invalid(sc.file, line, what));
        }
        out.push(w.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::config::parse;

    fn cs(text: &str) -> Result<crate::config::crowdsec::CrowdSec, String> {
        let cfg = format!("config jail 'dropbear'\n\nconfig crowdsec 'lapi'\n{text}");
        parse(&cfg, "f")
            .map(|l| l.config.crowdsec.expect("section"))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn reads_the_section() {
        let c = cs("\toption lapi_url 'http://192.168.1.10:8080'\n\toption api_key 'abc123'\n\toption poll_interval '30s'\n\tlist scopes 'ip'\n\tlist origins 'crowdsec'\n\tlist origins 'lists:tor'\n\toption max_decisions '5000'\n\toption machine_id 'router1'\n\toption password 'pw'\n").unwrap();
        assert_eq!(c.lapi.0.to_string(), "192.168.1.10:8080");
        assert_eq!(
            (c.poll_interval, c.max_decisions, c.filter.ip, c.filter.range),
            (30, 5000, true, false)
        );
        assert_eq!(c.filter.origins, ["crowdsec", "lists:tor"]);
        assert!(c.reports() && c.enabled);
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("abc123") && !dbg.contains("\"pw\""), "{dbg}");
    }

    #[test]
    fn refuses_https_and_missing_or_bad_values() {
        let e = cs("\toption lapi_url 'https://192.168.1.10:8080'\n\toption api_key 'k'\n").unwrap_err();
        assert!(
            e.starts_with("f:4: lapi_url 'https://192.168.1.10:8080' in the crowdsec section is https://"),
            "{e}"
        );
        assert!(cs("\toption api_key 'k'\n")
            .unwrap_err()
            .contains("needs lapi_url"));
        assert!(cs("\toption lapi_url 'http://10.0.0.1:8080'\n")
            .unwrap_err()
            .contains("needs api_key"));
        let e = cs("\toption lapi_url 'http://10.0.0.1'\n\toption api_key 'a b'\n").unwrap_err();
        assert!(e.contains("printable characters") && !e.contains("a b"), "{e}");
        assert!(
            cs("\toption lapi_url 'http://10.0.0.1'\n\toption api_key 'k'\n\tlist scopes 'country'\n")
                .is_err()
        );
        assert!(
            cs("\toption lapi_url 'http://10.0.0.1'\n\toption api_key 'k'\n\toption machine_id 'm'\n")
                .unwrap_err()
                .contains("both machine_id and password")
        );
        assert!(cs("\toption enabled '0'\n").is_ok_and(|c| !c.enabled));
    }
}
