/**
 * The risk dashboard in a real browser (Debian's Chromium through playwright-core) against a
 * local chain of its own with a known book (`seedDemoBook`: 2x–9x SOL longs, a short, one on SOL
 * collateral, a BTC long with a stop-loss and a take-profit, an ETH short) and a keeper (liquidations
 * and orders): what a user sees equals what the SDK says.
 * Screenshots go to app/test-artifacts/.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { unpackMint } from "@solana/spl-token";
import { Connection, Keypair, LAMPORTS_PER_SOL, PublicKey } from "@solana/web3.js";
import type { Browser, Page } from "playwright-core";
import * as risk from "../src/risk";
import { FulcrumClient } from "../src/sdk/client";
import { lpValuation } from "../src/sdk/report";
import { loadDeploymentFile, setLocalPrice, type Deployment } from "../src/sdk/deployment";
import { Keeper } from "../src/keeper/keeper";
import { KeeperMetrics } from "../src/keeper/metrics";
import { OrderKeeper } from "../src/keeper/orders";
import { ORDER_KIND_NAMES, OrderKind } from "../src/sdk/orders";
import { enginePriceFromNumber } from "../src/sdk/oracle";
import { seedDemoBook, type BookTrader } from "../src/dashboard/book";
import { startDashboard, type DashboardServer } from "../src/dashboard/server";
import { STATE_LABEL, usd } from "../src/dashboard/web/format";
import { ARTIFACTS, eventually, launchBrowser, startLocalChain, type LocalChain } from "./harness";

let chain: LocalChain;
let deployment: Deployment;
let client: FulcrumClient;
let book: BookTrader[];
let dash: DashboardServer;
let browser: Browser;
let keeper: Keeper;
let orderKeeper: OrderKeeper;
const landed: { account: string; kind: string }[] = [];

const byName = (name: string): BookTrader => book.find((t) => t.name === name)!;

/** Publishes ETH at $`price` and waits (`timeout` ms at most) until the page's markets table shows `shown`. */
async function ethPriceShows(page: Page, price: number, shown: string, timeout: number): Promise<void> {
  const eth = deployment.markets.find((m) => m.symbol === "ETH")!.index;
  await setLocalPrice(chain.url, "ETH", price, deployment);
  await page.waitForFunction(
    ([i, text]) => document.querySelector(`#markets-table tr[data-market="${i}"] [data-field="oracle"]`)?.textContent === text,
    [eth, shown] as const,
    { timeout },
  );
}

before(async () => {
  chain = await startLocalChain();
  deployment = loadDeploymentFile(chain.deploymentPath);
  const conn = new Connection(chain.url, "confirmed");
  client = new FulcrumClient(conn, Keypair.generate(), deployment);
  book = await seedDemoBook(chain.url, deployment);
  const kp = Keypair.generate();
  await client.confirm(await conn.requestAirdrop(kp.publicKey, 10 * LAMPORTS_PER_SOL));
  // Quote tokens to repay debt with in collateral liquidations (erin's SOL), as `fulcrum-keeper --airdrop`.
  await client.withWallet(kp).faucet(client.quoteMint, 1_000_000_000_000n);
  const debug = (r: Record<string, unknown>): void => {
    if (process.env.DASHBOARD_TEST_DEBUG) console.error(JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
  };
  orderKeeper = new OrderKeeper(client.withWallet(kp), { pollMs: 2_000, metrics: new KeeperMetrics(), log: debug });
  await orderKeeper.start();
  keeper = new Keeper(client.withWallet(kp), {
    pollMs: 2_000,
    hasOrderBook: (a) => orderKeeper.hasBook(a),
    metrics: new KeeperMetrics(),
    log: (r) => {
      if (process.env.DASHBOARD_TEST_DEBUG) console.error(JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
      if (r.msg === "liquidation landed") landed.push({ account: String(r.account), kind: String(r.kind) });
    },
  });
  await keeper.start();
  dash = await startDashboard(chain.url, chain.deploymentPath, { port: 0, recomputeMs: 100, pollMs: 2_000, log: () => undefined });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await dash?.close();
  await keeper?.stop();
  await orderKeeper?.stop();
  await chain?.stop();
});

async function open(width = 1280, height = 800): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height } });
  page.on("pageerror", (e) => assert.fail(`page error: ${e.message}`));
  await page.goto(dash.url);
  await page.waitForSelector("#accounts-table tbody tr");
  return page;
}

