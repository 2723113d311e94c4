//! A market's dynamic state as the program's `PerpMarket` keeps it: EWMA variance, effective
//! (dynamic) ratios with the rate-limited maintenance rise, circuit breaker, funding index and
//! rate, open interest.
//!
//! [`MarketState::observe`] and [`MarketState::refresh_ratios`] follow
//! `programs/fulcrum/src/state/market.rs` (`PerpMarket::observe` / `refresh_ratios`) step by
//! step; every rule in them is a `fulcrum_risk` call (`update_variance`, `outside_band`,
//! `dynamic_ratios`, `oi_utilisation`, `skew`, `funding_rate`, `accrue_funding`). What is
//! written here is only which field each result goes to.

use crate::config::{MarketCfg, Mechanisms, PoolRiskCfg};
use fulcrum_risk::{
    accrue_funding, funding_rate, oi_utilisation, outside_band, skew, step_ratios, update_variance, DynamicParams,
    MarketExposure, MathResult, PerpMarketRisk, Price,
};

/// Seconds per year, for converting an annual volatility to the engine's variance per second.
const SECS_PER_YEAR: f64 = 365.0 * 86_400.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MarketState {
    /// Static listing ratios and everything else the engine's `PerpMarketRisk` carries.
    pub base: PerpMarketRisk,
    pub params: DynamicParams,
    /// Which rules run on this market.
    pub dynamic: bool,
    pub funding: bool,
    pub breaker: bool,
    pub borrow: bool,
    pub pnl_cap: bool,
    /// Open-interest caps per side, base native units.
    pub long_oi_cap: u64,
    pub short_oi_cap: u64,
    /// Open interest and entry sums.
    pub expo: MarketExposure,
    /// Σ base × snapshot over long and over short positions (the pool's unsettled funding and
    /// borrow fee).
    pub long_snapshot: i128,
    pub short_snapshot: i128,
    /// Borrow-fee index (never decreasing), its carry and its rate (ppm of notional per hour).
    pub borrow_index: i128,
    pub borrow_carry: i64,
    pub borrow_rate: u64,
    /// Reserve factor (the borrow utilisation's capacity) and the borrow curve (base rate,
    /// slope to the kink, kink, slope past it), ppm.
    pub reserve_factor: u32,
    pub borrow_curve: [u32; 4],
    /// The PnL cap now: winners' profit is counted and paid at `paid / profit` (1: no haircut).
    pub haircut_x: f64,
    /// Most one payment may be (`PnlHaircut::cap`), quote native units (∞: no cap).
    pub haircut_cap: f64,
    /// Winners' profit the cap does not count now (`profit − paid`), quote native units.
    pub haircut_withheld: f64,
    #[cfg(feature = "winners")]
    pub haircut: fulcrum_risk::PnlHaircut,
    pub variance: u64,
    pub last_price: u64,
    pub last_publish_time: i64,
    pub maint_updated_at: i64,
    pub maint_rise_from: u32,
    pub reduce_only_until: i64,
    pub last_funding_time: i64,
    pub funding_rate: i64,
    pub funding_index: i128,
    pub funding_carry: i64,
    pub effective_init_ratio: u32,
    pub effective_maint_ratio: u32,
    /// Breaker trips (entries into reduce-only) and seconds spent reduce-only.
    pub breaker_trips: u64,
}

