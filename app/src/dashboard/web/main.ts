/**
 * The dashboard page: renders the server's snapshots (WebSocket `/ws`, or `/api/snapshot` polled
 * every 2 s while the socket is down) with Chart.js; the account page is `#/account/<pubkey>`.
 * Every figure is the server's (SDK and risk mirror); this file only lays them out.
 */
import {
  BarController, BarElement, CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip,
} from "chart.js";
import type { AccountRow, ShockResult } from "../model";
import type { FeedEvent, Snapshot } from "../feed";
import { base, lev, pct, price, priceNumber, short, STATE_LABEL, usd } from "./format";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip, Legend, Filler);

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const esc = (v: string): string => v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

let snap: Snapshot | null = null;
let transport: "websocket" | "polling" | "connecting" = "connecting";
const charts: { pool?: Chart; leverage?: Chart; liq?: Chart } = {};
const firstData = performance.now();
let firstRender: number | null = null;

// ------------------------------------------------------------------ transport

function connect(): void {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  let poll: number | null = null;
  ws.onmessage = (m) => {
    transport = "websocket";
    render(JSON.parse(String(m.data)) as Snapshot);
  };
  ws.onclose = () => {
    transport = "polling";
    if (poll === null) poll = window.setInterval(() => void pollOnce(), 2_000);
    void pollOnce();
    setTimeout(() => {
      if (poll !== null) clearInterval(poll);
      connect();
    }, 5_000);
  };
}

async function pollOnce(): Promise<void> {
  try {
    const r = await fetch("/api/snapshot", { cache: "no-store" });
    if (r.ok) render((await r.json()) as Snapshot);
  } catch {
    // The server is down too: the status line says when data was last seen.
  }
}

// ------------------------------------------------------------------ overview

function render(s: Snapshot | null): void {
  if (!s) return;
  snap = s;
  const age = Math.round((Date.now() - s.at) / 1000);
  $("status").textContent = `${transport === "websocket" ? "live (WebSocket)" : transport === "polling" ? "polling every 2 s" : "connecting"} · chain ${s.source === "websocket" ? "subscriptions" : "polling"} · slot ${s.slot} · ${s.exchange.accounts} accounts · updated ${age <= 1 ? "now" : `${age}s ago`}`;
  if (location.hash.startsWith("#/account/")) {
    // The open account page follows the chain too: reread at most every 1.5 s.
    if (Date.now() - accountShownAt > 1_500) void showAccount(location.hash.slice("#/account/".length), true);
    return;
  }
  renderExchange(s);
  renderMarkets(s);
  renderLeverage(s);
  renderLiqMap(s);
  renderAccounts(s);
  renderEvents(s.events, $("event-list"), s);
  // A standing shock is recomputed from the new prices and accounts, at most every 2 s.
  if ($<HTMLInputElement>("shock").value !== "0" && Date.now() - lastShock > 2_000) void runShock();
  if (firstRender === null) {
    firstRender = performance.now();
    document.body.dataset.firstRenderMs = String(Math.round(firstRender - firstData));
  }
  document.body.dataset.snapshotAt = String(s.at);
}

function figure(field: string, label: string, raw: string, text: string): string {
  return `<div><dt>${esc(label)}</dt><dd data-field="${field}" data-raw="${esc(raw)}">${esc(text)}</dd></div>`;
}

