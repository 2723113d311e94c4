/**
 * Fixed-point units and checked arithmetic: the TypeScript mirror of `crates/risk/src/fixed.rs`.
 *
 * | quantity | unit |
 * |---|---|
 * | quote amount | quote native units (USDC: 10⁻⁶) |
 * | base amount | native units of the asset |
 * | price | quote native units per base native unit × PRICE_SCALE (10¹²) |
 * | ratio, weight, fee rate, leverage | parts per million (RATIO_ONE = 1,000,000) |
 * | funding index | quote native per base native × FUNDING_SCALE |
 *
 * Every value is a `bigint`; every operation that overflows the Rust type, divides by zero or
 * gets an input outside its range throws a {@link MathError} with the same kind as the engine.
 */

export const PRICE_DECIMALS = 12;
export const PRICE_SCALE = 1_000_000_000_000n;
export const RATIO_ONE = 1_000_000n;
export const FUNDING_SCALE = PRICE_SCALE;

export const U64_MAX = (1n << 64n) - 1n;
export const I64_MAX = (1n << 63n) - 1n;
export const I64_MIN = -(1n << 63n);
export const U128_MAX = (1n << 128n) - 1n;
export const I128_MAX = (1n << 127n) - 1n;
export const I128_MIN = -(1n << 127n);

export type MathErrorKind = "Overflow" | "DivideByZero" | "InvalidInput";

/** Why a computation could not produce a value (the engine's `MathError`). */
export class MathError extends Error {
  constructor(public readonly kind: MathErrorKind) {
    super(`risk: ${kind}`);
    this.name = "MathError";
  }
}

export enum MarginKind {
  Initial = "Initial",
  Maintenance = "Maintenance",
}

export const abs = (v: bigint): bigint => (v < 0n ? -v : v);
export const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
export const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

function checkU128(v: bigint): bigint {
  if (v > U128_MAX) throw new MathError("Overflow");
  return v;
}

/** `a * b / d`, rounded down, on unsigned magnitudes. */
export function mulDivFloor(a: bigint, b: bigint, d: bigint): bigint {
  if (d === 0n) throw new MathError("DivideByZero");
  return checkU128(a * b) / d;
}

/** `a * b / d`, rounded up, on unsigned magnitudes. */
export function mulDivCeil(a: bigint, b: bigint, d: bigint): bigint {
  if (d === 0n) throw new MathError("DivideByZero");
  const p = checkU128(a * b);
  return p / d + (p % d !== 0n ? 1n : 0n);
}

/** Signed `a * b / d` rounded toward negative infinity (`d > 0`). */
export function mulDivSignedFloor(a: bigint, b: bigint, d: bigint): bigint {
  const m = abs(a);
  return a >= 0n ? toI128(mulDivFloor(m, b, d)) : -toI128(mulDivCeil(m, b, d));
}

/** Signed `a * b / d` rounded toward positive infinity (`d > 0`). */
export function mulDivSignedCeil(a: bigint, b: bigint, d: bigint): bigint {
  const m = abs(a);
  return a >= 0n ? toI128(mulDivCeil(m, b, d)) : -toI128(mulDivFloor(m, b, d));
}

export function toI128(v: bigint): bigint {
  if (v > I128_MAX || v < I128_MIN) throw new MathError("Overflow");
  return v;
}

export function toI64(v: bigint): bigint {
  if (v > I64_MAX || v < I64_MIN) throw new MathError("Overflow");
  return v;
}

export function toU64(v: bigint): bigint {
  if (v > U64_MAX || v < 0n) throw new MathError("Overflow");
  return v;
}

/** Checked i128 addition. */
export const add = (a: bigint, b: bigint): bigint => toI128(a + b);
/** Checked i128 subtraction. */
export const sub = (a: bigint, b: bigint): bigint => toI128(a - b);
/** Checked i64 addition. */
export const addI64 = (a: bigint, b: bigint): bigint => toI64(a + b);

/** Integer square root rounded down. */
export function isqrtFloor(v: bigint): bigint {
  if (v < 2n) return v;
  let x = 1n << BigInt(Math.ceil(v.toString(2).length / 2));
  for (;;) {
    const y = (x + v / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** Integer square root rounded up: the least `r` with `r * r >= v`. */
export function isqrtCeil(v: bigint): bigint {
  const r = isqrtFloor(v);
  return r * r === v ? r : r + 1n;
}

/** `a.div_ceil(b)` on non-negative values. */
export const divCeil = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;
