//! The decisions stream: what `GET /v1/decisions/stream` answers, turned into typed decisions
//! while the body streams in.
//!
//! The body is one object with two arrays, `new` and `deleted` (either may be `null`), of
//! decision objects:
//!
//! ```json
//! {"deleted": null,
//!  "new": [{"id": 1, "origin": "cscli", "scenario": "manual 'ban' from 'x'", "scope": "Ip",
//!           "type": "ban", "value": "192.0.2.7", "duration": "3h59m58.5s"}]}
//! ```
//!
//! [`Decisions::feed`] takes body bytes in chunks and hands each decision it keeps to a sink
//! as a [`Decision`] (address, prefix, seconds left, new or deleted); nothing but the fields
//! of the decision being read is held. A decision is kept when its `type` is `ban`, its
//! `scope` is `Ip` or `Range` and allowed by the [`Filter`], its origin passes the filter
//! (`crowdsec`, `cscli`, `CAPI`, `lists`, or `lists:NAME` for one blocklist, whose name LAPI
//! puts in `scenario`), its `value` is an address or a network of that scope and, for a new
//! one, its `duration` (Go's `time.Duration` text: `3h59m58.5s`, `1m30s`, `500ms`, `-2s`)
//! has time left; the others are counted in [`Skipped`]. Unknown members are skipped whatever
//! they hold. A body that is not JSON, or not of this shape, is a [`StreamError`]: the caller
//! then drops everything this body produced ("nothing half-applied").

use super::json::{JsonError, Reader, Token};
use core::fmt;
use core::net::IpAddr;

/// Longest origin filter entry and `scenario` kept for matching.
pub const MAX_LABEL: usize = 64;

/// One decision of the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The address, or a network's first address (host bits cleared).
    pub net: IpAddr,
    /// 32 or 128 for a single address.
    pub prefix: u8,
    /// Seconds the ban has left (rounded up); 0 for a deletion.
    pub seconds: u32,
    pub deleted: bool,
}

/// Which decisions to keep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    pub ip: bool,
    pub range: bool,
    /// Empty: every origin. Entries are compared without regard to case.
    pub origins: Vec<String>,
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            ip: true,
            range: true,
            origins: Vec::new(),
        }
    }
}

impl Filter {
    fn origin_ok(&self, origin: &str, scenario: &str) -> bool {
        self.origins.is_empty()
            || self.origins.iter().any(|f| match f.split_once(':') {
                Some((o, name)) => o.eq_ignore_ascii_case(origin) && name.eq_ignore_ascii_case(scenario),
                None => f.eq_ignore_ascii_case(origin),
            })
    }
}

/// Decisions left out, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Skipped {
    /// `type` other than `ban` (captcha, throttle…).
    pub not_ban: u32,
    /// A scope other than ip/range, or one the filter leaves out.
    pub scope: u32,
    pub origin: u32,
    /// A `value` that is not an address or network of its scope.
    pub bad_value: u32,
    /// A new decision without a readable duration, or with none left.
    pub duration: u32,
}

impl Skipped {
    pub fn total(&self) -> u32 {
        self.not_ban + self.scope + self.origin + self.bad_value + self.duration
    }
}

/// Why a body is not a decisions stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamError {
    Json(JsonError),
    Shape(&'static str),
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Json(e) => write!(f, "{e}"),
            StreamError::Shape(w) => write!(f, "not a decisions stream: {w}"),
        }
    }
}

impl From<JsonError> for StreamError {
    fn from(e: JsonError) -> Self {
        StreamError::Json(e)
    }
}

type Text = heapless::String<MAX_LABEL>;

/// The fields of the decision being read.
#[derive(Default)]
struct Fields {
    value: Text,
    scope: Text,
    kind: Text,
    duration: Text,
    origin: Text,
    scenario: Text,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Value,
    Scope,
    Kind,
    Duration,
    Origin,
    Scenario,
}

