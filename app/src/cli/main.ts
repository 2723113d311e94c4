#!/usr/bin/env node
/**
 * fulcrum: the trader CLI.
 *
 *   fulcrum markets
 *   fulcrum account [ADDRESS] [--sub N]
 *   fulcrum deposit AMOUNT [--token USDC|SOL|BTC|ETH]
 *   fulcrum withdraw AMOUNT [--token SYMBOL]
 *   fulcrum trade MARKET buy|sell SIZE [--limit PRICE] [--reduce-only] [--sl PRICE] [--tp PRICE]
 *   fulcrum close MARKET
 *   fulcrum lp deposit|withdraw AMOUNT [--min N]   (N: least shares / quote out; default: the
 *                                               preview less 0.5%)
 *   fulcrum lp claim                            (mints shares whose cooldown has passed)
 *   fulcrum faucet AMOUNT [--token SYMBOL]      (local chain only)
 *   fulcrum order place|list|cancel …           (resting orders, executed by keepers)
 *
 * Global: --url/-u URL|moniker, --keypair/-k PATH, --config/-C PATH, --deployment FILE, --json.
 * Amounts and sizes are in whole units ("1.5"); prices in quote per whole unit.
 */
import { Connection, PublicKey } from "@solana/web3.js";
import { FulcrumClient } from "../sdk/client";
import { resolveDeployment } from "../sdk/deployment";
import { decodeError } from "../sdk/errors";
import { enginePriceFromNumber } from "../sdk/oracle";
import { ArgError, parseCli, parseUnits } from "./args";
import { loadKeypair, resolveConfig } from "./config";
import { marketsJson, marketsText, reportJson, reportText, tierJson, tierText, usd } from "./format";
import { equitySecs, tierStatus, type ReputationRecord } from "../sdk/reputation";
import { decodeMarginAccount } from "../sdk/accounts";
import { runOrder, tradeWithTriggers } from "./orders";

const HELP = `fulcrum: trade Fulcrum perpetuals from the command line

  fulcrum markets
  fulcrum account [ADDRESS] [--sub N]            (with its reputation tier and what the next one needs)
  fulcrum reputation refresh [ADDRESS] [--sub N] (the permissionless crank: earns time-weighted
                                                 equity and moves the tier; anyone may send it)
  fulcrum deposit AMOUNT [--token SYMBOL]        (default USDC; creates the margin account)
  fulcrum withdraw AMOUNT [--token SYMBOL]
  fulcrum trade MARKET buy|sell SIZE [--limit PRICE] [--reduce-only] [--sl PRICE] [--tp PRICE]
                                                 (--sl/--tp: stop-loss / take-profit on the whole
                                                 position, placed in the same transaction)
  fulcrum close MARKET
  fulcrum lp deposit|withdraw AMOUNT [--min N]  (least shares / quote out; default preview − 0.5%)
  fulcrum lp claim                               (mints LP shares whose cooldown has passed)
  fulcrum faucet AMOUNT [--token SYMBOL]         (local chain only: mints test tokens)
  fulcrum order place MARKET buy|sell SIZE|all --type market|limit|stop-loss|take-profit
                [--price P] [--limit P] [--reduce-only] [--expires SECS] [--client-id N]
                                                 (a keeper executes it; a fee in SOL is escrowed)
  fulcrum order list [ADDRESS]                   (open orders, distance to trigger)
  fulcrum order cancel ID|all [--market M]       (the fee comes back)

options: --url/-u URL|localhost|devnet  --keypair/-k PATH  --config/-C PATH  --deployment FILE  --json
RPC URL and keypair also from FULCRUM_RPC_URL / FULCRUM_KEYPAIR or the Solana CLI config.`;

const out = (json: boolean, value: unknown, text: string): void => {
  console.log(json ? JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2) : text);
};

