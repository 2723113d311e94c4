// The latency-spread mirror (issue 13 §1) against the Rust engine: every `latencyCases` entry of
// app/vectors/risk.json (written by `cargo run -p fulcrum-risk --bin risk-vectors`) must match to
// the unit, errors included.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as risk from "../src/risk/index.js";
import { FulcrumClient } from "../src/sdk/client.js";

type J = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const file = join(__dirname, "..", "vectors", "risk.json");
const vectors: { latencyCases: J[] } = JSON.parse(readFileSync(file, "utf8"));
const B = (v: string): bigint => BigInt(v);

function res<T>(f: () => T): J {
  try {
    return String(f());
  } catch (e) {
    if (e instanceof risk.MathError) return { error: e.kind };
    throw e;
  }
}

function compute(c: J): J {
  const i = c.input;
  const ratio = (): bigint => risk.confRatio(B(i.conf), B(i.pythPrice));
  const spread = (): number => {
    let r = 0n;
    try {
      r = ratio();
    } catch (e) {
      if (!(e instanceof risk.MathError)) throw e;
    }
    return risk.fillSpread(Number(i.minSpread), r, Number(i.spreadZ), B(i.variance), Number(i.maxFillAge));
  };
  const buy = i.buy === true;
  return {
    confRatio: res(ratio),
    fillSpread: res(spread),
    fillPrice: res(() => risk.fillPrice(buy, B(i.oracle), B(i.slotLow), B(i.slotHigh), spread())),
    fillPriceAnySpread: res(() => risk.fillPrice(buy, B(i.oracle), B(i.slotLow), B(i.slotHigh), Number(i.anySpread))),
  };
}

test(`latency spread and fill price match the Rust engine on ${vectors.latencyCases.length} vectors`, () => {
  assert.ok(vectors.latencyCases.length >= 500, "at least 500 latency cases");
  const failures: string[] = [];
  for (const c of vectors.latencyCases) {
    const got = compute(c);
    for (const k of Object.keys(c.expect)) {
      if (JSON.stringify(got[k]) !== JSON.stringify(c.expect[k])) {
        failures.push(`case ${c.case} ${k}: got ${JSON.stringify(got[k])} want ${JSON.stringify(c.expect[k])}`);
      }
    }
  }
  assert.deepStrictEqual(failures.slice(0, 10), [], `${failures.length} mismatches`);
});

test("the mainnet SOL update's confidence is a 981 ppm spread on a default market", () => {
  assert.equal(risk.confRatio(13_793_699n, 14_061_593_700n), 981n);
  assert.equal(risk.fillPrice(true, 140_615_937_000n, 0n, 0n, 981), 140_753_881_235n);
  // σ = 200 ppm/√s over 10 s, z = 3: 1,899 ppm.
  assert.equal(risk.fillSpread(500, 100n, 3_000_000, 40_000n, 10), 1_899);
});

test("the SDK quotes a fill as the program prices it: spread, then the slot's worse observation", () => {
  // SOL-like market: 5 bp floor, z = 3 over 10 s, σ² = 40,000 ppm²/s → 1,899 ppm.
  const market = { minSpread: 500, spreadZ: 3_000_000, variance: 40_000n, maxFillAge: 10, obsSlot: 7n, obsLo: 100_000_000_000n, obsHi: 100_400_000_000n };
  const reading = { price: 10_040_000_000n, conf: 1_004_000n };
  const m = market as unknown as Parameters<typeof FulcrumClient.fillQuote>[0];
  // In another slot: from the oracle ($100.40).
  const buy = FulcrumClient.fillQuote(m, reading, 100_400_000_000n, "buy", 8n);
  assert.deepEqual(buy, { oracle: 100_400_000_000n, spread: 1_899, fillPrice: 100_590_659_600n });
  // In the slot that saw $100: a sell fills from $100, less the spread.
  const sell = FulcrumClient.fillQuote(m, reading, 100_400_000_000n, "sell", 7n);
  assert.deepEqual(sell, { oracle: 100_400_000_000n, spread: 1_899, fillPrice: 99_810_100_000n });
});
