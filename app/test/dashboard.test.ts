/**
 * The dashboard's figures on a synthetic book (no chain, no browser): rows are the SDK's reports,
 * the histograms add up, and the shock is what the keeper's full scan finds at the shocked price.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PublicKey } from "@solana/web3.js";
import { decodeMarginAccount, marginRiskDecoder, type MarginRiskView } from "../src/sdk/accounts";
import { LiquidationIndex } from "../src/sdk/liqIndex";
import { accountReport, riskContext } from "../src/sdk/report";
import { scan } from "../src/keeper/keeper";
import { syntheticAccountStream, syntheticExchange } from "../src/keeper/synthetic";
import { accountRow, byDistance, describeOrderEvent, leverageHistogram, liquidationMaps, shock, shockedPrices } from "../src/dashboard/model";
import { enginePriceFromNumber } from "../src/sdk/oracle";
import { usd } from "../src/dashboard/web/format";

function book(n = 1_000) {
  const { state, prices } = syntheticExchange();
  for (const b of state.banks.values()) (b.bank as { mint: PublicKey }).mint = PublicKey.default;
  const decode = marginRiskDecoder();
  const index = new LiquidationIndex(state, prices);
  const accounts = [...syntheticAccountStream(n)].map((a) => ({ address: a.address, full: decodeMarginAccount(a.data), view: decode(a.data) }));
  for (const a of accounts) index.upsert(a.address, a.view);
  return { state, prices, index, accounts };
}

test("an account row is the SDK's report: health, leverage, liquidation prices", () => {
  const { state, prices, accounts } = book(50);
  const ctx = riskContext(state, prices);
  for (const a of accounts) {
    const row = accountRow(a.address, a.full, state, prices, ctx)!;
    const r = accountReport(a.address, a.full, state, prices);
    assert.equal(row.equity, r.health.equity.toString());
    assert.equal(row.maintRequirement, r.health.maint.requirement.toString());
    assert.equal(row.initRequirement, r.health.init.requirement.toString());
    assert.equal(row.leverage, r.health.leverage === null ? null : r.health.leverage.toString());
    assert.deepEqual(row.positions.map((p) => p.liquidationPrice), r.positions.map((p) => (p.liquidationPrice === null ? null : p.liquidationPrice.toString())));
  }
});

test("the leverage histogram and the liquidation map add up to the book", () => {
  const { state, prices, index, accounts } = book();
  const ctx = riskContext(state, prices);
  const rows = accounts.map((a) => accountRow(a.address, a.full, state, prices, ctx)!);
  const hist = leverageHistogram(rows);
  assert.equal(hist.reduce((s, b) => s + b.accounts, 0), rows.filter((r) => BigInt(r.notional) > 0n).length);
  assert.equal(hist.reduce((s, b) => s + BigInt(b.notional), 0n), rows.reduce((s, r) => s + BigInt(r.notional), 0n));
  const maps = liquidationMaps(state, prices, index);
  assert.equal(maps.length, 3);
  for (const m of maps) {
    const price = BigInt(m.price);
    const inRange = index.map(m.marketIndex).filter((e) => {
      const pct = Number(((e.liqPrice - price) * 1_000_000n) / price) / 1e4;
      return pct >= -50 && pct < 50;
    });
    assert.equal(m.bins.reduce((s, b) => s + BigInt(b.long) + BigInt(b.short), 0n), inRange.reduce((s, e) => s + e.notional, 0n));
  }
  // Nearest liquidation first.
  const sorted = [...rows].sort(byDistance);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.distance === null) continue;
    assert.ok(Number(sorted[i - 1]!.distance) <= Number(sorted[i]!.distance));
  }
});

test("the shock lists what the keeper's full scan would liquidate at the shocked price", () => {
  const { state, prices, index, accounts } = book();
  const views = new Map<string, MarginRiskView>(accounts.map((a) => [a.address.toBase58(), a.view]));
  for (const pct of [-30, -10, 10, 30]) {
    const res = shock(state, prices, index, (k) => views.get(k), 1_000n, 0, pct);
    const full = scan(views, { state, prices: shockedPrices(state, prices, 0, pct), slot: 1_000n }).filter((c) => c.action.kind !== "refresh_health");
    assert.deepEqual(res.accounts.map((a) => a.pubkey).sort(), full.map((c) => c.pubkey).sort(), `${pct}%`);
    assert.ok(res.accounts.length > 0, `${pct}% liquidates someone`);
  }
});

test("money is shown exactly, to the cent", () => {
  assert.equal(usd("5003852851132", 6), "$5,003,852.85");
  assert.equal(usd("-1376031925", 6), "−$1,376.03");
  assert.equal(usd("0", 6), "$0.00");
});

test("order events read as the SDK names them: kind, side, whole position, fill, cancel reason", () => {
  const { state } = syntheticExchange();
  const q = state.exchange.quoteDecimals;
  const px = (d: number): string => enginePriceFromNumber(d, 9, q).toString();
  const placed = { marginAccount: "x", orderId: "3", marketIndex: 1, kind: 2, side: 1, reduceOnly: true, baseSize: "0", triggerPrice: px(60_000), limitPrice: "0", modified: false };
  assert.equal(describeOrderEvent("orderPlaced", placed, state), "#3 placed: stop-loss sell whole position at $60,000.00");
  assert.equal(describeOrderEvent("OrderPlaced", { ...placed, kind: 1, side: 0, reduceOnly: false, baseSize: "1500000000", modified: true }, state), "#3 modified: limit buy 1.5 at $60,000.00");
  assert.equal(describeOrderEvent("orderExecuted", { orderId: "3", marketIndex: 1, baseDelta: "-46000000", price: px(59_000) }, state), "#3 executed: −0.046 at $59,000.00");
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5].map((reason) => describeOrderEvent("orderCancelled", { orderId: "9", marketIndex: 0, reason }, state)),
    ["user", "expired", "margin", "reduce_only", "slippage", "liquidation"].map((r) => `#9 cancelled: ${r}`),
  );
  assert.equal(describeOrderEvent("liquidationEvent", {}, state), null);
});
