use anchor_lang::prelude::*;
use fulcrum_risk::{MAX_MIN_SPREAD, MAX_SPREAD_Z, MIN_LISTING_ENGINE_PRICE, RATIO_ONE};

use crate::error::{FulcrumError, OptionExt};
use crate::oracle::{read_oracle, OracleConfig, OracleKind};
use crate::seeds;
use crate::state::*;
use crate::validate::{
    admit_market_ratio, admit_pnl_factor, base_decimals as base_decimals_in_range, fill_age, in_range, oracle_age,
};

/// Risk and trading parameters of a perp market.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketParams {
    /// Initial margin ratio, ppm, maint..=1,000,000 (10x = 100,000).
    pub init_margin_ratio: u32,
    /// Maintenance margin ratio, ppm, 1..init; above the exchange's liquidator + insurance fee.
    pub maint_margin_ratio: u32,
    /// Size premium, ppm per √(whole base unit), ≤ 1,000,000.
    pub imf: u32,
    /// Taker fee, ppm, ≤ 100,000 (10%).
    pub taker_fee: u32,
    /// Oldest oracle publish time accepted for trading and margin, seconds,
    /// 1..=`MAX_ORACLE_AGE_SECS` (300).
    pub max_oracle_age: u32,
    /// Widest conf / price accepted, ppm, 1..=1,000,000.
    pub max_conf_ratio: u32,
    /// Order size granularity, base native units, ≥ 1.
    pub step_size: u64,
    /// Most long open interest, base native units.
    pub long_oi_cap: u64,
    /// Most short open interest, base native units.
    pub short_oi_cap: u64,
    /// Dynamic risk (see `fulcrum_risk::dynamic`). Volatility multiplier z, ppm, ≤ 10,000,000
    /// (0: static ratios).
    pub vol_z: u32,
    /// Horizon the initial margin covers, seconds, 1..=604,800.
    pub vol_horizon_secs: u32,
    /// Volatility EWMA time constant, seconds, 1..=2,592,000.
    pub vol_decay_secs: u32,
    /// Maintenance = this × initial (before premiums), ppm, < 1,000,000.
    pub maint_fraction: u32,
    /// Most the maintenance ratio rises per hour, ppm, ≤ 1,000,000.
    pub max_maint_increase_per_hour: u32,
    /// Initial-ratio premium at full open-interest utilisation, ppm, ≤ 1,000,000.
    pub oi_premium: u32,
    /// Circuit breaker band on |oracle − EMA| / EMA, ppm (0: off), ≤ 1,000,000.
    pub price_band: u32,
    /// Reduce-only time after the price is back inside the band, seconds, 1..=86,400 when a band
    /// is set.
    pub breaker_cooldown_secs: u32,
    /// Funding rate per hour at a skew of 100% of pool depth, ppm of price, ≤ 1,000,000.
    pub funding_factor: u32,
    /// Cap on |funding rate|, ppm of price per hour, ≤ 100,000.
    pub max_funding_rate: u32,
    /// Extra taker fee at a resulting skew of 100% of pool depth, ppm, ≤ 100,000.
    pub impact_fee: u32,
    /// Oldest last-valid price a liquidation may use while the oracle is stale, seconds, ≤ 3,600.
    pub liquidation_max_age: u32,
    /// Oldest oracle publish time a fill accepts, seconds, 1..=`max_oracle_age`
    /// (liquidations keep their own fallback, `liquidation_max_age`).
    pub max_fill_age: u32,
    /// Least spread of an immediate fill (on top of the fee), ppm, ≤ `MAX_MIN_SPREAD` (100,000).
    pub min_spread: u32,
    /// Fill spread volatility multiplier z, ppm (3.0 = 3,000,000), ≤ `MAX_SPREAD_Z`
    /// (10,000,000; 0: no volatility term). Spread = max(min_spread, conf / price,
    /// z × σ × √max_fill_age) (`fulcrum_risk::fill_spread`).
    pub spread_z: u32,
    /// PnL cap: most of the pool's cash (balance) this market's winners are paid together, ppm,
    /// 0..=1,000,000 (0: no cap). Winners' profit beyond it counts and is paid pro rata
    /// (`fulcrum_risk::pnl_haircut`). The exchange keeps Σ over markets ≤ 1,000,000
    /// (`PnlFactorBudgetExceeded`), so the pool can pay every market's capped winners at once.
    pub max_pnl_factor: u32,
    /// Auto-deleveraging starts when winners' profit / pool cash exceeds this, ppm,
    /// 0..=10,000,000 (0: no auto-deleveraging).
    pub adl_threshold: u32,
    /// Auto-deleveraging never takes the ratio below this, ppm, < `adl_threshold` (0 when
    /// auto-deleveraging is off).
    pub adl_floor: u32,
    // --- pool capacity (issue 13 §3, §4; see `fulcrum_risk::pool`)
    /// Reserve: each side's open interest notional at oracle ≤ this × pool balance after a trade
    /// that grows it, ppm, ≤ 10,000,000 (0: off). Also the borrow fee's capacity.
    pub reserve_factor: u32,
    /// Borrow fee at zero utilisation, ppm of notional per hour, ≤ 10,000.
    pub borrow_base_rate: u32,
    /// Borrow fee added from zero utilisation to the kink, ppm per hour, ≤ 100,000.
    pub borrow_slope1: u32,
    /// Utilisation (fuller side's notional / reserve capacity) where the second slope starts,
    /// ppm, 1..=1,000,000.
    pub borrow_kink: u32,
    /// Borrow fee added from the kink to full utilisation, ppm per hour, ≤ 100,000.
    pub borrow_slope2: u32,
    /// Price shock the insurance-aware open-interest limit covers, ppm (400,000: −40% against
    /// longs, +40% against shorts), ≤ 1,000,000 (0: off).
    pub oi_shock: u32,
    /// Share of the pool balance that, with the insurance fund, may absorb that shock's loss
    /// beyond maintenance, ppm, ≤ 1,000,000.
    pub oi_pool_fraction: u32,
}

