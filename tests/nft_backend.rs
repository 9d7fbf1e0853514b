//! The nftables backend against the real kernel, each test in a fresh user + network
//! namespace, verified with the real `nft`.

mod support;

use logjail::addr::Host;
use logjail::firewall::nft::{Nft, Settings};
use logjail::firewall::{Ban, Events, Firewall};
use std::time::{Duration, Instant};
use support::netns::enter;
use support::nft::{element, elements, expires, fw4_ruleset, load, nft, nft_try};
use support::wait_for;

fn host(s: &str) -> Host {
    Host::new(s.parse().unwrap(), 64)
}

fn ban(h: &str, secs: Option<u32>) -> Ban {
    Ban::new("test", host(h), secs)
}

fn backend(main: &Settings) -> Nft {
    let mut fw = Nft::new(main).expect("open backend");
    fw.init().expect("init");
    fw
}

fn secs(d: Option<Duration>) -> u64 {
    d.expect("element has an expiry").as_secs()
}

#[test]
fn creates_missing_sets_and_bans_v4_v6_and_mapped() {
    if !enter("creates_missing_sets_and_bans_v4_v6_and_mapped") {
        return;
    }
    load(&fw4_ruleset("wan0", false));
    let mut fw = backend(&Settings::default());
    let v4 = nft(&["list", "set", "inet", "fw4", "logjail_v4"]);
    assert!(
        v4.contains("type ipv4_addr") && v4.contains("flags timeout"),
        "{v4}"
    );
    let v6 = nft(&["list", "set", "inet", "fw4", "logjail_v6"]);
    assert!(
        v6.contains("type ipv6_addr") && v6.contains("flags interval,timeout"),
        "{v6}"
    );
    // The daemon creates exactly what the fw4 include declares: loading it now is a no-op.
    load(&fw4_ruleset("wan0", true));

    fw.block_many(&[
        ban("203.0.113.9", Some(3600)),
        ban("2001:db8:bad::7", Some(600)),
        ban("::ffff:198.51.100.7", None),
    ])
    .expect("ban");
    let e = element("fw4", "logjail_v4", "203.0.113.9").expect("v4 element");
    assert!((3590..=3600).contains(&secs(expires(&e))), "{e}");
    let e = element("fw4", "logjail_v6", "2001:db8:bad::/64").expect("the /64 is one element");
    assert!((590..=600).contains(&secs(expires(&e))), "{e}");
    assert_eq!(
        element("fw4", "logjail_v4", "198.51.100.7").as_deref(),
        Some("198.51.100.7"),
        "mapped, permanent"
    );
    assert_eq!(elements("fw4", "logjail_v6").len(), 1);
}

#[test]
fn reban_refreshes_timeout_and_unban_tolerates_absent() {
    if !enter("reban_refreshes_timeout_and_unban_tolerates_absent") {
        return;
    }
    load(&fw4_ruleset("wan0", true));
    let mut fw = backend(&Settings::default());
    fw.block(&ban("203.0.113.9", Some(100))).expect("ban");
    fw.block(&ban("2001:db8:bad::1", Some(100))).expect("ban v6");
    fw.block_many(&[
        ban("203.0.113.9", Some(5000)),
        ban("2001:db8:bad::2", Some(5000)),
        ban("192.0.2.1", Some(5000)),
    ])
    .expect("re-ban");
    let e = element("fw4", "logjail_v4", "203.0.113.9").expect("still there");
    assert!(secs(expires(&e)) > 4900, "timeout refreshed upwards: {e}");
    let e = element("fw4", "logjail_v6", "2001:db8:bad::/64").expect("v6 still there");
    assert!(secs(expires(&e)) > 4900, "v6 timeout refreshed upwards: {e}");
    fw.block(&ban("203.0.113.9", Some(60))).expect("shorter re-ban");
    assert!(secs(expires(&element("fw4", "logjail_v4", "203.0.113.9").unwrap())) <= 60);

    fw.release("test", host("203.0.113.9")).expect("unban");
    fw.release("test", host("203.0.113.9"))
        .expect("unban of an absent element is fine");
    fw.release("test", host("2001:db8:bad::")).expect("unban v6");
    assert!(element("fw4", "logjail_v4", "203.0.113.9").is_none());
    assert!(
        elements("fw4", "logjail_v6").is_empty(),
        "start and end element both gone"
    );
    assert!(element("fw4", "logjail_v4", "192.0.2.1").is_some());
    fw.flush().expect("flush");
    assert!(elements("fw4", "logjail_v4").is_empty());
}

