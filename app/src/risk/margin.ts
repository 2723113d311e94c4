/** Equity, margin requirements, leverage and health state: the mirror of `margin.rs`. */
import {
  MarginKind, MathError, PRICE_SCALE, RATIO_ONE, FUNDING_SCALE, U64_MAX,
  abs, add, sub, mulDivCeil, mulDivFloor, mulDivSignedCeil, mulDivSignedFloor, toI128, isqrtCeil, divCeil, min,
} from "./fixed.js";
import {
  AccountParams, Collateral, PerpMarketRisk, PerpPosition, RiskAccount,
  assetPrice, collateralWeight, liabilityPrice, marketMarginRatio, positionIndex, quoteLiabilityWeight,
} from "./types.js";
import { applyHaircut } from "./pool.js";

/** Equity against requirement for one kind of margin, quote native units. */
export interface Health {
  equity: bigint;
  requirement: bigint;
}

export const freeCollateralOf = (h: Health): bigint => h.equity - h.requirement;
export const isMet = (h: Health): boolean => h.equity >= h.requirement;

export enum HealthState {
  Healthy = 0,
  Restricted = 1,
  MarginCall = 2,
  Bankrupt = 3,
}

export interface AccountHealth {
  init: Health;
  maint: Health;
  equity: bigint;
  notional: bigint;
  /** ppm; null when equity ≤ 0 under open positions. */
  leverage: bigint | null;
  state: HealthState;
}

export function collateralValue(c: Collateral, kind: MarginKind): bigint {
  const v = c.amount * assetPrice(c.price, kind);
  return toI128(mulDivFloor(v, collateralWeight(c, kind), PRICE_SCALE * RATIO_ONE));
}

export function quoteValue(quoteBalance: bigint, params: AccountParams, kind: MarginKind): bigint {
  if (quoteBalance >= 0n) return quoteBalance;
  const debt = mulDivCeil(-quoteBalance, quoteLiabilityWeight(params, kind), RATIO_ONE);
  return -toI128(debt);
}

export function unsettledFunding(pos: PerpPosition, market: PerpMarketRisk): bigint {
  const delta = sub(positionIndex(market, pos.base), pos.fundingSnapshot);
  if (delta === 0n || pos.base === 0n) return 0n;
  const owed = toI128(pos.base * delta);
  return mulDivSignedCeil(owed, 1n, FUNDING_SCALE);
}

export function baseValue(base: bigint, price: bigint): bigint {
  return mulDivSignedFloor(base, price, PRICE_SCALE);
}

/** Unrealised PnL net of funding, a gain through the market's PnL cap. */
export function unrealizedPnl(pos: PerpPosition, market: PerpMarketRisk, kind: MarginKind): bigint {
  return applyHaircut(uncappedPnl(pos, market, kind), market.pnlHaircut);
}

/** {@link unrealizedPnl} before the PnL cap. */
export function uncappedPnl(pos: PerpPosition, market: PerpMarketRisk, kind: MarginKind): bigint {
  const price = pos.base >= 0n ? assetPrice(market.price, kind) : liabilityPrice(market.price, kind);
  const pnl = add(baseValue(pos.base, price), pos.quoteEntry);
  return sub(pnl, unsettledFunding(pos, market));
}

export function positionNotional(base: bigint, market: PerpMarketRisk, kind: MarginKind): bigint {
  return toI128(mulDivCeil(abs(base), liabilityPrice(market.price, kind), PRICE_SCALE));
}

export function marginRatio(base: bigint, market: PerpMarketRisk, kind: MarginKind): bigint {
  const ratio = marketMarginRatio(market, kind);
  if (market.imf === 0 || base === 0n) return min(ratio, RATIO_ONE);
  const sum = ratio + sizePremium(base, market);
  return min(sum > U64_MAX ? U64_MAX : sum, RATIO_ONE);
}

export function sizePremium(base: bigint, market: PerpMarketRisk): bigint {
  const a = abs(base);
  const d = market.baseDecimals;
  let scaled: bigint;
  if (d <= 12) {
    scaled = a * 10n ** BigInt(12 - d);
    if (scaled > (1n << 128n) - 1n) throw new MathError("Overflow");
  } else {
    scaled = divCeil(a, 10n ** BigInt(Math.min(d, 38) - 12));
  }
  const rootPpm = isqrtCeil(scaled);
  const premium = mulDivCeil(BigInt(market.imf), rootPpm, RATIO_ONE);
  return premium > U64_MAX ? U64_MAX : premium;
}

