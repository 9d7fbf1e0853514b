//! Tests of the UCI reader: quoting, comments, statements, and every error with its line.

use super::*;

fn ok(src: &str) -> Vec<Section> {
    match parse(src.as_bytes(), "t") {
        Ok(s) => s,
        Err(e) => panic!("unexpected error {e} for {src:?}"),
    }
}

/// The value of the only item of the only section.
fn value(src: &str) -> String {
    let s = ok(src);
    assert_eq!(s.len(), 1, "{src:?}");
    assert_eq!(s[0].items.len(), 1, "{src:?}");
    s[0].items[0].value.clone()
}

fn err(src: &[u8]) -> (usize, ErrorKind, String) {
    match parse(src, "/etc/config/logjail") {
        Ok(s) => panic!(
            "expected an error for {:?}, got {s:?}",
            String::from_utf8_lossy(src)
        ),
        Err(e) => (e.line, e.kind.clone(), e.to_string()),
    }
}

#[test]
fn sections_options_lists_with_lines() {
    let src = "\
# logjail
package logjail

config logjail 'main'
\toption source 'logread -f'

config jail dropbear
\toption maxretry 5
\tlist ignoreip '10.0.0.0/8'
\tlist ignoreip \"192.168.1.0/24\"

config jail
\toption enabled 0
";
    let s = ok(src);
    assert_eq!(s.len(), 3);
    assert_eq!(
        (s[0].kind.as_str(), s[0].name.as_deref(), s[0].line),
        ("logjail", Some("main"), 4)
    );
    assert_eq!(
        s[0].items,
        vec![Item {
            list: false,
            name: "source".into(),
            value: "logread -f".into(),
            line: 5
        }]
    );
    assert_eq!((s[1].name.as_deref(), s[1].line), (Some("dropbear"), 7));
    let items: Vec<_> = s[1]
        .items
        .iter()
        .map(|i| (i.list, i.name.as_str(), i.value.as_str(), i.line))
        .collect();
    assert_eq!(
        items,
        [
            (false, "maxretry", "5", 8),
            (true, "ignoreip", "10.0.0.0/8", 9),
            (true, "ignoreip", "192.168.1.0/24", 10)
        ]
    );
    assert_eq!((s[2].name.as_deref(), s[2].line), (None, 12));
}

#[test]
fn quoting_rules() {
    let cases: &[(&str, &str)] = &[
        ("config x\noption v plain", "plain"),
        ("config x\noption v 'sin gle'", "sin gle"),
        ("config x\noption v \"dou ble\"", "dou ble"),
        ("config x\noption v 'a'\"b\"c", "abc"),
        ("config x\noption v a'b c'd", "ab cd"),
        // Single quotes take everything literally, backslashes and double quotes included.
        ("config x\noption v 'a\\nb\"c'", "a\\nb\"c"),
        // In double quotes a backslash takes the next character as it is.
        ("config x\noption v \"a\\\"b\\\\c\\nd\"", "a\"b\\cnd"),
        ("config x\noption v \"it's\"", "it's"),
        // The shell idiom uci itself writes for a single quote inside a value.
        ("config x\noption v 'it'\\''s'", "it's"),
        ("config x\noption v a\\ b", "a b"),
        ("config x\noption v ''", ""),
        ("config x\noption v \"#not a comment;\"", "#not a comment;"),
        ("config x\n\toption\tv\t'tabs'\t", "tabs"),
        ("config x\r\noption v 'crlf'\r\n", "crlf"),
        ("config x\noption v 'ünïcödé ✓'", "ünïcödé ✓"),
    ];
    for (src, want) in cases {
        assert_eq!(value(src), *want, "{src:?}");
    }
}

#[test]
fn comments_and_blank_lines() {
    let src = "\n   \n# comment\n  # indented comment\nconfig x 'n' # trailing\n\n\
               option a 'b' # trailing\noption c d#glued comment\noption e 'f'#glued\n";
    let s = ok(src);
    let got: Vec<_> = s[0].items.iter().map(|i| (i.value.as_str(), i.line)).collect();
    assert_eq!(got, [("b", 7), ("d", 8), ("f", 9)]);
    assert_eq!(s[0].line, 5);
    assert!(ok("").is_empty());
    assert!(ok("# only a comment").is_empty());
}

#[test]
fn semicolons_abbreviations_anonymous() {
    let s = ok("c jail 'a'; o maxretry 3; l ignoreip 1.2.3.4\nconfig jail ''\noption x y;");
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].items.len(), 2);
    assert!(s[0].items[1].list);
    assert_eq!(s[1].name, None);
    assert_eq!(s[1].items[0].value, "y");
}

#[test]
fn multi_line_values_and_continuations() {
    // Quoted values may span lines (libuci keeps the newline), and a backslash at the end of
    // a line joins the next one outside single quotes; line numbers keep counting.
    let s = ok("config x\noption a 'one\ntwo'\noption b \"th\\\nree\"\noption c \\\n  four\noption d e\n");
    let got: Vec<_> = s[0]
        .items
        .iter()
        .map(|i| (i.name.as_str(), i.value.as_str(), i.line))
        .collect();
    assert_eq!(
        got,
        [
            ("a", "one\ntwo", 2),
            ("b", "three", 4),
            ("c", "four", 6),
            ("d", "e", 8)
        ]
    );
}

