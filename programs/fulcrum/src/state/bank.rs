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
    // --- rate pricing (issue 18 part 2), `set_bank_rate_source` / `refresh_bank_rate`.
    // A rate-priced bank's `oracle` prices its UNDERLYING (SOL for an LST); its collateral price
    // is that × `accepted_rate` × `depeg_ppm` (`fulcrum_risk::rate_price`).
    /// The asset's own state account the rate is read from (`Pubkey::default()`: not rate-priced).
    pub rate_source: Pubkey,
    /// A price oracle of the token itself (`Pubkey::default()`: none), read by
    /// `refresh_bank_rate` for the depeg factor.
    pub direct_oracle: Pubkey,
    /// sha256(rate source's owner program ‖ direct oracle's feed id (zeros for none or legacy)):
    /// what the keys above do not pin and 120 reserved bytes cannot hold as fields; each refresh
    /// recomputes it from what it reads ([`CollateralBank::rate_identity`]).
    pub rate_identity: [u8; 32],
    /// The rate margin uses: whole underlying per whole token × `fulcrum_risk::RATE_ONE`.
    pub accepted_rate: u64,
    /// Epoch at which `accepted_rate` was accepted.
    pub rate_epoch: u32,
    /// Most the accepted rate may rise per elapsed epoch, ppm of itself.
    pub rate_max_rise_ppm: u32,
    /// min(1, direct oracle / (underlying × rate)) at the last refresh, ppm (1,000,000 without a
    /// direct oracle).
    pub depeg_ppm: u32,
    /// [`crate::rate_source::RateKind`] as u8 (0: not rate-priced).
    pub rate_kind: u8,
    /// [`crate::oracle::OracleKind`] of `direct_oracle` as u8 (0: none).
    pub direct_oracle_kind: u8,
    pub _pad_rate: [u8; 2],
    // --- end rate pricing
    // --- publish time of the direct oracle price `depeg_ppm` was last measured from
    // (0: never). Risk-increasing margin checks refuse a factor older than `max_oracle_age`
    // (`fulcrum_risk::depeg_fresh`); exits count the collateral at zero.
    pub depeg_measured_at: i64,
    // --- end depeg measurement
}
const _: () = assert!(core::mem::size_of::<CollateralBank>() == 336);
const _: () = assert!(core::mem::offset_of!(CollateralBank, rate_source) == 208);

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
