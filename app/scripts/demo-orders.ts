// The orders demo (issue 16; run by scripts/demo-ts.sh after the liquidation demo, with the
// keeper running): a trader opens a SOL long with a stop-loss and a take-profit in one
// transaction, the price rises through the take-profit, and the keeper executes it. Prints the
// open orders (distance to trigger) before, the account after, and the keeper's order metrics.
//
//   node --import tsx scripts/demo-orders.ts --url http://127.0.0.1:8899 --metrics http://127.0.0.1:9464/metrics
//     [--deployment FILE]
import { Connection, Keypair, LAMPORTS_PER_SOL } from "@solana/web3.js";
import { FulcrumClient, enginePriceFromNumber, resolveDeployment, setLocalPrice } from "../src/sdk";
import { parseArgs } from "../src/cli/args";
import { usd } from "../src/cli/format";
import { openOrdersText } from "../src/cli/orders";

const USDC = 1_000_000n;
const SOL = 1_000_000_000n;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), { strings: ["url", "metrics", "deployment"], booleans: [] });
  const url = args.strings.url ?? "http://127.0.0.1:8899";
  const conn = new Connection(url, "confirmed");
  const deployment = await resolveDeployment(args.strings.deployment ?? process.env.FULCRUM_DEPLOYMENT, url);
  const sol = deployment.markets.find((m) => m.symbol === "SOL")!;
  const kp = Keypair.generate();
  const frank = new FulcrumClient(conn, kp, deployment);
  await frank.confirm(await conn.requestAirdrop(kp.publicKey, 5 * LAMPORTS_PER_SOL));
  await frank.faucet(frank.quoteMint, 5_000n * USDC);
  await frank.ensureMarginAccount();
  await frank.deposit(0, 1_000n * USDC);
  await setLocalPrice(url, "SOL", 150, deployment);
  const q = (await frank.loadExchange()).exchange.quoteDecimals;
  const px = (n: number): bigint => enginePriceFromNumber(n, 9, q);

  console.log("\nOrders: frank opens 10 SOL long at $150 with a stop-loss at $140 and a take-profit at $160, in one transaction");
  const sig = await frank.orders.tradeWithSlTp(sol.index, "buy", 10n * SOL, { stopLoss: px(140), takeProfit: px(160) });
  console.log(`  ${sig}`);
  console.log(openOrdersText(await frank.orders.openOrders(), q).replace(/^/gm, "  "));

  // A price published after the orders were placed (the chain clock's next second).
  await sleep(1_050 - (Date.now() % 1_000));
  console.log("\nSOL rises to $161: through the take-profit; the keeper executes it");
  const at = Date.now();
  await setLocalPrice(url, "SOL", 161, deployment);
  let base = 10n * SOL;
  while (Date.now() - at < 10_000) {
    base = (await frank.marginAccount())?.perps.find((p) => p.marketIndex === sol.index)?.base ?? 0n;
    if (base === 0n) break;
    await sleep(50);
  }
  const took = Date.now() - at;
  const report = await frank.accountReport();
  console.log(`  position ${base === 0n ? "closed" : "still open"} ${took} ms after the price; frank's quote balance ${usd(report!.account.quoteBalance, q)} USDC`);
  console.log("  orders left:");
  console.log(openOrdersText(await frank.orders.openOrders(), q).replace(/^/gm, "    "));
  // The stop is reduce-only on a position that no longer exists: frank cancels it (fee back).
  await frank.orders.cancelAll();
  console.log("  frank cancels the stop-loss: its fee comes back");
  await setLocalPrice(url, "SOL", 150, deployment);

  if (args.strings.metrics) {
    const text = await (await fetch(args.strings.metrics)).text();
    const lines = text.split("\n").filter((l) => /^fulcrum_keeper_order/.test(l) && !l.includes("_bucket"));
    console.log("\nKeeper order metrics:");
    for (const l of lines) console.log(`  ${l}`);
  }
  if (base !== 0n) {
    console.error("demo: expected the keeper to execute the take-profit");
    process.exit(1);
  }
  console.log("\norders demo: ok");
}

main().then(() => process.exit(0)).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
