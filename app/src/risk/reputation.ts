/**
 * Reputation-tiered leverage (issue 18 §1): the mirror of `crates/risk/src/reputation.rs`, to the
 * unit (proven by `app/vectors/reputation.json`), plus what the SDK and CLI show: what the next
 * tier needs and the leverage a tier allows.
 *
 * Units as in Rust: equity and volume in quote native units, equity × time in quote native ×
 * seconds, a table's requirements in whole quote units (`unit` = 10^quote decimals) and days,
 * multipliers in ppm of a market's initial ratio.
 */
import { mulDivCeil, mulDivFloor, RATIO_ONE, U64_MAX } from "./fixed.js";

export const MAX_TIERS = 4;
export const DAY_SECS = 86_400n;
export const MIN_TIER_MULTIPLIER = 500_000;
export const MAX_TIER_MULTIPLIER = 3_000_000;
export const TIER_FLOOR_GAP_SHARE = 500_000n;

export interface TierRequirement {
  minAgeDays: number;
  maxLiquidations: number;
  /** Whole quote units × days. */
  minEquityDays: number;
  /** Whole quote units. */
  minVolume: number;
  /** ppm of the market's initial ratio. */
  initMultiplier: number;
}

export interface ReputationStats {
  ageSecs: bigint;
  equitySecs: bigint;
  netVolume: bigint;
  /** Liquidations plus bankruptcies. */
  liquidations: number;
}

export interface TierClock {
  now: bigint;
  changedAt: bigint;
  coolOffUntil: bigint;
  upgradePeriod: number;
}

export type TierTableError =
  | "TooManyTiers"
  | "MultiplierOutOfRange"
  | "MultiplierNotDecreasing"
  | "TierZeroHasRequirements"
  | "RequirementsNotIncreasing";

const satU64 = (v: bigint): bigint => (v > U64_MAX ? U64_MAX : v);

/** `validate_tier_table`: the first rule broken, or null. */
export function validateTierTable(tiers: TierRequirement[]): TierTableError | null {
  if (tiers.length > MAX_TIERS) return "TooManyTiers";
  const first = tiers[0];
  if (!first) return null;
  if (first.minAgeDays !== 0 || first.minEquityDays !== 0 || first.minVolume !== 0) return "TierZeroHasRequirements";
  for (const t of tiers) {
    if (t.initMultiplier < MIN_TIER_MULTIPLIER || t.initMultiplier > MAX_TIER_MULTIPLIER) return "MultiplierOutOfRange";
  }
  for (let i = 1; i < tiers.length; i++) {
    const [lo, hi] = [tiers[i - 1]!, tiers[i]!];
    if (hi.initMultiplier > lo.initMultiplier) return "MultiplierNotDecreasing";
    if (
      hi.minAgeDays < lo.minAgeDays ||
      hi.minEquityDays < lo.minEquityDays ||
      hi.minVolume < lo.minVolume ||
      hi.maxLiquidations > lo.maxLiquidations
    ) {
      return "RequirementsNotIncreasing";
    }
  }
  return null;
}

/** `meets`: whether `stats` meets tier `t`. */
export function meets(stats: ReputationStats, t: TierRequirement, unit: bigint): boolean {
  return (
    stats.ageSecs >= BigInt(t.minAgeDays) * DAY_SECS &&
    stats.equitySecs >= BigInt(t.minEquityDays) * unit * DAY_SECS &&
    stats.netVolume >= satU64(BigInt(t.minVolume) * unit) &&
    stats.liquidations <= t.maxLiquidations
  );
}

/** `qualified_tier`: the highest tier met along with every tier below it. */
export function qualifiedTier(stats: ReputationStats, tiers: TierRequirement[], unit: bigint): number {
  let n = 0;
  for (const t of tiers.slice(1)) {
    if (!meets(stats, t, unit)) break;
    n++;
  }
  return n;
}

/** `next_tier`: down at once (0 in a cool-off), up one tier per upgrade period at most. */
export function nextTier(current: number, qualified: number, clock: TierClock): number {
  if (clock.now < clock.coolOffUntil) return 0;
  if (qualified <= current) return qualified;
  return clock.now - clock.changedAt >= BigInt(clock.upgradePeriod) ? Math.min(current + 1, 255) : current;
}

