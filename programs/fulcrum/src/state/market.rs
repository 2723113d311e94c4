use anchor_lang::prelude::*;
use fulcrum_risk::{
    accrue_funding, borrow_rate, borrow_utilisation, fill_spread, funding_rate, market_profit, oi_utilisation,
    outside_band, pnl_haircut, side_notional, skew, step_ratios, update_variance, BorrowParams, DynamicParams,
    MarketExposure, MathResult, PerpMarketRisk, PerpPosition, PnlHaircut, Price,
};

use super::{get_i128, put_i128};
use crate::instructions::MarketParams;

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
    // --- dynamic risk state (see `fulcrum_risk::dynamic`)
    /// EWMA of squared returns, ppm² per second.
    pub variance: u64,
    /// Oracle price and publish time of the last observation that updated the variance.
    pub last_price: u64,
    pub last_publish_time: i64,
    /// Start of the current rate-limited rise of the maintenance ratio (0: not rising), and the
    /// ratio it rises from.
    pub maint_updated_at: i64,
    /// Circuit breaker: reduce-only until this unix time.
    pub reduce_only_until: i64,
    /// Funding accrued up to this time; the rate for the next interval, ppm of price per hour.
    pub last_funding_time: i64,
    pub funding_rate: i64,
    /// Last valid oracle observation and its publish time, for liquidations while the oracle is
    /// stale or halted.
    pub last_valid_price: u64,
    pub last_valid_ema: u64,
    pub last_valid_time: i64,
    /// Effective ratios now (the max leverage is 1 / effective initial), ppm, before each
    /// position's size premium.
    pub effective_init_ratio: u32,
    pub effective_maint_ratio: u32,
    // --- dynamic risk parameters
    pub vol_z: u32,
    pub vol_horizon_secs: u32,
    pub vol_decay_secs: u32,
    pub maint_fraction: u32,
    pub max_maint_increase_per_hour: u32,
    pub oi_premium: u32,
    pub price_band: u32,
    pub breaker_cooldown_secs: u32,
    pub funding_factor: u32,
    pub max_funding_rate: u32,
    pub impact_fee: u32,
    /// Oldest last-valid price a liquidation may use when the oracle is stale, seconds.
    pub liquidation_max_age: u32,
    pub index: u16,
    pub base_decimals: u8,
    /// [`crate::oracle::OracleKind`] as u8.
    pub oracle_kind: u8,
    pub bump: u8,
    /// [`crate::state::pause`] flags of this market (trading, liquidations).
    pub paused: u8,
    pub _pad: [u8; 2],
    pub maint_rise_from: u32,
    pub _pad2: [u8; 4],
    /// Funding accrued and not yet a whole unit of the index, in `1 / FUNDING_CARRY_DENOM` units
    /// (|carry| < FUNDING_CARRY_DENOM; see `fulcrum_risk::accrue_funding`).
    pub funding_carry: i64,
    /// [`market_status`]: active, winding down (reduce-only), settled, closed.
    pub status: u8,
    pub _pad3: [u8; 7],
    /// Price every position settles at once the market is settled, engine units.
    pub settlement_price: u64,
    // --- issue 13 §1: latency-safe fills (see `fulcrum_risk::fill_price`)
    /// Slot of the observations below; the lowest and highest oracle prices observed in it
    /// (trades and cranks), engine units. A buy fills at no less than `obs_hi`, a sell at no
    /// more than `obs_lo`, so the second leg of a round trip in one slot gets the worse price.
    pub obs_slot: u64,
    pub obs_lo: u64,
    pub obs_hi: u64,
    /// Oldest publish time a fill accepts, seconds (≤ `max_oracle_age`).
    pub max_fill_age: u32,
    /// Least fill spread, ppm.
    pub min_spread: u32,
    /// Fill spread volatility multiplier z, ppm.
    pub spread_z: u32,
    pub _pad_latency: [u8; 4],
    // --- LP flows (issue 13 §2): 32 bytes
    /// Σ base × funding snapshot over long positions, and Σ |base| × snapshot over shorts
    /// (i128 little-endian, base native × `FUNDING_SCALE`): the pool's unsettled funding is
    /// `fulcrum_risk::traders_unsettled_funding`. Kept by [`PerpMarket::update_open_interest`].
    pub long_funding_snapshots: [u8; 16],
    pub short_funding_snapshots: [u8; 16],
    // --- winners are always paid (issue 13 §3): PnL cap and auto-deleveraging
    /// Most of the pool's cash this market's winners are paid together, ppm (0: no cap).
    pub max_pnl_factor: u32,
    /// Auto-deleveraging above this winners' profit / pool cash, ppm (0: off); never below
    /// `adl_floor`.
    pub adl_threshold: u32,
    pub adl_floor: u32,
    pub _pad_winners: [u8; 4],
    /// Profit withheld from winners by the PnL cap (kept by the pool), ever, quote native units.
    pub pnl_withheld: u64,
    // --- pool capacity (issue 13 §3, §4: reserve, borrow fee, insurance-aware OI limit)
    /// Cumulative borrow-fee index, `FUNDING_SCALE` (i128 little-endian), never decreasing: a
    /// long settles against `cumulative_funding + cumulative_borrow`, a short against
    /// `cumulative_funding − cumulative_borrow` (`PerpMarketRisk::position_index`).
    pub cumulative_borrow: [u8; 16],
    /// Borrow fee accrued and not yet a whole unit of the index (as `funding_carry`).
    pub borrow_carry: i64,
    /// Borrow rate for the next interval (set with the funding rate), ppm of notional per hour.
    pub borrow_rate: u64,
    /// Admin parameters, see [`MarketParams`].
    pub reserve_factor: u32,
    pub borrow_base_rate: u32,
    pub borrow_slope1: u32,
    pub borrow_kink: u32,
    pub borrow_slope2: u32,
    pub oi_shock: u32,
    pub oi_pool_fraction: u32,
    pub _capacity_pad: [u8; 4],
    pub reserved: [u8; 96],
}
const _: () = assert!(core::mem::size_of::<PerpMarket>() == 664);

