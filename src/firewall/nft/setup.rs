//! Making sure the table and sets exist, as the daemon starts and after the firewall
//! re-created them.
//!
//! A set declared by hand (or by the fw4 include) must have the key type and flags logjail
//! creates: `ipv4_addr` with `flags timeout`, `ipv6_addr` with `flags interval, timeout`; a
//! mismatch is reported at start rather than as a failure of every ban.

use super::{conn_error, Handles, Nft, STANDALONE_CHAIN, STANDALONE_PRIORITY};
use crate::firewall::Error;
use crate::netlink::attr::Emitable;
use crate::netlink::batch::Batch;
use crate::netlink::conn::Info;
use crate::netlink::expr::RuleRepr;
use crate::netlink::header::flags;
use crate::netlink::msg::{set_attr, ChainRepr, LookupRepr, SetRepr, TableRepr, HOOK_PREROUTING};
use crate::netlink::{family, msg_type};

impl Nft {
    pub(super) fn table_info(&mut self, table: &str) -> Result<Option<Info>, Error> {
        let body = LookupRepr { table, set: None };
        self.conn
            .object(msg_type::GETTABLE, self.family, &body)
            .map_err(conn_error)
    }

    fn set_info(&mut self, v6: bool) -> Result<Option<Info>, Error> {
        let info = self.set_info_unchecked(v6)?;
        if let Some(i) = info {
            self.check_set(v6, &i)?;
        }
        Ok(info)
    }

    /// The set as the kernel describes it, whatever its type and flags.
    pub(super) fn set_info_unchecked(&mut self, v6: bool) -> Result<Option<Info>, Error> {
        let (table, set) = (self.table.clone(), self.set_name(v6).to_string());
        let body = LookupRepr {
            table: &table,
            set: Some(&set),
        };
        self.conn
            .object(msg_type::GETSET, self.family, &body)
            .map_err(conn_error)
    }

    /// A set declared by hand must be able to hold what logjail puts in it.
    fn check_set(&self, v6: bool, i: &Info) -> Result<(), Error> {
        let (ty, len) = if v6 {
            (set_attr::TYPE_IPV6_ADDR, 16)
        } else {
            (set_attr::TYPE_IPV4_ADDR, 4)
        };
        let want_flags = SetRepr::flags(v6);
        let what = if i.key_len.is_some_and(|l| l != len) || i.key_type.is_some_and(|t| t != ty) {
            Some(if v6 {
                "`type ipv6_addr`"
            } else {
                "`type ipv4_addr`"
            })
        } else if i.set_flags.unwrap_or(0) & want_flags != want_flags {
            // The kernel leaves NFTA_SET_FLAGS out when no flag is set.
            Some(if v6 {
                "`flags interval, timeout`"
            } else {
                "`flags timeout`"
            })
        } else {
            None
        };
        match what {
            Some(need) => Err(Error::Kernel {
                what: format!(
                    "set {} in {} must be declared with {need}",
                    self.set_name(v6),
                    self.table_words()
                ),
                errno: libc::EINVAL,
            }),
            None => Ok(()),
        }
    }

    /// Creates whichever of the two sets is missing; returns the current handles, or `None`
    /// when the table itself is missing.
    pub(super) fn ensure_sets(&mut self) -> Result<Option<Handles>, Error> {
        let Some(table) = self.table_info(&self.table.clone())? else {
            return Ok(None);
        };
        let mut handles = [None, None];
        let mut missing = Vec::new();
        for v6 in [false, true] {
            match self.set_info(v6)? {
                Some(i) => handles[usize::from(v6)] = i.handle,
                None => missing.push(v6),
            }
        }
        if !missing.is_empty() {
            self.conn.begin();
            let table_name = self.table.clone();
            for &v6 in &missing {
                let name = self.set_name(v6).to_string();
                let r = SetRepr {
                    table: &table_name,
                    name: &name,
                    v6,
                    id: 1 + u32::from(v6),
                };
                self.conn
                    .batch()
                    .push(msg_type::NEWSET, flags::CREATE, self.family, &r)
                    .map_err(|e| Error::Protocol { what: e.to_string() })?;
            }
            self.run_batch("creating sets")?;
            for &v6 in &missing {
                log::info!("created set {} in {}", self.set_name(v6), self.table_words());
                handles[usize::from(v6)] = self.set_info(v6)?.and_then(|i| i.handle);
            }
        }
        let [v4, v6] = handles;
        Ok(Some(Handles {
            table: table.handle,
            v4,
            v6,
        }))
    }

