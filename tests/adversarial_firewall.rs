//! issue 10, the firewall's side, through the real binary against the real kernel (each test in
//! its own user + network namespace):
//!
//! * kernel-only elements — left by a crash or added by hand — are shown by `list`, lifted by
//!   `unban ADDR` and `unban --all`, and adopted at start;
//! * bans the kernel refuses (a set declared with `size 2`) are not listed as active: `list`
//!   says refused and why, `status` counts them, and they are retried when room is made;
//! * `ignoreself` follows the router's addresses: an address added after start lifts the ban
//!   covering it (a v4 host, a v6 /64) within a second, and its failures are ignored.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::daemon::{cli, config, dropbear, failure, Daemon};
use support::netns::enter;
use support::nft::{element, elements, fw4_ruleset, load, nft};
use support::{scratch, wait_for};

const SEC: Duration = Duration::from_secs(1);

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("run ip");
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A kernel-backed daemon with one dropbear jail (`maxretry`), its socket and state in a
/// scratch directory.
fn daemon(tag: &str, maxretry: u32) -> (Daemon, PathBuf) {
    let dir = scratch(tag);
    let cfg = config(&dir, "", &dropbear(maxretry, ""));
    (Daemon::start_kernel(&cfg), cfg)
}

fn ok(cfg: &Path, args: &[&str]) -> String {
    let (code, out, err) = cli(cfg, args);
    assert_eq!(code, 0, "logjail {}: {out}{err}", args.join(" "));
    out
}

fn add_element(set: &str, elem: &str) {
    nft(&["add", "element", "inet", "fw4", set, &format!("{{ {elem} }}")]);
}

#[test]
fn unban_lifts_elements_logjail_never_added_and_list_shows_them() {
    if !enter("unban_lifts_elements_logjail_never_added_and_list_shows_them") {
        return;
    }
    load(&fw4_ruleset("wan0", true));
    let (mut d, cfg) = daemon("fw-kernel-only", 2);
    d.feed(&failure("203.0.113.9").repeat(2));
    assert!(wait_for(5 * SEC, || element("fw4", "logjail_v4", "203.0.113.9").is_some()).is_some());
    // Added by hand (or left by a crash): the daemon never knew them.
    add_element("logjail_v4", "198.51.100.50 timeout 1h");
    add_element("logjail_v6", "2001:db8:77::/48 timeout 1h");

    let text = ok(&cfg, &["list"]);
    for a in ["198.51.100.50", "2001:db8:77::/48"] {
        assert!(
            text.lines().any(|l| l.starts_with("(kernel only)")
                && l.contains(a)
                && l.ends_with("not known to logjail")),
            "{a}:\n{text}"
        );
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("dropbear") && l.contains("203.0.113.9")),
        "{text}"
    );
    let json = ok(&cfg, &["list", "--json"]);
    assert!(
        json.contains("\"kernel_only\":[{\"address\":\"198.51.100.50\",\"remaining\":")
            && json.contains("{\"address\":\"2001:db8:77::/48\",\"remaining\":"),
        "{json}"
    );
    assert!(
        !json[json.find("\"kernel_only\"").unwrap()..].contains("203.0.113.9"),
        "a known ban is not kernel-only: {json}"
    );

    // An address inside the hand-added /48: the element covering it goes.
    let out = ok(&cfg, &["unban", "2001:db8:77::5"]);
    assert_eq!(
        out,
        "2001:db8:77::/48: removed from the firewall's sets (logjail had no ban of it)\n"
    );
    assert!(
        elements("fw4", "logjail_v6").is_empty(),
        "{:?}",
        elements("fw4", "logjail_v6")
    );
    let out = ok(&cfg, &["unban", "198.51.100.50", "--json"]);
    assert_eq!(out, "{\"unbanned\":[],\"kernel_only\":[\"198.51.100.50\"]}\n");
    assert!(element("fw4", "logjail_v4", "198.51.100.50").is_none());
    // Now neither logjail nor the kernel has it, and only now is that what it says.
    let out = ok(&cfg, &["unban", "198.51.100.50"]);
    assert_eq!(
        out,
        "nothing was banned: 198.51.100.50 is neither among logjail's bans nor in the firewall's sets\n"
    );
    // A ban logjail knows is reported as such, not as kernel-only.
    let out = ok(&cfg, &["unban", "203.0.113.9"]);
    assert_eq!(out, "dropbear: unbanned 203.0.113.9\n");
    assert!(elements("fw4", "logjail_v4").is_empty());
}

