// Rate-priced (yield-bearing) collateral in the risk mirror and the SDK (issue 18 part 2): the
// worked examples of crates/risk/src/rate.rs, the mainnet Jito pool dump, and the bank decoder.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PublicKey } from "@solana/web3.js";
import * as risk from "../src/risk";
import { bankPrice, decodeBankRate, type CollateralBank } from "../src/sdk/accounts";
import { DEPEG_LEEWAY_SECS, depegRefreshIxs, isRatePriced, refreshBankRateIx, setBankRateSourceIx } from "../src/sdk/rate";
import { reportJson, reportText } from "../src/cli/format";

const R = risk.RATE_ONE;

test("observed rate, rise cap and falls as the engine's", () => {
  assert.equal(risk.observedRate(107_255n, 100_000n, 9, 9), 1_072_550_000_000n);
  assert.equal(risk.observedRate(1_000_000n, 1_000_000_000n, 6, 9), R);
  assert.throws(() => risk.observedRate(5n, 0n, 9, 9), /DivideByZero/);
  assert.equal(risk.guardedRate(R, 10n, R / 2n, 10n, 1_000n), R / 2n);
  assert.equal(risk.guardedRate(R, 10n, 2n * R, 10n, 1_000n), R);
  assert.equal(risk.guardedRate(R, 10n, 2n * R, 11n, 1_000n), R + R / 1_000n);
  assert.equal(risk.guardedRate(R, 10n, 2n * R, 13n, 1_000n), R + (3n * R) / 1_000n);
  assert.equal(risk.guardedRate(R, 10n, 2n * R, 9n, 1_000n), R);
  assert.equal(risk.guardedRate(0n, 0n, 3n * R, 5n, 1_000n), 3n * R);
});

test("product and depeg as the engine's, rounded down", () => {
  const sol = { oracle: 100_000_000n, ema: 90_000_000n };
  const rate = 1_100_000_000_000n;
  assert.deepEqual(risk.ratePrice(sol, rate, risk.FACTOR_ONE), { oracle: 110_000_000n, ema: 99_000_000n });
  assert.equal(risk.depegFactor(104_500_000n, sol.oracle, rate), 950_000n);
  assert.equal(risk.ratePrice(sol, rate, 950_000n).oracle, 104_500_000n);
  assert.equal(risk.depegFactor(200_000_000n, sol.oracle, rate), risk.FACTOR_ONE);
  assert.deepEqual(risk.lstPrice(sol, rate, risk.flatPrice(104_500_000n)), { oracle: 104_500_000n, ema: 99_000_000n });
  assert.equal(risk.ratePrice(risk.flatPrice(7n), R / 3n + 1n, risk.FACTOR_ONE).oracle, 2n);
});

test("the mainnet Jito pool's rate to the unit", () => {
  const d = readFileSync(join(__dirname, "..", "..", "programs", "fulcrum", "tests", "fixtures", "stake_pool", "Jito4APyf642JPZPx3hGc6WWJ8zPKtRbRs4P815Awbb.bin"));
  assert.equal(new PublicKey(d.subarray(162, 194)).toBase58(), "J1toso1uCk3RLmjorhTtrVwY9HJ7X8V9yYac6Y7kGCPn");
  const [lamports, supply, epoch] = [d.readBigUInt64LE(258), d.readBigUInt64LE(266), d.readBigUInt64LE(274)];
  assert.deepEqual([lamports, supply, epoch], [6_639_028_734_407_647n, 6_189_948_258_688_516n, 537n]);
  assert.equal(risk.observedRate(lamports, supply, 9, 9), 1_072_549_956_308n);
});

