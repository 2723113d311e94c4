//! The liquidity pool's side: what traders' open positions are worth to it, LP share pricing
//! and the utilisation cap.
//!
//! Pool value = pool balance − traders' net unrealised PnL (the pool is every trade's
//! counterparty). Share prices round against whoever is entering or leaving: a deposit values
//! the pool high (fewer shares), a withdrawal values it low (fewer tokens).
//!
//! LP flows ([`lp_pool_value`], [`lp_first_deposit`], [`lp_withdrawal`], [`pool_depth`]) value
//! the pool as an LP entering or leaving must see it: traders' PnL at oracle (capped against
//! the LP by the deposit / withdrawal PnL factor), funding traders owe and have not settled, and
//! bad debt the insurance fund cannot cover from the moment it exists.

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

// ------------------------------------------------------------------ LP flows (issue 13 §2)

/// Shares minted to no one by the first deposit (Uniswap's `MINIMUM_LIQUIDITY`): the pool's
/// share supply never returns to zero, so no later deposit is a "first" one that could price
/// shares freely, and inflating the share price costs the inflater what the dead shares hold.
pub const DEAD_SHARES: u64 = 1_000;

/// One market's funding that traders have not settled, as the market account keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct MarketFunding {
    /// Cumulative funding index accrued to now, `FUNDING_SCALE` (longs owe its rise).
    pub index: i128,
    /// Σ base × funding snapshot over long positions, base native × `FUNDING_SCALE`.
    pub long_snapshots: i128,
    /// Σ |base| × funding snapshot over short positions.
    pub short_snapshots: i128,
}

/// Funding traders in one market owe the pool and have not settled (negative: the pool owes
/// them): `Σ base × (index − snapshot) / FUNDING_SCALE`
/// `= (index × (long − short) − (long_snapshots − short_snapshots)) / FUNDING_SCALE`,
/// rounded so that the pool's value rounds the way `pool_rounding` asks. Each position settles
/// its own share rounded against it (up), so the pool collects at least this.
pub fn traders_unsettled_funding(m: &MarketExposure, f: &MarketFunding, pool_rounding: Rounding) -> MathResult<i128> {
    let net = i128::from(m.long_base) - i128::from(m.short_base);
    let accrued = net.checked_mul(f.index).ok_or(MathError::Overflow)?;
    let owed = sub(accrued, sub(f.long_snapshots, f.short_snapshots)?)?;
    match pool_rounding {
        Rounding::Down => mul_div_signed_floor(owed, 1, FUNDING_SCALE),
        Rounding::Up => mul_div_signed_ceil(owed, 1, FUNDING_SCALE),
    }
}

/// Traders' net PnL in one market as an LP flow counts it, capped at `factor` (ppm) of the
/// pool balance against the LP (GMX's `MAX_PNL_FACTOR_FOR_DEPOSITS` / `_WITHDRAWALS`; 0: no cap):
/// - a deposit (`Up`) counts traders' net **profit** at most `balance × factor`: gains the pool
///   may not pay in full (PnL cap, ADL) do not cheapen the shares a depositor buys, so the LPs
///   already in are not diluted by them; traders' losses count in full (a higher value, again
///   against the depositor);
/// - a withdrawal (`Down`) counts traders' net **loss** (the pool's unrealised gain) at most
///   `balance × factor`: a leaver does not cash out gains that losers, who may go bankrupt,
///   have not paid; traders' profits count in full (a lower value, against the leaver).
///
/// The cap is rounded down, so either way the value moves against the LP.
pub fn capped_traders_pnl(pnl: i128, balance: u64, factor: u32, rounding: Rounding) -> MathResult<i128> {
    if factor == 0 {
        return Ok(pnl);
    }
    let cap = to_i128(mul_div_floor(u128::from(balance), u128::from(factor), u128::from(RATIO_ONE))?)?;
    Ok(match rounding {
        Rounding::Up => pnl.min(cap),
        Rounding::Down => pnl.max(-cap),
    })
}

