/**
 * Where the RPC URL, keypair and deployment come from, as Solana users expect: flags first, then
 * environment variables, then the Solana CLI config file (`~/.config/solana/cli/config.yml`),
 * then defaults (localhost, `~/.config/solana/id.json`).
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { Keypair } from "@solana/web3.js";

export const MONIKERS: Record<string, string> = {
  localhost: "http://127.0.0.1:8899",
  l: "http://127.0.0.1:8899",
  devnet: "https://api.devnet.solana.com",
  d: "https://api.devnet.solana.com",
  testnet: "https://api.testnet.solana.com",
  t: "https://api.testnet.solana.com",
  "mainnet-beta": "https://api.mainnet-beta.solana.com",
  m: "https://api.mainnet-beta.solana.com",
};

export const expandUrl = (u: string): string => MONIKERS[u] ?? u;
const expandHome = (p: string): string => (p.startsWith("~/") ? join(homedir(), p.slice(2)) : p);

/** The Solana CLI config file: `key: value` lines (the subset of YAML it writes). */
export function readSolanaConfig(path?: string): Record<string, string> {
  const file = expandHome(path ?? join(homedir(), ".config", "solana", "cli", "config.yml"));
  if (!existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split(/\r?\n/)) {
    const m = /^([A-Za-z_]+):\s*(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^['"]|['"]$/g, "");
  }
  return out;
}

export interface ConnectionConfig {
  rpcUrl: string;
  keypairPath: string;
  deployment?: string;
  /** Where each value came from (flag, env, config, default). */
  sources: { rpcUrl: string; keypairPath: string };
}

export function resolveConfig(
  flags: { url?: string; keypair?: string; config?: string; deployment?: string },
  env: NodeJS.ProcessEnv = process.env,
): ConnectionConfig {
  const cfg = readSolanaConfig(flags.config ?? env.SOLANA_CONFIG);
  let rpcUrl: string;
  let urlSource: string;
  if (flags.url) [rpcUrl, urlSource] = [expandUrl(flags.url), "flag"];
  else if (env.FULCRUM_RPC_URL) [rpcUrl, urlSource] = [expandUrl(env.FULCRUM_RPC_URL), "env FULCRUM_RPC_URL"];
  else if (env.SOLANA_URL) [rpcUrl, urlSource] = [expandUrl(env.SOLANA_URL), "env SOLANA_URL"];
  else if (cfg.json_rpc_url) [rpcUrl, urlSource] = [cfg.json_rpc_url, "solana config"];
  else [rpcUrl, urlSource] = [MONIKERS.localhost!, "default"];
  let keypairPath: string;
  let kpSource: string;
  if (flags.keypair) [keypairPath, kpSource] = [flags.keypair, "flag"];
  else if (env.FULCRUM_KEYPAIR) [keypairPath, kpSource] = [env.FULCRUM_KEYPAIR, "env FULCRUM_KEYPAIR"];
  else if (cfg.keypair_path) [keypairPath, kpSource] = [cfg.keypair_path, "solana config"];
  else [keypairPath, kpSource] = [join(homedir(), ".config", "solana", "id.json"), "default"];
  return {
    rpcUrl,
    keypairPath: expandHome(keypairPath),
    deployment: flags.deployment ?? env.FULCRUM_DEPLOYMENT,
    sources: { rpcUrl: urlSource, keypairPath: kpSource },
  };
}

/** A keypair file as `solana-keygen` writes it (JSON array of 64 bytes). */
export function loadKeypair(path: string): Keypair {
  const bytes = JSON.parse(readFileSync(expandHome(path), "utf8")) as number[];
  return Keypair.fromSecretKey(Uint8Array.from(bytes));
}
