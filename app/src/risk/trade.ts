/** Fills, PnL settlement and the largest allowed trade: the mirror of `trade.rs`. */
import {
  MarginKind, MathError, PRICE_SCALE, RATIO_ONE, I64_MAX, U64_MAX,
  abs, add, sub, mulDivCeil, mulDivFloor, mulDivSignedFloor, toI64, addI64, isqrtCeil,
} from "./fixed.js";
import { health, isMet, unsettledFunding, baseValue } from "./margin.js";
import { PerpMarketRisk, PerpPosition, RiskAccount, positionIndex } from "./types.js";
import { applyHaircut } from "./pool.js";

export interface FillOutcome {
  position: PerpPosition;
  realizedPnl: bigint;
  fillQuote: bigint;
  fee: bigint;
}

export const isReducing = (base: bigint, delta: bigint): boolean =>
  delta !== 0n && base !== 0n && base > 0n !== delta > 0n && abs(delta) <= abs(base);

export const fillQuoteFlow = (delta: bigint, price: bigint): bigint => mulDivSignedFloor(-delta, price, PRICE_SCALE);

export function applyFill(pos: PerpPosition, market: PerpMarketRisk, delta: bigint, price: bigint, feeRate: number): FillOutcome {
  if (price === 0n) throw new MathError("InvalidInput");
  const funding = unsettledFunding(pos, market);
  const next: PerpPosition = { ...pos };
  let realized = -funding;
  const flow = fillQuoteFlow(delta, price);
  if (pos.base === 0n || pos.base > 0n === delta > 0n) {
    next.base = addI64(pos.base, delta);
    next.quoteEntry = toI64(add(pos.quoteEntry, flow));
  } else if (abs(delta) <= abs(pos.base)) {
    const share = mulDivSignedFloor(pos.quoteEntry, abs(delta), abs(pos.base));
    realized = add(realized, add(share, flow));
    next.base = pos.base + delta;
    next.quoteEntry = toI64(sub(pos.quoteEntry, share));
  } else {
    const closeFlow = fillQuoteFlow(-pos.base, price);
    const open = addI64(delta, pos.base);
    const openFlow = fillQuoteFlow(open, price);
    realized = add(realized, add(pos.quoteEntry, closeFlow));
    next.base = open;
    next.quoteEntry = toI64(openFlow);
  }
  const fillQuote = mulDivCeil(abs(delta), price, PRICE_SCALE);
  const fee = mulDivCeil(fillQuote, BigInt(feeRate), RATIO_ONE);
  next.fundingSnapshot = positionIndex(market, next.base);
  // A gain is paid through the market's PnL cap; the rest stays with the pool.
  realized = applyHaircut(realized, market.pnlHaircut);
  if (fillQuote > U64_MAX || fee > U64_MAX) throw new MathError("Overflow");
  return { position: next, realizedPnl: toI64(realized), fillQuote, fee };
}

export function settlePnl(pos: PerpPosition, market: PerpMarketRisk): [bigint, PerpPosition] {
  const funding = unsettledFunding(pos, market);
  const value = baseValue(pos.base, market.price.oracle);
  const pnl = add(value, pos.quoteEntry);
  const next = { base: pos.base, quoteEntry: toI64(-value), fundingSnapshot: positionIndex(market, pos.base) };
  return [toI64(applyHaircut(sub(pnl, funding), market.pnlHaircut)), next];
}

/** Largest multiple of `step` tradable on perp `index` in direction `buy`; see trade.rs. */
export function maxTradeSize(account: RiskAccount, index: number, buy: boolean, price: bigint, feeRate: number, step: bigint): bigint {
  const e = account.perps[index];
  if (!e) throw new MathError("InvalidInput");
  if (step === 0n || price === 0n) throw new MathError("InvalidInput");
  const sign = buy ? 1n : -1n;
  const base = e.position.base;
  const reducible = base > 0n !== buy && base !== 0n ? abs(base) / step : 0n;
  const perps = account.perps.slice();
  const allowed = (steps: bigint): boolean => {
    const prod = steps * step;
    if (prod > U64_MAX) throw new MathError("Overflow");
    const delta = toI64(prod) * sign;
    if (isReducing(base, delta)) return true;
    const fill = applyFill(e.position, e.market, delta, price, feeRate);
    perps[index] = { ...perps[index]!, position: fill.position };
    const quote = toI64(account.quoteBalance + fill.realizedPnl - fill.fee);
    return isMet(health({ ...account, quoteBalance: quote, perps }, MarginKind.Initial));
  };
  const attempt = (steps: bigint): boolean | "overflow" => {
    try {
      return allowed(steps);
    } catch (err) {
      if (err instanceof MathError && err.kind === "Overflow") return "overflow";
      throw err;
    }
  };
  let lo = reducible;
  let hi = lo > 1n ? lo : 1n;
  for (;;) {
    const r = attempt(hi);
    if (r === true) {
      lo = hi;
      const h = hi * 2n;
      if (h <= U64_MAX && h * step <= U64_MAX && h * step <= I64_MAX) hi = h;
      else return lo * step;
    } else break;
  }
  while (hi - lo > 1n) {
    const mid = lo + (hi - lo) / 2n;
    if (attempt(mid) === true) lo = mid;
    else hi = mid;
  }
  return lo * step;
}

// ---------------------------------------------------------------- latency-safe fill prices

/** Largest fill spread, ppm (50%). */
export const MAX_FILL_SPREAD = 500_000;

/**
 * Spread of an immediate fill, ppm, rounded up: `max(minSpread, confRatio, z × σ × √maxFillAge)`
 * (σ² = the market's `variance`, ppm² per second), capped at {@link MAX_FILL_SPREAD}; see trade.rs.
 */
export function fillSpread(minSpread: number, confRatio: bigint, spreadZ: number, variance: bigint, maxFillAge: number): number {
  const sigmaT = isqrtCeil(variance * BigInt(maxFillAge));
  const vol = mulDivCeil(BigInt(spreadZ), sigmaT, RATIO_ONE);
  let s = vol;
  if (confRatio > s) s = confRatio;
  if (BigInt(minSpread) > s) s = BigInt(minSpread);
  return Number(s < BigInt(MAX_FILL_SPREAD) ? s : BigInt(MAX_FILL_SPREAD));
}

/** Confidence over price, ppm, rounded up. */
export function confRatio(conf: bigint, price: bigint): bigint {
  if (price === 0n) throw new MathError("InvalidInput");
  const r = mulDivCeil(conf, RATIO_ONE, price);
  return r > U64_MAX ? U64_MAX : r;
}

/**
 * Fill price, engine units, against the trader: a buy `⌈max(oracle, slotHigh) × (1 + spread)⌉`, a
 * sell `⌊min(oracle, slotLow) × (1 − spread)⌋` (slot observations 0: none); see trade.rs.
 */
export function fillPrice(buy: boolean, oracle: bigint, slotLow: bigint, slotHigh: bigint, spread: number): bigint {
  if (oracle === 0n || spread > MAX_FILL_SPREAD) throw new MathError("InvalidInput");
  const s = BigInt(spread);
  let p: bigint;
  if (buy) {
    p = mulDivCeil(oracle > slotHigh ? oracle : slotHigh, RATIO_ONE + s, RATIO_ONE);
  } else {
    const reference = slotLow === 0n || oracle < slotLow ? oracle : slotLow;
    p = mulDivFloor(reference, RATIO_ONE - s, RATIO_ONE);
  }
  if (p > U64_MAX) throw new MathError("Overflow");
  if (p === 0n) throw new MathError("InvalidInput");
  return p;
}