#[test]
fn kernel_expires_bans_without_the_daemon() {
    if !enter("kernel_expires_bans_without_the_daemon") {
        return;
    }
    load(&fw4_ruleset("wan0", true));
    let mut fw = backend(&Settings::default());
    fw.block_many(&[
        ban("203.0.113.9", Some(2)),
        ban("2001:db8:bad::9", Some(2)),
        ban("192.0.2.1", Some(60)),
    ])
    .unwrap();
    fw.fin().unwrap();
    drop(fw);
    assert!(element("fw4", "logjail_v4", "203.0.113.9").is_some());
    let gone = wait_for(Duration::from_secs(5), || {
        element("fw4", "logjail_v4", "203.0.113.9").is_none() && elements("fw4", "logjail_v6").is_empty()
    });
    let took = gone.expect("the kernel removes expired elements");
    println!("expired 2 s bans gone from the sets after {took:?} more");
    assert!(
        element("fw4", "logjail_v4", "192.0.2.1").is_some(),
        "the long ban stays"
    );
}

/// Waits up to `limit` for the event fd to become readable.
fn readable(fw: &Nft, limit: Duration) -> bool {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let fd = fw.event_fd().expect("event fd");
    let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
    let ms = PollTimeout::try_from(limit.as_millis() as i32).unwrap();
    poll(&mut fds, ms).unwrap_or(0) > 0
}

#[test]
fn resyncs_after_table_is_deleted_and_recreated_without_busy_loop() {
    if !enter("resyncs_after_table_is_deleted_and_recreated_without_busy_loop") {
        return;
    }
    let ruleset = fw4_ruleset("wan0", true);
    load(&ruleset);
    let mut fw = backend(&Settings::default());
    let active = [ban("203.0.113.9", Some(3600)), ban("2001:db8:bad::9", Some(3600))];
    fw.block_many(&active).unwrap();
    while readable(&fw, Duration::from_millis(50)) {
        assert!(
            !fw.poll_events().unwrap().reinstall,
            "our own bans are no reason to resync"
        );
    }

    nft(&["delete", "table", "inet", "fw4"]);
    assert!(readable(&fw, Duration::from_secs(1)));
    assert!(
        !fw.poll_events().unwrap().reinstall,
        "table gone: nothing to re-install into"
    );
    assert!(fw.block(&active[0]).is_err(), "bans fail while the table is gone");
    // Deleted on purpose and not re-created: no events, no work.
    assert!(
        !readable(&fw, Duration::from_millis(500)),
        "quiet while the table is gone"
    );
    assert!(
        nft_try(&["list", "table", "inet", "fw4"]).is_err(),
        "logjail does not re-create fw4"
    );

    let t0 = Instant::now();
    load(&ruleset);
    assert!(readable(&fw, Duration::from_secs(1)), "event within 1 s");
    let mut resync = false;
    while readable(&fw, Duration::from_millis(20)) {
        resync |= fw.poll_events().unwrap().reinstall;
    }
    assert!(resync, "poll_events asks for a resync");
    fw.block_many(&active).unwrap();
    println!("bans back {:?} after the ruleset was re-loaded", t0.elapsed());
    assert!(t0.elapsed() < Duration::from_secs(1));
    assert!(element("fw4", "logjail_v4", "203.0.113.9").is_some());
    assert!(element("fw4", "logjail_v6", "2001:db8:bad::/64").is_some());

    // `fw4 reload` (flush + re-declare) keeps the elements: no resync needed.
    load(&ruleset);
    while readable(&fw, Duration::from_millis(50)) {
        assert!(!fw.poll_events().unwrap().reinstall, "reload keeps the sets");
    }
    assert!(element("fw4", "logjail_v4", "203.0.113.9").is_some());

    // A table re-created without logjail's sets gets them from the daemon.
    nft(&["delete", "table", "inet", "fw4"]);
    load(&fw4_ruleset("wan0", false));
    let mut resync = false;
    while readable(&fw, Duration::from_millis(200)) {
        resync |= fw.poll_events().unwrap().reinstall;
    }
    assert!(resync);
    fw.block_many(&active).unwrap();
    assert!(element("fw4", "logjail_v4", "203.0.113.9").is_some());
}

