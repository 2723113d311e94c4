/**
 * The keeper's order executor (issue 16): watches every order book of the exchange and every
 * market's oracle, and sends
 * - `execute_order` for each order that would fill now by the program's rules
 *   (`risk.orderFillCheck`: a price published after placement, the trigger / limit condition,
 *   the EMA band, the slippage bound), delayed market orders included (they fill at the first
 *   price published after they were placed);
 * - `cancel_expired_order` for each order past its `max_ts`.
 * Each pays the order's escrowed fee to the keeper. An order the program cancels instead of
 * filling (margin, reduce-only with nothing to reduce) still pays; a refused execution (another
 * keeper was first, the price moved back) is counted by its error and retried after a cooldown.
 *
 * Feed: `getProgramAccounts` of the order books at start, then `programSubscribe` (order books)
 * and `accountSubscribe` (oracles, markets, exchange), with a polling resync as the fallback.
 * Metrics (`KeeperMetrics`): orders executed by kind and outcome, trigger price to landed
 * latency, rewards earned (lamports), failures by reason.
 */
import { PublicKey } from "@solana/web3.js";
import * as risk from "../risk";
import { decodeExchange, decodeMarket, type PerpMarket } from "../sdk/accounts";
import { FulcrumClient, type ExchangeState } from "../sdk/client";
import { decodeError } from "../sdk/errors";
import { readOracle, toEnginePrice, type OracleReading } from "../sdk/oracle";
import { decodeOrderBook, orderBookFilters, orderMarketView, ORDER_KIND_NAMES, triggerBandOf, type Order, type OrderBook } from "../sdk/orders";
import { Debounced, Subscriptions, waitUntil } from "./feed";
import { jsonLog } from "./keeper";
import { KeeperMetrics } from "./metrics";

/** A market's latest oracle price as the keeper saw it. */
export interface MarketPrice {
  reading: OracleReading;
  price: risk.Price;
  /** When the keeper received it (ms, local clock). */
  receivedAt: number;
}

/** What the keeper would send for one order. */
export type OrderAction = { kind: "execute" } | { kind: "cancel_expired" };

export interface OrderCandidate {
  book: string;
  account: string;
  order: Order;
  action: OrderAction;
}

/**
 * Every order of `books` the keeper can act on now: expired ones to clean, and ones
 * `risk.orderFillCheck` says would fill at the market's latest price (none without a price).
 */
export function orderScan(
  books: Iterable<[string, OrderBook]>,
  state: ExchangeState,
  prices: ReadonlyMap<number, MarketPrice>,
  now: bigint,
  slot?: bigint,
): OrderCandidate[] {
  const out: OrderCandidate[] = [];
  const band = triggerBandOf(state);
  for (const [book, b] of books) {
    const account = b.marginAccount.toBase58();
    for (const o of b.orders) {
      if (risk.isExpired(o, now)) {
        out.push({ book, account, order: o, action: { kind: "cancel_expired" } });
        continue;
      }
      const m = state.markets.get(o.marketIndex);
      const p = prices.get(o.marketIndex);
      if (!m || !p) continue;
      try {
        const v = orderMarketView(m.market, p.reading, p.price, o.side, now, band, slot);
        if (risk.keeperShouldExecute(o, v)) out.push({ book, account, order: o, action: { kind: "execute" } });
      } catch {
        // A price the engine cannot use (zero, overflow): nothing to do for this order.
      }
    }
  }
  return out;
}

export interface OrderKeeperOptions {
  /** Full resync period (the polling fallback), ms. */
  pollMs?: number;
  /** Debounce between a change and the scan it triggers, ms. */
  debounceMs?: number;
  /** Most transactions in flight at once. */
  concurrency?: number;
  /** Wait before retrying an order whose transaction failed, ms. */
  cooldownMs?: number;
  log?: (record: Record<string, unknown>) => void;
  metrics?: KeeperMetrics;
  /** WebSocket subscriptions (default true); false: polling only. */
  subscribe?: boolean;
  /** The chain's unix time (default: the local clock). */
  now?: () => bigint;
}

