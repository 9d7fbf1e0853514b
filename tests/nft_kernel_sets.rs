//! What the sets hold against what the daemon remembers, against the real kernel: elements
//! the daemon never added, bans the kernel refuses, and the table standalone mode creates.
//! Each test runs in a fresh user + network namespace and is checked with the real `nft`.

mod support;

use logjail::addr::Host;
use logjail::firewall::nft::{KernelBan, Nft, Settings};
use logjail::firewall::{Ban, Events, Firewall};
use std::time::{Duration, Instant};
use support::netns::enter;
use support::nft::{element, elements, fw4_ruleset, load, nft, nft_try};
use support::peer::{self, Peer, ATTACKER_V4, ROUTER_V4, ROUTER_V6};
use support::wait_for;

#[test]
#[ignore = "helper run by the traffic checks inside the attacker namespace"]
fn probe() {
    peer::probe_main();
}

fn host(s: &str) -> Host {
    Host::parse(s).unwrap_or_else(|| Host::new(s.parse().unwrap(), 64))
}

fn ban(h: &str, secs: Option<u32>) -> Ban {
    Ban::new("test", host(h), secs)
}

fn backend(s: &Settings) -> Nft {
    let mut fw = Nft::new(s).expect("open backend");
    fw.init().expect("init");
    fw
}

/// True when the event socket has something to read within `limit`.
fn readable(fw: &Nft, limit: Duration) -> bool {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let fd = fw.event_fd().expect("event socket");
    let ms = u16::try_from(limit.as_millis()).unwrap_or(u16::MAX);
    poll(&mut [PollFd::new(fd, PollFlags::POLLIN)], PollTimeout::from(ms)).is_ok_and(|n| n > 0)
}

/// Reads events until quiet; whether any said `retry` / `reinstall`, and the last error.
fn changes_or_error(fw: &mut Nft, wait: Duration) -> (bool, bool, Option<String>) {
    let (mut retry, mut reinstall, mut err) = (false, false, None);
    while readable(fw, wait) {
        match fw.poll_changes() {
            Ok(c) => {
                retry |= c.retry;
                reinstall |= c.reinstall;
            }
            Err(e) => err = Some(e.to_string()),
        }
    }
    (retry, reinstall, err)
}

fn changes(fw: &mut Nft, wait: Duration) -> (bool, bool) {
    let (retry, reinstall, err) = changes_or_error(fw, wait);
    assert_eq!(err, None);
    (retry, reinstall)
}

#[test]
fn unban_lifts_elements_the_daemon_never_added() {
    if !enter("unban_lifts_elements_the_daemon_never_added") {
        return;
    }
    load(&fw4_ruleset("wan0", true));
    // Left by a crash, or added by hand: the daemon has no record of any of these.
    nft(&[
        "add",
        "element",
        "inet",
        "fw4",
        "logjail_v4",
        "{ 203.0.113.50 timeout 1h, 198.51.100.7 }",
    ]);
    nft(&[
        "add",
        "element",
        "inet",
        "fw4",
        "logjail_v6",
        "{ 2001:db8:1::/48, 2001:db8:bad::/64 timeout 10m }",
    ]);
    let mut fw = backend(&Settings::default());

    let listed = fw.kernel_bans().expect("list");
    let hosts: Vec<String> = listed.iter().map(|b| b.host.to_string()).collect();
    assert_eq!(
        hosts,
        [
            "198.51.100.7",
            "203.0.113.50",
            "2001:db8:1::/48",
            "2001:db8:bad::/64"
        ],
        "{listed:?}"
    );
    assert_eq!(listed[0].remaining, None, "permanent");
    assert!(
        (3590..=3600).contains(&listed[1].remaining.unwrap()),
        "{listed:?}"
    );
    assert!((590..=600).contains(&listed[3].remaining.unwrap()), "{listed:?}");

    assert_eq!(
        fw.unban(host("203.0.113.50")).unwrap(),
        vec![host("203.0.113.50")]
    );
    assert!(element("fw4", "logjail_v4", "203.0.113.50").is_none());
    assert_eq!(
        fw.unban(host("203.0.113.50")).unwrap(),
        vec![],
        "absent is no error"
    );
    // An address inside a hand-added /48 lifts the /48 (start and end element).
    assert_eq!(
        fw.unban(host("2001:db8:1:2::1")).unwrap(),
        vec![host("2001:db8:1::/48")]
    );
    assert!(element("fw4", "logjail_v6", "2001:db8:1::/48").is_none());
    assert_eq!(elements("fw4", "logjail_v6").len(), 1, "the /64 stays");

    nft(&["add", "element", "inet", "fw4", "logjail_v4", "{ 192.0.2.1 }"]);
    assert_eq!(
        fw.unban_all().unwrap(),
        3,
        "198.51.100.7, 192.0.2.1, 2001:db8:bad::/64"
    );
    assert!(elements("fw4", "logjail_v4").is_empty());
    assert!(elements("fw4", "logjail_v6").is_empty());
    assert_eq!(fw.kernel_bans().unwrap(), Vec::<KernelBan>::new());
}

