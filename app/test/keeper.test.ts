import { test } from "node:test";
import assert from "node:assert/strict";
import { marginRiskDecoder } from "../src/sdk/accounts";
import { assess, scan } from "../src/keeper/keeper";
import { encodeMarginAccount, syntheticAccounts, syntheticCorrelations, syntheticExchange } from "../src/keeper/synthetic";

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
  // Not yet in margin call: the program would record it now and refuse, so the keeper starts
  // the clock with refresh_health instead of a liquidation that cannot land.
  const unseen = decode(encodeMarginAccount({ quoteBalance: 4_900_000n, marginCallSlot: 0n, inMarginCall: false, collateral: [], perps: [{ marketIndex: 0, position: { base: 10_000_000_000n, quoteEntry: -100_000_000n, fundingSnapshot: 0n } }] }));
  assert.deepEqual(assess("f", unseen, { state, prices, slot: 1_000n })?.action, { kind: "refresh_health" });
  // With no grace period it is liquidated at once.
  state.exchange.marginCallGraceSlots = 0n;
  assert.deepEqual(assess("f", unseen, { state, prices, slot: 1_000n })?.action, { kind: "liquidate_perp", marketIndex: 0 });
});

test("an isolated position is liquidated alone as soon as its own maintenance fails (no grace)", () => {
  const { state, prices } = syntheticExchange();
  state.exchange.marginCallGraceSlots = 100n;
  const decode = marginRiskDecoder();
  // Cross: 10 units of market 0 at $10 on $1,000 (healthy). Isolated: 10 units of market 1 at
  // $100, entered at $105, on $60 of its own collateral: $10 against MM 5% × $1,000 = $50.
  const view = decode(encodeMarginAccount({
    quoteBalance: 1_000_000_000n, marginCallSlot: 0n, inMarginCall: false, collateral: [],
    perps: [
      { marketIndex: 0, position: { base: 10_000_000_000n, quoteEntry: -100_000_000n, fundingSnapshot: 0n } },
      { marketIndex: 1, position: { base: 10_000_000_000n, quoteEntry: -1_050_000_000n, fundingSnapshot: 0n }, isolated: true, isolatedCollateral: 60_000_000n },
    ],
  }));
  const c = assess("iso", view, { state, prices, slot: 10n });
  assert.deepEqual(c?.action, { kind: "liquidate_perp", marketIndex: 1 });
  assert.equal(c?.shortfall, 40_000_000n);
  // With $60 more of its own collateral it is healthy, and the account's quote does not help it.
  const topped = decode(encodeMarginAccount({ ...view, perps: view.perps.map((p) => (p.isolated ? { ...p, isolatedCollateral: 120_000_000n } : p)) }));
  assert.equal(assess("iso", topped, { state, prices, slot: 10n }), null);
  const poor = decode(encodeMarginAccount({ ...view, quoteBalance: 1n }));
  assert.equal(assess("iso", poor, { state, prices, slot: 10n })?.action.kind, "liquidate_perp");
  assert.equal((assess("iso", poor, { state, prices, slot: 10n })?.action as { marketIndex: number }).marketIndex, 1);
});

test("portfolio accounts are margined with the exchange's correlations (cross off the asset map), skipped without them", () => {
  const { state, prices } = syntheticExchange();
  const decode = marginRiskDecoder();
  // Long $1,000 of market 0 (asset 0), short $1,000 of market 1 (asset 1), MM 5%: v = ±$50.
  // ρ = 0.9: requirement max(10% × $100, 50 √0.2 = $22.36); cross needs $100. Equity $60.
  const account = (marginMode: number, quoteBalance: bigint) => decode(encodeMarginAccount({
    quoteBalance, marginCallSlot: 0n, inMarginCall: false, marginMode, collateral: [],
    perps: [
      { marketIndex: 0, position: { base: 100_000_000_000n, quoteEntry: -1_000_000_000n, fundingSnapshot: 0n } },
      { marketIndex: 1, position: { base: -10_000_000_000n, quoteEntry: 1_000_000_000n, fundingSnapshot: 0n } },
    ],
  }));
  const ctx = { state, prices, slot: 10n };
  assert.deepEqual(assess("cross", account(0, 60_000_000n), ctx)?.action, { kind: "liquidate_perp", marketIndex: 0 });
  assert.equal(assess("no-correlations", account(1, 60_000_000n), ctx), null, "cannot be assessed: skipped");
  state.correlations = syntheticCorrelations([[1_000_000, 900_000], [900_000, 1_000_000]], [255, 0, 1], [0, 1], 100_000);
  assert.equal(assess("hedged", account(1, 60_000_000n), { state, prices, slot: 10n }), null);
  const under = assess("under", account(1, 10_000_000n), { state, prices, slot: 10n });
  assert.deepEqual(under?.action, { kind: "liquidate_perp", marketIndex: 0 });
  assert.equal(under?.shortfall, 22_360_680n - 10_000_000n);
  // A holding the correlations place on no asset: margined in cross, as the program does
  // (cross needs $100 against $10 of equity).
  state.correlations = syntheticCorrelations([[1_000_000, 900_000], [900_000, 1_000_000]], [], [0], 100_000);
  const unmapped = assess("unmapped", account(1, 10_000_000n), { state, prices, slot: 10n });
  assert.deepEqual(unmapped?.action, { kind: "liquidate_perp", marketIndex: 0 });
  assert.equal(unmapped?.shortfall, 100_000_000n - 10_000_000n);
});

test("isolated slots block neither bankruptcy resolution nor collateral liquidation; a deficit left on one is resolved", () => {
  const { state, prices } = syntheticExchange();
  const decode = marginRiskDecoder();
  const ctx = { state, prices, slot: 10n };
  const healthyIsolated = { marketIndex: 1, position: { base: 1_000_000_000n, quoteEntry: -100_000_000n, fundingSnapshot: 0n }, isolated: true, isolatedCollateral: 50_000_000n };
  const bankrupt = decode(encodeMarginAccount({ quoteBalance: -5n, marginCallSlot: 0n, inMarginCall: true, collateral: [], perps: [healthyIsolated] }));
  assert.deepEqual(assess("a", bankrupt, ctx)?.action, { kind: "resolve_bankruptcy" });
  const indebted = decode(encodeMarginAccount({ quoteBalance: -50_000_000_000n, marginCallSlot: 0n, inMarginCall: true, collateral: [{ bankIndex: 1, amount: 1_000_000_000n }], perps: [healthyIsolated] }));
  assert.deepEqual(assess("b", indebted, ctx)?.action, { kind: "liquidate_collateral", bankIndex: 1, maxRepay: 50_000_000_000n });
  const solvent = decode(encodeMarginAccount({ quoteBalance: 0n, marginCallSlot: 0n, inMarginCall: false, collateral: [], perps: [healthyIsolated] }));
  assert.equal(assess("c", solvent, ctx), null);
  // An isolated position its owner closed under water: resolved like a bankruptcy.
  const closedUnder = { marketIndex: 1, position: { base: 0n, quoteEntry: 0n, fundingSnapshot: 0n }, isolated: true, isolatedCollateral: -103_800_000n };
  const deficit = decode(encodeMarginAccount({ quoteBalance: 1_900_000_000n, marginCallSlot: 0n, inMarginCall: false, collateral: [], perps: [closedUnder] }));
  const c = assess("d", deficit, ctx);
  assert.deepEqual([c?.action, c?.shortfall], [{ kind: "resolve_bankruptcy" }, 103_800_000n]);
});
