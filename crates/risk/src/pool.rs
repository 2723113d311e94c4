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
//! ## Winners are always paid: the PnL cap and auto-deleveraging
//!
//! One quote pool backs every market, so its cash is split between them: market `m` may owe its
//! winners at most `cap_m = max_pnl_factor_m × pool balance` (ppm, rounded down), and the
//! exchange refuses factors whose sum exceeds 100%. Winners' profit in a market is
//! [`market_profit`]: `Σ over sides max(side PnL at oracle, 0)` from the market's open-interest
//! sums (funding left out: it is not in the sums). When it exceeds the cap, every positive PnL in
//! the market counts and is paid at `h = cap / profit` ([`pnl_haircut`], [`apply_haircut`],
//! rounded down, against the trader); losses are untouched. One payment is also never more than
//! `cap` itself (a winner whose side nets against losers on the same side can hold more than the
//! side's profit). So a close, a liquidation or a settlement pays at most `cap ≤ pool balance`:
//! it never fails for lack of pool cash, and it pays the full profit or exactly the capped share.
//! The cap is on cash, not on pool value (which counts traders' PnL), so it is not circular.
//!
//! Auto-deleveraging ([`plan_auto_deleverage`]) closes a winner at the oracle price, paid with
//! the haircut, while `profit / pool balance` ([`pnl_ratio`]) is above a market's threshold,
//! never below its floor.

use crate::fixed::*;
use crate::trade::{apply_fill, FillOutcome};
use crate::types::{PerpMarketRisk, PerpPosition};

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
    /// Cumulative borrow-fee index accrued to now, `FUNDING_SCALE`: longs settle against
    /// `index + borrow`, shorts against `index − borrow` (`PerpMarketRisk::position_index`).
    pub borrow: i128,
    /// Σ base × funding snapshot over long positions, base native × `FUNDING_SCALE`.
    pub long_snapshots: i128,
    /// Σ |base| × funding snapshot over short positions.
    pub short_snapshots: i128,
}

/// Funding and borrow fees traders in one market owe the pool and have not settled (negative:
/// the pool owes them): `Σ base × (side index − snapshot) / FUNDING_SCALE`
/// `= (index × (long − short) + borrow × (long + short) − (long_snapshots − short_snapshots))
/// / FUNDING_SCALE`,
/// rounded so that the pool's value rounds the way `pool_rounding` asks. Each position settles
/// its own share rounded against it (up), so the pool collects at least this.
pub fn traders_unsettled_funding(m: &MarketExposure, f: &MarketFunding, pool_rounding: Rounding) -> MathResult<i128> {
    let net = i128::from(m.long_base) - i128::from(m.short_base);
    let gross = i128::from(m.long_base) + i128::from(m.short_base);
    let accrued = add(
        net.checked_mul(f.index).ok_or(MathError::Overflow)?,
        gross.checked_mul(f.borrow).ok_or(MathError::Overflow)?,
    )?;
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

/// A market's PnL cap as it applies to its winners: they are owed `profit` in all and paid `paid`
/// of it (`min(profit, cap)`), and no one payment exceeds `cap` (quote native units).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PnlHaircut {
    /// What the market's winners would be paid together.
    pub paid: u128,
    /// Winners' profit in the market ([`market_profit`]).
    pub profit: u128,
    /// `max_pnl_factor × pool balance`.
    pub cap: u128,
}

impl PnlHaircut {
    /// No cap: every profit counts and is paid in full.
    pub const NONE: Self = Self { paid: 0, profit: 0, cap: u128::MAX };

    /// Whether winners are paid less than their profit.
    pub fn is_haircut(&self) -> bool {
        self.paid < self.profit
    }
}

impl Default for PnlHaircut {
    fn default() -> Self {
        Self::NONE
    }
}

/// Winners' profit in one market: `Σ over sides max(side PnL, 0)`, each side's PnL
/// `base × price + Σ quote_entry` rounded up (against the trader: a larger profit is a deeper
/// haircut). Funding is not in the market's sums and is left out.
pub fn market_profit(m: &MarketExposure) -> MathResult<u128> {
    let price = u128::from(m.price);
    let long =
        add(to_i128(mul_div_ceil(u128::from(m.long_base), price, PRICE_SCALE)?)?, i128::from(m.long_quote_entry))?;
    let short =
        sub(i128::from(m.short_quote_entry), to_i128(mul_div_floor(u128::from(m.short_base), price, PRICE_SCALE)?)?)?;
    Ok(long.max(0).unsigned_abs() + short.max(0).unsigned_abs())
}

/// The haircut of a market whose winners hold `profit` under `max_pnl_factor` (ppm of
/// `pool_balance`; 0: no cap): `cap = ⌊balance × factor⌋`, `paid = min(profit, cap)`.
pub fn pnl_haircut(profit: u128, max_pnl_factor: u32, pool_balance: u64) -> MathResult<PnlHaircut> {
    if max_pnl_factor == 0 {
        return Ok(PnlHaircut { profit, paid: profit, cap: u128::MAX });
    }
    let cap = mul_div_floor(u128::from(pool_balance), u128::from(max_pnl_factor), u128::from(RATIO_ONE))?;
    Ok(PnlHaircut { paid: profit.min(cap), profit, cap })
}

/// `pnl` as the cap counts and pays it: a gain scaled by `paid / profit` (rounded down) and at
/// most `cap`; a loss unchanged.
pub fn apply_haircut(pnl: i128, h: &PnlHaircut) -> MathResult<i128> {
    if pnl <= 0 {
        return Ok(pnl);
    }
    let gain = pnl.unsigned_abs();
    let scaled = if h.paid < h.profit { mul_div_floor(gain, h.paid, h.profit)? } else { gain };
    to_i128(scaled.min(h.cap))
}

