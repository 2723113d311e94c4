/**
 * Rate-priced collateral (issue 18 part 2): the permissionless `refresh_bank_rate` crank and the
 * admin's `set_bank_rate_source`, built by hand (Anchor's `global:<name>` discriminators, Borsh
 * arguments) so that they do not wait for the regenerated IDL types.
 */
import { createHash } from "node:crypto";
import { PublicKey, TransactionInstruction } from "@solana/web3.js";
import { depegFresh } from "../risk/rate";
import type { CollateralBank } from "./accounts";

const discriminator = (name: string): Buffer => createHash("sha256").update(`global:${name}`).digest().subarray(0, 8);
const DISCRIMINATOR = discriminator("refresh_bank_rate");

/** Whether margin prices `bank` through an exchange rate. */
export const isRatePriced = (bank: CollateralBank): boolean => (bank.rate?.rateKind ?? 0) !== 0;

/**
 * `refresh_bank_rate` of the bank at `bankAddress`: exchange, bank (writable), its oracle, its
 * rate source, its direct oracle (the program id for none: Anchor's absent optional account).
 */
export function refreshBankRateIx(programId: PublicKey, exchange: PublicKey, bankAddress: PublicKey, bank: CollateralBank): TransactionInstruction {
  const rate = bank.rate;
  if (!rate || rate.rateKind === 0) throw new Error(`bank ${bank.index} is not rate-priced`);
  const direct = rate.directOracleKind !== 0 ? rate.directOracle : programId;
  return new TransactionInstruction({
    programId,
    keys: [
      { pubkey: exchange, isSigner: false, isWritable: false },
      { pubkey: bankAddress, isSigner: false, isWritable: true },
      { pubkey: bank.oracle, isSigner: false, isWritable: false },
      { pubkey: rate.rateSource, isSigner: false, isWritable: false },
      { pubkey: direct, isSigner: false, isWritable: false },
    ],
    data: Buffer.from(DISCRIMINATOR),
  });
}

/** Seconds a transaction may take to land after it is built: a factor that would turn stale by then is refreshed. */
export const DEPEG_LEEWAY_SECS = 30n;

/**
 * The `refresh_bank_rate` instructions a risk-increasing transaction (trade, withdrawal,
 * isolated transfer, margin mode) prepends for the banks `bankIndexes` of its health accounts.
 * The program refuses such an action (`DepegFactorStale`) while a rate-priced bank with a direct
 * oracle carries a depeg factor older than its `maxOracleAge`; a refresh in the same transaction
 * measures it again (even before the stake pool's update of the epoch: the rate then stays). Only
 * the banks that need it (`nowSecs` + {@link DEPEG_LEEWAY_SECS} past the bound): each refresh
 * costs compute and write-locks its bank.
 */
export function depegRefreshIxs(
  programId: PublicKey,
  exchange: PublicKey,
  banks: Map<number, { address: PublicKey; bank: CollateralBank }>,
  bankIndexes: Iterable<number>,
  nowSecs: bigint = BigInt(Math.floor(Date.now() / 1000)),
): TransactionInstruction[] {
  const ixs: TransactionInstruction[] = [];
  for (const i of new Set(bankIndexes)) {
    const b = banks.get(i);
    const rate = b?.bank.rate;
    if (!b || !rate || rate.rateKind === 0 || rate.directOracleKind === 0) continue;
    if (depegFresh(rate.depegMeasuredAt, nowSecs + DEPEG_LEEWAY_SECS, b.bank.maxOracleAge)) continue;
    ixs.push(refreshBankRateIx(programId, exchange, b.address, b.bank));
  }
  return ixs;
}

/** `RateSourceParams` (`instructions/bank_rate.rs`). */
export interface RateSourceParams {
  /** 1: SPL stake pool, 2: vault share, 0: off. */
  rateKind: number;
  /** Most the accepted rate may rise per epoch, ppm, ≤ 100,000. */
  maxRisePpm: number;
  /** Oracle kind of the direct oracle (1 legacy Pyth, 2 PriceUpdateV2; 0: none). */
  directOracleKind: number;
  /** Its Pyth feed id (PriceUpdateV2), 32 bytes. */
  directFeedId: Uint8Array;
}

/**
 * `set_bank_rate_source` (admin): admin, exchange, bank (writable), its oracle, the rate source,
 * the direct oracle (the program id for none). Arguments: Borsh `RateSourceParams` (u8, u32 LE,
 * u8, [u8; 32]).
 */
export function setBankRateSourceIx(
  programId: PublicKey,
  exchange: PublicKey,
  admin: PublicKey,
  bankAddress: PublicKey,
  bankOracle: PublicKey,
  rateSource: PublicKey,
  params: RateSourceParams,
  directOracle?: PublicKey,
): TransactionInstruction {
  if (params.directFeedId.length !== 32) throw new Error("directFeedId must be 32 bytes");
  const args = Buffer.alloc(38);
  args.writeUInt8(params.rateKind, 0);
  args.writeUInt32LE(params.maxRisePpm, 1);
  args.writeUInt8(params.directOracleKind, 5);
  Buffer.from(params.directFeedId).copy(args, 6);
  return new TransactionInstruction({
    programId,
    keys: [
      { pubkey: admin, isSigner: true, isWritable: false },
      { pubkey: exchange, isSigner: false, isWritable: false },
      { pubkey: bankAddress, isSigner: false, isWritable: true },
      { pubkey: bankOracle, isSigner: false, isWritable: false },
      { pubkey: rateSource, isSigner: false, isWritable: false },
      { pubkey: directOracle ?? programId, isSigner: false, isWritable: false },
    ],
    data: Buffer.concat([discriminator("set_bank_rate_source"), args]),
  });
}
