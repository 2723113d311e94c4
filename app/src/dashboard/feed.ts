/**
 * The dashboard's live view of one exchange: every margin account, the exchange state and the
 * oracles, kept current by WebSocket subscriptions (programSubscribe for margin accounts,
 * and for order books, accountSubscribe for oracles, markets, pool and exchange, logsSubscribe
 * for events, slotSubscribe) with a polling resync as the fallback (and the only source with
 * `subscribe: false` or when the socket fails). Rows are recomputed only for accounts that
 * changed, or all of them when a price or the exchange changed, at most every `recomputeMs`.
 */
import { unpackMint } from "@solana/spl-token";
import { BorshCoder } from "@anchor-lang/core";
import { Connection, Keypair, PublicKey } from "@solana/web3.js";
import { decodeMarginAccount, marginRiskDecoder, type MarginAccount, type MarginRiskView } from "../sdk/accounts";
import { FulcrumClient } from "../sdk/client";
import { accountReport, oracleFeeds, priceKey, riskContext, type ExchangeState, type OracleFeed, type PriceBook } from "../sdk/report";
import type { Deployment } from "../sdk/deployment";
import { LiquidationIndex } from "../sdk/liqIndex";
import { readOracle, toEnginePrice, type OracleReading } from "../sdk/oracle";
import { reportJson, tierJson, tierText } from "../cli/format";
import { tierStatus } from "../sdk/reputation";
import { openOrdersJson } from "../cli/orders";
import { decodeOrderBook, openOrderView, orderBookFilters, type OrderBook } from "../sdk/orders";
import {
  accountRow, byDistance, describeOrderEvent, exchangeSummary, leverageHistogram, liquidationMaps, marketRows, shock,
  type AccountRow, type ExchangeSummary, type LeverageBin, type LiqMap, type MarketRow, type ShockResult,
} from "./model";

export interface FeedEvent {
  at: number;
  signature: string;
  name: string;
  account: string | null;
  market: number | null;
  /** The event's fields as JSON-safe values. */
  data: Record<string, unknown>;
  /** A line for order events (`describeOrderEvent`: kind, side, size, price, cancel reason). */
  detail?: string | null;
}

export interface Snapshot {
  at: number;
  slot: number;
  /** "websocket": subscriptions live; "polling": the fallback. */
  source: "websocket" | "polling";
  quoteDecimals: number;
  exchange: ExchangeSummary;
  history: { t: number; poolValue: string; sharePrice: string }[];
  markets: MarketRow[];
  leverage: LeverageBin[];
  /** Accounts nearest liquidation first (at most `tableRows`), with their open orders' count. */
  accounts: (AccountRow & { lastLiquidation: number | null; orders: number })[];
  /** Most levered accounts with positions (their rings). */
  rings: AccountRow[];
  liquidationMaps: LiqMap[];
  events: FeedEvent[];
  /** Time the last recompute took, ms. */
  computeMs: number;
}

export interface FeedOptions {
  subscribe?: boolean;
  pollMs?: number;
  recomputeMs?: number;
  /** Least time between two liquidation maps, ms. */
  mapMs?: number;
  tableRows?: number;
  log?: (msg: string) => void;
}

interface Held {
  pk: PublicKey;
  raw: Buffer;
  full: MarginAccount;
  view: MarginRiskView;
}

const jsonSafe = (v: unknown): unknown => {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof PublicKey) return v.toBase58();
  if (v && typeof v === "object" && "toString" in v && (v as { constructor?: { name?: string } }).constructor?.name === "BN") return (v as { toString(): string }).toString();
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonSafe(x)]));
  return v;
};

export class DashboardFeed {
  readonly client: FulcrumClient;
  private readonly accounts = new Map<string, Held>();
  /** Order books (the SDK's `decodeOrderBook`) by margin account, and book address → margin account. */
  private readonly books = new Map<string, OrderBook>();
  private readonly bookOf = new Map<string, string>();
  private readonly rows = new Map<string, AccountRow>();
  private state!: ExchangeState;
  /** The SDK's liquidation-price index over every account (the map and the shock). */
  private index: LiquidationIndex | null = null;
  private prices: PriceBook = new Map();
  private readings = new Map<string, OracleReading>();
  private lpMinted = 0n;
  private slot = 0n;
  private dirtyAll = true;
  private mapsDirty = true;
  private mapsAt = 0;
  private mapsTimer: NodeJS.Timeout | null = null;
  private cachedMaps: LiqMap[] = [];
  private stateKey = "";
  private dirty = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private subs: (() => Promise<void>)[] = [];
  private history: Snapshot["history"] = [];
  private events: FeedEvent[] = [];
  private seenSigs = new Set<string>();
  private lastLiquidation = new Map<string, number>();
  private current: Snapshot | null = null;
  private socketLive = false;
  private readonly listeners = new Set<(s: Snapshot) => void>();
  private readonly decodeFast = marginRiskDecoder();
  private readonly coder: BorshCoder;
  private readonly opts: Required<FeedOptions>;

