//! Emitted bytes against `nft`'s own, captured from the real kernel path.
//!
//! Every vector is a whole batch as `nftables 1.0.6` sent it: `BATCH_BEGIN` (seq 0), one
//! message (seq 1), `BATCH_END` (seq 2). logjail asks for an ack on every message, `nft` did
//! not, so the expected bytes get `NLM_F_ACK` added to the nf_tables message's flags; all
//! header fields go through [`vectors::host`] so the comparison holds on big-endian hosts.

use super::attr::{Attr, Attrs, Emitable};
use super::batch::Batch;
use super::expr::RuleRepr;
use super::header::{flags, Message, NLMSG_HDRLEN};
use super::msg::{ChainRepr, Element, ElemsRepr, SetRepr, TableRepr, HOOK_PREROUTING};
use super::{family, msg_type, vectors};
use crate::addr::Host;

/// The captured batch, in host order, with `NLM_F_ACK` on its nf_tables messages.
fn expected(name: &str) -> Vec<u8> {
    let mut le = vectors::load(name);
    let mut at = 0;
    while at + NLMSG_HDRLEN <= le.len() {
        let len = u32::from_le_bytes([le[at], le[at + 1], le[at + 2], le[at + 3]]) as usize;
        if le[at + 5] == super::NFNL_SUBSYS_NFTABLES {
            le[at + 6] |= flags::ACK as u8;
        }
        at += super::align4(len);
    }
    vectors::host(&le)
}

fn batch(msg: u8, extra: u16, body: &dyn Emitable) -> Vec<u8> {
    let mut b = Batch::new(4096);
    b.begin(0);
    assert_eq!(b.push(msg, extra, family::INET, body), Ok(1));
    b.end().to_vec()
}

fn host(s: &str) -> Host {
    Host::new(s.parse().unwrap(), 64)
}

#[test]
fn new_sets() {
    for (name, set, v6, id) in [
        ("newset_v4", "logjail_v4", false, 1),
        ("newset_v6", "logjail_v6", true, 1),
    ] {
        let r = SetRepr {
            table: "fw4",
            name: set,
            v6,
            id,
        };
        let got = batch(msg_type::NEWSET, flags::CREATE, &r);
        assert_eq!(got, expected(name), "{name}");
    }
}

#[test]
fn add_v4_element_with_timeout_and_permanent() {
    let cases = [
        ("add_v4_timeout", "203.0.113.9", Some(3_600_000)),
        ("add_v4_permanent", "198.51.100.7", None),
    ];
    for (name, addr, timeout_ms) in cases {
        let elems = [Element {
            host: host(addr),
            timeout_ms,
        }];
        let r = ElemsRepr {
            table: "fw4",
            set: "logjail_v4",
            set_id: Some(1),
            elems: &elems,
            add: true,
        };
        let got = batch(msg_type::NEWSETELEM, flags::CREATE, &r);
        assert_eq!(got, expected(name), "{name}");
    }
}

#[test]
fn delete_v4_element() {
    let elems = [Element {
        host: host("203.0.113.9"),
        timeout_ms: Some(5),
    }];
    let r = ElemsRepr {
        table: "fw4",
        set: "logjail_v4",
        set_id: None,
        elems: &elems,
        add: false,
    };
    assert_eq!(batch(msg_type::DELSETELEM, 0, &r), expected("del_v4"));
}

/// The element nests of the one nf_tables message in a batch, and the bytes before them.
fn elements(batch: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let begin = Message::new_checked(batch).unwrap();
    let m = Message::new_checked(&batch[begin.len()..]).unwrap();
    let attrs: Vec<Attr<'_>> = Attrs::new(m.nft_attrs()).map(Result::unwrap).collect();
    let list = attrs.iter().find(|a| a.kind == 3).unwrap();
    let head: Vec<u8> = attrs
        .iter()
        .filter(|a| a.kind != 3)
        .flat_map(|a| a.payload.to_vec())
        .collect();
    let elems = list.nested().map(|e| e.unwrap().payload.to_vec()).collect();
    (head, elems)
}

#[test]
fn add_v6_prefix_is_start_and_end_element() {
    // nft also sends a zero-key interval end first (a leftover of older kernels' rbtree sets);
    // logjail does not, so the elements after it are compared one by one.
    let elems = [Element {
        host: host("2001:db8:bad::77"),
        timeout_ms: Some(3_600_000),
    }];
    let r = ElemsRepr {
        table: "fw4",
        set: "logjail_v6",
        set_id: Some(2),
        elems: &elems,
        add: true,
    };
    let got = batch(msg_type::NEWSETELEM, flags::CREATE, &r);
    let (got_head, got_elems) = elements(&got);
    let (want_head, want_elems) = elements(&expected("add_v6_interval"));
    assert_eq!(got_head, want_head);
    assert_eq!(want_elems.len(), 3);
    assert_eq!(got_elems, want_elems[1..].to_vec());
}

