// The reputation-tier mirror against the Rust engine: every case of app/vectors/reputation.json
// (written by `cargo run -p fulcrum-risk --bin reputation-vectors`) must match to the unit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as risk from "../src/risk/index.js";

type J = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const vectors: { unit: string; cases: J[] } = JSON.parse(readFileSync(join(__dirname, "..", "vectors", "reputation.json"), "utf8"));
const B = (v: string): bigint => BigInt(v);
const unit = B(vectors.unit);

const stats = (s: J): risk.ReputationStats => ({
  ageSecs: B(s.ageSecs),
  equitySecs: B(s.equitySecs),
  netVolume: B(s.netVolume),
  liquidations: Number(s.liquidations),
});

test("reputation vectors: tables, tiers, rate limit, shortfall, ratios, equity, wash", () => {
  assert.ok(vectors.cases.length >= 512);
  for (const c of vectors.cases) {
    const tiers: risk.TierRequirement[] = c.tiers;
    const st = stats(c.stats);
    const at = `case ${c.case}`;
    assert.equal(risk.validateTierTable(tiers), c.valid, at);
    assert.equal(risk.qualifiedTier(st, tiers, unit), c.qualified, at);
    const clock: risk.TierClock = {
      now: B(c.clock.now),
      changedAt: B(c.clock.changedAt),
      coolOffUntil: B(c.clock.coolOffUntil),
      upgradePeriod: c.clock.upgradePeriod,
    };
    assert.equal(risk.nextTier(c.current, c.qualified, clock), c.next, at);
    const sf = risk.tierShortfall(st, tiers[c.shortfallTier]!, unit);
    assert.deepEqual(sf && sf.map(String), c.shortfall, at);
    const r = c.ratio;
    assert.equal(risk.tierFloorRatio(r.init, r.maint), r.floor, at);
    assert.equal(risk.tieredInitRatio(r.init, r.maint, r.multiplier), r.tiered, at);
    const a = c.accrue;
    assert.equal(risk.accrueEquity(B(a.sampled), B(a.now), B(a.cap), B(a.elapsed)).toString(), a.earned, at);
    const w = c.wash;
    const v = risk.washedVolume(B(w.oldBase), B(w.size), B(w.fillQuote), B(w.increasedAt), B(w.now), w.minHold);
    assert.equal(v.toString(), w.volume, at);
  }
});

test("what the next tier needs, and the leverage a tier allows", () => {
  const tiers: risk.TierRequirement[] = [
    { minAgeDays: 0, maxLiquidations: 65535, minEquityDays: 0, minVolume: 0, initMultiplier: 1_500_000 },
    { minAgeDays: 7, maxLiquidations: 1, minEquityDays: 7_000, minVolume: 10_000, initMultiplier: 1_000_000 },
    { minAgeDays: 30, maxLiquidations: 0, minEquityDays: 30_000, minVolume: 100_000, initMultiplier: 800_000 },
  ];
  const day = risk.DAY_SECS;
  const s: risk.ReputationStats = { ageSecs: 3n * day, equitySecs: 1_000n * unit * day, netVolume: 4_000n * unit, liquidations: 0 };
  const clock: risk.TierClock = { now: 3n * day, changedAt: 0n, coolOffUntil: 0n, upgradePeriod: Number(day) };
  const n = risk.nextTierNeeds(s, tiers, unit, 0, clock);
  assert.deepEqual(n, { tier: 1, initMultiplier: 1_000_000, shortfall: { days: 4n, equityDays: 6_000n, volume: 6_000n * unit }, earliest: 3n * day });
  assert.equal(risk.nextTierNeeds(s, tiers, unit, 2, clock), null, "at the top");
  assert.equal(risk.nextTierNeeds({ ...s, liquidations: 1 }, tiers, unit, 1, clock)?.shortfall, null, "barred");
  // 10% initial, 5% maintenance: 6.66x at tier 0, 10x at tier 1, 12.5x at tier 2.
  assert.deepEqual([1_500_000, 1_000_000, 800_000].map((m) => risk.tierLeverageX100(100_000, 50_000, m)), [666n, 1_000n, 1_250n]);
});

test("the record decodes from a margin account (1,016 bytes with its discriminator; the record 232)", async () => {
  const { accountDiscriminator, accountSize, fieldOffset, structLayout } = await import("../src/sdk/layout.js");
  const { decodeMarginAccount, decodeExchange } = await import("../src/sdk/accounts.js");
  const { equitySecs, tierStatus, tierTable } = await import("../src/sdk/reputation.js");
  assert.equal(accountSize("MarginAccount"), 8 + 1_008);
  assert.equal(structLayout("ReputationRecord").size, 232);
  assert.equal(accountSize("Exchange"), 8 + 320, "the tier table comes out of reserved bytes");
  const d = Buffer.alloc(accountSize("MarginAccount"));
  accountDiscriminator("MarginAccount").copy(d, 0);
  const rec = fieldOffset("MarginAccount", "reputation");
  const at = (f: string): number => rec + structLayout("ReputationRecord").fields.get(f)!.offset;
  d.writeUInt8(2, at("tier"));
  d.writeUInt32LE(800_000, at("init_multiplier"));
  d.writeBigUInt64LE(5n, at("equity_secs") + 8);
  d.writeBigInt64LE(1_000n, at("created_at"));
  const a = decodeMarginAccount(d);
  assert.equal(a.reputation?.tier, 2);
  assert.equal(a.reputation?.initMultiplier, 800_000);
  assert.equal(equitySecs(a.reputation!), 5n << 64n);
  // An exchange with the test table (attacks/reputation.rs `tiers()`): a tier-2 account sees the
  // top, and 12.5x in a 10% / 5% market.
  const e = Buffer.alloc(accountSize("Exchange"));
  accountDiscriminator("Exchange").copy(e, 0);
  const cfg = fieldOffset("Exchange", "reputation");
  const row = structLayout("TierRow").size;
  const mult = structLayout("TierRow").fields.get("init_multiplier")!.offset;
  [1_500_000, 1_000_000, 800_000].forEach((m, i) => e.writeUInt32LE(m, cfg + i * row + mult));
  e.writeUInt8(3, cfg + structLayout("ReputationConfig").fields.get("num_tiers")!.offset);
  const x = decodeExchange(e);
  assert.equal(tierTable(x.reputation!).length, 3);
  const market = { index: 0, initMarginRatio: 100_000, maintMarginRatio: 50_000 } as Parameters<typeof tierStatus>[3][number];
  const st = tierStatus(a.reputation!, x.reputation!, 6, [market], 2_000n);
  assert.deepEqual([st.tier, st.next, st.markets[0]!.initRatio, st.markets[0]!.leverageX100], [2, null, 80_000, 1_250n]);
});

