//! The router's own addresses as they change, and bans the kernel refused.

use super::requests::recidivist;
use super::*;

fn own(extra: &[&str]) -> Vec<Cidr> {
    let mut v = loopback().to_vec();
    v.extend(extra.iter().map(|s| Cidr::parse(s).expect("cidr")));
    v
}

#[test]
fn a_new_own_address_lifts_the_bans_covering_it_recidive_included() {
    // issue 10: ignoreself was a snapshot taken at start.
    let mut e = recidivist();
    let mut out = Vec::new();
    assert_eq!(e.set_own(&own(&["203.0.113.9/32"]), at(T0 + 6), &mut out), 3);
    assert_eq!(
        shown(&out),
        vec![
            "unban dropbear 203.0.113.9",
            "unban luci 203.0.113.9",
            "unban recidive 203.0.113.9"
        ]
    );
    // Further failures from it are ignored, and a manual ban is refused.
    assert!(feed(&mut e, 5, |_| BARE.into(), |i| at(T0 + 10 + i)).is_empty());
    out.clear();
    let r = e.ban(
        req("dropbear", "203.0.113.9", BanTime::Jail, true),
        &[],
        at(T0 + 20),
        &mut out,
    );
    assert!(matches!(r, Err(RequestError::Own { .. })), "{r:?}");
    // The address goes away again: it can be banned again.
    assert_eq!(e.set_own(&own(&[]), at(T0 + 30), &mut out), 0);
    assert_eq!(
        feed(&mut e, 3, |_| BARE.into(), |i| at(T0 + 40 + i)),
        vec!["ban dropbear 203.0.113.9 Some(60)"]
    );
}

#[test]
fn a_v6_prefix_ban_holding_a_new_own_address_is_lifted() {
    let mut e = engine();
    let v6 = |i| format!("Bad password attempt for 'root' from [2001:db8:bad::{i}]:22");
    assert_eq!(
        feed(&mut e, 3, v6, |i| at(T0 + i)),
        vec!["ban dropbear 2001:db8:bad::/64 Some(60)"]
    );
    let mut out = Vec::new();
    e.set_own(&own(&["2001:db8:bad::1/128"]), at(T0 + 5), &mut out);
    assert_eq!(shown(&out), vec!["unban dropbear 2001:db8:bad::/64"]);
    assert_eq!(e.own().len(), 3);
}

#[test]
fn a_jail_without_ignoreself_keeps_its_bans() {
    let mut c = config();
    c.jails[0].ignoreself = false;
    let mut e = Engine::new(&c, &[], 1).expect("engine");
    feed(&mut e, 3, |_| BARE.into(), |i| at(T0 + i));
    let mut out = Vec::new();
    assert_eq!(e.set_own(&own(&["203.0.113.9/32"]), at(T0 + 5), &mut out), 0);
    assert!(out.is_empty());
}

#[test]
fn a_reload_applies_the_current_own_addresses_to_the_new_jails() {
    let mut e = engine();
    feed(&mut e, 3, |_| BARE.into(), |i| at(T0 + i));
    let now_own = own(&["203.0.113.9/32"]);
    let new = Engine::new(&config(), &now_own, 43).expect("engine");
    let mut out = Vec::new();
    let mut e = e.reload(new, at(T0 + 5), &mut out);
    assert_eq!(shown(&out), vec!["unban dropbear 203.0.113.9"]);
    assert!(feed(&mut e, 5, |_| BARE.into(), |i| at(T0 + 10 + i)).is_empty());
}

#[test]
fn refused_bans_are_retried_while_due_and_forgotten_when_lifted() {
    let mut e = engine();
    feed(&mut e, 3, |_| BARE.into(), |i| at(T0 + i));
    let h = Host::parse("203.0.113.9").expect("host");
    e.refused("dropbear", h, &"x".repeat(500));
    assert_eq!(e.counters.refused, 1);
    let (r, _) = e.refusals(at(T0 + 3)).next().expect("refused");
    assert_eq!(r.reason.len(), REASON_MAX);
    let mut out = Vec::new();
    assert_eq!(e.retry(at(T0 + 10), &mut out), 1);
    assert_eq!(shown(&out), vec!["ban dropbear 203.0.113.9 Some(52)"]);
    // Refused again, then the ban ends: nothing to retry.
    e.refused("dropbear", h, "full");
    out.clear();
    tick(&mut e, at(T0 + 70));
    assert_eq!(e.refusals(at(T0 + 70)).count(), 0);
    assert_eq!(e.retry(at(T0 + 70), &mut out), 0);
    assert!(out.is_empty());
    // A manual unban forgets the refusal.
    feed(&mut e, 3, |_| BARE.into(), |i| at(T0 + 80 + i));
    e.refused("dropbear", h, "full");
    e.unban(Some("203.0.113.9"), at(T0 + 90), &mut out)
        .expect("unban");
    assert!(!e.has_refused());
}

#[test]
fn refusals_are_bounded() {
    let mut e = engine();
    for i in 0..(MAX_REFUSED as u32 + 10) {
        let h = Host::V4(core::net::Ipv4Addr::from(0x0a00_0000 + i));
        e.refused("dropbear", h, "full");
    }
    assert_eq!(e.refused.len(), MAX_REFUSED);
}
