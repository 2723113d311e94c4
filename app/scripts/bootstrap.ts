// Bootstraps the demo exchange through the SDK on a chain with Fulcrum and mock-pyth loaded (a
// local validator: scripts/test-validator.sh), writes the deployment JSON, then (--feed) keeps
// the mock-pyth prices fresh until stopped.
//   node --import tsx scripts/bootstrap.ts --url http://127.0.0.1:8899 --out deployment.json [--feed]
import { writeFileSync } from "node:fs";
import { Connection, Keypair, PublicKey } from "@solana/web3.js";
import { bootstrapDemoExchange, faucetKeypair, loadDeploymentFile, runMockPythFeeder, type Deployment } from "../src/sdk";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const url = arg("--url") ?? "http://127.0.0.1:8899";
const out = arg("--out");
const existing = arg("--deployment");
const feed = process.argv.includes("--feed");
if (!out && !existing) {
  console.error("usage: bootstrap.ts --url URL (--out FILE | --deployment FILE) [--feed] [--program-id ID]");
  process.exit(2);
}
const programId = arg("--program-id");
const connection = new Connection(url, "confirmed");
const log = (line: string) => console.log(`[bootstrap ${new Date().toISOString().slice(11, 19)}] ${line}`);

async function main(): Promise<void> {
  let deployment: Deployment;
  if (existing) {
    deployment = loadDeploymentFile(existing);
  } else {
    deployment = await bootstrapDemoExchange(connection, { rpcUrl: url, programId: programId ? new PublicKey(programId) : undefined, log });
    writeFileSync(out!, JSON.stringify(deployment, null, 2));
    log(`deployment written to ${out}`);
  }
  if (feed) {
    const payer: Keypair | null = faucetKeypair(deployment);
    if (!payer || deployment.prices !== "mock-pyth") throw new Error("--feed needs a mock-pyth deployment with its faucet key");
    const ctl = new AbortController();
    for (const s of ["SIGINT", "SIGTERM"] as const) process.on(s, () => ctl.abort());
    log("feeding: mock-pyth refresh of every oracle each second (prices unchanged) until stopped");
    let errors = 0;
    await runMockPythFeeder(connection, payer, Object.values(deployment.oracles ?? {}), {
      signal: ctl.signal,
      onError: (e) => {
        if (errors++ % 30 === 0) log(`feeder: ${String((e as Error).message ?? e).slice(0, 200)}`);
      },
    });
    log("feeder stopped");
  }
}

// Exit when done: web3.js keeps its WebSocket (used to confirm) open, which would keep node alive.
main().then(() => process.exit(0)).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