/// Life of a market ([`PerpMarket::status`]): `ACTIVE` → `WINDING_DOWN` (reduce-only, can go
/// back) → `SETTLED` at a final price (no trading, no oracle; `settle_position` closes each
/// position at that price) → `CLOSED` once no position is left.
pub mod market_status {
    pub const ACTIVE: u8 = 0;
    pub const WINDING_DOWN: u8 = 1;
    pub const SETTLED: u8 = 2;
    pub const CLOSED: u8 = 3;
}

impl PerpMarket {
    pub const SIZE: usize = 8 + core::mem::size_of::<PerpMarket>();

    /// Sets the admin parameters (listing and `update_market_params` both come here). The
    /// destructuring is exhaustive: a field added to [`MarketParams`] without a place here does
    /// not compile.
    pub fn apply_params(&mut self, p: &MarketParams) {
        let MarketParams {
            init_margin_ratio,
            maint_margin_ratio,
            imf,
            taker_fee,
            max_oracle_age,
            max_conf_ratio,
            step_size,
            long_oi_cap,
            short_oi_cap,
            vol_z,
            vol_horizon_secs,
            vol_decay_secs,
            maint_fraction,
            max_maint_increase_per_hour,
            oi_premium,
            price_band,
            breaker_cooldown_secs,
            funding_factor,
            max_funding_rate,
            impact_fee,
            liquidation_max_age,
            max_fill_age,
            min_spread,
            spread_z,
            max_pnl_factor,
            adl_threshold,
            adl_floor,
            reserve_factor,
            borrow_base_rate,
            borrow_slope1,
            borrow_kink,
            borrow_slope2,
            oi_shock,
            oi_pool_fraction,
        } = *p;
        self.init_margin_ratio = init_margin_ratio;
        self.maint_margin_ratio = maint_margin_ratio;
        self.imf = imf;
        self.taker_fee = taker_fee;
        self.max_oracle_age = max_oracle_age;
        self.max_conf_ratio = max_conf_ratio;
        self.step_size = step_size;
        self.long_oi_cap = long_oi_cap;
        self.short_oi_cap = short_oi_cap;
        self.vol_z = vol_z;
        self.vol_horizon_secs = vol_horizon_secs;
        self.vol_decay_secs = vol_decay_secs;
        self.maint_fraction = maint_fraction;
        self.max_maint_increase_per_hour = max_maint_increase_per_hour;
        self.oi_premium = oi_premium;
        self.price_band = price_band;
        self.breaker_cooldown_secs = breaker_cooldown_secs;
        self.funding_factor = funding_factor;
        self.max_funding_rate = max_funding_rate;
        self.impact_fee = impact_fee;
        self.liquidation_max_age = liquidation_max_age;
        self.max_fill_age = max_fill_age;
        self.min_spread = min_spread;
        self.spread_z = spread_z;
        self.max_pnl_factor = max_pnl_factor;
        self.adl_threshold = adl_threshold;
        self.adl_floor = adl_floor;
        self.reserve_factor = reserve_factor;
        self.borrow_base_rate = borrow_base_rate;
        self.borrow_slope1 = borrow_slope1;
        self.borrow_kink = borrow_kink;
        self.borrow_slope2 = borrow_slope2;
        self.oi_shock = oi_shock;
        self.oi_pool_fraction = oi_pool_fraction;
    }