  constructor(connection: Connection, deployment: Deployment, opts: FeedOptions = {}) {
    this.client = new FulcrumClient(connection, Keypair.generate(), deployment);
    this.coder = new BorshCoder(this.client.program.idl);
    this.opts = {
      subscribe: opts.subscribe ?? true,
      pollMs: opts.pollMs ?? 5_000,
      recomputeMs: opts.recomputeMs ?? 250,
      mapMs: opts.mapMs ?? 2_000,
      tableRows: opts.tableRows ?? 50,
      log: opts.log ?? ((m) => console.error(`dashboard: ${m}`)),
    };
  }

  get connection(): Connection {
    return this.client.connection;
  }

  onSnapshot(f: (s: Snapshot) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  snapshot(): Snapshot | null {
    return this.current;
  }

  async start(): Promise<void> {
    await this.resync();
    if (this.opts.subscribe) this.subscribe();
    await this.pollEvents().catch(() => undefined);
    let ticks = 0;
    this.pollTimer = setInterval(() => {
      // With live subscriptions the full resync (every account again: ≈ 10 MB for 10,000) is only
      // a consistency check, every sixth period; without them it is the feed.
      if (this.socketLive && ++ticks % 6 !== 0) return;
      void this.resync().catch((e: unknown) => this.opts.log(`resync failed: ${String(e)}`));
      if (!this.socketLive) void this.pollEvents().catch(() => undefined);
    }, this.opts.pollMs);
    this.recompute();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (this.mapsTimer) clearTimeout(this.mapsTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    for (const u of this.subs) await u().catch(() => undefined);
    this.subs = [];
    this.listeners.clear();
  }

  /** The polling path (and the initial load): every account, the exchange, the oracles. */
  async resync(): Promise<void> {
    await this.reloadExchange();
    const all = await this.client.allMarginAccounts();
    const seen = new Set<string>();
    for (const a of all) {
      const k = a.pubkey.toBase58();
      seen.add(k);
      const held = this.accounts.get(k);
      // Unchanged bytes: nothing to redo.
      if (held && held.raw.equals(a.data)) continue;
      this.put(k, a.data);
    }
    for (const k of [...this.accounts.keys()]) if (!seen.has(k)) this.drop(k);
    const books = await this.connection.getProgramAccounts(this.client.programId, { commitment: "confirmed", filters: orderBookFilters(this.client.exchange) });
    const seenBooks = new Set<string>();
    for (const b of books) {
      seenBooks.add(b.pubkey.toBase58());
      this.putBook(b.pubkey.toBase58(), b.account.data);
    }
    for (const k of [...this.bookOf.keys()]) if (!seenBooks.has(k)) this.dropBook(k);
    this.slot = BigInt(await this.connection.getSlot());
    this.schedule();
  }

  private put(k: string, data: Buffer): void {
    const pk = this.accounts.get(k)?.pk ?? new PublicKey(k);
    const held: Held = { pk, full: decodeMarginAccount(data), view: this.decodeFast(data), raw: data };
    this.accounts.set(k, held);
    this.index?.upsert(pk, held.view);
    this.dirty.add(k);
    this.mapsDirty = true;
  }

  private putBook(address: string, data: Buffer): void {
    const book = decodeOrderBook(data);
    const account = book.marginAccount.toBase58();
    this.bookOf.set(address, account);
    this.books.set(account, book);
  }

  private dropBook(address: string): void {
    const account = this.bookOf.get(address);
    this.bookOf.delete(address);
    if (account) this.books.delete(account);
  }

  private drop(k: string): void {
    this.accounts.delete(k);
    this.rows.delete(k);
    this.index?.remove(k);
    this.mapsDirty = true;
  }

  /** Rereads the exchange, pool, markets, LP supply and oracles; every row is redone only if the exchange or the markets changed. */
  private async reloadExchange(): Promise<void> {
    this.state = await this.client.loadExchange(true);
    const key = JSON.stringify([this.state.exchange, this.state.pool, [...this.state.markets.values()].map((m) => m.market), this.state.correlations], (_k, v: unknown) =>
      typeof v === "bigint" ? v.toString() : v,
    );
    const changed = key !== this.stateKey;
    if (changed) {
      this.stateKey = key;
      this.dirtyAll = true;
      this.mapsDirty = true;
    }
    const oracles = this.oracleKeys();
    const [mint, ...infos] = await this.connection.getMultipleAccountsInfo([this.client.lpMint, ...oracles.map((o) => o.key)]);
    if (mint) this.lpMinted = unpackMint(this.client.lpMint, mint).supply;
    oracles.forEach((o, i) => {
      const info = infos[i];
      if (info) this.setOracle(o, info.data, info.owner);
    });
    if (!this.index) this.index = new LiquidationIndex(this.state, this.prices);
    else if (changed) this.index.setState(this.state, this.prices);
  }

  private oracleKeys(): OracleFeed[] {
    return oracleFeeds(this.state);
  }

  /**
   * A new reading of oracle `o`. When its price moved, the accounts holding a market or bank on it
   * are redone (the local chain and Pyth re-stamp unchanged prices every slot: nothing to redo).
   */
  private setOracle(o: { key: PublicKey; decimals: Set<number>; feedId: Uint8Array }, data: Buffer, owner: PublicKey): void {
    const reading = readOracle(data, owner, o.feedId);
    const oracle = o.key.toBase58();
    this.readings.set(oracle, reading);
    const next = new Map(this.prices);
    let moved = false;
    for (const d of o.decimals) {
      const k = priceKey(o.key, d);
      const p = toEnginePrice(reading, d, this.state.exchange.quoteDecimals);
      const old = this.prices.get(k);
      if (!old || old.oracle !== p.oracle || old.ema !== p.ema) moved = true;
      next.set(k, p);
    }
    this.prices = next;
    if (!moved) return;
    this.index?.setPrices(next);
    this.mapsDirty = true;
    const markets = new Set<number>();
    const banks = new Set<number>();
    for (const [i, m] of this.state.markets) if (m.market.oracle.toBase58() === oracle) markets.add(i);
    for (const [i, b] of this.state.banks) if (b.bank.index !== 0 && b.bank.oracle.toBase58() === oracle) banks.add(i);
    for (const [k, h] of this.accounts) {
      if (h.view.perps.some((p) => markets.has(p.marketIndex)) || h.view.collateral.some((c) => banks.has(c.bankIndex))) this.dirty.add(k);
    }
  }

  private subscribe(): void {
    const conn = this.connection;
    const live = (): void => {
      if (!this.socketLive) this.opts.log("subscriptions live");
      this.socketLive = true;
    };
    const programSub = conn.onProgramAccountChange(
      this.client.programId,
      (info) => {
        live();
        const k = info.accountId.toBase58();
        if (info.accountInfo.data.length === 0) this.drop(k);
        else this.put(k, info.accountInfo.data);
        this.schedule();
      },
      { commitment: "confirmed", filters: FulcrumClient.marginAccountFilters(this.client.exchange) },
    );
    this.subs.push(() => conn.removeProgramAccountChangeListener(programSub));
    const bookSub = conn.onProgramAccountChange(
      this.client.programId,
      (info) => {
        live();
        const k = info.accountId.toBase58();
        try {
          if (info.accountInfo.data.length === 0) this.dropBook(k);
          else this.putBook(k, info.accountInfo.data);
        } catch {
          // Closed (zeroed) or not a book: the resync settles it.
          this.dropBook(k);
        }
        this.schedule();
      },
      { commitment: "confirmed", filters: orderBookFilters(this.client.exchange) },
    );
    this.subs.push(() => conn.removeProgramAccountChangeListener(bookSub));
    for (const o of this.oracleKeys()) {
      const id = conn.onAccountChange(o.key, (info) => {
        live();
        try {
          this.setOracle(o, info.data, info.owner);
          this.schedule();
        } catch (e) {
          this.opts.log(`oracle ${o.key.toBase58()}: ${String(e)}`);
        }
      }, { commitment: "confirmed" });
      this.subs.push(() => conn.removeAccountChangeListener(id));
    }
    // Markets, pool, exchange and the LP mint: reread the exchange state (a handful of accounts).
    const exchangeKeys = [this.client.exchange, this.state.poolAddress, this.client.lpMint, ...[...this.state.markets.values()].map((m) => m.address)];
    let reloading = false;
    for (const key of exchangeKeys) {
      const id = conn.onAccountChange(key, () => {
        live();
        if (reloading) return;
        reloading = true;
        setTimeout(() => {
          void this.reloadExchange()
            .then(() => this.schedule())
            .catch((e: unknown) => this.opts.log(`exchange reload: ${String(e)}`))
            .finally(() => (reloading = false));
        }, 50);
      }, { commitment: "confirmed" });
      this.subs.push(() => conn.removeAccountChangeListener(id));
    }
    const logs = conn.onLogs(this.client.programId, (l) => {
      live();
      if (!l.err) this.addEvents(l.signature, l.logs, Date.now());
    }, "confirmed");
    this.subs.push(() => conn.removeOnLogsListener(logs));
    const slot = conn.onSlotChange((s) => {
      this.slot = BigInt(s.slot);
    });
    this.subs.push(() => conn.removeSlotChangeListener(slot));
  }

  /** Events of the program's recent transactions (the polling fallback of logsSubscribe). */
  private async pollEvents(): Promise<void> {
    const sigs = await this.connection.getSignaturesForAddress(this.client.exchange, { limit: 50 }, "confirmed");
    for (const s of sigs.reverse()) {
      if (this.seenSigs.has(s.signature) || s.err) continue;
      const tx = await this.connection.getTransaction(s.signature, { commitment: "confirmed", maxSupportedTransactionVersion: 0 });
      this.addEvents(s.signature, tx?.meta?.logMessages ?? [], (s.blockTime ?? Date.now() / 1000) * 1000);
    }
  }

  /**
   * The program's events in a transaction's logs: every `Program data:` line Anchor's coder
   * recognises. (Anchor's `EventParser` also tracks the invoke stack, which the local chain's
   * native-program logs of multi-instruction transactions do not balance; only Fulcrum emits
   * `Program data:` lines here, and the discriminator check drops anything else.)
   */
  private decodeEvents(logs: string[]): { name: string; data: unknown }[] {
    const out: { name: string; data: unknown }[] = [];
    for (const l of logs) {
      if (!l.startsWith("Program data: ")) continue;
      try {
        const e = this.coder.events.decode(l.slice("Program data: ".length));
        if (e) out.push(e);
      } catch {
        // Not one of ours.
      }
    }
    return out;
  }

  private addEvents(signature: string, logs: string[], at: number): void {
    if (this.seenSigs.has(signature)) return;
    this.seenSigs.add(signature);
    if (this.seenSigs.size > 5_000) this.seenSigs = new Set([...this.seenSigs].slice(-2_500));
    for (const e of this.decodeEvents(logs)) {
      const data = jsonSafe(e.data) as Record<string, unknown>;
      const account = (data.marginAccount ?? data.margin_account ?? null) as string | null;
      const market = (data.marketIndex ?? data.market_index ?? null) as number | null;
      this.events.push({ at, signature, name: e.name, account, market, data, detail: this.state ? describeOrderEvent(e.name, data, this.state) : null });
      if (account && /Liquidation|Bankruptcy|AutoDeleverage/i.test(e.name)) this.lastLiquidation.set(account, at);
    }
    if (this.events.length > 200) this.events = this.events.slice(-200);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.recompute();
    }, this.opts.recomputeMs);
  }