export class OrderKeeper {
  readonly metrics: KeeperMetrics;
  private readonly books = new Map<string, OrderBook>();
  private readonly prices = new Map<number, MarketPrice>();
  private state!: ExchangeState;
  private slot = 0n;
  private readonly inFlight = new Set<string>();
  private readonly cooldown = new Map<string, number>();
  /** When an order was first seen fillable (the receipt of the price that made it so), ms. */
  private readonly firstSeen = new Map<string, number>();
  private timers: NodeJS.Timeout[] = [];
  private readonly subs: Subscriptions;
  private readonly scan: Debounced;
  private feedSeen = false;
  private readonly opts: Required<Omit<OrderKeeperOptions, "metrics">>;
  /** Trigger-to-landed latencies of the executions that filled, ms (for tests and the demo). */
  readonly latencies: number[] = [];

  constructor(readonly client: FulcrumClient, opts: OrderKeeperOptions = {}) {
    this.metrics = opts.metrics ?? new KeeperMetrics();
    this.opts = {
      pollMs: opts.pollMs ?? 5_000,
      debounceMs: opts.debounceMs ?? 10,
      concurrency: opts.concurrency ?? 8,
      cooldownMs: opts.cooldownMs ?? 1_000,
      log: opts.log ?? jsonLog,
      subscribe: opts.subscribe ?? true,
      now: opts.now ?? (() => BigInt(Math.floor(Date.now() / 1000))),
    };
    this.subs = new Subscriptions(client.connection);
    this.scan = new Debounced(() => this.runScan(), this.opts.debounceMs);
  }

  private log(level: string, msg: string, extra: Record<string, unknown> = {}): void {
    this.opts.log({ level, msg, component: "orders", ...extra });
  }

  async start(): Promise<void> {
    this.state = await this.client.loadExchange(true);
    await this.resync();
    if (this.opts.subscribe) this.subscribe();
    this.timers.push(setInterval(() => void this.resync().catch((e: unknown) => this.log("warn", "order resync failed", { error: String(e) })), this.opts.pollMs));
    this.log("info", "order keeper started", { books: this.books.size, orders: this.openOrders, subscribe: this.opts.subscribe });
  }

  async stop(): Promise<void> {
    this.scan.close();
    for (const t of this.timers) clearInterval(t);
    await this.subs.clear();
  }

  /** The polling fallback: every order book, the exchange, the oracles and the slot again. */
  async resync(): Promise<void> {
    const c = this.client;
    const [all, state] = await Promise.all([
      c.connection.getProgramAccounts(c.programId, { commitment: "confirmed", filters: orderBookFilters(c.exchange) }),
      c.loadExchange(true),
    ]);
    this.state = state;
    const seen = new Set<string>();
    for (const a of all) {
      const k = a.pubkey.toBase58();
      seen.add(k);
      this.setBook(k, a.account.data);
    }
    for (const k of this.books.keys()) if (!seen.has(k)) this.books.delete(k);
    const markets = [...this.state.markets.entries()];
    const infos = await c.connection.getMultipleAccountsInfo(markets.map(([, m]) => m.market.oracle));
    markets.forEach(([i, m], k) => {
      const info = infos[k];
      if (info) this.setPrice(i, m.market, info.data, info.owner, false);
    });
    this.slot = BigInt(await c.connection.getSlot());
    this.metrics.ordersWatched.set(this.openOrders);
    this.scan.schedule();
  }

  private setBook(key: string, data: Buffer): void {
    if (data.length === 0) {
      this.books.delete(key);
      return;
    }
    try {
      this.books.set(key, decodeOrderBook(data));
    } catch (e) {
      this.log("warn", "bad order book", { book: key, error: String(e) });
    }
  }