impl MarketState {
    /// A freshly listed market at price `p0`, its variance seeded from the configured annual
    /// volatility (as if it had been observed for a while).
    pub fn new(cfg: &MarketCfg, pool_risk: &PoolRiskCfg, base: PerpMarketRisk, mech: &Mechanisms, now: i64) -> Self {
        let d = &cfg.dynamic;
        let params = DynamicParams {
            init_floor: cfg.init_margin_ratio,
            maint_floor: cfg.maint_margin_ratio,
            vol_z: d.vol_z,
            vol_horizon_secs: d.vol_horizon_secs,
            vol_decay_secs: d.vol_decay_secs,
            maint_fraction: d.maint_fraction,
            max_maint_increase_per_hour: d.max_maint_increase_per_hour,
            oi_premium: d.oi_premium,
            price_band: d.price_band,
            breaker_cooldown_secs: d.breaker_cooldown_secs,
            funding_factor: d.funding_factor,
            max_funding_rate: d.max_funding_rate,
            impact_fee: d.impact_fee,
        };
        let p0 = base.price.oracle;
        let units = |usd: f64| (usd * 1e6 * 1e12 / p0 as f64).min(u64::MAX as f64) as u64;
        Self {
            base,
            params,
            dynamic: mech.dynamic_margin,
            funding: mech.funding,
            breaker: mech.circuit_breaker,
            borrow: mech.borrow_fee,
            pnl_cap: mech.pnl_cap,
            long_oi_cap: units(cfg.oi_cap_usd),
            short_oi_cap: units(cfg.oi_cap_usd),
            expo: MarketExposure { price: p0, ..MarketExposure::default() },
            long_snapshot: 0,
            short_snapshot: 0,
            borrow_index: 0,
            borrow_carry: 0,
            borrow_rate: 0,
            reserve_factor: if mech.reserve { pool_risk.reserve_factor } else { 0 },
            borrow_curve: [
                pool_risk.borrow_base_rate,
                pool_risk.borrow_slope1,
                pool_risk.borrow_kink,
                pool_risk.borrow_slope2,
            ],
            haircut_x: 1.0,
            haircut_cap: f64::INFINITY,
            haircut_withheld: 0.0,
            #[cfg(feature = "winners")]
            haircut: fulcrum_risk::PnlHaircut::NONE,
            variance: (cfg.annual_vol * cfg.annual_vol / SECS_PER_YEAR * 1e12).round() as u64,
            last_price: p0,
            last_publish_time: now,
            maint_updated_at: 0,
            maint_rise_from: 0,
            reduce_only_until: 0,
            last_funding_time: now,
            funding_rate: 0,
            funding_index: 0,
            funding_carry: 0,
            effective_init_ratio: 0,
            effective_maint_ratio: 0,
            breaker_trips: 0,
        }
    }

    /// The engine's view of the market at `price` (`PerpMarket::risk`): effective ratios never
    /// below the listing ratios, the funding index as accrued at the last observation.
    #[inline]
    pub fn risk(&self, price: Price) -> PerpMarketRisk {
        let r = PerpMarketRisk {
            price,
            init_margin_ratio: self.effective_init_ratio.max(self.base.init_margin_ratio),
            maint_margin_ratio: self.effective_maint_ratio.max(self.base.maint_margin_ratio),
            cumulative_funding: self.funding_index,
            ..self.base
        };
        #[cfg(feature = "borrow")]
        let r = PerpMarketRisk { cumulative_borrow: self.borrow_index, ..r };
        #[cfg(feature = "winners")]
        let r = PerpMarketRisk { pnl_haircut: self.haircut, ..r };
        r
    }

    /// The index a position of sign `side` settles against: funding plus the borrow fee for a
    /// long, funding less it for a short (`PerpMarketRisk::position_index`).
    #[inline]
    pub fn side_index(&self, side: i64) -> i128 {
        match side.signum() {
            1 => self.funding_index + self.borrow_index,
            -1 => self.funding_index - self.borrow_index,
            _ => 0,
        }
    }

    /// `PerpMarket::observe`: accrue funding to `now`, update the variance, trip the breaker
    /// outside the band, refresh ratios and the funding rate. Returns whether the breaker
    /// tripped now.
    pub fn observe(&mut self, price: Price, now: i64, depth: u64) -> MathResult<bool> {
        self.accrue_funding_to(price.oracle, now)?;
        if self.dynamic && now > self.last_publish_time {
            let dt = (now - self.last_publish_time) as u64;
            self.variance =
                update_variance(self.variance, self.last_price, price.oracle, dt, self.params.vol_decay_secs)?;
        }
        if now > self.last_publish_time {
            self.last_price = price.oracle;
            self.last_publish_time = now;
        }
        let mut newly = false;
        if self.breaker {
            let tripped = outside_band(price.oracle, price.ema, self.params.price_band);
            newly = tripped && now >= self.reduce_only_until;
            if tripped {
                self.reduce_only_until = now.saturating_add(i64::from(self.params.breaker_cooldown_secs));
            }
            self.breaker_trips += u64::from(newly);
        }
        self.refresh_ratios(price.oracle, now, depth)?;
        Ok(newly)
    }

