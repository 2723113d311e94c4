//! Equity, margin requirements, leverage and health state.
//!
//! Equity (quote native units) =
//!   Σ collateral `amount × asset price × asset weight`      (rounded down)
//! + quote balance (debt × liability weight, rounded up)
//! + Σ unrealised PnL, net of unsettled funding               (rounded down;
//!   for initial margin a gain counts at `unrealized_pnl_init_weight`).
//!
//! Requirement = Σ `|base| × price × ratio`, ratio = margin ratio + `imf × √|base in whole units|`,
//! capped at 100% (rounded up).
//!
//! Initial margin values assets at `min(oracle, ema)` and liabilities at `max(oracle, ema)`;
//! maintenance uses the oracle price.

use crate::fixed::*;
use crate::pool::apply_haircut;
use crate::portfolio::Exposures;
use crate::types::*;

/// Equity against requirement for one kind of margin, both in quote native units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Health {
    /// Risk-weighted equity.
    pub equity: i128,
    /// Margin requirement.
    pub requirement: i128,
}

impl Health {
    /// `equity − requirement`; the account meets this margin when it is ≥ 0.
    #[inline]
    pub fn free_collateral(&self) -> i128 {
        self.equity - self.requirement
    }

    /// Whether equity covers the requirement.
    #[inline]
    pub fn is_met(&self) -> bool {
        self.equity >= self.requirement
    }
}

/// Where an account stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum HealthState {
    /// Initial margin met: may open risk and withdraw.
    Healthy = 0,
    /// Between maintenance and initial: may only reduce risk.
    Restricted = 1,
    /// Below maintenance: liquidatable.
    MarginCall = 2,
    /// Equity at full value below zero: the account owes more than it holds.
    Bankrupt = 3,
}

/// Everything a trader or keeper wants to know about an account at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountHealth {
    pub init: Health,
    pub maint: Health,
    /// Account equity: every holding at its full oracle value, PnL in full, debt at face.
    pub equity: i128,
    /// Σ |base| × oracle price over positions, quote native units (rounded up).
    pub notional: i128,
    /// Effective leverage = notional / equity, ppm; `None` when equity ≤ 0 under open positions.
    pub leverage: Option<u64>,
    pub state: HealthState,
}

/// Value of a collateral balance for `kind`: `amount × price × weight`, rounded down.
#[inline]
pub fn collateral_value(c: &Collateral, kind: MarginKind) -> MathResult<i128> {
    let v = u128::from(c.amount) * u128::from(c.price.asset(kind));
    to_i128(mul_div_floor(v, u128::from(c.weight(kind)), PRICE_SCALE * u128::from(RATIO_ONE))?)
}

/// Contribution of the quote balance: itself when positive, debt × liability weight (rounded
/// up) when negative.
#[inline]
pub fn quote_value(quote_balance: i64, params: &AccountParams, kind: MarginKind) -> MathResult<i128> {
    if quote_balance >= 0 {
        return Ok(i128::from(quote_balance));
    }
    let debt = mul_div_ceil(
        u128::from(quote_balance.unsigned_abs()),
        u128::from(params.quote_liability_weight(kind)),
        u128::from(RATIO_ONE),
    )?;
    Ok(-to_i128(debt)?)
}

/// Funding and borrow fee the position owes and has not settled (negative: is owed), rounded
/// against it: `base × (position_index(base) − snapshot)`.
#[inline]
pub fn unsettled_funding(pos: &PerpPosition, market: &PerpMarketRisk) -> MathResult<i128> {
    let delta = sub(market.position_index(pos.base)?, pos.funding_snapshot)?;
    if delta == 0 || pos.base == 0 {
        return Ok(0);
    }
    let owed = checked_mul_i128(i128::from(pos.base), delta).ok_or(MathError::Overflow)?;
    mul_div_signed_ceil(owed, 1, FUNDING_SCALE)
}

/// `base × price`, rounded down: what the position is worth at `price` (negative for shorts).
#[inline]
pub fn base_value(base: i64, price: u64) -> MathResult<i128> {
    mul_div_signed_floor(i128::from(base), u128::from(price), PRICE_SCALE)
}