    /// The admin parameters as set: `m.apply_params(&p)` then `m.params() == p`, so an update
    /// can start from the market's current parameters.
    pub fn params(&self) -> MarketParams {
        MarketParams {
            init_margin_ratio: self.init_margin_ratio,
            maint_margin_ratio: self.maint_margin_ratio,
            imf: self.imf,
            taker_fee: self.taker_fee,
            max_oracle_age: self.max_oracle_age,
            max_conf_ratio: self.max_conf_ratio,
            step_size: self.step_size,
            long_oi_cap: self.long_oi_cap,
            short_oi_cap: self.short_oi_cap,
            vol_z: self.vol_z,
            vol_horizon_secs: self.vol_horizon_secs,
            vol_decay_secs: self.vol_decay_secs,
            maint_fraction: self.maint_fraction,
            max_maint_increase_per_hour: self.max_maint_increase_per_hour,
            oi_premium: self.oi_premium,
            price_band: self.price_band,
            breaker_cooldown_secs: self.breaker_cooldown_secs,
            funding_factor: self.funding_factor,
            max_funding_rate: self.max_funding_rate,
            impact_fee: self.impact_fee,
            liquidation_max_age: self.liquidation_max_age,
            max_fill_age: self.max_fill_age,
            min_spread: self.min_spread,
            spread_z: self.spread_z,
            max_pnl_factor: self.max_pnl_factor,
            adl_threshold: self.adl_threshold,
            adl_floor: self.adl_floor,
            reserve_factor: self.reserve_factor,
            borrow_base_rate: self.borrow_base_rate,
            borrow_slope1: self.borrow_slope1,
            borrow_kink: self.borrow_kink,
            borrow_slope2: self.borrow_slope2,
            oi_shock: self.oi_shock,
            oi_pool_fraction: self.oi_pool_fraction,
        }
    }

    /// Whether the market has `flag` ([`crate::state::pause`]: trading, liquidations) paused, as
    /// [`crate::state::Exchange::is_paused`] for the exchange.
    pub fn is_paused(&self, flag: u8) -> bool {
        self.paused & flag != 0
    }

    /// Settled or closed: priced at the settlement price, its oracle no longer read.
    pub fn is_settled(&self) -> bool {
        self.status >= market_status::SETTLED
    }

    /// The last valid observation and its publish time, if any.
    pub fn last_valid(&self) -> Option<(Price, i64)> {
        (self.last_valid_price > 0)
            .then_some((Price { oracle: self.last_valid_price, ema: self.last_valid_ema }, self.last_valid_time))
    }

    pub fn funding_index(&self) -> i128 {
        get_i128(&self.cumulative_funding)
    }

    pub fn borrow_index(&self) -> i128 {
        get_i128(&self.cumulative_borrow)
    }

