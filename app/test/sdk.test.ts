import { test } from "node:test";
import assert from "node:assert/strict";
import { Keypair, PublicKey } from "@solana/web3.js";
import { Connection } from "@solana/web3.js";
import {
  accountSize, decodeCorrelations, decodeError, decodeMarginAccount, encodeBase58, errorCode, errorName, FulcrumClient, FulcrumError,
  marginRiskDecoder, pda, PROGRAM_ID, readPriceUpdate, structLayout, toEnginePrice, IDL, accountDiscriminator, fieldOffset,
  type Deployment, type ExchangeState,
} from "../src/sdk";
import { encodeMarginAccount, syntheticExchange } from "../src/keeper/synthetic";

test("layouts from the IDL: C layout with no implicit padding, sizes as the program asserts", () => {
  assert.equal(accountSize("MarginAccount"), 8 + 1_008); // 776 + the reputation record (issue 18 §1)
  for (const a of IDL.accounts) {
    const l = structLayout(a.name);
    let end = 0;
    for (const f of l.order) {
      assert.equal(f.offset, end, `${a.name}.${f.name} follows the previous field`);
      end = f.offset + f.size;
    }
    assert.equal(l.size % 8, 0, `${a.name} is 8-byte aligned`);
    assert.equal(end, l.size, `${a.name} has no tail padding`);
  }
});

test("PDA helpers mirror seeds.rs", () => {
  const admin = Keypair.generate().publicKey;
  const ex = pda.exchangeAddress(admin, 3);
  const [want] = PublicKey.findProgramAddressSync([Buffer.from("exchange"), admin.toBuffer(), Buffer.from([3, 0])], PROGRAM_ID);
  assert.ok(ex.equals(want));
  const owner = Keypair.generate().publicKey;
  const [m] = PublicKey.findProgramAddressSync([Buffer.from("margin"), ex.toBuffer(), owner.toBuffer(), Buffer.from([1, 0])], PROGRAM_ID);
  assert.ok(pda.marginAccountAddress(ex, owner, 1).equals(m));
  assert.ok(!pda.bankAddress(ex, 0).equals(pda.marketAddress(ex, 0)));
  const [c] = PublicKey.findProgramAddressSync([Buffer.from("correlations"), ex.toBuffer()], PROGRAM_ID);
  assert.ok(pda.correlationsAddress(ex).equals(c));
});

test("Correlations decode from the IDL layout", () => {
  assert.equal(accountSize("Correlations"), 8 + 752);
  const d = Buffer.alloc(accountSize("Correlations"));
  accountDiscriminator("Correlations").copy(d, 0);
  d.writeUInt32LE(300_000, fieldOffset("Correlations", "floor"));
  d[fieldOffset("Correlations", "num_assets")] = 2;
  const m = fieldOffset("Correlations", "matrix");
  d.writeInt32LE(1_000_000, m);
  d.writeInt32LE(-250_000, m + 4);
  d.writeInt32LE(-250_000, m + 12 * 4);
  d.writeInt32LE(1_000_000, m + 13 * 4);
  d.fill(255, fieldOffset("Correlations", "bank_assets"), fieldOffset("Correlations", "bank_assets") + 32);
  d[fieldOffset("Correlations", "market_assets") + 1] = 1;
  const c = decodeCorrelations(d);
  assert.equal(c.floor, 300_000);
  assert.deepEqual(c.matrix[0]!.slice(0, 2), [1_000_000, -250_000]);
  assert.deepEqual(c.matrix[1]!.slice(0, 2), [-250_000, 1_000_000]);
  assert.equal(c.bankAssets[3], 255);
  assert.equal(c.marketAssets[1], 1);
});

test("errors decode to the IDL's names from every shape an RPC gives", () => {
  const code = errorCode("TradeExceedsInitialMargin");
  assert.equal(errorName(code), "TradeExceedsInitialMargin");
  const fromStatus = decodeError({ err: { InstructionError: [1, { Custom: code }] } });
  assert.ok(fromStatus instanceof FulcrumError);
  assert.equal(fromStatus.errorName, "TradeExceedsInitialMargin");
  assert.equal(fromStatus.instructionIndex, 1);
  const fromMessage = decodeError(new Error(`Transaction simulation failed: Error processing Instruction 0: custom program error: 0x${code.toString(16)}`));
  assert.equal(fromMessage?.errorName, "TradeExceedsInitialMargin");
  assert.equal(decodeError({ err: { InstructionError: [0, { Custom: 3012 }] } })?.errorName, "AccountNotInitialized");
  assert.equal(decodeError(new Error("network down")), null);
  assert.equal(decodeError({ err: { InstructionError: [0, "InvalidAccountData"] } }), null);
});

