//! Filling a trade against the pool: position update, realised PnL (funding and borrow fee
//! included), fee; settling PnL; the
//! largest trade initial margin allows.

use crate::fixed::*;
use crate::margin::{health, unsettled_funding};
use crate::types::*;

/// What a fill does to an account and to the pool on the other side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FillOutcome {
    /// The position after the fill (funding settled).
    pub position: PerpPosition,
    /// Quote that moves from the pool to the account's quote balance: realised PnL and settled
    /// funding (negative: from the account to the pool). The fee is separate.
    pub realized_pnl: i64,
    /// Quote value of the fill, `|Δbase| × price`, rounded against the trader.
    pub fill_quote: u64,
    /// Fee paid by the trader, `fill_quote × fee_rate`, rounded up.
    pub fee: u64,
}

/// Whether a trade of `delta` only reduces `base` (never grows it, never flips it).
#[inline]
pub fn is_reducing(base: i64, delta: i64) -> bool {
    delta != 0 && base != 0 && (base > 0) != (delta > 0) && delta.unsigned_abs() <= base.unsigned_abs()
}

/// Quote flow of trading `delta` base at `price`: buying pays `⌈Δ·p⌉` (negative), selling
/// receives `⌊|Δ|·p⌋`. Rounds against the trader.
#[inline]
pub fn fill_quote_flow(delta: i64, price: u64) -> MathResult<i128> {
    mul_div_signed_floor(-i128::from(delta), u128::from(price), PRICE_SCALE)
}

/// Applies a fill of `delta` base at `price` with `fee_rate` (ppm) to `pos` in `market`:
/// settles funding, realises PnL on the reduced part pro rata of the cost basis, and opens any
/// remainder at `price`.
pub fn apply_fill(
    pos: &PerpPosition,
    market: &PerpMarketRisk,
    delta: i64,
    price: u64,
    fee_rate: u32,
) -> MathResult<FillOutcome> {
    if price == 0 {
        return Err(MathError::InvalidInput);
    }
    let funding = unsettled_funding(pos, market)?;
    let mut next = *pos;
    let mut realized = -funding;
    let flow = fill_quote_flow(delta, price)?;
    if pos.base == 0 || (pos.base > 0) == (delta > 0) {
        next.base = pos.base.checked_add(delta).ok_or(MathError::Overflow)?;
        next.quote_entry = to_i64(add(i128::from(pos.quote_entry), flow)?)?;
    } else if delta.unsigned_abs() <= pos.base.unsigned_abs() {
        // Reduce: the closed share of the cost basis (rounded down, so the realised part is never
        // the larger) is realised against the fill.
        let share = mul_div_signed_floor(
            i128::from(pos.quote_entry),
            u128::from(delta.unsigned_abs()),
            u128::from(pos.base.unsigned_abs()),
        )?;
        realized = add(realized, add(share, flow)?)?;
        next.base = pos.base + delta;
        next.quote_entry = to_i64(sub(i128::from(pos.quote_entry), share)?)?;
    } else {
        // Flip: close everything, open the remainder on the other side.
        let close_flow = fill_quote_flow(-pos.base, price)?;
        let open = delta.checked_add(pos.base).ok_or(MathError::Overflow)?;
        let open_flow = fill_quote_flow(open, price)?;
        realized = add(realized, add(i128::from(pos.quote_entry), close_flow)?)?;
        next.base = open;
        next.quote_entry = to_i64(open_flow)?;
    }
    let fill_quote = mul_div_ceil(u128::from(delta.unsigned_abs()), u128::from(price), PRICE_SCALE)?;
    let fee = mul_div_ceil(fill_quote, u128::from(fee_rate), u128::from(RATIO_ONE))?;
    // Settled to the old side's index; the position now owes from its (new) side's index on.
    next.funding_snapshot = market.position_index(next.base)?;
    Ok(FillOutcome {
        position: next,
        realized_pnl: to_i64(realized)?,
        fill_quote: u64::try_from(fill_quote).map_err(|_| MathError::Overflow)?,
        fee: u64::try_from(fee).map_err(|_| MathError::Overflow)?,
    })
}

/// Moves a position's whole unrealised PnL (at the oracle price, funding included) into
/// realised: returns the realised amount and the position left with zero PnL. Equity is
/// conserved exactly.
pub fn settle_pnl(pos: &PerpPosition, market: &PerpMarketRisk) -> MathResult<(i64, PerpPosition)> {
    let funding = unsettled_funding(pos, market)?;
    let value = crate::margin::base_value(pos.base, market.price.oracle)?;
    let pnl = add(value, i128::from(pos.quote_entry))?;
    let next = PerpPosition {
        base: pos.base,
        quote_entry: to_i64(-value)?,
        funding_snapshot: market.position_index(pos.base)?,
    };
    Ok((to_i64(sub(pnl, funding)?)?, next))
}

/// Largest multiple of `step` base units the account can trade in the direction of `sign(side)`
/// on perp `index` at `price` with `fee_rate`, such that the trade is allowed: either it only
/// reduces the position, or the account meets initial margin after it.
pub fn max_trade_size(
    account: &RiskAccount,
    index: usize,
    buy: bool,
    price: u64,
    fee_rate: u32,
    step: u64,
) -> MathResult<u64> {
    let e = account.perps.get(index).ok_or(MathError::InvalidInput)?;
    if step == 0 || price == 0 {
        return Err(MathError::InvalidInput);
    }
    let sign = if buy { 1i64 } else { -1 };
    let base = e.position.base;
    // Pure reduction is always allowed.
    let reducible = if (base > 0) != buy && base != 0 { base.unsigned_abs() / step } else { 0 };
    let mut perps = account.perps.to_vec();
    let mut allowed = |steps: u64| -> MathResult<bool> {
        let delta =
            i64::try_from(steps.checked_mul(step).ok_or(MathError::Overflow)?).map_err(|_| MathError::Overflow)? * sign;
        if is_reducing(base, delta) {
            return Ok(true);
        }
        let fill = apply_fill(&e.position, &e.market, delta, price, fee_rate)?;
        perps[index].position = fill.position;
        let quote =
            i64::try_from(i128::from(account.quote_balance) + i128::from(fill.realized_pnl) - i128::from(fill.fee))
                .map_err(|_| MathError::Overflow)?;
        let after = RiskAccount { quote_balance: quote, perps: &perps, ..*account };
        Ok(health(&after, MarginKind::Initial)?.is_met())
    };
    // Exponential search for an upper bound, then bisection; sizes past what fits i64 stop it.
    let mut lo = reducible;
    let mut hi = lo.max(1);
    loop {
        match allowed(hi) {
            Ok(true) => {
                lo = hi;
                hi = match hi.checked_mul(2) {
                    Some(h) if h.checked_mul(step).is_some_and(|b| b <= i64::MAX as u64) => h,
                    _ => return Ok(lo * step),
                };
            }
            Ok(false) | Err(MathError::Overflow) => break,
            Err(e) => return Err(e),
        }
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        match allowed(mid) {
            Ok(true) => lo = mid,
            Ok(false) | Err(MathError::Overflow) => hi = mid,
            Err(e) => return Err(e),
        }
    }
    Ok(lo * step)
}
