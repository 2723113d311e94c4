// Reputation tiers against the local chain (issue 18 §1): the bootstrap's admin sets a tier
// table that leaves every account at 1x (so the other suites see the markets' own ratios), a
// trader's account is cranked by a stranger (permissionless), the CLI's view of the record follows,
// and the table is switched off again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Keypair } from "../app/src/sdk/vendor";
import { FulcrumClient, FulcrumError, decodeMarginAccount, equitySecs, tierStatus } from "../app/src/sdk";
import { Keeper } from "../app/src/keeper/keeper";
import { connection, getDeployment, newKeeperClient, RPC_URL, trader, USDC } from "./helpers";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const BIN = join(__dirname, "..", "app", "bin", "fulcrum.mjs");

const off = { tiers: [], equityCap: 0n, minHoldSecs: 0, upgradePeriodSecs: 0, coolOffSecs: 0 };
const table = {
  tiers: [
    { minAgeDays: 0, maxLiquidations: 65535, minEquityDays: 0, minVolume: 0, initMultiplier: 1_000_000 },
    { minAgeDays: 30, maxLiquidations: 0, minEquityDays: 30_000, minVolume: 100_000, initMultiplier: 800_000 },
  ],
  equityCap: 0n,
  minHoldSecs: 60,
  upgradePeriodSecs: 86_400,
  coolOffSecs: 7 * 86_400,
};

test("a tier table set by the admin, a stranger's crank, and what the next tier needs", async () => {
  const d = await getDeployment();
  assert.ok(d.localOnly?.adminSecretKey, "the local deployment carries its admin key");
  const admin = new FulcrumClient(connection(), Keypair.fromSecretKey(Uint8Array.from(d.localOnly.adminSecretKey)), d);
  try {
    // Only the admin may, and a broken table is refused by name.
    const stranger = await trader(0n, { marginAccount: false });
    await assert.rejects(stranger.send([await stranger.admin.setReputationTiers(table)]), (e: unknown) => e instanceof FulcrumError && e.errorName === "NotAdmin");
    const bad = { ...table, tiers: [table.tiers[1]!, table.tiers[0]!] };
    await assert.rejects(admin.send([await admin.admin.setReputationTiers(bad)]), (e: unknown) => e instanceof FulcrumError && e.errorName === "TierZeroHasRequirements");
    await admin.send([await admin.admin.setReputationTiers(table)]);

    const t = await trader(2_000n * USDC);
    await t.deposit(0, 1_000n * USDC);
    const address = t.marginAccountAddress();
    await stranger.send([await stranger.refreshReputationIx(address)]);
    const info = await connection().getAccountInfo(address);
    const r = decodeMarginAccount(info!.data).reputation!;
    assert.equal(r.tier, 0);
    assert.equal(r.initMultiplier, 1_000_000, "the crank copied tier 0's multiplier");
    assert.equal(r.sampledEquity, 1_000n * USDC, "the crank sampled the equity");
    assert.equal(equitySecs(r), 0n, "a first sample earns nothing");
    const state = await t.loadExchange(true);
    const st = tierStatus(r, state.exchange.reputation!, state.exchange.quoteDecimals, [...state.markets.values()].map((m) => m.market), r.sampledAt);
    assert.equal(st.next?.tier, 1);
    assert.deepEqual([st.next?.shortfall?.days, st.next?.shortfall?.equityDays, st.next?.shortfall?.volume], [30n, 30_000n, 100_000n * USDC]);

    // The CLI's crank, by the stranger on the trader's account: a second sample, tier unchanged.
    const dir = mkdtempSync(join(tmpdir(), "fulcrum-reputation-e2e-"));
    writeFileSync(join(dir, "id.json"), JSON.stringify([...stranger.wallet.secretKey]));
    const env = { ...process.env, FULCRUM_RPC_URL: RPC_URL, FULCRUM_KEYPAIR: join(dir, "id.json"), SOLANA_CONFIG: join(dir, "none.yml") };
    const { stdout } = await run(process.execPath, [BIN, "reputation", "refresh", address.toBase58(), "--json"], { env });
    const cranked = JSON.parse(stdout) as { account: string; tierBefore: number; tierAfter: number; signature: string };
    assert.deepEqual([cranked.account, cranked.tierBefore, cranked.tierAfter], [address.toBase58(), 0, 0]);
    const again = decodeMarginAccount((await connection().getAccountInfo(address, "confirmed"))!.data).reputation!;
    assert.ok(again.sampledAt >= r.sampledAt, "the CLI's crank sampled the account again");
  } finally {
    await admin.send([await admin.admin.setReputationTiers(off)]);
  }
});

test("the keeper cranks the account a crank moves up a tier, and leaves the others alone", async () => {
  const d = await getDeployment();
  const admin = new FulcrumClient(connection(), Keypair.fromSecretKey(Uint8Array.from(d.localOnly!.adminSecretKey)), d);
  // Tier 1 needs one USD-day of equity and no liquidation; both tiers at 1x, so the other suites
  // see the markets' own ratios even while it is set.
  const quick = {
    tiers: [table.tiers[0]!, { minAgeDays: 0, maxLiquidations: 0, minEquityDays: 1, minVolume: 0, initMultiplier: 1_000_000 }],
    equityCap: 0n,
    minHoldSecs: 60,
    upgradePeriodSecs: 1,
    coolOffSecs: 1,
  };
  const record = async (c: FulcrumClient) => decodeMarginAccount((await connection().getAccountInfo(c.marginAccountAddress(), "confirmed"))!.data).reputation!;
  const logs: Record<string, unknown>[] = [];
  const keeper = new Keeper(await newKeeperClient(), { log: (r) => logs.push(r), pollMs: 500, subscribe: false, reputationRefreshMs: 1_000 });
  try {
    await admin.send([await admin.admin.setReputationTiers(quick)]);
    // $100,000 sampled by its owner's crank earns a USD-day in under a second; the other account
    // was never sampled, so no crank could credit it anything.
    const climber = await trader(100_000n * USDC);
    await climber.deposit(0, 100_000n * USDC);
    await climber.send([await climber.refreshReputationIx(climber.marginAccountAddress())]);
    const idle = await trader(100_000n * USDC);
    await idle.deposit(0, 100_000n * USDC);
    const idleBefore = await record(idle);
    await keeper.start();
    let r = await record(climber);
    for (let i = 0; i < 150 && r.tier === 0; i++) {
      await new Promise((res) => setTimeout(res, 100));
      r = await record(climber);
    }
    const show = JSON.stringify(logs.slice(-5), (_k, v) => (typeof v === "bigint" ? v.toString() : v));
    assert.equal(r.tier, 1, `the keeper's crank moved it up (logs: ${show})`);
    assert.ok(equitySecs(r) >= 86_400n * USDC, "credited at least a USD-day");
    const landed = async () => (await keeper.metrics.summary())["fulcrum_keeper_liquidations_landed_total{kind=refresh_reputation}"] ?? 0;
    for (let i = 0; i < 50 && (await landed()) < 1; i++) await new Promise((res) => setTimeout(res, 100));
    assert.ok((await landed()) >= 1, JSON.stringify(await keeper.metrics.summary()));
    assert.deepEqual(await record(idle), idleBefore, "an account no crank could raise is not cranked");
  } finally {
    await keeper.stop();
    await admin.send([await admin.admin.setReputationTiers(off)]);
  }
});
