use super::*;

/// The response `raw` fed in chunks of `step`: head, body bytes, and whether it ended.
fn parse(raw: &[u8], step: usize, close_at_end: bool) -> Result<(Head, Vec<u8>, bool), HttpError> {
    let mut r = Response::new(1 << 20);
    let (mut head, mut body, mut end) = (None, Vec::new(), false);
    for chunk in raw.chunks(step.max(1)) {
        let mut input = chunk;
        while let Some(p) = r.next(&mut input)? {
            match p {
                Part::Head(h) => head = Some(h),
                Part::Body(b) => body.extend_from_slice(b),
                Part::End => end = true,
            }
        }
    }
    if close_at_end && !end {
        end = r.closed()? == Part::End;
    }
    Ok((head.ok_or(HttpError::Truncated)?, body, end))
}

#[test]
fn content_length_body_in_any_chunking() {
    let raw =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"new\":null}\n";
    for step in 1..=raw.len() {
        let (h, body, end) = parse(raw, step, false).unwrap();
        assert_eq!(
            h,
            Head {
                status: 200,
                close: false
            }
        );
        assert_eq!(body, b"{\"new\":null}\n");
        assert!(end);
    }
}

#[test]
fn chunked_body_with_extensions_and_trailers() {
    let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: 1\r\n\r\n";
    for step in 1..=raw.len() {
        let (h, body, end) = parse(raw, step, false).unwrap();
        assert_eq!(h.status, 200);
        assert_eq!(body, b"helloabcdefghijklmnopqrstuvwxyz");
        assert!(end, "chunks of {step}");
    }
}

#[test]
fn body_until_close_and_bodiless_statuses() {
    let raw = b"HTTP/1.0 200 OK\r\n\r\nall of it";
    let (h, body, end) = parse(raw, 4, true).unwrap();
    assert!(h.close && end);
    assert_eq!(body, b"all of it");
    let (h, body, end) = parse(
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n",
        3,
        false,
    )
    .unwrap();
    assert_eq!((h.status, body.len(), end), (304, 0, true));
    let (h, ..) = parse(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
        5,
        false,
    )
    .unwrap();
    assert_eq!(h.status, 403);
}

#[test]
fn refuses_garbage_with_a_reason() {
    let cases: &[(&[u8], HttpError)] = &[
        (
            b"SSH-2.0-dropbear\r\n",
            HttpError::Malformed("not an HTTP/1.x status line"),
        ),
        (
            b"HTTP/2 200\r\n",
            HttpError::Malformed("not an HTTP/1.x status line"),
        ),
        (
            b"HTTP/1.1 20 OK\r\n",
            HttpError::Malformed("not an HTTP/1.x status line"),
        ),
        (
            b"HTTP/1.1 200 OK\n",
            HttpError::Malformed("a line does not end in CRLF"),
        ),
        (
            b"HTTP/1.1 200 OK\r\nNoColon\r\n",
            HttpError::Malformed("a header line without ':'"),
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n",
            HttpError::Malformed("bad Content-Length"),
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n",
            HttpError::Malformed("two different Content-Length headers"),
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n",
            HttpError::Malformed("a transfer coding other than chunked"),
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            HttpError::Malformed("bad chunk size"),
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX",
            HttpError::Malformed("chunk data is not followed by CRLF"),
        ),
    ];
    for (raw, e) in cases {
        assert_eq!(
            parse(raw, 7, false).unwrap_err(),
            *e,
            "{}",
            String::from_utf8_lossy(raw)
        );
    }
    let cut = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
    assert_eq!(parse(cut, 100, true).unwrap_err(), HttpError::Truncated);
}

#[test]
fn bounds_lines_head_and_body() {
    let mut long = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
    long.extend(std::iter::repeat(b'a').take(MAX_LINE + 1));
    assert!(matches!(parse(&long, 1000, false), Err(HttpError::TooLarge(_))));
    let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
    for _ in 0..MAX_HEAD / 10 {
        many.extend_from_slice(b"X: aaaaa\r\n");
    }
    assert!(matches!(parse(&many, 999, false), Err(HttpError::TooLarge(_))));
    let mut r = Response::new(10);
    let mut input: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n";
    assert_eq!(
        r.next(&mut input),
        Err(HttpError::TooLarge("Content-Length is over the limit"))
    );
    let mut r = Response::new(10);
    let mut input: &[u8] =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n";
    let mut err = None;
    loop {
        match r.next(&mut input) {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    assert_eq!(err, Some(HttpError::TooLarge("the body is over the limit")));
}

#[test]
fn writes_requests_and_refuses_injection() {
    let mut out = Vec::new();
    Request {
        method: "GET",
        path: "/v1/decisions/stream?startup=true",
        host: "192.0.2.1:8080",
        headers: &[("X-Api-Key", "k3y")],
        body: b"",
    }
    .write(&mut out)
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("GET /v1/decisions/stream?startup=true HTTP/1.1\r\nHost: 192.0.2.1:8080\r\n"));
    assert!(text.contains("\r\nX-Api-Key: k3y\r\n"));
    assert!(text.ends_with("\r\n\r\n") && !text.contains("Content-Length"));
    let mut out = Vec::new();
    let post = Request {
        method: "POST",
        path: "/v1/alerts",
        host: "h",
        headers: &[],
        body: b"[1]",
    };
    post.write(&mut out).unwrap();
    assert!(String::from_utf8(out)
        .unwrap()
        .ends_with("Content-Length: 3\r\n\r\n[1]"));
    let mut out = Vec::new();
    let evil = Request {
        headers: &[("X-Api-Key", "k\r\nX-Evil: 1")],
        ..post
    };
    assert_eq!(evil.write(&mut out), Err(HttpError::BadField("header")));
    assert!(out.is_empty());
}

#[test]
fn endpoints() {
    let ok = |s: &str| {
        let e = Endpoint::parse(s).unwrap();
        assert_eq!(
            e.to_string(),
            e.0.to_string(),
            "Endpoint writes what SocketAddr writes"
        );
        e.to_string()
    };
    assert_eq!(ok("http://192.0.2.1:8080"), "192.0.2.1:8080");
    assert_eq!(ok("HTTP://192.0.2.1:81/"), "192.0.2.1:81");
    assert_eq!(ok("http://192.0.2.1"), "192.0.2.1:8080");
    assert_eq!(ok("http://[2001:db8::1]:8080"), "[2001:db8::1]:8080");
    assert!(Endpoint::parse("https://192.0.2.1:8080")
        .unwrap_err()
        .contains("plain HTTP only"));
    assert!(Endpoint::parse("http://lapi.lan:8080")
        .unwrap_err()
        .contains("not a name"));
    assert!(Endpoint::parse("http://192.0.2.1:99999").is_err());
    assert!(Endpoint::parse("http://192.0.2.1:8080/v1").is_err());
    assert!(Endpoint::parse("192.0.2.1:8080").is_err());
    assert!(Endpoint::parse("http://2001:db8::1").is_err());
}
