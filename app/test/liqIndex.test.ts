import { test } from "node:test";
import assert from "node:assert/strict";
import { marginRiskDecoder, type MarginRiskView } from "../src/sdk/accounts";
import { belowMaintenance, LiquidationIndex } from "../src/sdk/liqIndex";
import { accountReport, marginParts, priceKey, riskContext, type ExchangeState, type PriceBook } from "../src/sdk/report";
import { scan } from "../src/keeper/keeper";
import { encodeMarginAccount, Rng, syntheticCorrelations, syntheticExchange, syntheticKey, type SyntheticView } from "../src/keeper/synthetic";
import * as risk from "../src/risk";
import { decodeMarginAccount } from "../src/sdk/accounts";
import { i128FromBytes } from "../src/sdk/layout";
import { PublicKey } from "@solana/web3.js";

const decode = marginRiskDecoder();
const i128Bytes = (v: bigint): Uint8Array => {
  const b = Buffer.alloc(16);
  const u = BigInt.asUintN(128, v);
  b.writeBigUInt64LE(u & 0xffffffffffffffffn, 0);
  b.writeBigUInt64LE(u >> 64n, 8);
  return new Uint8Array(b);
};

/** A random account: cross or portfolio, 0–2 collateral, 1–3 perps (some isolated), 1×–20× on a random quote balance (some in debt). */
function randomAccount(rng: Rng, markets: number, banks: number): MarginRiskView {
  const nc = rng.int(0, 2);
  const collateral = Array.from({ length: nc }, (_, i) => ({ bankIndex: 1 + ((i + rng.int(0, banks - 1)) % banks), amount: BigInt(rng.int(1, 3_000)) * 1_000_000n }))
    .filter((c, i, all) => all.findIndex((x) => x.bankIndex === c.bankIndex) === i);
  const np = rng.int(1, 3);
  const first = rng.int(0, markets - 1);
  const perps: SyntheticView["perps"] = Array.from({ length: np }, (_, i) => {
    const m = (first + i) % markets;
    const price = BigInt(10 ** (m + 1));
    const notionalUsd = BigInt(rng.int(50, 20_000));
    const units = (notionalUsd * 1_000_000_000n) / price;
    const entry = (price * BigInt(rng.int(80, 120))) / 100n;
    const base = rng.int(0, 1) === 1 ? units : -units;
    const quoteEntry = -(base * entry * 1_000_000n) / 1_000_000_000n;
    const isolated = rng.int(0, 5) === 0;
    return { marketIndex: m, position: { base, quoteEntry, fundingSnapshot: 0n }, isolated, isolatedCollateral: isolated ? BigInt(rng.int(1, 3_000)) * 1_000_000n : 0n };
  }).filter((p, i, all) => all.findIndex((x) => x.marketIndex === p.marketIndex) === i);
  const quoteBalance = BigInt(rng.int(-500, 2_500)) * 1_000_000n;
  return decode(encodeMarginAccount({ quoteBalance, marginCallSlot: 0n, inMarginCall: false, marginMode: rng.int(0, 3) === 0 ? 1 : 0, collateral, perps }));
}

function exchange(): { state: ExchangeState; prices: PriceBook } {
  const { state, prices } = syntheticExchange(3, 3);
  // Assets: market i and bank i + 1 on asset i; ρ = 0.6, −0.3 and 0.2 between them.
  state.correlations = syntheticCorrelations([[1e6, 6e5, -3e5], [6e5, 1e6, 2e5], [-3e5, 2e5, 1e6]], [255, 0, 1, 2], [0, 1, 2], 200_000);
  return { state, prices };
}

function fullScan(accounts: Map<string, MarginRiskView>, state: ExchangeState, prices: PriceBook): string[] {
  const ctx = riskContext(state, prices);
  return [...accounts].filter(([, v]) => belowMaintenance(v, ctx)).map(([k]) => k).sort();
}

/** `n` random accounts (3 markets, 3 banks) and a liquidation index over them. */
function indexedBook(rng: Rng, n: number, state: ExchangeState, book: PriceBook): { accounts: Map<string, MarginRiskView>; index: LiquidationIndex } {
  const accounts = new Map<string, MarginRiskView>();
  for (let k = 0; k < n; k++) accounts.set(syntheticKey(k), randomAccount(rng, 3, 3));
  const index = new LiquidationIndex(state, book);
  for (const [k, v] of accounts) index.upsert(k, v);
  return { accounts, index };
}

