// Margin modes in the risk mirror: the worked examples of crates/risk/tests/portfolio.rs and the
// program's tests (the randomised parity is in risk-vectors.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as risk from "../src/risk";

const ONE = 1_000_000;
const { MarginKind } = risk;

/** A position of `base` (9 decimals) opened at `price`, with maintenance ratio `ratio` (initial twice it). */
function perp(base: bigint, price: bigint, ratio: number): risk.PerpExposure {
  return {
    position: { base, quoteEntry: risk.fillQuoteFlow(base, price), fundingSnapshot: 0n },
    market: { price: risk.flatPrice(price), baseDecimals: 9, initMarginRatio: ratio * 2, maintMarginRatio: ratio, imf: 0, cumulativeFunding: 0n },
  };
}

function corr(n: number, rho: number): risk.Correlation {
  const c = risk.Correlation.identity(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) c.c[i]![j] = rho;
  return c;
}

const account = (perps: risk.PerpExposure[], quoteBalance = 2_000_000_000n, collateral: risk.Collateral[] = []): risk.RiskAccount => ({
  quoteBalance, collateral, perps, params: risk.defaultAccountParams(),
});

test("long BTC / short ETH at ρ = 0.9: maintenance 500 √0.2 = $223.606798 for ±$500", () => {
  // Long $10,000 BTC-PERP, short $10,000 ETH-PERP, 5% maintenance each: v = ±$500.
  const a = account([perp(1_000_000_000n, 10_000_000_000_000n, 50_000), perp(-5_000_000_000n, 2_000_000_000_000n, 50_000)]);
  const c = corr(2, 900_000);
  const e = risk.exposures(a, [], [0, 1], MarginKind.Maintenance);
  assert.deepEqual([e.perAsset[0], e.perAsset[1], e.gross], [500_000_000n, -500_000_000n, 1_000_000_000n]);
  assert.equal(risk.correlatedRisk(e.perAsset, c), 223_606_798n);
  assert.equal(risk.portfolioRequirement(e, c, 0), 223_606_798n);
  // The 30% floor holds it at $300; cross needs $1,000.
  assert.equal(risk.portfolioRequirement(e, c, 300_000), 300_000_000n);
  assert.equal(risk.health(a, MarginKind.Maintenance).requirement, 1_000_000_000n);
  // Through the model, as the program margins a portfolio account (initial: 1,000 √0.2).
  const model = risk.MarginModel.Portfolio({ collateralAssets: [], perpAssets: [0, 1], correlation: c, floor: 100_000 });
  assert.equal(risk.modelHealth(a, model, MarginKind.Maintenance).requirement, 223_606_798n);
  assert.equal(risk.modelHealth(a, model, MarginKind.Initial).requirement, 447_213_596n);
  assert.deepEqual(risk.modelAccountHealth(a, risk.MarginModel.Cross), risk.accountHealth(a));
});

test("collateral hedged by a short perp nets to the floor; a long perp is charged in full", () => {
  // 100 SOL at $100 (maint weight 0.95: v = $500) and a 100 SOL perp at 5% ($500).
  const sol: risk.Collateral[] = [{ amount: 100_000_000_000n, price: risk.flatPrice(100_000_000_000n), initAssetWeight: 900_000, maintAssetWeight: 950_000 }];
  const c = risk.Correlation.identity(1);
  const short = account([perp(-100_000_000_000n, 100_000_000_000n, 50_000)], 0n, sol);
  let e = risk.exposures(short, [0], [0], MarginKind.Maintenance);
  assert.deepEqual([e.perAsset[0], e.gross], [0n, 1_000_000_000n]);
  assert.equal(risk.portfolioRequirement(e, c, 300_000), 300_000_000n);
  const long = account([perp(100_000_000_000n, 100_000_000_000n, 50_000)], 0n, sol);
  e = risk.exposures(long, [0], [0], MarginKind.Maintenance);
  assert.equal(risk.portfolioRequirement(e, c, 300_000), e.gross, "wrong-way: no relief");
  for (const kind of [MarginKind.Initial, MarginKind.Maintenance]) {
    assert.equal(risk.crossFreeCollateralFromExposures(long, [0], [0], kind), risk.freeCollateralOf(risk.health(long, kind)));
  }
  // Portfolio equity counts the collateral at full value: $10,000 here against cross's $9,500.
  const model = risk.MarginModel.Portfolio({ collateralAssets: [0], perpAssets: [0], correlation: c, floor: 300_000 });
  assert.equal(risk.modelHealth(short, model, MarginKind.Maintenance).equity - risk.health(short, MarginKind.Maintenance).equity, 500_000_000n);
});

