/** Typed views of the program's accounts, decoded with the IDL-driven layout. */
import { PublicKey } from "@solana/web3.js";
import { decodeAccount, fieldOffset, i128FromBytes, structLayout } from "./layout";
import type { ReputationConfig, ReputationRecord } from "./reputation";
import type { Correlation, PerpPosition, Price } from "../risk";
import { borrowRate, borrowUtilisation, insuranceOiCap, max as maxBig, ratePrice, sideNotional } from "../risk";

export interface Exchange {
  admin: PublicKey;
  quoteMint: PublicKey;
  quoteInitLiabilityWeight: number;
  quoteMaintLiabilityWeight: number;
  unrealizedPnlInitWeight: number;
  maxPoolUtilisation: number;
  marginAccounts: bigint;
  exchangeId: number;
  numBanks: number;
  numMarkets: number;
  paused: number;
  quoteDecimals: number;
  marginCallGraceSlots: bigint;
  insuranceFloor: bigint;
  dustNotional: bigint;
  liquidationThresholdRatio: number;
  liquidationBuffer: number;
  liquidatorFee: number;
  insuranceFee: number;
  collateralLiquidationDiscount: number;
  insuranceFeeShare: number;
  /** LP flows (present in IDLs that have them): cooldown seconds, withdrawal fee and PnL factors, ppm. */
  lpCooldownSecs?: number;
  lpWithdrawalFee?: number;
  maxPnlFactorForDeposits?: number;
  maxPnlFactorForWithdrawals?: number;
  /** Orders (issue 16; present in IDLs that have them): flat fee escrowed per order, lamports; trigger band around the EMA, ppm. */
  orderFeeLamports?: bigint;
  triggerBand?: number;
  /** Reputation tiers (issue 18 §1; present in IDLs that have them): see `sdk/reputation.ts`. */
  reputation?: ReputationConfig;
}

export interface CollateralBank {
  exchange: PublicKey;
  mint: PublicKey;
  vault: PublicKey;
  oracle: PublicKey;
  feedId: Uint8Array;
  depositCap: bigint;
  totalDeposits: bigint;
  initAssetWeight: number;
  maintAssetWeight: number;
  maxOracleAge: number;
  maxConfRatio: number;
  index: number;
  decimals: number;
  oracleKind: number;
  /** Rate pricing (`CollateralBank` fields from `reserved`, read by {@link decodeBank}). */
  rate?: BankRate;
}

/** A rate-priced bank's rate (`set_bank_rate_source` / `refresh_bank_rate`); kind 0: none. */
export interface BankRate {
  rateSource: PublicKey;
  directOracle: PublicKey;
  acceptedRate: bigint;
  rateEpoch: number;
  maxRisePpm: number;
  depegPpm: number;
  rateKind: number;
  directOracleKind: number;
  /** Publish time of the direct price `depegPpm` was measured from (0: never, or an account from before the field). */
  depegMeasuredAt: bigint;
}

export interface PerpMarket {
  exchange: PublicKey;
  oracle: PublicKey;
  feedId: Uint8Array;
  name: Uint8Array;
  longBase: bigint;
  shortBase: bigint;
  longQuoteEntry: bigint;
  shortQuoteEntry: bigint;
  longOiCap: bigint;
  shortOiCap: bigint;
  feesCollected: bigint;
  volume: bigint;
  cumulativeFunding: Uint8Array;
  initMarginRatio: number;
  maintMarginRatio: number;
  imf: number;
  takerFee: number;
  maxOracleAge: number;
  maxConfRatio: number;
  stepSize: bigint;
  tradeSeq: bigint;
  index: number;
  baseDecimals: number;
  oracleKind: number;
  /** LP flows: Σ base × funding snapshot per side, i128 LE (present in IDLs that have them). */
  longFundingSnapshots?: Uint8Array;
  shortFundingSnapshots?: Uint8Array;
  /** Dynamic risk (present in IDLs that have it). */
  effectiveInitRatio?: number;
  effectiveMaintRatio?: number;
  fundingRate?: bigint;
  reduceOnlyUntil?: bigint;
  paused?: number;
  /** EWMA variance of returns, ppm² per second. */
  variance?: bigint;
  /**
   * Latency-safe fills (issue 13 §1; present in IDLs that have them): oldest price a fill takes,
   * seconds; least spread, ppm; volatility multiplier z, ppm; the slot of the market's last
   * observations and their lowest / highest oracle price (engine units). See `risk.fillSpread`,
   * `risk.fillPrice`.
   */
  maxFillAge?: number;
  minSpread?: number;
  spreadZ?: number;
  obsSlot?: bigint;
  obsLo?: bigint;
  obsHi?: bigint;
  /** PnL cap and auto-deleveraging (present in IDLs that have them; absent: no cap, ADL off). */
  maxPnlFactor?: number;
  adlThreshold?: number;
  adlFloor?: number;
  pnlWithheld?: bigint;
  /** Pool capacity (issue 13 §3, §4; present in IDLs that have it). */
  cumulativeBorrow?: Uint8Array;
  /** ppm of notional per hour, paid by both sides to the pool. */
  borrowRate?: bigint;
  reserveFactor?: number;
  borrowBaseRate?: number;
  borrowSlope1?: number;
  borrowKink?: number;
  borrowSlope2?: number;
  oiShock?: number;
  oiPoolFraction?: number;
}

