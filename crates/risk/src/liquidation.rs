//! Margin calls and liquidation: when an account may be liquidated, how much of a position to
//! close, what collateral a liquidator may take for repaying debt.
//!
//! All sizes come from the same functions the margin check uses, applied to the account as it
//! would be after the liquidation, so the program's state change and the plan agree to the unit.

use crate::fixed::*;
use crate::margin::*;
use crate::portfolio::*;
use crate::trade::apply_fill;
use crate::types::*;

/// Exchange-wide liquidation parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LiquidationParams {
    /// A liquidation restores maintenance equity to requirement × (1 + buffer); ppm.
    pub buffer: u32,
    /// Paid to the liquidator, ppm of the closed notional.
    pub liquidator_fee: u32,
    /// Paid to the insurance fund, ppm of the closed notional.
    pub insurance_fee: u32,
    /// A remainder worth less than this (quote native units) is closed too.
    pub dust_notional: u64,
    /// The fee cap counts collateral at oracle × (1 − this): what a collateral liquidation
    /// sells it for (the exchange's `collateral_liquidation_discount`); ppm.
    pub collateral_discount: u32,
}

/// What a collateral liquidation would not pay for `collateral`: Σ value × discount, rounded up
/// (so value − this is [`plan_collateral_liquidation`]'s most repayable, to the unit).
fn sale_discount(collateral: &[Collateral], discount: u32) -> MathResult<i128> {
    let d = u128::from(discount.min(RATIO_ONE as u32 - 1));
    let mut total = 0i128;
    for c in collateral {
        let value = div_rem_u128(u128::from(c.amount) * u128::from(c.price.oracle), PRICE_SCALE).0;
        total = add(total, to_i128(mul_div_ceil(value, d, u128::from(RATIO_ONE))?)?)?;
    }
    Ok(total)
}

/// `requirement × (1 + buffer)`, rounded up: the maintenance equity a liquidation restores and
/// the level at which a margin call ends.
pub fn buffered_requirement(requirement: i128, buffer: u32) -> MathResult<i128> {
    if requirement <= 0 {
        return Ok(requirement);
    }
    to_i128(mul_div_ceil(
        requirement.unsigned_abs(),
        u128::from(RATIO_ONE) + u128::from(buffer),
        u128::from(RATIO_ONE),
    )?)
}

/// Whether an account is in margin call after an instruction observes `maint`: it enters below
/// maintenance, and leaves only once back at maintenance × (1 + buffer).
pub fn in_margin_call(was_in_call: bool, maint: &Health, buffer: u32) -> MathResult<bool> {
    if !maint.is_met() {
        return Ok(true);
    }
    Ok(was_in_call && maint.equity < buffered_requirement(maint.requirement, buffer)?)
}

/// Whether a keeper may liquidate: maintenance is not met and either the grace period since the
/// margin call began has passed or equity is below `threshold_ratio` × requirement (hard line).
pub fn is_liquidatable(
    maint: &Health,
    margin_call_slot: u64,
    slot: u64,
    grace_slots: u64,
    threshold_ratio: u32,
) -> MathResult<bool> {
    if maint.is_met() {
        return Ok(false);
    }
    if slot.saturating_sub(margin_call_slot) >= grace_slots {
        return Ok(true);
    }
    let hard = mul_div_signed_floor(maint.requirement, u128::from(threshold_ratio), u128::from(RATIO_ONE))?;
    Ok(maint.equity < hard)
}

/// Index of the position with the largest maintenance requirement (lowest index on ties): the
/// one a perp liquidation cuts first.
pub fn largest_requirement(account: &RiskAccount) -> MathResult<Option<usize>> {
    let mut best: Option<(usize, i128)> = None;
    for (i, e) in account.perps.iter().enumerate() {
        if e.position.base == 0 {
            continue;
        }
        let r = position_requirement(e.position.base, &e.market, MarginKind::Maintenance)?;
        if best.is_none_or(|(_, b)| r > b) {
            best = Some((i, r));
        }
    }
    Ok(best.map(|(i, _)| i))
}