test("correlation matrices are validated like the engine", () => {
  assert.equal(risk.Correlation.validate(corr(4, 300_000)), null);
  const asym = corr(3, 500_000);
  asym.c[0]![1] = 400_000;
  assert.equal(risk.Correlation.validate(asym), "NotSymmetric");
  const diag = corr(3, 500_000);
  diag.c[2]![2] = 999_999;
  assert.equal(risk.Correlation.validate(diag), "DiagonalNotOne");
  const range = corr(2, 1_000_001);
  assert.equal(risk.Correlation.validate(range), "OutOfRange");
  const impossible = corr(3, 900_000);
  impossible.c[1]![2] = -900_000;
  impossible.c[2]![1] = -900_000;
  assert.equal(risk.Correlation.validate(impossible), "NotPositiveSemiDefinite");
  assert.equal(risk.Correlation.validate(corr(5, ONE)), null, "perfect correlation is semi-definite");
  assert.equal(risk.Correlation.validate({ n: 13, c: [] }), "TooManyAssets");
});

test("a portfolio liquidation cuts less than cross, to the buffer", () => {
  // Long $10,000 SOL and $10,000 BTC (uncorrelated, 5%) opened at $100 on $1,460; both at $96.
  const fallen = (): risk.PerpExposure => {
    const e = perp(100_000_000_000n, 100_000_000_000n, 50_000);
    return { ...e, market: { ...e.market, price: risk.flatPrice(96_000_000_000n) } };
  };
  const a = account([fallen(), fallen()], 1_460_000_000n);
  const model = risk.MarginModel.Portfolio({ collateralAssets: [], perpAssets: [0, 1], correlation: risk.Correlation.identity(2), floor: 300_000 });
  const params: risk.LiquidationParams = { buffer: 100_000, liquidatorFee: 5_000, insuranceFee: 2_500, dustNotional: 10_000_000n, collateralDiscount: 0 };
  // 1,460 − 2 × $400 = 660 against √2 × $480 = 678.82 (rounded up): cross ($960) would be far below.
  const m = risk.modelHealth(a, model, MarginKind.Maintenance);
  assert.deepEqual(m, { equity: 660_000_000n, requirement: 678_822_510n });
  const plan = risk.planPerpLiquidationIn(a, model, 0, 1_000_000n, params);
  const crossPlan = risk.planPerpLiquidation(a, 0, 1_000_000n, params);
  assert.ok(plan.baseDelta < 0n && plan.baseDelta > -100_000_000_000n, "partial");
  assert.ok(-plan.baseDelta < -crossPlan.baseDelta, "netting: cut less than cross");
  assert.ok(plan.maintAfter.equity >= risk.bufferedRequirement(plan.maintAfter.requirement, params.buffer));
  // The liquidation price (bisection) is where maintenance is exactly lost.
  const p = risk.modelLiquidationPrice(a, model, 0)!;
  const at = (price: bigint): risk.RiskAccount => ({ ...a, perps: [{ ...a.perps[0]!, market: { ...a.perps[0]!.market, price: risk.flatPrice(price) } }, a.perps[1]!] });
  assert.ok(!risk.isMet(risk.modelHealth(at(p), model, MarginKind.Maintenance)));
  assert.ok(risk.isMet(risk.modelHealth(at(p + 1n), model, MarginKind.Maintenance)));
});

test("an isolated position is the account of its own collateral and itself", () => {
  // 20 SOL long at $100 on $98 of isolated collateral, MM 2%: at $97, $38 against $38.80.
  const e = perp(20_000_000_000n, 100_000_000_000n, 20_000);
  const moved = { ...e, market: { ...e.market, price: risk.flatPrice(97_000_000_000n) } };
  const iso = risk.isolatedAccount(98_000_000n, moved, risk.defaultAccountParams());
  assert.deepEqual(iso.collateral, []);
  assert.deepEqual(risk.health(iso, MarginKind.Maintenance), { equity: 38_000_000n, requirement: 38_800_000n });
  assert.equal(risk.marginModeFromU8(1), risk.MarginMode.Portfolio);
  assert.equal(risk.marginModeFromU8(2), null);
});
