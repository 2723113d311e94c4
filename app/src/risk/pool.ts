// The liquidity pool as LP flows value it: mirror of `crates/risk/src/pool.rs` (issue 13 §2),
// to the unit (app/vectors/risk.json `poolCases`).
//
// The PnL cap and auto-deleveraging (issue 13 §3, `winnersCases`): a market's winners are paid at
// most `maxPnlFactor × pool cash` together; beyond it every gain counts and is paid at
// `paid / profit` (rounded down), and no one payment exceeds the cap.
//
// Pool value for an LP = balance − Σ traders' PnL (capped against the LP by the deposit /
// withdrawal PnL factor) + Σ funding traders owe and have not settled − bad debt the insurance
// fund cannot cover. Everything rounds against whoever enters (`Up`) or leaves (`Down`).

import {
  FUNDING_SCALE, MathError, PRICE_SCALE, RATIO_ONE, U64_MAX, add, max, min, mulDivCeil, mulDivFloor, mulDivSignedCeil,
  mulDivSignedFloor, sub, toI128, toI64, toU64,
} from "./fixed.js";
import type { PerpMarketRisk, PerpPosition } from "./types.js";
import { applyFill, type FillOutcome } from "./trade.js";

/** Shares the first deposit mints to no one (`fulcrum_risk::DEAD_SHARES`). */
export const DEAD_SHARES = 1_000n;

export enum Rounding {
  Down = "down",
  Up = "up",
}

/** One market's aggregate open interest (`fulcrum_risk::MarketExposure`). */
export interface MarketExposure {
  longBase: bigint;
  shortBase: bigint;
  longQuoteEntry: bigint;
  shortQuoteEntry: bigint;
  /** Oracle price, PRICE_SCALE. */
  price: bigint;
}

/** One market's unsettled-funding sums (`fulcrum_risk::MarketFunding`). */
export interface MarketFunding {
  /** Funding index accrued to now. */
  index: bigint;
  /** Borrow-fee index accrued to now (longs settle against index + borrow, shorts index − borrow); absent: 0. */
  borrow?: bigint;
  longSnapshots: bigint;
  shortSnapshots: bigint;
}

export interface LpValuation {
  balance: bigint;
  markets: MarketExposure[];
  funding: MarketFunding[];
  unresolvedBadDebt: bigint;
  insuranceBalance: bigint;
  /** ppm of balance; 0: uncapped. */
  maxPnlFactor: number;
}

/** Traders' net unrealised PnL in one market, rounded so the pool's value rounds `r`. */
export function tradersUnrealizedPnl(m: MarketExposure, r: Rounding): bigint {
  const net = m.longBase - m.shortBase;
  const value = r === Rounding.Down ? mulDivSignedCeil(net, m.price, PRICE_SCALE) : mulDivSignedFloor(net, m.price, PRICE_SCALE);
  return add(add(value, m.longQuoteEntry), m.shortQuoteEntry);
}

/** Funding traders owe the pool and have not settled (negative: owed to them). */
export function tradersUnsettledFunding(m: MarketExposure, f: MarketFunding, r: Rounding): bigint {
  const net = m.longBase - m.shortBase;
  const accrued = toI128(toI128(net * f.index) + toI128((m.longBase + m.shortBase) * (f.borrow ?? 0n)));
  const owed = sub(accrued, sub(f.longSnapshots, f.shortSnapshots));
  return r === Rounding.Down ? mulDivSignedFloor(owed, 1n, FUNDING_SCALE) : mulDivSignedCeil(owed, 1n, FUNDING_SCALE);
}

/** Traders' PnL capped against the LP: profit for deposits (`Up`), loss for withdrawals (`Down`). */
export function cappedTradersPnl(pnl: bigint, balance: bigint, factor: number, r: Rounding): bigint {
  if (factor === 0) return pnl;
  const cap = toI128(mulDivFloor(balance, BigInt(factor), RATIO_ONE));
  return r === Rounding.Up ? min(pnl, cap) : max(pnl, -cap);
}

/** Bad debt the pool will bear once resolved. */
export function expectedSocialisedLoss(unresolvedBadDebt: bigint, insuranceBalance: bigint): bigint {
  return unresolvedBadDebt > insuranceBalance ? unresolvedBadDebt - insuranceBalance : 0n;
}