const keyOfMarket = (state: ExchangeState, m: number): string => priceKey(state.markets.get(m)!.market.oracle, 9);
const keyOfBank = (state: ExchangeState, b: number): string => priceKey(state.banks.get(b)!.bank.oracle, 9);
const moved = (p: risk.Price, ppm: number): risk.Price => {
  const o = (p.oracle * BigInt(1_000_000 + ppm)) / 1_000_000n;
  return { oracle: o > 0n ? o : 1n, ema: p.ema };
};

test("the index finds exactly the accounts a full scan finds, on random books, moves and cranks (cross, portfolio, isolated)", () => {
  for (const seed of [1n, 7n, 99n]) {
    const rng = new Rng(seed);
    const { state, prices } = exchange();
    const book: PriceBook = new Map(prices);
    const { accounts, index } = indexedBook(rng, 2_500, state, book);
    const check = (what: string): void => assert.deepEqual([...index.liquidatableKeys()].sort(), fullScan(accounts, state, book), `seed ${seed}: ${what}`);
    check("built");
    const start = index.liquidatableKeys().length;
    assert.ok(start > 50 && start < 2_000, `some but not all below maintenance (${start})`);
    for (let step = 0; step < 60; step++) {
      const r = rng.int(0, 10);
      // Small moves (a tick), 1% and large ones, markets and banks, one or several at once.
      const size = [1, 100, 10_000, 10_000, 30_000, 80_000, 200_000][rng.int(0, 6)]!;
      const ppm = rng.int(0, 1) === 1 ? size : -size;
      if (r <= 4) {
        const m = rng.int(0, 2);
        const p = moved(book.get(keyOfMarket(state, m))!, ppm);
        book.set(keyOfMarket(state, m), p);
        index.setPrice(m, p.oracle);
      } else if (r <= 6) {
        const b = rng.int(1, 3);
        book.set(keyOfBank(state, b), moved(book.get(keyOfBank(state, b))!, ppm));
        index.setPrices(book);
      } else if (r === 7) {
        for (let m = 0; m < 3; m++) book.set(keyOfMarket(state, m), moved(book.get(keyOfMarket(state, m))!, rng.int(0, 1) === 1 ? size : -size));
        index.setPrices(book);
      } else if (r === 10) {
        // A crank: the funding index moves (either way) and the borrow index grows, by up to 2% of the price.
        const m = rng.int(0, 2);
        const entry = state.markets.get(m)!;
        const p = book.get(keyOfMarket(state, m))!.oracle;
        const df = (p * BigInt(rng.int(-20_000, 20_000))) / 1_000_000n;
        const db = (p * BigInt(rng.int(0, 5_000))) / 1_000_000n;
        const market = { ...entry.market, cumulativeFunding: i128Bytes(i128FromBytes(entry.market.cumulativeFunding) + df) };
        market.cumulativeBorrow = i128Bytes((entry.market.cumulativeBorrow ? i128FromBytes(entry.market.cumulativeBorrow) : 0n) + db);
        state.markets.set(m, { address: entry.address, market });
        index.setState(state);
      } else {
        // Accounts change: trades, deposits, closes.
        for (let j = 0; j < 20; j++) {
          const k = syntheticKey(rng.int(0, 2_599));
          if (rng.int(0, 4) === 0) {
            accounts.delete(k);
            index.remove(k);
          } else {
            const v = randomAccount(rng, 3, 3);
            accounts.set(k, v);
            index.upsert(k, v);
          }
        }
      }
      check(`step ${step} (${r}, ${ppm} ppm)`);
      // What a shock would add, against a full scan at the shocked price (every other step, so
      // that moves also follow moves whose re-keying is still pending).
      if (step % 2 === 1) continue;
      const m = rng.int(0, 2);
      const pct = [-20, -5, -1, -0.1, 0.5, 3, 15][rng.int(0, 6)]!;
      const now = new Set(index.liquidatableKeys());
      const shocked = new Map(book);
      const p = book.get(keyOfMarket(state, m))!;
      const ppb = BigInt(Math.round((100 + pct) * 1e7));
      shocked.set(keyOfMarket(state, m), { oracle: (p.oracle * ppb) / 1_000_000_000n, ema: p.ema });
      const want = fullScan(accounts, state, shocked).filter((k) => !now.has(k));
      assert.deepEqual(index.shock(m, pct).map((x) => x.toBase58()).sort(), want, `seed ${seed} step ${step}: shock ${pct}% of market ${m}`);
    }
  }
});

