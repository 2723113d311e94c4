// The scripted demo session (run by scripts/demo-ts.sh against a local chain started with
// `--bootstrap demo` and a running keeper, or a local validator bootstrapped by
// scripts/bootstrap.ts): traders open SOL positions at different leverage through the SDK, the
// SOL price crashes (fulcrum_setPrice, or mock-pyth on the validator), and the keeper liquidates
// the over-levered ones. Prints the before/after table and the keeper's metrics.
//
//   node --import tsx scripts/demo.ts --url http://127.0.0.1:8899 --metrics http://127.0.0.1:9464/metrics
//     [--deployment FILE]   (else FULCRUM_DEPLOYMENT, else the local chain's fulcrum_getBootstrap)
import { Connection, Keypair, LAMPORTS_PER_SOL } from "@solana/web3.js";
import { FulcrumClient, resolveDeployment, setLocalPrice, type AccountReport } from "../src/sdk";
import { parseArgs } from "../src/cli/args";
import { lev, stateName, table, usd } from "../src/cli/format";
import { enginePriceToNumber } from "../src/sdk/oracle";

const USDC = 1_000_000n;
const SOL = 1_000_000_000n;

interface Trader {
  name: string;
  client: FulcrumClient;
  leverage: number;
  side: "buy" | "sell";
  collateralSol?: bigint;
}

async function fundedClient(conn: Connection, base: FulcrumClient, usdc: bigint): Promise<FulcrumClient> {
  const kp = Keypair.generate();
  const sig = await conn.requestAirdrop(kp.publicKey, 5 * LAMPORTS_PER_SOL);
  await base.confirm(sig);
  const c = base.withWallet(kp);
  await c.faucet(c.quoteMint, usdc);
  return c;
}

function row(name: string, r: AccountReport | null, leverage: string): string[] {
  if (!r) return [name, leverage, "-", "-", "-", "-", "-", "closed"];
  const p = r.positions[0];
  const size = p ? `${(Number(p.base) / 1e9).toFixed(3)} SOL` : "flat";
  const liq = p?.liquidationPrice != null ? enginePriceToNumber(p.liquidationPrice, 9, 6).toFixed(2) : "-";
  return [name, leverage, size, usd(r.health.equity), usd(r.health.notional), lev(r.health.leverage), liq, stateName(r.health.state) + (r.account.inMarginCall ? " (call)" : "")];
}

async function printTable(title: string, traders: Trader[], reports: Map<string, AccountReport | null>, solPrice: number): Promise<void> {
  console.log(`\n${title} — SOL $${solPrice.toFixed(2)}`);
  console.log(
    table(
      ["trader", "target", "position", "equity", "notional", "leverage", "liq. price", "state"],
      traders.map((t) => row(t.name, reports.get(t.name) ?? null, `${t.leverage}x ${t.side === "buy" ? "long" : "short"}`)),
    ),
  );
}

