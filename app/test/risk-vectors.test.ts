// The risk mirror against the Rust engine: every case of app/vectors/risk.json (written by
// `cargo run -p fulcrum-risk --bin risk-vectors`) must match to the unit, errors included.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as risk from "../src/risk/index.js";

type J = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const file = join(__dirname, "..", "vectors", "risk.json");
const vectors: { cases: J[]; portfolioCases: J[]; poolCases: J[]; winnersCases: J[]; capacityCases: J[] } = JSON.parse(readFileSync(file, "utf8"));

const B = (v: string): bigint => BigInt(v);
const price = (p: J): risk.Price => ({ oracle: B(p.oracle), ema: B(p.ema) });
const s = (v: bigint | number): string => v.toString();
const haircutOf = (h: J): risk.PnlHaircut => ({ paid: B(h.paid), profit: B(h.profit), cap: B(h.cap) });
const haircut = (h: risk.PnlHaircut): J => ({ paid: s(h.paid), profit: s(h.profit), cap: s(h.cap) });
const exposureOf = (m: J): risk.MarketExposure => ({
  longBase: B(m.longBase), shortBase: B(m.shortBase), longQuoteEntry: B(m.longQuoteEntry), shortQuoteEntry: B(m.shortQuoteEntry), price: B(m.price),
});

function account(input: J): risk.RiskAccount {
  return {
    quoteBalance: B(input.quoteBalance),
    collateral: input.collateral.map((c: J) => ({
      amount: B(c.amount), price: price(c.price), initAssetWeight: Number(c.initAssetWeight), maintAssetWeight: Number(c.maintAssetWeight),
    })),
    perps: input.perps.map((e: J) => ({
      position: { base: B(e.position.base), quoteEntry: B(e.position.quoteEntry), fundingSnapshot: B(e.position.fundingSnapshot) },
      market: {
        price: price(e.market.price), baseDecimals: Number(e.market.baseDecimals), initMarginRatio: Number(e.market.initMarginRatio),
        maintMarginRatio: Number(e.market.maintMarginRatio), imf: Number(e.market.imf), cumulativeFunding: B(e.market.cumulativeFunding),
        cumulativeBorrow: B(e.market.cumulativeBorrow),
        ...(e.market.pnlHaircut ? { pnlHaircut: haircutOf(e.market.pnlHaircut) } : {}),
      },
    })),
    params: {
      quoteInitLiabilityWeight: Number(input.params.quoteInitLiabilityWeight),
      quoteMaintLiabilityWeight: Number(input.params.quoteMaintLiabilityWeight),
      unrealizedPnlInitWeight: Number(input.params.unrealizedPnlInitWeight),
    },
  };
}

function res<T>(f: () => T, fmt: (v: T) => J): J {
  try {
    return fmt(f());
  } catch (e) {
    if (e instanceof risk.MathError) return { error: e.kind };
    throw e;
  }
}
const health = (h: risk.Health): J => ({ equity: s(h.equity), requirement: s(h.requirement) });
const position = (p: risk.PerpPosition): J => ({ base: s(p.base), quoteEntry: s(p.quoteEntry), fundingSnapshot: s(p.fundingSnapshot) });
const accountHealth = (h: risk.AccountHealth): J => ({
  init: health(h.init), maint: health(h.maint), equity: s(h.equity), notional: s(h.notional),
  leverage: h.leverage === null ? null : s(h.leverage), state: risk.HealthState[h.state],
});
const perpLiquidation = (p: risk.PerpLiquidation): J => ({
  baseDelta: s(p.baseDelta), position: position(p.position), realizedPnl: s(p.realizedPnl), fillQuote: s(p.fillQuote),
  liquidatorFee: s(p.liquidatorFee), insuranceFee: s(p.insuranceFee), maintAfter: health(p.maintAfter), equityAfter: s(p.equityAfter),
});
const collateralLiquidation = (p: risk.CollateralLiquidation): J => ({ repay: s(p.repay), collateralOut: s(p.collateralOut), maintAfter: health(p.maintAfter) });
const liquidationParams = (l: J): risk.LiquidationParams => ({
  buffer: Number(l.buffer), liquidatorFee: Number(l.liquidatorFee), insuranceFee: Number(l.insuranceFee), dustNotional: B(l.dustNotional),
  collateralDiscount: Number(l.collateralDiscount),
});