/** The SDK's figures for the exchange panel, read from the chain now. */
async function sdkExchange(): Promise<Record<string, string>> {
  const state = await client.loadExchange(true);
  const prices = await client.fetchPrices(state);
  const mint = await client.connection.getAccountInfo(client.lpMint);
  const { valuation, supply } = lpValuation(state, prices, risk.Rounding.Down, unpackMint(client.lpMint, mint!).supply);
  const value = risk.lpPoolValue(valuation, risk.Rounding.Down);
  return {
    poolValue: value.toString(),
    sharePrice: risk.lpAmountForShares(10n ** BigInt(state.exchange.quoteDecimals), value, supply).toString(),
    insurance: state.pool.insuranceBalance.toString(),
    socialisedLoss: state.pool.socialisedLoss.toString(),
    poolBalance: state.pool.balance.toString(),
  };
}

test("the exchange panel shows the SDK's pool value, share price, insurance and socialised loss", async () => {
  const page = await open();
  const want = await sdkExchange();
  await eventually(async () => {
    for (const [field, raw] of Object.entries(want)) {
      const cell = page.locator(`#exchange [data-field="${field}"]`);
      assert.equal(await cell.getAttribute("data-raw"), raw, field);
      assert.equal(await cell.textContent(), usd(raw, deployment.quoteDecimals), field);
    }
    return true;
  }, 5_000, "the exchange figures");
  await page.screenshot({ path: join(ARTIFACTS, "dashboard-1280x800.png"), fullPage: false });
  await page.close();
});

test("an account's leverage ring is labelled with its health (overview and account page)", async () => {
  const page = await open();
  const carol = byName("carol");
  const report = (await client.accountReport(carol.account))!;
  const h = report.health;
  const want = { equity: h.maint.equity, initial: h.init.requirement, maintenance: h.maint.requirement };
  const ring = page.locator(`#rings .ring[data-account="${carol.account.toBase58()}"]`);
  for (const [key, v] of Object.entries(want)) {
    assert.equal(await ring.locator(`[data-ring="${key}"]`).getAttribute("data-raw"), v.toString(), key);
    assert.equal(await ring.locator(`[data-ring="${key}"]`).textContent(), usd(v.toString(), 6), key);
  }
  assert.equal(await ring.locator('[data-ring="state"]').textContent(), STATE_LABEL[risk.HealthState[h.state]]);
  // Readable without colour: the SVG names the state, every ring has a text label.
  assert.match((await ring.locator("svg").getAttribute("aria-label"))!, /Healthy/);
  assert.equal(await ring.locator("dt").count(), 4);
  // Keyboard: first row focused, ↓ moves, Enter opens the account page.
  await page.locator("#accounts-table tbody tr").first().focus();
  await page.keyboard.press("ArrowDown");
  const second = await page.locator("#accounts-table tbody tr").nth(1).getAttribute("data-account");
  assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.account), second);
  await page.keyboard.press("Enter");
  await page.waitForSelector(`#account-body [data-field="account"]:text("${second}")`);
  await page.goto(`${dash.url}#/account/${carol.account.toBase58()}`);
  const big = page.locator(`#account-body .ring[data-account="${carol.account.toBase58()}"]`);
  await big.waitFor();
  assert.equal(await big.locator('[data-ring="maintenance"]').getAttribute("data-raw"), h.maint.requirement.toString());
  // No tier table on this exchange: the page says so rather than showing a tier.
  assert.match((await page.locator('#account-body [data-field="tier"]').textContent())!, /no tiers on this exchange/);
  assert.ok((await page.locator("#account-events li").count()) >= 2, "deposit and trade in the account's history");
  await page.close();
});

