/**
 * Every PDA of the program: the mirror of `programs/fulcrum/src/seeds.rs` (one module, as there).
 */
import { PublicKey } from "@solana/web3.js";

export const PROGRAM_ID = new PublicKey("FuLcMkoFUKUPH5wzGiZRs744Zee4krNbRMQhdZHyLUVL");

export const SEEDS = {
  /** `[EXCHANGE, admin, exchange_id (u16 LE)]` */
  EXCHANGE: Buffer.from("exchange"),
  /** `[BANK, exchange, bank_index (u16 LE)]`; index 0 is the quote mint. */
  BANK: Buffer.from("bank"),
  /** `[VAULT, exchange, mint]` */
  VAULT: Buffer.from("vault"),
  /** `[MARKET, exchange, market_index (u16 LE)]` */
  MARKET: Buffer.from("market"),
  /** `[POOL, exchange]` */
  POOL: Buffer.from("pool"),
  /** `[LP_MINT, exchange]` */
  LP_MINT: Buffer.from("lp_mint"),
  /** `[LP_POSITION, exchange, provider]`: a provider's LP shares in cooldown. */
  LP_POSITION: Buffer.from("lp_position"),
  /** `[MARGIN_ACCOUNT, exchange, owner, sub_account_id (u16 LE)]` */
  MARGIN_ACCOUNT: Buffer.from("margin"),
  /** `[CORRELATIONS, exchange]`: the exchange's portfolio-margin configuration. */
  CORRELATIONS: Buffer.from("correlations"),
  /** `[ORDERS, margin_account]`: a margin account's resting orders (issue 16). */
  ORDERS: Buffer.from("orders"),
} as const;

export function u16le(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
}

const find = (seeds: Buffer[], programId: PublicKey): PublicKey => PublicKey.findProgramAddressSync(seeds, programId)[0];

export const exchangeAddress = (admin: PublicKey, exchangeId: number, programId = PROGRAM_ID): PublicKey =>
  find([SEEDS.EXCHANGE, admin.toBuffer(), u16le(exchangeId)], programId);
export const bankAddress = (exchange: PublicKey, index: number, programId = PROGRAM_ID): PublicKey =>
  find([SEEDS.BANK, exchange.toBuffer(), u16le(index)], programId);
export const vaultAddress = (exchange: PublicKey, mint: PublicKey, programId = PROGRAM_ID): PublicKey =>
  find([SEEDS.VAULT, exchange.toBuffer(), mint.toBuffer()], programId);
export const marketAddress = (exchange: PublicKey, index: number, programId = PROGRAM_ID): PublicKey =>
  find([SEEDS.MARKET, exchange.toBuffer(), u16le(index)], programId);
export const poolAddress = (exchange: PublicKey, programId = PROGRAM_ID): PublicKey =>
  find([SEEDS.POOL, exchange.toBuffer()], programId);
export const lpMintAddress = (exchange: PublicKey, programId = PROGRAM_ID): PublicKey =>
  find([SEEDS.LP_MINT, exchange.toBuffer()], programId);
export const lpPositionAddress = (exchange: PublicKey, provider: PublicKey, programId = PROGRAM_ID): PublicKey =>
  find([SEEDS.LP_POSITION, exchange.toBuffer(), provider.toBuffer()], programId);
export const marginAccountAddress = (exchange: PublicKey, owner: PublicKey, subAccountId = 0, programId = PROGRAM_ID): PublicKey =>
  find([SEEDS.MARGIN_ACCOUNT, exchange.toBuffer(), owner.toBuffer(), u16le(subAccountId)], programId);
export const correlationsAddress = (exchange: PublicKey, programId = PROGRAM_ID): PublicKey =>
  find([SEEDS.CORRELATIONS, exchange.toBuffer()], programId);
export const orderBookAddress = (marginAccount: PublicKey, programId = PROGRAM_ID): PublicKey =>
  find([SEEDS.ORDERS, marginAccount.toBuffer()], programId);
