/**
 * Margin modes: the mirror of `portfolio.rs`. Every exposure has a signed risk `v`: a collateral
 * balance is long its asset with `v = value × (1 − weight)`, a perp position long or short its
 * asset with `|v|` = its requirement. Cross: equity − Σ|v|; portfolio: requirement =
 * max(⌈floor × Σ|v|⌉, ⌈√(Vᵀ C V)⌉) against equity at full value. Correlations are ppm.
 */
import {
  MarginKind, MathError, PRICE_SCALE, RATIO_ONE, U64_MAX,
  abs, add, sub, isqrtCeil, isqrtFloor, mulDivCeil, mulDivSignedCeil, mulDivSignedFloor, toI128,
} from "./fixed.js";
import {
  AccountHealth, Health, accountHealth, accountHealthWith, collateralValue, health, isMet,
  liquidationPrice, marginRatio, positionRequirement,
} from "./margin.js";
import { AccountParams, Collateral, PerpExposure, PerpMarketRisk, RiskAccount, assetPrice, flatPrice } from "./types.js";

/** Assets a correlation matrix covers. */
export const MAX_ASSETS = 12;
/** Tolerance of the positive semi-definiteness check, in ppm² of a Cholesky pivot. */
export const PSD_TOLERANCE = 1_000n;
/** Most perp positions a model computation copies (an account's slot count). */
export const MAX_PERPS_PER_MODEL = 8;

/** A symmetric correlation matrix over `n` assets, ppm (`c[i][j]`, rows of at least `n`). */
export interface Correlation {
  n: number;
  c: number[][];
}

export type CorrelationError = "TooManyAssets" | "NotSymmetric" | "DiagonalNotOne" | "OutOfRange" | "NotPositiveSemiDefinite";

const cell = (c: Correlation, i: number, j: number): number => c.c[i]?.[j] ?? 0;

export const Correlation = {
  /** The identity (uncorrelated assets). */
  identity(n: number): Correlation {
    const m = Math.min(n, MAX_ASSETS);
    return { n: m, c: Array.from({ length: MAX_ASSETS }, (_, i) => Array.from({ length: MAX_ASSETS }, (_, j) => (i === j && i < m ? Number(RATIO_ONE) : 0))) };
  },

  /**
   * Symmetric, unit diagonal, entries in [−1, 1], positive semi-definite (fixed-point Cholesky
   * whose pivots may dip below zero by at most {@link PSD_TOLERANCE}); `null` when valid.
   */
  validate(c: Correlation): CorrelationError | null {
    const n = c.n;
    if (n > MAX_ASSETS) return "TooManyAssets";
    const one = Number(RATIO_ONE);
    for (let i = 0; i < n; i++) {
      if (cell(c, i, i) !== one) return "DiagonalNotOne";
      for (let j = 0; j < n; j++) {
        if (cell(c, i, j) !== cell(c, j, i)) return "NotSymmetric";
        if (cell(c, i, j) < -one || cell(c, i, j) > one) return "OutOfRange";
      }
    }
    const scale = RATIO_ONE;
    const l: bigint[][] = Array.from({ length: n }, () => new Array<bigint>(n).fill(0n));
    for (let j = 0; j < n; j++) {
      let sq = 0n;
      for (let k = 0; k < j; k++) sq += l[j]![k]! * l[j]![k]!;
      const pivot = BigInt(cell(c, j, j)) * scale - sq;
      if (pivot < -PSD_TOLERANCE * scale) return "NotPositiveSemiDefinite";
      const d = isqrtFloor(pivot > 0n ? pivot : 0n);
      l[j]![j] = d;
      for (let i = j + 1; i < n; i++) {
        let dot = 0n;
        for (let k = 0; k < j; k++) dot += l[i]![k]! * l[j]![k]!;
        const s = BigInt(cell(c, i, j)) * scale - dot;
        if (d === 0n) {
          // A zero pivot: the column must be (numerically) zero too.
          if (abs(s) > PSD_TOLERANCE * scale) return "NotPositiveSemiDefinite";
          l[i]![j] = 0n;
        } else {
          l[i]![j] = s / d; // truncates toward zero, as Rust's i128 division
        }
      }
    }
    return null;
  },
};

/** Asset index of a holding the correlation map does not place on any asset (nets with nothing). */
export const STANDALONE = 255;