async function snapshot(traders: Trader[]): Promise<Map<string, AccountReport | null>> {
  const out = new Map<string, AccountReport | null>();
  for (const t of traders) out.set(t.name, await t.client.accountReport());
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), { strings: ["url", "metrics", "deployment"], booleans: [] });
  const url = args.strings.url ?? "http://127.0.0.1:8899";
  const conn = new Connection(url, "confirmed");
  const deployment = await resolveDeployment(args.strings.deployment ?? process.env.FULCRUM_DEPLOYMENT, url);
  const priceTool = deployment.prices === "mock-pyth" ? "mock-pyth" : "fulcrum_setPrice";
  const sol = deployment.markets.find((m) => m.symbol === "SOL")!;
  const base = new FulcrumClient(conn, Keypair.generate(), deployment);
  const startPrice = 150;
  await setLocalPrice(url, "SOL", startPrice, deployment);

  const where = deployment.prices === "mock-pyth" ? "the local validator" : "the local chain";
  console.log(`Fulcrum demo on ${where}: SOL-PERP at $150 (10x max: IM 10%, MM 5%, fee 0.1%)`);
  const plan: { name: string; leverage: number; side: "buy" | "sell"; collateralSol?: bigint }[] = [
    { name: "alice", leverage: 2, side: "buy" },
    { name: "bob", leverage: 5, side: "buy" },
    { name: "carol", leverage: 9, side: "buy" },
    { name: "dave", leverage: 4, side: "sell" },
    { name: "erin (SOL collateral)", leverage: 6, side: "buy", collateralSol: 5n * SOL },
  ];
  const traders: Trader[] = [];
  for (const p of plan) {
    const client = await fundedClient(conn, base, 10_000n * USDC);
    await client.ensureMarginAccount();
    const equityUsd = 1_000;
    await client.deposit(0, BigInt(equityUsd) * USDC);
    let total = equityUsd;
    if (p.collateralSol) {
      const solBank = deployment.banks.find((b) => b.symbol === "SOL")!;
      await client.faucet(new (await import("@solana/web3.js")).PublicKey(solBank.mint), p.collateralSol);
      await client.deposit(solBank.index, p.collateralSol);
      total += (Number(p.collateralSol) / 1e9) * startPrice * 0.8; // at the initial asset weight
    }
    // Size for the target leverage on the account's equity, on the market's step.
    const size = (BigInt(Math.floor((total * p.leverage) / startPrice * 1000)) * SOL) / 1000n;
    await client.trade(sol.index, p.side, size);
    traders.push({ ...p, client });
  }
  const before = await snapshot(traders);
  await printTable("Before the crash", traders, before, startPrice);

  console.log(`\nSOL crashes: $150 → $135 → $118 (${priceTool}); the keeper watches and liquidates`);
  await setLocalPrice(url, "SOL", 135, deployment);
  await new Promise((r) => setTimeout(r, 800));
  const crashAt = Date.now();
  await setLocalPrice(url, "SOL", 118, deployment);
  // Wait until no account is below maintenance (or 10 s).
  for (;;) {
    const snap = await snapshot(traders);
    const bad = [...snap.values()].filter((r) => r && r.health.maint.equity < r.health.maint.requirement);
    if (bad.length === 0 || Date.now() - crashAt > 10_000) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const settled = Date.now() - crashAt;
  const after = await snapshot(traders);
  await printTable(`After the crash (settled in ${settled} ms)`, traders, after, 118);

  const liquidated = traders.filter((t) => {
    const b = before.get(t.name)?.positions[0]?.base ?? 0n;
    const a = after.get(t.name)?.positions[0]?.base ?? 0n;
    return a !== b;
  });
  console.log(`\nLiquidated by the keeper: ${liquidated.map((t) => t.name).join(", ") || "none"}`);
  const state = await base.loadExchange(true);
  console.log(`Pool ${usd(state.pool.balance)} USDC, insurance fund ${usd(state.pool.insuranceBalance)} USDC, bad debt socialised ${usd(state.pool.socialisedLoss)} USDC`);

  if (args.strings.metrics) {
    const text = await (await fetch(args.strings.metrics)).text();
    const lines = text.split("\n").filter((l) => l.startsWith("fulcrum_keeper_") && !l.includes("_bucket"));
    console.log("\nKeeper metrics:");
    for (const l of lines) console.log(`  ${l}`);
    const sum = Number(/fulcrum_keeper_price_to_landed_seconds_sum (\S+)/.exec(text)?.[1] ?? NaN);
    const count = Number(/fulcrum_keeper_price_to_landed_seconds_count (\S+)/.exec(text)?.[1] ?? NaN);
    if (count > 0) console.log(`\nPrice-to-landed liquidation latency: mean ${((sum / count) * 1000).toFixed(0)} ms over ${count} liquidations`);
  }
  const overLevered = ["bob", "carol"];
  const ok = overLevered.every((n) => liquidated.some((t) => t.name === n)) && !liquidated.some((t) => t.name === "alice");
  if (!ok) {
    console.error("demo: expected the keeper to liquidate bob and carol and leave alice alone");
    process.exit(1);
  }
  console.log("\ndemo: ok");
}

// Exit when done: a web3.js Connection that confirmed over its WebSocket keeps node alive.
main().then(() => process.exit(0)).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
