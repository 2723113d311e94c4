/** Margin calls and liquidation sizing: the mirror of `liquidation.rs`. */
import {
  MarginKind, MathError, PRICE_SCALE, RATIO_ONE, U64_MAX,
  abs, add, sub, mulDivCeil, mulDivFloor, mulDivSignedFloor, toI128, toI64, divCeil, min, max,
} from "./fixed.js";
import {
  Health, isMet, positionNotional, positionRequirement, quoteValue, rawEquity, unrealizedPnl, collateralValue,
} from "./margin.js";
import {
  Exposures, MAX_ASSETS, MarginMode, MarginModel, PortfolioModel, STANDALONE, collateralRisk, correlatedRisk, exposures,
  modelHealth, perpRisk, portfolioRequirement,
} from "./portfolio.js";
import { applyFill } from "./trade.js";
import { Collateral, PerpPosition, RiskAccount } from "./types.js";

export interface LiquidationParams {
  buffer: number;
  liquidatorFee: number;
  insuranceFee: number;
  dustNotional: bigint;
  /** Collateral counts at oracle × (1 − this) in the fee cap (its price in a collateral liquidation); ppm. */
  collateralDiscount: number;
}

export function bufferedRequirement(requirement: bigint, buffer: number): bigint {
  if (requirement <= 0n) return requirement;
  return toI128(mulDivCeil(requirement, RATIO_ONE + BigInt(buffer), RATIO_ONE));
}

export function inMarginCall(wasInCall: boolean, maint: Health, buffer: number): boolean {
  if (!isMet(maint)) return true;
  return wasInCall && maint.equity < bufferedRequirement(maint.requirement, buffer);
}

export function isLiquidatable(maint: Health, marginCallSlot: bigint, slot: bigint, graceSlots: bigint, thresholdRatio: number): boolean {
  if (isMet(maint)) return false;
  const since = slot > marginCallSlot ? slot - marginCallSlot : 0n;
  if (since >= graceSlots) return true;
  const hard = mulDivSignedFloor(maint.requirement, BigInt(thresholdRatio), RATIO_ONE);
  return maint.equity < hard;
}

export function largestRequirement(account: RiskAccount): number | null {
  let best: [number, bigint] | null = null;
  account.perps.forEach((e, i) => {
    if (e.position.base === 0n) return;
    const r = positionRequirement(e.position.base, e.market, MarginKind.Maintenance);
    if (best === null || r > best[1]) best = [i, r];
  });
  return best === null ? null : (best as [number, bigint])[0];
}

export interface PerpLiquidation {
  baseDelta: bigint;
  position: PerpPosition;
  realizedPnl: bigint;
  fillQuote: bigint;
  liquidatorFee: bigint;
  insuranceFee: bigint;
  maintAfter: Health;
  equityAfter: bigint;
}

export function planPerpLiquidation(account: RiskAccount, index: number, step: bigint, params: LiquidationParams): PerpLiquidation {
  return planPerpLiquidationIn(account, MarginModel.Cross, index, step, params);
}

/**
 * What a liquidation changes the requirement by (Rust's `RestRequirement`): cross requirements
 * add up, so the rest is a number; portfolio ones net, so the rest is the exposures without the
 * holding being cut. Returns the requirement with the holding's signed risk at `v`.
 */
type RestRequirement = { cross: bigint } | { rest: Exposures; asset: number; model: PortfolioModel };

function restWith(r: RestRequirement, v: bigint): bigint {
  if ("cross" in r) return add(r.cross, toI128(abs(v)));
  const e = r.rest.clone();
  e.add(r.asset, v);
  return portfolioRequirement(e, r.model.correlation, r.model.floor);
}

