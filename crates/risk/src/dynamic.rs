//! Dynamic risk: volatility-scaled margin ratios with a rate-limited maintenance ratio, circuit
//! breakers, skew funding and skew-dependent fees. Every function is pure; the program calls
//! them each time an instruction observes a market, the simulator on every step.
//!
//! Units: returns and ratios in ppm; variance in ppm² per second; funding rates in ppm of price
//! per hour; the cumulative funding index in `FUNDING_SCALE` (as `PerpMarketRisk`), with the
//! part of a unit not yet in it carried in `1 / FUNDING_CARRY_DENOM` units.

use crate::fixed::*;

/// A market's dynamic-risk parameters (all admin-set, range-checked by the program).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DynamicParams {
    /// Lowest initial margin ratio, ppm (the static ratio).
    pub init_floor: u32,
    /// Lowest maintenance ratio, ppm.
    pub maint_floor: u32,
    /// Volatility multiplier z, ppm (3.0 = 3,000,000). 0 turns volatility scaling off.
    pub vol_z: u32,
    /// Horizon the initial margin must cover, seconds.
    pub vol_horizon_secs: u32,
    /// EWMA time constant τ, seconds.
    pub vol_decay_secs: u32,
    /// Maintenance target = this × the initial ratio before premiums, ppm.
    pub maint_fraction: u32,
    /// Most the maintenance ratio may rise per hour, ppm of ratio per hour.
    pub max_maint_increase_per_hour: u32,
    /// Initial-ratio premium at 100% open-interest utilisation, ppm.
    pub oi_premium: u32,
    /// |oracle − EMA| / EMA beyond which the market goes reduce-only, ppm (0: off).
    pub price_band: u32,
    /// Seconds back inside the band before opens are allowed again.
    pub breaker_cooldown_secs: u32,
    /// Funding rate per hour at a skew of 100% of pool depth, ppm of price.
    pub funding_factor: u32,
    /// Largest |funding rate|, ppm of price per hour.
    pub max_funding_rate: u32,
    /// Extra fee at a resulting skew of 100% of pool depth, ppm of notional.
    pub impact_fee: u32,
}

/// Variance after observing `price` `dt` seconds after `last_price`:
/// `v ← (1 − α)·v + α·r²/dt` with `r = (price − last)/last` in ppm and `α = min(dt, τ)/τ`
/// (the first-order, capped form of `1 − e^(−dt/τ)`). Rounds up (variance is a risk).
pub fn update_variance(variance: u64, last_price: u64, price: u64, dt: u64, decay_secs: u32) -> MathResult<u64> {
    if last_price == 0 || dt == 0 || decay_secs == 0 {
        return Ok(variance);
    }
    let r = mul_div_ceil(u128::from(price.abs_diff(last_price)), u128::from(RATIO_ONE), u128::from(last_price))?;
    let sample = r.checked_mul(r).ok_or(MathError::Overflow)?.div_ceil(u128::from(dt));
    let tau = u128::from(decay_secs);
    let a = u128::from(dt).min(tau);
    let v = (u128::from(variance) * (tau - a) + sample.checked_mul(a).ok_or(MathError::Overflow)?).div_ceil(tau);
    u64::try_from(v).map_err(|_| MathError::Overflow)
}

/// `z × σ × √horizon`, ppm, rounded up: the volatility part of the initial ratio.
pub fn volatility_ratio(variance: u64, p: &DynamicParams) -> MathResult<u64> {
    if p.vol_z == 0 {
        return Ok(0);
    }
    let sigma_h = isqrt_ceil(u128::from(variance) * u128::from(p.vol_horizon_secs));
    let r = mul_div_ceil(u128::from(p.vol_z), sigma_h, u128::from(RATIO_ONE))?;
    Ok(u64::try_from(r).unwrap_or(u64::MAX).min(RATIO_ONE))
}