function renderExchange(s: Snapshot): void {
  const e = s.exchange;
  const d = s.quoteDecimals;
  const adl = e.adl.map((a) => `${a.market}: ${pct(a.ratio)} of pool (cap ${a.maxPnlFactor ? pct(a.maxPnlFactor, 0) : "off"}, ADL ${a.threshold ? `at ${pct(a.threshold, 0)}` : "off"}${a.above ? ", ABOVE" : ""})`).join("; ");
  $("exchange-figures").innerHTML = [
    figure("poolValue", "Pool value", e.poolValue, usd(e.poolValue, d)),
    figure("sharePrice", "LP share price", e.sharePrice, usd(e.sharePrice, d)),
    figure("tradersPnl", "Traders' net unrealised PnL", e.tradersPnl, usd(e.tradersPnl, d)),
    figure("poolBalance", "Pool cash", e.poolBalance, usd(e.poolBalance, d)),
    figure("utilisation", "Utilisation (max market)", e.utilisation, pct(e.utilisation)),
    figure("insurance", "Insurance fund", e.insurance, usd(e.insurance, d)),
    figure("socialisedLoss", "Socialised loss to date", e.socialisedLoss, usd(e.socialisedLoss, d)),
    figure("unresolvedBadDebt", "Unresolved bad debt", e.unresolvedBadDebt, usd(e.unresolvedBadDebt, d)),
    figure("paused", "Paused", e.paused.join(","), e.paused.length ? e.paused.join(", ") : "nothing"),
    figure("accounts", "Margin accounts", String(e.accounts), e.accounts.toLocaleString("en-US")),
  ].join("") + `<div style="grid-column: 1 / -1"><dt>PnL cap / ADL</dt><dd data-field="adl">${esc(adl || "—")}</dd></div>`;
  const labels = s.history.map((h) => new Date(h.t).toLocaleTimeString());
  const data = s.history.map((h) => Number(h.poolValue) / 10 ** d);
  const share = s.history.map((h) => Number(h.sharePrice) / 10 ** d);
  if (!charts.pool) {
    charts.pool = new Chart($<HTMLCanvasElement>("pool-chart"), {
      type: "line",
      data: {
        labels,
        datasets: [
          { label: "Pool value ($, left)", data, borderColor: "#1b2a4a", backgroundColor: "rgba(47,95,167,.15)", fill: true, pointRadius: 2, yAxisID: "y" },
          { label: "LP share price ($, right)", data: share, borderColor: "#2e9d4f", borderDash: [6, 3], pointRadius: 2, yAxisID: "y1" },
        ],
      },
      options: {
        animation: false, maintainAspectRatio: false,
        scales: {
          y: { ticks: { callback: (v) => `$${Number(v).toLocaleString("en-US")}` } },
          y1: { position: "right", grid: { drawOnChartArea: false }, ticks: { callback: (v) => `$${Number(v).toFixed(4)}` } },
        },
      },
    });
  } else {
    charts.pool.data.labels = labels;
    charts.pool.data.datasets[0]!.data = data;
    charts.pool.data.datasets[1]!.data = share;
    charts.pool.update("none");
  }
}

function renderMarkets(s: Snapshot): void {
  const d = s.quoteDecimals;
  $("markets-table").querySelector("tbody")!.innerHTML = s.markets.map((m) => {
    // σ per √day from the EWMA variance (ppm² per second): √(v × 86400) ppm.
    const sigmaDay = Math.sqrt(Number(m.variance) * 86_400);
    const cap = (v: string): string => (BigInt(v) >= 1n << 60n ? "no cap" : usd(v, d));
    return `<tr data-market="${m.index}"><td>${esc(m.name)}</td><td data-field="oracle">${price(m.oracle, m.baseDecimals, d)}</td><td>${price(m.ema, m.baseDecimals, d)}</td>
      <td>${pct(m.conf, 3)}</td><td>${m.staleSecs}s</td><td>${pct(sigmaDay)}</td><td>${pct(m.initRatio, 1)} / ${pct(m.maintRatio, 1)}</td>
      <td>${(1e6 / m.initRatio).toFixed(1)}x</td><td>${pct(m.fundingRate, 4)}</td><td>${pct(m.borrowRate, 4)}</td>
      <td>${usd(m.longOi, d)} / ${cap(m.longOiCap)}</td><td>${usd(m.shortOi, d)} / ${cap(m.shortOiCap)}</td><td>${esc(m.breaker)}</td></tr>`;
  }).join("");
}