/** The pool's value for an LP deposit (`Up`) or withdrawal (`Down`). */
export function lpPoolValue(v: LpValuation, r: Rounding): bigint {
  let value = v.balance;
  v.markets.forEach((m, i) => {
    value = sub(value, cappedTradersPnl(tradersUnrealizedPnl(m, r), v.balance, v.maxPnlFactor, r));
    const f = v.funding[i];
    if (f !== undefined) value = add(value, tradersUnsettledFunding(m, f, r));
  });
  return sub(value, expectedSocialisedLoss(v.unresolvedBadDebt, v.insuranceBalance));
}

/** Shares for a deposit into a pool with shares (rounded down). */
export function lpSharesForDeposit(amount: bigint, value: bigint, supply: bigint): bigint {
  if (supply === 0n) return amount;
  if (value <= 0n) throw new MathError("InvalidInput");
  return toU64(mulDivFloor(amount, supply, value));
}

/** Quote for burning `shares` (rounded down). */
export function lpAmountForShares(shares: bigint, value: bigint, supply: bigint): bigint {
  if (supply === 0n || shares > supply) throw new MathError("InvalidInput");
  if (value <= 0n) return 0n;
  return toU64(mulDivFloor(shares, value, supply));
}

/** The first deposit into a pool without shares: [depositor's shares, dead shares]. */
export function lpFirstDeposit(amount: bigint, value: bigint): [bigint, bigint] {
  if (value < 0n) throw new MathError("InvalidInput");
  if (amount <= DEAD_SHARES) return [0n, 0n];
  return [amount - DEAD_SHARES, toU64(toU64(value) + DEAD_SHARES)];
}

/** A withdrawal: [paid, fee kept by the pool]. */
export function lpWithdrawal(shares: bigint, value: bigint, supply: bigint, fee: number): [bigint, bigint] {
  const gross = lpAmountForShares(shares, value, supply);
  const kept = min(toU64(mulDivCeil(gross, BigInt(fee), RATIO_ONE)), gross);
  return [gross - kept, kept];
}

/** Depth for fees and funding at `slot`: the balance less this slot's deposits. */
export function poolDepth(balance: bigint, depositSlot: bigint, depositedInSlot: bigint, slot: bigint): bigint {
  if (depositSlot !== slot) return balance;
  return balance > depositedInSlot ? balance - depositedInSlot : 0n;
}

/** What an LP deposit of `amount` would mint now (the program's rule, for a preview). */
export function previewLpDeposit(amount: bigint, v: LpValuation, supply: bigint): bigint {
  const value = lpPoolValue(v, Rounding.Up);
  if (supply === 0n) return lpFirstDeposit(amount, value)[0];
  return lpSharesForDeposit(amount, value, supply);
}

/** What burning `shares` would pay now, net of the withdrawal fee (for a preview). */
export function previewLpWithdrawal(shares: bigint, v: LpValuation, supply: bigint, fee: number): bigint {
  return lpWithdrawal(shares, lpPoolValue(v, Rounding.Down), supply, fee)[0];
}

/** A market's PnL cap as it applies to its winners (quote native units). */
export interface PnlHaircut {
  paid: bigint;
  profit: bigint;
  cap: bigint;
}

const U128_MAX = (1n << 128n) - 1n;

/** No cap: every profit counts and is paid in full. */
export const PNL_HAIRCUT_NONE: PnlHaircut = { paid: 0n, profit: 0n, cap: U128_MAX };

export const isHaircut = (h: PnlHaircut): boolean => h.paid < h.profit;

/** Winners' profit in one market: Σ over sides max(side PnL, 0), each rounded up. */
export function marketProfit(m: MarketExposure): bigint {
  const long = add(toI128(mulDivCeil(m.longBase, m.price, PRICE_SCALE)), m.longQuoteEntry);
  const short = sub(m.shortQuoteEntry, toI128(mulDivFloor(m.shortBase, m.price, PRICE_SCALE)));
  return (long > 0n ? long : 0n) + (short > 0n ? short : 0n);
}

/** The haircut of a market whose winners hold `profit` under `maxPnlFactor` (ppm of `poolBalance`; 0: no cap). */
export function pnlHaircut(profit: bigint, maxPnlFactor: number, poolBalance: bigint): PnlHaircut {
  if (maxPnlFactor === 0) return { profit, paid: profit, cap: U128_MAX };
  const cap = mulDivFloor(poolBalance, BigInt(maxPnlFactor), RATIO_ONE);
  return { paid: profit < cap ? profit : cap, profit, cap };
}

