/**
 * Books of traders for the dashboard on a local chain, made of real transactions through the SDK:
 *
 * - `seedDemoBook`: the demo's traders (scripts/demo.ts: 2x–9x SOL longs, a short, one on SOL
 *   collateral) plus a BTC long and an ETH short, each its own wallet. Known leverage, so the
 *   browser tests know who a SOL crash liquidates. The BTC long (frank) opens with a stop-loss
 *   and a take-profit attached (`Orders.tradeWithSlTp`: reduce-only whole-position triggers).
 * - `seedSynthetic`: `n` more accounts (sub-accounts of one wallet, `create_margin_account` +
 *   `deposit` + `place_perp_trade` in one transaction each, sent `concurrency` at a time):
 *   1x–9x, long or short, on a random market, $200–$5,000 of USDC.
 *
 *   node --import tsx src/dashboard/book.ts --url URL [--deployment FILE] [--synthetic N]
 */
import { Connection, Keypair, LAMPORTS_PER_SOL, PublicKey, TransactionMessage, VersionedTransaction } from "@solana/web3.js";
import { FulcrumClient } from "../sdk/client";
import { decodeError } from "../sdk/errors";
import { resolveDeployment, setLocalPrice, type Deployment } from "../sdk/deployment";
import { enginePriceFromNumber } from "../sdk/oracle";
import { Rng } from "../keeper/synthetic";
import { parseArgs } from "../cli/args";

const USDC = 1_000_000n;

export interface BookTrader {
  name: string;
  account: PublicKey;
  market: string;
  leverage: number;
  side: "buy" | "sell";
  /** Attached triggers, dollars. */
  stopLoss?: number;
  takeProfit?: number;
}

/** Demo prices the book is sized at (set before trading). */
export const BOOK_PRICES: Record<string, number> = { SOL: 150, BTC: 65_000, ETH: 3_000 };

export const DEMO_TRADERS: { name: string; market: string; leverage: number; side: "buy" | "sell"; collateralSol?: bigint; stopLoss?: number; takeProfit?: number }[] = [
  { name: "alice", market: "SOL", leverage: 2, side: "buy" },
  { name: "bob", market: "SOL", leverage: 5, side: "buy" },
  { name: "carol", market: "SOL", leverage: 9, side: "buy" },
  { name: "dave", market: "SOL", leverage: 4, side: "sell" },
  { name: "erin", market: "SOL", leverage: 6, side: "buy", collateralSol: 5_000_000_000n },
  { name: "frank", market: "BTC", leverage: 3, side: "buy", stopLoss: 60_000, takeProfit: 72_000 },
  { name: "grace", market: "ETH", leverage: 7, side: "sell" },
];

async function fundedClient(conn: Connection, base: FulcrumClient, usdc: bigint, sol = 10): Promise<FulcrumClient> {
  const kp = Keypair.generate();
  await base.confirm(await conn.requestAirdrop(kp.publicKey, sol * LAMPORTS_PER_SOL));
  const c = base.withWallet(kp);
  await c.faucet(c.quoteMint, usdc);
  return c;
}

/** Base native units for `usd` of notional at `price` dollars, on the market's step. */
function sizeFor(usd: number, priceUsd: number, decimals: number, step: bigint): bigint {
  const raw = BigInt(Math.floor((usd / priceUsd) * 10 ** decimals));
  return (raw / step) * step;
}

export async function seedDemoBook(url: string, deployment: Deployment): Promise<BookTrader[]> {
  const conn = new Connection(url, "confirmed");
  const base = new FulcrumClient(conn, Keypair.generate(), deployment);
  for (const [sym, p] of Object.entries(BOOK_PRICES)) await setLocalPrice(url, sym, p, deployment);
  const state = await base.loadExchange(true);
  const out: BookTrader[] = [];
  for (const t of DEMO_TRADERS) {
    const c = await fundedClient(conn, base, 10_000n * USDC);
    const account = await c.ensureMarginAccount();
    await c.deposit(0, 1_000n * USDC);
    let equity = 1_000;
    if (t.collateralSol) {
      const bank = deployment.banks.find((b) => b.symbol === "SOL")!;
      await c.faucet(new PublicKey(bank.mint), t.collateralSol);
      await c.deposit(bank.index, t.collateralSol);
      equity += (Number(t.collateralSol) / 1e9) * BOOK_PRICES.SOL! * 0.8;
    }
    const mi = deployment.markets.find((m) => m.symbol === t.market)!.index;
    const m = state.markets.get(mi)!.market;
    const size = sizeFor(equity * t.leverage, BOOK_PRICES[t.market]!, m.baseDecimals, m.stepSize);
    if (t.stopLoss !== undefined || t.takeProfit !== undefined) {
      const px = (v: number | undefined): bigint | undefined => (v === undefined ? undefined : enginePriceFromNumber(v, m.baseDecimals, state.exchange.quoteDecimals));
      await c.orders.tradeWithSlTp(mi, t.side, size, { stopLoss: px(t.stopLoss), takeProfit: px(t.takeProfit) });
    } else {
      await c.trade(mi, t.side, size);
    }
    out.push({ name: t.name, account, market: t.market, leverage: t.leverage, side: t.side, stopLoss: t.stopLoss, takeProfit: t.takeProfit });
  }
  return out;
}