    /// The borrow rate as `accrue_funding` takes it (ppm per hour; at most 210,000 by the
    /// parameter ranges).
    fn signed_borrow_rate(&self) -> MathResult<i64> {
        i64::try_from(self.borrow_rate).map_err(|_| fulcrum_risk::MathError::Overflow)
    }

    /// The funding and borrow indexes as of `now` at `price`, as
    /// [`PerpMarket::accrue_funding_to`] would accrue them, without writing them: margin checks
    /// read markets as read-only copies.
    pub fn indexes_at(&self, price: u64, now: i64) -> MathResult<(i128, i128)> {
        if self.last_funding_time > 0 && now > self.last_funding_time {
            let dt = (now - self.last_funding_time) as u64;
            let (funding, _) = accrue_funding(self.funding_index(), self.funding_carry, price, self.funding_rate, dt)?;
            let rate = self.signed_borrow_rate()?;
            let (borrow, _) = accrue_funding(self.borrow_index(), self.borrow_carry, price, rate, dt)?;
            return Ok((funding, borrow));
        }
        Ok((self.funding_index(), self.borrow_index()))
    }

    /// The funding index as of `now` at `price` (see [`PerpMarket::indexes_at`]).
    pub fn funding_index_at(&self, price: u64, now: i64) -> MathResult<i128> {
        Ok(self.indexes_at(price, now)?.0)
    }

    /// [`PerpMarket::risk`] with the funding and borrow indexes accrued to `now`.
    pub fn risk_at(&self, price: Price, now: i64) -> MathResult<PerpMarketRisk> {
        let (cumulative_funding, cumulative_borrow) = self.indexes_at(price.oracle, now)?;
        Ok(PerpMarketRisk { cumulative_funding, cumulative_borrow, ..self.risk(price) })
    }

    /// The engine's view of this market at `price`, with its effective (dynamic) ratios.
    pub fn risk(&self, price: Price) -> PerpMarketRisk {
        PerpMarketRisk {
            price,
            base_decimals: self.base_decimals,
            init_margin_ratio: self.effective_init_ratio.max(self.init_margin_ratio),
            maint_margin_ratio: self.effective_maint_ratio.max(self.maint_margin_ratio),
            imf: self.imf,
            cumulative_funding: self.funding_index(),
            pnl_haircut: Default::default(),
            cumulative_borrow: self.borrow_index(),
        }
    }

    /// The open-interest and entry sums at `price`, as the pool sees them.
    pub fn exposure(&self, price: u64) -> MarketExposure {
        MarketExposure {
            long_base: self.long_base,
            short_base: self.short_base,
            long_quote_entry: self.long_quote_entry,
            short_quote_entry: self.short_quote_entry,
            price,
        }
    }

    /// Winners' profit in this market at `price` ([`fulcrum_risk::market_profit`]).
    pub fn profit_at(&self, price: u64) -> MathResult<u128> {
        market_profit(&self.exposure(price))
    }

    /// This market's PnL cap at `price` against a pool holding `pool_balance`.
    pub fn pnl_haircut_at(&self, price: u64, pool_balance: u64) -> MathResult<PnlHaircut> {
        pnl_haircut(self.profit_at(price)?, self.max_pnl_factor, pool_balance)
    }

    /// Records the profit the cap withheld from a fill that realised `uncapped` and paid `paid`.
    pub fn record_withheld(&mut self, uncapped: i64, paid: i64) {
        let withheld = u64::try_from(i128::from(uncapped) - i128::from(paid)).unwrap_or(0);
        self.pnl_withheld = self.pnl_withheld.saturating_add(withheld);
    }

    /// Replaces `old` by `new` in the open-interest and entry sums.
    pub fn update_open_interest(&mut self, old: &PerpPosition, new: &PerpPosition) -> Option<()> {
        self.remove_position(old)?;
        self.add_position(new)
    }