/** Signed risk per asset (`V_a`), the gross `Σ|v|`, and `Σ|v|` of {@link STANDALONE} holdings. */
export class Exposures {
  constructor(
    readonly perAsset: bigint[] = new Array<bigint>(MAX_ASSETS).fill(0n),
    public gross = 0n,
    public standalone = 0n,
  ) {}

  clone(): Exposures {
    return new Exposures(this.perAsset.slice(), this.gross, this.standalone);
  }

  /** Adds signed risk `v` on `asset` (a negative `v` counts |v| in the gross). */
  add(asset: number, v: bigint): void {
    this.apply(asset, v, add);
  }

  /** Takes signed risk `v` on `asset` back out. */
  remove(asset: number, v: bigint): void {
    this.apply(asset, v, sub);
  }

  private apply(asset: number, v: bigint, op: (a: bigint, b: bigint) => bigint): void {
    if (asset === STANDALONE) this.standalone = op(this.standalone, toI128(abs(v)));
    else {
      if (!(asset >= 0 && asset < MAX_ASSETS)) throw new MathError("InvalidInput");
      this.perAsset[asset] = op(this.perAsset[asset]!, v);
    }
    this.gross = op(this.gross, toI128(abs(v)));
  }
}

/** Signed risk of a collateral balance: full value − weighted value at the price for `kind`. */
export function collateralRisk(c: Collateral, kind: MarginKind): bigint {
  const full = toI128((c.amount * assetPrice(c.price, kind)) / PRICE_SCALE);
  return sub(full, collateralValue(c, kind));
}

/** Signed risk of a perp position: its requirement, positive long and negative short. */
export function perpRisk(base: bigint, market: PerpMarketRisk, kind: MarginKind): bigint {
  const r = positionRequirement(base, market, kind);
  return base >= 0n ? r : -r;
}

/** The account's exposures for `kind`; `collateralAssets[i]` / `perpAssets[i]` place each holding. */
export function exposures(account: RiskAccount, collateralAssets: readonly number[], perpAssets: readonly number[], kind: MarginKind): Exposures {
  const e = new Exposures();
  const nc = Math.min(account.collateral.length, collateralAssets.length);
  for (let i = 0; i < nc; i++) e.add(collateralAssets[i]!, collateralRisk(account.collateral[i]!, kind));
  const np = Math.min(account.perps.length, perpAssets.length);
  for (let i = 0; i < np; i++) {
    const p = account.perps[i]!;
    e.add(perpAssets[i]!, perpRisk(p.position.base, p.market, kind));
  }
  return e;
}

/** `⌈√(Vᵀ C V)⌉`, quote native units. */
export function correlatedRisk(v: readonly bigint[], c: Correlation): bigint {
  const n = Math.min(c.n, MAX_ASSETS);
  let total = 0n;
  for (let i = 0; i < n; i++) {
    const vi = v[i] ?? 0n;
    if (vi === 0n) continue;
    // w_i = Σ_j C_ij V_j, rounded away from zero in V_i's direction (an upper bound).
    let w = 0n;
    for (let j = 0; j < n; j++) w = add(w, toI128((v[j] ?? 0n) * BigInt(cell(c, i, j))));
    w = vi > 0n ? mulDivSignedCeil(w, 1n, RATIO_ONE) : mulDivSignedFloor(w, 1n, RATIO_ONE);
    total = add(total, toI128(vi * w));
  }
  return toI128(isqrtCeil(total > 0n ? total : 0n));
}

/** Portfolio requirement: `max(⌈floor × Σ|v|⌉, ⌈√(Vᵀ C V)⌉ + Σ|v| standalone)`. */
export function portfolioRequirement(e: Exposures, c: Correlation, floor: number): bigint {
  const floored = toI128(mulDivCeil(e.gross > 0n ? e.gross : 0n, BigInt(floor), RATIO_ONE));
  const r = add(correlatedRisk(e.perAsset, c), e.standalone);
  return floored > r ? floored : r;
}

/** Portfolio health for `kind`: equity with collateral at full value, against the portfolio requirement. */
export function portfolioHealth(
  account: RiskAccount,
  collateralAssets: readonly number[],
  perpAssets: readonly number[],
  c: Correlation,
  floor: number,
  kind: MarginKind,
): Health {
  const cross = health(account, kind);
  const e = exposures(account, collateralAssets, perpAssets, kind);
  const collateralHaircut = sub(e.gross, cross.requirement);
  return { equity: add(cross.equity, collateralHaircut), requirement: portfolioRequirement(e, c, floor) };
}

