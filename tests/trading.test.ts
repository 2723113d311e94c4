// The trading flow through the SDK against a running chain; web3.js Connection and Anchor's
// Provider used unmodified.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AnchorProvider, Program, PublicKey, Wallet } from "../app/src/sdk/vendor";
import { FulcrumClient, IDL, risk, type Fulcrum } from "../app/src/sdk";
import { connection, getDeployment, marketIndex, RPC_URL, SOL, trader, USDC } from "./helpers";

test("web3.js Connection and Anchor's Provider/Program work against the chain", async () => {
  const conn = connection();
  const version = await conn.getVersion();
  assert.ok(version["solana-core"]);
  assert.ok((await conn.getSlot()) > 0);
  assert.ok((await conn.getLatestBlockhash()).blockhash.length > 30);
  const d = await getDeployment();
  const t = await trader(0n, { marginAccount: false });
  const provider = new AnchorProvider(conn, new Wallet(t.wallet), { commitment: "confirmed" });
  const program = new Program<Fulcrum>({ ...(IDL as unknown as Fulcrum), address: d.programId }, provider);
  // Anchor builds, signs, sends and confirms (WebSocket signatureSubscribe) on its own.
  const sig = await program.methods
    .createMarginAccount(7)
    .accountsPartial({ owner: t.owner, exchange: t.exchange, marginAccount: t.marginAccountAddress(t.owner, 7) })
    .rpc();
  assert.ok(sig.length > 60);
  // Anchor decodes the zero-copy account from the IDL.
  const acct = await program.account.marginAccount.fetch(t.marginAccountAddress(t.owner, 7));
  assert.ok(acct.owner.equals(t.owner));
  assert.equal(acct.subAccountId, 7);
  const all = await program.account.marginAccount.all([{ memcmp: { offset: 8 + 32, bytes: t.owner.toBase58() } }]);
  assert.equal(all.length, 1);
  void RPC_URL;
});

test("deposit, open, add, reduce, close, withdraw; events and health through the SDK", async () => {
  const t = await trader(5_000n * USDC);
  const sol = await marketIndex("SOL");
  await t.deposit(0, 2_000n * USDC);
  let r = (await t.accountReport())!;
  assert.equal(r.account.quoteBalance, 2_000n * USDC);
  assert.equal(r.health.state, risk.HealthState.Healthy);

  const buy = await t.trade(sol, "buy", 100n * SOL);
  const events = await t.events(buy);
  const trade = events.find((e) => e.name === "tradeEvent");
  assert.ok(trade, `TradeEvent parsed by Anchor's EventParser: ${JSON.stringify(events.map((e) => e.name))}`);
  assert.equal(trade.data.baseAfter!.toString(), (100n * SOL).toString());

  r = (await t.accountReport())!;
  assert.equal(r.positions.length, 1);
  assert.equal(r.positions[0]!.base, 100n * SOL);
  const state = await t.loadExchange(true);
  const prices = await t.fetchPrices(state);
  // The report is the risk mirror on the on-chain state.
  const again = risk.accountHealth(FulcrumClient.riskAccount(r.account, state, prices));
  assert.deepEqual(again, r.health);
  assert.ok(r.health.leverage! > 0n);
  const liq = r.positions[0]!.liquidationPrice;
  assert.ok(liq !== null && liq > 0n && liq < r.positions[0]!.markPrice, `liquidation price ${liq} below mark`);

  await t.trade(sol, "buy", 5n * SOL);
  await t.trade(sol, "sell", 3n * SOL);
  r = (await t.accountReport())!;
  assert.equal(r.positions[0]!.base, 102n * SOL);
  await t.closePosition(sol);
  r = (await t.accountReport())!;
  assert.equal(r.positions.length, 0);
  const before = await t.tokenBalance(t.quoteMint);
  await t.withdraw(0, 100n * USDC);
  assert.equal(await t.tokenBalance(t.quoteMint), before + 100n * USDC);
});

test("collateral deposits count toward margin; LP deposit and withdraw", async () => {
  const t = await trader(5_000n * USDC);
  const d = await getDeployment();
  const solBank = d.banks.find((b) => b.symbol === "SOL")!;
  await t.faucet(new PublicKey(solBank.mint), 2n * SOL);
  await t.deposit(solBank.index, 2n * SOL);
  const r = (await t.accountReport())!;
  assert.equal(r.collateral.length, 1);
  assert.equal(r.collateral[0]!.symbol, "SOL");
  assert.ok(r.health.init.equity > 0n, "collateral at its initial weight");
  // Trade on collateral alone, then withdraw part of it (health accounts after the change).
  await t.trade(await marketIndex("ETH"), "buy", 0n + 10_000_000n);
  await t.withdraw(solBank.index, SOL / 2n);
  await t.lpDeposit(1_000n * USDC);
  const shares = await t.tokenBalance(t.lpMint);
  assert.ok(shares > 0n);
  await t.lpWithdraw(shares / 2n);
  assert.equal(await t.tokenBalance(t.lpMint), shares - shares / 2n);
});

test("v0 transactions with an address lookup table", async () => {
  const t = await trader(5_000n * USDC);
  await t.deposit(0, 1_000n * USDC);
  const table = await t.createLookupTable();
  assert.ok(table.state.addresses.length >= 10);
  const ix = await t.placePerpTradeIx(await marketIndex("BTC"), "sell", 10_000n);
  const sig = await t.send([ix], [], { lookupTables: [table] });
  const tx = await t.connection.getTransaction(sig, { maxSupportedTransactionVersion: 0, commitment: "confirmed" });
  assert.equal(tx?.version, 0);
  assert.ok((tx?.meta?.loadedAddresses?.readonly.length ?? 0) + (tx?.meta?.loadedAddresses?.writable.length ?? 0) > 0);
  assert.equal((await t.accountReport())!.positions[0]!.base, -10_000n);
});
