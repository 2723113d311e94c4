import { test } from "node:test";
import assert from "node:assert/strict";
import { Connection, Keypair } from "@solana/web3.js";
import { decodeMarginAccount, marginRiskDecoder } from "../src/sdk/accounts";
import { FulcrumClient } from "../src/sdk/client";
import { PROGRAM_ID } from "../src/sdk/pda";
import type { Deployment } from "../src/sdk/deployment";
import * as report from "../src/sdk/report";
import * as slots from "../src/sdk/slots";
import * as risk from "../src/risk";
import { encodeMarginAccount, syntheticExchange } from "../src/keeper/synthetic";

const account = {
  quoteBalance: 500_000_000n, marginCallSlot: 0n, inMarginCall: false, marginMode: 0,
  collateral: [{ bankIndex: 1, amount: 2_000_000_000n }],
  perps: [
    { marketIndex: 0, position: { base: 50_000_000_000n, quoteEntry: -520_000_000n, fundingSnapshot: 0n } },
    { marketIndex: 1, position: { base: -3_000_000_000n, quoteEntry: 290_000_000n, fundingSnapshot: 0n }, isolated: true, isolatedCollateral: 40_000_000n },
  ],
};

test("account reports come from the pure module, without a client; the client's static methods delegate to it", () => {
  const { state, prices } = syntheticExchange();
  const mint = Keypair.generate().publicKey;
  state.banks.get(1)!.bank.mint = mint;
  state.markets.get(0)!.market.takerFee = 500;
  const address = Keypair.generate().publicKey;
  const acct = decodeMarginAccount(encodeMarginAccount(account));
  const r = report.accountReport(address, acct, state, prices, new Map([[mint.toBase58(), "SOL"]]));
  assert.equal(r.collateral[0]!.symbol, "SOL");
  assert.equal(report.accountReport(address, acct, state, prices).collateral[0]!.symbol, "bank 1", "no symbols: the bank's index");
  // The backed part: quote + collateral + the market-0 long; the isolated short alone.
  const ctx = report.riskContext(state, prices);
  const parts = report.marginParts(acct, ctx);
  assert.deepEqual(parts.mainMarkets, [0]);
  assert.equal(parts.isolated.length, 1);
  assert.deepEqual(r.health, risk.accountHealth(parts.main));
  assert.equal(r.positions[0]!.liquidationPrice, risk.liquidationPrice(parts.main, 0));
  assert.equal(r.positions[1]!.liquidationPrice, risk.liquidationPrice(parts.isolated[0]!.account, 0));
  assert.deepEqual(r.positions[1]!.isolatedHealth, risk.accountHealth(parts.isolated[0]!.account));
  // Delegates: the same numbers.
  assert.deepEqual(FulcrumClient.report(address, acct, state, prices, new Map([[mint.toBase58(), "SOL"]])), r);
  assert.deepEqual(FulcrumClient.riskContext(state, prices), ctx);
  assert.deepEqual(FulcrumClient.marginParts(acct, ctx), parts);
  const view = marginRiskDecoder()(encodeMarginAccount(account));
  assert.deepEqual(report.riskAccount(view, state, prices), parts.main, "the keeper's fast view gives the same engine input");
  assert.deepEqual(FulcrumClient.slotsOf(acct), slots.slotsOf(acct));
  assert.deepEqual(FulcrumClient.slotsAfterTrade(acct, 2, 1n), slots.slotsAfterTrade(acct, 2, 1n));
  assert.deepEqual(FulcrumClient.previewFill(acct, state, prices, 0, -1_000_000_000n), report.previewFill(acct, state, prices, 0, -1_000_000_000n));
});

test("bank symbols belong to each client's deployment (no shared mutable static)", () => {
  const client = (symbol: string, mint: string): FulcrumClient => {
    const ex = Keypair.generate().publicKey.toBase58();
    const deployment = { programId: PROGRAM_ID.toBase58(), exchange: ex, quoteMint: ex, banks: [{ index: 1, symbol, mint }], markets: [] } as unknown as Deployment;
    return new FulcrumClient(new Connection("http://127.0.0.1:1"), Keypair.generate(), deployment);
  };
  const mint = Keypair.generate().publicKey.toBase58();
  const a = client("SOL", mint);
  const b = client("WSOL", mint);
  assert.equal(a.bankSymbols.get(mint), "SOL");
  assert.equal(b.bankSymbols.get(mint), "WSOL");
  assert.equal((FulcrumClient as unknown as Record<string, unknown>).bankSymbols, undefined);
});