test("a bank's rate fields decode at their offsets and price it as the program", () => {
  const d = Buffer.alloc(8 + 336); // s6-depeg: 336 with `depeg_measured_at`
  const source = PublicKey.unique();
  source.toBuffer().copy(d, 216);
  d.writeBigUInt64LE(1_072_549_956_308n, 312);
  d.writeUInt32LE(537, 320);
  d.writeUInt32LE(1_000, 324);
  d.writeUInt32LE(950_000, 328);
  d.writeUInt8(1, 332);
  d.writeBigInt64LE(1_764_000_000n, 336);
  // An account from before the field (328 bytes): never measured.
  assert.equal(decodeBankRate(d.subarray(0, 8 + 328)).depegMeasuredAt, 0n);
  const rate = decodeBankRate(d);
  assert.equal(rate.depegMeasuredAt, 1_764_000_000n);
  assert.equal(rate.rateSource.toBase58(), source.toBase58());
  assert.deepEqual([rate.acceptedRate, rate.rateEpoch, rate.maxRisePpm, rate.depegPpm, rate.rateKind], [1_072_549_956_308n, 537, 1_000, 950_000, 1]);
  const sol = risk.flatPrice(100_000_000_000n); // $100 per SOL, 9 decimals, 6-decimal quote
  // 10¹¹ × 1.072549956308 = 107,254,995,630 (the program test's figure), × 0.95 = 101,892,245,849.
  assert.equal(bankPrice({ rate: { ...rate, depegPpm: 1_000_000 } } as CollateralBank, sol).oracle, 107_254_995_630n);
  assert.equal(bankPrice({ rate } as CollateralBank, sol).oracle, 101_892_245_849n);
  assert.deepEqual(bankPrice({ rate: { ...rate, rateKind: 0 } } as CollateralBank, sol), sol);
});

test("refresh_bank_rate is built with Anchor's discriminator and the bank's accounts", () => {
  const programId = PublicKey.unique();
  const [exchange, bankAddress, oracle, source, direct] = [PublicKey.unique(), PublicKey.unique(), PublicKey.unique(), PublicKey.unique(), PublicKey.unique()];
  const rate = { rateSource: source, directOracle: direct, acceptedRate: R, rateEpoch: 1, maxRisePpm: 1_000, depegPpm: 1_000_000, rateKind: 1, directOracleKind: 0 };
  const bank = { index: 1, oracle, rate } as unknown as CollateralBank;
  const ix = refreshBankRateIx(programId, exchange, bankAddress, bank);
  assert.deepEqual([...ix.data], [224, 106, 171, 90, 127, 10, 93, 220]);
  assert.deepEqual(ix.keys.map((k) => k.pubkey.toBase58()), [exchange, bankAddress, oracle, source, programId].map((k) => k.toBase58()));
  assert.deepEqual(ix.keys.map((k) => k.isWritable), [false, true, false, false, false]);
  const withDirect = refreshBankRateIx(programId, exchange, bankAddress, { ...bank, rate: { ...rate, directOracleKind: 2 } } as CollateralBank);
  assert.equal(withDirect.keys[4]!.pubkey.toBase58(), direct.toBase58());
  assert.equal(isRatePriced(bank), true);
  assert.throws(() => refreshBankRateIx(programId, exchange, bankAddress, { ...bank, rate: { ...rate, rateKind: 0 } } as CollateralBank));
});

test("the CLI shows an LST's rate and depeg beside its amount", () => {
  const h = { equity: 0n, notional: 0n, leverage: null, state: 0, init: { equity: 0n, requirement: 0n }, maint: { equity: 0n, requirement: 0n } };
  const account = { owner: PublicKey.default, quoteBalance: 0n, inMarginCall: 0, feesPaid: 0n };
  const base = { address: PublicKey.default, account, marginMode: 0, health: h, freeCollateral: 0n, positions: [] };
  const collateral = [
    { bankIndex: 1, symbol: "SOL", amount: 2_000_000_000n, decimals: 9 },
    { bankIndex: 2, symbol: "JITOSOL", amount: 10_000_000_000n, decimals: 9, rate: 1_072_549_956_308n, depegPpm: 950_000 },
  ];
  const r = { ...base, collateral } as unknown as Parameters<typeof reportText>[0];
  const text = reportText(r);
  assert.match(text, /JITOSOL\s+10\s+1\.072549 × 0\.95 depeg/);
  assert.match(text, /SOL\s+2\s+-/);
  const json = reportJson(r) as { collateral: Record<string, unknown>[] };
  assert.deepEqual(json.collateral[1], { bankIndex: 2, symbol: "JITOSOL", amount: "10000000000", decimals: 9, rate: "1072549956308", depegPpm: 950_000 });
  assert.equal("rate" in json.collateral[0]!, false);
  // No rate-priced collateral: the table is as it was (two columns).
  const plain = reportText({ ...base, collateral: [collateral[0]] } as unknown as Parameters<typeof reportText>[0]);
  assert.doesNotMatch(plain, /rate/);
});