test("the account page lists a trader's stop-loss and take-profit with the SDK's numbers; the stop fires and the page follows", async () => {
  const frank = byName("frank");
  const key = frank.account.toBase58();
  const sdk = await client.orders.openOrders(frank.account);
  assert.deepEqual(sdk.map((o) => o.kind).sort(), [OrderKind.StopLoss, OrderKind.TakeProfit]);
  const page = await open();
  // The accounts table counts them.
  await page.waitForSelector(`#accounts-table tr[data-account="${key}"] [data-field="orders"]:text-is("2")`, { timeout: 5_000 });
  await page.goto(`${dash.url}#/account/${key}`);
  await page.waitForSelector('#account-orders tr[data-order]');
  for (const o of sdk) {
    const row = page.locator(`#account-orders tr[data-order="${o.orderId}"]`);
    const raw = async (f: string): Promise<string | null> => row.locator(`[data-field="${f}"]`).getAttribute("data-raw");
    const text = async (f: string): Promise<string | null> => row.locator(`[data-field="${f}"]`).textContent();
    assert.equal(await text("kind"), ORDER_KIND_NAMES[o.kind]);
    assert.equal(await text("side"), "sell");
    assert.equal(await text("size"), "whole position");
    assert.equal(await raw("trigger"), o.triggerPrice.toString());
    const dollars = o.kind === OrderKind.StopLoss ? frank.stopLoss! : frank.takeProfit!;
    assert.equal(o.triggerPrice, enginePriceFromNumber(dollars, o.baseDecimals, deployment.quoteDecimals));
    assert.equal(await text("trigger"), `$${dollars.toLocaleString("en-US")}.00`);
    assert.equal(await raw("distance"), o.distance.ppm.toString(), "the SDK's distance to trigger");
    assert.equal(await text("distance"), `${o.distance.ppm > 0n ? "+" : ""}${(Number(o.distance.ppm) / 1e4).toFixed(2)}%`);
    assert.equal(await raw("expiry"), o.maxTs.toString());
    assert.equal(await raw("fee"), o.fee.toString());
    assert.equal(await raw("status"), "not_triggered");
  }
  assert.ok((await page.locator('#account-events li[data-event="orderPlaced"]').count()) >= 2, "both placements in the history");
  await page.screenshot({ path: join(ARTIFACTS, "dashboard-account-orders-1280x800.png"), fullPage: true });

  // BTC falls through the stop: the keeper executes it, the page drops it and shows the execution.
  const stop = sdk.find((o) => o.kind === OrderKind.StopLoss)!;
  await setLocalPrice(chain.url, "BTC", 59_000, deployment);
  await page.waitForSelector(`#account-events li[data-event="orderExecuted"]`, { timeout: 10_000 });
  await page.waitForSelector(`#account-orders tr[data-order="${stop.orderId}"]`, { state: "detached", timeout: 5_000 });
  const executed = page.locator('#account-events li[data-event="orderExecuted"]').first();
  assert.match((await executed.textContent())!, new RegExp(`#${stop.orderId} executed: −`));
  const report = (await client.accountReport(frank.account))!;
  assert.ok(report.positions.every((p) => p.base === 0n), "the stop closed the whole position");
  // The live feed too.
  await page.goto(`${dash.url}#/`);
  await page.waitForSelector(`#event-list li[data-event="orderExecuted"] a[href="#/account/${key}"]`, { timeout: 5_000 });
  await page.close();
});

