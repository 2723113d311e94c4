/** Typed views of the program's accounts, decoded with the IDL-driven layout. */
import { PublicKey } from "@solana/web3.js";
import { decodeAccount, fieldOffset, i128FromBytes, structLayout } from "./layout";
import type { PerpPosition } from "../risk";

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
  /** Dynamic risk (present in IDLs that have it). */
  effectiveInitRatio?: number;
  effectiveMaintRatio?: number;
  fundingRate?: bigint;
  reduceOnlyUntil?: bigint;
  paused?: number;
}

export interface LiquidityPool {
  exchange: PublicKey;
  lpMint: PublicKey;
  balance: bigint;
  insuranceBalance: bigint;
  feesEarned: bigint;
  socialisedLoss: bigint;
  insurancePaidOut: bigint;
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
  marketIndex: number;
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
  collateral: CollateralSlot[];
  perps: PerpSlot[];
}

export const decodeExchange = (d: Buffer): Exchange => decodeAccount<Exchange>("Exchange", d);
export const decodeBank = (d: Buffer): CollateralBank => decodeAccount<CollateralBank>("CollateralBank", d);
export const decodeMarket = (d: Buffer): PerpMarket => decodeAccount<PerpMarket>("PerpMarket", d);
export const decodePool = (d: Buffer): LiquidityPool => decodeAccount<LiquidityPool>("LiquidityPool", d);

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
export interface MarginRiskView {
  quoteBalance: bigint;
  marginCallSlot: bigint;
  inMarginCall: boolean;
  collateral: { bankIndex: number; amount: bigint }[];
  perps: { marketIndex: number; position: PerpPosition }[];
}

let fast: ((d: Buffer) => MarginRiskView) | null = null;

export function marginRiskDecoder(): (d: Buffer) => MarginRiskView {
  if (fast) return fast;
  const o = (f: string): number => fieldOffset("MarginAccount", f);
  const [qb, mcs, nc, np, imc, coll, perps] = [o("quote_balance"), o("margin_call_slot"), o("num_collateral"), o("num_perps"), o("in_margin_call"), o("collateral"), o("perps")];
  const cs = structLayout("CollateralSlot");
  const ps = structLayout("PerpSlot");
  const cAmount = cs.fields.get("amount")!.offset;
  const cBank = cs.fields.get("bank_index")!.offset;
  const pBase = ps.fields.get("base")!.offset;
  const pEntry = ps.fields.get("quote_entry")!.offset;
  const pFund = ps.fields.get("funding_snapshot")!.offset;
  const pMarket = ps.fields.get("market_index")!.offset;
  fast = (d: Buffer): MarginRiskView => {
    const n = d[nc]!;
    const m = d[np]!;
    const collateral = new Array<{ bankIndex: number; amount: bigint }>(n);
    for (let i = 0; i < n; i++) {
      const at = coll + i * cs.size;
      collateral[i] = { bankIndex: d.readUInt16LE(at + cBank), amount: d.readBigUInt64LE(at + cAmount) };
    }
    const out = new Array<{ marketIndex: number; position: PerpPosition }>(m);
    for (let i = 0; i < m; i++) {
      const at = perps + i * ps.size;
      const lo = d.readBigUInt64LE(at + pFund);
      const hi = d.readBigInt64LE(at + pFund + 8);
      out[i] = {
        marketIndex: d.readUInt16LE(at + pMarket),
        position: { base: d.readBigInt64LE(at + pBase), quoteEntry: d.readBigInt64LE(at + pEntry), fundingSnapshot: lo === 0n && hi === 0n ? 0n : (hi << 64n) + lo },
      };
    }
    return { quoteBalance: d.readBigInt64LE(qb), marginCallSlot: d.readBigUInt64LE(mcs), inMarginCall: d[imc] !== 0, collateral, perps: out };
  };
  return fast;
}