#[test]
fn unban_all_empties_the_sets_unknown_elements_included() {
    if !enter("unban_all_empties_the_sets_unknown_elements_included") {
        return;
    }
    load(&fw4_ruleset("wan0", true));
    let (mut d, cfg) = daemon("fw-unban-all", 2);
    d.feed(&failure("203.0.113.9").repeat(2));
    assert!(wait_for(5 * SEC, || element("fw4", "logjail_v4", "203.0.113.9").is_some()).is_some());
    add_element("logjail_v4", "198.51.100.50");
    add_element("logjail_v6", "2001:db8:77::/48 timeout 1h");
    let out = ok(&cfg, &["unban", "--all"]);
    assert_eq!(
        out,
        "dropbear: unbanned 203.0.113.9\nthe firewall's sets are empty (2 elements logjail had no ban for were removed too)\n"
    );
    assert!(elements("fw4", "logjail_v4").is_empty());
    assert!(elements("fw4", "logjail_v6").is_empty());
    add_element("logjail_v4", "198.51.100.51");
    let json = ok(&cfg, &["unban", "--all", "--json"]);
    assert_eq!(json, "{\"unbanned\":[],\"kernel_only\":[],\"emptied\":1}\n");
    assert_eq!(ok(&cfg, &["list"]), "no bans\n");
}

#[test]
fn elements_in_the_sets_at_start_are_adopted_as_kernel_only() {
    if !enter("elements_in_the_sets_at_start_are_adopted_as_kernel_only") {
        return;
    }
    load(&fw4_ruleset("wan0", true));
    add_element("logjail_v4", "198.51.100.60 timeout 1h");
    let (d, cfg) = daemon("fw-adopt", 2);
    assert!(
        d.err()
            .contains("the firewall's sets hold 1 elements logjail has no ban for (198.51.100.60)"),
        "{}",
        d.err()
    );
    let json = ok(&cfg, &["list", "--json"]);
    assert!(
        json.contains("\"kernel_only\":[{\"address\":\"198.51.100.60\""),
        "{json}"
    );
    // Its kernel timeout is left alone.
    let e = element("fw4", "logjail_v4", "198.51.100.60").expect("still there");
    assert!(e.contains("expires"), "{e}");
}

#[test]
fn a_refused_ban_is_reported_not_listed_as_active_and_retried_when_room_is_made() {
    if !enter("a_refused_ban_is_reported_not_listed_as_active_and_retried_when_room_is_made") {
        return;
    }
    load(
        "table inet fw4 {\n set logjail_v4 { type ipv4_addr; flags timeout; size 2; }\n \
         set logjail_v6 { type ipv6_addr; flags interval, timeout; }\n}\n",
    );
    let (mut d, cfg) = daemon("fw-refused", 1);
    for h in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        d.feed(&failure(h));
    }
    let full = "set logjail_v4 in table inet fw4 is full (size 2)";
    assert!(
        wait_for(5 * SEC, || ok(&cfg, &["status"])
            .contains("refused bans: 1 waiting"))
        .is_some(),
        "{}\n{}",
        ok(&cfg, &["status"]),
        d.err()
    );
    assert!(
        d.err().contains(&format!("cannot ban 203.0.113.3: {full}")),
        "{}",
        d.err()
    );
    let st = ok(&cfg, &["status", "--json"]);
    assert!(st.contains("\"refused\":{\"now\":1,\"total\":1}"), "{st}");
    let text = ok(&cfg, &["list"]);
    let refused: Vec<&str> = text.lines().filter(|l| l.contains("REFUSED")).collect();
    assert_eq!(refused.len(), 1, "{text}");
    assert!(
        refused[0].contains("203.0.113.3") && refused[0].ends_with(&format!("REFUSED by the kernel: {full}")),
        "{text}"
    );
    let json = ok(&cfg, &["list", "--json"]);
    let (active, rest) = json.split_at(json.find("\"refused\"").expect("refused key"));
    assert!(!active.contains("203.0.113.3"), "listed as active: {json}");
    assert!(
        rest.contains("\"address\":\"203.0.113.3\"") && rest.contains(&format!("\"reason\":\"{full}\"")),
        "{json}"
    );

    // Somebody makes room: the refused ban is retried and lands.
    nft(&[
        "delete",
        "element",
        "inet",
        "fw4",
        "logjail_v4",
        "{ 203.0.113.1 }",
    ]);
    assert!(
        wait_for(2 * SEC, || element("fw4", "logjail_v4", "203.0.113.3").is_some()).is_some(),
        "not retried: {:?}\n{}",
        elements("fw4", "logjail_v4"),
        d.err()
    );
    let st = ok(&cfg, &["status", "--json"]);
    assert!(st.contains("\"refused\":{\"now\":0,\"total\":1}"), "{st}");
    assert!(!ok(&cfg, &["list"]).contains("REFUSED"));

    // Full again; then the set is declared anew with room (`nft add set … size 10`): every
    // ban, the refused one included, is installed in the new set.
    d.feed(&failure("203.0.113.4"));
    assert!(
        wait_for(5 * SEC, || ok(&cfg, &["status"])
            .contains("refused bans: 1 waiting"))
        .is_some(),
        "{}",
        d.err()
    );
    nft(&["delete", "set", "inet", "fw4", "logjail_v4"]);
    nft(&[
        "add",
        "set",
        "inet",
        "fw4",
        "logjail_v4",
        "{ type ipv4_addr; flags timeout; size 10; }",
    ]);
    let all = ["203.0.113.2", "203.0.113.3", "203.0.113.4"];
    assert!(
        wait_for(2 * SEC, || all
            .iter()
            .all(|h| element("fw4", "logjail_v4", h).is_some()))
        .is_some(),
        "{:?}\n{}",
        elements("fw4", "logjail_v4"),
        d.err()
    );
    let st = ok(&cfg, &["status", "--json"]);
    assert!(st.contains("\"refused\":{\"now\":0,\"total\":2}"), "{st}");
}