/** Concentric rings: radius ∝ value (equity outermost when healthy); each ring labelled in the list beside it. */
export function ringSvg(r: AccountRow, d: number, size = 110): string {
  const rings = [
    { key: "equity", label: "Equity (maint.)", raw: r.maintEquity, color: "#1b2a4a", dash: "" },
    { key: "initial", label: "Initial requirement", raw: r.initRequirement, color: "#2f5fa7", dash: "6 3" },
    { key: "maintenance", label: "Maintenance requirement", raw: r.maintRequirement, color: "#1f8a8a", dash: "2 2" },
    { key: "liquidation", label: "Liquidation point", raw: r.liquidationPoint, color: "#2e9d4f", dash: "1 4" },
  ];
  const max = Math.max(1, ...rings.map((x) => Math.max(0, Number(x.raw))));
  const c = size / 2;
  const circles = rings.map((x) => {
    const radius = Math.max(2, (Math.max(0, Number(x.raw)) / max) * (c - 4));
    return `<circle cx="${c}" cy="${c}" r="${radius.toFixed(1)}" fill="none" stroke="${x.color}" stroke-width="${x.key === "equity" ? 5 : 3}" stroke-dasharray="${x.dash}"><title>${x.label}: ${usd(x.raw, d)}</title></circle>`;
  }).join("");
  const items = rings.map((x) => `<dt>${x.label}</dt><dd data-ring="${x.key}" data-raw="${esc(x.raw)}">${usd(x.raw, d)}</dd>`).join("");
  return `<svg width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" role="img" aria-label="Leverage rings of ${short(r.pubkey)}: ${STATE_LABEL[r.state] ?? r.state}">${circles}</svg>
    <div><h4><a href="#/account/${r.pubkey}">${short(r.pubkey)}</a> · ${lev(r.leverage)} · <span class="state-${r.state}" data-ring="state">${STATE_LABEL[r.state] ?? r.state}</span></h4><dl>${items}</dl></div>`;
}

function renderLeverage(s: Snapshot): void {
  const d = s.quoteDecimals;
  const labels = s.leverage.map((b) => b.label);
  const data = s.leverage.map((b) => Number(b.notional) / 10 ** d);
  if (!charts.leverage) {
    charts.leverage = new Chart($<HTMLCanvasElement>("leverage-chart"), {
      type: "bar",
      data: { labels, datasets: [{ label: "Open notional ($) by effective leverage", data, backgroundColor: "#2f5fa7" }] },
      options: {
        animation: false, maintainAspectRatio: false,
        plugins: { tooltip: { callbacks: { afterLabel: (ctx) => `${snap?.leverage[ctx.dataIndex]?.accounts ?? 0} accounts` } } },
        scales: { y: { ticks: { callback: (v) => `$${Number(v).toLocaleString("en-US")}` } } },
      },
    });
  } else {
    charts.leverage.data.labels = labels;
    charts.leverage.data.datasets[0]!.data = data;
    charts.leverage.update("none");
  }
  $("rings").innerHTML = s.rings.map((r) => `<div class="ring" data-account="${r.pubkey}">${ringSvg(r, d)}</div>`).join("");
}

let shockTimer: number | null = null;
let lastShock = 0;

function renderLiqMap(s: Snapshot): void {
  const sel = $<HTMLSelectElement>("liq-market");
  if (sel.options.length !== s.liquidationMaps.length) {
    sel.innerHTML = s.liquidationMaps.map((m) => `<option value="${m.marketIndex}">${esc(m.name)}</option>`).join("");
  }
  const map = s.liquidationMaps.find((m) => String(m.marketIndex) === sel.value) ?? s.liquidationMaps[0];
  if (!map) return;
  const d = s.quoteDecimals;
  const market = s.markets.find((m) => m.index === map.marketIndex);
  const bd = market?.baseDecimals ?? 9;
  const now = priceNumber(map.price, bd, d);
  const labels = map.bins.map((b) => `${b.pct > 0 ? "+" : ""}${b.pct}% ($${(now * (1 + b.pct / 100)).toFixed(now >= 1000 ? 0 : 2)})`);
  const longs = map.bins.map((b) => Number(b.long) / 10 ** d);
  const shorts = map.bins.map((b) => Number(b.short) / 10 ** d);
  if (!charts.liq) {
    charts.liq = new Chart($<HTMLCanvasElement>("liq-chart"), {
      type: "bar",
      data: { labels, datasets: [
        { label: "Longs liquidated ($ notional)", data: longs, backgroundColor: "#b3261e" },
        { label: "Shorts liquidated ($ notional)", data: shorts, backgroundColor: "#1f8a8a" },
      ] },
      options: { animation: false, maintainAspectRatio: false, scales: { x: { stacked: true }, y: { stacked: true } } },
    });
  } else {
    charts.liq.data.labels = labels;
    charts.liq.data.datasets[0]!.data = longs;
    charts.liq.data.datasets[1]!.data = shorts;
    charts.liq.update("none");
  }
}