/** `pnl` as the cap counts and pays it: a gain scaled by `paid / profit` (down) and at most `cap`; a loss unchanged. */
export function applyHaircut(pnl: bigint, h: PnlHaircut = PNL_HAIRCUT_NONE): bigint {
  if (pnl <= 0n) return pnl;
  const scaled = h.paid < h.profit ? mulDivFloor(pnl, h.paid, h.profit) : pnl;
  return toI128(scaled < h.cap ? scaled : h.cap);
}

/** Winners' profit / pool cash, ppm, rounded up (`U64_MAX` against an empty pool). */
export function pnlRatio(profit: bigint, poolBalance: bigint): bigint {
  if (profit === 0n) return 0n;
  if (poolBalance === 0n) return U64_MAX;
  const r = mulDivCeil(profit, RATIO_ONE, poolBalance);
  return r > U64_MAX ? U64_MAX : r;
}

/** `exposure` with `old` replaced by `next` in its sums. */
export function replacePosition(exposure: MarketExposure, old: PerpPosition, next: PerpPosition): MarketExposure {
  const e = { ...exposure };
  for (const [p, sign] of [[old, -1n], [next, 1n]] as const) {
    const base = (p.base < 0n ? -p.base : p.base) * sign;
    const entry = p.quoteEntry * sign;
    if (p.base > 0n) {
      e.longBase += base;
      if (e.longBase < 0n || e.longBase > U64_MAX) throw new MathError("InvalidInput");
      e.longQuoteEntry = toI64(add(e.longQuoteEntry, entry));
    } else if (p.base < 0n) {
      e.shortBase += base;
      if (e.shortBase < 0n || e.shortBase > U64_MAX) throw new MathError("InvalidInput");
      e.shortQuoteEntry = toI64(add(e.shortQuoteEntry, entry));
    }
  }
  return e;
}

export interface AdlPlan {
  baseDelta: bigint;
  fill: FillOutcome;
  ratioBefore: bigint;
  ratioAfter: bigint;
}

/** The largest close of `pos` at the oracle price keeping the market's ratio ≥ `floor`; see pool.rs. */
export function planAutoDeleverage(
  pos: PerpPosition, market: PerpMarketRisk, exposure: MarketExposure, poolBalance: bigint, floor: number, step: bigint,
): AdlPlan {
  if (pos.base === 0n || step === 0n) throw new MathError("InvalidInput");
  const price = market.price.oracle;
  const exp = { ...exposure, price };
  const ratioBefore = pnlRatio(marketProfit(exp), poolBalance);
  const abs = pos.base < 0n ? -pos.base : pos.base;
  const sign = pos.base < 0n ? -1n : 1n;
  const closeOf = (k: bigint): bigint => (k * step < abs ? k * step : abs);
  const evaluate = (close: bigint): AdlPlan => {
    const delta = -sign * close;
    const fill = applyFill(pos, market, delta, price, 0);
    const after = replacePosition(exp, pos, fill.position);
    const balance = poolBalance - fill.realizedPnl;
    if (balance < 0n || balance > U64_MAX) throw new MathError("Overflow");
    return { baseDelta: delta, fill, ratioBefore, ratioAfter: pnlRatio(marketProfit(after), balance) };
  };
  const steps = (abs + step - 1n) / step;
  const all = evaluate(abs);
  const fl = BigInt(floor);
  if (all.ratioAfter >= fl) return all;
  let lo = 0n;
  let hi = steps;
  while (hi - lo > 1n) {
    const mid = lo + (hi - lo) / 2n;
    if (evaluate(closeOf(mid)).ratioAfter < fl) hi = mid;
    else lo = mid;
  }
  if (hi <= 1n) {
    return { baseDelta: 0n, fill: { position: { ...pos }, realizedPnl: 0n, fillQuote: 0n, fee: 0n }, ratioBefore, ratioAfter: ratioBefore };
  }
  return evaluate(closeOf(hi - 1n));
}

/** Auto-deleveraging rank (higher first): PnL ratio × leverage, both ppm, over ppm; see pool.rs. */
export function adlScore(pnl: bigint, quoteEntry: bigint, notional: bigint, equity: bigint): bigint {
  if (pnl <= 0n) return 0n;
  const sat = (v: bigint): bigint => (v > U128_MAX ? U128_MAX : v);
  const basis = quoteEntry < 0n ? -quoteEntry : quoteEntry;
  const ratio = sat(pnl * RATIO_ONE) / (basis > 0n ? basis : 1n);
  const leverage = equity <= 0n ? U64_MAX : sat((notional > 0n ? notional : 0n) * RATIO_ONE) / equity;
  return sat(ratio * leverage) / RATIO_ONE;
}
