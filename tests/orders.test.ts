// Orders end to end (issue 16) on the local chain: a trader opens with a stop-loss and a
// take-profit from the CLI (one transaction), the price crosses the stop (fulcrum_setPrice),
// and the order keeper executes it; the latency from the crossing price to the landed fill is
// measured over several runs and printed. Then a delayed market order fills only at a price
// published after it, cancel refunds the fee, expired orders are cleaned up for their fee, and a
// liquidation cancels the account's risk-increasing orders (fees to the liquidator).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Keeper } from "../app/src/keeper/keeper";
import { OrderKeeper } from "../app/src/keeper/orders";
import { enginePriceFromNumber, OrderKind, readOracle, setLocalPrice, type FulcrumClient } from "../app/src/sdk";
import { getDeployment, newKeeperClient, leveredTrader, marketIndex, RPC_URL, trader, USDC } from "./helpers";

const BTC = 100_000_000n;

const run = promisify(execFile);
const BIN = join(__dirname, "..", "app", "bin", "fulcrum.mjs");
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const json = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));

/** The CLI as `t`'s wallet. */
function cli(t: FulcrumClient): (...args: string[]) => Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-orders-e2e-"));
  const kp = join(dir, "id.json");
  writeFileSync(kp, JSON.stringify([...t.wallet.secretKey]));
  const env = { ...process.env, FULCRUM_RPC_URL: RPC_URL, FULCRUM_KEYPAIR: kp, SOLANA_CONFIG: join(dir, "none.yml") };
  return async (...args) => (await run(process.execPath, [BIN, ...args], { env })).stdout;
}

/** Waits until `done` holds (checked every 50 ms); the time it took, ms. */
async function until(done: () => Promise<boolean>, timeoutMs: number): Promise<number | null> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await done()) return Date.now() - start;
    await sleep(50);
  }
  return null;
}

/**
 * Waits until the oracle of `marketIndex` has published after `ts` (the feeder republishes every
 * second at the chain's clock): from then on a price set is newer than anything placed by `ts`.
 */
async function clockPast(t: FulcrumClient, marketIndex: number, ts: bigint): Promise<void> {
  const state = await t.loadExchange();
  const m = state.markets.get(marketIndex)!.market;
  const done = await until(async () => {
    const info = await t.connection.getAccountInfo(m.oracle);
    return info !== null && readOracle(info.data, info.owner, m.feedId).publishTime > ts;
  }, 5_000);
  assert.ok(done !== null, "the chain clock moves on");
}

