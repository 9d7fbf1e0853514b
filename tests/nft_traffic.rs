//! Bans really drop traffic: an attacker namespace behind a veth pair connects (TCP) and
//! pings (ICMP, ICMPv6) before a ban, fails during it, and succeeds again after the kernel
//! expired it — through fw4's chains with logjail's include, and through the standalone table.

mod support;

use logjail::addr::Host;
use logjail::firewall::nft::Nft;
use logjail::firewall::nft::Settings as Main;
use logjail::firewall::{Ban, Firewall};
use std::net::TcpListener;
use std::time::Duration;
use support::netns::enter;
use support::nft::{fw4_ruleset, load};
use support::peer::{self, Peer, ATTACKER_V4, ATTACKER_V6, ROUTER_V4, ROUTER_V6, WAN};
use support::wait_for;

const PORT: u16 = 2222;
const BAN_SECS: u32 = 4;

/// Not a test: the traffic tests run it inside the attacker namespace (see `peer::probe_main`).
#[test]
#[ignore = "helper run by the traffic tests inside the attacker namespace"]
fn probe() {
    peer::probe_main();
}

fn listen() {
    let l = TcpListener::bind(("::", PORT)).expect("listen on [::]:2222");
    std::thread::spawn(move || {
        for c in l.incoming() {
            drop(c);
        }
    });
}

fn probes() -> [String; 4] {
    [
        format!("tcp {ROUTER_V4}:{PORT}"),
        format!("ping {ROUTER_V4}"),
        format!("tcp [{ROUTER_V6}]:{PORT}"),
        format!("ping6 {ROUTER_V6}"),
    ]
}

/// All four probes at once (each waits up to 1 s for an answer).
fn reach_all(p: &Peer) -> Vec<(String, bool)> {
    std::thread::scope(|s| {
        let running: Vec<_> = probes()
            .into_iter()
            .map(|pr| s.spawn(move || (pr.clone(), p.reaches(&pr))))
            .collect();
        running
            .into_iter()
            .map(|h| h.join().expect("probe thread"))
            .collect()
    })
}

fn ban_and_watch(main: &Main) {
    let p = Peer::new();
    listen();
    // Neighbour discovery and the listener may need a moment.
    let up = wait_for(Duration::from_secs(5), || reach_all(&p).iter().all(|(_, ok)| *ok));
    assert!(
        up.is_some(),
        "before the ban everything gets through: {:?}",
        reach_all(&p)
    );

    let mut fw = Nft::new(main).expect("backend");
    fw.init().expect("init");
    let bans = [
        Ban::new("t", Host::new(ATTACKER_V4.parse().unwrap(), 64), Some(BAN_SECS)),
        Ban::new("t", Host::new(ATTACKER_V6.parse().unwrap(), 64), Some(BAN_SECS)),
    ];
    fw.block_many(&bans).expect("ban");
    let during = reach_all(&p);
    assert!(
        during.iter().all(|(_, ok)| !ok),
        "during the ban nothing gets through: {during:?}\n{}",
        support::nft::nft(&["list", "ruleset"])
    );
    fw.fin().unwrap();
    drop(fw);

    let back = wait_for(Duration::from_secs(u64::from(BAN_SECS) + 5), || {
        reach_all(&p).iter().all(|(_, ok)| *ok)
    });
    let back = back.unwrap_or_else(|| panic!("after expiry everything gets through: {:?}", reach_all(&p)));
    println!("traffic flows again {back:?} after the probes that failed (ban {BAN_SECS} s)");
}

#[test]
fn fw4_include_drops_banned_traffic_until_expiry() {
    if !enter("fw4_include_drops_banned_traffic_until_expiry") {
        return;
    }
    load(&fw4_ruleset(WAN, true));
    ban_and_watch(&Main::default());
}

#[test]
fn standalone_table_drops_banned_traffic_until_expiry() {
    if !enter("standalone_table_drops_banned_traffic_until_expiry") {
        return;
    }
    ban_and_watch(&Main {
        standalone: true,
        ..Main::default()
    });
}
