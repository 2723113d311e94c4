/**
 * Yield-bearing collateral: the TypeScript mirror of `crates/risk/src/rate.rs` (issue 18 part 2).
 * A rate-priced bank is worth its underlying's price × the accepted exchange rate × the depeg
 * factor, every step rounded down (collateral never counts more than the asset is worth).
 */
import { MathError, RATIO_ONE, U64_MAX, min, mulDivFloor } from "./fixed.js";
import type { Price } from "./types.js";

/** Fixed-point one of an exchange rate (whole underlying per whole token). */
export const RATE_ONE = 1_000_000_000_000n;
/** A depeg factor of one, ppm. */
export const FACTOR_ONE = 1_000_000n;
/** Largest rise cap accepted per epoch, ppm. */
export const MAX_RATE_RISE_PPM = 100_000n;

const toU64 = (v: bigint): bigint => {
  if (v > U64_MAX) throw new MathError("Overflow");
  return v;
};

/** `observed_rate`: total assets / total shares in whole tokens × RATE_ONE, rounded down. */
export function observedRate(totalAssets: bigint, totalShares: bigint, assetDecimals: number, shareDecimals: number): bigint {
  if (totalShares === 0n) throw new MathError("DivideByZero");
  const num = totalAssets * 10n ** BigInt(shareDecimals);
  const den = totalShares * 10n ** BigInt(assetDecimals);
  return toU64(mulDivFloor(num, RATE_ONE, den));
}

/** `guarded_rate`: a fall in full, a rise capped at `maxRisePpm` of the accepted rate per elapsed epoch. */
export function guardedRate(accepted: bigint, acceptedEpoch: bigint, observed: bigint, epoch: bigint, maxRisePpm: bigint): bigint {
  if (observed <= accepted || accepted === 0n) return observed;
  const elapsed = epoch > acceptedEpoch ? epoch - acceptedEpoch : 0n;
  const cap = (accepted * (RATIO_ONE + maxRisePpm * elapsed)) / RATIO_ONE;
  return min(observed, cap);
}

/** `depeg_factor`: min(1, direct / (underlying × rate)) in ppm, rounded down. */
export function depegFactor(direct: bigint, underlying: bigint, rate: bigint): bigint {
  const fair = mulDivFloor(underlying, rate, RATE_ONE);
  if (fair === 0n) throw new MathError("InvalidInput");
  return min(mulDivFloor(direct, RATIO_ONE, fair), FACTOR_ONE);
}

const scaleDown = (p: bigint, rate: bigint, factorPpm: bigint): bigint =>
  toU64(mulDivFloor(p, rate * min(factorPpm, FACTOR_ONE), RATE_ONE * RATIO_ONE));

/** `rate_price`: both legs × rate × factor, rounded down. */
export const ratePrice = (underlying: Price, rate: bigint, factorPpm: bigint): Price => ({
  oracle: scaleDown(underlying.oracle, rate, factorPpm),
  ema: scaleDown(underlying.ema, rate, factorPpm),
});

/**
 * `depeg_fresh`: a depeg factor measured (from a direct price published) at
 * `measuredAt` still prices a risk-increasing action at `now` while at most `maxAge` seconds old.
 */
export const depegFresh = (measuredAt: bigint, now: bigint, maxAge: number | bigint): boolean =>
  now - measuredAt <= BigInt(maxAge);

/** `lst_price`: min(underlying × rate, direct) for each leg. */
export function lstPrice(underlying: Price, rate: bigint, direct?: Price): Price {
  const p = ratePrice(underlying, rate, FACTOR_ONE);
  return direct ? { oracle: min(p.oracle, direct.oracle), ema: min(p.ema, direct.ema) } : p;
}