export function positionRequirement(base: bigint, market: PerpMarketRisk, kind: MarginKind): bigint {
  if (base === 0n) return 0n;
  const ratio = marginRatio(base, market, kind);
  const v = abs(base) * liabilityPrice(market.price, kind);
  return toI128(mulDivCeil(v, ratio, PRICE_SCALE * RATIO_ONE));
}

export function weightedPnl(pnl: bigint, params: AccountParams, kind: MarginKind): bigint {
  if (pnl <= 0n || kind === MarginKind.Maintenance || BigInt(params.unrealizedPnlInitWeight) === RATIO_ONE) return pnl;
  return toI128(mulDivFloor(pnl, BigInt(params.unrealizedPnlInitWeight), RATIO_ONE));
}

export function equity(account: RiskAccount, kind: MarginKind): bigint {
  return health(account, kind).equity;
}

export function requirement(account: RiskAccount, kind: MarginKind): bigint {
  let total = 0n;
  for (const e of account.perps) total = add(total, positionRequirement(e.position.base, e.market, kind));
  return total;
}

/** Equity and requirement for `kind` in one pass: the margin check. */
export function health(account: RiskAccount, kind: MarginKind): Health {
  let eq = quoteValue(account.quoteBalance, account.params, kind);
  for (const c of account.collateral) eq = add(eq, collateralValue(c, kind));
  let req = 0n;
  for (const e of account.perps) {
    const pnl = unrealizedPnl(e.position, e.market, kind);
    eq = add(eq, weightedPnl(pnl, account.params, kind));
    req = add(req, positionRequirement(e.position.base, e.market, kind));
  }
  return { equity: eq, requirement: req };
}

export function freeCollateral(account: RiskAccount): bigint {
  return freeCollateralOf(health(account, MarginKind.Initial));
}

export function totalNotional(account: RiskAccount): bigint {
  let total = 0n;
  for (const e of account.perps) total = add(total, positionNotional(e.position.base, e.market, MarginKind.Maintenance));
  return total;
}

export function effectiveLeverage(notional: bigint, eq: bigint): bigint | null {
  if (notional <= 0n) return 0n;
  if (eq <= 0n) return null;
  const lev = mulDivCeil(abs(notional), RATIO_ONE, abs(eq));
  if (lev > U64_MAX) throw new MathError("Overflow");
  return lev;
}

export function rawEquity(account: RiskAccount): bigint {
  let eq = account.quoteBalance;
  for (const c of account.collateral) eq = add(eq, toI128((c.amount * c.price.oracle) / PRICE_SCALE));
  for (const e of account.perps) eq = add(eq, unrealizedPnl(e.position, e.market, MarginKind.Maintenance));
  return eq;
}

export function healthState(init: Health, maint: Health, eq: bigint): HealthState {
  if (eq < 0n) return HealthState.Bankrupt;
  if (!isMet(maint)) return HealthState.MarginCall;
  if (!isMet(init)) return HealthState.Restricted;
  return HealthState.Healthy;
}

export function accountHealth(account: RiskAccount): AccountHealth {
  return accountHealthWith(account, health(account, MarginKind.Initial), health(account, MarginKind.Maintenance));
}

/** The full picture around margins computed by some rule (cross, portfolio). */
export function accountHealthWith(account: RiskAccount, init: Health, maint: Health): AccountHealth {
  const notional = totalNotional(account);
  const eq = rawEquity(account);
  return { init, maint, equity: eq, notional, leverage: effectiveLeverage(notional, eq), state: healthState(init, maint, eq) };
}

/** Oracle price of perp `index`'s market at which the account reaches maintenance; see margin.rs. */
export function liquidationPrice(account: RiskAccount, index: number): bigint | null {
  const e = account.perps[index];
  if (!e) throw new MathError("InvalidInput");
  const kind = MarginKind.Maintenance;
  const base = e.position.base;
  if (base === 0n) return null;
  const m = health(account, kind);
  const value = baseValue(base, e.market.price.oracle);
  const ownReq = positionRequirement(base, e.market, kind);
  const equity = add(sub(m.equity, unrealizedPnl(e.position, e.market, kind)), uncappedPnl(e.position, e.market, kind));
  const rest = sub(sub(equity, value), sub(m.requirement, ownReq));
  const ratio = marginRatio(base, e.market, kind);
  const one = RATIO_ONE;
  const a = abs(base);
  const scale = PRICE_SCALE * one;
  if (base > 0n) {
    if (rest >= 0n || ratio >= one) return null;
    const p = mulDivCeil(-rest, scale, a * (one - ratio));
    if (p > U64_MAX) throw new MathError("Overflow");
    return p;
  }
  if (rest <= 0n) return 0n;
  const p = mulDivFloor(rest, scale, a * (one + ratio));
  return p > U64_MAX ? U64_MAX : p;
}