/** `n` synthetic accounts; returns how many landed and the time taken. */
export async function seedSynthetic(
  url: string, deployment: Deployment, n: number, opts: { seed?: bigint; concurrency?: number; log?: (m: string) => void } = {},
): Promise<{ landed: number; failed: number; ms: number; errors: Record<string, number> }> {
  const t0 = Date.now();
  const conn = new Connection(url, "confirmed");
  // Rent of each margin account (≈ 0.0063 SOL) and fees: 0.01 SOL per account.
  const c = await fundedClient(conn, new FulcrumClient(conn, Keypair.generate(), deployment), BigInt(n) * 5_000n * USDC, 10 + Math.ceil(n / 100));
  const state = await c.loadExchange(true);
  const rng = new Rng(opts.seed ?? 7n);
  const markets = deployment.markets.map((m) => ({ ...m, market: state.markets.get(m.index)!.market }));
  let next = 0;
  let landed = 0;
  let failed = 0;
  const errors: Record<string, number> = {};
  const fail = (e: unknown): void => {
    failed++;
    const key = (decodeError({ err: e }) ?? decodeError(e))?.errorName ?? String((e as Error)?.message ?? JSON.stringify(e)).slice(0, 80);
    errors[key] = (errors[key] ?? 0) + 1;
  };
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      const sub = i + 1;
      const m = markets[rng.int(0, markets.length - 1)]!;
      const depositUsd = rng.int(200, 5_000);
      const leverage = rng.int(10, 90) / 10;
      const side = rng.int(0, 1) === 1 ? "buy" : "sell";
      const size = sizeFor(depositUsd * leverage, BOOK_PRICES[m.symbol] ?? 100, m.market.baseDecimals, m.market.stepSize);
      const account = c.marginAccountAddress(c.owner, sub);
      try {
        const ixs = [
          await c.createMarginAccountIx(sub),
          await c.depositIx(0, BigInt(depositUsd) * USDC, { account }),
          ...(size > 0n ? [await c.placePerpTradeIx(m.index, side, size, { account })] : []),
        ];
        const { blockhash } = await conn.getLatestBlockhash("confirmed");
        const tx = new VersionedTransaction(new TransactionMessage({ payerKey: c.owner, recentBlockhash: blockhash, instructions: ixs }).compileToLegacyMessage());
        tx.sign([c.wallet]);
        const sig = await conn.sendRawTransaction(tx.serialize(), { skipPreflight: true });
        const err = await c.confirm(sig);
        if (err === null) landed++;
        else fail(err);
      } catch (e) {
        fail(e);
      }
      if ((landed + failed) % 1000 === 0) opts.log?.(`${landed + failed}/${n} (${failed} failed) in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 32 }, worker));
  return { landed, failed, ms: Date.now() - t0, errors };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), { strings: ["url", "deployment", "synthetic", "out"], booleans: ["no-demo"] });
  const url = args.strings.url ?? "http://127.0.0.1:8899";
  const deployment = await resolveDeployment(args.strings.deployment ?? process.env.FULCRUM_DEPLOYMENT, url);
  if (!args.flags["no-demo"]) {
    const book = await seedDemoBook(url, deployment);
    const triggers = (t: BookTrader): string => (t.stopLoss !== undefined ? ` (stop $${t.stopLoss}, take-profit $${t.takeProfit})` : "");
    console.log(`book: ${book.map((t) => `${t.name} ${t.leverage}x ${t.side === "buy" ? "long" : "short"} ${t.market}${triggers(t)}`).join(", ")}`);
  }
  const n = Number(args.strings.synthetic ?? 0);
  if (n > 0) {
    const r = await seedSynthetic(url, deployment, n, { log: (m) => console.log(`book: ${m}`) });
    console.log(`book: ${r.landed} synthetic accounts in ${(r.ms / 1000).toFixed(1)}s (${r.failed} failed${r.failed ? `: ${JSON.stringify(r.errors)}` : ""})`);
  }
}

if (require.main === module) {
  main().then(() => process.exit(0)).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