#[test]
fn refused_bans_say_why_and_set_changes_ask_for_a_retry() {
    if !enter("refused_bans_say_why_and_set_changes_ask_for_a_retry") {
        return;
    }
    load(
        "table inet fw4 {\n set logjail_v4 { type ipv4_addr; flags timeout; size 2; }\n \
         set logjail_v6 { type ipv6_addr; flags interval, timeout; }\n}\n",
    );
    let mut fw = backend(&Settings::default());
    let bans = [
        ban("203.0.113.1", Some(600)),
        ban("203.0.113.2", Some(600)),
        ban("203.0.113.3", Some(600)),
    ];
    let refused = fw.block_report(&bans).expect("the set is there");
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].errno, libc::ENFILE);
    assert_eq!(
        refused[0].reason,
        "set logjail_v4 in table inet fw4 is full (size 2)"
    );
    assert_eq!(
        refused[0].to_string(),
        format!(
            "cannot ban {}: set logjail_v4 in table inet fw4 is full (size 2)",
            refused[0].host
        )
    );
    assert_eq!(elements("fw4", "logjail_v4").len(), 2);
    let err = fw.block_many(&bans).unwrap_err().to_string();
    assert!(err.contains("is full (size 2)"), "{err}");
    // Our own changes are no reason to retry.
    let (retry, reinstall) = changes(&mut fw, Duration::from_millis(100));
    assert!(!retry && !reinstall);

    // Somebody makes room: retry, and the refused ban now lands.
    let first = elements("fw4", "logjail_v4")[0]
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    nft(&[
        "delete",
        "element",
        "inet",
        "fw4",
        "logjail_v4",
        &format!("{{ {first} }}"),
    ]);
    let (retry, reinstall) = changes(&mut fw, Duration::from_millis(200));
    assert!(retry && !reinstall);
    let again: Vec<Ban> = refused
        .iter()
        .map(|r| Ban::new("test", r.host, Some(600)))
        .collect();
    assert_eq!(fw.block_report(&again).unwrap(), vec![]);
    assert!(element("fw4", "logjail_v4", &refused[0].host.to_string()).is_some());
    // Room made by logjail itself (an unban through its own socket) is no reason to retry.
    let _ = changes(&mut fw, Duration::from_millis(100));
    assert_eq!(fw.unban(refused[0].host).unwrap(), vec![refused[0].host]);
    let (retry, _) = changes(&mut fw, Duration::from_millis(200));
    assert!(!retry, "our own deletion");

    // The set re-declared without `flags timeout`: the kernel refuses timed elements.
    nft(&["delete", "set", "inet", "fw4", "logjail_v4"]);
    nft(&["add", "set", "inet", "fw4", "logjail_v4", "{ type ipv4_addr; }"]);
    // The re-check after the event says what is wrong with the set.
    let (_, _, err) = changes_or_error(&mut fw, Duration::from_millis(200));
    let err = err.expect("the re-created set is checked");
    assert!(err.contains("must be declared with `flags timeout`"), "{err}");
    let refused = fw.block_report(&bans[..1]).expect("per-element refusal");
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(
        refused[0].reason,
        "set logjail_v4 in table inet fw4 has no timeout flag (declare it with `flags timeout`)"
    );
}

