use anchor_lang::prelude::*;
use fulcrum_risk::AccountParams;

/// Most collateral banks an exchange lists (the quote bank included).
pub const MAX_BANKS: u16 = 32;
/// Most perp markets an exchange lists: the pool valuation reads them all in one instruction.
pub const MAX_MARKETS: u16 = 24;

/// Pause flags, bits of [`Exchange::paused`].
pub mod pause {
    pub const DEPOSITS: u8 = 1;
    pub const WITHDRAWALS: u8 = 1 << 1;
    pub const TRADING: u8 = 1 << 2;
    pub const LIQUIDATIONS: u8 = 1 << 3;
    pub const LP: u8 = 1 << 4;
    pub const ALL: u8 = DEPOSITS | WITHDRAWALS | TRADING | LIQUIDATIONS | LP;
}

/// The root of one Fulcrum deployment: its admin, quote mint and exchange-wide risk defaults.
#[account(zero_copy)]
#[derive(Debug)]
#[repr(C)]
pub struct Exchange {
    /// May list banks and markets, set parameters and pause.
    pub admin: Pubkey,
    /// The settlement and unit-of-account mint (USDC-like); bank 0.
    pub quote_mint: Pubkey,
    /// Weight of quote debt for initial margin, ppm (≥ 1,000,000).
    pub quote_init_liability_weight: u32,
    /// Weight of quote debt for maintenance margin, ppm (≥ 1,000,000).
    pub quote_maint_liability_weight: u32,
    /// Share of positive unrealised PnL that counts for initial margin, ppm.
    pub unrealized_pnl_init_weight: u32,
    /// Most of the pool's value that the pool's net exposure may use, ppm; LP withdrawals that
    /// would go past it fail.
    pub max_pool_utilisation: u32,
    /// Margin accounts open.
    pub margin_accounts: u64,
    /// Seed id of this exchange.
    pub exchange_id: u16,
    pub num_banks: u16,
    pub num_markets: u16,
    /// Bit set of [`pause`] flags.
    pub paused: u8,
    pub bump: u8,
    pub quote_decimals: u8,
    pub _pad: [u8; 7],
    /// Slots an account may stay in margin call before keepers may liquidate it (unless it is
    /// under the hard threshold).
    pub margin_call_grace_slots: u64,
    /// The admin may not withdraw the insurance fund below this, quote native units.
    pub insurance_floor: u64,
    /// A position remainder worth less than this is closed whole by a liquidation, quote native.
    pub dust_notional: u64,
    /// Equity below this × maintenance requirement is liquidatable at once, grace or not; ppm.
    pub liquidation_threshold_ratio: u32,
    /// A liquidation restores maintenance equity to requirement × (1 + buffer); ppm.
    pub liquidation_buffer: u32,
    /// To the liquidator, ppm of closed notional.
    pub liquidator_fee: u32,
    /// To the insurance fund, ppm of closed notional.
    pub insurance_fee: u32,
    /// Collateral sold to a liquidator at oracle × (1 − discount); ppm.
    pub collateral_liquidation_discount: u32,
    /// Share of trading fees that goes to the insurance fund; ppm.
    pub insurance_fee_share: u32,
    /// Highest maintenance weight of any collateral bank listed or updated, ppm (0: none): the
    /// collateral discount must fit it (`fulcrum_risk::discount_fits`). Never lowered, so an
    /// exchange update is checked against every bank without loading them.
    pub max_maint_asset_weight: u32,
    /// Lowest maintenance ratio of any perp market listed or updated, ppm (0: none): the
    /// liquidation fees must stay below it (`fulcrum_risk::liquidation_fee_fits`). Never raised.
    pub min_maint_margin_ratio: u32,
    // --- LP flows (issue 13 §2): 16 bytes
    /// New LP shares stay locked this long before `lp_claim` mints them, seconds (0: minted at
    /// once).
    pub lp_cooldown_secs: u32,
    /// Kept by the pool from every LP withdrawal, ppm of the amount.
    pub lp_withdrawal_fee: u32,
    /// Traders' net profit counted by LP deposits at most this × pool balance, ppm (0: no cap).
    pub max_pnl_factor_for_deposits: u32,
    /// Traders' net loss counted by LP withdrawals at most this × pool balance, ppm (0: no cap).
    pub max_pnl_factor_for_withdrawals: u32,
    // --- winners are always paid (issue 13 §3): PnL caps
    /// Σ of every listed market's `max_pnl_factor`, ppm of pool cash, ≤ 1,000,000: kept on
    /// listing and on each update (old factor out, new in).
    pub pnl_factor_sum: u64,
    // --- orders (issue 16): 16 bytes
    /// Lamports every order escrows in its order book for the keeper that executes it.
    pub order_fee_lamports: u64,
    /// Triggers fire only while |oracle − EMA| ≤ this × EMA, ppm.
    pub trigger_band: u32,
    pub _orders_pad: [u8; 4],
    // --- reputation tiers (issue 18 §1): 88 bytes
    /// The tier table `set_reputation_tiers` sets (no tiers: every account at 1×).
    pub reputation: ReputationConfig,
    pub reserved: [u8; 32],
}
const _: () = assert!(core::mem::size_of::<Exchange>() == 320);