#[test]
fn errors_name_the_line() {
    type Case<'a> = (&'a [u8], usize, ErrorKind);
    let cases: &[Case] = &[
        (
            b"config x\noption a 'open\n",
            2,
            ErrorKind::UnterminatedQuote('\''),
        ),
        (
            b"config x\n\noption a \"open\\\"\n",
            3,
            ErrorKind::UnterminatedQuote('"'),
        ),
        (b"config x\noption a \"x\\", 2, ErrorKind::UnterminatedQuote('"')),
        (b"# c\noption a b\n", 2, ErrorKind::OutsideSection),
        (b"config x\nlist a\n", 2, ErrorKind::Missing("value")),
        (b"config x\noption a # no value\n", 2, ErrorKind::Missing("value")),
        (b"config x\noption\n", 2, ErrorKind::Missing("option name")),
        (b"config x\nlist ;\n", 2, ErrorKind::Missing("list name")),
        (b"\n\nconfig\n", 3, ErrorKind::Missing("section type")),
        (b"package\n", 1, ErrorKind::Missing("package name")),
        (
            b"config x\noption max-retry 3\n",
            2,
            ErrorKind::BadName("option name", "max-retry".into()),
        ),
        (
            b"config x\nlist 'a b' 3\n",
            2,
            ErrorKind::BadName("list name", "a b".into()),
        ),
        (
            b"config jail 'my-jail'\n",
            1,
            ErrorKind::BadName("section name", "my-jail".into()),
        ),
        (
            b"config 'a b'\n",
            1,
            ErrorKind::BadName("section type", "a b".into()),
        ),
        (
            b"package 'a.b'\n",
            1,
            ErrorKind::BadName("package name", "a.b".into()),
        ),
        (
            b"config x\noption a b c\n",
            2,
            ErrorKind::TooManyWords("c".into()),
        ),
        (b"config x y z\n", 1, ErrorKind::TooManyWords("z".into())),
        (
            b"config x\noptions a b\n",
            2,
            ErrorKind::UnknownStatement("options".into()),
        ),
        (
            b"config x\n\tmaxretry 5\n",
            2,
            ErrorKind::UnknownStatement("maxretry".into()),
        ),
        (
            b"[Definition]\n",
            1,
            ErrorKind::UnknownStatement("[Definition]".into()),
        ),
        (b"config x\noption a '\xff'\n", 2, ErrorKind::InvalidUtf8),
        (b"config x\noption \xc3\x28 b\n", 2, ErrorKind::InvalidUtf8),
        (b"config \xe2\x82 n\n", 1, ErrorKind::InvalidUtf8),
    ];
    for (src, line, kind) in cases {
        let (l, k, msg) = err(src);
        assert_eq!(
            (l, &k),
            (*line, kind),
            "{:?}: {msg}",
            String::from_utf8_lossy(src)
        );
        assert!(msg.starts_with(&format!("/etc/config/logjail:{line}: ")), "{msg}");
    }
}

#[test]
fn error_messages_read_well() {
    let (_, _, msg) = err(b"config x\n\n\noption a 'x\n\n");
    assert_eq!(
        msg,
        "/etc/config/logjail:4: unterminated ' quote (opened on this line)"
    );
    let (_, _, msg) = err(b"config x\noption a b c\n");
    assert_eq!(
        msg,
        "/etc/config/logjail:2: unexpected 'c' after the end of the statement \
         (quote values that contain spaces)"
    );
    let (_, _, msg) = err(b"config x\noption bad-name 1");
    assert_eq!(
        msg,
        "/etc/config/logjail:2: invalid option name 'bad-name': use only letters, digits and '_'"
    );
    let (_, _, msg) = err(b"option a b");
    assert_eq!(
        msg,
        "/etc/config/logjail:1: option or list before the first config section"
    );
}

#[test]
fn invalid_utf8_in_comments_is_ignored() {
    let s = ok(std::str::from_utf8(b"# caf\xc3\xa9\n").unwrap_or("# x"));
    assert!(s.is_empty());
    let s = parse(b"# Latin-1 caf\xe9\nconfig x # \xff\xfe\noption a b\n", "t");
    assert_eq!(s.map(|s| s[0].items[0].line), Ok(3));
}

#[test]
fn very_long_lines() {
    let long = "x".repeat(256 * 1024);
    let src = format!("config x\noption a '{long}'\noption b {long}\n");
    let s = ok(&src);
    assert_eq!(s[0].items[0].value.len(), long.len());
    assert_eq!(s[0].items[1].line, 3);
    // A long bad word is named in the message, shortened.
    let (line, _, msg) = err(format!("config x\n{long}\n").as_bytes());
    assert_eq!(line, 2);
    assert!(msg.len() < 200, "{} bytes", msg.len());
    assert!(
        msg.contains("unknown statement 'xxxx") && msg.contains('…'),
        "{msg}"
    );
}

#[test]
fn garbage_never_panics() {
    // Every prefix of a file full of tricky bytes, and a pseudo-random byte soup.
    let tricky = b"config 'x' \"y\\\n\" # \xff\n option a 'b\\' ; list \"c\\\r\nd\" \\\n\x00\r\n'";
    for end in 0..=tricky.len() {
        let _ = parse(&tricky[..end], "t");
    }
    let mut seed: u32 = 0x1234_5678;
    let alphabet = b"co l'\"\\#;\n\r\t xp\xff";
    for _ in 0..2000 {
        let soup: Vec<u8> = (0..64)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                alphabet[(seed as usize) % alphabet.len()]
            })
            .collect();
        let _ = parse(&soup, "t");
    }
}
