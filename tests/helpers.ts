// Shared setup of the end-to-end tests: they run against the local chain scripts/test-ts.sh
// starts (FULCRUM_RPC_URL), or any chain with a Fulcrum deployment (FULCRUM_DEPLOYMENT).
import { Connection, Keypair, LAMPORTS_PER_SOL } from "../app/src/sdk/vendor";
import { FulcrumClient, fetchLocalDeployment, loadDeploymentFile, type Deployment } from "../app/src/sdk";

export const RPC_URL = process.env.FULCRUM_RPC_URL ?? "http://127.0.0.1:8899";
export const USDC = 1_000_000n;
export const SOL = 1_000_000_000n;

let deployment: Deployment | null = null;

export async function getDeployment(): Promise<Deployment> {
  if (!deployment) {
    deployment = process.env.FULCRUM_DEPLOYMENT ? loadDeploymentFile(process.env.FULCRUM_DEPLOYMENT) : await fetchLocalDeployment(RPC_URL);
  }
  return deployment;
}

export const connection = (): Connection => new Connection(RPC_URL, "confirmed");

/** A fresh keypair with SOL, `usdc` quote tokens (local faucet) and a margin account. */
export async function trader(usdc: bigint = 10_000n * USDC, opts: { marginAccount?: boolean } = {}): Promise<FulcrumClient> {
  const conn = connection();
  const kp = Keypair.generate();
  const client = new FulcrumClient(conn, kp, await getDeployment());
  const sig = await conn.requestAirdrop(kp.publicKey, 10 * LAMPORTS_PER_SOL);
  await client.confirm(sig);
  if (usdc > 0n) await client.faucet(client.quoteMint, usdc);
  if (opts.marginAccount ?? true) await client.ensureMarginAccount();
  return client;
}

/** A keeper's client: SOL for fees, no quote tokens, no margin account. */
export const newKeeperClient = (): Promise<FulcrumClient> => trader(0n, { marginAccount: false });

/** A trader with $1,000 deposited (of $2,000) who then trades `base` on `market` (`side`). */
export async function leveredTrader(market: number, side: "buy" | "sell", base: bigint): Promise<FulcrumClient> {
  const t = await trader(2_000n * USDC);
  await t.deposit(0, 1_000n * USDC);
  await t.trade(market, side, base);
  return t;
}

export const marketIndex = async (symbol: string): Promise<number> => (await getDeployment()).markets.find((m) => m.symbol === symbol)!.index;