/// A planned perp liquidation: the reducing fill at the oracle price and its fees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PerpLiquidation {
    /// Signed base traded (opposite sign to the position).
    pub base_delta: i64,
    /// The position afterwards.
    pub position: PerpPosition,
    /// PnL realised by the close (funding included), to the quote balance, from the pool.
    pub realized_pnl: i64,
    /// Quote value of the closed size at the oracle.
    pub fill_quote: u64,
    pub liquidator_fee: u64,
    pub insurance_fee: u64,
    /// Maintenance health after the liquidation.
    pub maint_after: Health,
    /// Equity at full value after the liquidation (never below zero because of the fees).
    pub equity_after: i128,
}

/// The smallest close of perp `index` (a multiple of `step`, or the whole position) that brings
/// maintenance equity to requirement × (1 + buffer) after fees; the whole position when that is
/// out of reach or the remainder would be dust. Fees are capped by the equity left after the
/// close with collateral at its liquidation price (oracle × (1 − `collateral_discount`)), so
/// neither the liquidation nor a collateral liquidation after it turns the fee into bad debt.
pub fn plan_perp_liquidation(
    account: &RiskAccount,
    index: usize,
    step: u64,
    params: &LiquidationParams,
) -> MathResult<PerpLiquidation> {
    plan_perp_liquidation_in(account, &MarginModel::Cross, index, step, params)
}

/// What a liquidation changes the requirement by: cross requirements add up, so the rest is a
/// number; portfolio ones net, so the rest is the exposures without the holding being cut.
// One short-lived value per plan, on the stack: boxing the exposures would only add a heap
// allocation on chain.
#[allow(clippy::large_enum_variant)]
enum RestRequirement<'a> {
    Cross(i128),
    Portfolio { rest: Exposures, asset: u8, model: &'a PortfolioModel<'a> },
}

impl RestRequirement<'_> {
    /// The requirement with the holding's signed risk at `v` (|v| for cross).
    fn with(&self, v: i128) -> MathResult<i128> {
        match self {
            RestRequirement::Cross(rest) => add(*rest, v.checked_abs().ok_or(MathError::Overflow)?),
            RestRequirement::Portfolio { rest, asset, model } => {
                let mut e = *rest;
                e.add(*asset, v)?;
                portfolio_requirement(&e, model.correlation, model.floor)
            }
        }
    }
}

/// [`plan_perp_liquidation`] under `model`: in portfolio mode maintenance is the portfolio
/// requirement (and equity counts collateral at full value), so a hedged account is cut only as
/// far as its netted risk needs.
pub fn plan_perp_liquidation_in(
    account: &RiskAccount,
    model: &MarginModel,
    index: usize,
    step: u64,
    params: &LiquidationParams,
) -> MathResult<PerpLiquidation> {
    let e = account.perps.get(index).ok_or(MathError::InvalidInput)?;
    if e.position.base == 0 || step == 0 {
        return Err(MathError::InvalidInput);
    }
    let basis = liquidation_basis(account, model)?;
    plan_perp_liquidation_from(account, model, index, step, params, &basis)
}

