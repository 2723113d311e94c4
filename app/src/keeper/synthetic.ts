/**
 * Synthetic exchanges and margin accounts (real account bytes, laid out from the IDL) for the
 * keeper's unit tests and its scan benchmark.
 */
import { Keypair, PublicKey } from "@solana/web3.js";
import type { CollateralBank, Correlations, Exchange, LiquidityPool, MarginRiskView, PerpMarket, PerpRiskSlot } from "../sdk/accounts";
import type { ExchangeState, PriceBook } from "../sdk/report";
import { priceKey } from "../sdk/report";
import { accountDiscriminator, accountSize, fieldOffset, structLayout } from "../sdk/layout";

export class Rng {
  constructor(private s: bigint) {}
  next(): bigint {
    let x = this.s;
    x ^= x >> 12n;
    x ^= (x << 25n) & 0xffffffffffffffffn;
    x ^= x >> 27n;
    this.s = x;
    return (x * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn;
  }
  int(lo: number, hi: number): number {
    return lo + Number(this.next() % BigInt(hi - lo + 1));
  }
}

/** An exchange with `markets` perp markets and `banks` collateral banks (9 decimals, $1…$1000). */
export function syntheticExchange(markets = 3, banks = 3): { state: ExchangeState; prices: PriceBook } {
  const exchange = {
    quoteInitLiabilityWeight: 1_000_000,
    quoteMaintLiabilityWeight: 1_000_000,
    unrealizedPnlInitWeight: 1_000_000,
    marginCallGraceSlots: 0n,
    liquidationThresholdRatio: 800_000,
    quoteDecimals: 6,
  } as unknown as Exchange;
  const prices: PriceBook = new Map();
  const bankMap = new Map<number, { address: PublicKey; bank: CollateralBank }>();
  const marketMap = new Map<number, { address: PublicKey; market: PerpMarket }>();
  bankMap.set(0, { address: Keypair.generate().publicKey, bank: { index: 0, decimals: 6, oracle: PublicKey.default, initAssetWeight: 1_000_000, maintAssetWeight: 1_000_000 } as unknown as CollateralBank });
  for (let i = 1; i <= banks; i++) {
    const oracle = Keypair.generate().publicKey;
    prices.set(priceKey(oracle, 9), { oracle: BigInt(10 ** i) * 1_000_000_000n, ema: BigInt(10 ** i) * 1_000_000_000n });
    bankMap.set(i, { address: Keypair.generate().publicKey, bank: { index: i, decimals: 9, oracle, initAssetWeight: 800_000, maintAssetWeight: 900_000 } as unknown as CollateralBank });
  }
  for (let i = 0; i < markets; i++) {
    const oracle = Keypair.generate().publicKey;
    const p = BigInt(10 ** (i + 1)) * 1_000_000_000n;
    prices.set(priceKey(oracle, 9), { oracle: p, ema: p });
    marketMap.set(i, {
      address: Keypair.generate().publicKey,
      market: { index: i, baseDecimals: 9, oracle, initMarginRatio: 100_000, maintMarginRatio: 50_000, imf: i === 2 ? 1_000 : 0, cumulativeFunding: new Uint8Array(16), name: Buffer.from(`M${i}-PERP`.padEnd(16, "\0")) } as unknown as PerpMarket,
    });
  }
  const state: ExchangeState = {
    address: Keypair.generate().publicKey,
    exchange,
    pool: {} as LiquidityPool,
    poolAddress: Keypair.generate().publicKey,
    banks: bankMap,
    markets: marketMap,
    correlations: null,
    correlationsAddress: Keypair.generate().publicKey,
  };
  return { state, prices };
}

/** A `Correlations` account's contents: `matrix` rows (ppm) and the asset of each bank and market. */
export function syntheticCorrelations(matrix: number[][], bankAssets: number[], marketAssets: number[], floor = 300_000, minEquity = 0n): Correlations {
  const grid = Array.from({ length: 12 }, (_, i) => Array.from({ length: 12 }, (_, j) => matrix[i]?.[j] ?? 0));
  const table = (a: number[]): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => a[i] ?? 255);
  return {
    exchange: PublicKey.default, minEquity, floor, numAssets: matrix.length, bump: 255, matrix: grid,
    bankAssets: table(bankAssets), marketAssets: table(marketAssets),
  };
}

/** What {@link encodeMarginAccount} writes: a fast view whose margin-mode fields may be left out (cross). */
export type SyntheticView = Omit<MarginRiskView, "marginMode" | "perps"> & {
  marginMode?: number;
  perps: (Pick<PerpRiskSlot, "marketIndex" | "position"> & Partial<Pick<PerpRiskSlot, "isolated" | "isolatedCollateral">>)[];
};