/// Unrealised PnL at the price `kind` calls for (before the PnL weight), net of unsettled funding,
/// a gain through the market's PnL cap ([`crate::pool::apply_haircut`]).
#[inline]
pub fn unrealized_pnl(pos: &PerpPosition, market: &PerpMarketRisk, kind: MarginKind) -> MathResult<i128> {
    apply_haircut(uncapped_pnl(pos, market, kind)?, &market.pnl_haircut)
}

/// [`unrealized_pnl`] before the PnL cap.
#[inline]
pub fn uncapped_pnl(pos: &PerpPosition, market: &PerpMarketRisk, kind: MarginKind) -> MathResult<i128> {
    let price = if pos.base >= 0 { market.price.asset(kind) } else { market.price.liability(kind) };
    let pnl = add(base_value(pos.base, price)?, i128::from(pos.quote_entry))?;
    sub(pnl, unsettled_funding(pos, market)?)
}

/// `|base| × price`, rounded up, at the liability price for `kind`.
#[inline]
pub fn position_notional(base: i64, market: &PerpMarketRisk, kind: MarginKind) -> MathResult<i128> {
    to_i128(mul_div_ceil(u128::from(base.unsigned_abs()), u128::from(market.price.liability(kind)), PRICE_SCALE)?)
}

/// Margin ratio for a position of `base`, ppm: the market's ratio plus the size premium
/// `imf × √(|base| in whole units)` (rounded up), capped at 100%.
#[inline]
pub fn margin_ratio(base: i64, market: &PerpMarketRisk, kind: MarginKind) -> MathResult<u64> {
    let ratio = u64::from(market.margin_ratio(kind));
    if market.imf == 0 || base == 0 {
        return Ok(ratio.min(RATIO_ONE));
    }
    Ok(ratio.saturating_add(size_premium(base, market)?).min(RATIO_ONE))
}

/// `imf × √(|base| / 10^base_decimals)`, ppm, rounded up.
#[inline]
pub fn size_premium(base: i64, market: &PerpMarketRisk) -> MathResult<u64> {
    // √(|base| / 10^d) in millionths = √(|base| × 10^(12 − d)).
    let abs = u128::from(base.unsigned_abs());
    let d = u32::from(market.base_decimals);
    let scaled = if d <= 12 {
        checked_mul_u128(abs, pow10_u128(12 - d).ok_or(MathError::Overflow)?).ok_or(MathError::Overflow)?
    } else {
        abs.div_ceil(pow10_u128(d.min(38) - 12).ok_or(MathError::Overflow)?)
    };
    let root_ppm = isqrt_ceil(scaled);
    let premium = mul_div_ceil(u128::from(market.imf), root_ppm, u128::from(RATIO_ONE))?;
    Ok(u64::try_from(premium).unwrap_or(u64::MAX))
}

/// Margin requirement of one position for `kind`: `|base| × price × ratio`, rounded up.
#[inline]
pub fn position_requirement(base: i64, market: &PerpMarketRisk, kind: MarginKind) -> MathResult<i128> {
    if base == 0 {
        return Ok(0);
    }
    let ratio = margin_ratio(base, market, kind)?;
    let v = u128::from(base.unsigned_abs()) * u128::from(market.price.liability(kind));
    to_i128(mul_div_ceil(v, u128::from(ratio), PRICE_SCALE * u128::from(RATIO_ONE))?)
}

/// Unrealised PnL as equity counts it: gains at `unrealized_pnl_init_weight` for initial margin.
#[inline]
pub fn weighted_pnl(pnl: i128, params: &AccountParams, kind: MarginKind) -> MathResult<i128> {
    if pnl <= 0 || kind == MarginKind::Maintenance || params.unrealized_pnl_init_weight as u64 == RATIO_ONE {
        return Ok(pnl);
    }
    to_i128(mul_div_floor(pnl.unsigned_abs(), u128::from(params.unrealized_pnl_init_weight), u128::from(RATIO_ONE))?)
}

