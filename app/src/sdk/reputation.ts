/**
 * Reputation tiers (issue 18 §1) as the SDK shows them: the record and the exchange's table as
 * decoded from the accounts, the engine's view of them (`risk/reputation.ts`), and an account's
 * tier status: its tier, the initial-margin multiplier, what the next tier needs, and the leverage
 * each market allows it.
 */
import type { PerpMarket } from "./accounts";
import { fieldOffset, structLayout } from "./layout";
import type { PerpMarketRisk } from "../risk";
import {
  accrueEquity,
  nextTier,
  nextTierNeeds,
  qualifiedTier,
  tieredInitRatio,
  tierLeverageX100,
  type NextTierNeeds,
  type ReputationStats,
  type TierRequirement,
} from "../risk/reputation";

/** `MarginAccount.reputation` (u64/i64 as bigint). */
export interface ReputationRecord {
  createdAt: bigint;
  createdSlot: bigint;
  /** Time-weighted equity, quote native × seconds (u128 little-endian). */
  equitySecs: Uint8Array;
  sampledAt: bigint;
  sampledEquity: bigint;
  netVolume: bigint;
  realizedPnl: bigint;
  lastMarginCallAt: bigint;
  lastLiquidationAt: bigint;
  lastBankruptcyAt: bigint;
  lastMarginCallSlot: bigint;
  lastLiquidationSlot: bigint;
  lastBankruptcySlot: bigint;
  tierChangedAt: bigint;
  coolOffUntil: bigint;
  holdSince: bigint[];
  holdMarket: number[];
  marginCalls: number;
  liquidations: number;
  bankruptcies: number;
  /** ppm; 0: tiers off (1×). */
  initMultiplier: number;
  tier: number;
}

/** `set_reputation_tiers`' argument (the program's `ReputationParams`). */
export interface ReputationTierParams {
  tiers: TierRequirement[];
  equityCap: bigint;
  minHoldSecs: number;
  upgradePeriodSecs: number;
  coolOffSecs: number;
}

/** `Exchange.reputation`. */
export interface ReputationConfig {
  tiers: TierRequirement[];
  equityCap: bigint;
  minHoldSecs: number;
  upgradePeriodSecs: number;
  coolOffSecs: number;
  numTiers: number;
}

export const equitySecs = (r: Pick<ReputationRecord, "equitySecs">): bigint => {
  const b = Buffer.from(r.equitySecs);
  return b.readBigUInt64LE(0) + (b.readBigUInt64LE(8) << 64n);
};

/** The fields of a record that decide its tier. */
export type TierInputs = Pick<
  ReputationRecord,
  "createdAt" | "equitySecs" | "sampledAt" | "sampledEquity" | "netVolume" | "liquidations" | "bankruptcies" | "tierChangedAt" | "coolOffUntil" | "tier"
>;

/** `ReputationRecord::stats` at `now` (unix seconds). */
export function reputationStats(r: TierInputs, now: bigint): ReputationStats {
  const age = now - r.createdAt;
  return {
    ageSecs: age > 0n ? age : 0n,
    equitySecs: equitySecs(r),
    netVolume: r.netVolume,
    liquidations: r.liquidations + r.bankruptcies,
  };
}

/** The rows of the table in use. */
export const tierTable = (c: ReputationConfig): TierRequirement[] => c.tiers.slice(0, Math.min(c.numTiers, c.tiers.length));

/**
 * Whether `refresh_reputation` at `now` could raise the account's tier: the record's statistics
 * with the most equity the crank can credit (the last sample, capped, over the time since: the
 * program credits the lower of it and the equity then), through the program's tier rules (one
 * tier per upgrade period, none in a cool-off). The keeper's test for cranking an account nobody
 * else cranks: false with no tiers, and whenever the crank could not raise it.
 */