test("base58 of memcmp bytes", () => {
  const k = Keypair.generate().publicKey;
  assert.equal(encodeBase58(k.toBytes()), k.toBase58());
  assert.equal(encodeBase58(new Uint8Array([0, 0, 1])), "112");
});

test("PriceUpdateV2 decoding and engine prices", () => {
  const d = Buffer.alloc(134);
  d[40] = 1; // Full
  const feed = Buffer.alloc(32, 7);
  feed.copy(d, 41);
  d.writeBigInt64LE(15_000_000_000n, 73); // $150 at 1e-8
  d.writeBigUInt64LE(7_500_000n, 81);
  d.writeInt32LE(-8, 89);
  d.writeBigInt64LE(1_750_000_000n, 93);
  d.writeBigInt64LE(14_900_000_000n, 109);
  const r = readPriceUpdate(d, feed);
  assert.equal(r.price, 15_000_000_000n);
  assert.equal(r.publishTime, 1_750_000_000n);
  // SOL (9 decimals) in USDC (6): $150 = 150_000_000_000 engine units.
  assert.deepEqual(toEnginePrice(r, 9, 6), { oracle: 150_000_000_000n, ema: 149_000_000_000n });
  assert.throws(() => readPriceUpdate(d, Buffer.alloc(32, 8)), /feed id/);
});

test("margin account decoders agree (full and keeper fast path)", () => {
  const view = {
    quoteBalance: -12_345n,
    marginCallSlot: 99n,
    inMarginCall: true,
    marginMode: 1,
    collateral: [{ bankIndex: 2, amount: 5n }],
    perps: [
      { marketIndex: 0, position: { base: 10n, quoteEntry: -100n, fundingSnapshot: -(1n << 70n) }, isolated: false, isolatedCollateral: 0n },
      { marketIndex: 3, position: { base: -7n, quoteEntry: 70n, fundingSnapshot: 5n }, isolated: true, isolatedCollateral: 1_234n },
    ],
  };
  const data = encodeMarginAccount(view);
  assert.deepEqual(marginRiskDecoder()(data), view);
  const full = decodeMarginAccount(data);
  assert.equal(full.quoteBalance, -12_345n);
  assert.equal(full.marginMode, 1);
  assert.equal(full.perps.length, 2);
  assert.equal(full.perps[1]!.marketIndex, 3);
  assert.equal(full.perps[1]!.isolated, 1);
  assert.equal(full.perps[1]!.isolatedCollateral, 1_234n);
  assert.equal(full.collateral[0]!.amount, 5n);
});

test("health accounts follow the account after the change", () => {
  const acct = decodeMarginAccount(
    encodeMarginAccount({
      quoteBalance: 0n, marginCallSlot: 0n, inMarginCall: false,
      collateral: [{ bankIndex: 1, amount: 10n }],
      perps: [{ marketIndex: 2, position: { base: 5n, quoteEntry: -5n, fundingSnapshot: 0n } }],
    }),
  );
  const cross = { portfolio: false };
  assert.deepEqual(FulcrumClient.slotsAfterTrade(acct, 0, 3n), { collateral: [1], perps: [2, 0], ...cross });
  assert.deepEqual(FulcrumClient.slotsAfterTrade(acct, 2, -5n), { collateral: [1], perps: [], ...cross });
  assert.deepEqual(FulcrumClient.slotsAfterWithdraw(acct, 1, 10n), { collateral: [], perps: [2], ...cross });
  assert.deepEqual(FulcrumClient.slotsAfterWithdraw(acct, 0, 10n), { collateral: [1], perps: [2], ...cross });
  // Isolated collateral: in opens the slot, all of it back out of a flat slot frees it, and a
  // closed isolated position keeps its slot while collateral is left in it.
  assert.deepEqual(FulcrumClient.slotsAfterIsolatedTransfer(acct, 1, 100n).perps, [2, 1]);
  const iso = decodeMarginAccount(
    encodeMarginAccount({
      quoteBalance: 0n, marginCallSlot: 0n, inMarginCall: false, collateral: [],
      perps: [{ marketIndex: 1, position: { base: 0n, quoteEntry: 0n, fundingSnapshot: 0n }, isolated: true, isolatedCollateral: 40n },
        { marketIndex: 2, position: { base: 5n, quoteEntry: -5n, fundingSnapshot: 0n }, isolated: true, isolatedCollateral: 40n }],
    }),
  );
  assert.deepEqual(FulcrumClient.slotsAfterIsolatedTransfer(iso, 1, -40n).perps, [2]);
  assert.deepEqual(FulcrumClient.slotsAfterIsolatedTransfer(iso, 1, -10n).perps, [1, 2]);
  assert.deepEqual(FulcrumClient.slotsAfterTrade(iso, 2, -5n).perps, [1, 2]);
});

