//! Writing a request, and where it goes.
//!
//! [`Request::write`] refuses any field holding CR, LF or NUL, so an API key or a path can
//! never add a header. [`Endpoint::parse`] reads `http://ADDR:PORT` and refuses `https://`:
//! there is no TLS here, and a key must not be sent in clear to a TLS port.

use super::http::HttpError;
use core::net::{IpAddr, SocketAddr};

/// One request.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub host: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    /// Sent with `Content-Type: application/json` when not empty (or when `method` is POST).
    pub body: &'a [u8],
}

impl Request<'_> {
    /// Appends the request to `out`; nothing is appended when a field is refused.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<(), HttpError> {
        let bad = |s: &str| s.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0));
        for (what, s) in [("method", self.method), ("path", self.path), ("host", self.host)] {
            if bad(s) || s.contains(' ') {
                return Err(HttpError::BadField(what));
            }
        }
        if self
            .headers
            .iter()
            .any(|(n, v)| bad(n) || bad(v) || n.contains(':'))
        {
            return Err(HttpError::BadField("header"));
        }
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\n",
            self.method, self.path, self.host
        );
        head.push_str("User-Agent: logjail/");
        head.push_str(env!("CARGO_PKG_VERSION"));
        head.push_str("\r\nAccept: application/json\r\n");
        for (n, v) in self.headers {
            head.push_str(n);
            head.push_str(": ");
            head.push_str(v);
            head.push_str("\r\n");
        }
        if !self.body.is_empty() || self.method == "POST" {
            head.push_str("Content-Type: application/json\r\n");
            head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        head.push_str("\r\n");
        out.extend_from_slice(head.as_bytes());
        out.extend_from_slice(self.body);
        Ok(())
    }
}

/// Where LAPI listens: `http://ADDR:PORT` (`http://[V6]:PORT`), port 8080 when left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint(pub SocketAddr);

impl Endpoint {
    /// Parses `lapi_url`; the error says what to write instead.
    pub fn parse(url: &str) -> Result<Endpoint, &'static str> {
        if url.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://")) {
            return Err("is https://: logjail speaks plain HTTP only and will not send the API key in clear to a TLS port; reach LAPI over the LAN or a WireGuard tunnel with http://ADDR:PORT");
        }
        let Some(rest) = url
            .get(..7)
            .filter(|s| s.eq_ignore_ascii_case("http://"))
            .map(|_| &url[7..])
        else {
            return Err("must be http://ADDR:PORT");
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') {
            return Err("must be http://ADDR:PORT without a path");
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) if !h.is_empty() && (h.starts_with('[') == h.ends_with(']')) && !p.contains(']') => {
                (h, p.parse::<u16>().map_err(|_| "has a bad port")?)
            }
            _ => (rest, 8080),
        };
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let ip: IpAddr = host
            .parse()
            .map_err(|_| "needs an IP address, not a name: the daemon never blocks on DNS")?;
        if port == 0 {
            return Err("has a bad port");
        }
        Ok(Endpoint(SocketAddr::new(ip, port)))
    }

    /// The `Host` header's value.
    pub fn host_header(&self) -> String {
        self.to_string()
    }
}

/// `ADDR:PORT`, `[V6]:PORT`: what `SocketAddr` writes, without linking its formatter (which
/// pads and aligns) into the router binary.
impl core::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0.ip() {
            IpAddr::V4(ip) => write!(f, "{ip}:{}", self.0.port()),
            IpAddr::V6(ip) => write!(f, "[{ip}]:{}", self.0.port()),
        }
    }
}