export interface LiquidityPool {
  exchange: PublicKey;
  lpMint: PublicKey;
  balance: bigint;
  insuranceBalance: bigint;
  feesEarned: bigint;
  socialisedLoss: bigint;
  insurancePaidOut: bigint;
  /** LP flows (present in IDLs that have them). */
  depositSlot?: bigint;
  depositedInSlot?: bigint;
  lockedShares?: bigint;
  deadShares?: bigint;
  unresolvedBadDebt?: bigint;
  withdrawalFeesEarned?: bigint;
}

/** A provider's LP shares in cooldown (PDA `[lp_position, exchange, provider]`). */
export interface LpPosition {
  exchange: PublicKey;
  provider: PublicKey;
  lockedShares: bigint;
  unlockTs: bigint;
}

export interface CollateralSlot {
  amount: bigint;
  bankIndex: number;
}

export interface PerpSlot {
  base: bigint;
  quoteEntry: bigint;
  fundingSnapshot: Uint8Array;
  realizedPnl: bigint;
  /** Isolated positions: the quote collateral that alone backs this position. */
  isolatedCollateral: bigint;
  marketIndex: number;
  /** 1: an isolated position; 0: backed by the account. */
  isolated: number;
}

export interface MarginAccount {
  exchange: PublicKey;
  owner: PublicKey;
  delegate: PublicKey;
  quoteBalance: bigint;
  marginCallSlot: bigint;
  feesPaid: bigint;
  subAccountId: number;
  healthState: number;
  numCollateral: number;
  numPerps: number;
  inMarginCall: number;
  /** `risk.MarginMode` as u8: how the account's collateral backs its non-isolated positions. */
  marginMode: number;
  collateral: CollateralSlot[];
  perps: PerpSlot[];
  /** The account's track record and tier (issue 18 §1; present in IDLs that have it). */
  reputation?: ReputationRecord;
}

/** The exchange's portfolio-margin configuration (PDA `[correlations, exchange]`, `set_correlations`). */
export interface Correlations {
  exchange: PublicKey;
  minEquity: bigint;
  floor: number;
  numAssets: number;
  bump: number;
  /** ppm, `MAX_ASSETS × MAX_ASSETS` (cells outside `numAssets` are zero). */
  matrix: number[][];
  /** Asset of collateral bank `i` ({@link NO_ASSET}: none). */
  bankAssets: Uint8Array;
  /** Asset of perp market `i` ({@link NO_ASSET}: none). */
  marketAssets: Uint8Array;
}

/** `bank_assets` / `market_assets` entry of a bank or market on no asset. */
export const NO_ASSET = 255;

export const decodeExchange = (d: Buffer): Exchange => decodeAccount<Exchange>("Exchange", d);
/**
 * The rate fields at their byte offsets (discriminator included): 8 + 208 = `rate_source`
 * (asserted in `state/bank.rs`), then `direct_oracle`, `rate_identity` (32 each),
 * `accepted_rate` u64, `rate_epoch`, `rate_max_rise_ppm`, `depeg_ppm` u32, `rate_kind`,
 * `direct_oracle_kind` u8, 2 bytes of padding, then `depeg_measured_at` i64. Read raw so the SDK does not depend on the regenerated IDL.
 */