/// One tier of [`ReputationConfig`] (`fulcrum_risk::TierRequirement`).
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct TierRow {
    pub min_age_days: u16,
    pub max_liquidations: u16,
    /// Whole quote units × days of time-weighted equity.
    pub min_equity_days: u32,
    /// Whole quote units of volume net of wash.
    pub min_volume: u32,
    /// Initial-margin multiplier, ppm.
    pub init_multiplier: u32,
}

/// The exchange's reputation tiers (issue 18 §1).
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct ReputationConfig {
    pub tiers: [TierRow; fulcrum_risk::MAX_TIERS],
    /// Equity counted per second of time-weighted equity at most this, quote native (0: no cap):
    /// a day earns at most `equity_cap` × one day.
    pub equity_cap: u64,
    /// A reduction counts as volume only this long after the position last grew, seconds.
    pub min_hold_secs: u32,
    /// A tier rises by at most one per this many seconds.
    pub upgrade_period_secs: u32,
    /// A liquidation or bankruptcy holds the account at tier 0 this long, seconds.
    pub cool_off_secs: u32,
    /// Rows of `tiers` in use (0: tiers off).
    pub num_tiers: u8,
    pub _pad: [u8; 3],
}
const _: () = assert!(core::mem::size_of::<ReputationConfig>() == 88);

impl ReputationConfig {
    /// The rows in use, as the engine reads them.
    pub fn table(&self) -> ([fulcrum_risk::TierRequirement; fulcrum_risk::MAX_TIERS], usize) {
        let mut out = [fulcrum_risk::TierRequirement::default(); fulcrum_risk::MAX_TIERS];
        for (o, t) in out.iter_mut().zip(self.tiers.iter()) {
            *o = fulcrum_risk::TierRequirement {
                min_age_days: t.min_age_days,
                max_liquidations: t.max_liquidations,
                min_equity_days: t.min_equity_days,
                min_volume: t.min_volume,
                init_multiplier: t.init_multiplier,
            };
        }
        (out, usize::from(self.num_tiers).min(fulcrum_risk::MAX_TIERS))
    }

    /// Tier `tier`'s multiplier, ppm (0 when tiers are off or the tier is not in the table).
    pub fn multiplier(&self, tier: u8) -> u32 {
        if tier >= self.num_tiers {
            return 0;
        }
        self.tiers.get(usize::from(tier)).map_or(0, |t| t.init_multiplier)
    }
}

impl Exchange {
    pub const SIZE: usize = 8 + core::mem::size_of::<Exchange>();

    /// The engine's view of the exchange-wide parameters.
    pub fn account_params(&self) -> AccountParams {
        AccountParams {
            quote_init_liability_weight: self.quote_init_liability_weight,
            quote_maint_liability_weight: self.quote_maint_liability_weight,
            unrealized_pnl_init_weight: self.unrealized_pnl_init_weight,
        }
    }

    /// The engine's view of the liquidation parameters.
    pub fn liquidation_params(&self) -> fulcrum_risk::LiquidationParams {
        fulcrum_risk::LiquidationParams {
            buffer: self.liquidation_buffer,
            liquidator_fee: self.liquidator_fee,
            insurance_fee: self.insurance_fee,
            dust_notional: self.dust_notional,
            collateral_discount: self.collateral_liquidation_discount,
        }
    }

    pub fn is_paused(&self, flag: u8) -> bool {
        self.paused & flag != 0
    }
}