#[test]
fn ignoreself_follows_a_new_v4_address_and_lifts_its_ban() {
    if !enter("ignoreself_follows_a_new_v4_address_and_lifts_its_ban") {
        return;
    }
    load(&fw4_ruleset("wan0", true));
    let (mut d, cfg) = daemon("fw-own-v4", 3);
    d.feed(&failure("198.51.100.9").repeat(3));
    assert!(
        wait_for(5 * SEC, || element("fw4", "logjail_v4", "198.51.100.9").is_some()).is_some(),
        "{}",
        d.err()
    );
    // The router gains the address (WAN DHCP after start).
    ip(&["addr", "add", "198.51.100.9/24", "dev", "lo"]);
    let lifted = wait_for(SEC, || element("fw4", "logjail_v4", "198.51.100.9").is_none());
    println!("own address added -> ban lifted in {lifted:?}");
    assert!(lifted.is_some(), "ban not lifted:\n{}", d.err());
    // Further failures from it are ignored.
    d.feed(&failure("198.51.100.9").repeat(5));
    std::thread::sleep(Duration::from_millis(300));
    assert!(element("fw4", "logjail_v4", "198.51.100.9").is_none());
    let st = ok(&cfg, &["status", "--json"]);
    assert!(st.contains("\"currently_banned\":0"), "{st}");
    assert!(
        d.err().contains("covers one of the router's own addresses"),
        "{}",
        d.err()
    );
    // Another host is still banned as before.
    d.feed(&failure("203.0.113.9").repeat(3));
    assert!(wait_for(5 * SEC, || element("fw4", "logjail_v4", "203.0.113.9").is_some()).is_some());
}

#[test]
fn ignoreself_lifts_a_v6_64_ban_covering_a_new_own_address() {
    if !enter("ignoreself_lifts_a_v6_64_ban_covering_a_new_own_address") {
        return;
    }
    load(&fw4_ruleset("wan0", true));
    ip(&["link", "set", "lo", "up"]);
    let (mut d, _cfg) = daemon("fw-own-v6", 3);
    d.feed(&failure("[2001:db8:9::7]").repeat(3));
    assert!(
        wait_for(5 * SEC, || element("fw4", "logjail_v6", "2001:db8:9::/64")
            .is_some())
        .is_some(),
        "{:?}\n{}",
        elements("fw4", "logjail_v6"),
        d.err()
    );
    // A new delegated prefix: the router's address falls in the banned /64.
    ip(&["-6", "addr", "add", "2001:db8:9::1/64", "dev", "lo", "nodad"]);
    let lifted = wait_for(SEC, || element("fw4", "logjail_v6", "2001:db8:9::/64").is_none());
    println!("own v6 address added -> /64 ban lifted in {lifted:?}");
    assert!(lifted.is_some(), "ban not lifted:\n{}", d.err());
}

#[test]
fn status_counts_ignored_lines_and_failed_state_writes() {
    // issue 10 (status): lines the source never judged, and a state file that cannot be
    // written, were invisible to the owner.
    let dir = scratch("fw-status-health");
    let blocker = dir.join("not-a-dir");
    std::fs::write(&blocker, "").expect("file");
    let cfg = config(&dir, "", &dropbear(2, ""));
    let text = std::fs::read_to_string(&cfg).expect("config");
    let text = text.replace(
        &format!("{}/state'", dir.display()),
        &format!("{}/state'", blocker.display()),
    );
    std::fs::write(&cfg, text).expect("config");
    let mut d = Daemon::start(&cfg);
    let long = format!("{}{}", "x".repeat(2000), failure("203.0.113.9"));
    d.feed(&long);
    d.feed(&failure("203.0.113.9").repeat(2));
    assert!(d.wait_out("ban dropbear 203.0.113.9"), "{}", d.err());
    let ok_status = || {
        let st = ok(&cfg, &["status", "--json"]);
        st.contains("\"ignored_lines\":1,") && !st.contains("\"state_failures\":{\"tmpfs\":0")
    };
    assert!(
        wait_for(5 * SEC, ok_status).is_some(),
        "{}\n{}",
        ok(&cfg, &["status", "--json"]),
        d.err()
    );
    let text = ok(&cfg, &["status"]);
    println!("{text}");
    assert!(
        text.contains("ignored lines: 1 (too long, with a NUL or unfinished; never judged)"),
        "{text}"
    );
    assert!(text.contains("state file: "), "{text}");
    assert!(!text.contains("state file: writes work"), "{text}");
}
