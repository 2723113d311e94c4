import { test } from "node:test";
import assert from "node:assert/strict";
import { marginRiskDecoder } from "../src/sdk/accounts";
import { assess, scan } from "../src/keeper/keeper";
import { encodeMarginAccount, syntheticAccounts, syntheticExchange } from "../src/keeper/synthetic";

test("scan finds the liquidatable accounts, highest shortfall first, with the right action", () => {
  const { state, prices } = syntheticExchange();
  const decode = marginRiskDecoder();
  const accounts = syntheticAccounts(2_000).map((a) => [a.pubkey, decode(a.data)] as [string, ReturnType<typeof decode>]);
  const out = scan(accounts, { state, prices, slot: 1_000n });
  assert.ok(out.length > 0 && out.length < accounts.length, `some but not all liquidatable (${out.length})`);
  for (let i = 1; i < out.length; i++) assert.ok(out[i - 1]!.shortfall >= out[i]!.shortfall);
  for (const c of out) assert.equal(c.action.kind, "liquidate_perp");
});

test("debt with nothing left is resolved; debt with collateral is liquidated against it", () => {
  const { state, prices } = syntheticExchange();
  const decode = marginRiskDecoder();
  const ctx = { state, prices, slot: 10n };
  const bankrupt = decode(encodeMarginAccount({ quoteBalance: -5n, marginCallSlot: 0n, inMarginCall: true, collateral: [], perps: [] }));
  assert.deepEqual(assess("a", bankrupt, ctx)?.action, { kind: "resolve_bankruptcy" });
  const indebted = decode(encodeMarginAccount({ quoteBalance: -50_000_000_000n, marginCallSlot: 0n, inMarginCall: true, collateral: [{ bankIndex: 1, amount: 1_000_000_000n }], perps: [] }));
  assert.deepEqual(assess("b", indebted, ctx)?.action, { kind: "liquidate_collateral", bankIndex: 1, maxRepay: 50_000_000_000n });
  const healthy = decode(encodeMarginAccount({ quoteBalance: 5n, marginCallSlot: 0n, inMarginCall: false, collateral: [], perps: [] }));
  assert.equal(assess("c", healthy, ctx), null);
});

test("the grace period holds liquidation back above the hard threshold", () => {
  const { state, prices } = syntheticExchange();
  state.exchange.marginCallGraceSlots = 100n;
  const decode = marginRiskDecoder();
  // $100 long at entry $12 (price $10): loss $16.67 on $10 of quote: maint not met, equity < 0.
  const deep = decode(encodeMarginAccount({ quoteBalance: 10_000_000n, marginCallSlot: 5n, inMarginCall: true, collateral: [], perps: [{ marketIndex: 0, position: { base: 10_000_000_000n, quoteEntry: -120_000_000n, fundingSnapshot: 0n } }] }));
  assert.ok(assess("d", deep, { state, prices, slot: 10n }), "under the hard threshold: at once");
  // Just under maintenance (equity 4.9 vs requirement 5): waits for the grace period.
  const mild = decode(encodeMarginAccount({ quoteBalance: 4_900_000n, marginCallSlot: 5n, inMarginCall: true, collateral: [], perps: [{ marketIndex: 0, position: { base: 10_000_000_000n, quoteEntry: -100_000_000n, fundingSnapshot: 0n } }] }));
  assert.equal(assess("e", mild, { state, prices, slot: 10n }), null);
  assert.ok(assess("e", mild, { state, prices, slot: 105n }));
});