/** A client on a synthetic exchange (no RPC is contacted). */
function offlineClient(): { client: FulcrumClient; state: ExchangeState } {
  const { state } = syntheticExchange();
  const exchange = Keypair.generate().publicKey;
  const deployment = { cluster: "test", programId: PROGRAM_ID.toBase58(), exchange: exchange.toBase58(), admin: exchange.toBase58(), quoteMint: exchange.toBase58(), quoteDecimals: 6, pool: "", lpMint: "", banks: [], markets: [] } as unknown as Deployment;
  const client = new FulcrumClient(new Connection("http://127.0.0.1:1"), Keypair.generate(), deployment);
  state.address = exchange;
  state.correlationsAddress = pda.correlationsAddress(exchange);
  state.banks.get(0)!.bank.vault = Keypair.generate().publicKey;
  state.banks.get(0)!.bank.mint = Keypair.generate().publicKey;
  (client as unknown as { state: ExchangeState }).state = state;
  return { client, state };
}

test("a portfolio account's health accounts end with the exchange's correlations then the pool; a cross account's have no correlations", async () => {
  const { client, state } = offlineClient();
  const corr = pda.correlationsAddress(client.exchange);
  const view = (marginMode: number) => marginRiskDecoder()(encodeMarginAccount({
    quoteBalance: 0n, marginCallSlot: 0n, inMarginCall: false, marginMode,
    collateral: [{ bankIndex: 1, amount: 10n }],
    perps: [{ marketIndex: 0, position: { base: 5n, quoteEntry: -5n, fundingSnapshot: 0n } }, { marketIndex: 2, position: { base: 1n, quoteEntry: -1n, fundingSnapshot: 0n }, isolated: true, isolatedCollateral: 3n }],
  }));
  const portfolio = client.healthMetas(FulcrumClient.slotsOf(view(1)), state);
  assert.equal(portfolio.length, 8, "bank + oracle, two markets + oracles, correlations, pool");
  assert.ok(portfolio[6]!.pubkey.equals(corr));
  assert.ok(portfolio[7]!.pubkey.equals(state.poolAddress), "an account with positions ends with the pool (its PnL cap)");
  assert.ok(portfolio[4]!.pubkey.equals(state.markets.get(2)!.address), "isolated positions are in the list in slot order");
  const cross = client.healthMetas(FulcrumClient.slotsOf(view(0)), state);
  assert.equal(cross.length, 7);
  assert.ok(!cross.some((m) => m.pubkey.equals(corr)));
  // A keeper's liquidation of a portfolio account carries it too.
  const ix = await client.liquidatePerpIx(Keypair.generate().publicKey, 0, view(1));
  assert.ok(ix.keys[ix.keys.length - 2]!.pubkey.equals(corr));
});

test("marketCapacity: borrow rate, reserve and insurance-aware caps as the program computes them", async () => {
  const { marketCapacity } = await import("../src/sdk/index.js");
  const m = {
    longBase: 100_000_000_000n, shortBase: 40_000_000_000n, maintMarginRatio: 50_000, effectiveMaintRatio: 0,
    reserveFactor: 500_000, borrowBaseRate: 10, borrowSlope1: 1_000, borrowKink: 800_000, borrowSlope2: 50_000,
    oiShock: 400_000, oiPoolFraction: 100_000, borrowRate: 260n,
  } as unknown as Parameters<typeof marketCapacity>[0];
  const pool = { balance: 100_020_000_000n, insuranceBalance: 1_000_000_000n } as unknown as Parameters<typeof marketCapacity>[1];
  const c = marketCapacity(m, pool, 100_000_000_000n); // SOL at $100
  assert.equal(c.longNotional, 10_000_000_000n);
  assert.equal(c.utilisation, 199_961n); // $10k of a 50% × $100,020 reserve, rounded up
  assert.equal(c.borrowRateNow, 260n);
  assert.equal(c.borrowRate, 260n);
  assert.equal(c.reserveCap, 50_010_000_000n);
  assert.equal(c.insuranceOiCap, 31_434_285_714n); // ($1,000 + 10% × $100,020) / 35%
});
