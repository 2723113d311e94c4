//! The liquidity pool's side: what traders' open positions are worth to it, LP share pricing
//! and the utilisation cap.
//!
//! Pool value = pool balance − traders' net unrealised PnL (the pool is every trade's
//! counterparty). Share prices round against whoever is entering or leaving: a deposit values
//! the pool high (fewer shares), a withdrawal values it low (fewer tokens).

use crate::fixed::*;

/// One market's aggregate open interest, as a market account keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct MarketExposure {
    /// Σ base of longs, base native units.
    pub long_base: u64,
    /// Σ |base| of shorts, base native units.
    pub short_base: u64,
    /// Σ quote_entry of longs (≤ 0), quote native units.
    pub long_quote_entry: i64,
    /// Σ quote_entry of shorts (≥ 0), quote native units.
    pub short_quote_entry: i64,
    /// Oracle price, `PRICE_SCALE`.
    pub price: u64,
}

/// Which way a valuation rounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    Down,
    Up,
}

/// Traders' net unrealised PnL in one market (the pool's liability), rounded so that the pool's
/// value rounds the way `pool_rounding` asks.
pub fn traders_unrealized_pnl(m: &MarketExposure, pool_rounding: Rounding) -> MathResult<i128> {
    let net = i128::from(m.long_base) - i128::from(m.short_base);
    let value = match pool_rounding {
        // A lower pool value is a higher trader PnL.
        Rounding::Down => mul_div_signed_ceil(net, u128::from(m.price), PRICE_SCALE)?,
        Rounding::Up => mul_div_signed_floor(net, u128::from(m.price), PRICE_SCALE)?,
    };
    add(add(value, i128::from(m.long_quote_entry))?, i128::from(m.short_quote_entry))
}

/// Pool balance less traders' net unrealised PnL across `markets`.
pub fn pool_value(balance: u64, markets: &[MarketExposure], rounding: Rounding) -> MathResult<i128> {
    let mut v = i128::from(balance);
    for m in markets {
        v = sub(v, traders_unrealized_pnl(m, rounding)?)?;
    }
    Ok(v)
}

/// Where in an oracle's interval `[lo, hi]` to mark a market for a valuation rounding
/// `rounding`: against whoever enters or leaves, as the rounding is. Traders net long make the
/// pool worth more at a lower price, so a deposit (`Up`) marks at `lo` and a withdrawal
/// (`Down`) at `hi`; traders net short the other way round.
pub fn conservative_mark_price(long_base: u64, short_base: u64, lo: u64, hi: u64, rounding: Rounding) -> u64 {
    let traders_long = long_base >= short_base;
    match (rounding, traders_long) {
        (Rounding::Up, true) | (Rounding::Down, false) => lo,
        (Rounding::Up, false) | (Rounding::Down, true) => hi,
    }
}

/// Shares minted for depositing `amount` into a pool worth `value` with `supply` shares out
/// (rounded down). The first deposit mints one share per quote unit.
pub fn lp_shares_for_deposit(amount: u64, value: i128, supply: u64) -> MathResult<u64> {
    if supply == 0 {
        return Ok(amount);
    }
    if value <= 0 {
        return Err(MathError::InvalidInput);
    }
    let s = mul_div_floor(u128::from(amount), u128::from(supply), value.unsigned_abs())?;
    u64::try_from(s).map_err(|_| MathError::Overflow)
}

/// Quote paid out for burning `shares` of a pool worth `value` with `supply` shares out
/// (rounded down).
pub fn lp_amount_for_shares(shares: u64, value: i128, supply: u64) -> MathResult<u64> {
    if supply == 0 || shares > supply {
        return Err(MathError::InvalidInput);
    }
    if value <= 0 {
        return Ok(0);
    }
    let a = mul_div_floor(u128::from(shares), value.unsigned_abs(), u128::from(supply))?;
    u64::try_from(a).map_err(|_| MathError::Overflow)
}

/// Σ |long − short| × price: the notional of the pool's own net position (rounded up).
pub fn pool_net_exposure(markets: &[MarketExposure]) -> MathResult<i128> {
    let mut total = 0i128;
    for m in markets {
        let net = u128::from(m.long_base.abs_diff(m.short_base));
        total = add(total, to_i128(mul_div_ceil(net, u128::from(m.price), PRICE_SCALE)?)?)?;
    }
    Ok(total)
}

/// Whether a pool worth `value` may carry `exposure` at `max_utilisation` (ppm):
/// `exposure ≤ value × max_utilisation`.
pub fn utilisation_ok(exposure: i128, value: i128, max_utilisation: u32) -> bool {
    if exposure <= 0 {
        return true;
    }
    if value <= 0 {
        return false;
    }
    exposure.unsigned_abs() * u128::from(RATIO_ONE) <= value.unsigned_abs() * u128::from(max_utilisation)
}