impl MarketParams {
    /// The market's own ranges, one rule per line. The rule against the exchange's liquidation
    /// fees is [`crate::validate::admit_market_ratio`], checked where the exchange is loaded.
    pub fn validate(&self) -> Result<()> {
        use FulcrumError::InvalidParameter as Bad;
        let one = RATIO_ONE;
        let init = u64::from(self.init_margin_ratio);
        in_range("init_margin_ratio", init, 2, one, Bad)?;
        in_range("maint_margin_ratio", self.maint_margin_ratio.into(), 1, init - 1, Bad)?;
        in_range("imf", self.imf.into(), 0, one, Bad)?;
        in_range("taker_fee", self.taker_fee.into(), 0, 100_000, Bad)?;
        oracle_age("max_oracle_age", self.max_oracle_age)?;
        in_range("max_conf_ratio", self.max_conf_ratio.into(), 1, one, Bad)?;
        in_range("step_size", self.step_size, 1, i64::MAX as u64, Bad)?;
        in_range("vol_z", self.vol_z.into(), 0, 10_000_000, Bad)?;
        in_range("vol_horizon_secs", self.vol_horizon_secs.into(), 1, 604_800, Bad)?;
        in_range("vol_decay_secs", self.vol_decay_secs.into(), 1, 2_592_000, Bad)?;
        in_range("maint_fraction", self.maint_fraction.into(), 0, one - 1, Bad)?;
        in_range("max_maint_increase_per_hour", self.max_maint_increase_per_hour.into(), 0, one, Bad)?;
        in_range("oi_premium", self.oi_premium.into(), 0, one, Bad)?;
        in_range("price_band", self.price_band.into(), 0, one, Bad)?;
        let min_cooldown = u64::from(self.price_band > 0);
        in_range("breaker_cooldown_secs", self.breaker_cooldown_secs.into(), min_cooldown, 86_400, Bad)?;
        in_range("funding_factor", self.funding_factor.into(), 0, one, Bad)?;
        in_range("max_funding_rate", self.max_funding_rate.into(), 0, 100_000, Bad)?;
        in_range("impact_fee", self.impact_fee.into(), 0, 100_000, Bad)?;
        in_range("liquidation_max_age", self.liquidation_max_age.into(), 0, 3_600, Bad)?;
        fill_age("max_fill_age", self.max_fill_age, self.max_oracle_age)?;
        in_range("min_spread", self.min_spread.into(), 0, MAX_MIN_SPREAD.into(), FulcrumError::MinSpreadTooLarge)?;
        in_range("spread_z", self.spread_z.into(), 0, MAX_SPREAD_Z.into(), FulcrumError::SpreadZTooLarge)?;
        in_range("max_pnl_factor", self.max_pnl_factor.into(), 0, one, Bad)?;
        in_range("adl_threshold", self.adl_threshold.into(), 0, 10 * one, Bad)?;
        let floor_max = u64::from(self.adl_threshold).saturating_sub(1);
        in_range("adl_floor", self.adl_floor.into(), 0, floor_max, FulcrumError::AdlFloorNotBelowThreshold)?;
        self.validate_capacity()
    }