/// Effective (initial, maintenance) ratios of a market, ppm, before each position's own size
/// premium: `init = min(1, max(floor, z σ √h) + oi_premium × utilisation)`;
/// `maint = max(maint_floor, maint_fraction × max(floor, z σ √h))`, but rising by at most
/// `max_maint_increase_per_hour` per hour from `prev_maint` over `dt` seconds.
pub fn dynamic_ratios(
    variance: u64,
    utilisation: u64,
    prev_maint: u32,
    dt: u64,
    p: &DynamicParams,
) -> MathResult<(u32, u32)> {
    let base = u64::from(p.init_floor).max(volatility_ratio(variance, p)?);
    let oi = mul_div_ceil(u128::from(p.oi_premium), u128::from(utilisation.min(RATIO_ONE)), u128::from(RATIO_ONE))?;
    let init = (u128::from(base) + oi).min(u128::from(RATIO_ONE)) as u32;
    let target = mul_div_ceil(u128::from(base), u128::from(p.maint_fraction), u128::from(RATIO_ONE))?;
    let target = target.max(u128::from(p.maint_floor)).min(u128::from(init.saturating_sub(1))) as u32;
    if target <= prev_maint || prev_maint == 0 {
        return Ok((init, target));
    }
    let step = mul_div_floor(u128::from(p.max_maint_increase_per_hour), u128::from(dt), 3_600)?;
    let maint = (u128::from(prev_maint) + step).min(u128::from(target)) as u32;
    Ok((init, maint))
}

/// A market's effective ratios at `now`, from where its maintenance ratio stands, `rise` =
/// (effective maintenance ratio, when its rise started (0: not rising), the ratio it rose
/// from): returns (initial ratio, and the new `rise`). The initial ratio and a falling
/// maintenance target apply at once; a rising maintenance moves towards its target at the
/// bounded rate of [`dynamic_ratios`], measured from the start of the rise (so frequent
/// observations cannot round it away), and never below where it was.
pub fn step_ratios(
    variance: u64,
    utilisation: u64,
    rise: (u32, i64, u32),
    now: i64,
    p: &DynamicParams,
) -> MathResult<(u32, u32, i64, u32)> {
    let (init, target) = dynamic_ratios(variance, utilisation, 0, 0, p)?;
    let (prev, mut updated_at, mut rise_from) = rise;
    if target <= prev || prev == 0 {
        return Ok((init, target, 0, rise_from));
    }
    if updated_at == 0 {
        updated_at = now;
        rise_from = prev;
    }
    let dt = now.saturating_sub(updated_at).max(0) as u64;
    let (_, maint) = dynamic_ratios(variance, utilisation, rise_from, dt, p)?;
    let updated_at = if maint >= target { 0 } else { updated_at };
    Ok((init, maint.max(prev), updated_at, rise_from))
}

/// Open-interest utilisation of the fuller side, ppm.
pub fn oi_utilisation(long_base: u64, short_base: u64, long_cap: u64, short_cap: u64) -> u64 {
    let side = |oi: u64, cap: u64| {
        if cap == 0 {
            RATIO_ONE
        } else {
            (u128::from(oi) * u128::from(RATIO_ONE) / u128::from(cap)) as u64
        }
    };
    side(long_base, long_cap).max(side(short_base, short_cap)).min(RATIO_ONE)
}

/// Whether the price is outside the band: `|oracle − ema| × 1e6 > band × ema`.
pub fn outside_band(oracle: u64, ema: u64, band: u32) -> bool {
    band != 0 && u128::from(oracle.abs_diff(ema)) * u128::from(RATIO_ONE) > u128::from(ema) * u128::from(band)
}