  private recompute(): void {
    if (!this.state) return;
    const t0 = performance.now();
    const keys = this.dirtyAll ? [...this.accounts.keys()] : [...this.dirty];
    const ctx = riskContext(this.state, this.prices);
    for (const k of keys) {
      const held = this.accounts.get(k);
      if (!held) continue;
      const row = accountRow(held.pk, held.full, this.state, this.prices, ctx);
      if (row) this.rows.set(k, row);
      else this.rows.delete(k);
    }
    this.dirtyAll = false;
    this.dirty.clear();
    const rows = [...this.rows.values()];
    const exchange = exchangeSummary(this.state, this.prices, this.lpMinted, this.accounts.size);
    const now = Date.now();
    const last = this.history[this.history.length - 1];
    if (!last || last.poolValue !== exchange.poolValue || last.sharePrice !== exchange.sharePrice || now - last.t > 10_000) {
      this.history.push({ t: now, poolValue: exchange.poolValue, sharePrice: exchange.sharePrice });
      if (this.history.length > 500) this.history = this.history.slice(-500);
    }
    const nearest = rows.filter((r) => r.positions.length > 0 || this.lastLiquidation.has(r.pubkey)).sort(byDistance).slice(0, this.opts.tableRows);
    const rings = rows
      .filter((r) => r.leverage !== null && r.positions.length > 0)
      .sort((a, b) => (BigInt(b.leverage!) > BigInt(a.leverage!) ? 1 : -1))
      .slice(0, 6);
    this.current = {
      at: now,
      slot: Number(this.slot),
      source: this.socketLive ? "websocket" : "polling",
      quoteDecimals: this.state.exchange.quoteDecimals,
      exchange,
      history: this.history,
      markets: marketRows(this.state, this.prices, this.readings, Math.floor(now / 1000)),
      leverage: leverageHistogram(rows),
      accounts: nearest.map((r) => ({ ...r, lastLiquidation: this.lastLiquidation.get(r.pubkey) ?? null, orders: this.books.get(r.pubkey)?.orders.length ?? 0 })),
      rings,
      liquidationMaps: this.maps(now),
      events: this.events.slice(-100).reverse(),
      computeMs: Math.round(performance.now() - t0),
    };
    for (const f of this.listeners) f(this.current);
  }

