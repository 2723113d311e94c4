use anchor_lang::prelude::*;

/// One collateral mint: its vault, oracle and risk weights. Bank 0 is the quote mint, valued at
/// exactly 1 (it is the unit of account) and kept in the accounts' quote balance, not in slots.
#[account(zero_copy)]
#[derive(Debug)]
#[repr(C)]
pub struct CollateralBank {
    pub exchange: Pubkey,
    pub mint: Pubkey,
    /// The mint's one vault (PDA token account, authority = exchange).
    pub vault: Pubkey,
    /// Price account (`Pubkey::default()` for the quote bank).
    pub oracle: Pubkey,
    /// Pyth feed id the oracle must carry (PriceUpdateV2 only).
    pub feed_id: [u8; 32],
    /// Most that may be deposited, native units.
    pub deposit_cap: u64,
    /// Deposited and not withdrawn, native units: for non-quote banks Σ account balances (the
    /// cap's measure); for the quote bank what the quote vault held for accounts at the last
    /// deposit, less withdrawals since (display: the cap reads the vault at each deposit).
    pub total_deposits: u64,
    /// Share of value counted for initial margin, ppm.
    pub init_asset_weight: u32,
    /// Share of value counted for maintenance margin, ppm.
    pub maint_asset_weight: u32,
    /// Oldest oracle publish time accepted, seconds.
    pub max_oracle_age: u32,
    /// Widest confidence accepted, as conf / price in ppm.
    pub max_conf_ratio: u32,
    pub index: u16,
    pub decimals: u8,
    /// [`crate::oracle::OracleKind`] as u8.
    pub oracle_kind: u8,
    pub bump: u8,
    pub vault_bump: u8,
    pub _pad: [u8; 2],
    /// Oldest publish time a liquidation may price this collateral at while its oracle is
    /// stale or halted, seconds (listing: 2 × `max_oracle_age`, at most 3,600;
    /// `set_bank_oracle` sets it).
    pub liquidation_max_age: u32,
    pub _pad2: [u8; 4],
    pub reserved: [u8; 120],
}
const _: () = assert!(core::mem::size_of::<CollateralBank>() == 328);

impl CollateralBank {
    pub const SIZE: usize = 8 + core::mem::size_of::<CollateralBank>();
    pub const QUOTE_INDEX: u16 = 0;
    /// Longest `liquidation_max_age`, seconds (as a market's).
    pub const MAX_LIQUIDATION_AGE: u32 = 3_600;

    /// The listing default of `liquidation_max_age` for a trading bound of `max_oracle_age`.
    pub fn default_liquidation_max_age(max_oracle_age: u32) -> u32 {
        max_oracle_age.saturating_mul(2).min(Self::MAX_LIQUIDATION_AGE)
    }
}