// ---- capacity: reserve, borrow fee, insurance-aware open-interest limit (issue 13, §3 and §4)

/// `|base| × price` of one side's open interest, quote native units, rounded up (against the
/// traders whom the limits below bind).
pub fn side_notional(base: u64, price: u64) -> MathResult<u128> {
    mul_div_ceil(u128::from(base), u128::from(price), PRICE_SCALE)
}

/// Reserve rule (GMX's reserve factor): a side's open interest notional may be at most
/// `reserve_factor` (ppm) of the pool's balance, `side_notional ≤ reserve_factor × balance`, so
/// that the pool holds the cash to pay that side's winners. `reserve_factor = 0` turns it off.
/// Binds new risk only: the program checks it after a trade that grows a side.
pub fn reserve_ok(side_notional: u128, reserve_factor: u32, pool_balance: u64) -> bool {
    reserve_factor == 0
        || side_notional.saturating_mul(u128::from(RATIO_ONE)) <= u128::from(reserve_factor) * u128::from(pool_balance)
}

/// A market's borrow-fee curve (Jupiter's and GMX's two slopes with a kink). Rates are ppm of
/// notional per hour, the kink ppm of utilisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct BorrowParams {
    /// Rate at zero utilisation.
    pub base_rate: u32,
    /// Rate added from zero utilisation up to the kink.
    pub slope1: u32,
    /// Utilisation where the second slope starts, 1..=1,000,000.
    pub kink: u32,
    /// Rate added from the kink up to full utilisation.
    pub slope2: u32,
}

/// Borrow utilisation, ppm, rounded up and capped at 100%: the fuller side's open interest
/// notional over the reserve capacity `reserve_factor × pool_balance` (with the reserve off,
/// `reserve_factor = 0`, over the pool balance). Open interest on an empty pool is 100%.
pub fn borrow_utilisation(max_side_notional: u128, reserve_factor: u32, pool_balance: u64) -> MathResult<u64> {
    if max_side_notional == 0 {
        return Ok(0);
    }
    let factor = if reserve_factor == 0 { RATIO_ONE } else { u64::from(reserve_factor) };
    let capacity = u128::from(factor) * u128::from(pool_balance);
    if capacity == 0 {
        return Ok(RATIO_ONE);
    }
    let one = u128::from(RATIO_ONE);
    let u = mul_div_ceil(max_side_notional.min(u128::from(u64::MAX)), one * one, capacity)?;
    Ok(u.min(one) as u64)
}

/// Borrow rate at `utilisation` (ppm), ppm of notional per hour, rounded up:
/// `base + slope1 × u / kink` up to the kink, `base + slope1 + slope2 × (u − kink) / (1 − kink)`
/// past it. Utilisation past 100% counts as 100%, so the rate is at most the sum of the three.
pub fn borrow_rate(utilisation: u64, p: &BorrowParams) -> MathResult<u64> {
    let one = u128::from(RATIO_ONE);
    let u = u128::from(utilisation).min(one);
    let kink = u128::from(p.kink).min(one);
    let base = u128::from(p.base_rate);
    let r = if u <= kink {
        if kink == 0 {
            base
        } else {
            base + mul_div_ceil(u128::from(p.slope1), u, kink)?
        }
    } else {
        base + u128::from(p.slope1) + mul_div_ceil(u128::from(p.slope2), u - kink, one - kink)?
    };
    u64::try_from(r).map_err(|_| MathError::Overflow)
}

/// Insurance-aware open-interest cap of one side, quote native notional, rounded down: the
/// most open interest whose loss beyond maintenance under a price shock of `shock` (ppm, e.g.
/// 400,000 for −40% against longs, +40% against shorts) fits in the insurance fund plus
/// `pool_fraction` (ppm) of the pool balance. Every position is assumed to sit at its
/// maintenance ratio `maint_ratio` (the worst case the liquidation engine allows), so a shock
/// loses `shock − maint` of its notional beyond its margin:
/// `cap = (insurance + pool_fraction × balance) / (shock − maint)`. `u64::MAX` (no cap) when
/// `shock ≤ maint` (`shock = 0` turns the limit off).
pub fn insurance_oi_cap(insurance: u64, pool_balance: u64, pool_fraction: u32, shock: u32, maint_ratio: u32) -> u64 {
    if shock <= maint_ratio {
        return u64::MAX;
    }
    let one = u128::from(RATIO_ONE);
    let budget = u128::from(insurance) + u128::from(pool_fraction) * u128::from(pool_balance) / one;
    let cap = budget * one / u128::from(shock - maint_ratio);
    u64::try_from(cap).unwrap_or(u64::MAX)
}
