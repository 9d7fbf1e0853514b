use super::*;

/// Every token of `doc` fed in chunks of `step` bytes, rendered as text, or the error.
fn tokens(doc: &[u8], step: usize) -> Result<Vec<String>, JsonError> {
    let mut r = Reader::new();
    let mut out = Vec::new();
    for chunk in doc.chunks(step.max(1)) {
        let mut input = chunk;
        while let Some(t) = r.next(&mut input)? {
            out.push(format!("{t:?}"));
        }
    }
    r.end()?;
    Ok(out)
}

#[test]
fn reads_a_decisions_stream_in_any_chunking() {
    let doc = br#"{"deleted":null,"new":[{"duration":"3h59m58.5s","id":1,"origin":"cscli","scenario":"manual 'ban' from 'x'","scope":"Ip","type":"ban","value":"192.0.2.7","simulated":false}]}"#;
    let whole = tokens(doc, doc.len()).unwrap();
    assert_eq!(whole[0], "ObjectStart");
    assert_eq!(whole[1], "Key(\"deleted\")");
    assert_eq!(whole[2], "Null");
    assert!(whole.contains(&"Number(\"1\")".to_string()));
    assert!(whole.contains(&"Str(\"192.0.2.7\")".to_string()));
    assert!(whole.contains(&"Bool(false)".to_string()));
    assert_eq!(whole.last().map(String::as_str), Some("ObjectEnd"));
    for step in 1..doc.len() {
        assert_eq!(tokens(doc, step).unwrap(), whole, "chunks of {step}");
    }
}

#[test]
fn unescapes_strings_and_surrogate_pairs() {
    let doc = br#"["a\"b\\c\/\n\t\u00e9\ud83d\ude00"]"#;
    for step in 1..=doc.len() {
        let t = tokens(doc, step).unwrap();
        assert_eq!(t[1], format!("{:?}", Token::Str("a\"b\\c/\n\té😀")));
    }
}

#[test]
fn numbers_follow_the_grammar() {
    for good in ["0", "-0", "12", "1.5", "-1.5e3", "1E+2", "0.0e-1"] {
        // A bare number at the top is checked when the input ends.
        assert!(tokens(good.as_bytes(), 1).is_ok(), "{good}");
        let arr = format!("[{good}]");
        assert_eq!(tokens(arr.as_bytes(), 2).unwrap()[1], format!("Number({good:?})"));
    }
    for bad in ["01", "-", "1.", ".5", "1e", "1e+", "+1", "1.2.3", "--1"] {
        assert!(tokens(format!("[{bad}]").as_bytes(), 1).is_err(), "{bad}");
    }
}

#[test]
fn rejects_garbage_with_where_and_what() {
    let cases: &[(&[u8], &str)] = &[
        (b"{\"a\":1,}", "expected a member name in quotes"),
        (b"[1,]", "expected a value"),
        (b"[1 2]", "expected ',' or a closing bracket"),
        (b"{\"a\" 1}", "expected ':' after a member name"),
        (b"[1}", "closing bracket does not match"),
        (b"{} {}", "data after the end of the document"),
        (b"[tru]", "unknown word (true, false and null are)"),
        (b"[\"a\x01\"]", "control character in a string"),
        (b"[\"\\x\"]", "unknown escape"),
        (b"[\"\\ud800\"]", "lone surrogate"),
        (b"[\"\\udc00\"]", "lone surrogate"),
        (b"[\"\xff\"]", "string is not UTF-8"),
        (b"<html>", "expected a value"),
        (b"{\"new\":[", "the document ends in the middle of a value"),
        (b"", "the document ends in the middle of a value"),
    ];
    for (doc, what) in cases {
        let e = tokens(doc, 3).unwrap_err();
        assert_eq!(e.what, *what, "{}", String::from_utf8_lossy(doc));
    }
    let e = tokens(b"[1,2,x]", 100).unwrap_err();
    assert_eq!(e.to_string(), "invalid JSON at byte 6: expected a value");
}

#[test]
fn bounds_depth_and_string_length() {
    let deep = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
    assert!(tokens(deep.as_bytes(), 7).is_ok());
    let deeper = "[".repeat(MAX_DEPTH + 1);
    assert_eq!(
        tokens(deeper.as_bytes(), 7).unwrap_err().what,
        "nested deeper than the limit"
    );
    let long = format!("[\"{}\"]", "x".repeat(MAX_STRING));
    assert!(tokens(long.as_bytes(), 1000).is_ok());
    let longer = format!("[\"{}\"]", "x".repeat(MAX_STRING + 1));
    assert_eq!(
        tokens(longer.as_bytes(), 1000).unwrap_err().what,
        "string or number longer than the limit"
    );
}

#[test]
fn a_failed_reader_stays_failed() {
    let mut r = Reader::new();
    let mut input: &[u8] = b"[x";
    assert!(r.next(&mut input).unwrap().is_some());
    assert!(r.next(&mut input).is_err());
    let mut more: &[u8] = b"1]";
    assert!(r.next(&mut more).is_err());
}

#[test]
fn agrees_with_serde_json_on_random_documents() {
    // A tiny generator of valid and broken documents; serde_json is the referee.
    let mut seed = 0x1234_5678_u64;
    let mut rnd = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let atoms = [
        "1",
        "-2.5e3",
        "\"s\\u00e9\"",
        "true",
        "null",
        "{}",
        "[]",
        "\"\"",
        "0",
    ];
    for _ in 0..2000 {
        let mut doc = String::new();
        let mut open = Vec::new();
        for _ in 0..rnd(12) {
            match rnd(6) {
                0 => {
                    doc.push('[');
                    open.push(']');
                }
                1 => {
                    doc.push_str("{\"k\":");
                    open.push('}');
                }
                2 => doc.push(','),
                _ => doc.push_str(atoms[rnd(atoms.len() as u64) as usize]),
            }
        }
        while let Some(c) = open.pop() {
            doc.push(c);
        }
        let ours = tokens(doc.as_bytes(), 1 + rnd(5) as usize).is_ok();
        let theirs = serde_json::from_str::<serde_json::Value>(&doc).is_ok();
        assert_eq!(ours, theirs, "{doc}");
    }
}
