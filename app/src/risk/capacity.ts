/**
 * The pool's capacity: reserve, borrow fee and insurance-aware open-interest cap, the mirror of
 * the capacity part of `crates/risk/src/pool.rs` (and `accrue_funding` of `dynamic.rs`, which
 * accrues the borrow index too).
 */
import { PRICE_SCALE, RATIO_ONE, U64_MAX, add, min, mulDivCeil, toI128 } from "./fixed.js";

/** `|base| × price` of one side's open interest, quote native units, rounded up. */
export const sideNotional = (base: bigint, price: bigint): bigint => mulDivCeil(base, price, PRICE_SCALE);

/** `side_notional ≤ reserve_factor × pool_balance` (reserve factor ppm; 0: off). */
export const reserveOk = (sideNotional: bigint, reserveFactor: number, poolBalance: bigint): boolean =>
  reserveFactor === 0 || sideNotional * RATIO_ONE <= BigInt(reserveFactor) * poolBalance;

/** A market's borrow-fee curve: ppm of notional per hour; kink ppm of utilisation. */
export interface BorrowParams {
  baseRate: number;
  slope1: number;
  kink: number;
  slope2: number;
}

/** Fuller side's notional over `reserve_factor × balance` (balance alone when 0), ppm, rounded up, ≤ 100%. */
export function borrowUtilisation(maxSideNotional: bigint, reserveFactor: number, poolBalance: bigint): bigint {
  if (maxSideNotional === 0n) return 0n;
  const factor = reserveFactor === 0 ? RATIO_ONE : BigInt(reserveFactor);
  const capacity = factor * poolBalance;
  if (capacity === 0n) return RATIO_ONE;
  const u = mulDivCeil(min(maxSideNotional, U64_MAX), RATIO_ONE * RATIO_ONE, capacity);
  return min(u, RATIO_ONE);
}

/** Borrow rate at `utilisation`, ppm of notional per hour, rounded up (two slopes with a kink). */
export function borrowRate(utilisation: bigint, p: BorrowParams): bigint {
  const u = min(utilisation, RATIO_ONE);
  const kink = min(BigInt(p.kink), RATIO_ONE);
  const base = BigInt(p.baseRate);
  if (u <= kink) return kink === 0n ? base : base + mulDivCeil(BigInt(p.slope1), u, kink);
  return base + BigInt(p.slope1) + mulDivCeil(BigInt(p.slope2), u - kink, RATIO_ONE - kink);
}

/** Denominator of a funding or borrow accrual: ppm per hour. */
export const FUNDING_CARRY_DENOM = 3_600n * RATIO_ONE;

/**
 * Index and carry after `dt` seconds at `rate` (ppm of `price` per hour), exact: whole units into
 * the index, the remainder carried (`accrue_funding`; the borrow index accrues the same way).
 */
export function accrueFunding(index: bigint, carry: bigint, price: bigint, rate: bigint, dt: bigint): [bigint, bigint] {
  const accrued = toI128(toI128(rate * dt) * price);
  const total = add(accrued, carry);
  // BigInt `/` and `%` truncate toward zero, as Rust's on i128.
  return [add(index, total / FUNDING_CARRY_DENOM), total % FUNDING_CARRY_DENOM];
}

/**
 * Insurance-aware open-interest cap of one side, quote native notional, rounded down:
 * `(insurance + pool_fraction × balance) / (shock − maint)`; U64_MAX (none) when shock ≤ maint.
 */
export function insuranceOiCap(insurance: bigint, poolBalance: bigint, poolFraction: number, shock: number, maintRatio: number): bigint {
  if (shock <= maintRatio) return U64_MAX;
  const budget = insurance + (BigInt(poolFraction) * poolBalance) / RATIO_ONE;
  return min((budget * RATIO_ONE) / BigInt(shock - maintRatio), U64_MAX);
}