    fn remove_position(&mut self, p: &PerpPosition) -> Option<()> {
        let snap = i128::from(p.base.unsigned_abs()).checked_mul(p.funding_snapshot)?;
        if p.base > 0 {
            self.long_base = self.long_base.checked_sub(p.base.unsigned_abs())?;
            self.long_quote_entry = self.long_quote_entry.checked_sub(p.quote_entry)?;
            self.long_funding_snapshots = put_i128(get_i128(&self.long_funding_snapshots).checked_sub(snap)?);
        } else if p.base < 0 {
            self.short_base = self.short_base.checked_sub(p.base.unsigned_abs())?;
            self.short_quote_entry = self.short_quote_entry.checked_sub(p.quote_entry)?;
            self.short_funding_snapshots = put_i128(get_i128(&self.short_funding_snapshots).checked_sub(snap)?);
        }
        Some(())
    }

    fn add_position(&mut self, p: &PerpPosition) -> Option<()> {
        let snap = i128::from(p.base.unsigned_abs()).checked_mul(p.funding_snapshot)?;
        if p.base > 0 {
            self.long_base = self.long_base.checked_add(p.base.unsigned_abs())?;
            self.long_quote_entry = self.long_quote_entry.checked_add(p.quote_entry)?;
            self.long_funding_snapshots = put_i128(get_i128(&self.long_funding_snapshots).checked_add(snap)?);
        } else if p.base < 0 {
            self.short_base = self.short_base.checked_add(p.base.unsigned_abs())?;
            self.short_quote_entry = self.short_quote_entry.checked_add(p.quote_entry)?;
            self.short_funding_snapshots = put_i128(get_i128(&self.short_funding_snapshots).checked_add(snap)?);
        }
        Some(())
    }

    /// The market's unsettled funding and borrow fees at `(index, borrow)` (both indexes accrued
    /// to now, [`PerpMarket::indexes_at`]).
    pub fn funding_sums(&self, (index, borrow): (i128, i128)) -> fulcrum_risk::MarketFunding {
        fulcrum_risk::MarketFunding {
            index,
            borrow,
            long_snapshots: get_i128(&self.long_funding_snapshots),
            short_snapshots: get_i128(&self.short_funding_snapshots),
        }
    }

    pub fn set_funding_index(&mut self, v: i128) {
        self.cumulative_funding = put_i128(v);
    }

    pub fn borrow_params(&self) -> BorrowParams {
        BorrowParams {
            base_rate: self.borrow_base_rate,
            slope1: self.borrow_slope1,
            kink: self.borrow_kink,
            slope2: self.borrow_slope2,
        }
    }

    /// Notional at `price` of the fuller side's open interest, quote native units (rounded up).
    pub fn max_side_notional(&self, price: u64) -> MathResult<u128> {
        side_notional(self.long_base.max(self.short_base), price)
    }

    pub fn dynamic_params(&self) -> DynamicParams {
        DynamicParams {
            init_floor: self.init_margin_ratio,
            maint_floor: self.maint_margin_ratio,
            vol_z: self.vol_z,
            vol_horizon_secs: self.vol_horizon_secs,
            vol_decay_secs: self.vol_decay_secs,
            maint_fraction: self.maint_fraction,
            max_maint_increase_per_hour: self.max_maint_increase_per_hour,
            oi_premium: self.oi_premium,
            price_band: self.price_band,
            breaker_cooldown_secs: self.breaker_cooldown_secs,
            funding_factor: self.funding_factor,
            max_funding_rate: self.max_funding_rate,
            impact_fee: self.impact_fee,
        }
    }

    /// Skew of open interest against the pool's depth, ppm.
    pub fn skew(&self, price: u64, depth: u64) -> MathResult<i64> {
        skew(self.long_base, self.short_base, price, depth)
    }