/// The interpreter. See the module documentation.
pub struct Decisions {
    reader: Reader,
    filter: Filter,
    /// Inside `new` (false) or `deleted` (true), when in one of them.
    section: Option<bool>,
    /// A member whose value is being read.
    field: Option<Field>,
    /// Skipping a value until the reader is back at this depth.
    skip_to: Option<usize>,
    fields: Fields,
    pub skipped: Skipped,
}

impl Decisions {
    pub fn new(filter: Filter) -> Decisions {
        Decisions {
            reader: Reader::new(),
            filter,
            section: None,
            field: None,
            skip_to: None,
            fields: Fields::default(),
            skipped: Skipped::default(),
        }
    }

    /// Reads `body` (the next piece of the response body), handing each kept decision to
    /// `sink`.
    pub fn feed(&mut self, mut body: &[u8], sink: &mut dyn FnMut(Decision)) -> Result<(), StreamError> {
        loop {
            let depth_before = self.reader.depth();
            let Some(token) = self.reader.next(&mut body)? else {
                return Ok(());
            };
            let depth = match token {
                Token::ObjectStart | Token::ArrayStart => depth_before + 1,
                Token::ObjectEnd | Token::ArrayEnd => depth_before.saturating_sub(1),
                _ => depth_before,
            };
            if let Some(to) = self.skip_to {
                if depth == to {
                    self.skip_to = None;
                }
                continue;
            }
            match (depth_before, token) {
                (0, Token::ObjectStart) => {}
                (0, _) => return Err(StreamError::Shape("the body is not a JSON object")),
                (1, Token::Key(k)) => {
                    self.section = match k {
                        "new" => Some(false),
                        "deleted" => Some(true),
                        _ => None,
                    }
                }
                (1, Token::Null) | (1, Token::ArrayStart) if self.section.is_some() => {}
                (1, Token::ObjectEnd) => {}
                (1, _) if self.section.is_some() => {
                    return Err(StreamError::Shape("'new' or 'deleted' is not an array"))
                }
                (1, Token::ObjectStart | Token::ArrayStart) => self.skip_to = Some(1),
                (1, _) => {}
                (2, Token::ObjectStart) => self.fields = Fields::default(),
                (2, Token::ArrayEnd) => self.section = None,
                (2, _) => {
                    return Err(StreamError::Shape(
                        "an item of 'new' or 'deleted' is not an object",
                    ))
                }
                (3, Token::Key(k)) => {
                    self.field = match k {
                        "value" => Some(Field::Value),
                        "scope" => Some(Field::Scope),
                        "type" => Some(Field::Kind),
                        "duration" => Some(Field::Duration),
                        "origin" => Some(Field::Origin),
                        "scenario" => Some(Field::Scenario),
                        _ => None,
                    }
                }
                (3, Token::ObjectEnd) => self.decision(sink),
                (3, Token::ObjectStart | Token::ArrayStart) => {
                    self.field = None;
                    self.skip_to = Some(3);
                }
                (3, Token::Str(s)) => {
                    if let Some(f) = self.field.take() {
                        let slot = match f {
                            Field::Value => &mut self.fields.value,
                            Field::Scope => &mut self.fields.scope,
                            Field::Kind => &mut self.fields.kind,
                            Field::Duration => &mut self.fields.duration,
                            Field::Origin => &mut self.fields.origin,
                            Field::Scenario => &mut self.fields.scenario,
                        };
                        *slot = cut(s);
                    }
                }
                (3, _) => self.field = None,
                _ => {}
            }
        }
    }

    /// The body ended: an error unless it was one whole object.
    pub fn finish(&mut self) -> Result<(), StreamError> {
        self.reader.end().map_err(StreamError::from)
    }