function compute(c: J): J {
  const a = account(c.input);
  const inp = c.input;
  const liq = liquidationParams(inp.liquidation);
  const feeRate = Number(inp.feeRate);
  const out: J = {
    healthInit: res(() => risk.health(a, risk.MarginKind.Initial), health),
    healthMaint: res(() => risk.health(a, risk.MarginKind.Maintenance), health),
    requirementInit: res(() => risk.requirement(a, risk.MarginKind.Initial), s),
    requirementMaint: res(() => risk.requirement(a, risk.MarginKind.Maintenance), s),
    freeCollateral: res(() => risk.freeCollateral(a), s),
    totalNotional: res(() => risk.totalNotional(a), s),
    rawEquity: res(() => risk.rawEquity(a), s),
    accountHealth: res(() => risk.accountHealth(a), accountHealth),
    largestRequirement: res(() => risk.largestRequirement(a), (i) => i),
  };
  out.perps = a.perps.map((e, i) => {
    const exp = c.expect.perps[i];
    const step = B(exp.step);
    const delta = B(exp.fillDelta);
    return {
      step: exp.step,
      liquidationPrice: res(() => risk.liquidationPrice(a, i), (p) => (p === null ? null : s(p))),
      maxBuy: res(() => risk.maxTradeSize(a, i, true, e.market.price.oracle, feeRate, step), s),
      maxSell: res(() => risk.maxTradeSize(a, i, false, e.market.price.oracle, feeRate, step), s),
      marginRatioInit: res(() => risk.marginRatio(e.position.base, e.market, risk.MarginKind.Initial), s),
      unrealizedPnlMaint: res(() => risk.unrealizedPnl(e.position, e.market, risk.MarginKind.Maintenance), s),
      fillDelta: exp.fillDelta,
      fill: res(() => risk.applyFill(e.position, e.market, delta, e.market.price.oracle, feeRate), (f) => ({
        position: position(f.position), realizedPnl: s(f.realizedPnl), fillQuote: s(f.fillQuote), fee: s(f.fee),
      })),
      perpLiquidation: res(() => risk.planPerpLiquidation(a, i, step, liq), perpLiquidation),
    };
  });
  out.collateralLiquidations = a.collateral.map((_, i) =>
    res(() => risk.planCollateralLiquidation(a, i, B(inp.maxRepay), Number(inp.discount), liq.buffer), collateralLiquidation),
  );
  try {
    const m = risk.health(a, risk.MarginKind.Maintenance);
    out.isLiquidatable = res(() => risk.isLiquidatable(m, B(inp.marginCallSlot), B(inp.slot), B(inp.graceSlots), Number(inp.thresholdRatio)), String);
    out.inMarginCall = res(() => risk.inMarginCall(inp.wasInMarginCall === true || inp.wasInMarginCall === "true", m, liq.buffer), String);
    out.bufferedRequirement = res(() => risk.bufferedRequirement(m.requirement, liq.buffer), s);
  } catch (e) {
    if (!(e instanceof risk.MathError)) throw e;
  }
  const r = risk.resolveBankruptcy(B(inp.bankruptcyInput.debt), B(inp.bankruptcyInput.insurance), B(inp.bankruptcyInput.pool));
  out.bankruptcy = { insurancePaid: s(r.insurancePaid), socialised: s(r.socialised), uncovered: s(r.uncovered) };
  return out;
}

const correlation = (c: J): risk.Correlation => ({ n: Number(c.n), c: c.c.map((row: J[]) => row.map(Number)) });
const exposures = (e: risk.Exposures): J => ({ perAsset: e.perAsset.map(s), gross: s(e.gross), standalone: s(e.standalone) });

