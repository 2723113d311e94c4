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

#[cfg(test)]
mod tests {
    use super::*;

    const P100: u64 = 100_000_000_000; // $100 per SOL, 9 vs 6 decimals

    #[test]
    fn traders_winning_is_the_pools_loss() {
        // One long of 10 SOL opened at $100, now $110: traders +$100, pool value 1000 − 100.
        let m = MarketExposure {
            long_base: 10_000_000_000,
            long_quote_entry: -1_000_000_000,
            price: 110_000_000_000,
            ..Default::default()
        };
        assert_eq!(traders_unrealized_pnl(&m, Rounding::Down).unwrap(), 100_000_000);
        assert_eq!(pool_value(1_000_000_000, &[m], Rounding::Down).unwrap(), 900_000_000);
        // Net exposure: 10 SOL × $110.
        assert_eq!(pool_net_exposure(&[m]).unwrap(), 1_100_000_000);
        assert!(utilisation_ok(1_100_000_000, 1_375_000_000, 800_000));
        assert!(!utilisation_ok(1_100_000_001, 1_375_000_000, 800_000));
    }

    #[test]
    fn share_pricing_rounds_against_the_mover() {
        assert_eq!(lp_shares_for_deposit(500, 0, 0).unwrap(), 500);
        // Pool worth 1,000 with 900 shares: 100 in buys 90 shares; 90 shares pay out 100.
        assert_eq!(lp_shares_for_deposit(100, 1_000, 900).unwrap(), 90);
        assert_eq!(lp_amount_for_shares(90, 1_000, 900).unwrap(), 100);
        // 1 unit into a pool worth 3 per share mints nothing.
        assert_eq!(lp_shares_for_deposit(1, 3_000, 1_000).unwrap(), 0);
        assert_eq!(lp_amount_for_shares(1, 2_999, 1_000).unwrap(), 2);
        assert!(lp_shares_for_deposit(1, 0, 10).is_err());
        let m = MarketExposure { long_base: 1, price: P100 / 3, ..Default::default() };
        let lo = pool_value(0, &[m], Rounding::Down).unwrap();
        let hi = pool_value(0, &[m], Rounding::Up).unwrap();
        assert_eq!(hi - lo, 1);
    }
}
