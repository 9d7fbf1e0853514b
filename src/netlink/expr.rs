//! Rules and the five expressions logjail's drop rules are made of.
//!
//! `ip saddr @logjail_v4 drop` in an `inet` table is, as the kernel sees it
//! (`nft --debug=netlink`):
//!
//! ```text
//! [ meta load nfproto => reg 1 ]
//! [ cmp eq reg 1 0x00000002 ]
//! [ payload load 4b @ network header + 12 => reg 1 ]
//! [ lookup reg 1 set logjail_v4 ]
//! [ immediate reg 0 drop ]
//! ```
//!
//! and `ip6 saddr @logjail_v6 drop` the same with `0x0a`, `16b @ network header + 8`.

use super::attr::{Emitable, Writer};
use super::WireError;

/// `NFTA_RULE_*`, `NFTA_LIST_ELEM`, `NFTA_EXPR_*`.
pub mod rule_attr {
    pub const TABLE: u16 = 1;
    pub const CHAIN: u16 = 2;
    pub const EXPRESSIONS: u16 = 4;
    pub const LIST_ELEM: u16 = 1;
    pub const EXPR_NAME: u16 = 1;
    pub const EXPR_DATA: u16 = 2;
}

/// Per-expression attributes and constants from `nf_tables.h`.
pub mod expr_attr {
    pub const META_DREG: u16 = 1;
    pub const META_KEY: u16 = 2;
    pub const META_NFPROTO: u32 = 15;
    pub const CMP_SREG: u16 = 1;
    pub const CMP_OP: u16 = 2;
    pub const CMP_DATA: u16 = 3;
    pub const CMP_EQ: u32 = 0;
    pub const PAYLOAD_DREG: u16 = 1;
    pub const PAYLOAD_BASE: u16 = 2;
    pub const PAYLOAD_OFFSET: u16 = 3;
    pub const PAYLOAD_LEN: u16 = 4;
    pub const PAYLOAD_NETWORK_HEADER: u32 = 1;
    pub const LOOKUP_SET: u16 = 1;
    pub const LOOKUP_SREG: u16 = 2;
    pub const LOOKUP_SET_ID: u16 = 4;
    pub const IMMEDIATE_DREG: u16 = 1;
    pub const IMMEDIATE_DATA: u16 = 2;
    pub const DATA_VALUE: u16 = 1;
    pub const DATA_VERDICT: u16 = 2;
    pub const VERDICT_CODE: u16 = 1;
    pub const NF_DROP: u32 = 0;
    pub const REG_VERDICT: u32 = 0;
    pub const REG_1: u32 = 1;
}

use expr_attr as x;

/// One expression of a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expr<'a> {
    /// `meta load nfproto => reg 1`.
    MetaNfproto,
    /// `cmp eq reg 1 VALUE` with a one-byte value.
    CmpEqU8(u8),
    /// `payload load LEN @ network header + OFFSET => reg 1`.
    NetworkPayload { offset: u32, len: u32 },
    /// `lookup reg 1 set NAME` (the set also named by its transaction id).
    Lookup { set: &'a str, set_id: u32 },
    /// `immediate reg 0 drop`.
    Drop,
}

impl Expr<'_> {
    fn name(&self) -> &'static str {
        match self {
            Expr::MetaNfproto => "meta",
            Expr::CmpEqU8(_) => "cmp",
            Expr::NetworkPayload { .. } => "payload",
            Expr::Lookup { .. } => "lookup",
            Expr::Drop => "immediate",
        }
    }

    fn emit_data(&self, w: &mut Writer<'_>) -> Result<(), WireError> {
        match *self {
            Expr::MetaNfproto => {
                w.be32(x::META_KEY, x::META_NFPROTO)?;
                w.be32(x::META_DREG, x::REG_1)
            }
            Expr::CmpEqU8(v) => {
                w.be32(x::CMP_SREG, x::REG_1)?;
                w.be32(x::CMP_OP, x::CMP_EQ)?;
                let d = w.begin_nest(x::CMP_DATA)?;
                w.u8(x::DATA_VALUE, v)?;
                w.end_nest(d)
            }
            Expr::NetworkPayload { offset, len } => {
                w.be32(x::PAYLOAD_DREG, x::REG_1)?;
                w.be32(x::PAYLOAD_BASE, x::PAYLOAD_NETWORK_HEADER)?;
                w.be32(x::PAYLOAD_OFFSET, offset)?;
                w.be32(x::PAYLOAD_LEN, len)
            }
            Expr::Lookup { set, set_id } => {
                w.be32(x::LOOKUP_SREG, x::REG_1)?;
                w.str(x::LOOKUP_SET, set)?;
                w.be32(x::LOOKUP_SET_ID, set_id)
            }
            Expr::Drop => {
                w.be32(x::IMMEDIATE_DREG, x::REG_VERDICT)?;
                let data = w.begin_nest(x::IMMEDIATE_DATA)?;
                let verdict = w.begin_nest(x::DATA_VERDICT)?;
                w.be32(x::VERDICT_CODE, x::NF_DROP)?;
                w.end_nest(verdict)?;
                w.end_nest(data)
            }
        }
    }
}

/// `rule TABLE CHAIN EXPRS`, appended (`NLM_F_APPEND`).
pub struct RuleRepr<'a> {
    pub table: &'a str,
    pub chain: &'a str,
    pub exprs: &'a [Expr<'a>],
}

impl<'a> RuleRepr<'a> {
    /// The expressions of `ip saddr @SET drop` (`v6` false) or `ip6 saddr @SET drop`.
    pub fn saddr_drop(set: &'a str, set_id: u32, v6: bool) -> [Expr<'a>; 5] {
        let (proto, offset, len) = if v6 { (10, 8, 16) } else { (2, 12, 4) };
        [
            Expr::MetaNfproto,
            Expr::CmpEqU8(proto),
            Expr::NetworkPayload { offset, len },
            Expr::Lookup { set, set_id },
            Expr::Drop,
        ]
    }
}

impl Emitable for RuleRepr<'_> {
    fn emit(&self, w: &mut Writer<'_>) -> Result<(), WireError> {
        w.str(rule_attr::TABLE, self.table)?;
        w.str(rule_attr::CHAIN, self.chain)?;
        let list = w.begin_nest(rule_attr::EXPRESSIONS)?;
        for e in self.exprs {
            let elem = w.begin_nest(rule_attr::LIST_ELEM)?;
            w.str(rule_attr::EXPR_NAME, e.name())?;
            let data = w.begin_nest(rule_attr::EXPR_DATA)?;
            e.emit_data(w)?;
            w.end_nest(data)?;
            w.end_nest(elem)?;
        }
        w.end_nest(list)
    }
}