/** How an account's collateral backs its (non-isolated) positions; `margin_mode` on chain. */
export enum MarginMode {
  Cross = 0,
  Portfolio = 1,
}

export const marginModeFromU8 = (v: number): MarginMode | null => (v === 0 ? MarginMode.Cross : v === 1 ? MarginMode.Portfolio : null);

/** What portfolio margin needs beside the account. */
export interface PortfolioModel {
  collateralAssets: readonly number[];
  perpAssets: readonly number[];
  correlation: Correlation;
  floor: number;
}

/** The rule an account's health is computed by. */
export type MarginModel = { mode: MarginMode.Cross } | ({ mode: MarginMode.Portfolio } & PortfolioModel);

export const MarginModel = {
  Cross: { mode: MarginMode.Cross } as MarginModel,
  Portfolio: (p: PortfolioModel): MarginModel => ({ mode: MarginMode.Portfolio, ...p }),
};

/** Health for `kind` under `model`. */
export function modelHealth(account: RiskAccount, model: MarginModel, kind: MarginKind): Health {
  if (model.mode === MarginMode.Cross) return health(account, kind);
  return portfolioHealth(account, model.collateralAssets, model.perpAssets, model.correlation, model.floor, kind);
}

/** {@link accountHealth} under `model`. */
export function modelAccountHealth(account: RiskAccount, model: MarginModel): AccountHealth {
  if (model.mode === MarginMode.Cross) return accountHealth(account);
  return accountHealthWith(account, modelHealth(account, model, MarginKind.Initial), modelHealth(account, model, MarginKind.Maintenance));
}

/** {@link liquidationPrice} under `model` (portfolio: by bisection; same rounding contract). */
export function modelLiquidationPrice(account: RiskAccount, model: MarginModel, index: number): bigint | null {
  if (model.mode !== MarginMode.Portfolio) return liquidationPrice(account, index);
  const e = account.perps[index];
  if (!e) throw new MathError("InvalidInput");
  const base = e.position.base;
  if (base === 0n || marginRatio(base, e.market, MarginKind.Maintenance) >= RATIO_ONE) return null;
  const n = Math.min(account.perps.length, MAX_PERPS_PER_MODEL);
  if (index >= n) throw new MathError("InvalidInput");
  const perps = account.perps.slice(0, n);
  const metAt = (p: bigint): boolean => {
    perps[index] = { position: e.position, market: { ...e.market, price: flatPrice(p) } };
    return isMet(modelHealth({ ...account, perps }, model, MarginKind.Maintenance));
  };
  const o = e.market.price.oracle > 1n ? e.market.price.oracle : 1n;
  const top = o * (1n << 20n) > U64_MAX ? U64_MAX : o * (1n << 20n);
  let lo = 0n;
  let hi = top;
  if (base > 0n) {
    if (metAt(0n)) return null;
    if (!metAt(top)) return top;
    while (hi - lo > 1n) {
      const mid = lo + (hi - lo) / 2n;
      if (metAt(mid)) hi = mid;
      else lo = mid;
    }
    return lo;
  }
  if (!metAt(0n)) return 0n;
  if (metAt(top)) return U64_MAX;
  while (hi - lo > 1n) {
    const mid = lo + (hi - lo) / 2n;
    if (metAt(mid)) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** One perp position with its own quote collateral: the account an isolated position is. */
export function isolatedAccount(collateral: bigint, perp: PerpExposure, params: AccountParams): RiskAccount {
  return { quoteBalance: collateral, collateral: [], perps: [perp], params };
}

/** Cross health in exposure form: equity at full value − Σ|v| (equals cross free collateral). */
export function crossFreeCollateralFromExposures(account: RiskAccount, collateralAssets: readonly number[], perpAssets: readonly number[], kind: MarginKind): bigint {
  const cross = health(account, kind);
  const e = exposures(account, collateralAssets, perpAssets, kind);
  const fullEquity = add(cross.equity, sub(e.gross, cross.requirement));
  return sub(fullEquity, e.gross);
}

/**
 * Whether a portfolio trade that reduces a position may stand by initial margin `after` it:
 * at initial margin, or no less free initial collateral than `before` (closing one leg of a
 * hedge can raise the netted requirement).
 */
export function portfolioReductionAllowed(before: Health, after: Health): boolean {
  return isMet(after) || sub(after.equity, after.requirement) >= sub(before.equity, before.requirement);
}
