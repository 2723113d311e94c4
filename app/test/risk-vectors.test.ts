// The risk mirror against the Rust engine: every case of app/vectors/risk.json (written by
// `cargo run -p fulcrum-risk --bin risk-vectors`) must match to the unit, errors included.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as risk from "../src/risk/index.js";

type J = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const file = join(__dirname, "..", "vectors", "risk.json");
const vectors: { cases: J[] } = JSON.parse(readFileSync(file, "utf8"));

const B = (v: string): bigint => BigInt(v);
const price = (p: J): risk.Price => ({ oracle: B(p.oracle), ema: B(p.ema) });
const s = (v: bigint | number): string => v.toString();

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

function compute(c: J): J {
  const a = account(c.input);
  const inp = c.input;
  const liq: risk.LiquidationParams = {
    buffer: Number(inp.liquidation.buffer), liquidatorFee: Number(inp.liquidation.liquidatorFee),
    insuranceFee: Number(inp.liquidation.insuranceFee), dustNotional: B(inp.liquidation.dustNotional),
  };
  const feeRate = Number(inp.feeRate);
  const out: J = {
    healthInit: res(() => risk.health(a, risk.MarginKind.Initial), health),
    healthMaint: res(() => risk.health(a, risk.MarginKind.Maintenance), health),
    requirementInit: res(() => risk.requirement(a, risk.MarginKind.Initial), s),
    requirementMaint: res(() => risk.requirement(a, risk.MarginKind.Maintenance), s),
    freeCollateral: res(() => risk.freeCollateral(a), s),
    totalNotional: res(() => risk.totalNotional(a), s),
    rawEquity: res(() => risk.rawEquity(a), s),
    accountHealth: res(() => risk.accountHealth(a), (h) => ({
      init: health(h.init), maint: health(h.maint), equity: s(h.equity), notional: s(h.notional),
      leverage: h.leverage === null ? null : s(h.leverage), state: risk.HealthState[h.state],
    })),
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
      perpLiquidation: res(() => risk.planPerpLiquidation(a, i, step, liq), (p) => ({
        baseDelta: s(p.baseDelta), position: position(p.position), realizedPnl: s(p.realizedPnl), fillQuote: s(p.fillQuote),
        liquidatorFee: s(p.liquidatorFee), insuranceFee: s(p.insuranceFee), maintAfter: health(p.maintAfter), equityAfter: s(p.equityAfter),
      })),
    };
  });
  out.collateralLiquidations = a.collateral.map((_, i) =>
    res(() => risk.planCollateralLiquidation(a, i, B(inp.maxRepay), Number(inp.discount), liq.buffer), (p) => ({
      repay: s(p.repay), collateralOut: s(p.collateralOut), maintAfter: health(p.maintAfter),
    })),
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

/** Booleans are written bare by the generator; compare as strings. */
function normalise(v: J): J {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "boolean" ? String(x) : x)));
}

test(`risk mirror matches the Rust engine on ${vectors.cases.length} vectors`, () => {
  assert.ok(vectors.cases.length >= 1000, "at least 1,000 cases");
  const failures: string[] = [];
  for (const c of vectors.cases) {
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
  assert.deepStrictEqual(failures.slice(0, 10), [], `${failures.length} mismatches`);
});
