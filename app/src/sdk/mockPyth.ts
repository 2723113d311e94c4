/**
 * Local validator only: prices through mock-pyth (`programs/mock-pyth`), the test double of Pyth
 * `scripts/test-validator.sh` loads at the Pyth program ids (legacy oracle and Solana Receiver),
 * so the price accounts have the owners Fulcrum checks. Never used against a cluster: there
 * Pyth's own programs own the price accounts. A deployment opts in with `"prices": "mock-pyth"`
 * (written by `app/scripts/bootstrap.ts`); otherwise prices move with the local chain's
 * `fulcrum_setPrice`.
 */
import { Connection, Keypair, PublicKey, SystemProgram, Transaction, TransactionInstruction, sendAndConfirmTransaction } from "@solana/web3.js";
import { PYTH_LEGACY_MAINNET, PYTH_RECEIVER } from "./oracle";

/** Sizes of the accounts mock-pyth writes: a mainnet legacy price account, `PriceUpdateV2::LEN`. */
export const MOCK_PYTH_LEGACY_LEN = 3_312;
export const MOCK_PYTH_PRICE_UPDATE_V2_LEN = 134;
/** Instruction tags of mock-pyth (see `programs/mock-pyth/src/lib.rs`). */
export const MOCK_PYTH_TAG = { legacy: 0, priceUpdateV2: 1, refresh: 2 } as const;

/** The two formats, as the deployment JSON names them. */
export type MockPythFormat = "legacy" | "PriceUpdateV2";

/** The program (a Pyth program id, where mock-pyth is loaded) owning a price account of `format`. */
export const mockPythProgram = (format: MockPythFormat | string): PublicKey => (format === "legacy" ? PYTH_LEGACY_MAINNET : PYTH_RECEIVER);

export interface MockPrice {
  /** Price × 10^exponent USD. */
  price: bigint;
  conf: bigint;
  emaPrice: bigint;
  exponent: number;
  /** Unix seconds; 0 (default): the validator clock's time. */
  publishTime?: bigint;
}

/** `dollars` at `exponent`, with a confidence of `confRatio` of the price (as the local chain). */
export function mockPriceFromDollars(dollars: number, exponent = -8, confRatio = 0.0005): MockPrice {
  if (!(Number.isFinite(dollars) && dollars > 0)) throw new Error("price must be a positive number");
  const price = BigInt(Math.max(1, Math.round(dollars * 10 ** -exponent)));
  const conf = BigInt(Math.round(Number(price) * confRatio));
  return { price, conf, emaPrice: price, exponent };
}

/** Writes `p` into `oracle` (legacy: aggregate `status`, 1 = Trading; PriceUpdateV2: `feedId`). */
export function mockPythSetPriceIx(oracle: PublicKey, format: MockPythFormat | string, p: MockPrice, feedId?: Uint8Array, status = 1): TransactionInstruction {
  const legacy = format === "legacy";
  const data = Buffer.alloc(1 + 36 + (legacy ? 4 : 32));
  data.writeUInt8(legacy ? MOCK_PYTH_TAG.legacy : MOCK_PYTH_TAG.priceUpdateV2, 0);
  data.writeBigInt64LE(p.price, 1);
  data.writeBigUInt64LE(p.conf, 9);
  data.writeBigInt64LE(p.emaPrice, 17);
  data.writeInt32LE(p.exponent, 25);
  data.writeBigInt64LE(p.publishTime ?? 0n, 29);
  if (legacy) data.writeUInt32LE(status, 37);
  else {
    if (!feedId || feedId.length !== 32) throw new Error("a PriceUpdateV2 needs its 32-byte feed id");
    Buffer.from(feedId).copy(data, 37);
  }
  return new TransactionInstruction({ programId: mockPythProgram(format), keys: [{ pubkey: oracle, isSigner: false, isWritable: true }], data });
}

/** Re-stamps `oracle`'s publish time and slots to the clock, keeping its prices. */
export const mockPythRefreshIx = (oracle: PublicKey, format: MockPythFormat | string): TransactionInstruction =>
  new TransactionInstruction({
    programId: mockPythProgram(format),
    keys: [{ pubkey: oracle, isSigner: false, isWritable: true }],
    data: Buffer.from([MOCK_PYTH_TAG.refresh]),
  });

/** Creates the price account `oracle` (a new keypair; it signs) owned by the format's program. */
export async function createMockPythAccountIx(connection: Connection, payer: PublicKey, oracle: PublicKey, format: MockPythFormat | string): Promise<TransactionInstruction> {
  const space = format === "legacy" ? MOCK_PYTH_LEGACY_LEN : MOCK_PYTH_PRICE_UPDATE_V2_LEN;
  return SystemProgram.createAccount({
    fromPubkey: payer,
    newAccountPubkey: oracle,
    lamports: await connection.getMinimumBalanceForRentExemption(space),
    space,
    programId: mockPythProgram(format),
  });
}

/** A deployment's oracle entry (`oracles[symbol]`). */
export interface OracleEntry {
  address: string;
  format: string;
  feedId?: string;
  exponent?: number;
}

const hexBytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, "hex"));

/**
 * Sets an oracle's price to `dollars` through mock-pyth, paid by `payer`; waits until confirmed
 * by polling the signature status (no WebSocket left open behind the caller).
 */
export async function setMockPythPrice(connection: Connection, payer: Keypair, oracle: OracleEntry, dollars: number): Promise<string> {
  const p = mockPriceFromDollars(dollars, oracle.exponent ?? -8);
  const ix = mockPythSetPriceIx(new PublicKey(oracle.address), oracle.format, p, oracle.feedId ? hexBytes(oracle.feedId) : undefined);
  const { blockhash, lastValidBlockHeight } = await connection.getLatestBlockhash("confirmed");
  const tx = new Transaction({ feePayer: payer.publicKey, blockhash, lastValidBlockHeight }).add(ix);
  tx.sign(payer);
  const sig = await connection.sendRawTransaction(tx.serialize(), { preflightCommitment: "confirmed" });
  for (let delay = 50; ; delay = Math.min(delay * 2, 400)) {
    const s = (await connection.getSignatureStatuses([sig])).value[0];
    if (s?.err) throw new Error(`mock-pyth price update ${sig} failed: ${JSON.stringify(s.err)}`);
    if (s && (s.confirmationStatus === "confirmed" || s.confirmationStatus === "finalized")) return sig;
    if ((await connection.getBlockHeight("confirmed")) > lastValidBlockHeight) throw new Error(`mock-pyth price update ${sig} expired`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/**
 * Keeps every oracle fresh (the markets' `max_oracle_age`): one transaction of refresh
 * instructions every `intervalMs` until `signal` aborts. A refresh never changes a price, so it
 * cannot undo a concurrent `setMockPythPrice`.
 */
export async function runMockPythFeeder(
  connection: Connection,
  payer: Keypair,
  oracles: OracleEntry[],
  opts: { intervalMs?: number; signal?: AbortSignal; onError?: (e: unknown) => void } = {},
): Promise<void> {
  const intervalMs = opts.intervalMs ?? 1_000;
  const ixs = oracles.map((o) => mockPythRefreshIx(new PublicKey(o.address), o.format));
  while (!opts.signal?.aborted) {
    const started = Date.now();
    try {
      await sendAndConfirmTransaction(connection, new Transaction().add(...ixs), [payer], { commitment: "confirmed" });
    } catch (e) {
      opts.onError?.(e);
    }
    await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (Date.now() - started))));
  }
}