/// [`plan_perp_liquidation_in`] from the account's [`LiquidationBasis`] under `model` (what the
/// margin check before the liquidation computed: [`model_account_health_basis`]), so the plan
/// does not compute maintenance, equity and exposures a second time. The same plan to the unit
/// for the basis of the same account and model.
pub fn plan_perp_liquidation_from(
    account: &RiskAccount,
    model: &MarginModel,
    index: usize,
    step: u64,
    params: &LiquidationParams,
    basis: &LiquidationBasis,
) -> MathResult<PerpLiquidation> {
    let e = account.perps.get(index).ok_or(MathError::InvalidInput)?;
    let base = e.position.base;
    if base == 0 || step == 0 {
        return Err(MathError::InvalidInput);
    }
    let kind = MarginKind::Maintenance;
    let m = basis.maint;
    let own_risk = perp_risk(base, &e.market, kind)?;
    let rest_req = match model {
        MarginModel::Cross => RestRequirement::Cross(sub(m.requirement, own_risk.abs())?),
        MarginModel::Portfolio(p) => {
            let mut rest = match &basis.exposures {
                Some(e) => *e,
                None => exposures(account, p.collateral_assets, p.perp_assets, kind)?,
            };
            let asset = *p.perp_assets.get(index).ok_or(MathError::InvalidInput)?;
            rest.remove(asset, own_risk)?;
            RestRequirement::Portfolio { rest, asset, model: p }
        }
    };
    let raw = basis.raw_equity;
    let q = account.quote_balance;
    let own_pnl = unrealized_pnl(&e.position, &e.market, kind)?;
    // Everything but the quote balance and this position, which the close changes.
    let rest_equity = sub(sub(m.equity, quote_value(q, &account.params, kind)?)?, own_pnl)?;
    let rest_raw = sub(sub(raw, i128::from(q))?, own_pnl)?;
    // The fee cap counts collateral at what a later collateral liquidation sells it for.
    let rest_worth = sub(rest_raw, sale_discount(account.collateral, params.collateral_discount)?)?;
    let fee_rate = u128::from(params.liquidator_fee) + u128::from(params.insurance_fee);
    let abs = base.unsigned_abs();
    let price = e.market.price.oracle;

    crate::profile::phase("plan: set-up (health, exposures, equity)");
    let evaluate = |close: u64| -> MathResult<(PerpLiquidation, bool)> {
        crate::profile::begin("plan: evaluate one cut");
        let delta = -base.signum() * i64::try_from(close).map_err(|_| MathError::Overflow)?;
        let fill = apply_fill(&e.position, &e.market, delta, price, 0)?;
        let pnl = unrealized_pnl(&fill.position, &e.market, kind)?;
        let quote_mid = add(i128::from(q), i128::from(fill.realized_pnl))?;
        // Fees: the closed notional × rates, capped by what the account is still worth.
        let nominal = mul_div_ceil(u128::from(fill.fill_quote), fee_rate, u128::from(RATIO_ONE))?;
        let worth = add(add(rest_worth, quote_mid)?, pnl)?.max(0).unsigned_abs();
        let fees = nominal.min(worth);
        let liq_fee = if fee_rate == 0 { 0 } else { mul_div_floor(fees, u128::from(params.liquidator_fee), fee_rate)? };
        let ins_fee = fees - liq_fee;
        let quote_after = to_i64(sub(quote_mid, to_i128(fees)?)?)?;
        let equity = add(add(rest_equity, quote_value(quote_after, &account.params, kind)?)?, pnl)?;
        let requirement = rest_req.with(perp_risk(fill.position.base, &e.market, kind)?)?;
        let maint_after = Health { equity, requirement };
        let ok = equity >= buffered_requirement(requirement, params.buffer)?;
        let plan = PerpLiquidation {
            base_delta: delta,
            position: fill.position,
            realized_pnl: fill.realized_pnl,
            fill_quote: fill.fill_quote,
            liquidator_fee: u64::try_from(liq_fee).map_err(|_| MathError::Overflow)?,
            insurance_fee: u64::try_from(ins_fee).map_err(|_| MathError::Overflow)?,
            maint_after,
            equity_after: add(add(rest_raw, i128::from(quote_after))?, pnl)?,
        };
        crate::profile::end("plan: evaluate one cut");
        Ok((plan, ok))
    };

    // Steps of `step` base units; the last step closes whatever is left.
    let steps = abs.div_ceil(step);
    let close_of = |k: u64| (k.saturating_mul(step)).min(abs);
    let (all, reachable) = evaluate(abs)?;
    // Portfolio: the requirement is convex along the cut, so if closing everything does not
    // raise it no cut does, and the plan is cross's; otherwise (a hedge leg) the netted search.
    if matches!(model, MarginModel::Portfolio(_)) && all.maint_after.requirement > m.requirement {
        return plan_netted_cut(&m, &evaluate, steps, &close_of, abs, price, params);
    }
    if !reachable {
        return Ok(all);
    }
    // ok(steps), !ok(0) (0 is "close nothing").
    let close = close_of(least_ok(0, steps, |k| Ok(evaluate(close_of(k))?.1))?);
    let left = div_rem_u128(u128::from(abs - close) * u128::from(price), PRICE_SCALE).0;
    if close < abs && left < u128::from(params.dust_notional) {
        return Ok(all);
    }
    Ok(evaluate(close)?.0)
}