export function tierRiseDue(r: TierInputs, c: ReputationConfig, quoteDecimals: number, now: bigint): boolean {
  const table = tierTable(c);
  if (table.length < 2) return false;
  const stats = reputationStats(r, now);
  stats.equitySecs += accrueEquity(r.sampledEquity, r.sampledEquity, c.equityCap, now - r.sampledAt);
  const qualified = qualifiedTier(stats, table, 10n ** BigInt(quoteDecimals));
  const clock = { now, changedAt: r.tierChangedAt, coolOffUntil: r.coolOffUntil, upgradePeriod: c.upgradePeriodSecs };
  return nextTier(r.tier, qualified, clock) > r.tier;
}

let tierReader: ((d: Buffer) => TierInputs) | null = null;

/** Reads a margin account's {@link TierInputs} from its raw data at the IDL's offsets (no full decode: the keeper reads every account). */
export function tierInputsReader(): (d: Buffer) => TierInputs {
  if (tierReader) return tierReader;
  const base = fieldOffset("MarginAccount", "reputation");
  const f = structLayout("ReputationRecord").fields;
  const at = (name: string): number => base + f.get(name)!.offset;
  const [created, secs, sampledAt, sampled, volume, liq, bank, changed, coolOff, tier] = [
    "created_at", "equity_secs", "sampled_at", "sampled_equity", "net_volume", "liquidations", "bankruptcies", "tier_changed_at", "cool_off_until", "tier",
  ].map(at) as [number, number, number, number, number, number, number, number, number, number];
  tierReader = (d: Buffer): TierInputs => ({
    createdAt: d.readBigInt64LE(created),
    equitySecs: d.subarray(secs, secs + 16),
    sampledAt: d.readBigInt64LE(sampledAt),
    sampledEquity: d.readBigUInt64LE(sampled),
    netVolume: d.readBigUInt64LE(volume),
    liquidations: d.readUInt32LE(liq),
    bankruptcies: d.readUInt32LE(bank),
    tierChangedAt: d.readBigInt64LE(changed),
    coolOffUntil: d.readBigInt64LE(coolOff),
    tier: d[tier]!,
  });
  return tierReader;
}

export interface TierStatus {
  tier: number;
  /** ppm; 0: tiers off (1×). */
  initMultiplier: number;
  next: NextTierNeeds | null;
  /** Per market: its initial ratio for this account and the leverage it allows, in hundredths. */
  markets: { index: number; initRatio: number; leverageX100: bigint }[];
}

/** An account's tier, what the next one needs, and what it allows in each market. */
export function tierStatus(
  r: ReputationRecord,
  c: ReputationConfig,
  quoteDecimals: number,
  markets: PerpMarket[],
  now: bigint,
): TierStatus {
  const unit = 10n ** BigInt(quoteDecimals);
  const clock = { now, changedAt: r.tierChangedAt, coolOffUntil: r.coolOffUntil, upgradePeriod: c.upgradePeriodSecs };
  const next = nextTierNeeds(reputationStats(r, now), tierTable(c), unit, r.tier, clock);
  return {
    tier: r.tier,
    initMultiplier: r.initMultiplier,
    next,
    markets: markets.map((m) => {
      const init = Math.max(m.effectiveInitRatio ?? 0, m.initMarginRatio);
      const maint = Math.max(m.effectiveMaintRatio ?? 0, m.maintMarginRatio);
      return { index: m.index, initRatio: tieredInitRatio(init, maint, r.initMultiplier), leverageX100: tierLeverageX100(init, maint, r.initMultiplier) };
    }),
  };
}

/** `ctx` with every market's initial ratio at the tier multiplier `multiplier`, as the program
 * assembles an account's margin inputs (maintenance untouched). */
export function withTier<C extends { markets: (PerpMarketRisk | undefined)[] }>(ctx: C, multiplier: number): C {
  if (multiplier === 0 || multiplier === 1_000_000) return ctx;
  const markets = ctx.markets.map((m) => m && { ...m, initMarginRatio: tieredInitRatio(m.initMarginRatio, m.maintMarginRatio, multiplier) });
  return { ...ctx, markets };
}