#[test]
fn standalone_creates_the_configured_table_and_family() {
    if !enter("standalone_creates_the_configured_table_and_family") {
        return;
    }
    let s = Settings {
        family: "ip".into(),
        table: "esc".into(),
        standalone: true,
        ..Settings::default()
    };
    let mut fw = backend(&s);
    assert_eq!(fw.table(), "esc");
    let tables = nft(&["list", "tables"]);
    assert_eq!(
        tables.trim(),
        "table ip esc",
        "only the configured table: {tables}"
    );
    let t = nft(&["list", "table", "ip", "esc"]);
    for want in [
        "set logjail_v4",
        "flags timeout",
        "chain prerouting",
        "type filter hook prerouting priority mangle; policy accept;",
        "ip saddr @logjail_v4 drop",
    ] {
        assert!(t.contains(want), "missing `{want}` in\n{t}");
    }
    assert!(nft_try(&["list", "table", "inet", "logjail"]).is_err());
    // Its chain drops what the set holds: the banned peer's IPv4 traffic (an `ip` table
    // sees no IPv6, so that still flows).
    let p = Peer::new();
    let l = std::net::TcpListener::bind(("::", 2222)).expect("listen");
    std::thread::spawn(move || l.incoming().for_each(drop));
    let v4 = format!("tcp {ROUTER_V4}:2222");
    let v6 = format!("tcp [{ROUTER_V6}]:2222");
    let up = wait_for(Duration::from_secs(5), || p.reaches(&v4) && p.reaches(&v6));
    assert!(up.is_some(), "before the ban the peer gets through");
    fw.block(&ban(ATTACKER_V4, Some(60))).unwrap();
    let set = nft(&["list", "set", "ip", "esc", "logjail_v4"]);
    assert!(set.contains(ATTACKER_V4), "{set}");
    assert!(
        !p.reaches(&v4),
        "banned IPv4 is dropped\n{}",
        nft(&["list", "ruleset"])
    );
    assert!(p.reaches(&v6), "IPv6 is not this table's");
    assert_eq!(fw.unban(host(ATTACKER_V4)).unwrap(), vec![host(ATTACKER_V4)]);
    assert!(p.reaches(&v4), "unbanned");
    // A second start finds the table: no second table, no doubled rules.
    drop(fw);
    let _fw = backend(&s);
    let t = nft(&["list", "table", "ip", "esc"]);
    assert_eq!(t.matches("ip saddr @logjail_v4 drop").count(), 1, "{t}");
    assert_eq!(nft(&["list", "tables"]).trim(), "table ip esc");
}

#[test]
fn listing_ten_thousand_elements() {
    if !enter("listing_ten_thousand_elements") {
        return;
    }
    load(&fw4_ruleset("wan0", true));
    let mut fw = backend(&Settings::default());
    let mut bans: Vec<Ban> = (0..9000u32)
        .map(|i| Ban::new("t", Host::V4((0x0a00_0000 + i).into()), Some(3600)))
        .collect();
    bans.extend((0..1000u32).map(|i| {
        Ban::new(
            "t",
            Host::V6((0x2001_0db8u128 << 96 | u128::from(i) << 64).into(), 64),
            None,
        )
    }));
    fw.block_many(&bans).unwrap();
    let t0 = Instant::now();
    let listed = fw.kernel_bans().unwrap();
    let took = t0.elapsed();
    assert_eq!(listed.len(), 10_000);
    assert!(listed[..9000]
        .iter()
        .all(|b| b.remaining.is_some_and(|s| s > 3500)));
    assert!(listed[9000..]
        .iter()
        .all(|b| b.remaining.is_none() && b.host.prefix() == 64));
    let t0 = Instant::now();
    assert_eq!(fw.unban_all().unwrap(), 10_000);
    println!(
        "listing 10000 elements: {took:?}; unban --all of them: {:?}",
        t0.elapsed()
    );
    assert!(elements("fw4", "logjail_v4").is_empty());
}

#[test]
fn a_full_set_refuses_the_surplus_of_a_bulk_ban() {
    if !enter("a_full_set_refuses_the_surplus_of_a_bulk_ban") {
        return;
    }
    load(
        "table inet fw4 {\n set logjail_v4 { type ipv4_addr; flags timeout; size 100; }\n \
         set logjail_v6 { type ipv6_addr; flags interval, timeout; }\n}\n",
    );
    let mut fw = backend(&Settings::default());
    let bans: Vec<Ban> = (0..300u32)
        .map(|i| Ban::new("t", Host::V4((0x0a00_0000 + i).into()), Some(600)))
        .chain([ban("2001:db8:bad::1", Some(600))])
        .collect();
    let t0 = Instant::now();
    let refused = fw.block_report(&bans).expect("per-element refusals");
    println!("300 bans into a set of size 100: {:?}", t0.elapsed());
    assert_eq!(refused.len(), 200);
    assert!(refused
        .iter()
        .all(|r| r.errno == libc::ENFILE && r.reason.ends_with("is full (size 100)")));
    let held = fw.kernel_bans().unwrap();
    assert_eq!(held.len(), 101, "100 v4 and the v6 /64");
    // Exactly the refused ones are missing.
    for b in &bans {
        let in_kernel = held.iter().any(|k| k.host == b.host);
        let was_refused = refused.iter().any(|r| r.host == b.host);
        assert!(in_kernel != was_refused, "{}", b.host);
    }
}
