//! How `status`, `list` and `unban` answers print, as text and JSON.

use super::*;

#[test]
fn durations_read_like_people_write_them() {
    assert_eq!(duration(None), "permanent");
    assert_eq!(duration(Some(45)), "45s");
    assert_eq!(duration(Some(3600)), "1h0m0s");
    assert_eq!(duration(Some(90_061)), "1d1h1m1s");
}

#[test]
fn json_keys_are_the_documented_ones() {
    let b = BanInfo {
        jail: "dropbear".into(),
        address: "2001:db8::/64".into(),
        remaining: None,
        count: 2,
        start: 7,
    };
    let r = render(
        &Request::List { jail: None },
        &[Response::Bans(vec![b.clone()])],
        true,
    );
    assert_eq!(
        r,
        "{\"bans\":[{\"jail\":\"dropbear\",\"address\":\"2001:db8::/64\",\"remaining\":null,\"count\":2,\"start\":7}],\"refused\":[],\"kernel_only\":[]}\n"
    );
    let refused = RefusedInfo {
        ban: b.clone(),
        reason: "set logjail_v4 in table inet fw4 is full (size 2)".into(),
    };
    let held = HeldInfo {
        address: "192.0.2.99".into(),
        remaining: Some(60),
    };
    let replies = [Response::Refused(vec![refused]), Response::KernelOnly(vec![held])];
    let r = render(&Request::List { jail: None }, &replies, true);
    assert_eq!(
        r,
        "{\"bans\":[],\"refused\":[{\"jail\":\"dropbear\",\"address\":\"2001:db8::/64\",\"remaining\":null,\"count\":2,\"start\":7,\"reason\":\"set logjail_v4 in table inet fw4 is full (size 2)\"}],\"kernel_only\":[{\"address\":\"192.0.2.99\",\"remaining\":60}]}\n"
    );
    let text = render(&Request::List { jail: None }, &replies, false);
    assert!(text.contains("REFUSED by the kernel: set logjail_v4"), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("(kernel only)")
            && l.contains("192.0.2.99")
            && l.ends_with("not known to logjail")),
        "{text}"
    );
    let unban = Request::Unban {
        addr: Some("192.0.2.99".into()),
    };
    let lifted = |kernel_only: Vec<String>| Response::Lifted {
        bans: Vec::new(),
        kernel_only,
        emptied: None,
    };
    assert_eq!(
        render(&unban, &[lifted(vec!["192.0.2.99".into()])], true),
        "{\"unbanned\":[],\"kernel_only\":[\"192.0.2.99\"]}\n"
    );
    assert_eq!(
        render(&unban, &[lifted(vec![])], false),
        "nothing was banned: 192.0.2.99 is neither among logjail's bans nor in the firewall's sets\n"
    );
    assert_eq!(version("1", None, true), "{\"client\":\"1\",\"daemon\":null}\n");
    assert_eq!(error("a\"b"), "{\"error\":\"a\\\"b\"}\n");
}