/// Risk-weighted equity for `kind`.
pub fn equity(account: &RiskAccount, kind: MarginKind) -> MathResult<i128> {
    Ok(health(account, kind)?.equity)
}

/// Margin requirement for `kind`.
pub fn requirement(account: &RiskAccount, kind: MarginKind) -> MathResult<i128> {
    let mut total = 0i128;
    for e in account.perps {
        total = add(total, position_requirement(e.position.base, &e.market, kind)?)?;
    }
    Ok(total)
}

/// Equity and requirement for `kind` in one pass: the margin check.
pub fn health(account: &RiskAccount, kind: MarginKind) -> MathResult<Health> {
    let label = kind_label(kind, "cross health (initial)", "cross health (maintenance)");
    crate::profile::begin(label);
    let mut equity = quote_value(account.quote_balance, &account.params, kind)?;
    for c in account.collateral {
        equity = add(equity, collateral_value(c, kind)?)?;
    }
    let mut requirement = 0i128;
    for e in account.perps {
        let pnl = unrealized_pnl(&e.position, &e.market, kind)?;
        equity = add(equity, weighted_pnl(pnl, &account.params, kind)?)?;
        requirement = add(requirement, position_requirement(e.position.base, &e.market, kind)?)?;
    }
    crate::profile::end(label);
    Ok(Health { equity, requirement })
}

/// `init.free_collateral()`: what the account can still commit to new risk.
pub fn free_collateral(account: &RiskAccount) -> MathResult<i128> {
    Ok(health(account, MarginKind::Initial)?.free_collateral())
}

/// Σ |base| × oracle price, rounded up.
pub fn total_notional(account: &RiskAccount) -> MathResult<i128> {
    crate::profile::begin("notional");
    let mut total = 0i128;
    for e in account.perps {
        total = add(total, position_notional(e.position.base, &e.market, MarginKind::Maintenance)?)?;
    }
    crate::profile::end("notional");
    Ok(total)
}

/// The profile label of `kind` (`crate::profile`).
#[inline(always)]
pub(crate) fn kind_label(kind: MarginKind, initial: &'static str, maintenance: &'static str) -> &'static str {
    match kind {
        MarginKind::Initial => initial,
        MarginKind::Maintenance => maintenance,
    }
}

/// Effective leverage = notional / equity, ppm, rounded up. `None` when equity ≤ 0 while
/// positions are open (unbounded); zero when nothing is open.
pub fn effective_leverage(notional: i128, equity: i128) -> MathResult<Option<u64>> {
    if notional <= 0 {
        return Ok(Some(0));
    }
    if equity <= 0 {
        return Ok(None);
    }
    let lev = mul_div_ceil(notional.unsigned_abs(), u128::from(RATIO_ONE), equity.unsigned_abs())?;
    Ok(Some(u64::try_from(lev).map_err(|_| MathError::Overflow)?))
}

/// Equity at full value: collateral at oracle without haircut, debt at face, PnL in full. What
/// the account would be worth if everything were closed at the oracle price.
pub fn raw_equity(account: &RiskAccount) -> MathResult<i128> {
    crate::profile::begin("equity at full value");
    let mut equity = i128::from(account.quote_balance);
    for c in account.collateral {
        let v = u128::from(c.amount) * u128::from(c.price.oracle);
        equity = add(equity, to_i128(div_rem_u128(v, PRICE_SCALE).0)?)?;
    }
    for e in account.perps {
        equity = add(equity, unrealized_pnl(&e.position, &e.market, MarginKind::Maintenance)?)?;
    }
    crate::profile::end("equity at full value");
    Ok(equity)
}

/// Healthy ≥ IM; Restricted between MM and IM; MarginCall below MM; Bankrupt when equity (at
/// full value, [`raw_equity`]) is below zero.
pub fn health_state(init: &Health, maint: &Health, equity: i128) -> HealthState {
    if equity < 0 {
        HealthState::Bankrupt
    } else if !maint.is_met() {
        HealthState::MarginCall
    } else if !init.is_met() {
        HealthState::Restricted
    } else {
        HealthState::Healthy
    }
}

