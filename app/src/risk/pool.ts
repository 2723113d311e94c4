// The liquidity pool as LP flows value it: mirror of `crates/risk/src/pool.rs` (issue 13 §2),
// to the unit (app/vectors/risk.json `poolCases`).
//
// Pool value for an LP = balance − Σ traders' PnL (capped against the LP by the deposit /
// withdrawal PnL factor) + Σ funding traders owe and have not settled − bad debt the insurance
// fund cannot cover. Everything rounds against whoever enters (`Up`) or leaves (`Down`).

import {
  FUNDING_SCALE, MathError, PRICE_SCALE, RATIO_ONE, add, max, min, mulDivCeil, mulDivFloor, mulDivSignedCeil,
  mulDivSignedFloor, sub, toI128, toU64,
} from "./fixed.js";

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
  const accrued = toI128(net * f.index);
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