    /// Everything an instruction does when it sees a valid oracle price for this market:
    /// accrues funding to `now`, updates the variance on a newer publish time, trips the
    /// circuit breaker outside the band, moves the effective ratios (maintenance at its bounded
    /// rate) and sets the funding rate for the next interval from the skew. Returns whether the
    /// breaker tripped now.
    pub fn observe(&mut self, price: Price, publish_time: i64, now: i64, depth: u64) -> MathResult<bool> {
        let p = self.dynamic_params();
        self.accrue_funding_to(price.oracle, now)?;
        if publish_time > self.last_publish_time {
            if self.last_price > 0 && self.last_publish_time > 0 {
                let dt = (publish_time - self.last_publish_time) as u64;
                self.variance = update_variance(self.variance, self.last_price, price.oracle, dt, p.vol_decay_secs)?;
            }
            self.last_price = price.oracle;
            self.last_publish_time = publish_time;
        }
        let tripped = outside_band(price.oracle, price.ema, p.price_band);
        let newly = tripped && now >= self.reduce_only_until;
        if tripped {
            self.reduce_only_until = now.saturating_add(i64::from(p.breaker_cooldown_secs));
        }
        // The fallback's age counts from when the price was published, not from when it was seen.
        if publish_time >= self.last_valid_time {
            self.last_valid_price = price.oracle;
            self.last_valid_ema = price.ema;
            self.last_valid_time = publish_time;
        }
        self.refresh_ratios(price.oracle, now, depth)?;
        Ok(newly)
    }

    /// Records an oracle price observed in `slot`: the slot's lowest and highest observations
    /// (reset when the slot changes), which bound the next fills in the slot.
    pub fn observe_in_slot(&mut self, oracle: u64, slot: u64) {
        if slot != self.obs_slot || self.obs_lo == 0 {
            self.obs_slot = slot;
            self.obs_lo = oracle;
            self.obs_hi = oracle;
        } else {
            self.obs_lo = self.obs_lo.min(oracle);
            self.obs_hi = self.obs_hi.max(oracle);
        }
    }

    /// Spread of an immediate fill now, ppm, for an oracle of confidence `conf_ratio` (ppm of
    /// price): `fulcrum_risk::fill_spread` with this market's parameters and variance.
    pub fn fill_spread(&self, conf_ratio: u64) -> MathResult<u32> {
        fill_spread(self.min_spread, conf_ratio, self.spread_z, self.variance, self.max_fill_age)
    }

    /// Accrues funding and the borrow fee from `last_funding_time` to `now` at the current rates
    /// and `price`, exactly (the part of an index unit carried in `funding_carry` and
    /// `borrow_carry`): however often this runs, each index moves as one accrual over the whole
    /// time would.
    pub fn accrue_funding_to(&mut self, price: u64, now: i64) -> MathResult<()> {
        if self.last_funding_time > 0 && now > self.last_funding_time {
            let dt = (now - self.last_funding_time) as u64;
            let (index, carry) =
                accrue_funding(self.funding_index(), self.funding_carry, price, self.funding_rate, dt)?;
            self.set_funding_index(index);
            self.funding_carry = carry;
            let rate = self.signed_borrow_rate()?;
            let (borrow, carry) = accrue_funding(self.borrow_index(), self.borrow_carry, price, rate, dt)?;
            self.cumulative_borrow = put_i128(borrow);
            self.borrow_carry = carry;
        }
        self.last_funding_time = self.last_funding_time.max(now);
        Ok(())
    }

    /// Effective ratios, funding rate and borrow rate from the current state (after open
    /// interest or the pool changed).
    pub fn refresh_ratios(&mut self, price: u64, now: i64, depth: u64) -> MathResult<()> {
        let p = self.dynamic_params();
        let util = oi_utilisation(self.long_base, self.short_base, self.long_oi_cap, self.short_oi_cap);
        let rise = (self.effective_maint_ratio, self.maint_updated_at, self.maint_rise_from);
        (self.effective_init_ratio, self.effective_maint_ratio, self.maint_updated_at, self.maint_rise_from) =
            step_ratios(self.variance, util, rise, now, &p)?;
        self.funding_rate = funding_rate(self.skew(price, depth)?, &p)?;
        // Borrow fee: the fuller side's share of the pool's reserve capacity.
        let util = borrow_utilisation(self.max_side_notional(price)?, self.reserve_factor, depth)?;
        self.borrow_rate = borrow_rate(util, &self.borrow_params())?;
        Ok(())
    }

    /// Whether the circuit breaker or a wind-down holds the market reduce-only at `now`.
    pub fn is_reduce_only(&self, now: i64) -> bool {
        now < self.reduce_only_until || self.status != market_status::ACTIVE
    }
}