    /// A decision object ended: judge it and hand it on.
    fn decision(&mut self, sink: &mut dyn FnMut(Decision)) {
        let Some(deleted) = self.section else {
            return;
        };
        let f = &self.fields;
        let s = &mut self.skipped;
        if !f.kind.eq_ignore_ascii_case("ban") {
            s.not_ban += 1;
            return;
        }
        let range = if f.scope.eq_ignore_ascii_case("ip") {
            false
        } else if f.scope.eq_ignore_ascii_case("range") {
            true
        } else {
            s.scope += 1;
            return;
        };
        if (range && !self.filter.range) || (!range && !self.filter.ip) {
            s.scope += 1;
            return;
        }
        if !self.filter.origin_ok(&f.origin, &f.scenario) {
            s.origin += 1;
            return;
        }
        let Some((net, prefix)) = network(&f.value, range) else {
            s.bad_value += 1;
            return;
        };
        let seconds = if deleted {
            0
        } else {
            match duration(&f.duration) {
                Some(n) if n > 0 => n,
                _ => {
                    s.duration += 1;
                    return;
                }
            }
        };
        sink(Decision {
            net,
            prefix,
            seconds,
            deleted,
        });
    }
}

/// `s` cut to [`MAX_LABEL`] bytes at a character boundary.
fn cut(s: &str) -> Text {
    let mut end = s.len().min(MAX_LABEL);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let mut t = Text::new();
    let _ = t.push_str(&s[..end]);
    t
}

/// An `Ip` value (`192.0.2.7`, `2001:db8::1`) or a `Range` value (`192.0.2.0/24`), host bits
/// cleared; IPv4-mapped IPv6 addresses become IPv4.
pub fn network(value: &str, range: bool) -> Option<(IpAddr, u8)> {
    let (addr, prefix) = match (range, value.split_once('/')) {
        (false, None) => (value, None),
        (true, Some((a, p))) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
            (a, p.parse::<u8>().ok())
        }
        _ => return None,
    };
    let ip = crate::addr::normalise(addr.parse::<IpAddr>().ok()?);
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        // A mapped v6 range (::ffff:192.0.2.0/120) counts in v4 bits.
        Some(p) if addr.contains(':') && ip.is_ipv4() => p.checked_sub(96)?,
        Some(p) => p,
        None => max,
    };
    if prefix > max || prefix == 0 {
        return None;
    }
    let net = match ip {
        IpAddr::V4(a) => IpAddr::V4((u32::from(a) & (u32::MAX << (32 - u32::from(prefix)))).into()),
        IpAddr::V6(a) => IpAddr::V6((u128::from(a) & (u128::MAX << (128 - u32::from(prefix)))).into()),
    };
    Some((net, prefix))
}

/// Go's `time.Duration` text (`3h59m58.5s`, `1m`, `250ms`, `-2s`, `0s`) as whole seconds,
/// rounded up; negative durations are 0. `None` when it is not such a text.
pub fn duration(text: &str) -> Option<u32> {
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    // Nanoseconds, saturating (u64 holds 584 years).
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let int: u64 = if int_len == 0 {
            0
        } else {
            rest[..int_len].parse().ok()?
        };
        rest = &rest[int_len..];
        let (mut frac, mut scale) = (0u64, 1u64);
        let mut frac_len = 0;
        if let Some(r) = rest.strip_prefix('.') {
            frac_len = r.bytes().take_while(u8::is_ascii_digit).count();
            for d in r[..frac_len].bytes().take(18) {
                frac = frac * 10 + u64::from(d - b'0');
                scale *= 10;
            }
            rest = &r[frac_len..];
        }
        if int_len == 0 && frac_len == 0 {
            return None;
        }
        let unit_len = rest
            .bytes()
            .take_while(|b| !b.is_ascii_digit() && *b != b'.')
            .count();
        let unit: u64 = match &rest[..unit_len] {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        rest = &rest[unit_len..];
        let part = int
            .saturating_mul(unit)
            .saturating_add(frac.saturating_mul(unit) / scale);
        total = total.saturating_add(part);
    }
    if negative {
        return Some(0);
    }
    Some(u32::try_from(total.div_ceil(1_000_000_000)).unwrap_or(u32::MAX))
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