/// What an LP flow values the pool at.
#[derive(Clone, Copy, Debug)]
pub struct LpValuation<'a> {
    /// Quote the pool owns, native units.
    pub balance: u64,
    /// Every market, marked (see [`conservative_mark_price`]).
    pub markets: &'a [MarketExposure],
    /// Each market's unsettled funding, same order (missing entries count as none).
    pub funding: &'a [MarketFunding],
    /// Bad debt recorded and not yet resolved, native units.
    pub unresolved_bad_debt: u64,
    /// Insurance fund balance: it pays bad debt before the pool does.
    pub insurance_balance: u64,
    /// [`capped_traders_pnl`]'s factor for this flow, ppm of balance (0: no cap).
    pub max_pnl_factor: u32,
}

/// Bad debt the pool will bear once resolved: what the insurance fund cannot cover.
pub fn expected_socialised_loss(unresolved_bad_debt: u64, insurance_balance: u64) -> u64 {
    unresolved_bad_debt.saturating_sub(insurance_balance)
}

/// The pool's value for an LP deposit (`Up`) or withdrawal (`Down`):
/// `balance − Σ capped traders' PnL + Σ unsettled funding − expected socialised loss`.
pub fn lp_pool_value(v: &LpValuation, rounding: Rounding) -> MathResult<i128> {
    let mut value = i128::from(v.balance);
    for (i, m) in v.markets.iter().enumerate() {
        let pnl = capped_traders_pnl(traders_unrealized_pnl(m, rounding)?, v.balance, v.max_pnl_factor, rounding)?;
        value = sub(value, pnl)?;
        if let Some(f) = v.funding.get(i) {
            value = add(value, traders_unsettled_funding(m, f, rounding)?)?;
        }
    }
    sub(value, i128::from(expected_socialised_loss(v.unresolved_bad_debt, v.insurance_balance)))
}

/// The first deposit into a pool with no shares at all, of `amount` into a pool already worth
/// `value` (fees or traders' losses earned before any LP): shares are priced one per quote
/// unit of the pool's value after the deposit; [`DEAD_SHARES`] plus the value already there go
/// to no one, so the depositor owns exactly `amount − DEAD_SHARES` of it and captures nothing.
/// Returns `(depositor's shares, dead shares)`. A pool worth less than nothing refuses
/// (`InvalidInput`): the first LP would inherit its deficit. A deposit not above
/// [`DEAD_SHARES`] mints nothing (`(0, 0)`: the caller refuses it).
pub fn lp_first_deposit(amount: u64, value: i128) -> MathResult<(u64, u64)> {
    if value < 0 {
        return Err(MathError::InvalidInput);
    }
    if amount <= DEAD_SHARES {
        return Ok((0, 0));
    }
    let dead =
        u64::try_from(value).map_err(|_| MathError::Overflow)?.checked_add(DEAD_SHARES).ok_or(MathError::Overflow)?;
    Ok((amount - DEAD_SHARES, dead))
}

/// A withdrawal of `shares` from a pool worth `value` with `supply` shares: the gross amount
/// (rounded down, [`lp_amount_for_shares`]), the fee kept by the pool for the LPs who stay
/// (`fee` ppm of gross, rounded up) and what is paid out. Returns `(paid, fee)`.
pub fn lp_withdrawal(shares: u64, value: i128, supply: u64, fee: u32) -> MathResult<(u64, u64)> {
    let gross = lp_amount_for_shares(shares, value, supply)?;
    let kept = mul_div_ceil(u128::from(gross), u128::from(fee), u128::from(RATIO_ONE))?;
    let kept = u64::try_from(kept).map_err(|_| MathError::Overflow)?.min(gross);
    Ok((gross - kept, kept))
}

/// The pool's depth for skew fees, funding and dynamic ratios at `slot`: its balance less what
/// LPs deposited in that same slot (a flash deposit does not dilute the trade it wraps).
pub fn pool_depth(balance: u64, deposit_slot: u64, deposited_in_slot: u64, slot: u64) -> u64 {
    if deposit_slot == slot {
        balance.saturating_sub(deposited_in_slot)
    } else {
        balance
    }
}