/// Winners' profit against the pool's cash, ppm, rounded up (`u64::MAX` for a profit against an
/// empty pool): the ratio auto-deleveraging reads.
pub fn pnl_ratio(profit: u128, pool_balance: u64) -> MathResult<u64> {
    if profit == 0 {
        return Ok(0);
    }
    if pool_balance == 0 {
        return Ok(u64::MAX);
    }
    let r = mul_div_ceil(profit, u128::from(RATIO_ONE), u128::from(pool_balance))?;
    Ok(u64::try_from(r).unwrap_or(u64::MAX))
}

/// `exposure` with `old` replaced by `new` in its sums (as the market account updates them).
pub fn replace_position(
    exposure: &MarketExposure,
    old: &PerpPosition,
    new: &PerpPosition,
) -> MathResult<MarketExposure> {
    let mut e = *exposure;
    for (p, sign) in [(old, -1i128), (new, 1i128)] {
        let base = i128::from(p.base.unsigned_abs()) * sign;
        let entry = i128::from(p.quote_entry) * sign;
        if p.base > 0 {
            e.long_base = u64::try_from(i128::from(e.long_base) + base).map_err(|_| MathError::InvalidInput)?;
            e.long_quote_entry = to_i64(add(i128::from(e.long_quote_entry), entry)?)?;
        } else if p.base < 0 {
            e.short_base = u64::try_from(i128::from(e.short_base) + base).map_err(|_| MathError::InvalidInput)?;
            e.short_quote_entry = to_i64(add(i128::from(e.short_quote_entry), entry)?)?;
        }
    }
    Ok(e)
}

/// An auto-deleveraging close.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdlPlan {
    /// Base closed (opposite the position's sign; 0: no close keeps the ratio at or above the
    /// floor).
    pub base_delta: i64,
    /// The fill at the oracle price, no fee, its realised PnL haircut.
    pub fill: FillOutcome,
    /// [`pnl_ratio`] of the market before and after.
    pub ratio_before: u64,
    pub ratio_after: u64,
}

/// The largest close of `pos` (multiples of `step`, the last step closing what is left) at the
/// oracle price of `market` (whose `pnl_haircut` is the market's now) that leaves the market's
/// [`pnl_ratio`] at or above `floor`: the market's sums `exposure` and the pool's `pool_balance`
/// move by the close and its payment. `base_delta == 0` when even one step would go below it.
pub fn plan_auto_deleverage(
    pos: &PerpPosition,
    market: &PerpMarketRisk,
    exposure: &MarketExposure,
    pool_balance: u64,
    floor: u32,
    step: u64,
) -> MathResult<AdlPlan> {
    if pos.base == 0 || step == 0 {
        return Err(MathError::InvalidInput);
    }
    let price = market.price.oracle;
    let exposure = MarketExposure { price, ..*exposure };
    let ratio_before = pnl_ratio(market_profit(&exposure)?, pool_balance)?;
    let abs = pos.base.unsigned_abs();
    let close_of = |k: u64| k.saturating_mul(step).min(abs);
    let evaluate = |close: u64| -> MathResult<AdlPlan> {
        let delta = -pos.base.signum() * i64::try_from(close).map_err(|_| MathError::Overflow)?;
        let fill = apply_fill(pos, market, delta, price, 0)?;
        let after = replace_position(&exposure, pos, &fill.position)?;
        let balance =
            u64::try_from(i128::from(pool_balance) - i128::from(fill.realized_pnl)).map_err(|_| MathError::Overflow)?;
        let ratio_after = pnl_ratio(market_profit(&after)?, balance)?;
        Ok(AdlPlan { base_delta: delta, fill, ratio_before, ratio_after })
    };
    let steps = abs.div_ceil(step);
    let all = evaluate(abs)?;
    if all.ratio_after >= u64::from(floor) {
        return Ok(all);
    }
    // The ratio falls as the close grows: the first close below the floor, then one step less.
    let below = crate::liquidation::least_ok(0, steps, |k| Ok(evaluate(close_of(k))?.ratio_after < u64::from(floor)))?;
    if below <= 1 {
        let none = PerpPosition { ..*pos };
        let fill = FillOutcome { position: none, realized_pnl: 0, fill_quote: 0, fee: 0 };
        return Ok(AdlPlan { base_delta: 0, fill, ratio_before, ratio_after: ratio_before });
    }
    evaluate(close_of(below - 1))
}

/// Auto-deleveraging rank of a position (higher goes first), as Hyperliquid ranks: its PnL ratio
/// (`pnl / |quote_entry|`, ppm) × its account's leverage (`notional / equity`, ppm), over ppm.
/// A position not winning ranks 0; an account with no equity left ranks at leverage `u64::MAX`.
pub fn adl_score(pnl: i128, quote_entry: i64, notional: i128, equity: i128) -> u128 {
    if pnl <= 0 {
        return 0;
    }
    let one = u128::from(RATIO_ONE);
    let basis = u128::from(quote_entry.unsigned_abs()).max(1);
    let ratio = pnl.unsigned_abs().saturating_mul(one) / basis;
    let leverage = if equity <= 0 {
        u128::from(u64::MAX)
    } else {
        notional.max(0).unsigned_abs().saturating_mul(one) / equity.unsigned_abs()
    };
    ratio.saturating_mul(leverage) / one
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