/** {@link planPerpLiquidation} under `model` (portfolio: cut only as far as the netted risk needs). */
export function planPerpLiquidationIn(account: RiskAccount, model: MarginModel, index: number, step: bigint, params: LiquidationParams): PerpLiquidation {
  const e = account.perps[index];
  if (!e) throw new MathError("InvalidInput");
  const base = e.position.base;
  if (base === 0n || step === 0n) throw new MathError("InvalidInput");
  const kind = MarginKind.Maintenance;
  const m = modelHealth(account, model, kind);
  const ownRisk = perpRisk(base, e.market, kind);
  let restReq: RestRequirement;
  if (model.mode === MarginMode.Cross) {
    restReq = { cross: sub(m.requirement, toI128(abs(ownRisk))) };
  } else {
    const rest = exposures(account, model.collateralAssets, model.perpAssets, kind);
    const asset = model.perpAssets[index];
    if (asset === undefined) throw new MathError("InvalidInput");
    rest.remove(asset, ownRisk);
    restReq = { rest, asset, model };
  }
  const raw = rawEquity(account);
  const q = account.quoteBalance;
  const ownPnl = unrealizedPnl(e.position, e.market, kind);
  const restEquity = sub(sub(m.equity, quoteValue(q, account.params, kind)), ownPnl);
  const restRaw = sub(sub(raw, q), ownPnl);
  // The fee cap counts collateral at what a collateral liquidation would sell it for.
  const restWorth = sub(restRaw, saleDiscount(account.collateral, params.collateralDiscount));
  const feeRate = BigInt(params.liquidatorFee) + BigInt(params.insuranceFee);
  const a = abs(base);
  const price = e.market.price.oracle;

  const evaluate = (close: bigint): [PerpLiquidation, boolean] => {
    const delta = -(base > 0n ? 1n : -1n) * toI64(close);
    const fill = applyFill(e.position, e.market, delta, price, 0);
    const pnl = unrealizedPnl(fill.position, e.market, kind);
    const quoteMid = add(q, fill.realizedPnl);
    const nominal = mulDivCeil(fill.fillQuote, feeRate, RATIO_ONE);
    const worth = abs(max(add(add(restWorth, quoteMid), pnl), 0n));
    const fees = min(nominal, worth);
    const liqFee = feeRate === 0n ? 0n : mulDivFloor(fees, BigInt(params.liquidatorFee), feeRate);
    const insFee = fees - liqFee;
    const quoteAfter = toI64(sub(quoteMid, toI128(fees)));
    const eq = add(add(restEquity, quoteValue(quoteAfter, account.params, kind)), pnl);
    const req = restWith(restReq, perpRisk(fill.position.base, e.market, kind));
    const maintAfter = { equity: eq, requirement: req };
    const ok = eq >= bufferedRequirement(req, params.buffer);
    if (liqFee > U64_MAX || insFee > U64_MAX) throw new MathError("Overflow");
    const plan: PerpLiquidation = {
      baseDelta: delta,
      position: fill.position,
      realizedPnl: fill.realizedPnl,
      fillQuote: fill.fillQuote,
      liquidatorFee: liqFee,
      insuranceFee: insFee,
      maintAfter,
      equityAfter: add(add(restRaw, quoteAfter), pnl),
    };
    return [plan, ok];
  };

  const steps = divCeil(a, step);
  const closeOf = (k: bigint): bigint => {
    const c = k * step;
    return min(c > U64_MAX ? U64_MAX : c, a);
  };
  const [all, reachable] = evaluate(a);
  // Portfolio: convex along the cut, so if the whole close does not raise the requirement no cut
  // does and the plan is cross's; otherwise (a hedge leg) the netted search.
  if (model.mode === MarginMode.Portfolio && all.maintAfter.requirement > m.requirement) {
    return planNettedCut(m, evaluate, steps, closeOf, a, price, params);
  }
  if (!reachable) return all;
  const close = closeOf(fewestStepsReaching(steps, (k) => evaluate(closeOf(k))[1]));
  const left = ((a - close) * price) / PRICE_SCALE;
  if (close < a && left < params.dustNotional) return all;
  return evaluate(close)[0];
}