async function runShock(): Promise<void> {
  const market = $<HTMLSelectElement>("liq-market").value || "0";
  const p = Number($<HTMLInputElement>("shock").value);
  lastShock = Date.now();
  $("shock-out").textContent = `${p > 0 ? "+" : ""}${p}%`;
  const r = await fetch(`/api/shock?market=${market}&pct=${p}`, { cache: "no-store" });
  if (!r.ok) return;
  const res = (await r.json()) as ShockResult;
  const s = snap;
  const m = s?.markets.find((x) => x.index === res.marketIndex);
  const to = s && m ? price(res.price, m.baseDecimals, s.quoteDecimals) : res.price;
  const result = $("shock-result");
  result.dataset.pct = String(res.pct);
  result.dataset.count = String(res.accounts.length);
  result.textContent = `A ${p > 0 ? "+" : ""}${p}% move of ${m?.name ?? "the market"} (to ${to}) makes ${res.accounts.length} account${res.accounts.length === 1 ? "" : "s"} liquidatable.`;
  $("shock-list").innerHTML = res.accounts.slice(0, 200).map((a) => `<li data-account="${a.pubkey}"><a href="#/account/${a.pubkey}">${short(a.pubkey)}</a> ${esc(a.action.replace("_", " "))}</li>`).join("");
}

function renderAccounts(s: Snapshot): void {
  const d = s.quoteDecimals;
  const tbody = $("accounts-table").querySelector("tbody")!;
  const focused = (document.activeElement as HTMLElement | null)?.closest("tr")?.dataset.account;
  const baseDecimals = new Map(s.markets.map((m) => [m.index, m.baseDecimals]));
  tbody.innerHTML = s.accounts.map((r) => {
    const liq = r.positions.map((p) => `${esc(p.market)} ${p.side}${p.isolated ? " (isolated)" : ""} ${price(p.liquidationPrice, baseDecimals.get(p.marketIndex) ?? 9, d)}`).join("; ") || "no positions";
    const liquidated = r.lastLiquidation !== null ? `<span class="badge" data-field="liquidated">liquidated ${new Date(r.lastLiquidation).toLocaleTimeString()}</span>` : "";
    const call = r.inMarginCall ? `<span class="badge">in margin call</span>` : "";
    return `<tr tabindex="0" data-account="${r.pubkey}" data-state="${r.state}"><td><a href="#/account/${r.pubkey}" tabindex="-1">${short(r.pubkey)}</a></td><td>${short(r.owner)}</td><td>${r.mode}</td>
      <td data-raw="${r.equity}">${usd(r.equity, d)}</td><td>${lev(r.leverage)}</td><td class="state-${r.state}" data-field="state">${STATE_LABEL[r.state] ?? r.state}${call}${liquidated}</td>
      <td data-field="distance">${r.distance === null ? "—" : pct(r.distance)}</td><td>${liq}</td><td data-field="orders">${r.orders}</td></tr>`;
  }).join("");
  if (focused) (tbody.querySelector(`tr[data-account="${focused}"]`) as HTMLElement | null)?.focus();
}

function renderEvents(events: FeedEvent[], list: HTMLElement, s: Snapshot): void {
  list.innerHTML = events.map((e) => {
    const acct = e.account ? ` <a href="#/account/${e.account}">${short(e.account)}</a>` : "";
    const market = e.market !== null ? ` ${esc(s.markets.find((m) => m.index === e.market)?.name ?? `market ${e.market}`)}` : "";
    const detail = e.detail ? ` <span data-field="detail">${esc(e.detail)}</span>` : "";
    const reason = e.name.toLowerCase() === "ordercancelled" ? ` data-reason="${esc(String(e.data.reason))}"` : "";
    return `<li data-event="${esc(e.name)}"${reason}><time>${new Date(e.at).toLocaleTimeString()}</time> <strong>${esc(e.name.replace(/Event$/, ""))}</strong>${market}${acct}${detail}</li>`;
  }).join("") || "<li>no events yet</li>";
}

// ------------------------------------------------------------------ account page

