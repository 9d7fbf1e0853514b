//! LAPI's decisions fed to the engine: what goes into the sets, what comes out, and what the
//! jails' own bans have to do with it.

use super::*;
use crate::lapi::stream::Decision;

const T0: i64 = 1_795_860_000;

fn at(wall: i64) -> Now {
    Now {
        wall,
        mono_ms: u64::try_from(wall - T0).unwrap_or(0) * 1000 + 5_000,
    }
}

fn engine(max: usize) -> Engine {
    let text = format!(
        "config logjail\n\tlist ignoreip '198.51.100.0/24'\n\nconfig jail 'dropbear'\n\toption maxretry '1'\n\toption bantime '60'\n\nconfig crowdsec\n\toption lapi_url 'http://127.0.0.1:8080'\n\toption api_key 'k'\n\toption max_decisions '{max}'\n"
    );
    let cfg = crate::config::parse(&text, "t").expect("config").config;
    Engine::new(&cfg, &[], 7).expect("engine")
}

fn new(v: &str, prefix: u8, seconds: u32) -> Decision {
    Decision {
        net: v.parse().expect("ip"),
        prefix,
        seconds,
        deleted: false,
    }
}

fn del(v: &str, prefix: u8) -> Decision {
    Decision {
        seconds: 0,
        deleted: true,
        ..new(v, prefix, 0)
    }
}

/// One response of `decisions`, applied, its firewall changes drained into `out`.
fn feed(e: &mut Engine, decisions: &[Decision], startup: bool, now: Now, out: &mut Vec<Action>) -> Applied {
    let mut staged = e.lapi_staging(now, startup);
    for d in decisions {
        staged.push(d);
    }
    let a = e.lapi(staged, startup, now);
    while e.lapi_drain(2, now, out) > 0 {}
    a
}

fn show(out: &mut Vec<Action>) -> Vec<String> {
    out.drain(..)
        .map(|a| match a {
            Action::Block { ban } => format!("block {} {} {:?}", ban.jail, ban.host, ban.timeout),
            Action::Release { jail, host } => format!("release {jail} {host}"),
            other => format!("{other:?}"),
        })
        .collect()
}

#[test]
fn startup_installs_ips_and_ranges_with_their_timeouts() {
    let mut e = engine(100);
    let mut out = Vec::new();
    let d = [
        new("192.0.2.7", 32, 120),
        new("2001:db8:1::", 48, 3600),
        new("203.0.113.4", 30, 60),
        new("10.0.0.0", 8, 60),
        new("127.0.0.1", 32, 60),
        new("198.51.100.9", 32, 60),
        new("192.0.2.7", 32, 100),
    ];
    let a = feed(&mut e, &d, true, at(T0), &mut out);
    assert_eq!((a.added, a.skipped, a.full), (6, 3, 0));
    let shown = show(&mut out);
    assert_eq!(
        shown,
        [
            "block crowdsec 192.0.2.7 Some(120)",
            "block crowdsec 203.0.113.4 Some(60)",
            "block crowdsec 203.0.113.5 Some(60)",
            "block crowdsec 203.0.113.6 Some(60)",
            "block crowdsec 203.0.113.7 Some(60)",
            "block crowdsec 2001:db8:1::/48 Some(3600)",
        ]
    );
    assert_eq!(e.lapi.as_ref().map(|t| t.wide), Some(1));
    // The same answer again changes nothing.
    assert_eq!(feed(&mut e, &d, true, at(T0 + 1), &mut out).added, 0);
    assert!(out.is_empty());
    // The firewall lost its sets: all six again, in batches, with what they have left.
    e.reinstall(at(T0 + 10), &mut out);
    assert!(out.is_empty(), "LAPI's come out of lapi_drain: {out:?}");
    assert_eq!(e.lapi_drain(4, at(T0 + 10), &mut out), 4);
    assert_eq!(e.lapi_drain(4, at(T0 + 10), &mut out), 2);
    assert_eq!(e.lapi_drain(4, at(T0 + 10), &mut out), 0);
    let shown = show(&mut out);
    assert_eq!(shown[0], "block crowdsec 192.0.2.7 Some(111)");
    assert_eq!(shown.len(), 6);
}