/// The portfolio cut when closing the whole position would raise the requirement (a hedge leg):
/// along one leg the netted requirement is convex in the size closed (a norm of an affine
/// function, or the floor's line), so it falls to a bottom and rises after it (closing one leg
/// of a hedge too far unhedges the other). The cut is the smallest one that
/// restores the buffered requirement before the bottom; when none does, the bottom itself.
/// Never past it, so a portfolio liquidation never raises the requirement (a zero close when even
/// the first step would not lower it: the program refuses that by name). The dust rule closes the
/// rest only when the whole close does not raise the requirement either.
fn plan_netted_cut(
    before: &Health,
    evaluate: &dyn Fn(u64) -> MathResult<(PerpLiquidation, bool)>,
    steps: u64,
    close_of: &dyn Fn(u64) -> u64,
    abs: u64,
    price: u64,
    params: &LiquidationParams,
) -> MathResult<PerpLiquidation> {
    // Requirement after k steps (k = 0: nothing closed).
    let req = |k: u64| -> MathResult<i128> {
        if k == 0 {
            return Ok(before.requirement);
        }
        Ok(evaluate(close_of(k))?.0.maint_after.requirement)
    };
    // The bottom: the first k whose next step does not lower the requirement (or `steps`).
    let (mut lo, mut hi) = (0u64, steps);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if req(mid + 1)? >= req(mid)? {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let raises = |p: &PerpLiquidation| p.maint_after.requirement > before.requirement;
    let mut bottom = lo;
    if bottom > 0 && raises(&evaluate(close_of(bottom))?.0) {
        bottom = 0;
    }
    if bottom == 0 {
        let (p, _) = evaluate(0)?;
        return Ok(PerpLiquidation { maint_after: *before, ..p });
    }
    let (bottom_plan, bottom_ok) = evaluate(close_of(bottom))?;
    let mut close = close_of(bottom);
    if bottom_ok {
        // A restoring cut before the bottom (ok(hi) holds throughout; the requirement falls all
        // the way to the bottom, so none of these raises it).
        close = close_of(least_ok(0, bottom, |k| Ok(evaluate(close_of(k))?.1))?);
    }
    let left = div_rem_u128(u128::from(abs - close) * u128::from(price), PRICE_SCALE).0;
    if close < abs && left < u128::from(params.dust_notional) {
        let (all, _) = evaluate(abs)?;
        if !raises(&all) {
            return Ok(all);
        }
    }
    if close == close_of(bottom) {
        return Ok(bottom_plan);
    }
    Ok(evaluate(close)?.0)
}

/// The position a portfolio liquidation cuts: the one whose close lowers the netted maintenance
/// requirement most per unit of notional closed (fees are per unit of notional). With `R` the
/// netted requirement and `V` the per-asset risks, closing position `i` (ratio `r_i`, on asset
/// `a`) lowers `√(VᵀCV)` at the rate `r_i × sign(v_i) × (C V)_a / √(VᵀCV)`, a standalone
/// holding at `r_i`, and the floor's term at `floor × r_i`; scores compare those rates (scaled
/// by `√(VᵀCV)`). `None` when no position's close lowers the requirement (a hedge of
/// collateral: the collateral liquidation handles it). Ties: lowest index.
pub fn portfolio_liquidation_target(account: &RiskAccount, model: &PortfolioModel) -> MathResult<Option<usize>> {
    let e = exposures(account, model.collateral_assets, model.perp_assets, MarginKind::Maintenance)?;
    // The root and the floor's term (in `_from`) can only fail by overflow: one error either way.
    portfolio_liquidation_target_from(account, model, &e, correlated_risk(&e.per_asset, model.correlation)?)
}

/// [`portfolio_liquidation_target`] from the account's maintenance exposures `e` and their
/// `corr` = [`correlated_risk`] (as [`LiquidationBasis`] holds them), not computed again.
pub fn portfolio_liquidation_target_from(
    account: &RiskAccount,
    model: &PortfolioModel,
    e: &Exposures,
    corr: i128,
) -> MathResult<Option<usize>> {
    let kind = MarginKind::Maintenance;
    let floored =
        to_i128(mul_div_ceil(e.gross.max(0).unsigned_abs(), u128::from(model.floor), u128::from(RATIO_ONE))?)?;
    let floor_binds = floored >= add(corr, e.standalone)?;
    let mul = |a: i128, b: i128| a.checked_mul(b).ok_or(MathError::Overflow);
    let mut best: Option<(usize, i128)> = None;
    for (i, p) in account.perps.iter().enumerate() {
        if p.position.base == 0 {
            continue;
        }
        let notional = position_notional(p.position.base, &p.market, kind)?.unsigned_abs();
        if notional == 0 {
            continue;
        }
        let v = perp_risk(p.position.base, &p.market, kind)?;
        let asset = *model.perp_assets.get(i).ok_or(MathError::InvalidInput)?;
        // Rate × √(VᵀCV) × 1e6 (ppm of the correlations), per unit of |v|.
        let rate = if floor_binds {
            mul(i128::from(model.floor), corr.max(1))?
        } else if asset == STANDALONE {
            mul(i128::from(RATIO_ONE), corr.max(1))?
        } else {
            let row = model.correlation.c.get(usize::from(asset)).ok_or(MathError::InvalidInput)?;
            let mut w: i128 = 0;
            for (vj, cij) in e.per_asset.iter().zip(row).take(model.correlation.n.min(MAX_ASSETS)) {
                w = add(w, mul(*vj, i128::from(*cij))?)?;
            }
            if v < 0 {
                -w
            } else {
                w
            }
        };
        let magnitude = to_i128(mul_div_floor(v.unsigned_abs(), rate.unsigned_abs(), notional)?)?;
        let score = if rate < 0 { -magnitude } else { magnitude };
        if score > 0 && best.is_none_or(|(_, b)| score > b) {
            best = Some((i, score));
        }
    }
    Ok(best.map(|(i, _)| i))
}

/// The least `k` in `(lo, hi]` with `ok(k)`, for a predicate that holds at `hi`, not at `lo`, and
/// flips once in between (a bisection: every liquidation plan's "smallest cut that restores").
pub(crate) fn least_ok(mut lo: u64, mut hi: u64, ok: impl Fn(u64) -> MathResult<bool>) -> MathResult<u64> {
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ok(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}

/// A planned collateral liquidation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CollateralLiquidation {
    /// Quote the liquidator pays into the account (repays debt).
    pub repay: u64,
    /// Collateral the liquidator receives, native units.
    pub collateral_out: u64,
    /// Maintenance health after.
    pub maint_after: Health,
}

/// Collateral bought for `repay` quote at oracle × (1 − discount), rounded down.
pub fn discounted_collateral(repay: u64, price: u64, discount: u32) -> MathResult<u64> {
    let one = u128::from(RATIO_ONE);
    let discount = u128::from(discount).min(one - 1);
    // repay / (p (1 − d)) = repay × S × 1e6 / (p × (1e6 − d))
    let out = mul_div_floor(u128::from(repay) * one, PRICE_SCALE, u128::from(price) * (one - discount))?;
    u64::try_from(out).map_err(|_| MathError::Overflow)
}

/// Liquidation of collateral `index` for an account with quote debt and no perp positions: the
/// liquidator repays up to `max_repay` of the debt and receives the collateral at a discount,
/// never more than the account holds and never past what restores maintenance (requirement ×
/// (1 + buffer), which with no positions is equity ≥ 0).
pub fn plan_collateral_liquidation(
    account: &RiskAccount,
    index: usize,
    max_repay: u64,
    discount: u32,
    buffer: u32,
) -> MathResult<CollateralLiquidation> {
    plan_collateral_liquidation_in(account, &MarginModel::Cross, index, max_repay, discount, buffer)
}

/// [`plan_collateral_liquidation`] under `model` (portfolio: collateral at full value in equity,
/// its haircut as netted risk in the requirement).
pub fn plan_collateral_liquidation_in(
    account: &RiskAccount,
    model: &MarginModel,
    index: usize,
    max_repay: u64,
    discount: u32,
    buffer: u32,
) -> MathResult<CollateralLiquidation> {
    let c = account.collateral.get(index).ok_or(MathError::InvalidInput)?;
    if account.quote_balance >= 0 || c.amount == 0 || c.price.oracle == 0 {
        return Err(MathError::InvalidInput);
    }
    let kind = MarginKind::Maintenance;
    let m = model_health(account, model, kind)?;
    // What the balance adds to equity: weighted in cross, at full value in portfolio.
    let portfolio = matches!(model, MarginModel::Portfolio(_));
    let in_equity = |c: &Collateral| -> MathResult<i128> {
        if portfolio {
            add(collateral_value(c, kind)?, collateral_risk(c, kind)?)
        } else {
            collateral_value(c, kind)
        }
    };
    let rest = sub(sub(m.equity, quote_value(account.quote_balance, &account.params, kind)?)?, in_equity(c)?)?;
    let rest_req = match model {
        MarginModel::Cross => RestRequirement::Cross(m.requirement),
        MarginModel::Portfolio(p) => {
            let mut rest = exposures(account, p.collateral_assets, p.perp_assets, kind)?;
            let asset = *p.collateral_assets.get(index).ok_or(MathError::InvalidInput)?;
            rest.remove(asset, collateral_risk(c, kind)?)?;
            RestRequirement::Portfolio { rest, asset, model: p }
        }
    };
    let after = |left: &Collateral, quote: i64| -> MathResult<Health> {
        let equity = add(add(rest, quote_value(quote, &account.params, kind)?)?, in_equity(left)?)?;
        // Cross: the requirement comes from perps only, the balance is not in it.
        let requirement = match &rest_req {
            RestRequirement::Cross(r) => *r,
            _ => rest_req.with(collateral_risk(left, kind)?)?,
        };
        Ok(Health { equity, requirement })
    };
    let debt = account.quote_balance.unsigned_abs();
    let evaluate = |repay: u64| -> MathResult<(CollateralLiquidation, bool)> {
        let out = discounted_collateral(repay, c.price.oracle, discount)?.min(c.amount);
        let left = Collateral { amount: c.amount - out, ..*c };
        let quote = account.quote_balance + i64::try_from(repay).map_err(|_| MathError::Overflow)?;
        let maint_after = after(&left, quote)?;
        let ok = maint_after.equity >= buffered_requirement(maint_after.requirement, buffer)?;
        Ok((CollateralLiquidation { repay, collateral_out: out, maint_after }, ok))
    };
    // Most the liquidator may repay: the debt, its offer, and what the collateral can pay for.
    let value_cap = mul_div_floor(
        mul_div_floor(u128::from(c.amount), u128::from(c.price.oracle), PRICE_SCALE)?,
        u128::from(RATIO_ONE - u64::from(discount.min(RATIO_ONE as u32 - 1))),
        u128::from(RATIO_ONE),
    )?;
    let cap = u128::from(debt.min(max_repay)).min(value_cap) as u64;
    if cap == 0 {
        if value_cap == 0 && max_repay > 0 {
            // Dust: worth less than one quote unit after the discount. Sold whole for one unit,
            // so an account can always be emptied and its debt resolved.
            let left = Collateral { amount: 0, ..*c };
            let quote = account.quote_balance.checked_add(1).ok_or(MathError::Overflow)?;
            let maint_after = after(&left, quote)?;
            return Ok(CollateralLiquidation { repay: 1, collateral_out: c.amount, maint_after });
        }
        return Err(MathError::InvalidInput);
    }
    let (full, reachable) = evaluate(cap)?;
    if !reachable {
        return Ok(full);
    }
    Ok(evaluate(least_ok(0, cap, |r| Ok(evaluate(r)?.1))?)?.0)
}

/// How a bankrupt account's debt is covered: the insurance fund first, then the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BankruptcyResolution {
    pub insurance_paid: u64,
    pub socialised: u64,
    /// Debt that neither could cover (the pool is empty); stays on the account.
    pub uncovered: u64,
}

/// Splits `debt` between the insurance fund (all of its balance is there for this; the admin's
/// withdrawal floor does not hold it back) and the pool (socialised to LPs).
pub fn resolve_bankruptcy(debt: u64, insurance_balance: u64, pool_balance: u64) -> BankruptcyResolution {
    let insurance_paid = debt.min(insurance_balance);
    let socialised = (debt - insurance_paid).min(pool_balance);
    BankruptcyResolution { insurance_paid, socialised, uncovered: debt - insurance_paid - socialised }
}
