#!/usr/bin/env node
/**
 * fulcrum-keeper [--url URL] [--keypair PATH] [--deployment FILE] [--metrics-port N]
 *                [--poll-ms N] [--no-subscribe] [--no-orders] [--airdrop]
 * Logs JSON lines; Prometheus metrics on 127.0.0.1:<metrics-port>/metrics.
 */
import { Connection, Keypair, LAMPORTS_PER_SOL } from "@solana/web3.js";
import { writeFileSync } from "node:fs";
import { FulcrumClient } from "../sdk/client";
import { resolveDeployment } from "../sdk/deployment";
import { loadKeypair, resolveConfig } from "../cli/config";
import { parseArgs } from "../cli/args";
import { Keeper, jsonLog } from "./keeper";
import { KeeperMetrics } from "./metrics";
import { OrderKeeper } from "./orders";

const USAGE = `fulcrum-keeper: finds and liquidates unhealthy Fulcrum margin accounts, executes
resting orders (stop-loss, take-profit, limit, delayed market) and cleans expired ones, and cranks
rate-priced banks' rates and the reputation of accounts a crank would move up a tier

  --url, -u URL          RPC URL or moniker (else FULCRUM_RPC_URL, Solana config, localhost)
  --keypair, -k PATH     keeper keypair (else FULCRUM_KEYPAIR, Solana config, ~/.config/solana/id.json)
  --deployment FILE      deployment JSON (else FULCRUM_DEPLOYMENT, else fulcrum_getBootstrap on a local chain)
  --metrics-port N       Prometheus port on 127.0.0.1 (default 9464; 0 = any free port)
  --poll-ms N            polling resync period (default 5000)
  --no-subscribe         polling only (no WebSocket subscriptions)
  --no-orders            liquidations only (no order execution)
  --reputation-ms N      least time between two reputation cranks of one account (default 600000; 0 = none)
  --airdrop              local chains: airdrop SOL to the keeper and generate a keypair if the file is missing
  --ready-file PATH      write the metrics port there once running`;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), {
    strings: ["url", "keypair", "deployment", "metrics-port", "poll-ms", "reputation-ms", "config", "ready-file"],
    booleans: ["no-subscribe", "no-orders", "airdrop", "help"],
    aliases: { u: "url", k: "keypair", h: "help" },
  });
  if (args.flags.help) {
    console.log(USAGE);
    return;
  }
  const cfg = resolveConfig({ url: args.strings.url, keypair: args.strings.keypair, config: args.strings.config, deployment: args.strings.deployment });
  let wallet: Keypair;
  try {
    wallet = loadKeypair(cfg.keypairPath);
  } catch (e) {
    if (!args.flags.airdrop) throw new Error(`cannot read keypair ${cfg.keypairPath}: ${(e as Error).message}`);
    wallet = Keypair.generate();
    writeFileSync(cfg.keypairPath, JSON.stringify([...wallet.secretKey]));
  }
  const connection = new Connection(cfg.rpcUrl, "confirmed");
  if (args.flags.airdrop && (await connection.getBalance(wallet.publicKey)) < LAMPORTS_PER_SOL) {
    const sig = await connection.requestAirdrop(wallet.publicKey, 10 * LAMPORTS_PER_SOL);
    await connection.confirmTransaction({ signature: sig, ...(await connection.getLatestBlockhash()) });
  }
  const deployment = await resolveDeployment(cfg.deployment, cfg.rpcUrl);
  const client = new FulcrumClient(connection, wallet, deployment);
  if (args.flags.airdrop && deployment.localOnly && (await client.tokenBalance(client.quoteMint)) === 0n) {
    // Local chain: quote tokens to repay debt with in collateral liquidations.
    await client.faucet(client.quoteMint, 1_000_000_000_000n);
  }
  const pollMs = Number(args.strings["poll-ms"] ?? 5000);
  const subscribe = !args.flags["no-subscribe"];
  const metrics = new KeeperMetrics();
  const orders = args.flags["no-orders"] ? null : new OrderKeeper(client, { metrics, pollMs, subscribe });
  const reputationRefreshMs = Number(args.strings["reputation-ms"] ?? 600_000);
  const keeper = new Keeper(client, { metrics, pollMs, subscribe, reputationRefreshMs, hasOrderBook: (a) => orders?.hasBook(a) ?? false });
  const port = await keeper.metrics.serve(Number(args.strings["metrics-port"] ?? 9464));
  jsonLog({ level: "info", msg: "metrics", url: `http://127.0.0.1:${port}/metrics`, rpc: cfg.rpcUrl });
  await keeper.start();
  await orders?.start();
  if (args.strings["ready-file"]) writeFileSync(args.strings["ready-file"], String(port));
  const stop = async (): Promise<void> => {
    await keeper.stop();
    await orders?.stop();
    await keeper.metrics.close();
    jsonLog({ level: "info", msg: "keeper stopped", metrics: await keeper.metrics.summary() });
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

main().catch((e: unknown) => {
  jsonLog({ level: "error", msg: "keeper failed", error: String((e as Error).stack ?? e) });
  process.exit(1);
});