    /// `PerpMarket::accrue_funding_to`.
    pub fn accrue_funding_to(&mut self, price: u64, now: i64) -> MathResult<()> {
        if self.last_funding_time > 0 && now > self.last_funding_time {
            let dt = (now - self.last_funding_time) as u64;
            let (index, carry) = accrue_funding(self.funding_index, self.funding_carry, price, self.funding_rate, dt)?;
            self.funding_index = index;
            self.funding_carry = carry;
            if self.borrow {
                crate::mech::accrue_borrow(self, price, dt)?;
            }
        }
        self.last_funding_time = self.last_funding_time.max(now);
        Ok(())
    }

    /// `PerpMarket::refresh_ratios`: effective ratios (maintenance rising at a bounded rate
    /// from the start of the rise) and the funding rate from the skew against `depth`.
    pub fn refresh_ratios(&mut self, price: u64, now: i64, depth: u64) -> MathResult<()> {
        if self.dynamic {
            let p = &self.params;
            let util = oi_utilisation(self.expo.long_base, self.expo.short_base, self.long_oi_cap, self.short_oi_cap);
            let rise = (self.effective_maint_ratio, self.maint_updated_at, self.maint_rise_from);
            (self.effective_init_ratio, self.effective_maint_ratio, self.maint_updated_at, self.maint_rise_from) =
                step_ratios(self.variance, util, rise, now, p)?;
        }
        self.funding_rate = if self.funding { funding_rate(self.skew(price, depth)?, &self.params)? } else { 0 };
        if self.borrow {
            crate::mech::refresh_borrow_rate(self, price, depth)?;
        }
        Ok(())
    }

    /// Skew of open interest against the pool's depth, ppm.
    pub fn skew(&self, price: u64, depth: u64) -> MathResult<i64> {
        skew(self.expo.long_base, self.expo.short_base, price, depth)
    }

    /// Whether the breaker holds the market reduce-only at `now`.
    pub fn is_reduce_only(&self, now: i64) -> bool {
        self.breaker && now < self.reduce_only_until
    }

    /// Adds (`sign` = 1) or removes (−1) a position from the open-interest aggregates.
    pub fn add_position(&mut self, pos: &fulcrum_risk::PerpPosition, sign: i64) {
        let e = &mut self.expo;
        if pos.base > 0 {
            e.long_base = e.long_base.wrapping_add_signed(sign * pos.base);
            e.long_quote_entry += sign * pos.quote_entry;
        } else if pos.base < 0 {
            e.short_base = e.short_base.wrapping_add_signed(sign * -pos.base);
            e.short_quote_entry += sign * pos.quote_entry;
        }
        let v = i128::from(sign * pos.base) * pos.funding_snapshot;
        if pos.base > 0 {
            self.long_snapshot += v;
        } else {
            self.short_snapshot += v;
        }
    }

    /// Funding and borrow fees positions owe the pool and have not settled, quote native units
    /// (`fulcrum_risk::traders_unsettled_funding`, rounded down for the pool).
    pub fn unsettled_funding(&self) -> f64 {
        let f = fulcrum_risk::MarketFunding {
            index: self.funding_index,
            borrow: self.borrow_index,
            long_snapshots: self.long_snapshot,
            short_snapshots: -self.short_snapshot,
        };
        fulcrum_risk::traders_unsettled_funding(&self.expo, &f, fulcrum_risk::Rounding::Down).expect("funding") as f64
    }
}
