import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ArgError, formatUnits, parseCli, parseUnits } from "../src/cli/args";
import { resolveConfig } from "../src/cli/config";

test("commands parse", () => {
  assert.deepEqual(parseCli(["markets", "--json"]).command, { cmd: "markets" });
  assert.equal(parseCli(["markets", "--json"]).json, true);
  assert.deepEqual(parseCli(["account"]).command, { cmd: "account", address: undefined, sub: 0 });
  assert.deepEqual(parseCli(["account", "So11111111111111111111111111111111111111112", "--sub", "2"]).command, {
    cmd: "account", address: "So11111111111111111111111111111111111111112", sub: 2,
  });
  assert.deepEqual(parseCli(["deposit", "100.5"]).command, { cmd: "deposit", amount: "100.5", token: "USDC" });
  assert.deepEqual(parseCli(["withdraw", "1", "-t", "SOL"]).command, { cmd: "withdraw", amount: "1", token: "SOL" });
  assert.deepEqual(parseCli(["trade", "SOL-PERP", "long", "2.5", "--limit=160", "--reduce-only"]).command, {
    cmd: "trade", market: "SOL-PERP", side: "buy", size: "2.5", limit: "160", reduceOnly: true,
  });
  assert.deepEqual(parseCli(["trade", "btc", "short", "0.1"]).command, { cmd: "trade", market: "btc", side: "sell", size: "0.1", limit: undefined, reduceOnly: false });
  assert.deepEqual(parseCli(["close", "ETH"]).command, { cmd: "close", market: "ETH" });
  assert.deepEqual(parseCli(["lp", "withdraw", "10"]).command, { cmd: "lp", action: "withdraw", amount: "10" });
  assert.deepEqual(parseCli(["lp", "deposit", "10", "--min", "9.9"]).command, { cmd: "lp", action: "deposit", amount: "10", min: "9.9" });
  assert.deepEqual(parseCli(["lp", "claim"]).command, { cmd: "lp", action: "claim" });
  const g = parseCli(["-u", "devnet", "-k", "/tmp/k.json", "--deployment", "d.json", "markets"]);
  assert.equal(g.url, "devnet");
  assert.equal(g.keypair, "/tmp/k.json");
  assert.equal(g.deployment, "d.json");
  assert.deepEqual(parseCli([]).command, { cmd: "help" });
});

test("bad command lines are rejected with a usage message", () => {
  assert.throws(() => parseCli(["trade", "SOL", "up", "1"]), ArgError);
  assert.throws(() => parseCli(["trade", "SOL", "buy"]), /usage/);
  assert.throws(() => parseCli(["deposit", "-5"]), ArgError);
  assert.throws(() => parseCli(["deposit", "abc"]), /not an amount/);
  assert.throws(() => parseCli(["lp", "stake", "1"]), /usage/);
  assert.throws(() => parseCli(["markets", "--frobnicate"]), /unknown option/);
  assert.throws(() => parseCli(["markets", "--url"]), /needs a value/);
  assert.throws(() => parseCli(["fly"]), /unknown command/);
  assert.throws(() => parseCli(["account", "--sub", "70000"]), /--sub/);
  assert.deepEqual(parseCli(["reputation", "refresh"]).command, { cmd: "reputation", address: undefined, sub: 0 });
  assert.deepEqual(parseCli(["reputation", "refresh", "So11111111111111111111111111111111111111112", "--sub", "1"]).command, {
    cmd: "reputation",
    address: "So11111111111111111111111111111111111111112",
    sub: 1,
  });
  assert.throws(() => parseCli(["reputation"]), /usage: fulcrum reputation refresh/);
  assert.throws(() => parseCli(["reputation", "refresh", "--sub", "-1"]), /--sub/);
});

test("amounts in whole units", () => {
  assert.equal(parseUnits("1.25", 6), 1_250_000n);
  assert.equal(parseUnits("7", 9), 7_000_000_000n);
  assert.equal(parseUnits("0.000001", 6), 1n);
  assert.throws(() => parseUnits("0.0000001", 6), /at most 6 decimals/);
  assert.equal(formatUnits(1_250_000n, 6), "1.25");
  assert.equal(formatUnits(-1_000_000n, 6), "-1");
  assert.equal(formatUnits(1_234_567n, 6, 2), "1.23");
});

test("RPC URL and keypair: flag, then env, then the Solana CLI config, then defaults", () => {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-cli-"));
  const cfgPath = join(dir, "config.yml");
  writeFileSync(cfgPath, "---\njson_rpc_url: \"http://10.0.0.1:8899\"\nwebsocket_url: ''\nkeypair_path: /keys/me.json\ncommitment: confirmed\n");
  const fromConfig = resolveConfig({ config: cfgPath }, {});
  assert.equal(fromConfig.rpcUrl, "http://10.0.0.1:8899");
  assert.equal(fromConfig.keypairPath, "/keys/me.json");
  assert.equal(fromConfig.sources.rpcUrl, "solana config");
  const fromEnv = resolveConfig({ config: cfgPath }, { FULCRUM_RPC_URL: "devnet", FULCRUM_KEYPAIR: "/keys/env.json" });
  assert.equal(fromEnv.rpcUrl, "https://api.devnet.solana.com");
  assert.equal(fromEnv.keypairPath, "/keys/env.json");
  const fromFlags = resolveConfig({ config: cfgPath, url: "localhost", keypair: "/keys/flag.json" }, { FULCRUM_RPC_URL: "devnet" });
  assert.equal(fromFlags.rpcUrl, "http://127.0.0.1:8899");
  assert.equal(fromFlags.keypairPath, "/keys/flag.json");
  const defaults = resolveConfig({ config: join(dir, "missing.yml") }, {});
  assert.equal(defaults.rpcUrl, "http://127.0.0.1:8899");
  assert.match(defaults.keypairPath, /\.config\/solana\/id\.json$/);
});
