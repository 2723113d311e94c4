/**
 * Where an exchange lives: the JSON `fulcrum-localnet --bootstrap demo` writes (and serves with
 * the local-only `fulcrum_getBootstrap`), or one written by hand for devnet.
 */
import { readFileSync } from "node:fs";
import { Connection, Keypair, PublicKey } from "@solana/web3.js";
import { setMockPythPrice, type OracleEntry } from "./mockPyth";

export interface BankInfo {
  index: number;
  symbol: string;
  address: string;
  mint: string;
  vault: string;
  oracle: string;
  decimals: number;
}

export interface MarketInfo {
  index: number;
  name: string;
  symbol: string;
  address: string;
  oracle: string;
  baseDecimals: number;
  stepSize: string;
}

export interface Deployment {
  cluster: string;
  rpcUrl?: string;
  programId: string;
  exchange: string;
  admin: string;
  quoteMint: string;
  quoteDecimals: number;
  pool: string;
  lpMint: string;
  banks: BankInfo[];
  markets: MarketInfo[];
  oracles?: Record<string, OracleEntry>;
  /**
   * How prices move on this chain: absent, the local chain's `fulcrum_setPrice`; "mock-pyth",
   * transactions to mock-pyth on a local validator (`scripts/test-validator.sh`; see mockPyth.ts).
   */
  prices?: "mock-pyth";
  /** Local chain only: the faucet (mint authority of the test tokens) and admin keys. */
  localOnly?: { faucetSecretKey: number[]; adminSecretKey: number[] };
}

export function loadDeploymentFile(path: string): Deployment {
  return JSON.parse(readFileSync(path, "utf8")) as Deployment;
}

/** Asks a local chain for its deployment (`fulcrum_getBootstrap`, local-only). */
export async function fetchLocalDeployment(rpcUrl: string): Promise<Deployment> {
  const r = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "fulcrum_getBootstrap" }),
  });
  const j = (await r.json()) as { result?: Deployment | null; error?: { message: string } };
  if (!j.result) throw new Error(`no deployment at ${rpcUrl}: ${j.error?.message ?? "not bootstrapped"}`);
  return j.result;
}

/** `--deployment` value: a file path, or the RPC URL of a local chain. */
export async function resolveDeployment(source: string | undefined, rpcUrl: string): Promise<Deployment> {
  if (source) return loadDeploymentFile(source);
  return fetchLocalDeployment(rpcUrl);
}

export const faucetKeypair = (d: Deployment): Keypair | null =>
  d.localOnly ? Keypair.fromSecretKey(Uint8Array.from(d.localOnly.faucetSecretKey)) : null;

export const pk = (s: string): PublicKey => new PublicKey(s);

/**
 * Local chain or local validator only: sets an oracle price. With a deployment whose `prices` is
 * "mock-pyth", through mock-pyth (paid by the faucet key); otherwise the local chain's
 * `fulcrum_setPrice`.
 */
export async function setLocalPrice(rpcUrl: string, symbol: string, price: number, deployment?: Deployment): Promise<void> {
  if (deployment?.prices === "mock-pyth") {
    const oracle = deployment.oracles?.[symbol.toUpperCase()];
    const faucet = faucetKeypair(deployment);
    if (!oracle || !faucet) throw new Error(`mock-pyth: no oracle '${symbol}' or no faucet key in the deployment`);
    await setMockPythPrice(new Connection(rpcUrl, "confirmed"), faucet, oracle, price);
    return;
  }
  const r = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "fulcrum_setPrice", params: [symbol, price] }),
  });
  const j = (await r.json()) as { error?: { message: string } };
  if (j.error) throw new Error(`fulcrum_setPrice: ${j.error.message}`);
}
