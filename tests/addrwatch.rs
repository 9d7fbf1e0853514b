//! `ignoreself` follows the router's addresses: the real rtnetlink socket against the real
//! kernel, in a fresh network namespace per test, addresses changed with iproute2's `ip`.
//!
//! Each test re-executes itself under `unshare -Urn` (a user and network namespace: no root
//! needed, nothing on the host touched; see `support::netns`). Without `unshare` or `ip` the
//! tests fail with the reason: `.ci/run` installs both.

mod support;

use logjail::addrwatch::{AddrWatch, Change};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::net::IpAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::netns::enter;

/// Upper bound for the kernel to announce a change (it takes microseconds).
const WAIT: Duration = Duration::from_secs(5);

fn ip(args: &str) {
    let out = Command::new("ip")
        .args(args.split_whitespace())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("ip {args}: {e} (the tests need iproute2)"));
    assert!(
        out.status.success(),
        "ip {args}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn addr(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Polls and reads until `done(all changes so far)` holds or [`WAIT`] passes.
fn read_until(w: &mut AddrWatch, done: impl Fn(&[Change]) -> bool) -> Vec<Change> {
    let mut all = Vec::new();
    let end = Instant::now() + WAIT;
    while !done(&all) {
        let left = end.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "timed out; changes so far: {all:?}");
        let ms = u16::try_from(left.as_millis().min(100)).unwrap_or(100);
        let mut fds = [PollFd::new(w.fd(), PollFlags::POLLIN)];
        poll(&mut fds, PollTimeout::from(ms)).expect("poll");
        all.extend(w.read().expect("read"));
    }
    all
}

/// Reads whatever arrives within `d` (to show that nothing does).
fn read_for(w: &mut AddrWatch, d: Duration) -> Vec<Change> {
    let mut all = Vec::new();
    let end = Instant::now() + d;
    while Instant::now() < end {
        let mut fds = [PollFd::new(w.fd(), PollFlags::POLLIN)];
        poll(&mut fds, PollTimeout::from(50u16)).expect("poll");
        all.extend(w.read().expect("read"));
    }
    all
}

/// Reads until the first dump is complete; returns what it reported.
fn sync(w: &mut AddrWatch) -> Vec<Change> {
    let end = Instant::now() + WAIT;
    let mut all = Vec::new();
    while !w.synced() {
        assert!(Instant::now() < end, "the first dump did not complete");
        let mut fds = [PollFd::new(w.fd(), PollFlags::POLLIN)];
        poll(&mut fds, PollTimeout::from(100u16)).expect("poll");
        all.extend(w.read().expect("read"));
    }
    all
}

#[test]
fn reports_v4_and_v6_addresses_as_they_come_and_go() {
    if !enter("reports_v4_and_v6_addresses_as_they_come_and_go") {
        return;
    }
    ip("link set lo up");
    let mut w = AddrWatch::open().expect("open the watcher");
    let first = sync(&mut w);
    assert_eq!(
        first,
        [Change::Added(addr("127.0.0.1")), Change::Added(addr("::1"))]
    );

    ip("addr add 198.51.100.1/24 dev lo");
    let got = read_until(&mut w, |c| !c.is_empty());
    assert_eq!(got, [Change::Added(addr("198.51.100.1"))]);

    // A delegated prefix: the tentative and the final announcement are one change.
    ip("-6 addr add 2001:db8:1:5::1/64 dev lo");
    let got = read_until(&mut w, |c| !c.is_empty());
    assert_eq!(got, [Change::Added(addr("2001:db8:1:5::1"))]);
    assert_eq!(read_for(&mut w, Duration::from_millis(200)), []);

    // PPPoE-style: our address is the local one, never the peer's.
    ip("addr add 192.0.2.1 peer 192.0.2.254 dev lo");
    let got = read_until(&mut w, |c| !c.is_empty());
    assert_eq!(got, [Change::Added(addr("192.0.2.1"))]);

    let own = w.own();
    for a in ["198.51.100.1", "2001:db8:1:5::1", "192.0.2.1", "127.5.5.5", "::1"] {
        assert!(own.iter().any(|c| c.contains(addr(a))), "{a} not in {own:?}");
    }
    for a in ["192.0.2.254", "198.51.100.2", "2001:db8:1:5::2"] {
        assert!(!own.iter().any(|c| c.contains(addr(a))), "{a} in {own:?}");
    }

    ip("addr del 198.51.100.1/24 dev lo");
    let got = read_until(&mut w, |c| !c.is_empty());
    assert_eq!(got, [Change::Removed(addr("198.51.100.1"))]);
    ip("-6 addr del 2001:db8:1:5::1/64 dev lo");
    let got = read_until(&mut w, |c| !c.is_empty());
    assert_eq!(got, [Change::Removed(addr("2001:db8:1:5::1"))]);
    let now: Vec<IpAddr> = w.addresses().collect();
    assert_eq!(now.len(), 3, "{now:?}");
    assert_eq!(w.overruns(), 0);
}