/** A portfolio case: the same functions under a portfolio model (and isolated accounts). */
function computePortfolio(c: J): J {
  const inp = c.input;
  const a = account(inp);
  const collateralAssets: number[] = inp.collateralAssets.map(Number);
  const perpAssets: number[] = inp.perpAssets.map(Number);
  const corr = correlation(inp.correlation);
  const floor = Number(inp.floor);
  const model = risk.MarginModel.Portfolio({ collateralAssets, perpAssets, correlation: corr, floor });
  const liq = liquidationParams(inp.liquidation);
  const steps: bigint[] = inp.steps.map(B);
  const maintExposures = (): risk.Exposures => risk.exposures(a, collateralAssets, perpAssets, risk.MarginKind.Maintenance);
  return {
    exposuresInit: res(() => risk.exposures(a, collateralAssets, perpAssets, risk.MarginKind.Initial), exposures),
    exposuresMaint: res(maintExposures, exposures),
    correlatedRiskMaint: res(() => risk.correlatedRisk(maintExposures().perAsset, corr), s),
    portfolioRequirementMaint: res(() => risk.portfolioRequirement(maintExposures(), corr, floor), s),
    modelHealthInit: res(() => risk.modelHealth(a, model, risk.MarginKind.Initial), health),
    modelHealthMaint: res(() => risk.modelHealth(a, model, risk.MarginKind.Maintenance), health),
    modelAccountHealth: res(() => risk.modelAccountHealth(a, model), accountHealth),
    crossFreeCollateralFromExposures: res(() => risk.crossFreeCollateralFromExposures(a, collateralAssets, perpAssets, risk.MarginKind.Maintenance), s),
    perps: a.perps.map((e, i) => {
      const iso = risk.isolatedAccount(B(inp.isolatedCollateral[i]), e, a.params);
      return {
        perpLiquidationIn: res(() => risk.planPerpLiquidationIn(a, model, i, steps[i]!, liq), perpLiquidation),
        modelLiquidationPrice: res(() => risk.modelLiquidationPrice(a, model, i), (p) => (p === null ? null : s(p))),
        isolatedHealth: res(() => risk.accountHealth(iso), accountHealth),
        isolatedLiquidation: res(() => risk.planPerpLiquidation(iso, 0, steps[i]!, liq), perpLiquidation),
      };
    }),
    portfolioLiquidationTarget: res(() => risk.portfolioLiquidationTarget(a, { collateralAssets, perpAssets, correlation: corr, floor }), (t) => t),
    collateralLiquidationsIn: a.collateral.map((_, i) =>
      res(() => risk.planCollateralLiquidationIn(a, model, i, B(inp.maxRepay), Number(inp.discount), liq.buffer), collateralLiquidation),
    ),
    randomMatrixValidate: risk.Correlation.validate(correlation(inp.randomMatrix)) ?? "Ok",
  };
}

/** Booleans are written bare by the generator; compare as strings. */
function normalise(v: J): J {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "boolean" ? String(x) : x)));
}

function mismatches(cases: J[], compute: (c: J) => J): string[] {
  const failures: string[] = [];
  for (const c of cases) {
    const got = normalise(compute(c));
    const want = normalise(c.expect);
    try {
      assert.deepStrictEqual(got, want);
    } catch {
      for (const k of Object.keys(want)) {
        if (JSON.stringify(got[k]) !== JSON.stringify(want[k])) {
          failures.push(`case ${c.case} ${k}: got ${JSON.stringify(got[k])} want ${JSON.stringify(want[k])}`);
        }
      }
    }
  }
  return failures;
}

/** At least `min` cases (`enough` otherwise), every one computed here as the Rust engine did. */
function assertMatches(cases: J[], min: number, enough: string, compute: (c: J) => J): void {
  assert.ok(cases.length >= min, enough);
  const failures = mismatches(cases, compute);
  assert.deepStrictEqual(failures.slice(0, 10), [], `${failures.length} mismatches`);
}

test(`risk mirror matches the Rust engine on ${vectors.cases.length} vectors`, () => {
  assertMatches(vectors.cases, 1000, "at least 1,000 cases", compute);
});