/** One open order as the server sends it (`openOrdersJson`, the SDK's figures). */
interface OrderJson {
  orderId: string; market: string; marketIndex: number; kind: string; side: string; baseSize: string; wholePosition: boolean; reduceOnly: boolean;
  triggerPrice: string; limitPrice: string; maxTs: string; feeLamports: string; oracle: string; distance: string; distancePpm: string;
  wouldFill: boolean; notFilledBecause?: string;
}

const NOT_FILLED: Record<string, string> = {
  expired: "expired", price_not_newer: "awaits a newer price", not_triggered: "waiting", outside_band: "outside EMA band", slippage: "past its limit",
};

function ordersTable(orders: OrderJson[] | null, s: Snapshot | null, d: number): string {
  if (!orders || orders.length === 0) return `<p id="account-orders" data-count="0">No open orders${orders ? "" : " (no order book)"}.</p>`;
  const cell = (field: string, raw: string, text: string): string => `<td data-field="${field}" data-raw="${esc(raw)}">${esc(text)}</td>`;
  const rows = orders.map((o) => {
    const bd = s?.markets.find((m) => m.index === o.marketIndex)?.baseDecimals ?? 9;
    const px = (v: string): string => (v === "0" ? "—" : price(v, bd, d));
    const whole = o.wholePosition || (o.reduceOnly && o.baseSize === "0");
    const dist = o.kind === "market" ? "—" : o.distancePpm === "0" && o.distance === "0" ? "reached" : `${Number(o.distancePpm) > 0 ? "+" : ""}${pct(o.distancePpm)}`;
    const expiry = o.maxTs === "0" ? "none" : new Date(Number(o.maxTs) * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC";
    return `<tr data-order="${esc(o.orderId)}" data-kind="${esc(o.kind)}">${cell("id", o.orderId, o.orderId)}${cell("market", o.market, o.market)}${cell("kind", o.kind, o.kind)}${cell("side", o.side, o.side)}
      ${cell("size", o.baseSize, whole ? "whole position" : base(o.baseSize, bd))}${cell("trigger", o.triggerPrice, px(o.triggerPrice))}${cell("limit", o.limitPrice, px(o.limitPrice))}
      ${cell("distance", o.distancePpm, dist)}${cell("expiry", o.maxTs, expiry)}${cell("fee", o.feeLamports, `${(Number(o.feeLamports) / 1e9).toFixed(6)} SOL`)}
      ${cell("status", o.wouldFill ? "fill" : o.notFilledBecause ?? "", o.wouldFill ? "fills now" : NOT_FILLED[o.notFilledBecause ?? ""] ?? o.notFilledBecause ?? "")}</tr>`;
  }).join("");
  return `<div class="scroll"><table id="account-orders" data-count="${orders.length}"><thead><tr><th scope="col">Id</th><th scope="col">Market</th><th scope="col">Kind</th><th scope="col">Side</th><th scope="col">Size</th><th scope="col">Trigger / limit</th><th scope="col">Worst fill</th><th scope="col">To trigger</th><th scope="col">Expires</th><th scope="col">Keeper fee</th><th scope="col">Now</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

let accountShownAt = 0;

async function showAccount(pubkey: string, refresh = false): Promise<void> {
  accountShownAt = Date.now();
  $("overview").hidden = true;
  $("account-page").hidden = false;
  const body = $("account-body");
  if (!refresh) body.innerHTML = `<p>Loading ${esc(pubkey)}…</p>`;
  const r = await fetch(`/api/account/${pubkey}`, { cache: "no-store" });
  // The user moved on while this was read.
  if (location.hash !== `#/account/${pubkey}`) return;
  if (!r.ok) {
    body.innerHTML = `<p>Account ${esc(pubkey)}: ${r.status === 404 ? "not found" : "could not be read"}.</p>`;
    return;
  }
  const a = (await r.json()) as { report: Record<string, unknown>; tier: { tier: number; text: string } | null; row: AccountRow | null; orders: OrderJson[] | null; history: FeedEvent[] };
  const d = snap?.quoteDecimals ?? 6;
  const rep = a.report as { owner: string; marginMode: string; healthState: string; freeCollateral: string; collateral: { symbol: string; amount: string; decimals: number; rate?: string; depegPpm?: number }[]; positions: { market: string; marketIndex: number; base: string; baseDecimals: number; entryPrice: string; markPrice: string; unrealizedPnl: string; liquidationPrice: string | null; isolated: boolean }[] };
  const positions = rep.positions.map((p) => `<tr><td>${esc(p.market)}${p.isolated ? " (isolated)" : ""}</td><td>${base(p.base, p.baseDecimals)}</td><td>${price(p.entryPrice, p.baseDecimals, d)}</td><td>${price(p.markPrice, p.baseDecimals, d)}</td><td>${usd(p.unrealizedPnl, d)}</td><td>${price(p.liquidationPrice, p.baseDecimals, d)}</td></tr>`).join("");
  // A rate-priced collateral (an LST) with the rate it is priced at (underlying × rate × depeg).
  const rated = (c: { rate?: string; depegPpm?: number }): string =>
    c.rate === undefined ? "" : ` <span data-field="rate">× rate ${base(c.rate, 12)}${c.depegPpm !== undefined && c.depegPpm < 1_000_000 ? ` × depeg ${(c.depegPpm / 1e6).toFixed(4)}` : ""}</span>`;
  const collateral = rep.collateral.map((c) => `<li>${esc(c.symbol)}: ${base(c.amount, c.decimals)}${rated(c)}</li>`).join("") || "<li>none</li>";
  body.innerHTML = `<h2>Account <span data-field="account">${esc(pubkey)}</span></h2>
    <p>Owner ${esc(rep.owner)} · ${esc(rep.marginMode)} margin · <span class="state-${a.row?.state ?? ""}" data-field="state">${esc(STATE_LABEL[a.row?.state ?? ""] ?? rep.healthState)}</span> · free collateral ${usd(rep.freeCollateral, d)}</p>
    ${a.row ? `<div class="ring" data-account="${pubkey}">${ringSvg(a.row, d, 180)}</div>` : ""}
    <h3>Positions</h3><div class="scroll"><table><thead><tr><th scope="col">Market</th><th scope="col">Size</th><th scope="col">Entry</th><th scope="col">Mark</th><th scope="col">Unrealised PnL</th><th scope="col">Liquidation price</th></tr></thead><tbody>${positions || `<tr><td colspan="6">no positions</td></tr>`}</tbody></table></div>
    <h3>Collateral</h3><ul>${collateral}</ul>
    <h3>Reputation</h3>${a.tier ? `<pre data-field="tier" data-raw="${a.tier.tier}">${esc(a.tier.text.replace(/^ {2}/gm, ""))}</pre>` : `<p data-field="tier">no tiers on this exchange (every account at the markets' own ratios)</p>`}
    <h3>Orders</h3>${ordersTable(a.orders, snap, d)}
    <h3>History</h3><ol id="account-events"></ol>`;
  if (snap) renderEvents(a.history, $("account-events"), snap);
}

function route(): void {
  const m = /^#\/account\/([1-9A-HJ-NP-Za-km-z]{32,44})$/.exec(location.hash);
  if (m) {
    void showAccount(m[1]!);
    return;
  }
  $("overview").hidden = false;
  $("account-page").hidden = true;
  render(snap);
}

// ------------------------------------------------------------------ keyboard and controls

$("accounts-table").addEventListener("keydown", (e) => {
  const row = (e.target as HTMLElement).closest("tr");
  if (!row || row.parentElement?.tagName !== "TBODY") return;
  if (e.key === "ArrowDown" || e.key === "ArrowUp") {
    const next = (e.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling) as HTMLElement | null;
    next?.focus();
    e.preventDefault();
  } else if (e.key === "Enter") {
    location.hash = `#/account/${row.dataset.account}`;
  }
});
$("accounts-table").addEventListener("click", (e) => {
  const row = (e.target as HTMLElement).closest("tbody tr") as HTMLElement | null;
  if (row) location.hash = `#/account/${row.dataset.account}`;
});
$("shock").addEventListener("input", () => {
  if (shockTimer !== null) clearTimeout(shockTimer);
  shockTimer = window.setTimeout(() => void runShock(), 120);
});
$("liq-market").addEventListener("change", () => {
  render(snap);
  void runShock();
});
window.addEventListener("hashchange", route);

void pollOnce().then(() => {
  route();
  connect();
  void runShock();
});