#[test]
fn an_address_on_two_interfaces_stays_until_both_lose_it() {
    if !enter("an_address_on_two_interfaces_stays_until_both_lose_it") {
        return;
    }
    ip("link add wan0 type veth peer name wan1");
    ip("link set wan0 up");
    ip("link set wan1 up");
    let mut w = AddrWatch::open().expect("open the watcher");
    sync(&mut w);
    ip("addr add 10.9.0.1/24 dev wan0");
    ip("addr add 10.9.0.1/24 dev wan1");
    let got = read_until(&mut w, |c| !c.is_empty());
    assert_eq!(got, [Change::Added(addr("10.9.0.1"))]);
    ip("addr del 10.9.0.1/24 dev wan0");
    assert_eq!(read_for(&mut w, Duration::from_millis(300)), []);
    ip("addr del 10.9.0.1/24 dev wan1");
    let got = read_until(&mut w, |c| !c.is_empty());
    assert_eq!(got, [Change::Removed(addr("10.9.0.1"))]);
}

/// Events lost to a full socket buffer are recovered by dumping the list again.
#[test]
fn an_overrun_is_recovered_by_a_new_dump() {
    if !enter("an_overrun_is_recovered_by_a_new_dump") {
        return;
    }
    ip("link set lo up");
    // The smallest receive buffer the kernel allows: a few events fill it.
    let mut w = AddrWatch::with_buffer(1).expect("open the watcher");
    sync(&mut w);
    let batch: String = (0..200)
        .map(|i| format!("addr add 10.{}.{}.1/32 dev lo\n", 20 + i / 100, i % 100))
        .collect();
    let mut child = Command::new("ip")
        .args(["-batch", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("ip -batch");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(batch.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    // Nothing was read while the 200 events arrived: most were dropped.
    let got = read_until(&mut w, |c| {
        c.iter().filter(|x| matches!(x, Change::Added(_))).count() >= 200
    });
    assert!(w.overruns() >= 1, "no overrun happened; the test proves nothing");
    for i in 0..200 {
        let a = addr(&format!("10.{}.{}.1", 20 + i / 100, i % 100));
        assert!(got.contains(&Change::Added(a)), "{a} missing");
    }
    assert_eq!(w.addresses().count(), 2 + 200);
}

/// The pieces as the event loop wires them: the WAN address arrives after start and the ban
/// that covers it is handed back for release; an IPv6 /64 ban holding a new address too.
#[test]
fn a_ban_on_an_address_the_router_gains_is_handed_back() {
    use logjail::addr::{Cidr, Host};
    use logjail::jail::{Capacity, Jail, Params, Verdict};
    if !enter("a_ban_on_an_address_the_router_gains_is_handed_back") {
        return;
    }
    ip("link set lo up");
    let params = Params {
        maxretry: 1,
        findtime: 60,
        bantime: Some(600),
        factor: 1,
        bantime_max: None,
        ipv6_prefix: 64,
    };
    let cap = Capacity {
        failures: 8,
        bans: 8,
        offenders: 8,
    };
    let configured = vec![Cidr::parse("192.0.2.0/24").unwrap()];
    let mut jail = Jail::with("sshd", params, configured, cap, 1);
    let mut w = AddrWatch::open().expect("open the watcher");
    sync(&mut w);
    assert_eq!(jail.set_own(&w.own()), []);
    for attacker in ["198.51.100.7", "2001:db8:1:5::bad", "203.0.113.9"] {
        assert!(
            matches!(jail.failure(addr(attacker), 1000), Verdict::Ban(_)),
            "{attacker}"
        );
    }
    ip("addr add 198.51.100.7/24 dev lo");
    ip("-6 addr add 2001:db8:1:5::1/64 dev lo");
    read_until(&mut w, |c| c.len() >= 2);
    let mut lifted: Vec<Host> = jail.set_own(&w.own()).iter().map(|d| d.host).collect();
    lifted.sort();
    assert_eq!(
        lifted,
        [
            Host::parse("198.51.100.7").unwrap(),
            Host::parse("2001:db8:1:5::/64").unwrap()
        ]
    );
    assert_eq!(jail.banned(), 1);
    for never in ["198.51.100.7", "2001:db8:1:5::77", "192.0.2.5", "127.0.0.1"] {
        assert_eq!(jail.failure(addr(never), 1001), Verdict::Ignored, "{never}");
    }
}