  /**
   * The liquidation maps as last computed. `LiquidationIndex.map` evaluates every position (≈ 0.9 s
   * for 3 markets of 10,000 accounts under load), so it runs apart from the rows, after them, at
   * most every `mapMs`, and pushes its own snapshot: a price move reaches the page first.
   */
  private maps(now: number): LiqMap[] {
    if (this.index && this.mapsDirty && !this.mapsTimer) {
      this.mapsTimer = setTimeout(() => {
        this.mapsTimer = null;
        if (!this.index) return;
        this.mapsDirty = false;
        this.cachedMaps = liquidationMaps(this.state, this.prices, this.index);
        this.mapsAt = Date.now();
        this.recompute();
      }, Math.max(0, this.opts.mapMs - (now - this.mapsAt)));
    }
    return this.cachedMaps;
  }

  shock(marketIndex: number, pct: number): ShockResult {
    if (!this.index) throw new Error("not loaded yet");
    return shock(this.state, this.prices, this.index, (k) => this.accounts.get(k)?.view, this.slot, marketIndex, pct);
  }

  /**
   * An account page: the SDK's report (as `fulcrum account --json`), its row, its open orders (as
   * `fulcrum order list --json`: the SDK's `openOrderView` at the feed's prices, distance to
   * trigger by `risk.distanceToTrigger`) and its events.
   */
  async account(pubkey: string): Promise<Record<string, unknown> | null> {
    const address = new PublicKey(pubkey);
    const [info, bookInfo] = await this.connection.getMultipleAccountsInfo([address, this.client.orders.address(address)]);
    if (!info) return null;
    const full = decodeMarginAccount(info.data);
    const book = bookInfo && bookInfo.data.length > 0 ? decodeOrderBook(bookInfo.data) : null;
    const now = BigInt(Math.floor(Date.now() / 1000));
    const orders = (book?.orders ?? []).map((o) => {
      const m = this.state.markets.get(o.marketIndex)?.market;
      const reading = m && this.readings.get(m.oracle.toBase58());
      const price = m && this.prices.get(priceKey(m.oracle, m.baseDecimals));
      return openOrderView(o, this.state, reading && price ? { reading, price } : null, now, this.slot);
    });
    const report = accountReport(address, full, this.state, this.prices, this.client.bankSymbols);
    const sigs = await this.connection.getSignaturesForAddress(address, { limit: 30 }, "confirmed");
    const history: FeedEvent[] = [];
    for (const s of sigs) {
      if (s.err) continue;
      const tx = await this.connection.getTransaction(s.signature, { commitment: "confirmed", maxSupportedTransactionVersion: 0 });
      for (const e of this.decodeEvents(tx?.meta?.logMessages ?? [])) {
        const data = jsonSafe(e.data) as Record<string, unknown>;
        const account = (data.marginAccount ?? data.margin_account ?? null) as string | null;
        if (account && account !== pubkey) continue;
        history.push({
          at: (s.blockTime ?? 0) * 1000, signature: s.signature, name: e.name, account, market: (data.marketIndex ?? data.market_index ?? null) as number | null, data,
          detail: describeOrderEvent(e.name, data, this.state),
        });
      }
    }
    // Its reputation tier, as `fulcrum account` shows it (none while the exchange has no table).
    const table = this.state.exchange.reputation;
    const q = this.state.exchange.quoteDecimals;
    const markets = [...this.state.markets.values()].map((m) => m.market);
    const tier = full.reputation && table && table.numTiers > 0 ? tierStatus(full.reputation, table, q, markets, now) : null;
    return {
      report: reportJson(report, q),
      tier: tier && { ...tierJson(tier), text: tierText(tier, q) },
      row: accountRow(address, full, this.state, this.prices),
      orders: book ? openOrdersJson(orders) : null,
      history,
    };
  }
}
