//! nf_tables request bodies: tables, chains, sets and set elements.
//!
//! Each `Repr` writes the attributes that follow the `nfgenmsg`; [`super::batch::Batch`] puts
//! the headers around them. Attribute order follows `nft` (libnftnl), so the emitted bytes can
//! be compared with `nft`'s own, captured in `tests/kernel/`.
//!
//! Set elements carry their ban as a kernel timeout (`NFTA_SET_ELEM_TIMEOUT`, big-endian `u64`
//! milliseconds). An IPv6 prefix in an interval set is *two* elements: the start, and an end
//! element flagged `NFT_SET_ELEM_INTERVAL_END` whose key is the first address *after* the
//! range. A start without its end would make the range run to the top of the address space,
//! so the only element ever sent without an end is one whose range already ends there.

use super::attr::{Emitable, Writer};
use super::WireError;
use crate::addr::Host;

/// `NFTA_TABLE_*`.
pub mod table_attr {
    pub const NAME: u16 = 1;
    pub const FLAGS: u16 = 2;
    pub const USE: u16 = 3;
    pub const HANDLE: u16 = 4;
}

/// `NFTA_CHAIN_*` and `NFTA_HOOK_*`.
pub mod chain_attr {
    pub const TABLE: u16 = 1;
    pub const NAME: u16 = 3;
    pub const HOOK: u16 = 4;
    pub const POLICY: u16 = 5;
    pub const TYPE: u16 = 7;
    pub const HOOK_HOOKNUM: u16 = 1;
    pub const HOOK_PRIORITY: u16 = 2;
}

/// `NFTA_SET_*`, `NFT_SET_*` flags and the nft datatypes logjail uses.
pub mod set_attr {
    pub const TABLE: u16 = 1;
    pub const NAME: u16 = 2;
    pub const FLAGS: u16 = 3;
    pub const KEY_TYPE: u16 = 4;
    pub const KEY_LEN: u16 = 5;
    pub const ID: u16 = 10;
    /// `NFTA_SET_DESC` and its `NFTA_SET_DESC_SIZE` (the `size` a set was declared with).
    pub const DESC: u16 = 9;
    pub const DESC_SIZE: u16 = 1;
    pub const USERDATA: u16 = 13;
    pub const HANDLE: u16 = 16;
    pub const F_INTERVAL: u32 = 0x4;
    pub const F_TIMEOUT: u32 = 0x10;
    /// nft's `ipv4_addr` and `ipv6_addr` datatypes.
    pub const TYPE_IPV4_ADDR: u32 = 7;
    pub const TYPE_IPV6_ADDR: u32 = 8;
    /// libnftnl user data: `NFTNL_UDATA_SET_KEYBYTEORDER` = `NFT_BYTEORDER_BIG_ENDIAN`.
    pub const UDATA_KEYBYTEORDER: u8 = 0;
    pub const BYTEORDER_BIG_ENDIAN: u32 = 2;
}

/// `NFTA_SET_ELEM_LIST_*`, `NFTA_SET_ELEM_*`, `NFTA_DATA_*`.
pub mod elem_attr {
    pub const LIST_TABLE: u16 = 1;
    pub const LIST_SET: u16 = 2;
    pub const LIST_ELEMENTS: u16 = 3;
    pub const LIST_SET_ID: u16 = 4;
    pub const LIST_ELEM: u16 = 1;
    pub const KEY: u16 = 1;
    pub const FLAGS: u16 = 3;
    pub const TIMEOUT: u16 = 4;
    pub const EXPIRATION: u16 = 5;
    pub const DATA_VALUE: u16 = 1;
    pub const F_INTERVAL_END: u32 = 0x1;
}

/// `table FAMILY NAME`.
pub struct TableRepr<'a> {
    pub name: &'a str,
}

impl Emitable for TableRepr<'_> {
    fn emit(&self, w: &mut Writer<'_>) -> Result<(), WireError> {
        w.str(table_attr::NAME, self.name)?;
        w.be32(table_attr::FLAGS, 0)
    }
}

/// A base chain: `type filter hook HOOK priority PRIO; policy accept;`.
pub struct ChainRepr<'a> {
    pub table: &'a str,
    pub name: &'a str,
    pub hooknum: u32,
    pub priority: i32,
}

/// `NF_INET_PRE_ROUTING`, `NF_INET_LOCAL_IN`.
pub const HOOK_PREROUTING: u32 = 0;
pub const HOOK_INPUT: u32 = 1;
const NF_ACCEPT: u32 = 1;

impl Emitable for ChainRepr<'_> {
    fn emit(&self, w: &mut Writer<'_>) -> Result<(), WireError> {
        w.str(chain_attr::TABLE, self.table)?;
        w.str(chain_attr::NAME, self.name)?;
        w.str(chain_attr::TYPE, "filter")?;
        w.be32(chain_attr::POLICY, NF_ACCEPT)?;
        let hook = w.begin_nest(chain_attr::HOOK)?;
        w.be32(chain_attr::HOOK_HOOKNUM, self.hooknum)?;
        w.be32(chain_attr::HOOK_PRIORITY, self.priority as u32)?;
        w.end_nest(hook)
    }
}

/// `set NAME { type ipv4_addr|ipv6_addr; flags [interval,]timeout; }`.
pub struct SetRepr<'a> {
    pub table: &'a str,
    pub name: &'a str,
    pub v6: bool,
    /// Transaction-local id, so rules in the same batch can refer to the set.
    pub id: u32,
}

impl SetRepr<'_> {
    /// The flags logjail's sets have: `timeout`, plus `interval` for IPv6 prefixes.
    pub fn flags(v6: bool) -> u32 {
        if v6 {
            set_attr::F_INTERVAL | set_attr::F_TIMEOUT
        } else {
            set_attr::F_TIMEOUT
        }
    }
}

