//! The tracker on message sequences the kernel produces (and a few it should not).

use super::*;
use crate::netlink::route::IfAddr;

const DUMP: u32 = 7;

fn a(index: u32, s: &str) -> IfAddr {
    IfAddr {
        index,
        ip: s.parse().unwrap(),
        prefix: 24,
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn part(addr: IfAddr) -> RouteMsg {
    RouteMsg::New {
        addr,
        seq: DUMP,
        flags: MULTI,
    }
}

fn new(addr: IfAddr) -> RouteMsg {
    RouteMsg::New {
        addr,
        seq: 0,
        flags: 0,
    }
}

fn del(addr: IfAddr) -> RouteMsg {
    RouteMsg::Del {
        addr,
        seq: 0,
        flags: 0,
    }
}

const DONE: RouteMsg = RouteMsg::Done {
    seq: DUMP,
    flags: MULTI,
};

fn feed(t: &mut Tracker, msgs: &[RouteMsg]) -> Vec<Change> {
    let mut out = Vec::new();
    for m in msgs {
        t.message(*m, &mut out).unwrap();
    }
    out
}

/// A tracker whose first dump listed `lo` and one WAN address.
fn synced() -> Tracker {
    let mut t = Tracker::new();
    assert!(t.wants_dump());
    t.dump_started(DUMP);
    assert!(!t.wants_dump());
    feed(
        &mut t,
        &[part(a(1, "127.0.0.1")), part(a(2, "198.51.100.1")), DONE],
    );
    t
}

#[test]
fn nothing_is_reported_before_the_first_dump_is_done() {
    let mut t = Tracker::new();
    t.dump_started(DUMP);
    // An event overtakes the dump: it counts, but is reported with the dump.
    let early = feed(&mut t, &[part(a(1, "127.0.0.1")), new(a(3, "2001:db8::1"))]);
    assert_eq!(early, []);
    assert!(!t.synced());
    let done = feed(&mut t, &[part(a(1, "::1")), part(a(2, "127.0.0.1")), DONE]);
    assert!(t.synced());
    assert_eq!(
        done,
        [
            Change::Added(ip("127.0.0.1")),
            Change::Added(ip("2001:db8::1")),
            Change::Added(ip("::1"))
        ]
    );
    assert_eq!(t.addresses().count(), 3);
    assert!(!t.wants_dump());
}

#[test]
fn events_after_the_dump_are_reported_per_address() {
    let mut t = synced();
    let wan6 = a(2, "2001:db8:1::1");
    assert_eq!(feed(&mut t, &[new(wan6)]), [Change::Added(wan6.ip)]);
    // The tentative/final pair of an IPv6 address is one change.
    assert_eq!(feed(&mut t, &[new(wan6)]), []);
    // The same address on a second interface: still ours until both lose it.
    let again = a(5, "2001:db8:1::1");
    assert_eq!(feed(&mut t, &[new(again), del(wan6)]), []);
    assert_eq!(feed(&mut t, &[del(again)]), [Change::Removed(wan6.ip)]);
    // Deleting what is not there changes nothing.
    assert_eq!(feed(&mut t, &[del(a(9, "203.0.113.1"))]), []);
}

#[test]
fn a_dump_after_an_overrun_reports_the_difference() {
    let mut t = synced();
    t.overrun();
    assert!(t.wants_dump());
    t.dump_started(DUMP + 1);
    let next = |addr| RouteMsg::New {
        addr,
        seq: DUMP + 1,
        flags: MULTI,
    };
    let got = feed(
        &mut t,
        &[
            next(a(1, "127.0.0.1")),
            // Events while the dump runs apply to both the set and the dump.
            new(a(3, "10.0.0.1")),
            next(a(2, "198.51.100.99")),
            del(a(1, "127.0.0.1")),
            RouteMsg::Done {
                seq: DUMP + 1,
                flags: MULTI,
            },
        ],
    );
    assert_eq!(
        got,
        [
            Change::Added(ip("10.0.0.1")),
            Change::Removed(ip("127.0.0.1")),
            Change::Removed(ip("198.51.100.1")),
            Change::Added(ip("198.51.100.99")),
        ]
    );
    let now: Vec<IpAddr> = t.addresses().collect();
    assert_eq!(now, [ip("10.0.0.1"), ip("198.51.100.99")]);
    assert!(!t.wants_dump());
}

#[test]
fn an_interrupted_dump_is_repeated() {
    let mut t = Tracker::new();
    t.dump_started(DUMP);
    let intr = RouteMsg::New {
        addr: a(1, "127.0.0.1"),
        seq: DUMP,
        flags: MULTI | NLM_F_DUMP_INTR,
    };
    feed(&mut t, &[intr, DONE]);
    assert!(t.synced());
    assert!(t.wants_dump());
    let mut t = Tracker::new();
    t.dump_started(DUMP);
    let done_intr = RouteMsg::Done {
        seq: DUMP,
        flags: MULTI | NLM_F_DUMP_INTR,
    };
    feed(&mut t, &[done_intr]);
    assert!(t.wants_dump());
}

#[test]
fn a_refused_dump_is_retried_a_bounded_number_of_times() {
    let mut t = Tracker::new();
    let mut out = Vec::new();
    for n in 0..DUMP_RETRIES {
        assert!(t.wants_dump(), "retry {n}");
        t.dump_started(DUMP);
        let e = t.message(
            RouteMsg::Error {
                seq: DUMP,
                errno: libc::ENOMEM,
            },
            &mut out,
        );
        assert_eq!(e, Err(TrackError::DumpFailed(libc::ENOMEM)));
    }
    assert!(t.wants_dump());
    t.dump_started(DUMP);
    let _ = t.message(
        RouteMsg::Error {
            seq: DUMP,
            errno: libc::ENOMEM,
        },
        &mut out,
    );
    assert!(!t.wants_dump(), "retries must stop");
    assert!(out.is_empty());
    // An overrun asks again; a completed dump resets the count.
    t.overrun();
    assert!(t.wants_dump());
    t.dump_started(DUMP);
    feed(&mut t, &[DONE]);
    assert!(t.synced());
    // Errors and DONEs of other requests are not the dump's.
    t.overrun();
    t.dump_started(DUMP + 1);
    feed(&mut t, &[RouteMsg::Error { seq: 99, errno: 1 }, DONE]);
    assert!(!t.wants_dump());
}

#[test]
fn the_set_is_bounded() {
    let mut t = synced();
    let mut out = Vec::new();
    for i in 0..(MAX_ADDRESSES as u32 - 2) {
        let addr = IfAddr {
            index: 10,
            ip: IpAddr::V6((0x2001_0db8_u128 << 96 | u128::from(i)).into()),
            prefix: 128,
        };
        t.message(new(addr), &mut out).unwrap();
    }
    assert_eq!(out.len(), MAX_ADDRESSES - 2);
    let one_more = a(11, "203.0.113.1");
    assert_eq!(
        t.message(new(one_more), &mut out),
        Err(TrackError::Full(one_more.ip))
    );
    assert_eq!(out.len(), MAX_ADDRESSES - 2);
    assert_eq!(
        TrackError::Full(one_more.ip).to_string(),
        "more than 1024 interface addresses: 203.0.113.1 is not followed for ignoreself"
    );
}

#[test]
fn other_messages_change_nothing() {
    let mut t = synced();
    let got = feed(
        &mut t,
        &[
            RouteMsg::Other { kind: 16 },
            RouteMsg::Done { seq: 3, flags: MULTI },
            RouteMsg::Error { seq: 3, errno: 0 },
        ],
    );
    assert_eq!(got, []);
    assert!(!t.wants_dump());
    feed(&mut t, &[RouteMsg::Overrun]);
    assert!(t.wants_dump());
}
