/** The engine's inputs: the mirror of `crates/risk/src/types.rs`. */
import { MarginKind, RATIO_ONE, toI128 } from "./fixed.js";
import type { PnlHaircut } from "./pool.js";

/** An oracle observation, both in PRICE_SCALE units. */
export interface Price {
  oracle: bigint;
  ema: bigint;
}

export const flatPrice = (p: bigint): Price => ({ oracle: p, ema: p });

/** Price to value an asset at: min(oracle, ema) for initial margin, oracle for maintenance. */
export function assetPrice(p: Price, kind: MarginKind): bigint {
  return kind === MarginKind.Initial ? (p.oracle < p.ema ? p.oracle : p.ema) : p.oracle;
}

/** Price to value a liability at: max(oracle, ema) for initial margin, oracle for maintenance. */
export function liabilityPrice(p: Price, kind: MarginKind): bigint {
  return kind === MarginKind.Initial ? (p.oracle > p.ema ? p.oracle : p.ema) : p.oracle;
}

export interface Collateral {
  amount: bigint;
  price: Price;
  initAssetWeight: number;
  maintAssetWeight: number;
}

export const collateralWeight = (c: Collateral, kind: MarginKind): bigint =>
  BigInt(kind === MarginKind.Initial ? c.initAssetWeight : c.maintAssetWeight);

export interface PerpPosition {
  base: bigint;
  quoteEntry: bigint;
  fundingSnapshot: bigint;
}

export interface PerpMarketRisk {
  price: Price;
  baseDecimals: number;
  initMarginRatio: number;
  maintMarginRatio: number;
  imf: number;
  cumulativeFunding: bigint;
  /** The market's PnL cap now (`pool.ts`): gains count and are paid through it (absent: no cap). */
  pnlHaircut?: PnlHaircut;
  /** Cumulative borrow-fee index (FUNDING_SCALE); absent: 0. */
  cumulativeBorrow?: bigint;
}

/**
 * The index a position of `base` settles against: funding + borrow for a long, funding − borrow
 * for a short, 0 with no position (`PerpMarketRisk::position_index`).
 */
export function positionIndex(m: PerpMarketRisk, base: bigint): bigint {
  const borrow = m.cumulativeBorrow ?? 0n;
  if (base > 0n) return toI128(m.cumulativeFunding + borrow);
  if (base < 0n) return toI128(m.cumulativeFunding - borrow);
  return 0n;
}

export const marketMarginRatio = (m: PerpMarketRisk, kind: MarginKind): bigint =>
  BigInt(kind === MarginKind.Initial ? m.initMarginRatio : m.maintMarginRatio);

export interface PerpExposure {
  position: PerpPosition;
  market: PerpMarketRisk;
}

export interface AccountParams {
  quoteInitLiabilityWeight: number;
  quoteMaintLiabilityWeight: number;
  unrealizedPnlInitWeight: number;
}

export const defaultAccountParams = (): AccountParams => ({
  quoteInitLiabilityWeight: Number(RATIO_ONE),
  quoteMaintLiabilityWeight: Number(RATIO_ONE),
  unrealizedPnlInitWeight: Number(RATIO_ONE),
});

export const quoteLiabilityWeight = (p: AccountParams, kind: MarginKind): bigint =>
  BigInt(kind === MarginKind.Initial ? p.quoteInitLiabilityWeight : p.quoteMaintLiabilityWeight);

/** Everything one margin computation looks at. */
export interface RiskAccount {
  quoteBalance: bigint;
  collateral: Collateral[];
  perps: PerpExposure[];
  params: AccountParams;
}