    /// The pool-capacity parameters, one named error per rule.
    fn validate_capacity(&self) -> Result<()> {
        use FulcrumError::*;
        let one = RATIO_ONE;
        in_range("reserve_factor", self.reserve_factor.into(), 0, 10 * one, ReserveFactorOutOfRange)?;
        in_range("borrow_base_rate", self.borrow_base_rate.into(), 0, 10_000, BorrowRateOutOfRange)?;
        in_range("borrow_slope1", self.borrow_slope1.into(), 0, 100_000, BorrowRateOutOfRange)?;
        in_range("borrow_slope2", self.borrow_slope2.into(), 0, 100_000, BorrowRateOutOfRange)?;
        in_range("borrow_kink", self.borrow_kink.into(), 1, one, BorrowKinkOutOfRange)?;
        in_range("oi_shock", self.oi_shock.into(), 0, one, OiShockOutOfRange)?;
        in_range("oi_pool_fraction", self.oi_pool_fraction.into(), 0, one, OiShockOutOfRange)?;
        Ok(())
    }
}

#[derive(Accounts)]
#[instruction(market_index: u16)]
pub struct AddPerpMarket<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(mut, has_one = admin @ FulcrumError::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
    /// CHECK: read and checked as a Pyth price of `oracle_kind` in the handler.
    pub oracle: UncheckedAccount<'info>,
    #[account(
        init, payer = admin, space = PerpMarket::SIZE,
        seeds = [seeds::MARKET, exchange.key().as_ref(), &market_index.to_le_bytes()], bump
    )]
    pub market: AccountLoader<'info, PerpMarket>,
    pub system_program: Program<'info, System>,
}

/// Listing rule: one unit of engine price (and of the funding index) must be at most 1 ppm of
/// the price, or rounding (of prices, and of the funding a position settles) is a visible part
/// of every position. Refuses 18-decimal bases and sub-$0.001 prices at 9 decimals.
pub fn check_price_granularity(engine_price: u64) -> Result<()> {
    require!(engine_price >= MIN_LISTING_ENGINE_PRICE, FulcrumError::EnginePriceTooCoarse);
    Ok(())
}

/// Lists a perp market. `market_index` must be the exchange's next index.
pub fn add_perp_market(
    ctx: Context<AddPerpMarket>,
    market_index: u16,
    name: [u8; 16],
    base_decimals: u8,
    oracle_kind: u8,
    feed_id: [u8; 32],
    params: MarketParams,
) -> Result<()> {
    params.validate()?;
    base_decimals_in_range("base_decimals", base_decimals)?;
    let accounts = &ctx.accounts;
    let mut exchange = accounts.exchange.load_mut()?;
    let next = u64::from(exchange.num_markets);
    in_range("market_index", market_index.into(), next, next, FulcrumError::InvalidParameter)?;
    in_range("market_index", market_index.into(), 0, u64::from(MAX_MARKETS) - 1, FulcrumError::InvalidParameter)?;
    require!(OracleKind::from_u8(oracle_kind)? != OracleKind::None, FulcrumError::InvalidParameter);
    admit_market_ratio(&mut exchange, params.maint_margin_ratio)?;
    admit_pnl_factor(&mut exchange, 0, params.max_pnl_factor)?;
    let cfg = OracleConfig {
        kind: oracle_kind,
        key: accounts.oracle.key(),
        feed_id,
        max_age: params.max_oracle_age,
        max_conf_ratio: params.max_conf_ratio,
        base_decimals,
    };
    let price =
        read_oracle(&accounts.oracle.to_account_info(), &cfg)?.to_price(base_decimals, exchange.quote_decimals)?;
    check_price_granularity(price.oracle)?;
    exchange.num_markets = exchange.num_markets.checked_add(1).overflow()?;

    let mut market = accounts.market.load_init()?;
    market.exchange = accounts.exchange.key();
    market.oracle = accounts.oracle.key();
    market.feed_id = feed_id;
    market.name = name;
    market.index = market_index;
    market.base_decimals = base_decimals;
    market.oracle_kind = oracle_kind;
    market.bump = ctx.bumps.market;
    market.apply_params(&params);
    Ok(())
}
