//! Tests of `logjail test`: counting, several filters, the offender table, attempts.

use super::*;

fn run_on(filter: &str, log: &str) -> Report {
    let f = Filter::parse("t", filter).unwrap();
    scan(&[f], log.as_bytes(), 0, &Options::default(), &mut io::sink()).unwrap()
}

#[test]
fn counts_lines_matches_and_v6_by_prefix() {
    let r = run_on(
        "failregex ^bad <HOST>$\nignoreregex ^bad 10\\.",
        "bad 1.2.3.4\nbad 2001:db8:bad::1\nbad 2001:db8:bad::2\nok\nbad 10.0.0.1\nbad 1.2.3.4",
    );
    assert_eq!((r.lines, r.matched, r.ignored), (6, 4, 1));
    assert_eq!(
        r.json(),
        "{\"lines\":6,\"matched\":4,\"ignored\":1,\"hosts\":{\"1.2.3.4\":2,\"2001:db8:bad::/64\":2}}\n"
    );
}

#[test]
fn several_filters_count_each_line_once_and_name_the_filter() {
    let a = Filter::parse("a", "failregex ^bad <HOST>$").unwrap();
    let b = Filter::parse("b", "failregex ^(?:bad|worse) <HOST>$").unwrap();
    let opts = Options {
        print_matched: true,
        print_missed: true,
        ..Options::default()
    };
    let mut trace = Vec::new();
    let r = scan(
        &[a, b],
        &b"bad 1.2.3.4\nworse 5.6.7.8\nfine\n"[..],
        0,
        &opts,
        &mut trace,
    )
    .unwrap();
    assert_eq!((r.lines, r.matched, r.ignored), (3, 2, 0));
    let t = String::from_utf8(trace).unwrap();
    assert!(
        t.contains("MATCH 1.2.3.4 a rule 0 `^bad <HOST>$` | bad 1.2.3.4"),
        "{t}"
    );
    assert!(t.contains("MATCH 1.2.3.4 b rule 0 "), "{t}");
    assert!(t.contains("MATCH 5.6.7.8 b rule 0 "), "{t}");
    assert!(t.contains("MISS | fine"), "{t}");
}

#[test]
fn a_full_table_counts_the_rest_as_other() {
    let mut log = String::new();
    for i in 0..HOSTS + 10 {
        let _ = writeln!(log, "bad 10.{}.{}.1", i / 256, i % 256);
    }
    let r = run_on("failregex ^bad <HOST>$", &log);
    assert_eq!(r.hosts.len(), HOSTS);
    assert_eq!(r.other, 10);
    assert!(r.json().ends_with(",\"other\":10}}\n"));
}

#[test]
fn the_seventieth_filter_is_asked() {
    // Users add filters of their own: each of 70 filters judges its own program's lines.
    let filters: Vec<Filter> = (0..70)
        .map(|i| {
            Filter::parse(
                &format!("f{i}"),
                &format!("program p{i}\nfailregex ^x from <HOST>$\n"),
            )
            .unwrap()
        })
        .collect();
    let log = "Thu Dec  5 17:43:58 2024 authpriv.info p69[1]: x from 192.0.2.69\n\
               Thu Dec  5 17:43:58 2024 authpriv.info p1[1]: x from 192.0.2.1\n";
    let r = scan(&filters, log.as_bytes(), 0, &Options::default(), &mut io::sink()).unwrap();
    assert_eq!((r.lines, r.matched), (2, 2));
    assert!(r.hosts.contains_key(&Host::V4("192.0.2.69".parse().unwrap())));
}

#[test]
fn an_attempt_of_several_lines_counts_once() {
    // sshd with PAM: pam_unix, then "Failed password" for the same attempt ~2 s later; three
    // attempts from one host, one without PAM's line, and a PAM line alone from another.
    let sshd = crate::filter::load("sshd", std::path::Path::new("/nonexistent")).unwrap();
    let pam = |t: &str, a: &str| {
        format!("Dec  3 07:26:{t} vm authpriv.notice sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={a}  user=root\n")
    };
    let failed = |t: &str, a: &str| {
        format!("Dec  3 07:26:{t} vm auth.info sshd[1]: Failed password for root from {a} port 4242 ssh2\n")
    };
    let log = [
        pam("10", "192.0.2.9"),
        failed("12", "192.0.2.9"),
        pam("13", "192.0.2.9"),
        failed("15", "192.0.2.9"),
        failed("30", "192.0.2.9"),
        pam("31", "192.0.2.8"),
    ]
    .concat();
    let r = scan(&[sshd], log.as_bytes(), 0, &Options::default(), &mut io::sink()).unwrap();
    assert_eq!(
        r.json(),
        "{\"lines\":6,\"matched\":6,\"ignored\":0,\"hosts\":{\"192.0.2.8\":1,\"192.0.2.9\":3}}\n"
    );
}