  /** Records market `i`'s oracle price; true when it moved (or is newer). */
  private setPrice(i: number, market: PerpMarket, data: Buffer, owner: PublicKey, live: boolean): boolean {
    try {
      const reading = readOracle(data, owner, market.feedId);
      const price = toEnginePrice(reading, market.baseDecimals, this.state.exchange.quoteDecimals);
      const prev = this.prices.get(i);
      if (prev && prev.reading.publishTime === reading.publishTime && prev.price.oracle === price.oracle && prev.price.ema === price.ema) return false;
      // A resync does not reset the receipt time of a price already seen live.
      const receivedAt = !live && prev && prev.price.oracle === price.oracle ? prev.receivedAt : Date.now();
      this.prices.set(i, { reading, price, receivedAt });
      return true;
    } catch (e) {
      this.log("warn", "bad oracle", { market: i, error: String(e) });
      return false;
    }
  }

  private subscribe(): void {
    const subs = this.subs;
    subs.program(this.client.programId, orderBookFilters(this.client.exchange), (info) => {
      this.setBook(info.accountId.toBase58(), info.accountInfo.data);
      this.metrics.ordersWatched.set(this.openOrders);
      this.scan.schedule();
    });
    // Oracles: one subscription per oracle account; markets sharing one are all updated.
    const byOracle = new Map<string, { key: PublicKey; markets: number[] }>();
    for (const [i, m] of this.state.markets) {
      const e = byOracle.get(m.market.oracle.toBase58()) ?? { key: m.market.oracle, markets: [] };
      e.markets.push(i);
      byOracle.set(m.market.oracle.toBase58(), e);
    }
    for (const { key, markets } of byOracle.values()) {
      subs.account(key, (info) => {
        this.feedSeen = true;
        const moved = markets.filter((i) => {
          const m = this.state.markets.get(i);
          return m !== undefined && this.setPrice(i, m.market, info.data, info.owner, true);
        });
        if (moved.length > 0) this.scan.schedule();
      });
    }
    // Markets (the latency observations a fill price depends on) and the exchange (trigger band).
    for (const [i, m] of this.state.markets) subs.account(m.address, (info) => this.state.markets.set(i, { address: m.address, market: decodeMarket(info.data) }));
    subs.account(this.client.exchange, (info) => void (this.state.exchange = decodeExchange(info.data)));
    subs.slot((slot) => void (this.slot = BigInt(slot)));
  }

  /** Finds every order to act on and sends what the concurrency allows. */
  runScan(): OrderCandidate[] {
    const candidates = orderScan(this.books.entries(), this.state, this.prices, this.opts.now(), this.slot);
    const now = Date.now();
    for (const c of candidates) {
      const k = orderKey(c.book, c.order.orderId);
      if (c.action.kind === "execute" && !this.firstSeen.has(k)) {
        this.firstSeen.set(k, Math.min(now, this.prices.get(c.order.marketIndex)?.receivedAt ?? now));
      }
      if (this.inFlight.size >= this.opts.concurrency) continue;
      if (this.inFlight.has(k) || (this.cooldown.get(k) ?? 0) > now) continue;
      this.inFlight.add(k);
      void this.act(c).then((landed) => {
        this.inFlight.delete(k);
        if (!landed) this.cooldown.set(k, Date.now() + this.opts.cooldownMs);
        this.scan.schedule();
      });
    }
    return candidates;
  }

