// Margin modes against the local chain: the admin sets the exchange's correlations (the demo
// bootstrap's admin key), an isolated position is liquidated by the keeper after a crash while the
// trader's cross side is untouched, and a portfolio account trades with its correlations appended.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Keypair } from "../app/src/sdk/vendor";
import { FulcrumClient, FulcrumError, risk, setLocalPrice, type Deployment } from "../app/src/sdk";
import { Keeper } from "../app/src/keeper/keeper";
import { connection, getDeployment, marketIndex, RPC_URL, SOL, trader, USDC } from "./helpers";

const ONE = 1_000_000;
/** Assets of the correlation matrix: SOL 0, BTC 1, ETH 2; ρ(BTC, ETH) = 0.9. */
const ASSETS: Record<string, number> = { SOL: 0, BTC: 1, ETH: 2 };
const MATRIX = [
  [ONE, 0, 0],
  [0, ONE, 900_000],
  [0, 900_000, ONE],
];

async function rejectsWith(p: Promise<unknown>, name: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof FulcrumError, String(e));
    assert.equal(e.errorName, name);
    return true;
  });
}

/** The bootstrap's admin (local chain only) sets the correlations, each bank and market on its asset. */
async function setCorrelations(d: Deployment): Promise<FulcrumClient> {
  assert.ok(d.localOnly?.adminSecretKey, "the local deployment carries its admin key");
  const admin = new FulcrumClient(connection(), Keypair.fromSecretKey(Uint8Array.from(d.localOnly.adminSecretKey)), d);
  const bankAssets = Array.from({ length: Math.max(...d.banks.map((b) => b.index)) + 1 }, (_, i) => ASSETS[d.banks.find((b) => b.index === i)?.symbol ?? ""] ?? 255);
  const marketAssets = Array.from({ length: Math.max(...d.markets.map((m) => m.index)) + 1 }, (_, i) => ASSETS[d.markets.find((m) => m.index === i)?.symbol ?? ""] ?? 255);
  await admin.setCorrelations({ matrix: MATRIX, bankAssets, marketAssets, floor: 100_000, minEquity: 1_000n * USDC });
  // Only the admin may.
  const stranger = await trader(0n, { marginAccount: false });
  await rejectsWith(stranger.send([await stranger.admin.setCorrelations({ matrix: MATRIX, bankAssets, marketAssets, floor: 0, minEquity: 0n })]), "NotAdmin");
  return admin;
}