export function decodeBankRate(d: Buffer): BankRate {
  const at = 8 + 208;
  return {
    rateSource: new PublicKey(d.subarray(at, at + 32)),
    directOracle: new PublicKey(d.subarray(at + 32, at + 64)),
    acceptedRate: d.readBigUInt64LE(at + 96),
    rateEpoch: d.readUInt32LE(at + 104),
    maxRisePpm: d.readUInt32LE(at + 108),
    depegPpm: d.readUInt32LE(at + 112),
    rateKind: d.readUInt8(at + 116),
    directOracleKind: d.readUInt8(at + 117),
    depegMeasuredAt: d.length >= at + 128 ? d.readBigInt64LE(at + 120) : 0n,
  };
}

export const decodeBank = (d: Buffer): CollateralBank => ({
  ...decodeAccount<CollateralBank>("CollateralBank", d),
  rate: decodeBankRate(d),
});

/** The collateral price of `bank` from its oracle's (`CollateralBank::rate_priced`): × accepted rate × depeg factor for a rate-priced bank. */
export const bankPrice = (bank: CollateralBank, oracle: Price): Price =>
  bank.rate && bank.rate.rateKind !== 0 ? ratePrice(oracle, bank.rate.acceptedRate, BigInt(bank.rate.depegPpm)) : oracle;
export const decodeMarket = (d: Buffer): PerpMarket => decodeAccount<PerpMarket>("PerpMarket", d);
export const decodePool = (d: Buffer): LiquidityPool => decodeAccount<LiquidityPool>("LiquidityPool", d);
export const decodeLpPosition = (d: Buffer): LpPosition => decodeAccount<LpPosition>("LpPosition", d);

export const decodeCorrelations = (d: Buffer): Correlations => decodeAccount<Correlations>("Correlations", d);

/** The engine's matrix (`Correlations::correlation`). */
export const correlationOf = (c: Correlations): Correlation => ({ n: Math.min(c.numAssets, c.matrix.length), c: c.matrix });
const assetOf = (c: Correlations, table: Uint8Array, index: number): number | null => {
  const a = table[index];
  return a !== undefined && a < c.numAssets ? a : null;
};
/** Asset of bank `index`, if it has one (`Correlations::bank_asset`). */
export const bankAsset = (c: Correlations, index: number): number | null => assetOf(c, c.bankAssets, index);
/** Asset of market `index`, if it has one (`Correlations::market_asset`). */
export const marketAsset = (c: Correlations, index: number): number | null => assetOf(c, c.marketAssets, index);

/** A margin account with only its active slots. */
export function decodeMarginAccount(d: Buffer): MarginAccount {
  const a = decodeAccount<MarginAccount>("MarginAccount", d);
  a.collateral = a.collateral.slice(0, Math.min(a.numCollateral, a.collateral.length));
  a.perps = a.perps.slice(0, Math.min(a.numPerps, a.perps.length));
  return a;
}

export const marketName = (m: PerpMarket): string => Buffer.from(m.name).toString("utf8").replace(/\0+$/, "");
export const perpPosition = (s: PerpSlot): PerpPosition => ({
  base: s.base,
  quoteEntry: s.quoteEntry,
  fundingSnapshot: i128FromBytes(s.fundingSnapshot),
});

/**
 * The keeper's fast path: only what health needs from a margin account (no public keys, no
 * objects for inactive slots). Offsets come from the IDL layout, computed once.
 */
export interface PerpRiskSlot {
  marketIndex: number;
  position: PerpPosition;
  isolated: boolean;
  isolatedCollateral: bigint;
}

export interface MarginRiskView {
  quoteBalance: bigint;
  marginCallSlot: bigint;
  inMarginCall: boolean;
  /** `risk.MarginMode` as u8. */
  marginMode: number;
  collateral: { bankIndex: number; amount: bigint }[];
  perps: PerpRiskSlot[];
}

let fast: ((d: Buffer) => MarginRiskView) | null = null;

