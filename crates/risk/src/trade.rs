//! Filling a trade against the pool: position update, realised PnL (funding and borrow fee
//! included), fee; settling PnL; the
//! largest trade initial margin allows.

use crate::fixed::*;
use crate::margin::{health, unsettled_funding};
use crate::pool::apply_haircut;
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
    // A gain is paid through the market's PnL cap; the rest stays with the pool.
    let realized = apply_haircut(realized, &market.pnl_haircut)?;
    Ok(FillOutcome {
        position: next,
        realized_pnl: to_i64(realized)?,
        fill_quote: u64::try_from(fill_quote).map_err(|_| MathError::Overflow)?,
        fee: u64::try_from(fee).map_err(|_| MathError::Overflow)?,
    })
}

/// Moves a position's whole unrealised PnL (at the oracle price, funding included, a gain
/// through the market's PnL cap) into realised: returns the realised amount and the position
/// left with zero PnL. Equity is conserved exactly.
pub fn settle_pnl(pos: &PerpPosition, market: &PerpMarketRisk) -> MathResult<(i64, PerpPosition)> {
    let funding = unsettled_funding(pos, market)?;
    let value = crate::margin::base_value(pos.base, market.price.oracle)?;
    let pnl = add(value, i128::from(pos.quote_entry))?;
    let next = PerpPosition {
        base: pos.base,
        quote_entry: to_i64(-value)?,
        funding_snapshot: market.position_index(pos.base)?,
    };
    Ok((to_i64(apply_haircut(sub(pnl, funding)?, &market.pnl_haircut)?)?, next))
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

// ---------------------------------------------------------------- latency-safe fill prices
//
// Anyone may post a newer oracle update, so a trader who sees the next price first could buy at
// the on-chain price and sell at the next one, taking the move from the pool. Immediate fills
// are therefore priced at the oracle ± a spread that covers what the price can move within the
// oldest price a fill accepts (`max_fill_age`), and the second leg of a round trip within one
// slot fills at the worse of the slot's observations. A round trip whose legs see prices `p0`
// then `p1 = p0 (1 + m)` earns at most `m − s_open − s_close − 2 × fee` per unit notional:
// nothing in one slot (the close fills at `p0 (1 − s)`), nothing across slots while
// `m ≤ s_open + s_close + 2 × fee`.

/// Largest fill spread, ppm (50%): a sell is then still filled at a positive price.
pub const MAX_FILL_SPREAD: u32 = 500_000;

/// Spread of an immediate fill against the pool, ppm, rounded up:
/// `max(min_spread, conf / price, z × σ × √max_fill_age)`, with `conf_ratio` the oracle's
/// confidence over its price (ppm), `spread_z` the multiplier z (ppm: 3.0 = 3,000,000) and
/// `variance` the market's EWMA variance σ² (ppm² per second, as [`crate::dynamic`]). Capped at
/// [`MAX_FILL_SPREAD`].
pub fn fill_spread(
    min_spread: u32,
    conf_ratio: u64,
    spread_z: u32,
    variance: u64,
    max_fill_age: u32,
) -> MathResult<u32> {
    let sigma_t = isqrt_ceil(u128::from(variance) * u128::from(max_fill_age));
    let vol = mul_div_ceil(u128::from(spread_z), sigma_t, u128::from(RATIO_ONE))?;
    let s = vol.max(u128::from(conf_ratio)).max(u128::from(min_spread));
    Ok(s.min(u128::from(MAX_FILL_SPREAD)) as u32)
}

/// Confidence over price, ppm, rounded up (`price > 0`).
pub fn conf_ratio(conf: u64, price: u64) -> MathResult<u64> {
    if price == 0 {
        return Err(MathError::InvalidInput);
    }
    let r = mul_div_ceil(u128::from(conf), u128::from(RATIO_ONE), u128::from(price))?;
    Ok(u64::try_from(r).unwrap_or(u64::MAX))
}

/// The price an immediate fill gets, engine units, rounded against the trader: a buy pays
/// `⌈max(oracle, slot_high) × (1 + spread)⌉`, a sell receives
/// `⌊min(oracle, slot_low) × (1 − spread)⌋`, where `slot_low` and `slot_high` are the lowest and
/// highest oracle prices the market has observed in the current slot (0: none). A second leg in
/// the same slot thus fills at the worse of the two observations.
pub fn fill_price(buy: bool, oracle: u64, slot_low: u64, slot_high: u64, spread: u32) -> MathResult<u64> {
    if oracle == 0 || spread > MAX_FILL_SPREAD {
        return Err(MathError::InvalidInput);
    }
    let one = u128::from(RATIO_ONE);
    let p = if buy {
        mul_div_ceil(u128::from(oracle.max(slot_high)), one + u128::from(spread), one)?
    } else {
        let reference = if slot_low == 0 { oracle } else { oracle.min(slot_low) };
        mul_div_floor(u128::from(reference), one - u128::from(spread), one)?
    };
    match u64::try_from(p) {
        Ok(p) if p > 0 => Ok(p),
        Ok(_) => Err(MathError::InvalidInput),
        Err(_) => Err(MathError::Overflow),
    }
}