#[test]
fn standalone_creates_its_own_table_with_drop_rules() {
    if !enter("standalone_creates_its_own_table_with_drop_rules") {
        return;
    }
    let main = Settings {
        standalone: true,
        ..Settings::default()
    };
    let mut fw = backend(&main);
    assert_eq!(fw.table(), "logjail");
    let t = nft(&["list", "table", "inet", "logjail"]);
    for want in [
        "type ipv4_addr",
        "flags interval,timeout",
        "chain prerouting",
        "type filter hook prerouting priority mangle; policy accept;",
        "ip saddr @logjail_v4 drop",
        "ip6 saddr @logjail_v6 drop",
    ] {
        assert!(t.contains(want), "missing `{want}` in\n{t}");
    }
    fw.block(&ban("203.0.113.9", Some(60))).unwrap();
    assert!(element("logjail", "logjail_v4", "203.0.113.9").is_some());
    // A second start finds the table and does not add the rules twice.
    drop(fw);
    let _fw = backend(&main);
    let t = nft(&["list", "table", "inet", "logjail"]);
    assert_eq!(t.matches("ip saddr @logjail_v4 drop").count(), 1, "{t}");
}

#[test]
fn clear_errors_for_missing_table_and_bad_sets() {
    if !enter("clear_errors_for_missing_table_and_bad_sets") {
        return;
    }
    let mut fw = backend(&Settings::default());
    let err = fw.block(&ban("203.0.113.9", Some(60))).unwrap_err().to_string();
    assert_eq!(
        err,
        "set logjail_v4 not found in table inet fw4 (No such file or directory)"
    );

    load("table inet fw4 {\n set logjail_v4 { type ipv4_addr; }\n}\n");
    let mut fw = Nft::new(&Settings::default()).unwrap();
    let err = fw.init().unwrap_err().to_string();
    assert!(
        err.starts_with("set logjail_v4 in table inet fw4 must be declared with `flags timeout`"),
        "{err}"
    );

    let bad = Settings {
        family: "inet6".into(),
        ..Settings::default()
    };
    assert!(Nft::new(&bad).is_err());
}

#[test]
fn bad_element_does_not_stop_the_good_ones() {
    if !enter("bad_element_does_not_stop_the_good_ones") {
        return;
    }
    load(&fw4_ruleset("wan0", true));
    nft(&[
        "add",
        "element",
        "inet",
        "fw4",
        "logjail_v6",
        "{ 2001:db8:1::/48 }",
    ]);
    let mut fw = backend(&Settings::default());
    let err = fw
        .block_many(&[
            ban("2001:db8:9::1", Some(60)),
            ban("2001:db8:1:2::1", Some(60)),
            ban("2001:db8:7::1", Some(60)),
        ])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("2001:db8:1:2::/64") && err.contains("overlaps"),
        "{err}"
    );
    assert!(element("fw4", "logjail_v6", "2001:db8:9::/64").is_some());
    assert!(element("fw4", "logjail_v6", "2001:db8:7::/64").is_some());
    assert!(element("fw4", "logjail_v6", "2001:db8:1:2::/64").is_none());
}

#[test]
fn ten_thousand_bans_in_chunked_batches() {
    if !enter("ten_thousand_bans_in_chunked_batches") {
        return;
    }
    load(&fw4_ruleset("wan0", true));
    let mut fw = backend(&Settings::default());
    let mk = |secs| -> Vec<Ban> {
        let mut v: Vec<Ban> = (0..9000u32)
            .map(|i| Ban::new("t", Host::V4((0x0a00_0000 + i).into()), Some(secs)))
            .collect();
        v.extend((0..1000u32).map(|i| {
            let net = 0x2001_0db8_0000_0000_0000_0000_0000_0000u128 | (u128::from(i) << 64);
            Ban::new("t", Host::V6(net.into(), 64), Some(secs))
        }));
        v
    };
    let t0 = Instant::now();
    fw.block_many(&mk(3600)).expect("10k bans");
    let fresh = t0.elapsed();
    assert_eq!(elements("fw4", "logjail_v4").len(), 9000);
    assert_eq!(elements("fw4", "logjail_v6").len(), 1000);
    let t0 = Instant::now();
    fw.block_many(&mk(7200)).expect("10k re-bans");
    let refresh = t0.elapsed();
    let v4 = elements("fw4", "logjail_v4");
    assert_eq!(v4.len(), 9000);
    assert!(v4.iter().all(|e| secs(expires(e)) > 7000), "all refreshed");
    println!("10000 bans (9000 v4 + 1000 v6 /64): {fresh:?} new, {refresh:?} refreshing all");
}

#[test]
fn durations_parse_like_nft_prints_them() {
    use support::nft::parse_duration;
    assert_eq!(
        parse_duration("59m59s996ms"),
        Some(Duration::from_millis(3_599_996))
    );
    assert_eq!(parse_duration("1d2h"), Some(Duration::from_secs(93_600)));
    assert_eq!(parse_duration("12x"), None);
}