#[test]
fn delete_v6_prefix_sends_start_and_end() {
    // nft's start element repeats the timeout and expiry it read back; the kernel ignores them
    // on deletion, logjail leaves them out. Keys and the end element must be identical.
    let elems = [Element {
        host: host("2001:db8:bad::"),
        timeout_ms: Some(1),
    }];
    let r = ElemsRepr {
        table: "fw4",
        set: "logjail_v6",
        set_id: None,
        elems: &elems,
        add: false,
    };
    let got = batch(msg_type::DELSETELEM, 0, &r);
    let (got_head, got_elems) = elements(&got);
    let (want_head, want_elems) = elements(&expected("del_v6_interval"));
    assert_eq!(got_head, want_head);
    let key = |e: &[u8]| Attrs::new(e).find(1).map(|a| a.payload.to_vec());
    assert_eq!(key(&got_elems[0]), key(&want_elems[0]));
    assert!(key(&got_elems[0]).is_some());
    assert_eq!(got_elems[1], want_elems[1]);
}

#[test]
fn standalone_table_chain_rules() {
    let t = TableRepr { name: "logjail" };
    assert_eq!(batch(msg_type::NEWTABLE, 0, &t), expected("newtable"));
    let c = ChainRepr {
        table: "logjail",
        name: "prerouting",
        hooknum: HOOK_PREROUTING,
        priority: -150,
    };
    assert_eq!(batch(msg_type::NEWCHAIN, flags::CREATE, &c), expected("newchain"));
    for (name, set, id, v6) in [
        ("newrule_v4", "logjail_v4", 1, false),
        ("newrule_v6", "logjail_v6", 2, true),
    ] {
        let exprs = RuleRepr::saddr_drop(set, id, v6);
        let r = RuleRepr {
            table: "logjail",
            chain: "prerouting",
            exprs: &exprs,
        };
        let got = batch(msg_type::NEWRULE, flags::CREATE | flags::APPEND, &r);
        assert_eq!(got, expected(name), "{name}");
    }
}

/// The measured length is what the real writer writes, for every kind of body.
fn measured_is_written(body: &dyn Emitable) -> usize {
    let mut buf = [0u8; 1024];
    let mut w = super::attr::Writer::new(&mut buf);
    body.emit(&mut w).unwrap();
    assert_eq!(w.len(), body.buffer_len());
    w.len()
}

#[test]
fn buffer_len_is_exact() {
    // elem(4) + [timeout(12)] + key(4 + 4 + 4|16); a v6 prefix adds an end element (36).
    for (addr, t, want) in [
        ("203.0.113.9", Some(1), 28),
        ("203.0.113.9", None, 16),
        ("2001:db8::1", Some(1), 76),
        ("2001:db8::1", None, 64),
    ] {
        let e = Element {
            host: host(addr),
            timeout_ms: t,
        };
        assert_eq!(measured_is_written(&e), want, "{addr} {t:?}");
    }
    // The top /64 reaches ff..ff: no end element, and no wrap to ::.
    let top = Element {
        host: host("ffff:ffff:ffff:ffff::1"),
        timeout_ms: None,
    };
    assert_eq!(measured_is_written(&top), 28);
    let elems = [top, top];
    let exprs = RuleRepr::saddr_drop("logjail_v4", 1, false);
    let bodies: [&dyn Emitable; 6] = [
        &TableRepr { name: "fw4" },
        &SetRepr {
            table: "fw4",
            name: "logjail_v6",
            v6: true,
            id: 2,
        },
        &ChainRepr {
            table: "logjail",
            name: "prerouting",
            hooknum: HOOK_PREROUTING,
            priority: -150,
        },
        &RuleRepr {
            table: "logjail",
            chain: "prerouting",
            exprs: &exprs,
        },
        &ElemsRepr {
            table: "fw4",
            set: "logjail_v6",
            set_id: None,
            elems: &elems,
            add: true,
        },
        &super::msg::SetRef {
            table: "fw4",
            set: "logjail_v4",
        },
    ];
    for b in bodies {
        assert!(measured_is_written(b) > 0);
    }
}

#[test]
fn dump_request_for_set_elements() {
    use super::batch::request;
    use super::msg::SetRef;
    for (name, set) in [("dump_v4", "logjail_v4"), ("dump_v6", "logjail_v6")] {
        let body = SetRef { table: "fw4", set };
        let mut buf = [0u8; 256];
        let n = request(
            &mut buf,
            0,
            msg_type::GETSETELEM,
            flags::DUMP,
            family::INET,
            &body,
        )
        .unwrap();
        assert_eq!(&buf[..n], &vectors::host(&vectors::load(name))[..], "{name}");
    }
}

#[test]
fn flush_is_delsetelem_without_elements() {
    use super::msg::SetRef;
    let body = SetRef {
        table: "fw4",
        set: "logjail_v4",
    };
    let got = batch(msg_type::DELSETELEM, 0, &body);
    assert_eq!(got, expected("flush_v4"));
}