#[test]
fn deletions_and_a_new_startup_lift_bans() {
    let mut e = engine(100);
    let mut out = Vec::new();
    feed(
        &mut e,
        &[
            new("192.0.2.7", 32, 120),
            new("192.0.2.8", 32, 120),
            new("192.0.2.9", 32, 120),
        ],
        true,
        at(T0),
        &mut out,
    );
    out.clear();
    let a = feed(
        &mut e,
        &[del("192.0.2.7", 32), del("192.0.2.99", 32)],
        false,
        at(T0 + 5),
        &mut out,
    );
    assert_eq!(a.removed, 1);
    assert_eq!(show(&mut out), ["release crowdsec 192.0.2.7"]);
    // LAPI restarted: its startup answer no longer has .8.
    feed(&mut e, &[new("192.0.2.9", 32, 110)], true, at(T0 + 10), &mut out);
    assert_eq!(show(&mut out), ["release crowdsec 192.0.2.8"]);
    let left: Vec<_> = e.lapi_bans(at(T0 + 10)).collect();
    assert_eq!(left, [(Host::V4("192.0.2.9".parse().unwrap()), 110)]);
    // A longer ban of a held host is installed again, replacing the element.
    feed(&mut e, &[new("192.0.2.9", 32, 500)], false, at(T0 + 10), &mut out);
    assert_eq!(show(&mut out), ["block crowdsec 192.0.2.9 Some(500)"]);
}

#[test]
fn a_full_table_refuses_and_counts() {
    let mut e = engine(2);
    let mut out = Vec::new();
    let a = feed(
        &mut e,
        &[
            new("192.0.2.1", 32, 60),
            new("192.0.2.2", 32, 60),
            new("192.0.2.3", 32, 60),
        ],
        true,
        at(T0),
        &mut out,
    );
    assert_eq!((a.added, a.full), (2, 1));
    assert_eq!(e.lapi.as_ref().map(|t| (t.len(), t.full)), Some((2, 1)));
    // Ended bans make room.
    let a = feed(&mut e, &[new("192.0.2.4", 32, 60)], false, at(T0 + 61), &mut out);
    assert_eq!((a.added, a.full), (1, 0));
}

#[test]
fn jail_and_lapi_bans_of_one_host_do_not_lift_each_other() {
    let mut e = engine(10);
    let mut out = Vec::new();
    feed(&mut e, &[new("203.0.113.9", 32, 600)], true, at(T0), &mut out);
    e.line(
        b"Nov 28 10:00:01 dropbear[1]: Bad password attempt for 'root' from 203.0.113.9:22",
        at(T0 + 1),
        &mut out,
    );
    e.line(
        b"Nov 28 10:00:01 dropbear[1]: Bad password attempt for 'root' from 203.0.113.8:22",
        at(T0 + 1),
        &mut out,
    );
    out.clear();
    // The jail's 60 s end: .8 is released, .9 stays (LAPI holds it).
    e.tick(at(T0 + 70), &mut out);
    let shown = show(&mut out);
    assert!(shown.iter().any(|s| s.ends_with("203.0.113.8")), "{shown:?}");
    assert!(!shown.iter().any(|s| s.ends_with("203.0.113.9")), "{shown:?}");
    // A jail's ban held while LAPI deletes: the element stays.
    e.line(
        b"Nov 28 10:02:00 dropbear[1]: Bad password attempt for 'root' from 203.0.113.8:22",
        at(T0 + 120),
        &mut out,
    );
    feed(
        &mut e,
        &[new("203.0.113.8", 32, 600)],
        false,
        at(T0 + 120),
        &mut out,
    );
    out.clear();
    feed(&mut e, &[del("203.0.113.8", 32)], false, at(T0 + 121), &mut out);
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn unban_is_local_and_lifts_the_element() {
    let mut e = engine(10);
    let mut out = Vec::new();
    feed(
        &mut e,
        &[new("192.0.2.7", 32, 600), new("2001:db8::", 64, 600)],
        true,
        at(T0),
        &mut out,
    );
    out.clear();
    let gone = e.unban(Some("192.0.2.7"), at(T0 + 1), &mut out).expect("unban");
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].0.as_str(), JAIL);
    assert_eq!(gone[0].1.duration, Some(599));
    assert_eq!(show(&mut out), ["Lift { host: V4(192.0.2.7) }"]);
    assert_eq!(e.lapi.as_ref().map(|t| t.len()), Some(1));
    let gone = e.unban(None, at(T0 + 1), &mut out).expect("unban all");
    assert_eq!(gone.len(), 1);
    assert_eq!(e.lapi.as_ref().map(|t| t.len()), Some(0));
}

