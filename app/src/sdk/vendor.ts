/**
 * The SDK's own dependencies, re-exported for code outside `app/` (the end-to-end tests in
 * `tests/` resolve packages through the SDK, as they have no node_modules of their own).
 */
export { Connection, Keypair, LAMPORTS_PER_SOL, PublicKey, Transaction, VersionedTransaction } from "@solana/web3.js";
export { AnchorProvider, BN, Program, Wallet } from "@anchor-lang/core";
