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
