//! Requests: manual ban and unban, recidive across a restart, a reload.

use super::*;
use crate::jail::recidive::Params as RecidiveParams;

#[test]
fn manual_ban_and_unban_are_requests_with_actions() {
    let mut e = engine();
    let mut out = Vec::new();
    let d = e
        .ban(
            req("dropbear", "198.51.100.7", BanTime::Seconds(100), false),
            &[],
            at(T0),
            &mut out,
        )
        .expect("ban");
    assert_eq!(d.duration, Some(100));
    assert_eq!(shown(&out), vec!["ban dropbear 198.51.100.7 Some(100)"]);
    out.clear();
    assert!(matches!(
        e.ban(
            req("nosuch", "198.51.100.7", BanTime::Jail, false),
            &[],
            at(T0),
            &mut out
        ),
        Err(RequestError::NoJail { .. })
    ));
    let gone = e
        .unban(Some("198.51.100.7"), at(T0 + 1), &mut out)
        .expect("unban");
    assert_eq!(gone.len(), 1);
    assert_eq!(
        shown(&out),
        vec!["unban dropbear 198.51.100.7", "lift 198.51.100.7"]
    );
}

#[test]
fn unban_asks_the_firewall_even_for_a_host_the_engine_does_not_know() {
    // issue 10: an element left by a crash or added by hand could not be lifted. The lift
    // covers every element overlapping the host, whichever jail put it there.
    let mut e = engine();
    let mut out = Vec::new();
    let gone = e.unban(Some("203.0.113.50"), at(T0), &mut out).expect("unban");
    assert!(gone.is_empty());
    assert_eq!(shown(&out), vec!["lift 203.0.113.50"]);
    out.clear();
    let gone = e.unban(None, at(T0), &mut out).expect("unban --all");
    assert!(gone.is_empty());
    assert_eq!(shown(&out), vec!["flush"]);
    out.clear();
    assert!(matches!(
        e.unban(Some("nonsense"), at(T0), &mut out),
        Err(RequestError::NotAnAddress(_))
    ));
    assert!(out.is_empty());
}

fn recidive_config() -> Config {
    let mut cfg = config();
    let mut luci = JailConfig::new("luci");
    luci.maxretry = 1;
    luci.bantime = Some(60);
    cfg.jails.push(luci);
    cfg.main.recidive = Some(RecidiveParams {
        maxbans: 2,
        findtime: 3600,
        bantime: Some(1000),
    });
    cfg
}

/// An engine where 203.0.113.9 was banned by dropbear and luci, and so by recidive.
pub(super) fn recidivist() -> Engine {
    let mut e = Engine::new(&recidive_config(), &[], 42).expect("engine");
    let mut out = feed(&mut e, 3, |_| BARE.into(), |i| at(T0 + i));
    out.extend(feed(
        &mut e,
        1,
        |_| "[info] luci: failed login on / for root from 203.0.113.9".into(),
        |_| at(T0 + 5),
    ));
    assert_eq!(
        out,
        vec![
            "ban dropbear 203.0.113.9 Some(60)",
            "ban luci 203.0.113.9 Some(60)",
            "ban recidive 203.0.113.9 Some(1000) replace",
        ]
    );
    e
}

#[test]
fn recidive_bans_a_host_banned_by_several_jails_and_holds_it() {
    let mut e = recidivist();
    // The jails' bans end; the host stays in the set for recidive.
    assert!(tick(&mut e, at(T0 + 100)).is_empty());
    let active: Vec<String> = e
        .active(at(T0 + 100))
        .iter()
        .map(|b| format!("{} {} {:?}", b.jail, b.host, b.timeout))
        .collect();
    assert_eq!(active, vec!["recidive 203.0.113.9 Some(905)"]);
    assert_eq!(tick(&mut e, at(T0 + 1005)), vec!["unban recidive 203.0.113.9"]);
}

#[test]
fn recidive_bans_survive_a_restart() {
    // issue 11: a restart forgot recidive bans.
    let e = recidivist();
    let snap = e.snapshot(at(T0 + 100));
    let mut fresh = Engine::new(&recidive_config(), &[], 7).expect("engine");
    let mut out = Vec::new();
    let r = fresh.restore(&snap, at(T0 + 100), &mut out);
    assert_eq!(r.bans, 1);
    assert_eq!(shown(&out), vec!["ban recidive 203.0.113.9 Some(905)"]);
    assert!(tick(&mut fresh, at(T0 + 200)).is_empty());
    assert_eq!(
        tick(&mut fresh, at(T0 + 1005)),
        vec!["unban recidive 203.0.113.9"]
    );
    // Restored without recidive: the saved recidive ban is lifted.
    let mut off = engine();
    out.clear();
    let r = off.restore(&snap, at(T0 + 100), &mut out);
    assert_eq!(r.lift.len(), 1);
    assert_eq!(shown(&out)[0], "unban recidive 203.0.113.9");
}

#[test]
fn recidive_is_off_by_default() {
    assert!(engine().recidive.is_none());
}

#[test]
fn a_reload_keeps_bans_and_recidive_or_lifts_what_is_gone() {
    let e = recidivist();
    let mut out = Vec::new();
    let same = Engine::new(&recidive_config(), &[], 43).expect("engine");
    let mut e = e.reload(same, at(T0 + 10), &mut out);
    assert!(out.is_empty(), "{:?}", shown(&out));
    assert!(e
        .recidive
        .as_ref()
        .is_some_and(|r| r.holds(Host::V4([203, 0, 113, 9].into()))));
    assert_eq!(e.jails.iter().map(|j| j.banned()).sum::<usize>(), 2);
    // Without luci and without recidive.
    let e2 = e.reload(engine(), at(T0 + 11), &mut out);
    assert_eq!(
        shown(&out),
        vec!["unban recidive 203.0.113.9", "unban luci 203.0.113.9"]
    );
    assert_eq!(e2.jails[0].banned(), 1);
    e = e2;
    out.clear();
    assert!(tick(&mut e, at(T0 + 30)).is_empty());
    assert_eq!(tick(&mut e, at(T0 + 63)), vec!["unban dropbear 203.0.113.9"]);
}