/// The full picture: both margins, notional, leverage and state.
///
/// `account_health_with(account, health(Initial), health(Maintenance))` to the unit, in one
/// pass (issue 15): a position's unsettled funding, size premium and maintenance PnL (which
/// equity at full value counts too) are computed once instead of two or three times. Every
/// term and every sum is the one the separate functions compute, in the same order; they can
/// only fail by overflow, so both fail together (`tests/fast_paths.rs`).
pub fn account_health(account: &RiskAccount) -> MathResult<AccountHealth> {
    account_health_pass::<0>(account, (&[], &[]))?.health()
}

/// The sums of [`account_health`]'s pass and, for portfolio margin, both kinds' exposures
/// (`[initial, maintenance]`): what a liquidation updates for the account after it instead of
/// summing every holding again ([`HealthSums::replace`]).
/// `K` = 2 with the exposures, 0 without (cross: nothing to zero or copy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthSums<const K: usize = 2> {
    pub init: Health,
    pub maint: Health,
    /// Equity at full value.
    pub raw: i128,
    pub notional: i128,
    pub exposures: [Exposures; K],
}

/// One position's terms in the sums: PnL for initial (weighted) and maintenance margin, both
/// requirements (size premium once), notional.
#[derive(Clone, Copy, Debug)]
struct PerpTerms {
    pnl_init: i128,
    pnl_maint: i128,
    req: [i128; 2],
    notional: i128,
    long: bool,
}

impl PerpTerms {
    /// `e`'s terms (its funding, size premium and maintenance PnL computed once).
    #[inline(always)]
    fn of(e: &PerpExposure, params: &AccountParams) -> MathResult<PerpTerms> {
        use MarginKind::{Initial, Maintenance};
        let (pos, market) = (&e.position, &e.market);
        let funding = unsettled_funding(pos, market)?;
        let pnl = |kind| -> MathResult<i128> {
            let price = if pos.base >= 0 { market.price.asset(kind) } else { market.price.liability(kind) };
            let uncapped = sub(add(base_value(pos.base, price)?, i128::from(pos.quote_entry))?, funding)?;
            apply_haircut(uncapped, &market.pnl_haircut)
        };
        let pnl_maint = pnl(Maintenance)?;
        let pnl_init = weighted_pnl(pnl(Initial)?, params, Initial)?;
        let mut req = [0, 0];
        if pos.base != 0 {
            let premium = if market.imf == 0 { 0 } else { size_premium(pos.base, market)? };
            req = [
                requirement_at(pos.base, market, Initial, premium)?,
                requirement_at(pos.base, market, Maintenance, premium)?,
            ];
        }
        let notional = position_notional(pos.base, market, Maintenance)?;
        Ok(PerpTerms { pnl_init, pnl_maint, req, notional, long: pos.base >= 0 })
    }

    /// `crate::perp_risk` for kind `k` (0 initial, 1 maintenance): the requirement, signed.
    fn risk(&self, k: usize) -> i128 {
        if self.long {
            self.req[k]
        } else {
            -self.req[k]
        }
    }
}

impl<const K: usize> HealthSums<K> {
    /// Nothing summed yet.
    #[inline(always)]
    fn zero() -> Self {
        let zero = Health::default();
        HealthSums { init: zero, maint: zero, raw: 0, notional: 0, exposures: [Exposures::default(); K] }
    }

    /// The same sums with both kinds' exposures (zero when these carry none).
    pub fn widen(&self) -> HealthSums<2> {
        let mut exposures = [Exposures::default(); 2];
        for (e, mine) in exposures.iter_mut().zip(&self.exposures) {
            *e = *mine;
        }
        HealthSums { init: self.init, maint: self.maint, raw: self.raw, notional: self.notional, exposures }
    }

    /// The full picture from the sums (cross margin).
    #[inline(always)]
    pub fn health(&self) -> MathResult<AccountHealth> {
        let (init, maint, raw, notional) = (self.init, self.maint, self.raw, self.notional);
        Ok(AccountHealth {
            init,
            maint,
            equity: raw,
            notional,
            leverage: effective_leverage(notional, raw)?,
            state: health_state(&init, &maint, raw),
        })
    }