/// Skew = net open interest notional / pool depth, ppm (signed: positive when longs dominate),
/// capped at ±100%. Rounded toward zero, so the two sides are treated alike:
/// `skew(l, s) = −skew(s, l)`.
pub fn skew(long_base: u64, short_base: u64, price: u64, depth: u64) -> MathResult<i64> {
    let net = i128::from(long_base) - i128::from(short_base);
    if depth == 0 {
        return Ok(net.signum() as i64 * RATIO_ONE as i64);
    }
    let notional = mul_div_signed_trunc(net, u128::from(price), PRICE_SCALE)?;
    let s = mul_div_signed_trunc(notional, u128::from(RATIO_ONE), u128::from(depth))?;
    Ok(s.clamp(-(RATIO_ONE as i128), RATIO_ONE as i128) as i64)
}

/// Funding rate, ppm of price per hour: `funding_factor × skew`, rounded toward zero (so
/// `funding_rate(−s) = −funding_rate(s)`: a skew too small to be worth 1 ppm an hour pays
/// nothing on either side), clamped. Longs pay when positive.
pub fn funding_rate(skew: i64, p: &DynamicParams) -> MathResult<i64> {
    let r = mul_div_signed_trunc(i128::from(skew), u128::from(p.funding_factor), u128::from(RATIO_ONE))?;
    let cap = i128::from(p.max_funding_rate);
    Ok(r.clamp(-cap, cap) as i64)
}

/// Denominator of a funding accrual: the rate is ppm (10⁶) of price per hour (3,600 s).
pub const FUNDING_CARRY_DENOM: i128 = 3_600 * RATIO_ONE as i128;

/// Lowest engine price (quote native per base native × 10¹²) a market may be listed at: one
/// unit of price, and of the funding index, is then at most 1 ppm of the price, so the part of
/// a funding unit not yet in the index (see [`accrue_funding`]) is worth under 1 ppm of a
/// position's notional. $0.001 with 9 base decimals against a 6-decimal quote is exactly this;
/// an 18-decimal base needs a price of $10⁹ and so cannot be listed.
pub const MIN_LISTING_ENGINE_PRICE: u64 = 1_000_000;

/// Funding index and carry after `dt` seconds at `rate` (ppm of `price` per hour):
/// the exact accrual `price × rate × dt / (3600 × 10⁶)` (in `FUNDING_SCALE` units) is added to
/// `index + carry / FUNDING_CARRY_DENOM`; the whole units go into the index and the remainder
/// (`|carry| < FUNDING_CARRY_DENOM`) is carried to the next accrual. Nothing is rounded per observation, so observing every second accrues exactly what
/// one observation over the same time does (at the same price and rate), and the index is
/// always within one unit of the exact integral. Rounding against the account happens once, when
/// a position settles (`margin::unsettled_funding`). Odd in (`rate`, `carry`).
pub fn accrue_funding(index: i128, carry: i64, price: u64, rate: i64, dt: u64) -> MathResult<(i128, i64)> {
    let accrued = i128::from(rate)
        .checked_mul(i128::from(dt))
        .and_then(|v| v.checked_mul(i128::from(price)))
        .ok_or(MathError::Overflow)?;
    let total = add(accrued, i128::from(carry))?;
    // `/` and `%` on i128 truncate toward zero: total = whole × DENOM + rest, |rest| < DENOM.
    let whole = total / FUNDING_CARRY_DENOM;
    let rest = total % FUNDING_CARRY_DENOM;
    Ok((add(index, whole)?, rest as i64))
}

/// Fee rate of a trade, ppm: the base fee, plus `impact_fee × |skew after|` when the trade
/// increases the absolute skew (one that reduces it pays only the base fee). Capped at 10%.
pub fn trade_fee_rate(base_fee: u32, skew_before: i64, skew_after: i64, p: &DynamicParams) -> MathResult<u32> {
    if skew_after.unsigned_abs() <= skew_before.unsigned_abs() {
        return Ok(base_fee);
    }
    let impact = mul_div_ceil(u128::from(p.impact_fee), u128::from(skew_after.unsigned_abs()), u128::from(RATIO_ONE))?;
    Ok((u128::from(base_fee) + impact).min(100_000) as u32)
}