impl Emitable for SetRepr<'_> {
    fn emit(&self, w: &mut Writer<'_>) -> Result<(), WireError> {
        w.str(set_attr::TABLE, self.table)?;
        w.str(set_attr::NAME, self.name)?;
        w.be32(set_attr::FLAGS, Self::flags(self.v6))?;
        let (ty, len) = if self.v6 {
            (set_attr::TYPE_IPV6_ADDR, 16)
        } else {
            (set_attr::TYPE_IPV4_ADDR, 4)
        };
        w.be32(set_attr::KEY_TYPE, ty)?;
        w.be32(set_attr::KEY_LEN, len)?;
        w.be32(set_attr::ID, self.id)?;
        // libnftnl TLV: type u8, len u8, value in host order.
        let mut udata = [0u8; 6];
        udata[0] = set_attr::UDATA_KEYBYTEORDER;
        udata[1] = 4;
        udata[2..].copy_from_slice(&set_attr::BYTEORDER_BIG_ENDIAN.to_ne_bytes());
        w.bytes(set_attr::USERDATA, &udata)
    }
}

/// `GETSET`/`GETTABLE` request body naming one object.
pub struct LookupRepr<'a> {
    pub table: &'a str,
    pub set: Option<&'a str>,
}

impl Emitable for LookupRepr<'_> {
    fn emit(&self, w: &mut Writer<'_>) -> Result<(), WireError> {
        match self.set {
            Some(set) => {
                w.str(set_attr::TABLE, self.table)?;
                w.str(set_attr::NAME, set)
            }
            None => w.str(table_attr::NAME, self.table),
        }
    }
}

/// A whole set's elements: the body of a `GETSETELEM` dump request and of a flush
/// (`DELSETELEM` without an elements list). Attribute order follows `nft`: set, then table.
pub struct SetRef<'a> {
    pub table: &'a str,
    pub set: &'a str,
}

impl Emitable for SetRef<'_> {
    fn emit(&self, w: &mut Writer<'_>) -> Result<(), WireError> {
        w.str(elem_attr::LIST_SET, self.set)?;
        w.str(elem_attr::LIST_TABLE, self.table)
    }
}

/// One host as set element(s), with an optional kernel timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Element {
    pub host: Host,
    pub timeout_ms: Option<u64>,
}

impl Element {
    fn key_bytes(ip: core::net::IpAddr) -> ([u8; 16], usize) {
        let mut k = [0u8; 16];
        match ip {
            core::net::IpAddr::V4(a) => {
                k[..4].copy_from_slice(&a.octets());
                (k, 4)
            }
            core::net::IpAddr::V6(a) => {
                k.copy_from_slice(&a.octets());
                (k, 16)
            }
        }
    }

    fn key(w: &mut Writer<'_>, key: &[u8]) -> Result<(), WireError> {
        let n = w.begin_nest(elem_attr::KEY)?;
        w.bytes(elem_attr::DATA_VALUE, key)?;
        w.end_nest(n)
    }

    /// Writes the element nest(s); `with_timeout` is false for deletions.
    pub fn emit_as(&self, w: &mut Writer<'_>, with_timeout: bool) -> Result<(), WireError> {
        let (start, len) = Self::key_bytes(self.host.ip());
        let n = w.begin_nest(elem_attr::LIST_ELEM)?;
        if let (true, Some(ms)) = (with_timeout, self.timeout_ms) {
            w.be64(elem_attr::TIMEOUT, ms)?;
        }
        Self::key(w, &start[..len])?;
        w.end_nest(n)?;
        if let Host::V6(..) = self.host {
            let last = match self.host.last() {
                core::net::IpAddr::V6(a) => u128::from(a),
                core::net::IpAddr::V4(_) => return Ok(()),
            };
            // The end key is one past the range; a range reaching ff..ff needs no end.
            if let Some(end) = last.checked_add(1) {
                let n = w.begin_nest(elem_attr::LIST_ELEM)?;
                w.be32(elem_attr::FLAGS, elem_attr::F_INTERVAL_END)?;
                Self::key(w, &end.to_be_bytes())?;
                w.end_nest(n)?;
            }
        }
        Ok(())
    }
}

/// As added (with its timeout): what it adds inside `NFTA_SET_ELEM_LIST_ELEMENTS`, so its
/// [`Emitable::buffer_len`] bounds both an addition and a deletion.
impl Emitable for Element {
    fn emit(&self, w: &mut Writer<'_>) -> Result<(), WireError> {
        self.emit_as(w, true)
    }
}

/// `NEWSETELEM`/`DELSETELEM` body: elements of one set.
pub struct ElemsRepr<'a> {
    pub table: &'a str,
    pub set: &'a str,
    /// `nft` names the set by id too; logjail only does when comparing with nft's bytes.
    pub set_id: Option<u32>,
    pub elems: &'a [Element],
    /// True for additions (timeouts are sent), false for deletions.
    pub add: bool,
}

impl Emitable for ElemsRepr<'_> {
    fn emit(&self, w: &mut Writer<'_>) -> Result<(), WireError> {
        w.str(elem_attr::LIST_TABLE, self.table)?;
        w.str(elem_attr::LIST_SET, self.set)?;
        if let Some(id) = self.set_id {
            w.be32(elem_attr::LIST_SET_ID, id)?;
        }
        let n = w.begin_nest(elem_attr::LIST_ELEMENTS)?;
        for e in self.elems {
            e.emit_as(w, self.add)?;
        }
        w.end_nest(n)
    }
}