    /// Adds the quote balance `q`'s terms (takes them out with `out`).
    #[inline(always)]
    fn quote(&mut self, q: i64, params: &AccountParams, out: bool) -> MathResult<()> {
        let terms = [quote_value(q, params, MarginKind::Initial)?, quote_value(q, params, MarginKind::Maintenance)?];
        self.init.equity = step(self.init.equity, terms[0], out)?;
        self.maint.equity = step(self.maint.equity, terms[1], out)?;
        self.raw = step(self.raw, i128::from(q), out)?;
        Ok(())
    }

    /// Adds a position's terms and its exposures on `asset` (takes them out with `out`).
    #[inline(always)]
    fn perp(&mut self, t: &PerpTerms, asset: Option<u8>, out: bool) -> MathResult<()> {
        self.init.equity = step(self.init.equity, t.pnl_init, out)?;
        self.maint.equity = step(self.maint.equity, t.pnl_maint, out)?;
        self.raw = step(self.raw, t.pnl_maint, out)?;
        self.init.requirement = step(self.init.requirement, t.req[0], out)?;
        self.maint.requirement = step(self.maint.requirement, t.req[1], out)?;
        self.notional = step(self.notional, t.notional, out)?;
        if let Some(a) = asset {
            for k in 0..K {
                if out {
                    self.exposures[k].remove(a, t.risk(k))?;
                } else {
                    self.exposures[k].add(a, t.risk(k))?;
                }
            }
        }
        Ok(())
    }

    /// The sums of the account with its quote balance `from` → `to` and one position `old` →
    /// `new` (on `asset` when the sums carry exposures): the old terms out, the new ones in.
    /// Integer sums, so the same as the pass over the changed account, to the unit
    /// (`tests/fast_paths.rs`); one position's terms instead of every holding's.
    pub fn replace(
        &self,
        params: &AccountParams,
        (from, to): (i64, i64),
        (old, new): (&PerpExposure, &PerpExposure),
        asset: Option<u8>,
    ) -> MathResult<HealthSums<K>> {
        let mut s = *self;
        s.quote(from, params, true)?;
        s.quote(to, params, false)?;
        s.perp(&PerpTerms::of(old, params)?, asset, true)?;
        s.perp(&PerpTerms::of(new, params)?, asset, false)?;
        Ok(s)
    }
}

/// `x + v`, or `x − v` with `out`.
#[inline(always)]
fn step(x: i128, v: i128, out: bool) -> MathResult<i128> {
    if out {
        sub(x, v)
    } else {
        add(x, v)
    }
}

/// [`account_health`]'s pass; with `K` = 2 also both kinds' exposures from the same values, each
/// holding on its asset in `assets` (collateral, perps; as [`crate::exposures`] takes them), for
/// portfolio margin. Inlined into its callers; the cross one (`K` = 0) neither builds nor copies
/// exposures (≈ 3,000 units in the VM).
#[inline(always)]
pub(crate) fn account_health_pass<const K: usize>(
    account: &RiskAccount,
    assets: (&[u8], &[u8]),
) -> MathResult<HealthSums<K>> {
    use MarginKind::{Initial, Maintenance};
    crate::profile::begin("cross health, one pass (initial, maintenance, notional, equity)");
    let params = &account.params;
    let mut s = HealthSums::<K>::zero();
    s.quote(account.quote_balance, params, false)?;
    for (i, c) in account.collateral.iter().enumerate() {
        let (value_init, value_maint) = (collateral_value(c, Initial)?, collateral_value(c, Maintenance)?);
        s.init.equity = add(s.init.equity, value_init)?;
        s.maint.equity = add(s.maint.equity, value_maint)?;
        let v = u128::from(c.amount) * u128::from(c.price.oracle);
        s.raw = add(s.raw, to_i128(div_rem_u128(v, PRICE_SCALE).0)?)?;
        if let Some(asset) = assets.0.get(i).filter(|_| K > 0) {
            // crate::collateral_risk: the value at full weight less the weighted value.
            for (e, kind, value) in [(0, Initial, value_init), (1, Maintenance, value_maint)].into_iter().take(K) {
                let full =
                    to_i128(div_rem_u128(u128::from(c.amount) * u128::from(c.price.asset(kind)), PRICE_SCALE).0)?;
                s.exposures[e].add(*asset, sub(full, value)?)?;
            }
        }
    }
    for (i, e) in account.perps.iter().enumerate() {
        let asset = assets.1.get(i).filter(|_| K > 0).copied();
        s.perp(&PerpTerms::of(e, params)?, asset, false)?;
    }
    crate::profile::end("cross health, one pass (initial, maintenance, notional, equity)");
    Ok(s)
}