export function marginRiskDecoder(): (d: Buffer) => MarginRiskView {
  if (fast) return fast;
  const o = (f: string): number => fieldOffset("MarginAccount", f);
  const [qb, mcs, nc, np, imc, mode, coll, perps] = [
    o("quote_balance"), o("margin_call_slot"), o("num_collateral"), o("num_perps"), o("in_margin_call"), o("margin_mode"), o("collateral"), o("perps"),
  ];
  const cs = structLayout("CollateralSlot");
  const ps = structLayout("PerpSlot");
  const cAmount = cs.fields.get("amount")!.offset;
  const cBank = cs.fields.get("bank_index")!.offset;
  const pBase = ps.fields.get("base")!.offset;
  const pEntry = ps.fields.get("quote_entry")!.offset;
  const pFund = ps.fields.get("funding_snapshot")!.offset;
  const pMarket = ps.fields.get("market_index")!.offset;
  const pIsolated = ps.fields.get("isolated")!.offset;
  const pIsolatedCollateral = ps.fields.get("isolated_collateral")!.offset;
  fast = (d: Buffer): MarginRiskView => {
    const n = d[nc]!;
    const m = d[np]!;
    const collateral = new Array<{ bankIndex: number; amount: bigint }>(n);
    for (let i = 0; i < n; i++) {
      const at = coll + i * cs.size;
      collateral[i] = { bankIndex: d.readUInt16LE(at + cBank), amount: d.readBigUInt64LE(at + cAmount) };
    }
    const out = new Array<PerpRiskSlot>(m);
    for (let i = 0; i < m; i++) {
      const at = perps + i * ps.size;
      const lo = d.readBigUInt64LE(at + pFund);
      const hi = d.readBigInt64LE(at + pFund + 8);
      const isolated = d[at + pIsolated] !== 0;
      out[i] = {
        marketIndex: d.readUInt16LE(at + pMarket),
        position: { base: d.readBigInt64LE(at + pBase), quoteEntry: d.readBigInt64LE(at + pEntry), fundingSnapshot: lo === 0n && hi === 0n ? 0n : (hi << 64n) + lo },
        isolated,
        // Zero for cross positions (the program keeps it so).
        isolatedCollateral: isolated ? d.readBigInt64LE(at + pIsolatedCollateral) : 0n,
      };
    }
    return { quoteBalance: d.readBigInt64LE(qb), marginCallSlot: d.readBigUInt64LE(mcs), inMarginCall: d[imc] !== 0, marginMode: d[mode]!, collateral, perps: out };
  };
  return fast;
}

/** A market's share of the pool's capacity at `price` (engine units): what a trader opening risk runs into. */
export interface MarketCapacity {
  /** Open interest notional per side, quote native. */
  longNotional: bigint;
  shortNotional: bigint;
  /** Borrow utilisation, ppm (fuller side over reserve capacity). */
  utilisation: bigint;
  /** Borrow rate the market charges now (as stored by its last observation), and at these inputs; ppm per hour. */
  borrowRate: bigint;
  borrowRateNow: bigint;
  /** Most notional per side the reserve allows (null: reserve off). */
  reserveCap: bigint | null;
  /** Insurance-aware cap per side (U64_MAX: off). */
  insuranceOiCap: bigint;
}

export function marketCapacity(m: PerpMarket, pool: LiquidityPool, price: bigint): MarketCapacity {
  const longNotional = sideNotional(m.longBase, price);
  const shortNotional = sideNotional(m.shortBase, price);
  const reserveFactor = m.reserveFactor ?? 0;
  const utilisation = borrowUtilisation(maxBig(longNotional, shortNotional), reserveFactor, pool.balance);
  const params = { baseRate: m.borrowBaseRate ?? 0, slope1: m.borrowSlope1 ?? 0, kink: m.borrowKink ?? 1_000_000, slope2: m.borrowSlope2 ?? 0 };
  const maint = Math.max(m.effectiveMaintRatio ?? 0, m.maintMarginRatio);
  return {
    longNotional,
    shortNotional,
    utilisation,
    borrowRate: m.borrowRate ?? 0n,
    borrowRateNow: borrowRate(utilisation, params),
    reserveCap: reserveFactor === 0 ? null : (BigInt(reserveFactor) * pool.balance) / 1_000_000n,
    insuranceOiCap: insuranceOiCap(pool.insuranceBalance, pool.balance, m.oiPoolFraction ?? 0, m.oiShock ?? 0, maint),
  };
}