    /// The table in use (`table inet logjail`, or the configured family and name) with both
    /// sets, a prerouting chain and the two drop rules.
    pub(super) fn create_standalone(&mut self) -> Result<(), Error> {
        let table = self.table.clone();
        let t = table.as_str();
        // Which drop rules the family's prerouting hook can hold: an `ip` table sees only
        // IPv4 packets, an `ip6` table only IPv6 ones; others have no such hook.
        let (rule_v4, rule_v6) = match self.family {
            family::INET => (true, true),
            family::IPV4 => (true, false),
            family::IPV6 => (false, true),
            _ => {
                return Err(Error::Kernel {
                    what: format!(
                        "standalone mode creates a prerouting chain, which family {} does not have (use inet, ip or ip6)",
                        self.family_name
                    ),
                    errno: libc::EOPNOTSUPP,
                })
            }
        };
        self.conn.begin();
        let (v4, v6) = (self.set_v4.clone(), self.set_v6.clone());
        let fam = self.family;
        let b = self.conn.batch();
        let push = |b: &mut Batch, msg, extra, body: &dyn Emitable| {
            b.push(msg, extra, fam, body)
                .map(drop)
                .map_err(|e| Error::Protocol { what: e.to_string() })
        };
        push(b, msg_type::NEWTABLE, 0, &TableRepr { name: t })?;
        let set = |name, v6, id| SetRepr {
            table: t,
            name,
            v6,
            id,
        };
        push(b, msg_type::NEWSET, flags::CREATE, &set(&v4, false, 1))?;
        push(b, msg_type::NEWSET, flags::CREATE, &set(&v6, true, 2))?;
        let chain = ChainRepr {
            table: t,
            name: STANDALONE_CHAIN,
            hooknum: HOOK_PREROUTING,
            priority: STANDALONE_PRIORITY,
        };
        push(b, msg_type::NEWCHAIN, flags::CREATE, &chain)?;
        for (set, id, is_v6, _) in [(&v4, 1, false, rule_v4), (&v6, 2, true, rule_v6)]
            .into_iter()
            .filter(|r| r.3)
        {
            let exprs = RuleRepr::saddr_drop(set, id, is_v6);
            // In an `ip`/`ip6` table the family is the protocol check (and `nft` cannot
            // print a rule that repeats it); `inet` needs `meta nfproto` first.
            let skip = if fam == family::INET { 0 } else { 2 };
            let rule = RuleRepr {
                table: t,
                chain: STANDALONE_CHAIN,
                exprs: &exprs[skip..],
            };
            push(b, msg_type::NEWRULE, flags::CREATE | flags::APPEND, &rule)?;
        }
        self.run_batch("creating the standalone table")?;
        log::info!(
            "created table {} {t} with sets {v4}, {v6} and a prerouting drop chain",
            self.family_name
        );
        Ok(())
    }

    /// Sends the current batch; any failure is an error naming `doing`.
    pub(super) fn run_batch(&mut self, doing: &str) -> Result<(), Error> {
        let failures = self.conn.transact().map_err(conn_error)?;
        match failures.first() {
            None => Ok(()),
            Some(f) => Err(Error::Kernel {
                what: format!("{doing} in {}", self.table_words()),
                errno: f.errno,
            }),
        }
    }
}
