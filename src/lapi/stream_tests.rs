use super::*;

fn run(body: &[u8], filter: Filter, step: usize) -> Result<(Vec<String>, Skipped), StreamError> {
    let mut d = Decisions::new(filter);
    let mut out = Vec::new();
    for chunk in body.chunks(step.max(1)) {
        d.feed(chunk, &mut |x| {
            let sign = if x.deleted { "-" } else { "+" };
            out.push(format!("{sign}{}/{} {}", x.net, x.prefix, x.seconds));
        })?;
    }
    d.finish()?;
    Ok((out, d.skipped))
}

/// What LAPI 1.4 sends (captured with curl from `crowdsec -no-cs`), shortened.
const STREAM: &[u8] = br#"{"deleted":[{"duration":"-13.44s","id":3,"origin":"cscli","scenario":"manual 'ban' from 'x'","scope":"Ip","type":"ban","value":"198.51.100.9"}],"new":[{"duration":"3h59m58.5s","id":1,"origin":"cscli","scenario":"manual 'ban' from 'x'","scope":"Ip","type":"ban","value":"192.0.2.7","uuid":"u","simulated":false,"extra":{"a":[1,{"b":null}]}},{"duration":"1m59s","id":2,"origin":"crowdsec","scenario":"crowdsecurity/ssh-bf","scope":"Range","type":"ban","value":"2001:db8:1:2::/64"},{"duration":"4h","origin":"lists","scenario":"tor","scope":"range","type":"ban","value":"203.0.113.77/24"},{"duration":"4h","origin":"cscli","scenario":"x","scope":"Ip","type":"captcha","value":"192.0.2.8"},{"duration":"4h","origin":"cscli","scenario":"x","scope":"Country","type":"ban","value":"FR"},{"duration":"4h","origin":"cscli","scenario":"x","scope":"Ip","type":"ban","value":"not-an-ip"},{"duration":"-1s","origin":"cscli","scenario":"x","scope":"Ip","type":"ban","value":"192.0.2.9"}]}"#;

#[test]
fn reads_new_and_deleted_decisions_in_any_chunking() {
    let (all, skipped) = run(STREAM, Filter::default(), STREAM.len()).unwrap();
    assert_eq!(
        all,
        [
            "-198.51.100.9/32 0",
            "+192.0.2.7/32 14399",
            "+2001:db8:1:2::/64 119",
            "+203.0.113.0/24 14400"
        ]
    );
    assert_eq!(
        skipped,
        Skipped {
            not_ban: 1,
            scope: 1,
            origin: 0,
            bad_value: 1,
            duration: 1
        }
    );
    for step in 1..40 {
        assert_eq!(
            run(STREAM, Filter::default(), step).unwrap().0,
            all,
            "chunks of {step}"
        );
    }
}

#[test]
fn filters_scopes_and_origins() {
    let only_ip = Filter {
        range: false,
        ..Filter::default()
    };
    let (all, s) = run(STREAM, only_ip, 64).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(s.scope, 3);
    let crowdsec = Filter {
        origins: vec!["CrowdSec".into(), "lists:tor".into()],
        ..Filter::default()
    };
    let (all, s) = run(STREAM, crowdsec, 64).unwrap();
    assert_eq!(all, ["+2001:db8:1:2::/64 119", "+203.0.113.0/24 14400"]);
    assert_eq!(s.origin, 4);
    let other_list = Filter {
        origins: vec!["lists:firehol".into()],
        ..Filter::default()
    };
    assert!(run(STREAM, other_list, 64).unwrap().0.is_empty());
}

#[test]
fn null_and_empty_arrays_and_unknown_members() {
    for body in [
        &br#"{"new":null,"deleted":null}"#[..],
        br#"{"new":[],"deleted":[]}"#,
        br#"{}"#,
        br#"{"other":{"new":[{"type":"ban"}]},"x":[1,2],"y":"z"}"#,
    ] {
        assert!(run(body, Filter::default(), 3).unwrap().0.is_empty());
    }
}

#[test]
fn refuses_bodies_of_another_shape() {
    let shape = |b: &[u8]| match run(b, Filter::default(), 5) {
        Err(StreamError::Shape(w)) => w,
        other => panic!("{other:?}"),
    };
    assert_eq!(shape(b"[]"), "the body is not a JSON object");
    assert_eq!(shape(br#"{"new":{}}"#), "'new' or 'deleted' is not an array");
    assert_eq!(shape(br#"{"deleted":"x"}"#), "'new' or 'deleted' is not an array");
    assert_eq!(
        shape(br#"{"new":[1]}"#),
        "an item of 'new' or 'deleted' is not an object"
    );
    assert!(matches!(
        run(br#"{"new":[{"type":"ban","#, Filter::default(), 5),
        Err(StreamError::Json(_))
    ));
    let e = run(b"<html>502 Bad Gateway</html>", Filter::default(), 5).unwrap_err();
    assert_eq!(e.to_string(), "invalid JSON at byte 1: expected a value");
}

#[test]
fn go_durations() {
    for (text, secs) in [
        ("3h59m58.5s", Some(14399)),
        ("1m30s", Some(90)),
        ("2m", Some(120)),
        ("500ms", Some(1)),
        ("1.000000001s", Some(2)),
        ("0s", Some(0)),
        ("0", Some(0)),
        ("-2.5s", Some(0)),
        ("167h59m59.123456789s", Some(604800)),
        ("1µs", Some(1)),
        ("3ns", Some(1)),
        ("99999999999h", Some(u32::MAX)),
        ("", None),
        ("h", None),
        ("1x", None),
        ("1.s", Some(1)),
        (".5s", Some(1)),
        ("1", None),
        ("1h-2m", None),
    ] {
        assert_eq!(duration(text), secs, "{text}");
    }
}

#[test]
fn networks() {
    let n = |v: &str, r: bool| network(v, r).map(|(a, p)| format!("{a}/{p}"));
    assert_eq!(n("192.0.2.7", false).as_deref(), Some("192.0.2.7/32"));
    assert_eq!(n("::ffff:192.0.2.7", false).as_deref(), Some("192.0.2.7/32"));
    assert_eq!(n("192.0.2.7/24", true).as_deref(), Some("192.0.2.0/24"));
    assert_eq!(n("::ffff:192.0.2.0/120", true).as_deref(), Some("192.0.2.0/24"));
    assert_eq!(n("2001:db8::1/48", true).as_deref(), Some("2001:db8::/48"));
    assert_eq!(n("192.0.2.7/24", false), None);
    assert_eq!(n("192.0.2.7", true), None);
    assert_eq!(n("192.0.2.0/33", true), None);
    assert_eq!(n("0.0.0.0/0", true), None);
    assert_eq!(n("192.0.2.0/+4", true), None);
}
