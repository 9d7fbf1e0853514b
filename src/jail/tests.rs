//! Jail behaviour: the sliding window, escalation, the ignore list, bounded tables.

use super::*;
use crate::addr::Cidr;
use core::net::IpAddr;

fn params() -> Params {
    Params {
        maxretry: 3,
        findtime: 60,
        bantime: Some(100),
        factor: 2,
        bantime_max: Some(350),
        ipv6_prefix: 64,
    }
}

fn cap(n: usize) -> Capacity {
    Capacity {
        failures: n,
        bans: n,
        offenders: n,
    }
}

fn jail(p: Params) -> Jail {
    Jail::with(
        "test",
        p,
        vec![
            Cidr::parse("127.0.0.0/8").unwrap(),
            Cidr::parse("192.168.1.1").unwrap(),
        ],
        cap(16),
        1,
    )
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn bans_on_maxretry_inside_findtime() {
    let mut j = jail(params());
    assert_eq!(
        j.failure(ip("203.0.113.9"), 1000),
        Verdict::Counted { failures: 1 }
    );
    assert_eq!(
        j.failure(ip("203.0.113.9"), 1010),
        Verdict::Counted { failures: 2 }
    );
    match j.failure(ip("203.0.113.9"), 1020) {
        Verdict::Ban(d) => {
            assert_eq!(d.host.to_string(), "203.0.113.9");
            assert_eq!((d.start, d.duration, d.count), (1020, Some(100), 1));
        }
        v => panic!("expected a ban, got {v:?}"),
    }
    assert_eq!(j.failure(ip("203.0.113.9"), 1021), Verdict::AlreadyBanned);
    assert_eq!(j.stats().banned_total, 1);
}

#[test]
fn window_slides() {
    let mut j = jail(params());
    let a = ip("198.51.100.7");
    j.failure(a, 0);
    j.failure(a, 50);
    // 0 has left the window at 61: only 50 and 61 are inside.
    assert_eq!(j.failure(a, 61), Verdict::Counted { failures: 2 });
    assert_eq!(j.failure(a, 200), Verdict::Counted { failures: 1 });
    assert_eq!(j.failure(a, 230), Verdict::Counted { failures: 2 });
    assert!(matches!(j.failure(a, 259), Verdict::Ban(_)));
}

#[test]
fn escalates_repeat_offenders_up_to_the_cap() {
    let mut j = jail(params());
    let a = ip("203.0.113.50");
    let mut now = 0;
    let mut durations = Vec::new();
    for _ in 0..5 {
        for _ in 0..3 {
            now += 1;
            if let Verdict::Ban(d) = j.failure(a, now) {
                durations.push((d.duration, d.count));
                now = d.end().unwrap();
            }
        }
        let mut ended = Vec::new();
        j.expire(now, |_, d| ended.push(d.host));
        assert_eq!(ended.len(), 1);
    }
    assert_eq!(
        durations,
        vec![
            (Some(100), 1),
            (Some(200), 2),
            (Some(350), 3),
            (Some(350), 4),
            (Some(350), 5)
        ]
    );
}

#[test]
fn offenders_are_forgotten_after_their_memory() {
    let mut j = jail(params());
    let h = j.host(ip("203.0.113.51"));
    let d = j.ban(h, 0, None);
    assert_eq!(d.duration, Some(100));
    j.expire(100, |_, _| {});
    let later = 100 + i64::from(OFFENDER_MEMORY) + 1;
    j.expire(later, |_, _| {});
    assert_eq!(j.ban(h, later, None).duration, Some(100));
}

#[test]
fn permanent_bans_never_expire() {
    let mut j = jail(Params {
        bantime: None,
        ..params()
    });
    let h = j.host(ip("203.0.113.52"));
    let d = j.ban(h, 0, None);
    assert_eq!((d.duration, d.end(), d.remaining(10)), (None, None, None));
    let mut n = 0;
    j.expire(i64::MAX / 2, |_, _| n += 1);
    assert_eq!(n, 0);
    assert_eq!(j.bans().count(), 1);
}

#[test]
fn ignore_list_and_loopback_are_never_counted() {
    let mut j = jail(params());
    for now in 0..10 {
        assert_eq!(j.failure(ip("127.0.0.1"), now), Verdict::Ignored);
        assert_eq!(j.failure(ip("192.168.1.1"), now), Verdict::Ignored);
        assert_eq!(j.failure(ip("::ffff:192.168.1.1"), now), Verdict::Ignored);
    }
    assert_eq!(j.stats().ignored_total, 30);
    assert_eq!(j.bans().count(), 0);
    assert_eq!(j.failing(), 0);
}

#[test]
fn a_v6_prefix_holding_an_ignored_address_is_not_banned() {
    let own = Cidr::parse("2001:db8:1:2::1").unwrap();
    let mut j = Jail::with("t", params(), vec![own], cap(4), 1);
    for now in 0..5 {
        assert_eq!(j.failure(ip("2001:db8:1:2::99"), now), Verdict::Ignored);
    }
}

#[test]
fn v6_hosts_count_by_prefix() {
    let mut j = jail(params());
    j.failure(ip("2001:db8:bad::1"), 0);
    j.failure(ip("2001:db8:bad::2"), 1);
    match j.failure(ip("2001:db8:bad::3"), 2) {
        Verdict::Ban(d) => assert_eq!(d.host.to_string(), "2001:db8:bad::/64"),
        v => panic!("{v:?}"),
    }
    let mut single = jail(Params {
        ipv6_prefix: 128,
        ..params()
    });
    for (n, a) in ["2001:db8:bad::1", "2001:db8:bad::2", "2001:db8:bad::3"]
        .iter()
        .enumerate()
    {
        assert_eq!(single.failure(ip(a), n as i64), Verdict::Counted { failures: 1 });
    }
}

#[test]
fn full_tables_evict_and_count_never_grow() {
    let mut j = Jail::with("t", params(), vec![], cap(8), 3);
    for i in 0..1000u32 {
        let a = IpAddr::V4((0xcb00_7100 + i).into());
        j.failure(a, i64::from(i));
    }
    assert_eq!(j.failing(), 8);
    assert_eq!(j.stats().evicted_failures, 992);
    // A host failing in a burst stays (it is the most recently seen) and gets banned, even
    // with a noise host between each of its failures.
    let mut banned = 0;
    for i in 0..60u32 {
        let a = IpAddr::V4((0x0a00_0000 + i / 3).into());
        let noise = IpAddr::V4((0xc633_6400 + i).into());
        assert!(!matches!(j.failure(noise, 2000), Verdict::Ban(_)));
        if let Verdict::Ban(_) = j.failure(a, 2000 + i64::from(i)) {
            banned += 1;
        }
    }
    assert_eq!(
        banned, 20,
        "20 hosts each failing 3 times inside 60 s, 8 table slots"
    );
    assert_eq!(j.bans().count(), 8);
    assert_eq!(j.stats().evicted_bans, 12);
}

#[test]
fn unban_forgets_failures() {
    let mut j = jail(params());
    let a = ip("203.0.113.77");
    j.failure(a, 0);
    j.failure(a, 1);
    let h = j.host(a);
    assert!(j.unban(&h).is_none());
    assert_eq!(j.failure(a, 2), Verdict::Counted { failures: 1 });
    j.ban(h, 3, Some(Some(5)));
    assert_eq!(j.unban(&h).map(|d| d.duration), Some(Some(5)));
}

#[test]
fn remaining_never_exceeds_the_decision() {
    let d = Decision {
        host: Host::V4([1, 2, 3, 4].into()),
        start: 1000,
        duration: Some(60),
        count: 1,
    };
    assert_eq!(d.remaining(1000), Some(60));
    assert_eq!(d.remaining(1030), Some(30));
    assert_eq!(d.remaining(2000), Some(0));
    // Clock went backwards (router without RTC): still at most the decided 60 s.
    assert_eq!(d.remaining(0), Some(60));
}

#[test]
fn a_companion_and_its_line_are_one_failure() {
    use crate::jail::attempt::Role;
    let mut p = params();
    p.maxretry = 5;
    let mut j = jail(p);
    let a = ip("203.0.113.9");
    let pam = Role::Companion { window: 5, rule: 0 };
    assert_eq!(j.failure_as(a, 100, pam), Verdict::Counted { failures: 1 });
    assert_eq!(j.failure_as(a, 102, Role::Main), Verdict::SameAttempt);
    // Not in the window any more: its own attempt.
    assert_eq!(j.failure_as(a, 110, Role::Main), Verdict::Counted { failures: 2 });
    assert_eq!(j.recount(a, 111, pam), Verdict::Counted { failures: 3 });
    assert_eq!(j.recount(a, 112, Role::Main), Verdict::SameAttempt);
    assert_eq!(j.stats().failed_total, 2);
}