/** MarginAccount bytes for `view` (discriminator included). */
export function encodeMarginAccount(view: SyntheticView, exchange: PublicKey = PublicKey.default): Buffer {
  const d = Buffer.alloc(accountSize("MarginAccount"));
  accountDiscriminator("MarginAccount").copy(d, 0);
  exchange.toBuffer().copy(d, fieldOffset("MarginAccount", "exchange"));
  d.writeBigInt64LE(view.quoteBalance, fieldOffset("MarginAccount", "quote_balance"));
  d.writeBigUInt64LE(view.marginCallSlot, fieldOffset("MarginAccount", "margin_call_slot"));
  d[fieldOffset("MarginAccount", "num_collateral")] = view.collateral.length;
  d[fieldOffset("MarginAccount", "num_perps")] = view.perps.length;
  d[fieldOffset("MarginAccount", "in_margin_call")] = view.inMarginCall ? 1 : 0;
  d[fieldOffset("MarginAccount", "margin_mode")] = view.marginMode ?? 0;
  const cs = structLayout("CollateralSlot");
  const ps = structLayout("PerpSlot");
  view.collateral.forEach((c, i) => {
    const at = fieldOffset("MarginAccount", "collateral") + i * cs.size;
    d.writeBigUInt64LE(c.amount, at + cs.fields.get("amount")!.offset);
    d.writeUInt16LE(c.bankIndex, at + cs.fields.get("bank_index")!.offset);
  });
  view.perps.forEach((p, i) => {
    const at = fieldOffset("MarginAccount", "perps") + i * ps.size;
    d.writeBigInt64LE(p.position.base, at + ps.fields.get("base")!.offset);
    d.writeBigInt64LE(p.position.quoteEntry, at + ps.fields.get("quote_entry")!.offset);
    const f = BigInt.asUintN(128, p.position.fundingSnapshot);
    d.writeBigUInt64LE(f & 0xffffffffffffffffn, at + ps.fields.get("funding_snapshot")!.offset);
    d.writeBigUInt64LE(f >> 64n, at + ps.fields.get("funding_snapshot")!.offset + 8);
    d.writeUInt16LE(p.marketIndex, at + ps.fields.get("market_index")!.offset);
    d[at + ps.fields.get("isolated")!.offset] = p.isolated ? 1 : 0;
    d.writeBigInt64LE(p.isolatedCollateral ?? 0n, at + ps.fields.get("isolated_collateral")!.offset);
  });
  return d;
}

/**
 * `n` random accounts: 0–2 collateral slots, 1–3 perps at 1x–12x on $1,000 of quote. With
 * `modes`, about one account in eight is a portfolio account and one perp in eight is isolated
 * (on a tenth of its notional); the exchange then needs {@link syntheticCorrelations}.
 */
export function syntheticAccounts(n: number, markets = 3, banks = 3, seed = 42n, modes = false): { pubkey: string; data: Buffer }[] {
  return Array.from(syntheticAccountStream(n, markets, banks, seed, modes), ({ pubkey, data }) => ({ pubkey, data }));
}

/** {@link syntheticAccounts} one at a time (a million accounts' bytes need not be held at once). */
export function* syntheticAccountStream(n: number, markets = 3, banks = 3, seed = 42n, modes = false): Generator<{ pubkey: string; address: PublicKey; data: Buffer }> {
  const rng = new Rng(seed);
  for (let k = 0; k < n; k++) {
    const nc = rng.int(0, Math.min(2, banks));
    const np = rng.int(1, Math.min(3, markets));
    const collateral = Array.from({ length: nc }, (_, i) => ({ bankIndex: i + 1, amount: BigInt(rng.int(1, 1_000)) * 1_000_000n }));
    const perps: SyntheticView["perps"] = Array.from({ length: np }, (_, i) => {
      const price = BigInt(10 ** (i + 1)); // $ per unit
      const notionalUsd = BigInt(rng.int(100, 12_000));
      const units = (notionalUsd * 1_000_000_000n) / price; // base native
      const entry = (price * BigInt(rng.int(85, 115))) / 100n;
      const long = rng.int(0, 1) === 1;
      const base = long ? units : -units;
      const quoteEntry = -(base * entry * 1_000_000n) / 1_000_000_000n;
      const isolated = modes && rng.int(0, 7) === 0;
      return { marketIndex: i, position: { base, quoteEntry, fundingSnapshot: 0n }, isolated, isolatedCollateral: isolated ? notionalUsd * 100_000n : 0n };
    });
    const marginMode = modes && rng.int(0, 7) === 0 ? 1 : 0;
    const view: SyntheticView = { quoteBalance: 1_000_000_000n, marginCallSlot: 0n, inMarginCall: false, marginMode, collateral, perps };
    const address = syntheticAddress(k);
    yield { pubkey: address.toBase58(), address, data: encodeMarginAccount(view) };
  }
}

/** A valid, distinct base58 address for synthetic account `k`. */
export function syntheticKey(k: number): string {
  return syntheticAddress(k).toBase58();
}

export function syntheticAddress(k: number): PublicKey {
  const b = Buffer.alloc(32, 7);
  b.writeUInt32LE(k, 0);
  return new PublicKey(b);
}