test("isolated margin: the keeper liquidates an isolated position after a crash, the cross side untouched", async () => {
  const d = await getDeployment();
  const admin = await setCorrelations(d);
  const state = await admin.loadExchange(true);
  assert.ok(state.correlations && state.correlations.numAssets === 3 && state.correlations.floor === 100_000);

  const sol = await marketIndex("SOL");
  const btc = await marketIndex("BTC");
  await setLocalPrice(RPC_URL, "SOL", 150, await getDeployment());
  const t = await trader(5_000n * USDC);
  const account = t.marginAccountAddress();
  await t.deposit(0, 2_000n * USDC);
  await t.trade(btc, "buy", 1_000_000n); // cross: 0.01 BTC ($650)
  // Isolated: $100 into SOL-PERP, then 6 SOL ($900, 9x; the fee, ~$0.90, from the position's collateral).
  await t.transferIsolatedCollateral(account, sol, 100n * USDC);
  await t.trade(sol, "buy", 6n * SOL);
  let r = (await t.accountReport())!;
  const iso = r.positions.find((p) => p.marketIndex === sol)!;
  assert.equal(iso.isolated, true);
  const collateral0 = iso.isolatedCollateral;
  assert.ok(collateral0 > 95n * USDC && collateral0 <= 99_100_000n, `isolated collateral ${collateral0}`);
  assert.equal(r.positions.find((p) => p.marketIndex === btc)!.isolated, false);
  // Refused by name: below the position's initial margin, and isolated collateral on a cross position.
  await rejectsWith(t.transferIsolatedCollateral(account, sol, -50n * USDC), "IsolatedCollateralBelowInitialMargin");
  await rejectsWith(t.transferIsolatedCollateral(account, btc, 10n * USDC), "PositionModeMismatch");
  const before = (await t.marginAccount(account))!;
  const crossSlot = before.perps.find((p) => p.marketIndex === btc)!;

  const keeperClient = await trader(0n, { marginAccount: false });
  const logs: Record<string, unknown>[] = [];
  const keeper = new Keeper(keeperClient, { log: (rec) => logs.push(rec), pollMs: 2_000 });
  await keeper.start();
  try {
    assert.ok(await keeper.waitForFeed(5_000), "oracle subscription live");
    // $137: the position has ~99.10 − 78 = $21.10 against MM 5% × $822 = $41.10. The account's
    // $1,900 of cross quote would cover it many times over: it is not asked to.
    await setLocalPrice(RPC_URL, "SOL", 137, await getDeployment());
    const crashAt = Date.now();
    let base = 6n * SOL;
    while (Date.now() - crashAt < 10_000) {
      base = (await t.marginAccount(account))!.perps.find((p) => p.marketIndex === sol)?.base ?? 0n;
      if (base < 6n * SOL) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const show = JSON.stringify(logs.slice(-5), (_k, v) => (typeof v === "bigint" ? v.toString() : v));
    assert.ok(base < 6n * SOL, `isolated position liquidated within 10 s (logs: ${show})`);
    // The keeper logs the landing once its confirmation returns, which can follow the account
    // read above on a validator.
    const isLanded = (l: Record<string, unknown>) => l.msg === "liquidation landed" && l.account === account.toBase58();
    for (let i = 0; i < 100 && !logs.some(isLanded); i++) await new Promise((res) => setTimeout(res, 100));
    const landed = logs.find(isLanded);
    assert.deepEqual((landed?.action as { marketIndex?: number } | undefined)?.marketIndex, sol, show);
    console.log(`# keeper: isolated liquidation observed ${Date.now() - crashAt} ms after the crash`);
  } finally {
    await keeper.stop();
    await setLocalPrice(RPC_URL, "SOL", 150, await getDeployment());
  }
  const after = (await t.marginAccount(account))!;
  assert.equal(after.quoteBalance, before.quoteBalance, "the cross quote balance paid nothing");
  assert.deepEqual(after.perps.find((p) => p.marketIndex === btc), crossSlot, "the cross position is untouched");
  const isoAfter = after.perps.find((p) => p.marketIndex === sol)!;
  assert.equal(isoAfter.isolated, 1);
  assert.ok(isoAfter.base > 0n, "partial: just enough to restore the position's own maintenance");
  assert.ok(isoAfter.isolatedCollateral < collateral0, "the loss and fees came from the position's collateral");
  r = (await t.accountReport())!;
  const own = r.positions.find((p) => p.marketIndex === sol)!.isolatedHealth!;
  assert.ok(own.maint.equity >= own.maint.requirement, "back above its own maintenance");
});

test("portfolio margin: the switch needs the minimum equity, and a hedged pair needs less than cross", async () => {
  const d = await getDeployment();
  await setCorrelations(d);
  const btc = await marketIndex("BTC");
  const eth = await marketIndex("ETH");
  await setLocalPrice(RPC_URL, "BTC", 65_000, await getDeployment());
  await setLocalPrice(RPC_URL, "ETH", 3_000, await getDeployment());

  const small = await trader(1_000n * USDC);
  await small.deposit(0, 500n * USDC);
  await rejectsWith(small.setMarginMode(small.marginAccountAddress(), risk.MarginMode.Portfolio), "PortfolioMinimumEquity");

  const t = await trader(5_000n * USDC);
  const account = t.marginAccountAddress();
  await t.deposit(0, 3_000n * USDC);
  await rejectsWith(t.setMarginMode(account, risk.MarginMode.Cross), "MarginModeUnchanged");
  await t.setMarginMode(account, risk.MarginMode.Portfolio);
  // Long 0.2 BTC ($13,000), short 4 ETH ($12,000): every margin check now carries the correlations.
  await t.trade(btc, "buy", 20_000_000n);
  await t.trade(eth, "sell", 400_000_000n);
  await t.send([await t.refreshHealthIx(account)]);
  const r = (await t.accountReport())!;
  assert.equal(r.marginMode, risk.MarginMode.Portfolio);
  const state = await t.loadExchange(true);
  const prices = await t.fetchPrices(state);
  const main = FulcrumClient.riskAccount(r.account, state, prices);
  const cross = risk.accountHealth(main);
  assert.ok(r.health.maint.requirement < cross.maint.requirement / 2n, `portfolio ${r.health.maint.requirement} vs cross ${cross.maint.requirement}`);
  const model = risk.MarginModel.Portfolio({ collateralAssets: [], perpAssets: [1, 2], correlation: { n: 3, c: MATRIX }, floor: 100_000 });
  assert.deepEqual(r.health, risk.modelAccountHealth(main, model), "the report is the mirror's portfolio health");
  // Back to cross needs $650 + $1,200 of initial margin: allowed with $3,000, and the
  // account's checks stop carrying the correlations.
  await t.setMarginMode(account, risk.MarginMode.Cross);
  await t.closePosition(eth);
  assert.equal((await t.accountReport())!.marginMode, risk.MarginMode.Cross);
});
