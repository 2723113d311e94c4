use anchor_lang::prelude::*;
use fulcrum_risk::{PerpMarketRisk, PerpPosition, Price};

use super::{get_i128, put_i128};

/// A perpetual futures market against the pool.
#[account(zero_copy)]
#[derive(Debug)]
#[repr(C)]
pub struct PerpMarket {
    pub exchange: Pubkey,
    pub oracle: Pubkey,
    /// Pyth feed id the oracle must carry (PriceUpdateV2 only).
    pub feed_id: [u8; 32],
    /// Display name, UTF-8, zero padded.
    pub name: [u8; 16],
    /// Σ base of long positions, base native units.
    pub long_base: u64,
    /// Σ |base| of short positions, base native units.
    pub short_base: u64,
    /// Σ quote_entry of long positions (≤ 0), quote native units.
    pub long_quote_entry: i64,
    /// Σ quote_entry of short positions (≥ 0), quote native units.
    pub short_quote_entry: i64,
    /// Most long open interest allowed, base native units.
    pub long_oi_cap: u64,
    /// Most short open interest allowed, base native units.
    pub short_oi_cap: u64,
    /// Fees collected, ever, quote native units.
    pub fees_collected: u64,
    /// Notional traded, ever, quote native units.
    pub volume: u64,
    /// Cumulative funding index, `FUNDING_SCALE` (i128 little-endian).
    pub cumulative_funding: [u8; 16],
    /// Initial margin ratio, ppm.
    pub init_margin_ratio: u32,
    /// Maintenance margin ratio, ppm.
    pub maint_margin_ratio: u32,
    /// Size premium, ppm per √(whole base unit).
    pub imf: u32,
    /// Taker fee on fill notional, ppm.
    pub taker_fee: u32,
    /// Oldest oracle publish time accepted, seconds.
    pub max_oracle_age: u32,
    /// Widest confidence accepted, conf / price in ppm.
    pub max_conf_ratio: u32,
    /// Order sizes are multiples of this, base native units.
    pub step_size: u64,
    /// Fills in this market, ever (the sequence number of the next trade event).
    pub trade_seq: u64,
    pub index: u16,
    pub base_decimals: u8,
    /// [`crate::oracle::OracleKind`] as u8.
    pub oracle_kind: u8,
    pub bump: u8,
    pub _pad: [u8; 3],
    pub reserved: [u8; 128],
}
const _: () = assert!(core::mem::size_of::<PerpMarket>() == 368);

impl PerpMarket {
    pub const SIZE: usize = 8 + core::mem::size_of::<PerpMarket>();

    pub fn funding_index(&self) -> i128 {
        get_i128(&self.cumulative_funding)
    }

    /// The engine's view of this market at `price`.
    pub fn risk(&self, price: Price) -> PerpMarketRisk {
        PerpMarketRisk {
            price,
            base_decimals: self.base_decimals,
            init_margin_ratio: self.init_margin_ratio,
            maint_margin_ratio: self.maint_margin_ratio,
            imf: self.imf,
            cumulative_funding: self.funding_index(),
        }
    }

    /// Replaces `old` by `new` in the open-interest and entry sums.
    pub fn update_open_interest(&mut self, old: &PerpPosition, new: &PerpPosition) -> Option<()> {
        self.remove_position(old)?;
        self.add_position(new)
    }

    fn remove_position(&mut self, p: &PerpPosition) -> Option<()> {
        if p.base > 0 {
            self.long_base = self.long_base.checked_sub(p.base.unsigned_abs())?;
            self.long_quote_entry = self.long_quote_entry.checked_sub(p.quote_entry)?;
        } else if p.base < 0 {
            self.short_base = self.short_base.checked_sub(p.base.unsigned_abs())?;
            self.short_quote_entry = self.short_quote_entry.checked_sub(p.quote_entry)?;
        }
        Some(())
    }

    fn add_position(&mut self, p: &PerpPosition) -> Option<()> {
        if p.base > 0 {
            self.long_base = self.long_base.checked_add(p.base.unsigned_abs())?;
            self.long_quote_entry = self.long_quote_entry.checked_add(p.quote_entry)?;
        } else if p.base < 0 {
            self.short_base = self.short_base.checked_add(p.base.unsigned_abs())?;
            self.short_quote_entry = self.short_quote_entry.checked_add(p.quote_entry)?;
        }
        Some(())
    }

    pub fn set_funding_index(&mut self, v: i128) {
        self.cumulative_funding = put_i128(v);
    }
}