/** The fewest steps in 1..=`steps` for which `reaches` holds (it holds at `steps`, and from some step on). */
function fewestStepsReaching(steps: bigint, reaches: (k: bigint) => boolean): bigint {
  let lo = 0n;
  let hi = steps;
  while (hi - lo > 1n) {
    const mid = lo + (hi - lo) / 2n;
    if (reaches(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** What a collateral liquidation would not pay for `collateral`: Σ value × discount, rounded up. */
function saleDiscount(collateral: Collateral[], discount: number): bigint {
  const d = min(BigInt(discount), RATIO_ONE - 1n);
  let total = 0n;
  for (const c of collateral) {
    const value = mulDivFloor(c.amount, c.price.oracle, PRICE_SCALE);
    total = add(total, toI128(mulDivCeil(value, d, RATIO_ONE)));
  }
  return total;
}

/**
 * The portfolio cut (Rust's `plan_netted_cut`): the requirement falls to a bottom along the cut
 * and rises after it; the smallest cut restoring the buffer before the bottom, else the bottom;
 * never past it, so the requirement never rises (a zero close when one step would not lower it).
 */
function planNettedCut(
  before: Health,
  evaluate: (close: bigint) => [PerpLiquidation, boolean],
  steps: bigint,
  closeOf: (k: bigint) => bigint,
  a: bigint,
  price: bigint,
  params: LiquidationParams,
): PerpLiquidation {
  const req = (k: bigint): bigint => (k === 0n ? before.requirement : evaluate(closeOf(k))[0].maintAfter.requirement);
  let lo = 0n;
  let hi = steps;
  while (lo < hi) {
    const mid = lo + (hi - lo) / 2n;
    if (req(mid + 1n) >= req(mid)) hi = mid;
    else lo = mid + 1n;
  }
  const raises = (p: PerpLiquidation): boolean => p.maintAfter.requirement > before.requirement;
  let bottom = lo;
  if (bottom > 0n && raises(evaluate(closeOf(bottom))[0])) bottom = 0n;
  if (bottom === 0n) {
    const [p] = evaluate(0n);
    return { ...p, maintAfter: before };
  }
  const [bottomPlan, bottomOk] = evaluate(closeOf(bottom));
  let close = closeOf(bottom);
  if (bottomOk) close = closeOf(fewestStepsReaching(bottom, (k) => evaluate(closeOf(k))[1]));
  const left = ((a - close) * price) / PRICE_SCALE;
  if (close < a && left < params.dustNotional) {
    const [all] = evaluate(a);
    if (!raises(all)) return all;
  }
  if (close === closeOf(bottom)) return bottomPlan;
  return evaluate(close)[0];
}

/**
 * The position a portfolio liquidation cuts (Rust's `portfolio_liquidation_target`): the one
 * whose close lowers the netted maintenance requirement most per unit of notional; `null` when
 * none does. Ties: lowest index.
 */
export function portfolioLiquidationTarget(account: RiskAccount, model: PortfolioModel): number | null {
  const kind = MarginKind.Maintenance;
  const e = exposures(account, model.collateralAssets, model.perpAssets, kind);
  const floored = toI128(mulDivCeil(e.gross > 0n ? e.gross : 0n, BigInt(model.floor), RATIO_ONE));
  const corr = correlatedRisk(e.perAsset, model.correlation);
  const floorBinds = floored >= add(corr, e.standalone);
  const corrAtLeastOne = corr > 1n ? corr : 1n;
  let best: [number, bigint] | null = null;
  account.perps.forEach((p, i) => {
    if (p.position.base === 0n) return;
    const notional = abs(positionNotional(p.position.base, p.market, kind));
    if (notional === 0n) return;
    const v = perpRisk(p.position.base, p.market, kind);
    const asset = model.perpAssets[i];
    if (asset === undefined) throw new MathError("InvalidInput");
    let rate: bigint;
    if (floorBinds) rate = toI128(BigInt(model.floor) * corrAtLeastOne);
    else if (asset === STANDALONE) rate = toI128(RATIO_ONE * corrAtLeastOne);
    else {
      if (!(asset >= 0 && asset < MAX_ASSETS)) throw new MathError("InvalidInput");
      let w = 0n;
      const n = Math.min(model.correlation.n, MAX_ASSETS);
      for (let j = 0; j < n; j++) w = add(w, toI128(e.perAsset[j]! * BigInt(model.correlation.c[asset]?.[j] ?? 0)));
      rate = v < 0n ? -w : w;
    }
    const magnitude = toI128(mulDivFloor(abs(v), abs(rate), notional));
    const score = rate < 0n ? -magnitude : magnitude;
    if (score > 0n && (best === null || score > best[1])) best = [i, score];
  });
  return best === null ? null : (best as [number, bigint])[0];
}

export interface CollateralLiquidation {
  repay: bigint;
  collateralOut: bigint;
  maintAfter: Health;
}

export function discountedCollateral(repay: bigint, price: bigint, discount: number): bigint {
  const one = RATIO_ONE;
  const d = min(BigInt(discount), one - 1n);
  const out = mulDivFloor(repay * one, PRICE_SCALE, price * (one - d));
  if (out > U64_MAX) throw new MathError("Overflow");
  return out;
}

export function planCollateralLiquidation(account: RiskAccount, index: number, maxRepay: bigint, discount: number, buffer: number): CollateralLiquidation {
  return planCollateralLiquidationIn(account, MarginModel.Cross, index, maxRepay, discount, buffer);
}

/** {@link planCollateralLiquidation} under `model` (portfolio: collateral at full value, its haircut as netted risk). */
export function planCollateralLiquidationIn(account: RiskAccount, model: MarginModel, index: number, maxRepay: bigint, discount: number, buffer: number): CollateralLiquidation {
  const c = account.collateral[index];
  if (!c) throw new MathError("InvalidInput");
  if (account.quoteBalance >= 0n || c.amount === 0n || c.price.oracle === 0n) throw new MathError("InvalidInput");
  const kind = MarginKind.Maintenance;
  const m = modelHealth(account, model, kind);
  // What the balance adds to equity: weighted in cross, at full value in portfolio.
  const portfolio = model.mode === MarginMode.Portfolio;
  const inEquity = (x: Collateral): bigint => (portfolio ? add(collateralValue(x, kind), collateralRisk(x, kind)) : collateralValue(x, kind));
  const rest = sub(sub(m.equity, quoteValue(account.quoteBalance, account.params, kind)), inEquity(c));
  let restReq: RestRequirement;
  if (model.mode === MarginMode.Cross) {
    restReq = { cross: m.requirement };
  } else {
    const r = exposures(account, model.collateralAssets, model.perpAssets, kind);
    const asset = model.collateralAssets[index];
    if (asset === undefined) throw new MathError("InvalidInput");
    r.remove(asset, collateralRisk(c, kind));
    restReq = { rest: r, asset, model };
  }
  const after = (left: Collateral, quote: bigint): Health => {
    const eq = add(add(rest, quoteValue(quote, account.params, kind)), inEquity(left));
    // Cross: the requirement comes from perps only, the balance is not in it.
    const requirement = "cross" in restReq ? restReq.cross : restWith(restReq, collateralRisk(left, kind));
    return { equity: eq, requirement };
  };
  const debt = -account.quoteBalance;
  const evaluate = (repay: bigint): [CollateralLiquidation, boolean] => {
    const out = min(discountedCollateral(repay, c.price.oracle, discount), c.amount);
    const left = { ...c, amount: c.amount - out };
    const quote = account.quoteBalance + toI64(repay);
    const maintAfter = after(left, quote);
    const ok = maintAfter.equity >= bufferedRequirement(maintAfter.requirement, buffer);
    return [{ repay, collateralOut: out, maintAfter }, ok];
  };
  const capDiscount = min(BigInt(discount), RATIO_ONE - 1n);
  const valueCap = mulDivFloor(mulDivFloor(c.amount, c.price.oracle, PRICE_SCALE), RATIO_ONE - capDiscount, RATIO_ONE);
  let cap = min(min(debt, maxRepay), valueCap);
  cap = cap & U64_MAX; // `as u64`
  if (cap === 0n) {
    if (valueCap === 0n && maxRepay > 0n) {
      // Dust: worth less than one quote unit after the discount; sold whole for one unit.
      const quote = toI64(account.quoteBalance + 1n);
      return { repay: 1n, collateralOut: c.amount, maintAfter: after({ ...c, amount: 0n }, quote) };
    }
    throw new MathError("InvalidInput");
  }
  const [full, reachable] = evaluate(cap);
  if (!reachable) return full;
  let lo = 0n;
  let hi = cap;
  while (hi - lo > 1n) {
    const mid = lo + (hi - lo) / 2n;
    if (evaluate(mid)[1]) hi = mid;
    else lo = mid;
  }
  return evaluate(hi)[0];
}

export interface BankruptcyResolution {
  insurancePaid: bigint;
  socialised: bigint;
  uncovered: bigint;
}

export function resolveBankruptcy(debt: bigint, insuranceBalance: bigint, poolBalance: bigint): BankruptcyResolution {
  const insurancePaid = min(debt, insuranceBalance);
  const socialised = min(debt - insurancePaid, poolBalance);
  return { insurancePaid, socialised, uncovered: debt - insurancePaid - socialised };
}
