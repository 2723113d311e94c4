/**
 * What the browser tests and the dashboard load benchmark share: a local chain of their own
 * (`fulcrum-localnet --bootstrap demo` on free ports, stopped by `stop()`), the system Chromium
 * driven by playwright-core (Playwright's own browser download is not used: `CHROMIUM` or
 * `/usr/bin/chromium`, Debian's package, which scripts/setup.sh installs), and the screenshot
 * directory (`app/test-artifacts/`, not committed).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";

export const ARTIFACTS = join(__dirname, "..", "test-artifacts");

export function localnetBinary(): string {
  const fromEnv = process.env.FULCRUM_LOCALNET_BIN;
  if (fromEnv) return fromEnv;
  const target = process.env.CARGO_TARGET_DIR ?? join(__dirname, "..", "..", "target");
  return join(target, "debug", "fulcrum-localnet");
}

export function chromiumPath(): string {
  const p = process.env.CHROMIUM ?? "/usr/bin/chromium";
  if (!existsSync(p)) throw new Error(`no Chromium at ${p}: run scripts/setup.sh (Debian's chromium package) or set CHROMIUM`);
  return p;
}

const free = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });

/** A port P with P+1 free too (HTTP and WebSocket), never 8899. */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = 20_000 + Math.floor(Math.random() * 30_000);
    if (p !== 8899 && (await free(p)) && (await free(p + 1))) return p;
  }
  throw new Error("no free port pair");
}

export interface LocalChain {
  url: string;
  deploymentPath: string;
  stop(): Promise<void>;
}

export async function startLocalChain(): Promise<LocalChain> {
  const bin = localnetBinary();
  if (!existsSync(bin)) throw new Error(`${bin} missing: cargo build -p fulcrum-localnet`);
  const port = await freePortPair();
  const deploymentPath = join(tmpdir(), `fulcrum-dashboard-${process.pid}-${port}.json`);
  const child: ChildProcess = spawn(bin, ["--rpc-port", String(port), "--bootstrap", "demo", "--bootstrap-out", deploymentPath], {
    env: { ...process.env, RUST_LOG: "error" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout!.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const end = Date.now() + 60_000;
  while (!log.includes("localnet: ready")) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`fulcrum-localnet did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    deploymentPath,
    stop: async () => {
      if (child.exitCode !== null) return;
      const done = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await done;
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  // --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: chromiumPath(), args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}

/** Polls `f` until it returns a value that is not undefined (or throws the last failure at the timeout). */
export async function eventually<T>(f: () => Promise<T | undefined>, timeoutMs = 8_000, what = "condition"): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String((last as Error).message ?? last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, "utf8")) as T;
