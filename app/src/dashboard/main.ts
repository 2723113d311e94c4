#!/usr/bin/env node
/**
 * fulcrum-dashboard [--url URL] [--deployment FILE] [--port N] [--host IP] [--no-subscribe]
 *                   [--poll-ms N] [--ready-file PATH]
 * Prints the page's URL; see server.ts for what it serves.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "../cli/args";
import { resolveConfig } from "../cli/config";
import { startDashboard } from "./server";

const USAGE = `fulcrum-dashboard: live risk dashboard of a Fulcrum exchange

  --url, -u URL          RPC URL or moniker (else FULCRUM_RPC_URL, Solana config, localhost)
  --deployment FILE      deployment JSON (else FULCRUM_DEPLOYMENT, else fulcrum_getBootstrap on a local chain)
  --port N               HTTP port (default 8080; 0 = any free port)
  --host IP              address to bind (default 127.0.0.1)
  --poll-ms N            polling resync period (default 5000)
  --no-subscribe         polling only (no WebSocket subscriptions to the RPC)
  --ready-file PATH      write the page's URL there once serving`;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), {
    strings: ["url", "deployment", "port", "host", "poll-ms", "config", "ready-file"],
    booleans: ["no-subscribe", "help"],
    aliases: { u: "url", h: "help" },
  });
  if (args.flags.help) {
    console.log(USAGE);
    return;
  }
  const cfg = resolveConfig({ url: args.strings.url, config: args.strings.config, deployment: args.strings.deployment });
  const d = await startDashboard(cfg.rpcUrl, cfg.deployment, {
    port: Number(args.strings.port ?? 8080),
    host: args.strings.host,
    pollMs: Number(args.strings["poll-ms"] ?? 5000),
    subscribe: !args.flags["no-subscribe"],
  });
  console.log(`dashboard: ${d.url} (chain ${cfg.rpcUrl})`);
  if (args.strings["ready-file"]) writeFileSync(args.strings["ready-file"], d.url);
  // Unsubscribing waits on the RPC's socket: a chain already gone must not hold the exit.
  const stop = (): void => {
    setTimeout(() => process.exit(0), 1_000).unref();
    void d.close().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((e: unknown) => {
  console.error(`dashboard: ${String((e as Error).stack ?? e)}`);
  process.exit(1);
});