test("open with SL/TP from the CLI, the price crosses the stop, the keeper executes it (latency measured)", async () => {
  const dep = await getDeployment();
  // BTC (the later suites trade SOL at high leverage: its volatility is left alone).
  const btc = await marketIndex("BTC");
  await setLocalPrice(RPC_URL, "BTC", 65_000, dep);
  const keeperClient = await newKeeperClient();
  const logs: Record<string, unknown>[] = [];
  const keeper = new OrderKeeper(keeperClient, { log: (r) => logs.push(r), pollMs: 2_000 });
  await keeper.start();
  const observed: number[] = [];
  try {
    assert.ok(await keeper.waitForFeed(5_000), "oracle subscription live");
    const runs = 5;
    for (let i = 0; i < runs; i++) {
      await setLocalPrice(RPC_URL, "BTC", 65_000, dep);
      const t = await trader(3_000n * USDC);
      // The first run through the CLI (a process per command: slow), the others through the SDK.
      const fulcrum = i === 0 ? cli(t) : null;
      if (fulcrum) await fulcrum("deposit", "1500");
      else await t.deposit(0, 1_500n * USDC);
      const keeperLamports = await keeperClient.connection.getBalance(keeperClient.owner);
      // One transaction: the order book (first time), the trade, the stop-loss and the take-profit.
      const px = (n: number): bigint => enginePriceFromNumber(n, 8, 6);
      const signature = fulcrum
        ? JSON.parse(await fulcrum("trade", "BTC-PERP", "long", "0.05", "--sl", "63500", "--tp", "70000", "--json")).signature
        : await t.orders.tradeWithSlTp(btc, "buy", BTC / 20n, { stopLoss: px(63_500), takeProfit: px(70_000) });
      const tx = await t.connection.getTransaction(signature, { commitment: "confirmed", maxSupportedTransactionVersion: 0 });
      assert.equal(tx?.transaction.message.compiledInstructions.length, 4, "create book + trade + SL + TP in one transaction");
      if (fulcrum) {
        const listed = JSON.parse(await fulcrum("order", "list", "--json"));
        assert.deepEqual(listed.map((o: { kind: string; side: string; wholePosition: boolean }) => [o.kind, o.side, o.wholePosition]), [["stop-loss", "sell", true], ["take-profit", "sell", true]]);
        assert.equal(listed[0].distancePpm, String(-23_076), "SL $1,500 under $65,000");
        assert.equal(listed[0].wouldFill, false);
      }
      const pos = async (): Promise<bigint> => (await t.marginAccount())?.perps.find((p) => p.marketIndex === btc)?.base ?? 0n;
      assert.equal(await pos(), BTC / 20n);
      // The crossing price must be published after the stop was placed (else the next one fills it).
      await clockPast(t, btc, (await t.orders.fetchBook())!.orders[0]!.placedTs);
      const crossedAt = Date.now();
      await setLocalPrice(RPC_URL, "BTC", 63_400, dep); // through the stop
      const took = await until(async () => (await pos()) === 0n, 10_000);
      assert.ok(took !== null, `stop executed within 10 s (logs: ${json(logs.slice(-5))})`);
      observed.push(Date.now() - crossedAt);
      // The take-profit stays (reduce-only: it would be cancelled when executed); cancel refunds it.
      const book = await t.orders.fetchBook();
      assert.deepEqual(book?.orders.map((o) => o.kind), [OrderKind.TakeProfit]);
      const before = await t.connection.getBalance(t.owner);
      if (fulcrum) await fulcrum("order", "cancel", "all");
      else await t.orders.cancelAll();
      const fee = book!.orders[0]!.fee;
      assert.ok(fee > 0n);
      assert.equal(BigInt(await t.connection.getBalance(t.owner)), BigInt(before) + fee - 5_000n, "fee back (less the transaction fee)");
      assert.equal((await t.orders.fetchBook())?.escrowedFees, 0n);
      // The keeper was paid the stop's fee.
      await until(async () => (await keeperClient.connection.getBalance(keeperClient.owner)) >= keeperLamports + Number(fee) - 5_000, 2_000);
      assert.ok((await keeperClient.connection.getBalance(keeperClient.owner)) >= keeperLamports + Number(fee) - 5_000 * 2);
    }
    const summary = await keeper.metrics.summary();
    assert.equal(summary["fulcrum_keeper_orders_executed_total{kind=stop-loss,outcome=filled}"], runs, json(summary));
    assert.ok((summary["fulcrum_keeper_order_rewards_lamports_total"] ?? 0) > 0);
    const mean = (xs: number[]): number => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
    console.log(`# orders: trigger price to landed fill (keeper, from the price's receipt): ${keeper.latencies.join(", ")} ms; mean ${mean(keeper.latencies)} ms`);
    console.log(`# orders: setPrice to position closed (observed by the test): ${observed.join(", ")} ms; mean ${mean(observed)} ms`);
  } finally {
    await keeper.stop();
    await setLocalPrice(RPC_URL, "BTC", 65_000, dep);
  }
});

test("a delayed market order fills only at a price published after it; expired orders are cleaned for their fee", async () => {
  const dep = await getDeployment();
  const eth = await marketIndex("ETH");
  await setLocalPrice(RPC_URL, "ETH", 3_000, dep);
  const t = await trader(3_000n * USDC);
  await t.deposit(0, 1_000n * USDC);
  const keeperClient = await newKeeperClient();
  const keeper = new OrderKeeper(keeperClient, { log: () => undefined, pollMs: 1_000 });
  await keeper.start();
  try {
    await t.orders.place({ marketIndex: eth, kind: OrderKind.Market, side: "buy", baseSize: 10_000_000n });
    const [order] = (await t.orders.fetchBook())!.orders;
    assert.ok(order);
    // Executing with the price the trader saw is refused.
    const state = await t.loadExchange(true);
    const oracle = state.markets.get(eth)!.market.oracle;
    const info = await t.connection.getAccountInfo(oracle);
    assert.ok(info);
    const now = await keeperClient.orders.executeOrderIx(t.marginAccountAddress(), order).then((ix) => keeperClient.send([ix]).then(() => "landed", (e: Error) => e.message));
    // Either the feeder already republished (then it filled) or it was refused as not newer.
    if (now !== "landed") assert.match(now, /OrderPriceNotNewer|OrderNotFound/);
    await clockPast(t, eth, order.placedTs);
    await setLocalPrice(RPC_URL, "ETH", 3_010, dep);
    const took = await until(async () => ((await t.marginAccount())?.perps.find((p) => p.marketIndex === eth)?.base ?? 0n) === 10_000_000n, 10_000);
    assert.ok(took !== null, "the delayed market order filled at a newer price");
    // An expiring limit order far from the price: cleaned up by the keeper once past max_ts.
    const placed = JSON.parse(await cli(t)("order", "place", "ETH-PERP", "buy", "0.1", "--type", "limit", "--price", "1000", "--expires", "2", "--json"));
    const [limit] = (await t.orders.fetchBook())!.orders;
    assert.equal(limit?.orderId.toString(), placed.orderId);
    assert.equal(limit?.triggerPrice, enginePriceFromNumber(1_000, 8, 6));
    assert.ok(limit.maxTs > 0n);
    const cleaned = await until(async () => (await t.orders.fetchBook())!.orders.length === 0, 20_000);
    assert.ok(cleaned !== null, "expired order cleaned");
    // On a validator the book can read empty before the keeper's own confirmation returns.
    await until(async () => ((await keeper.metrics.summary())["fulcrum_keeper_orders_executed_total{kind=limit,outcome=expired}"] ?? 0) >= 1, 10_000);
    const summary = await keeper.metrics.summary();
    assert.ok((summary["fulcrum_keeper_orders_executed_total{kind=limit,outcome=expired}"] ?? 0) >= 1, json(summary));
  } finally {
    await keeper.stop();
    await setLocalPrice(RPC_URL, "ETH", 3_000, dep);
  }
});

