/**
 * Rate-priced collateral (issue 18 part 2): the permissionless `refresh_bank_rate` crank, built
 * by hand (Anchor's `global:refresh_bank_rate` discriminator) so that it does not wait for the
 * regenerated IDL types.
 */
import { createHash } from "node:crypto";
import { PublicKey, TransactionInstruction } from "@solana/web3.js";
import type { CollateralBank } from "./accounts";

const DISCRIMINATOR = createHash("sha256").update("global:refresh_bank_rate").digest().subarray(0, 8);

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