test("the keeper's candidates from the index equal those of a full scan", () => {
  const rng = new Rng(5n);
  const { state, prices } = exchange();
  const book: PriceBook = new Map(prices);
  const { accounts, index } = indexedBook(rng, 2_000, state, book);
  for (const ppm of [-10_000, -10_000, 25_000, -50_000]) {
    const p = moved(book.get(keyOfMarket(state, 1))!, ppm);
    book.set(keyOfMarket(state, 1), p);
    index.setPrice(1, p.oracle);
    const ctx = { state, prices: book, slot: 1_000n };
    const full = scan(accounts.entries(), ctx);
    const fromIndex = scan(index.liquidatableKeys().map((k) => [k, accounts.get(k)!] as [string, MarginRiskView]), ctx);
    assert.deepEqual(fromIndex.map((c) => [c.pubkey, c.action, c.shortfall]).sort(), full.map((c) => [c.pubkey, c.action, c.shortfall]).sort());
  }
});

test("a hedged portfolio account: liquidated by one leg's move, back when it reverses; its other leg's market re-checks it", () => {
  const { state, prices } = exchange();
  const book: PriceBook = new Map(prices);
  // Long $1,000 of market 0 ($10), short $1,000 of market 1 ($100), ρ = 0.6: requirement
  // √(50² + 50² − 2 × 0.6 × 50²) = $44.72 (cross would need $100); $60 of equity.
  const v = decode(encodeMarginAccount({
    quoteBalance: 60_000_000n, marginCallSlot: 0n, inMarginCall: false, marginMode: 1, collateral: [],
    perps: [
      { marketIndex: 0, position: { base: 100_000_000_000n, quoteEntry: -1_000_000_000n, fundingSnapshot: 0n } },
      { marketIndex: 1, position: { base: -10_000_000_000n, quoteEntry: 1_000_000_000n, fundingSnapshot: 0n } },
    ],
  }));
  const index = new LiquidationIndex(state, book);
  const k = syntheticKey(1);
  index.upsert(k, v);
  const below = (): boolean => belowMaintenance(v, riskContext(state, book));
  assert.equal(below(), false);
  assert.deepEqual(index.liquidatableKeys(), []);
  const m0 = index.map(0)[0]!;
  assert.equal(m0.side, "long");
  assert.equal(m0.account.toBase58(), k);
  // Walk market 0 down in 0.5% steps until the account falls below maintenance: the index says so at the same step.
  const set = (m: number, p: bigint): void => {
    book.set(keyOfMarket(state, m), { oracle: p, ema: book.get(keyOfMarket(state, m))!.ema });
    index.setPrice(m, p);
  };
  let p0 = book.get(keyOfMarket(state, 0))!.oracle;
  for (let i = 0; i < 40 && !below(); i++) {
    p0 = (p0 * 995n) / 1000n;
    set(0, p0);
    assert.equal(index.liquidatableKeys().length, below() ? 1 : 0, `step ${i}`);
  }
  assert.ok(below(), "liquidatable after the fall");
  assert.ok(m0.liqPrice <= p0 * 1005n / 1000n && m0.liqPrice >= p0, "the map's price is where it happened (within the step)");
  // The short leg's market falling restores it (the hedge pays): found through market 1's keys.
  let p1 = book.get(keyOfMarket(state, 1))!.oracle;
  for (let i = 0; i < 40 && below(); i++) {
    p1 = (p1 * 990n) / 1000n;
    set(1, p1);
    assert.equal(index.liquidatableKeys().length, below() ? 1 : 0, `step ${i} of market 1`);
  }
  assert.equal(below(), false);
});