/** `accrue_equity`: min(sampled, now, cap) × elapsed (none when the clock went back). */
export function accrueEquity(sampled: bigint, nowEquity: bigint, cap: bigint, elapsed: bigint): bigint {
  let e = sampled < nowEquity ? sampled : nowEquity;
  if (cap > 0n && cap < e) e = cap;
  return elapsed > 0n ? e * elapsed : 0n;
}

/** `tier_floor_ratio`: maintenance + half the gap to initial, rounded up. */
export function tierFloorRatio(init: number, maint: number): number {
  const gap = BigInt(Math.max(init - maint, 0));
  return maint + Number(mulDivCeil(gap, TIER_FLOOR_GAP_SHARE, RATIO_ONE));
}

/** `tiered_init_ratio`: the initial ratio a multiplier gives (0 or 1×: unchanged), floored. */
export function tieredInitRatio(init: number, maint: number, multiplier: number): number {
  if (multiplier === 0 || BigInt(multiplier) === RATIO_ONE) return init;
  const scaled = mulDivCeil(BigInt(init), BigInt(multiplier), RATIO_ONE);
  const ceiling = BigInt(Math.max(init, Number(RATIO_ONE)));
  const capped = Number(scaled < ceiling ? scaled : ceiling);
  return Math.max(capped, tierFloorRatio(init, maint));
}

/** `washed_volume`: the reduced notional of a fill, once the position was held `minHold`. */
export function washedVolume(oldBase: bigint, size: bigint, fillQuote: bigint, increasedAt: bigint, now: bigint, minHold: number): bigint {
  if (oldBase === 0n || size === 0n || oldBase > 0n === size > 0n) return 0n;
  if (now - increasedAt < BigInt(minHold)) return 0n;
  const a = (v: bigint): bigint => (v < 0n ? -v : v);
  const reduced = a(oldBase) < a(size) ? a(oldBase) : a(size);
  return mulDivFloor(fillQuote, reduced, a(size));
}

/** `tier_shortfall`: [days of age, equity-seconds, volume] still missing; null if barred. */
export function tierShortfall(stats: ReputationStats, t: TierRequirement, unit: bigint): [bigint, bigint, bigint] | null {
  if (stats.liquidations > t.maxLiquidations) return null;
  const sat = (need: bigint, have: bigint): bigint => (need > have ? need - have : 0n);
  const age = sat(BigInt(t.minAgeDays) * DAY_SECS, stats.ageSecs);
  const equity = sat(BigInt(t.minEquityDays) * unit * DAY_SECS, stats.equitySecs);
  const volume = sat(satU64(BigInt(t.minVolume) * unit), stats.netVolume);
  return [(age + DAY_SECS - 1n) / DAY_SECS, equity, volume];
}

/** What the tier above needs, for display (null at the top). */
export interface NextTierNeeds {
  tier: number;
  initMultiplier: number;
  /** Null: the account's liquidations bar it from that tier. */
  shortfall: { days: bigint; equityDays: bigint; volume: bigint } | null;
  /** The earliest a crank may raise the tier (rate limit and cool-off), unix seconds. */
  earliest: bigint;
}

export function nextTierNeeds(
  stats: ReputationStats,
  tiers: TierRequirement[],
  unit: bigint,
  current: number,
  clock: TierClock,
): NextTierNeeds | null {
  const t = tiers[current + 1];
  if (!t) return null;
  const s = tierShortfall(stats, t, unit);
  const earliest = [clock.changedAt + BigInt(clock.upgradePeriod), clock.coolOffUntil, clock.now].reduce((a, b) => (a > b ? a : b));
  return {
    tier: current + 1,
    initMultiplier: t.initMultiplier,
    // Equity shortfall as whole quote units × days, rounded up (what the table names).
    shortfall: s && { days: s[0], equityDays: (s[1] + unit * DAY_SECS - 1n) / (unit * DAY_SECS), volume: s[2] },
    earliest,
  };
}

/** The most leverage a market allows at a tier multiplier, in hundredths (1,250 = 12.5×). */
export function tierLeverageX100(init: number, maint: number, multiplier: number): bigint {
  return (RATIO_ONE * 100n) / BigInt(tieredInitRatio(init, maint, multiplier));
}