#[test]
fn a_large_poll_is_merged_and_a_small_one_updated_in_place() {
    let mut e = engine(1000);
    let mut out = Vec::new();
    feed(&mut e, &[new("192.0.2.1", 32, 600)], true, at(T0), &mut out);
    out.clear();
    // 300 new decisions in one incremental answer: the merge path, .1 kept.
    let many: Vec<_> = (0..300)
        .map(|i| new(&format!("10.0.{}.{}", i / 200, i % 200 + 1), 32, 60))
        .collect();
    let a = feed(&mut e, &many, false, at(T0 + 1), &mut out);
    assert_eq!((a.added, out.len()), (300, 300));
    assert_eq!(e.lapi.as_ref().map(|t| t.len()), Some(301));
    let sorted = e
        .lapi
        .as_ref()
        .map(|t| t.entries().windows(2).all(|w| w[0].host < w[1].host));
    assert_eq!(sorted, Some(true));
    out.clear();
    // A small one: one longer, one new, one the same.
    let a = feed(
        &mut e,
        &[
            new("10.0.0.1", 32, 900),
            new("192.0.2.200", 32, 60),
            new("10.0.0.2", 32, 59),
        ],
        false,
        at(T0 + 2),
        &mut out,
    );
    assert_eq!(a.added, 2);
    assert_eq!(
        show(&mut out),
        [
            "block crowdsec 10.0.0.1 Some(900)",
            "block crowdsec 192.0.2.200 Some(60)"
        ]
    );
    let sorted = e
        .lapi
        .as_ref()
        .map(|t| t.entries().windows(2).all(|w| w[0].host < w[1].host));
    assert_eq!(sorted, Some(true));
}

#[test]
fn own_addresses_and_a_reload_without_the_section_lift_lapi_bans() {
    let mut e = engine(10);
    let mut out = Vec::new();
    feed(
        &mut e,
        &[new("192.0.2.7", 32, 600), new("192.0.2.8", 32, 600)],
        true,
        at(T0),
        &mut out,
    );
    out.clear();
    let own = [Cidr::parse("192.0.2.8/32").unwrap()];
    e.set_own(&own, at(T0 + 1), &mut out);
    assert_eq!(show(&mut out), ["release crowdsec 192.0.2.8"]);
    // A reload keeps them while the section stays; drops them with it.
    let same = engine(10);
    let mut e = e.reload(same, at(T0 + 2), &mut out);
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(e.lapi.as_ref().map(|t| t.len()), Some(1));
    let text = "config jail 'dropbear'\n";
    let cfg = crate::config::parse(text, "t").expect("config").config;
    let without = Engine::new(&cfg, &[], 7).expect("engine");
    e = e.reload(without, at(T0 + 3), &mut out);
    assert_eq!(show(&mut out), ["release crowdsec 192.0.2.7"]);
    assert!(e.lapi.is_none());
}