test("the keeper cranks an account only when the crank could raise its tier (tierRiseDue, tierInputsReader)", async () => {
  const { accountDiscriminator, accountSize, fieldOffset, structLayout } = await import("../src/sdk/layout.js");
  const { decodeMarginAccount } = await import("../src/sdk/accounts.js");
  const { tierInputsReader, tierRiseDue } = await import("../src/sdk/reputation.js");
  const day = 86_400n;
  const unit = 1_000_000n;
  // The raw reader agrees with the full decoder.
  const d = Buffer.alloc(accountSize("MarginAccount"));
  accountDiscriminator("MarginAccount").copy(d, 0);
  const at = (f: string): number => fieldOffset("MarginAccount", "reputation") + structLayout("ReputationRecord").fields.get(f)!.offset;
  d.writeBigInt64LE(1_000n, at("created_at"));
  d.writeBigUInt64LE(7n, at("equity_secs"));
  d.writeBigUInt64LE(3n, at("equity_secs") + 8);
  d.writeBigInt64LE(5_000n, at("sampled_at"));
  d.writeBigUInt64LE(123n * unit, at("sampled_equity"));
  d.writeBigUInt64LE(456n * unit, at("net_volume"));
  d.writeUInt32LE(2, at("liquidations"));
  d.writeUInt32LE(1, at("bankruptcies"));
  d.writeBigInt64LE(6_000n, at("tier_changed_at"));
  d.writeBigInt64LE(7_000n, at("cool_off_until"));
  d.writeUInt8(1, at("tier"));
  const full = decodeMarginAccount(d).reputation!;
  const fast = tierInputsReader()(d);
  for (const k of Object.keys(fast) as (keyof typeof fast)[]) {
    assert.deepEqual(k === "equitySecs" ? [...fast[k]] : fast[k], k === "equitySecs" ? [...full[k]] : full[k], k);
  }
  // Tier 1: 2 days old, 1,000 USD-days, $5,000 of volume; one tier per day.
  const tier0 = { minAgeDays: 0, maxLiquidations: 65535, minEquityDays: 0, minVolume: 0, initMultiplier: 1_500_000 };
  const tier1 = { minAgeDays: 2, maxLiquidations: 0, minEquityDays: 1_000, minVolume: 5_000, initMultiplier: 1_000_000 };
  const cfg = { tiers: [tier0, tier1], equityCap: 0n, minHoldSecs: 60, upgradePeriodSecs: 86_400, coolOffSecs: 7 * 86_400, numTiers: 2 };
  const now = 10n * day;
  // 900 USD-days recorded, $100 sampled a day ago: the crank can credit 100 more.
  const rec = {
    createdAt: 0n, equitySecs: Buffer.alloc(16), sampledAt: now - day, sampledEquity: 100n * unit, netVolume: 5_000n * unit,
    liquidations: 0, bankruptcies: 0, tierChangedAt: 0n, coolOffUntil: 0n, tier: 0,
  };
  rec.equitySecs.writeBigUInt64LE(900n * unit * day);
  assert.equal(tierRiseDue(rec, cfg, 6, now), true, "qualifies with what the crank credits");
  assert.equal(tierRiseDue(rec, cfg, 6, now - 1n), false, "one second short of 1,000 USD-days");
  assert.equal(tierRiseDue(rec, { ...cfg, equityCap: 99n * unit }, 6, now), false, "the cap limits what the crank can credit");
  assert.equal(tierRiseDue({ ...rec, netVolume: 4_999n * unit }, cfg, 6, now), false, "volume short");
  assert.equal(tierRiseDue({ ...rec, liquidations: 1 }, cfg, 6, now), false, "barred by a liquidation");
  assert.equal(tierRiseDue({ ...rec, tierChangedAt: now - day + 1n }, cfg, 6, now), false, "within the upgrade period");
  assert.equal(tierRiseDue({ ...rec, coolOffUntil: now + 1n }, cfg, 6, now), false, "in a cool-off");
  assert.equal(tierRiseDue({ ...rec, tier: 1 }, cfg, 6, now), false, "already at the top");
  assert.equal(tierRiseDue(rec, { ...cfg, numTiers: 1 }, 6, now), false, "no tiers to climb");
});