test(`margin modes match the Rust engine on ${vectors.portfolioCases.length} portfolio vectors`, () => {
  assertMatches(vectors.portfolioCases, 200, "at least 200 portfolio cases", computePortfolio);
});

/** An LP-flow case: pool valuation both ways, the deposit / withdrawal it prices, depth. */
function computePool(c: J): J {
  const inp = c.input;
  const balance = B(inp.balance);
  const markets: risk.MarketExposure[] = inp.markets.map((m: J) => ({
    longBase: B(m.longBase), shortBase: B(m.shortBase), longQuoteEntry: B(m.longQuoteEntry), shortQuoteEntry: B(m.shortQuoteEntry), price: B(m.price),
  }));
  const funding: risk.MarketFunding[] = inp.markets.map((m: J) => ({ index: B(m.index), borrow: B(m.borrow), longSnapshots: B(m.longSnapshots), shortSnapshots: B(m.shortSnapshots) }));
  const factor = Number(inp.factor);
  const supply = B(inp.supply);
  const out: J = {};
  for (const r of [risk.Rounding.Down, risk.Rounding.Up]) {
    const v: risk.LpValuation = { balance, markets, funding, unresolvedBadDebt: B(inp.badDebt), insuranceBalance: B(inp.insurance), maxPnlFactor: factor, payoutCaps: inp.payoutCaps.map(Number) };
    const perMarket = markets.map((m, i) => ({
      tradersPnl: res(() => risk.tradersUnrealizedPnl(m, r), s),
      capped: res(() => risk.cappedTradersPnl(risk.tradersUnrealizedPnl(m, r), balance, factor, r), s),
      funding: res(() => risk.tradersUnsettledFunding(m, funding[i]!, r), s),
    }));
    let flow: J;
    try {
      const value = risk.lpPoolValue(v, r);
      if (r === risk.Rounding.Up) {
        flow = supply === 0n
          ? res(() => risk.lpFirstDeposit(B(inp.amount), value), (p) => p.map(s))
          : res(() => risk.lpSharesForDeposit(B(inp.amount), value, supply), s);
      } else {
        flow = res(() => risk.lpWithdrawal(B(inp.shares), value, supply, Number(inp.fee)), (p) => p.map(s));
      }
    } catch (e) {
      if (!(e instanceof risk.MathError)) throw e;
      flow = { error: e.kind };
    }
    out[r] = { value: res(() => risk.lpPoolValue(v, r), s), markets: perMarket, flow };
  }
  out.socialised = s(risk.expectedSocialisedLoss(B(inp.badDebt), B(inp.insurance)));
  out.depth = s(risk.poolDepth(balance, B(inp.depositSlot), B(inp.deposited), B(inp.slot)));
  return out;
}

test(`LP flows match the Rust engine on ${vectors.poolCases.length} pool vectors`, () => {
  assertMatches(vectors.poolCases, 200, "at least 200 pool cases", computePool);
});

