/**
 * The SDK's own dependencies, re-exported for code outside `app/` (the end-to-end tests in
 * `tests/` resolve packages through the SDK, as they have no node_modules of their own).
 */
export { Connection, Keypair, LAMPORTS_PER_SOL, PublicKey, Transaction, VersionedTransaction } from "@solana/web3.js";
export { AnchorProvider, BN, BorshCoder, EventParser, Program, Wallet } from "@anchor-lang/core";
// Plain web3.js and spl-token calls of the RPC client tests (tests/rpc-clients.test.ts).
export { ComputeBudgetProgram, SystemProgram, sendAndConfirmTransaction } from "@solana/web3.js";
export {
  AccountLayout,
  TOKEN_PROGRAM_ID,
  createMint,
  getAccount,
  getOrCreateAssociatedTokenAccount,
  mintTo,
  transfer as splTransfer,
} from "@solana/spl-token";
