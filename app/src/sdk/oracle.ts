/**
 * Pyth prices off chain, both formats the program reads (`programs/fulcrum/src/oracle.rs`):
 * PriceUpdateV2 (pull oracle, owner = Pyth Solana Receiver) and legacy price accounts (push
 * oracle). Converted to engine prices (quote native per base native × 10¹²) exactly as on chain.
 */
import { PublicKey } from "@solana/web3.js";
import { PRICE_DECIMALS, type Price } from "../risk";

export const PYTH_RECEIVER = new PublicKey("rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ");
export const PYTH_LEGACY_MAINNET = new PublicKey("FsJ3A3u2vn5cTVofAjvy6y5kwABJAqYWpe4975bi2epH");
export const PYTH_LEGACY_DEVNET = new PublicKey("gSbePebfvPy7tRqimPoVecS2UsBvYv46ynrzWocc92s");
export const LEGACY_MAGIC = 0xa1b2c3d4;

export enum OracleKind {
  None = 0,
  PythLegacy = 1,
  PythPull = 2,
}

export interface OracleReading {
  price: bigint;
  conf: bigint;
  exponent: number;
  publishTime: bigint;
  emaPrice: bigint;
}

/** PriceUpdateV2 (borsh): disc 8, write_authority 32, verification_level (enum), message, posted_slot. */
export function readPriceUpdate(data: Buffer, feedId?: Uint8Array): OracleReading {
  let o = 8 + 32;
  const level = data[o]!;
  o += level === 0 ? 2 : 1; // Partial { num_signatures: u8 } | Full
  if (level !== 1) throw new Error("oracle: price update not fully verified");
  const fid = data.subarray(o, o + 32);
  if (feedId && !Buffer.from(feedId).equals(fid)) throw new Error("oracle: feed id mismatch");
  o += 32;
  const price = data.readBigInt64LE(o);
  const conf = data.readBigUInt64LE(o + 8);
  const exponent = data.readInt32LE(o + 16);
  const publishTime = data.readBigInt64LE(o + 20);
  const emaPrice = data.readBigInt64LE(o + 36);
  return { price, conf, exponent, publishTime, emaPrice };
}

/** Legacy Pyth price account: the first 240 bytes (public layout, version 2). */
export function readLegacy(data: Buffer): OracleReading {
  if (data.length < 240 || data.readUInt32LE(0) !== LEGACY_MAGIC || data.readUInt32LE(4) !== 2 || data.readUInt32LE(8) !== 3) {
    throw new Error("oracle: not a legacy Pyth price account");
  }
  const exponent = data.readInt32LE(20);
  const emaPrice = data.readBigInt64LE(48);
  const publishTime = data.readBigInt64LE(96);
  // agg: price @208, conf @216, status @224
  if (data.readUInt32LE(224) !== 1) throw new Error("oracle: not trading");
  return { price: data.readBigInt64LE(208), conf: data.readBigUInt64LE(216), exponent, publishTime, emaPrice };
}

export function readOracle(data: Buffer, owner: PublicKey, feedId?: Uint8Array): OracleReading {
  if (owner.equals(PYTH_RECEIVER)) return readPriceUpdate(data, feedId);
  if (owner.equals(PYTH_LEGACY_MAINNET) || owner.equals(PYTH_LEGACY_DEVNET)) return readLegacy(data);
  throw new Error(`oracle: unknown owner ${owner.toBase58()}`);
}

function scale(v: bigint, shift: number): bigint {
  const a = v < 0n ? -v : v;
  const p = 10n ** BigInt(Math.abs(shift));
  return shift >= 0 ? a * p : a / p;
}

/** Oracle and EMA in engine units, rounded down (as `OracleReading::to_price`). */
export function toEnginePrice(r: OracleReading, baseDecimals: number, quoteDecimals: number): Price {
  const shift = r.exponent + PRICE_DECIMALS + quoteDecimals - baseDecimals;
  return { oracle: scale(r.price, shift), ema: scale(r.emaPrice, shift) };
}

/** Engine price of `dollars` per whole unit (display/CLI helper). */
export function enginePriceFromNumber(dollars: number, baseDecimals: number, quoteDecimals: number): bigint {
  const micro = BigInt(Math.round(dollars * 1e6));
  return scale(micro, PRICE_DECIMALS + quoteDecimals - baseDecimals - 6);
}

/** Dollars per whole unit of an engine price. */
export function enginePriceToNumber(p: bigint, baseDecimals: number, quoteDecimals: number): number {
  const shift = PRICE_DECIMALS + quoteDecimals - baseDecimals;
  return Number(p) / 10 ** shift;
}