/// [`position_requirement`] of a nonzero `base` with its size premium already computed
/// (`premium` = [`size_premium`], or 0 when the market has none).
#[inline(always)]
fn requirement_at(base: i64, market: &PerpMarketRisk, kind: MarginKind, premium: u64) -> MathResult<i128> {
    let ratio = u64::from(market.margin_ratio(kind)).saturating_add(premium).min(RATIO_ONE);
    let v = u128::from(base.unsigned_abs()) * u128::from(market.price.liability(kind));
    to_i128(mul_div_ceil(v, u128::from(ratio), PRICE_SCALE * u128::from(RATIO_ONE))?)
}

/// The full picture around margins computed by some rule (cross, portfolio): notional,
/// equity, leverage and state do not depend on it.
pub fn account_health_with(account: &RiskAccount, init: Health, maint: Health) -> MathResult<AccountHealth> {
    let notional = total_notional(account)?;
    let equity = raw_equity(account)?;
    Ok(AccountHealth {
        init,
        maint,
        equity,
        notional,
        leverage: effective_leverage(notional, equity)?,
        state: health_state(&init, &maint, equity),
    })
}

/// Oracle price of perp `index`'s market at which the account reaches its maintenance
/// requirement, everything else held. `None` when no price of that market can bring it there
/// (a long whose rest of account covers it, or a ratio of 100%). For a long the account is
/// liquidatable at or below the result (rounded up); for a short at or above it (rounded down;
/// `Some(0)` means it already is at any price).
pub fn liquidation_price(account: &RiskAccount, index: usize) -> MathResult<Option<u64>> {
    let e = account.perps.get(index).ok_or(MathError::InvalidInput)?;
    let kind = MarginKind::Maintenance;
    let base = e.position.base;
    if base == 0 {
        return Ok(None);
    }
    let m = health(account, kind)?;
    // Take the position's price-dependent terms out: what is left does not move with this price.
    // Its PnL counts uncapped there (at its liquidation price a position is not winning unless
    // the rest of the account carries it), so the line is its own, not the haircut's.
    let value = base_value(base, e.market.price.oracle)?;
    let own_req = position_requirement(base, &e.market, kind)?;
    let capped = unrealized_pnl(&e.position, &e.market, kind)?;
    let uncapped = uncapped_pnl(&e.position, &e.market, kind)?;
    let equity = add(sub(m.equity, capped)?, uncapped)?;
    let rest = sub(sub(equity, value)?, sub(m.requirement, own_req)?)?;
    let ratio = u128::from(margin_ratio(base, &e.market, kind)?);
    let one = u128::from(RATIO_ONE);
    let abs = u128::from(base.unsigned_abs());
    let scale = PRICE_SCALE * one;
    if base > 0 {
        // rest + b·p = b·p·r  ⇒  p = −rest / (b (1 − r))
        if rest >= 0 || ratio >= one {
            return Ok(None);
        }
        let p = mul_div_ceil(rest.unsigned_abs(), scale, abs * (one - ratio))?;
        Ok(Some(u64::try_from(p).map_err(|_| MathError::Overflow)?))
    } else {
        // rest − |b|·p = |b|·p·r  ⇒  p = rest / (|b| (1 + r))
        if rest <= 0 {
            return Ok(Some(0));
        }
        let p = mul_div_floor(rest.unsigned_abs(), scale, abs * (one + ratio))?;
        Ok(Some(u64::try_from(p).unwrap_or(u64::MAX)))
    }
}
