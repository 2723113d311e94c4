// Winners are always paid (issue 13 §3), off chain: the SDK counts a market's PnL cap in margin
// and shows it in a trade's preview, ranks each market's auto-deleveraging queue, and the keeper
// picks the first winner of every market above its threshold.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Connection, Keypair } from "@solana/web3.js";
import * as risk from "../src/risk";
import { marginRiskDecoder, type LiquidityPool } from "../src/sdk/accounts";
import { FulcrumClient, type ExchangeState } from "../src/sdk/client";
import type { Deployment } from "../src/sdk/deployment";
import { PROGRAM_ID } from "../src/sdk/pda";
import { adlScan } from "../src/keeper/keeper";
import { encodeMarginAccount, syntheticExchange } from "../src/keeper/synthetic";

const UNIT = 1_000_000_000n; // one base unit (9 decimals)
const USD = 1_000_000n;

/**
 * Market 0 at $10: A long 100 from $5 (+$500), B long 10 from $8 (+$20), C short 50 from $9
 * (−$50). Longs' profit $520, shorts' none; the pool holds `pool` of cash; the cap is 10% of it;
 * ADL above 50%, down to 20%.
 */
function world(pool: bigint) {
  const { state, prices } = syntheticExchange();
  const m = state.markets.get(0)!.market;
  Object.assign(m, {
    longBase: 110n * UNIT, longQuoteEntry: -580n * USD, shortBase: 50n * UNIT, shortQuoteEntry: 450n * USD,
    takerFee: 1_000, stepSize: UNIT / 1_000n, maxPnlFactor: 100_000, adlThreshold: 500_000, adlFloor: 200_000,
  });
  state.pool = { balance: pool } as LiquidityPool;
  const decode = marginRiskDecoder();
  const acct = (base: bigint, quoteEntry: bigint) => decode(encodeMarginAccount({
    quoteBalance: 100n * USD, marginCallSlot: 0n, inMarginCall: false, collateral: [],
    perps: [{ marketIndex: 0, position: { base, quoteEntry, fundingSnapshot: 0n } }],
  }));
  const accounts: [string, ReturnType<typeof decode>][] = [
    ["A", acct(100n * UNIT, -500n * USD)],
    ["B", acct(10n * UNIT, -80n * USD)],
    ["C", acct(-50n * UNIT, 450n * USD)],
  ];
  return { state, prices, accounts };
}

test("margin and a close's preview count a winner's profit through the market's PnL cap", () => {
  const { state, prices, accounts } = world(600n * USD);
  const a = accounts[0]![1];
  const ctx = FulcrumClient.riskContext(state, prices);
  const h = ctx.markets[0]!.pnlHaircut!;
  assert.deepEqual(h, { profit: 520n * USD, paid: 60n * USD, cap: 60n * USD });
  const capped = (500n * USD * 60n) / 520n; // $57.69…, rounded down
  const main = FulcrumClient.marginParts(a, ctx).main;
  assert.equal(risk.unrealizedPnl(main.perps[0]!.position, main.perps[0]!.market, risk.MarginKind.Maintenance), capped);
  assert.equal(risk.health(main, risk.MarginKind.Maintenance).equity, 100n * USD + capped);
  // The close pays the capped share, before it is sent.
  const p = FulcrumClient.previewFill(a as never, state, prices, 0, -100n * UNIT);
  assert.equal(p.uncappedPnl, 500n * USD);
  assert.equal(p.realizedPnl, capped);
  assert.equal(p.withheld, 500n * USD - capped);
  assert.equal(p.fee, 1n * USD); // 0.1% of $1,000
  // A loser is untouched.
  const c = FulcrumClient.previewFill(accounts[2]![1] as never, state, prices, 0, 50n * UNIT);
  assert.equal(c.realizedPnl, -50n * USD);
  assert.equal(c.withheld, 0n);
  // Under the cap, in full.
  const rich = world(100_000n * USD);
  assert.equal(FulcrumClient.previewFill(rich.accounts[0]![1] as never, rich.state, rich.prices, 0, -100n * UNIT).realizedPnl, 500n * USD);
});

test("the ADL queue ranks winners by PnL ratio × leverage; the keeper takes the first of each market above its threshold", () => {
  const { state, prices, accounts } = world(600n * USD);
  const [m] = FulcrumClient.adlMarkets(state, prices);
  assert.equal(m!.ratio, 866_667n); // $520 / $600, rounded up
  assert.ok(m!.above);
  const queue = FulcrumClient.adlRanking(state, prices, accounts, 0);
  assert.deepEqual(queue.map((e) => [e.account, e.rank]), [["A", 1], ["B", 2]], "losers are not in the queue");
  // A: PnL ratio 100% (500 / 500) × leverage $1,000 / $157.69.
  const equityA = 100n * USD + (500n * USD * 60n) / 520n;
  assert.equal(queue[0]!.score, risk.adlScore(500n * USD, -500n * USD, 1_000n * USD, equityA));
  assert.equal(FulcrumClient.adlRank(state, prices, accounts, "B").get(0)?.rank, 2);
  const ctx = { state, prices, slot: 1n };
  assert.deepEqual(adlScan(accounts, ctx).map((c) => c.entry.account), ["A"]);
  assert.deepEqual(adlScan(accounts, ctx, (k) => k === "A").map((c) => c.entry.account), ["B"]);
  // A deeper pool: under the threshold, nothing to do.
  const calm = world(2_000n * USD);
  assert.deepEqual(adlScan(calm.accounts, { state: calm.state, prices: calm.prices, slot: 1n }), []);
});

test("auto_deleverage is built with Anchor's discriminator and the program's account order", async () => {
  const { state } = world(600n * USD);
  const exchange = Keypair.generate().publicKey;
  const deployment = { cluster: "test", programId: PROGRAM_ID.toBase58(), exchange: exchange.toBase58(), admin: exchange.toBase58(), quoteMint: exchange.toBase58(), quoteDecimals: 6, pool: "", lpMint: "", banks: [], markets: [] } as unknown as Deployment;
  const client = new FulcrumClient(new Connection("http://127.0.0.1:1"), Keypair.generate(), deployment);
  state.address = exchange;
  (client as unknown as { state: ExchangeState }).state = state;
  const target = Keypair.generate().publicKey;
  const ix = await client.autoDeleverageIx(target, 0);
  const disc = createHash("sha256").update("global:auto_deleverage").digest().subarray(0, 8);
  assert.deepEqual([...ix.data], [...disc]);
  const m = state.markets.get(0)!;
  const want = [[exchange, false, false], [target, false, true], [client.owner, true, false], [m.address, false, true], [m.market.oracle, false, false], [state.poolAddress, false, true]] as const;
  assert.deepEqual(ix.keys.map((k) => [k.pubkey.toBase58(), k.isSigner, k.isWritable]), want.map(([k, s, w]) => [k.toBase58(), s, w]));
});