  /** Sends one execution or clean-up; true when it landed. */
  private async act(c: OrderCandidate): Promise<boolean> {
    const account = new PublicKey(c.account);
    const k = orderKey(c.book, c.order.orderId);
    const kind = ORDER_KIND_NAMES[c.order.kind];
    const tx = c.action.kind === "execute" ? "execute_order" : "cancel_expired_order";
    try {
      const orders = this.client.orders;
      const ix = c.action.kind === "execute" ? await orders.executeOrderIx(account, c.order) : await orders.cancelExpiredOrderIx(account, c.order.orderId);
      this.metrics.sent.inc({ kind: tx });
      // An execution that adds risk needs the account's LST depeg factors fresh.
      const refresh = c.action.kind === "execute" && !c.order.reduceOnly ? await this.client.depegRefreshIxs(account) : [];
      const sig = await this.client.send([...refresh, ix], [], { retries: 1 });
      const landedAt = Date.now();
      this.metrics.landed.inc({ kind: tx });
      this.metrics.orderRewards.inc(Number(c.order.fee));
      // Take the order out at once (the subscription will confirm it).
      this.dropOrder(c.book, c.order.orderId);
      if (c.action.kind === "cancel_expired") {
        this.metrics.ordersExecuted.inc({ kind, outcome: "expired" });
        this.log("info", "expired order cleaned", { account: c.account, orderId: c.order.orderId, fee: c.order.fee, signature: sig });
        return true;
      }
      const first = this.firstSeen.get(k);
      this.firstSeen.delete(k);
      const latencyMs = first === undefined ? null : landedAt - first;
      // Filled, or cancelled by the program with a reason (the keeper is paid either way).
      const outcome = await this.outcome(sig);
      this.metrics.ordersExecuted.inc({ kind, outcome: outcome.cancelled ? "cancelled" : "filled" });
      if (outcome.cancelled) this.metrics.orderFailures.inc({ reason: `cancelled:${outcome.reason}` });
      else if (latencyMs !== null) {
        this.metrics.orderTriggerToLanded.observe(latencyMs / 1000);
        this.latencies.push(latencyMs);
      }
      this.log("info", outcome.cancelled ? "order cancelled by the program" : "order executed", {
        account: c.account, orderId: c.order.orderId, kind, market: c.order.marketIndex, fee: c.order.fee, signature: sig, triggerToLandedMs: latencyMs,
        ...(outcome.cancelled ? { reason: outcome.reason } : { price: outcome.price }),
      });
      return true;
    } catch (e) {
      const d = decodeError(e);
      const reason = d ? d.errorName : "error";
      this.metrics.failed.inc({ kind: tx, reason });
      this.metrics.orderFailures.inc({ reason });
      this.log("info", "order action refused", { account: c.account, orderId: c.order.orderId, action: tx, error: d ? d.errorName : String((e as Error).message ?? e) });
      // Fresh book before the next try (the order may be gone or changed).
      const info = await this.client.connection.getAccountInfo(new PublicKey(c.book)).catch(() => null);
      if (info) this.setBook(c.book, info.data);
      else this.books.delete(c.book);
      return false;
    }
  }

  private dropOrder(book: string, orderId: bigint): void {
    const b = this.books.get(book);
    if (b) this.books.set(book, { ...b, orders: b.orders.filter((o) => o.orderId !== orderId) });
    this.metrics.ordersWatched.set(this.openOrders);
  }

  /** What an `execute_order` transaction did, from its events (filled when they cannot be read). */
  private async outcome(sig: string): Promise<{ cancelled: boolean; reason?: string; price?: string }> {
    try {
      const events = await this.client.events(sig);
      const cancelled = events.find((e) => e.name === "orderCancelled" || e.name === "OrderCancelled");
      if (cancelled) return { cancelled: true, reason: reasonName(cancelled.data.reason) };
      const executed = events.find((e) => e.name === "orderExecuted" || e.name === "OrderExecuted");
      return { cancelled: false, price: executed ? String(executed.data.price) : undefined };
    } catch {
      return { cancelled: false };
    }
  }

  /** Resolves once an oracle update has arrived through the subscriptions. */
  async waitForFeed(timeoutMs = 10_000): Promise<boolean> {
    return waitUntil(() => this.feedSeen, timeoutMs);
  }

  /** Whether margin account `account` has an order book (for `liquidate_perp`). */
  hasBook(account: string): boolean {
    for (const b of this.books.values()) if (b.marginAccount.toBase58() === account) return true;
    return false;
  }

  /** Open orders watched. */
  get openOrders(): number {
    let n = 0;
    for (const b of this.books.values()) n += b.orders.length;
    return n;
  }
}

const orderKey = (book: string, orderId: bigint): string => `${book}:${orderId}`;

/** `OrderCancelled::reason` as a name (`risk.CANCEL_REASONS`). */
function reasonName(r: unknown): string {
  return risk.CANCEL_REASONS[Number(r)] ?? String(r);
}
