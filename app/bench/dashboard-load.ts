/**
 * The dashboard with N synthetic accounts on a local chain (default 10,000): seeds them with real
 * transactions (`seedSynthetic`), starts `fulcrum-dashboard` as its own process, opens the page in
 * the system Chromium and reports
 *   - the server's start (getProgramAccounts + decoding + the first full recompute), its RSS and
 *     the snapshot's size and compute time;
 *   - the page's load time (navigation to the first rendered accounts table) and JS heap;
 *   - a SOL move: time from `fulcrum_setPrice` to the page showing the new oracle price, and the
 *     server's recompute time of all N accounts.
 *
 *   npm run bench:dashboard [-- --accounts 10000]
 * Screenshots: app/test-artifacts/dashboard-10k-*.png.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "../src/cli/args";
import { seedDemoBook, seedSynthetic } from "../src/dashboard/book";
import { loadDeploymentFile, setLocalPrice } from "../src/sdk/deployment";
import { ARTIFACTS, launchBrowser, startLocalChain } from "../test-browser/harness";

const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), { strings: ["accounts"], booleans: [] });
  const n = Number(args.strings.accounts ?? 10_000);
  const chain = await startLocalChain();
  const out: Record<string, unknown> = { accounts: n };
  try {
    const deployment = loadDeploymentFile(chain.deploymentPath);
    await seedDemoBook(chain.url, deployment);
    const seeded = await seedSynthetic(chain.url, deployment, n, { concurrency: 48, log: (m) => console.error(`seed: ${m}`) });
    out.seeded = seeded;
    const ready = join(tmpdir(), `fulcrum-dashboard-bench-${process.pid}.url`);
    rmSync(ready, { force: true });
    const t0 = Date.now();
    const server = spawn(process.execPath, ["--import", "tsx", join(__dirname, "..", "src", "dashboard", "main.ts"), "--url", chain.url, "--deployment", chain.deploymentPath, "--port", "0", "--ready-file", ready], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    try {
      while (!existsSync(ready) || readFileSync(ready, "utf8") === "") await new Promise((r) => setTimeout(r, 50));
      out.serverStartMs = Date.now() - t0;
      const url = readFileSync(ready, "utf8");
      const snap = (await (await fetch(`${url}api/snapshot`)).json()) as { computeMs: number; exchange: { accounts: number } };
      out.snapshotBytes = JSON.stringify(snap).length;
      out.firstComputeMs = snap.computeMs;
      out.accountsSeen = snap.exchange.accounts;
      const browser = await launchBrowser();
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        const cdp = await page.context().newCDPSession(page);
        await cdp.send("Performance.enable");
        const l0 = Date.now();
        await page.goto(url);
        await page.waitForSelector("#accounts-table tbody tr");
        out.pageLoadMs = Date.now() - l0;
        out.pageFirstRenderMs = Number(await page.evaluate(() => document.body.dataset.firstRenderMs));
        await page.screenshot({ path: join(ARTIFACTS, "dashboard-10k-1280x800.png") });
        // A SOL move: every account is recomputed and pushed.
        const m0 = Date.now();
        await setLocalPrice(chain.url, "SOL", 141, deployment);
        await page.waitForFunction(() => document.querySelector('#markets-table tr[data-market="0"] [data-field="oracle"]')?.textContent === "$141.00", undefined, { timeout: 30_000 });
        out.priceToPageMs = Date.now() - m0;
        const after = (await (await fetch(`${url}api/snapshot`)).json()) as { computeMs: number };
        out.computeMsAfterMove = after.computeMs;
        // The shock over all accounts (the keeper's scan on shocked prices).
        const s0 = Date.now();
        await (await fetch(`${url}api/shock?market=0&pct=-10`)).json();
        out.shockMs = Date.now() - s0;
        const metrics = (await cdp.send("Performance.getMetrics")) as { metrics: { name: string; value: number }[] };
        const heap = metrics.metrics.find((x) => x.name === "JSHeapUsedSize")?.value ?? 0;
        out.pageJsHeapMb = Math.round((heap / 1024 / 1024) * 10) / 10;
        out.serverRssMb = Math.round(rssMb(server.pid!));
        await page.screenshot({ path: join(ARTIFACTS, "dashboard-10k-after-move-1280x800.png"), fullPage: true });
      } finally {
        await browser.close();
      }
    } finally {
      const exited = new Promise((r) => server.once("exit", r));
      server.kill("SIGTERM");
      await exited;
    }
  } finally {
    await chain.stop();
  }
  console.log(JSON.stringify(out, null, 2));
}

main().then(() => process.exit(0)).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