test("set_bank_rate_source is built as the program decodes it (the same bytes as the Rust test)", () => {
  const [programId, exchange, admin, bankAddress, oracle, source, direct] = [PublicKey.unique(), PublicKey.unique(), PublicKey.unique(), PublicKey.unique(), PublicKey.unique(), PublicKey.unique(), PublicKey.unique()];
  const params = { rateKind: 1, maxRisePpm: 1_000, directOracleKind: 2, directFeedId: new Uint8Array(32).fill(7) };
  const ix = setBankRateSourceIx(programId, exchange, admin, bankAddress, oracle, source, params, direct);
  // programs/fulcrum/tests/program/yield_collateral.rs `set_bank_rate_source_data_is_what_the_sdk_builds`.
  assert.deepEqual([...ix.data], [162, 178, 57, 149, 211, 178, 212, 48, 1, 232, 3, 0, 0, 2, ...new Array(32).fill(7)]);
  assert.deepEqual(ix.keys.map((k) => k.pubkey.toBase58()), [admin, exchange, bankAddress, oracle, source, direct].map((k) => k.toBase58()));
  assert.deepEqual(ix.keys.map((k) => [k.isSigner, k.isWritable]), [[true, false], [false, false], [false, true], [false, false], [false, false], [false, false]]);
  const none = setBankRateSourceIx(programId, exchange, admin, bankAddress, oracle, source, { ...params, directOracleKind: 0 });
  assert.equal(none.keys[5]!.pubkey.toBase58(), programId.toBase58());
});

test("s6-depeg: depeg_fresh as the engine's; the refreshes a risk-increasing transaction prepends", () => {
  assert.equal(risk.depegFresh(1_000n, 1_060n, 60), true);
  assert.equal(risk.depegFresh(1_000n, 1_061n, 60), false);
  assert.equal(risk.depegFresh(1_000n, 900n, 0), true);
  assert.equal(risk.depegFresh(0n, 1_700_000_000n, 3_600), false);
  const programId = new PublicKey("F1cRUMvnSf2LBfqL3F2dzHuRcvJ2aH1bi6Ajkr8Z8Vbv");
  const exchange = PublicKey.unique();
  const rate = {
    rateSource: PublicKey.unique(), directOracle: PublicKey.unique(), acceptedRate: R, rateEpoch: 700, maxRisePpm: 1_000,
    depegPpm: 1_000_000, rateKind: 1, directOracleKind: 2, depegMeasuredAt: 10_000n,
  };
  const bank = (index: number, r: typeof rate | undefined) => ({ address: PublicKey.unique(), bank: { index, oracle: PublicKey.unique(), maxOracleAge: 60, rate: r } as unknown as CollateralBank });
  const banks = new Map([
    [1, bank(1, rate)],
    [2, bank(2, { ...rate, directOracleKind: 0, depegMeasuredAt: 0n })], // no direct oracle: nothing to measure
    [3, bank(3, undefined)], // not rate-priced
    [4, bank(4, { ...rate, depegMeasuredAt: 0n })], // never measured
  ]);
  // Fresh, with the landing leeway: nothing prepended but the never-measured bank.
  assert.deepEqual(depegRefreshIxs(programId, exchange, banks, [1, 2, 3, 4], 10_000n).map((ix) => ix.keys[1]!.pubkey), [banks.get(4)!.address]);
  // Within the leeway of the bound: refreshed, once per bank, in the bank's own accounts.
  const ixs = depegRefreshIxs(programId, exchange, banks, [1, 1, 2, 3], 10_000n + 60n - DEPEG_LEEWAY_SECS + 1n);
  assert.equal(ixs.length, 1);
  const want = refreshBankRateIx(programId, exchange, banks.get(1)!.address, banks.get(1)!.bank);
  assert.deepEqual(ixs[0]!.keys, want.keys);
  assert.deepEqual(ixs[0]!.data, want.data);
  // An unlisted index is the health accounts' error to report, not this helper's.
  assert.deepEqual(depegRefreshIxs(programId, exchange, banks, [9], 10_000n), []);
});
