//! Tests of [`super`]: host text forms, what can offend, hosts and ranges.

use super::*;

fn p(s: &str) -> Option<String> {
    parse_host(s.as_bytes()).map(|ip| ip.to_string())
}

#[test]
fn host_text_forms() {
    let cases: &[(&str, Option<&str>)] = &[
        ("1.2.3.4", Some("1.2.3.4")),
        ("1.2.3.4:22", Some("1.2.3.4")),
        ("<1.2.3.4:5678>", Some("1.2.3.4")),
        ("[2001:db8::1]:22", Some("2001:db8::1")),
        ("[2001:db8::1]", Some("2001:db8::1")),
        ("2001:db8::7:54498", Some("2001:db8::7")),
        ("2001:db8::7", Some("2001:db8::7")),
        ("fe80::1%eth0", Some("fe80::1")),
        ("[fe80::1%br-lan]:22", Some("fe80::1")),
        ("::ffff:1.2.3.4", Some("1.2.3.4")),
        ("[::ffff:1.2.3.4]:22", Some("1.2.3.4")),
        ("1.2.3.4:99999", None),
        ("1.2.3", None),
        ("256.1.1.1", None),
        ("host.example", None),
        ("", None),
        ("fe80::1%", None),
        ("[2001:db8::1]x", None),
        ("127.0.0.1", Some("127.0.0.1")),
        ("::1", Some("::1")),
        ("169.254.1.2", Some("169.254.1.2")),
        ("fe80::1%br-lan", Some("fe80::1")),
        ("[::ffff:198.51.100.77]:22", Some("198.51.100.77")),
    ];
    for (text, want) in cases {
        assert_eq!(p(text).as_deref(), *want, "{text}");
    }
    assert_eq!(parse_host(b"1.2.3.\xff"), None);
}

#[test]
fn addresses_that_are_not_hosts_are_never_offenders() {
    for text in [
        "0.0.0.0",
        "0.0.0.0:22",
        "0.1.2.3",
        "255.255.255.255",
        "224.0.0.1",
        "239.255.255.250:1900",
        "240.0.0.1",
        "::",
        "[::]:22",
        "::0.0.0.0",
        "::198.51.100.77",
        "::2",
        "::ffff:0:198.51.100.77",
        "::ffff:0.0.0.0",
        "::ffff:224.0.0.1",
        "[::ffff:255.255.255.255]:22",
        "ff02::1",
        "ff02::1%br-lan",
        "[ff05::1:3]:547",
    ] {
        assert_eq!(p(text), None, "{text}");
    }
    for ok in [
        "1.0.0.0",
        "223.255.255.255",
        "fe80::1",
        "::1",
        "2001:db8::",
        "64:ff9b::c633:644d",
    ] {
        assert!(can_offend(ok.parse().unwrap()), "{ok}");
    }
    let host = |s: &str| Host::parse(s).unwrap();
    assert!(host("2001:db8:bad::/64").can_offend() && host("198.51.100.77").can_offend());
    for bad in [
        "0.0.0.0",
        "255.255.255.255",
        "::/64",
        "ff02::/64",
        "8000::/1",
        "::",
    ] {
        assert!(!host(bad).can_offend(), "{bad}");
    }
    assert!(!Host::new("::1".parse().unwrap(), 64).can_offend());
}

#[test]
fn host_masks_v6_and_displays() {
    let ip: IpAddr = "2001:db8:bad::7".parse().unwrap();
    let h = Host::new(ip, 64);
    assert_eq!(h.to_string(), "2001:db8:bad::/64");
    assert_eq!(h.last().to_string(), "2001:db8:bad:0:ffff:ffff:ffff:ffff");
    assert_eq!(Host::new(ip, 128).to_string(), "2001:db8:bad::7");
    let mapped: IpAddr = "::ffff:203.0.113.9".parse().unwrap();
    assert_eq!(Host::new(mapped, 64).to_string(), "203.0.113.9");
    assert_eq!(Host::parse("2001:db8:bad::/64"), Some(h));
    assert_eq!(
        Host::parse("203.0.113.9"),
        Some(Host::V4("203.0.113.9".parse().unwrap()))
    );
    assert_eq!(Host::parse("10.0.0.0/8"), None);
}

#[test]
fn cidr_contains_and_covers() {
    let c = Cidr::parse("192.168.1.77/24").unwrap();
    assert_eq!(c.to_string(), "192.168.1.0/24");
    assert!(c.contains("192.168.1.200".parse().unwrap()));
    assert!(c.contains("::ffff:192.168.1.5".parse().unwrap()));
    assert!(!c.contains("192.168.2.1".parse().unwrap()));
    assert!(!c.contains("2001:db8::1".parse().unwrap()));
    let v6 = Cidr::parse("2001:db8::/32").unwrap();
    let h = Host::new("2001:db8:1:2::9".parse().unwrap(), 64);
    assert!(v6.covers(&h) && v6.overlaps(&h));
    let narrow = Cidr::parse("2001:db8:1:2::9").unwrap();
    assert!(!narrow.covers(&h) && narrow.overlaps(&h));
    for bad in [
        "",
        "1.2.3.4/33",
        "1.2.3.4/",
        "::/129",
        "x",
        "1.2.3.4/-1",
        "1.2.3.4/+8",
    ] {
        assert_eq!(Cidr::parse(bad), None, "{bad}");
    }
}