test("liquidation cancels the account's risk-increasing orders (the keeper names its order book)", async () => {
  const dep = await getDeployment();
  const eth = await marketIndex("ETH");
  await setLocalPrice(RPC_URL, "ETH", 3_000, dep);
  const victim = await leveredTrader(eth, "buy", 300_000_000n); // 9x: 3 ETH at $3,000 on $1,000
  const px = (n: number): bigint => enginePriceFromNumber(n, 8, 6);
  await victim.orders.place({ marketIndex: eth, kind: OrderKind.Limit, side: "buy", baseSize: 100_000_000n, triggerPrice: px(1_000) });
  await victim.orders.place({ marketIndex: eth, kind: OrderKind.StopLoss, side: "sell", baseSize: 0n, triggerPrice: px(1_500), reduceOnly: true });
  const keeperClient = await newKeeperClient();
  const orders = new OrderKeeper(keeperClient, { log: () => undefined });
  await orders.start();
  const keeper = new Keeper(keeperClient, { log: () => undefined, hasOrderBook: (a) => orders.hasBook(a) });
  await keeper.start();
  try {
    assert.ok(orders.hasBook(victim.marginAccountAddress().toBase58()));
    const before = await keeperClient.connection.getBalance(keeperClient.owner);
    await setLocalPrice(RPC_URL, "ETH", 2_750, dep); // below maintenance
    const took = await until(async () => ((await victim.marginAccount())?.perps.find((p) => p.marketIndex === eth)?.base ?? 0n) < 300_000_000n, 10_000);
    assert.ok(took !== null, "liquidated");
    const left = (await victim.orders.fetchBook())!.orders;
    assert.deepEqual(left.map((o) => o.kind), [OrderKind.StopLoss], "the limit buy cancelled, the reduce-only stop kept");
    assert.equal((await victim.orders.fetchBook())!.escrowedFees, left[0]!.fee);
    // The cancelled order's fee went to the liquidator (less 5,000 lamports per transaction it
    // landed; on a validator the position reads liquidated before the keeper's confirmation returns).
    const landedCount = async (): Promise<number> =>
      Object.entries(await keeper.metrics.summary()).filter(([k]) => k.startsWith("fulcrum_keeper_liquidations_landed_total")).reduce((n, [, v]) => n + v, 0);
    await until(async () => (await landedCount()) >= 1, 10_000);
    const summary = await keeper.metrics.summary();
    const landed = await landedCount();
    const fee = Number(left[0]!.fee);
    assert.ok((await keeperClient.connection.getBalance(keeperClient.owner)) >= before + fee - 5_000 * landed, json(summary));
  } finally {
    await keeper.stop();
    await orders.stop();
    await setLocalPrice(RPC_URL, "ETH", 3_000, dep);
  }
});

test("closing an account with resting orders: the SDK cancels them and closes the book first (fees and rents back)", async () => {
  const eth = await marketIndex("ETH");
  const t = await trader(0n);
  const account = t.marginAccountAddress();
  await t.orders.place({ marketIndex: eth, kind: OrderKind.Limit, side: "buy", baseSize: 10_000_000n, triggerPrice: enginePriceFromNumber(1_000, 8, 6) });
  const book = (await t.orders.fetchBook())!;
  assert.equal(book.openCount, 1);
  // The program alone refuses: the book must not outlive the account.
  await assert.rejects(t.closeMarginAccountIx(account).then((ix) => t.send([ix])), /OrderBookStillOpen/);
  const bookLamports = (await t.connection.getBalance(t.orders.address(account)));
  const accountLamports = await t.connection.getBalance(account);
  const before = await t.connection.getBalance(t.owner);
  await t.send(await t.closeMarginAccountIxs(account));
  assert.equal(await t.connection.getAccountInfo(account), null);
  assert.equal(await t.orders.fetchBook(account), null);
  // Everything back to the owner but the transaction fee (one signature: 5,000 lamports).
  assert.equal(await t.connection.getBalance(t.owner), before + bookLamports + accountLamports - 5_000);
});