test("the shock slider's prediction is what the keeper liquidates after SOL crashes; the table reorders within seconds", async () => {
  const page = await open();
  const rows = (): Promise<string[]> => page.locator("#accounts-table tbody tr").evaluateAll((trs) => trs.map((t) => (t as HTMLElement).dataset.account!));
  const before = await rows();
  // A user's shock: −20% on SOL-PERP with the keyboard.
  await page.selectOption("#liq-market", String(deployment.markets.find((m) => m.symbol === "SOL")!.index));
  await page.locator("#shock").focus();
  for (let i = 0; i < 20; i++) await page.keyboard.press("ArrowLeft");
  await page.waitForSelector('#shock-result[data-pct="-20"]');
  const predicted = (await page.locator("#shock-list li").evaluateAll((lis) => lis.map((l) => (l as HTMLElement).dataset.account!))).sort();
  const expected = ["bob", "carol", "erin"].map((n) => byName(n).account.toBase58()).sort();
  assert.deepEqual(predicted, expected, "the over-levered SOL longs");

  const crashAt = Date.now();
  await setLocalPrice(chain.url, "SOL", 120, deployment);
  // The keeper liquidates until nothing is below maintenance.
  await eventually(async () => {
    const done = new Set(landed.map((l) => l.account));
    if (!expected.every((a) => done.has(a))) return undefined;
    for (const a of expected) {
      const r = await client.accountReport(new PublicKey(a));
      if (r && r.health.state >= risk.HealthState.MarginCall) return undefined;
    }
    return true;
  }, 15_000, "the keeper's liquidations");
  assert.deepEqual([...new Set(landed.map((l) => l.account))].sort(), predicted, "the keeper liquidated exactly the predicted accounts");

  // The page: liquidated rows marked, each row's health as the SDK says, new order.
  await eventually(async () => {
    for (const a of expected) {
      const row = page.locator(`#accounts-table tr[data-account="${a}"]`);
      if ((await row.locator('[data-field="liquidated"]').count()) === 0) return undefined;
      const r = (await client.accountReport(new PublicKey(a)))!;
      if ((await row.getAttribute("data-state")) !== risk.HealthState[r.health.state]) return undefined;
    }
    return true;
  }, 5_000, "the liquidated rows");
  const shownAfter = Date.now() - crashAt;
  const now = await rows();
  assert.notDeepEqual(now, before, "the table reordered");
  assert.ok(shownAfter < 15_000, `shown ${shownAfter} ms after the crash`);
  assert.ok((await page.locator('#event-list li[data-event="liquidationEvent"]').count()) >= expected.length, "liquidations in the event feed");
  await page.screenshot({ path: join(ARTIFACTS, "dashboard-after-crash-1280x800.png"), fullPage: true });
  await page.close();
});

test("phone width: one column, no sideways scrolling of the page", async () => {
  const page = await open(390, 844);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page overflows by ${overflow}px`);
  const [a, b] = await Promise.all(["#exchange", "#leverage"].map((s) => page.locator(s).boundingBox()));
  assert.ok(a && b && b.y >= a.y + a.height - 1, "sections stack");
  await page.screenshot({ path: join(ARTIFACTS, "dashboard-390x844.png"), fullPage: true });
  await page.close();
});

test("polling fallbacks: a server without subscriptions, a page without its WebSocket: both still follow the chain", async () => {
  const polled = await startDashboard(chain.url, chain.deploymentPath, { port: 0, subscribe: false, pollMs: 500, recomputeMs: 100, log: () => undefined });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(polled.url);
    await page.waitForSelector("#accounts-table tbody tr");
    assert.match((await page.locator("#status").textContent())!, /chain polling/);
    await ethPriceShows(page, 2_900, "$2,900.00", 5_000);
    await page.close();
  } finally {
    await polled.close();
  }
  // The page's own fallback: its WebSocket refused, it polls /api/snapshot.
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.routeWebSocket(/\/ws$/, (ws) => ws.close());
  await page.goto(dash.url);
  await page.waitForSelector("#accounts-table tbody tr");
  await page.waitForFunction(() => /polling every 2 s/.test(document.getElementById("status")?.textContent ?? ""), undefined, { timeout: 5_000 });
  await ethPriceShows(page, 2_950, "$2,950.00", 8_000);
  await page.close();
});
