// The CLI's `account --json` is the SDK's report.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { marketIndex, RPC_URL, SOL, trader, USDC } from "./helpers";

const run = promisify(execFile);
const BIN = join(__dirname, "..", "app", "bin", "fulcrum.mjs");

test("fulcrum account --json matches the SDK", async () => {
  const t = await trader(3_000n * USDC);
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-cli-e2e-"));
  const kp = join(dir, "id.json");
  writeFileSync(kp, JSON.stringify([...t.wallet.secretKey]));
  const env = { ...process.env, FULCRUM_RPC_URL: RPC_URL, FULCRUM_KEYPAIR: kp, SOLANA_CONFIG: join(dir, "none.yml") };
  // Trade through the CLI, read back through both.
  await run(process.execPath, [BIN, "deposit", "1500"], { env });
  await run(process.execPath, [BIN, "trade", "SOL-PERP", "long", "4", "--json"], { env });
  await t.trade(await marketIndex("BTC"), "sell", 1_000_000n);
  // An isolated position: 0.1 ETH on $100 of its own collateral.
  const eth = await marketIndex("ETH");
  await t.transferIsolatedCollateral(t.marginAccountAddress(), eth, 100n * USDC);
  await t.trade(eth, "buy", 10_000_000n);
  const { stdout } = await run(process.execPath, [BIN, "account", "--json"], { env });
  const cli = JSON.parse(stdout);
  const sdk = (await t.accountReport())!;
  assert.equal(cli.address, sdk.address.toBase58());
  assert.equal(cli.quoteBalance, sdk.account.quoteBalance.toString());
  assert.equal(cli.equity, sdk.health.equity.toString());
  assert.equal(cli.maintRequirement, sdk.health.maint.requirement.toString());
  assert.equal(cli.initRequirement, sdk.health.init.requirement.toString());
  assert.equal(cli.freeCollateral, sdk.freeCollateral.toString());
  assert.equal(cli.leveragePpm, sdk.health.leverage?.toString() ?? null);
  assert.equal(cli.healthState, "Healthy");
  assert.equal(cli.marginMode, "Cross");
  type CliPosition = { market: string; base: string; liquidationPrice: string | null; isolated: boolean; isolatedCollateral: string; isolatedMaintRequirement: string | null };
  assert.deepEqual(
    cli.positions.map((p: CliPosition) => [p.market, p.base, p.liquidationPrice, p.isolated, p.isolatedCollateral, p.isolatedMaintRequirement]),
    sdk.positions.map((p) => [
      p.market, p.base.toString(), p.liquidationPrice?.toString() ?? null, p.isolated, p.isolatedCollateral.toString(), p.isolatedHealth?.maint.requirement.toString() ?? null,
    ]),
  );
  assert.deepEqual(cli.positions.map((p: CliPosition) => p.isolated), [false, false, true]);
  const text = (await run(process.execPath, [BIN, "account"], { env })).stdout;
  assert.match(text, /margin mode cross/);
  assert.match(text, /ETH-PERP\s+isolated\s+\d/);
  // Issue 18 §1: the reputation tier (the local chain sets no tier table: tier 0 at 1x).
  assert.deepEqual([cli.reputation.tier, cli.reputation.initMultiplierPpm, cli.reputation.next], [0, 0, null]);
  assert.match(text, /tier 0 \(initial margin 1\.00x\)\s+max leverage #0 \d+\.\d\dx/);
  assert.equal(cli.positions[0].base, (4n * SOL).toString());
  const markets = JSON.parse((await run(process.execPath, [BIN, "markets", "--json"], { env })).stdout);
  assert.deepEqual(markets.map((m: { name: string }) => m.name), ["SOL-PERP", "BTC-PERP", "ETH-PERP"]);
});