async function run(argv: string[]): Promise<void> {
  const inv = parseCli(argv);
  const c = inv.command;
  if (c.cmd === "help") {
    console.log(HELP);
    return;
  }
  const cfg = resolveConfig({ url: inv.url, keypair: inv.keypair, config: inv.config, deployment: inv.deployment });
  const connection = new Connection(cfg.rpcUrl, "confirmed");
  const deployment = await resolveDeployment(cfg.deployment, cfg.rpcUrl);
  const wallet = loadKeypair(cfg.keypairPath);
  const client = new FulcrumClient(connection, wallet, deployment);
  const state = await client.loadExchange();
  const q = state.exchange.quoteDecimals;
  const bankDecimals = (i: number): number => state.banks.get(i)?.bank.decimals ?? q;

  switch (c.cmd) {
    case "markets": {
      const prices = await client.fetchPrices(state);
      out(inv.json, marketsJson(state, prices), marketsText(state, prices));
      return;
    }
    case "account": {
      const address = c.address ? new PublicKey(c.address) : client.marginAccountAddress(wallet.publicKey, c.sub);
      const r = await client.accountReport(address);
      if (!r) throw new Error(`no margin account at ${address.toBase58()} (deposit first)`);
      const rep = r.account.reputation && state.exchange.reputation;
      const tier = rep
        ? tierStatus(r.account.reputation!, state.exchange.reputation!, q, [...state.markets.values()].map((m) => m.market), BigInt(Math.floor(Date.now() / 1000)))
        : null;
      out(
        inv.json,
        { ...reportJson(r, q), reputation: tier && tierJson(tier) },
        tier ? `${reportText(r, q)}\n${tierText(tier, q)}` : reportText(r, q),
      );
      return;
    }
    case "reputation": {
      const address = c.address ? new PublicKey(c.address) : client.marginAccountAddress(wallet.publicKey, c.sub);
      const read = async (): Promise<ReputationRecord> => {
        const info = await connection.getAccountInfo(address, "confirmed");
        const r = info && decodeMarginAccount(info.data).reputation;
        if (!r) throw new Error(`no margin account at ${address.toBase58()} (deposit first)`);
        return r;
      };
      const before = await read();
      const sig = await client.send([await client.refreshReputationIx(address)]);
      const after = await read();
      const fields = { signature: sig, account: address.toBase58(), tierBefore: before.tier, tierAfter: after.tier, initMultiplierPpm: after.initMultiplier, equitySecs: equitySecs(after).toString() };
      out(inv.json, fields, `reputation of ${address.toBase58()}: tier ${before.tier} -> ${after.tier}: ${sig}`);
      return;
    }
    case "deposit": {
      const bank = await client.resolveBank(c.token);
      const amount = parseUnits(c.amount, bankDecimals(bank));
      await client.ensureMarginAccount();
      const sig = await client.deposit(bank, amount);
      out(inv.json, { signature: sig, bank, amount: amount.toString() }, `deposited ${c.amount} ${c.token.toUpperCase()}: ${sig}`);
      return;
    }
    case "withdraw": {
      const bank = await client.resolveBank(c.token);
      const amount = parseUnits(c.amount, bankDecimals(bank));
      const sig = await client.withdraw(bank, amount);
      out(inv.json, { signature: sig, bank, amount: amount.toString() }, `withdrew ${c.amount} ${c.token.toUpperCase()}: ${sig}`);
      return;
    }
    case "trade": {
      const market = await client.resolveMarket(c.market);
      const m = state.markets.get(market)!.market;
      const size = parseUnits(c.size, m.baseDecimals);
      const limitPrice = c.limit === undefined ? undefined : enginePriceFromNumber(Number(c.limit), m.baseDecimals, q);
      const triggers = c.sl !== undefined || c.tp !== undefined;
      const sig = triggers
        ? await tradeWithTriggers(client, state, market, c.side, size, { sl: c.sl, tp: c.tp, limitPrice })
        : await client.trade(market, c.side, size, { limitPrice, reduceOnly: c.reduceOnly });
      const attached = `${c.sl !== undefined ? ` stop-loss ${c.sl}` : ""}${c.tp !== undefined ? ` take-profit ${c.tp}` : ""}`;
      out(inv.json, { signature: sig, market, side: c.side, size: size.toString(), ...(triggers ? { stopLoss: c.sl ?? null, takeProfit: c.tp ?? null } : {}) }, `${c.side} ${c.size} ${c.market.toUpperCase()}${attached}: ${sig}`);
      return;
    }
    case "close": {
      const market = await client.resolveMarket(c.market);
      // What the close will pay, through the market's PnL cap, shown with it.
      const held = (await client.marginAccount())?.perps.find((p) => p.marketIndex === market)?.base ?? 0n;
      const abs = held < 0n ? -held : held;
      const preview = held === 0n ? null : await client.tradePreview(market, held > 0n ? "sell" : "buy", abs, { reduceOnly: true });
      const sig = await client.closePosition(market);
      const capped = preview && preview.withheld > 0n ? ` (PnL cap: paid ${usd(preview.realizedPnl, q)} of ${usd(preview.uncappedPnl, q)})` : "";
      const fields = { signature: sig, market, realizedPnl: preview?.realizedPnl.toString(), withheld: preview?.withheld.toString() };
      out(inv.json, fields, `closed ${c.market.toUpperCase()}${capped}: ${sig}`);
      return;
    }
    case "lp": {
      if (c.action === "claim") {
        const sig = await client.lpClaim();
        out(inv.json, { signature: sig, action: c.action }, `lp claim: ${sig}`);
        return;
      }
      const amount = parseUnits(c.amount, q);
      // The least out: as given, else the preview less 0.5% (the program marks against the LP
      // within the oracle's confidence; see FulcrumClient.lpValuation).
      const preview = c.action === "deposit" ? await client.previewLpDeposit(amount) : await client.previewLpWithdraw(amount);
      const min = c.min !== undefined ? parseUnits(c.min, q) : (preview * 995n) / 1000n;
      const sig = c.action === "deposit" ? await client.lpDeposit(amount, min) : await client.lpWithdraw(amount, min);
      out(inv.json, { signature: sig, action: c.action, amount: amount.toString(), minOut: min.toString(), preview: preview.toString() }, `lp ${c.action} ${c.amount} (at least ${min}): ${sig}`);
      return;
    }
    case "order": {
      const r = await runOrder(client, state, c);
      out(inv.json, r.json, r.text);
      return;
    }
    case "faucet": {
      const bank = await client.resolveBank(c.token);
      const b = state.banks.get(bank)!.bank;
      const amount = parseUnits(c.amount, b.decimals);
      const sig = await client.faucet(b.mint, amount);
      out(inv.json, { signature: sig, mint: b.mint.toBase58(), amount: amount.toString() }, `minted ${c.amount} ${c.token.toUpperCase()}: ${sig}`);
      return;
    }
  }
}

run(process.argv.slice(2)).catch((e: unknown) => {
  const d = decodeError(e);
  const msg = d ? `program error ${d.errorName} (${d.code}): ${d.message}` : e instanceof ArgError ? e.message : String((e as Error).message ?? e);
  console.error(`fulcrum: ${msg}`);
  process.exit(e instanceof ArgError ? 2 : 1);
});