/** A winners case: the PnL cap's math, margin through it, and the auto-deleveraging plan. */
function computeWinners(c: J): J {
  const inp = c.input;
  const a = account(inp);
  const liq = liquidationParams(inp.liquidation);
  const report = (() => {
    try {
      return risk.accountHealth(a);
    } catch (e) {
      if (e instanceof risk.MathError) return null;
      throw e;
    }
  })();
  return {
    adlScores: a.perps.map((e) => {
      let pnl = 0n;
      try {
        pnl = risk.unrealizedPnl(e.position, e.market, risk.MarginKind.Maintenance);
      } catch (err) {
        if (!(err instanceof risk.MathError)) throw err;
      }
      return s(risk.adlScore(pnl, e.position.quoteEntry, report?.notional ?? 0n, report?.equity ?? 0n));
    }),
    healthInit: res(() => risk.health(a, risk.MarginKind.Initial), health),
    healthMaint: res(() => risk.health(a, risk.MarginKind.Maintenance), health),
    accountHealth: res(() => risk.accountHealth(a), accountHealth),
    perps: a.perps.map((e, i) => {
      const exp = c.expect.perps[i];
      const exposure = exposureOf(inp.exposures[i]);
      const pool = B(inp.poolBalances[i]);
      const factor = Number(inp.maxPnlFactors[i]);
      const profit = (): bigint => {
        try {
          return risk.marketProfit(exposure);
        } catch (err) {
          if (err instanceof risk.MathError) return 0n;
          throw err;
        }
      };
      const step = B(exp.step);
      return {
        marketProfit: res(() => risk.marketProfit(exposure), s),
        pnlHaircut: res(() => risk.pnlHaircut(profit(), factor, pool), haircut),
        pnlRatio: res(() => risk.pnlRatio(profit(), pool), s),
        pnl: exp.pnl,
        applyHaircut: res(() => risk.applyHaircut(B(exp.pnl), e.market.pnlHaircut), s),
        unrealizedPnlMaint: res(() => risk.unrealizedPnl(e.position, e.market, risk.MarginKind.Maintenance), s),
        liquidationPrice: res(() => risk.liquidationPrice(a, i), (p) => (p === null ? null : s(p))),
        close: res(() => risk.applyFill(e.position, e.market, -e.position.base, e.market.price.oracle, 0), (f) => ({
          position: position(f.position), realizedPnl: s(f.realizedPnl),
        })),
        perpLiquidation: res(() => risk.planPerpLiquidation(a, i, step, liq), perpLiquidation),
        step: exp.step,
        adlFloor: exp.adlFloor,
        adl: res(() => risk.planAutoDeleverage(e.position, e.market, exposure, pool, Number(exp.adlFloor), step), (p) => ({
          baseDelta: s(p.baseDelta), position: position(p.fill.position), realizedPnl: s(p.fill.realizedPnl),
          ratioBefore: s(p.ratioBefore), ratioAfter: s(p.ratioAfter),
        })),
      };
    }),
  };
}

test(`the PnL cap and auto-deleveraging match the Rust engine on ${vectors.winnersCases.length} winners vectors`, () => {
  assert.ok(vectors.winnersCases.length >= 200, "at least 200 winners cases");
  const haircuts = vectors.winnersCases.flatMap((c: J) => c.expect.perps).filter((p: J) => !p.pnlHaircut.error && BigInt(p.pnlHaircut.paid) < BigInt(p.pnlHaircut.profit));
  assert.ok(haircuts.length >= 100, `at least 100 haircut markets (${haircuts.length})`);
  const failures = mismatches(vectors.winnersCases, computeWinners);
  assert.deepStrictEqual(failures.slice(0, 10), [], `${failures.length} mismatches`);
});

/** Reserve, borrow utilisation, rate and accrual, insurance-aware cap: the generator's `capacityCases`. */
function computeCapacity(c: J): J {
  const i = c.input;
  const bp: risk.BorrowParams = {
    baseRate: Number(i.borrow.baseRate), slope1: Number(i.borrow.slope1), kink: Number(i.borrow.kink), slope2: Number(i.borrow.slope2),
  };
  const balance = B(i.poolBalance);
  const rf = Number(i.reserveFactor);
  const notional = () => risk.sideNotional(B(i.base), B(i.price));
  const util = () => risk.borrowUtilisation(notional(), rf, balance);
  const rate = () => risk.borrowRate(util(), bp);
  return {
    sideNotional: res(notional, s),
    reserveOk: res(() => risk.reserveOk(notional(), rf, balance), (b) => String(b)),
    utilisation: res(util, s),
    borrowRate: res(rate, s),
    accrued: res(() => risk.accrueFunding(B(i.index), B(i.carry), B(i.price), rate(), B(i.dt)), ([x, y]) => ({ index: s(x), carry: s(y) })),
    insuranceOiCap: s(risk.insuranceOiCap(B(i.insurance), balance, Number(i.poolFraction), Number(i.shock), Number(i.maintRatio))),
  };
}

test(`pool capacity matches the Rust engine on ${vectors.capacityCases.length} capacity vectors`, () => {
  assertMatches(vectors.capacityCases, 200, "at least 200 capacity cases", computeCapacity);
});
