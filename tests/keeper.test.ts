// The keeper liquidates an over-levered account after a price crash (fulcrum_setPrice), within
// a liveness bound of 10 s.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Keeper } from "../app/src/keeper/keeper";
import { setLocalPrice } from "../app/src/sdk";
import { getDeployment, newKeeperClient, leveredTrader, marketIndex, RPC_URL } from "./helpers";

test("keeper liquidates after a crash within 10 s", async () => {
  const eth = await marketIndex("ETH");
  await setLocalPrice(RPC_URL, "ETH", 3_000, await getDeployment());
  // 9x: 3 ETH at $3,000 on $1,000.
  const victim = await leveredTrader(eth, "buy", 300_000_000n);
  const logs: Record<string, unknown>[] = [];
  const keeper = new Keeper(await newKeeperClient(), { log: (r) => logs.push(r), pollMs: 2_000 });
  await keeper.start();
  try {
    assert.ok(keeper.watched > 0);
    assert.ok(await keeper.waitForFeed(5_000), "oracle subscription live");
    const crashAt = Date.now();
    await setLocalPrice(RPC_URL, "ETH", 2_750, await getDeployment()); // −8.3%: below maintenance
    let base = 1n;
    while (Date.now() - crashAt < 10_000) {
      const r = await victim.accountReport();
      base = r?.positions.find((p) => p.marketIndex === eth)?.base ?? 0n;
      if (base < 300_000_000n) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const elapsed = Date.now() - crashAt;
    assert.ok(base < 300_000_000n, `liquidated within 10 s (logs: ${JSON.stringify(logs.slice(-5), (_k, v) => (typeof v === "bigint" ? v.toString() : v))})`);
    // The account can show the fill before the keeper's own confirmation returns (a validator
    // answers reads at an earlier commitment than the one the keeper confirms at).
    const landed = async () => (await keeper.metrics.summary())['fulcrum_keeper_liquidations_landed_total{kind=liquidate_perp}'] ?? 0;
    for (let i = 0; i < 100 && (await landed()) < 1; i++) await new Promise((res) => setTimeout(res, 100));
    const summary = await keeper.metrics.summary();
    assert.ok((summary['fulcrum_keeper_liquidations_landed_total{kind=liquidate_perp}'] ?? 0) >= 1, JSON.stringify(summary));
    console.log(`# keeper: crash to liquidation observed in ${elapsed} ms`);
  } finally {
    await keeper.stop();
    await setLocalPrice(RPC_URL, "ETH", 3_000, await getDeployment());
  }
});

test("polling fallback: without subscriptions the keeper still liquidates within 10 s", async () => {
  const btc = await marketIndex("BTC");
  await setLocalPrice(RPC_URL, "BTC", 65_000, await getDeployment());
  // 19x: 0.29 BTC at $65,000 on $1,000 (max 20x).
  const victim = await leveredTrader(btc, "sell", 29_000_000n);
  const keeper = new Keeper(await newKeeperClient(), { log: () => undefined, pollMs: 500, subscribe: false });
  await keeper.start();
  try {
    const crashAt = Date.now();
    await setLocalPrice(RPC_URL, "BTC", 67_000, await getDeployment()); // +3.1% against a 19x short
    let base = -29_000_000n;
    while (Date.now() - crashAt < 10_000) {
      base = (await victim.accountReport())?.positions.find((p) => p.marketIndex === btc)?.base ?? 0n;
      if (base > -29_000_000n) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(base > -29_000_000n, "liquidated by polling within 10 s");
    console.log(`# keeper (polling): crash to liquidation observed in ${Date.now() - crashAt} ms`);
  } finally {
    await keeper.stop();
    await setLocalPrice(RPC_URL, "BTC", 65_000, await getDeployment());
  }
});
