use super::*;
use crate::firewall::jail_name;

#[test]
fn times_both_ways() {
    for (t, text) in [
        (0, "1970-01-01T00:00:00Z"),
        (1_795_860_000, "2026-11-28T10:00:00Z"),
        (951_782_400, "2000-02-29T00:00:00Z"),
        (4_102_444_799, "2099-12-31T23:59:59Z"),
    ] {
        assert_eq!(time_text(t), text);
        assert_eq!(rfc3339(text), Some(t));
    }
    assert_eq!(
        rfc3339("2026-11-28T11:00:00.123456789+01:00"),
        Some(1_795_860_000)
    );
    assert_eq!(rfc3339("2026-11-28T09:30:00-00:30"), Some(1_795_860_000));
    for bad in [
        "",
        "2026-11-28",
        "2026-13-28T10:00:00Z",
        "2026-11-28T10:00:00",
        "2026-11-28T10:00:00Zjunk",
        "2026-11-28T1a:00:00Z",
    ] {
        assert_eq!(rfc3339(bad), None, "{bad}");
    }
}

#[test]
fn reads_a_login_answer() {
    let body = br#"{"code":200,"expire":"2026-12-03T08:28:01Z","token":"eyJhbGciOiJIUzI1NiJ9.e30.x"}"#;
    let l = Login::read(body).unwrap();
    assert_eq!(l.token, "eyJhbGciOiJIUzI1NiJ9.e30.x");
    assert_eq!(l.expire, rfc3339("2026-12-03T08:28:01Z"));
    assert_eq!(
        Login::read(br#"{"code":401,"message":"incorrect Username or Password"}"#),
        None
    );
    assert_eq!(Login::read(br#"{"token":"a b"}"#), None);
    assert_eq!(Login::read(b"garbage"), None);
    assert_eq!(Login::read(br#"{"x":{"token":"nested"}}"#), None);
}

#[test]
fn writes_alerts_lapi_can_read() {
    let reports = [
        Report {
            jail: jail_name("dropbear"),
            host: Host::parse("203.0.113.9").unwrap(),
            events: 5,
            start: 1_795_860_000,
            duration: Some(600),
        },
        Report {
            jail: jail_name("luci\"x"),
            host: Host::parse("2001:db8:bad::/64").unwrap(),
            events: 3,
            start: 1_795_860_001,
            duration: None,
        },
    ];
    let body = alerts_body(&reports, "router \"1\"");
    let v: serde_json::Value = serde_json::from_str(&body).expect("valid JSON");
    let a = &v[0];
    assert_eq!(a["scenario"], "logjail/dropbear");
    assert_eq!(a["events_count"], 5);
    assert_eq!(a["start_at"], "2026-11-28T10:00:00Z");
    assert_eq!(a["source"]["scope"], "Ip");
    assert_eq!(a["source"]["ip"], "203.0.113.9");
    assert_eq!(a["decisions"][0]["duration"], "600s");
    assert_eq!(a["decisions"][0]["value"], "203.0.113.9");
    assert_eq!(a["decisions"][0]["type"], "ban");
    let b = &v[1];
    assert_eq!(b["scenario"], "logjail/luci\"x");
    assert_eq!(b["source"]["scope"], "Range");
    assert_eq!(b["source"]["range"], "2001:db8:bad::/64");
    assert_eq!(b["decisions"][0]["duration"], "315360000s");
    let login: serde_json::Value = serde_json::from_str(&login_body("r\"1", "p\\w")).unwrap();
    assert_eq!(
        (login["machine_id"].as_str(), login["password"].as_str()),
        (Some("r\"1"), Some("p\\w"))
    );
}