test("map: each market's positions sorted by the risk mirror's liquidation price, with notional and side", () => {
  const rng = new Rng(11n);
  const { state, prices } = exchange();
  for (const b of state.banks.values()) b.bank.mint = new PublicKey(syntheticKey(1_000 + b.bank.index));
  const index = new LiquidationIndex(state, prices);
  const views: [string, MarginRiskView][] = [];
  for (let k = 0; k < 300; k++) {
    const v = randomAccount(rng, 3, 3);
    views.push([syntheticKey(k), v]);
    index.upsert(new PublicKey(syntheticKey(k)), v);
  }
  const map = index.map(2);
  assert.ok(map.length > 20);
  for (let i = 1; i < map.length; i++) assert.ok(map[i - 1]!.liqPrice <= map[i]!.liqPrice);
  // Against the account report (the SDK's liquidation price per position).
  const ctx = riskContext(state, prices);
  let compared = 0;
  for (const [k, v] of views) {
    const parts = marginParts(v, ctx);
    if (!parts.model) continue;
    const full = decodeMarginAccount(encodeMarginAccount(v as SyntheticView));
    const r = accountReport(new PublicKey(k), full, state, prices);
    for (const p of r.positions.filter((x) => x.marketIndex === 2 && x.liquidationPrice !== null)) {
      const e = map.find((x) => x.account.toBase58() === k && x.isolated === p.isolated)!;
      assert.equal(e.liqPrice, p.liquidationPrice);
      assert.equal(e.side, p.base > 0n ? "long" : "short");
      compared++;
    }
  }
  assert.ok(compared > 20);
});

test("the exchange state re-read (a keeper's resync) rebuilds nothing; new correlations re-margin portfolio accounts", () => {
  const rng = new Rng(3n);
  const { state, prices } = exchange();
  const { accounts, index } = indexedBook(rng, 500, state, prices);
  const checks = index.stats.checks;
  const c = state.correlations!;
  const copy = { ...state, correlations: { ...c, matrix: c.matrix.map((r) => r.slice()), bankAssets: c.bankAssets.slice(), marketAssets: c.marketAssets.slice() } };
  index.setState(copy, new Map(prices));
  assert.equal(index.stats.checks, checks, "same contents: nothing re-checked");
  // Uncorrelated assets: portfolio accounts need more margin.
  const before = index.liquidatableKeys().length;
  const next = { ...copy, correlations: syntheticCorrelations([[1e6, 0, 0], [0, 1e6, 0], [0, 0, 1e6]], [255, 0, 1, 2], [0, 1, 2], 200_000) };
  index.setState(next);
  assert.deepEqual(index.liquidatableKeys().sort(), fullScan(accounts, next, prices));
  assert.ok(index.liquidatableKeys().length !== before);
});

test("debt with nothing left and isolated slots closed under water are listed whatever the prices; removal unlists", () => {
  const { state, prices } = exchange();
  const index = new LiquidationIndex(state, prices);
  index.upsert(syntheticKey(1), decode(encodeMarginAccount({ quoteBalance: -5n, marginCallSlot: 0n, inMarginCall: false, collateral: [], perps: [] })));
  index.upsert(syntheticKey(2), decode(encodeMarginAccount({
    quoteBalance: 1_000_000_000n, marginCallSlot: 0n, inMarginCall: false, collateral: [],
    perps: [{ marketIndex: 1, position: { base: 0n, quoteEntry: 0n, fundingSnapshot: 0n }, isolated: true, isolatedCollateral: -3n }],
  })));
  index.upsert(syntheticKey(3), decode(encodeMarginAccount({ quoteBalance: 5n, marginCallSlot: 0n, inMarginCall: false, collateral: [], perps: [] })));
  assert.deepEqual(index.liquidatableKeys().sort(), [syntheticKey(1), syntheticKey(2)].sort());
  index.setPrice(0, 1n);
  assert.equal(index.liquidatableKeys().length, 2);
  index.remove(syntheticKey(1));
  index.upsert(syntheticKey(2), encodeMarginAccount({ quoteBalance: 5n, marginCallSlot: 0n, inMarginCall: false, collateral: [], perps: [] }));
  assert.deepEqual(index.liquidatableKeys(), []);
});
