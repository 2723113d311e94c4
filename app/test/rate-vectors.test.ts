// The rate-pricing mirror against the Rust engine: every case of app/vectors/rate.json (written
// by `cargo run -p fulcrum-risk --bin rate-vectors`) must match to the unit, errors by kind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { MathError } from "../src/risk/fixed.js";
import { depegFactor, depegFresh, guardedRate, lstPrice, observedRate, ratePrice } from "../src/risk/rate.js";

type J = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const vectors: { cases: J[] } = JSON.parse(readFileSync(join(__dirname, "..", "vectors", "rate.json"), "utf8"));
const B = (v: string): bigint => BigInt(v);
const P = (p: J) => ({ oracle: B(p.oracle), ema: B(p.ema) });

/** `f()` as the vectors write it: a value, or `{ error: kind }`. */
function run<T>(f: () => T, show: (v: T) => unknown): unknown {
  try {
    return show(f());
  } catch (e) {
    if (e instanceof MathError) return { error: e.kind };
    throw e;
  }
}
const str = (v: bigint): string => v.toString();
const price = (p: { oracle: bigint; ema: bigint }) => ({ oracle: str(p.oracle), ema: str(p.ema) });

test("rate vectors: observed and guarded rates, depeg factor, rate and LST prices, freshness", () => {
  assert.ok(vectors.cases.length >= 512);
  let errors = 0;
  for (const c of vectors.cases) {
    const at = `case ${c.case}`;
    const o = c.observed;
    assert.deepEqual(run(() => observedRate(B(o.totalAssets), B(o.totalShares), Number(o.assetDecimals), Number(o.shareDecimals)), str), o.rate, at);
    const g = c.guarded;
    assert.deepEqual(run(() => guardedRate(B(g.accepted), B(g.acceptedEpoch), B(g.observed), B(g.epoch), B(g.maxRisePpm)), str), g.rate, at);
    const [u, d, rate] = [P(c.underlying), P(c.direct), B(c.rateForPrice)];
    assert.deepEqual(run(() => depegFactor(d.oracle, u.oracle, rate), str), c.depegFactor, at);
    assert.deepEqual(run(() => ratePrice(u, rate, B(c.factorPpm)), price), c.ratePrice, at);
    assert.deepEqual(run(() => lstPrice(u, rate, d), price), c.lstPrice, at);
    assert.deepEqual(run(() => lstPrice(u, rate), price), c.lstPriceNoDirect, at);
    const f = c.fresh;
    assert.equal(depegFresh(B(f.measuredAt), B(f.now), Number(f.maxAge)), f.fresh, at);
    errors += [o.rate, c.depegFactor].filter((v) => typeof v === "object").length;
  }
  assert.ok(errors > 0, "the vectors reach the error cases too");
});
