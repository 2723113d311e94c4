/**
 * fulcrum-keeper: watches every margin account of an exchange, recomputes health off chain with
 * the risk mirror on every price or account change, and liquidates what it may (highest
 * shortfall first): `liquidate_perp` while positions remain, `liquidate_collateral` for debt
 * backed by collateral, `resolve_bankruptcy` for debt with nothing left. Lost races (someone
 * else liquidated first) are normal; other failures are retried with backoff.
 *
 * Margin modes as the program has them: each isolated position is checked alone (its own
 * collateral against its maintenance requirement, no grace period) and liquidated through its
 * market; the rest of the account is margined by its mode (cross, or portfolio with the
 * exchange's `Correlations`, loaded with the exchange state; without them portfolio accounts are
 * not assessed). Isolated slots neither block collateral liquidation nor bankruptcy resolution.
 *
 * Account feed: getProgramAccounts at start, then programSubscribe (margin accounts) and
 * accountSubscribe (oracles, banks, markets, correlations, pool), with a polling resync as the
 * fallback. Every change goes into a {@link LiquidationIndex}: a scan assesses only the accounts
 * it lists below maintenance (a price move re-checks only the accounts whose trigger it crossed),
 * not every account.
 *
 * Auto-deleveraging: on every scan, each market whose winners' profit / pool cash is above its
 * `adl_threshold` gets one `auto_deleverage` of the first winner of its queue
 * (`adlRanking` of `sdk/report`: PnL ratio × leverage, highest first); when it lands the next
 * scan takes the next winner, until the market is back under its threshold (the program stops
 * each close at `adl_floor` and refuses once the ratio is under the threshold).
 *
 * Cranks nobody is paid for, on the resync: `refresh_bank_rate` of every rate-priced bank each
 * `rateRefreshMs`, and `refresh_reputation` of each account the crank could move up a tier
 * (`tierRiseDue`), at most `reputationBatch` per pass and once per `reputationRefreshMs` per
 * account, so a trader who qualifies gets the tier without cranking it.
 */
import { PublicKey, type AccountInfo } from "@solana/web3.js";
import * as risk from "../risk";
import { marginRiskDecoder, decodeBank, decodeCorrelations, decodeMarket, decodePool, type MarginRiskView } from "../sdk/accounts";
import { FulcrumClient } from "../sdk/client";
import {
  adlMarkets, adlRanking, marginParts, oracleFeeds, priceKey, riskContext, type AdlEntry, type ExchangeState, type MarginParts, type PriceBook, type RiskContext,
} from "../sdk/report";
import { decodeError } from "../sdk/errors";
import { LiquidationIndex } from "../sdk/liqIndex";
import { isRatePriced, refreshBankRateIx } from "../sdk/rate";
import { tierInputsReader, tierRiseDue } from "../sdk/reputation";
import { readOracle, toEnginePrice } from "../sdk/oracle";
import { KeeperMetrics } from "./metrics";

export type Action =
  | { kind: "liquidate_perp"; marketIndex: number }
  | { kind: "liquidate_collateral"; bankIndex: number; maxRepay: bigint }
  | { kind: "resolve_bankruptcy" }
  /** Below maintenance but not yet in margin call: record it on chain so the grace period starts. */
  | { kind: "refresh_health" };

export interface Candidate {
  pubkey: string;
  shortfall: bigint;
  action: Action;
  view: MarginRiskView;
}

export interface ScanContext {
  state: ExchangeState;
  prices: PriceBook;
  slot: bigint;
  /** Resolved once per scan (built from state and prices when missing). */
  risk?: RiskContext;
}

/** Errors that mean "someone else got there first" or "no longer eligible": not failures. */
export const RACE_ERRORS = new Set(["NotLiquidatable", "NotBankrupt", "MarginCallGracePeriod", "NotLargestPosition", "NoDebt", "PerpPositionsOpen", "CollateralNotHeld"]);

/** Errors of a health-account list built from a stale view of the account. */
export const STALE_ERRORS = new Set(["ExtraHealthAccounts", "MissingHealthAccounts", "HealthAccountMismatch", "MissingCorrelations"]);

/** What the keeper would do for one account, or null when it is healthy enough. */
export function assess(pubkey: string, view: MarginRiskView, ctx: ScanContext): Candidate | null {
  if (view.perps.length === 0 && view.collateral.length === 0) {
    if (view.quoteBalance < 0n) return { pubkey, shortfall: -view.quoteBalance, action: { kind: "resolve_bankruptcy" }, view };
    return null;
  }
  const rctx = ctx.risk ?? (ctx.risk = riskContext(ctx.state, ctx.prices));
  const parts = marginParts(view, rctx);
  // A portfolio account on an exchange without correlations: every margin check of it fails on
  // chain, isolated liquidations included. Skipped.
  if (!parts.model) return null;
  let best: Candidate | null = null;
  // Each isolated position alone: liquidatable as soon as its own maintenance fails; one its
  // owner closed under water is a bankruptcy to resolve.
  for (const iso of parts.isolated) {
    if (iso.account.perps[0]!.position.base === 0n) {
      const deficit = -iso.account.quoteBalance;
      if (deficit > 0n && (!best || deficit > best.shortfall)) best = { pubkey, shortfall: deficit, action: { kind: "resolve_bankruptcy" }, view };
      continue;
    }
    const m = risk.health(iso.account, risk.MarginKind.Maintenance);
    if (risk.isMet(m)) continue;
    const shortfall = m.requirement - m.equity;
    if (!best || shortfall > best.shortfall) best = { pubkey, shortfall, action: { kind: "liquidate_perp", marketIndex: iso.marketIndex }, view };
  }
  const backed = assessBacked(pubkey, view, parts, ctx);
  return backed && (!best || backed.shortfall > best.shortfall) ? backed : best;
}

/** The part the account's collateral backs, margined by the account's mode. */
function assessBacked(pubkey: string, view: MarginRiskView, parts: MarginParts, ctx: ScanContext): Candidate | null {
  const ex = ctx.state.exchange;
  const ra = parts.main;
  if (ra.perps.length === 0 && ra.collateral.length === 0) {
    // Only isolated positions left: they neither hold the account's debt back nor pay it.
    if (view.quoteBalance < 0n) return { pubkey, shortfall: -view.quoteBalance, action: { kind: "resolve_bankruptcy" }, view };
    return null;
  }
  if (!parts.model) return null;
  const maint = risk.modelHealth(ra, parts.model, risk.MarginKind.Maintenance);
  if (risk.isMet(maint)) return null;
  const shortfall = maint.requirement - maint.equity;
  // An account not yet in margin call enters it at this slot when an instruction sees it (and
  // a failed liquidation records nothing): only the hard threshold lets it go at once.
  const callSlot = view.inMarginCall ? view.marginCallSlot : ctx.slot;
  if (!risk.isLiquidatable(maint, callSlot, ctx.slot, ex.marginCallGraceSlots, ex.liquidationThresholdRatio)) {
    return view.inMarginCall ? null : { pubkey, shortfall, action: { kind: "refresh_health" }, view };
  }
  // The program's choice: cross cuts the largest requirement, portfolio the position whose close
  // lowers the netted requirement most (none: the collateral goes first).
  const model = parts.model;
  const idx = model.mode === risk.MarginMode.Portfolio ? risk.portfolioLiquidationTarget(ra, model) : risk.largestRequirement(ra);
  if (idx !== null) return { pubkey, shortfall, action: { kind: "liquidate_perp", marketIndex: parts.mainMarkets[idx]! }, view };
  const positionsFirst = ra.perps.length > 0 && model.mode !== risk.MarginMode.Portfolio;
  if (!positionsFirst && view.quoteBalance < 0n && view.collateral.length > 0) {
    // The collateral worth most first.
    let best = 0;
    let bestValue = -1n;
    ra.collateral.forEach((c, i) => {
      const v = risk.collateralValue(c, risk.MarginKind.Maintenance);
      if (v > bestValue) [best, bestValue] = [i, v];
    });
    return { pubkey, shortfall, action: { kind: "liquidate_collateral", bankIndex: view.collateral[best]!.bankIndex, maxRepay: -view.quoteBalance }, view };
  }
  return null;
}

/** One full scan: every account's health, candidates sorted by shortfall (highest first). */
export function scan(accounts: Iterable<[string, MarginRiskView]>, ctx: ScanContext): Candidate[] {
  const out: Candidate[] = [];
  ctx = { ...ctx, risk: riskContext(ctx.state, ctx.prices) };
  for (const [k, v] of accounts) {
    try {
      const c = assess(k, v, ctx);
      if (c) out.push(c);
    } catch {
      // An account the engine cannot price (missing oracle, overflow) is skipped, not fatal.
    }
  }
  return out.sort((a, b) => (a.shortfall > b.shortfall ? -1 : a.shortfall < b.shortfall ? 1 : 0));
}

/** An auto-deleveraging the keeper would send: the first winner of a market above its threshold. */
export interface AdlCandidate {
  marketIndex: number;
  /** Winners' profit / pool cash, ppm, and the market's threshold. */
  ratio: bigint;
  threshold: number;
  entry: AdlEntry;
}

/**
 * Every market above its auto-deleveraging threshold with the first winner of its queue that
 * `skip` does not exclude (one per market per scan: each close changes the ratio).
 */
export function adlScan(
  accounts: Iterable<[string, MarginRiskView]>,
  ctx: ScanContext,
  skip: (account: string, marketIndex: number) => boolean = () => false,
): AdlCandidate[] {
  const above = adlMarkets(ctx.state, ctx.prices).filter((m) => m.above);
  if (above.length === 0) return [];
  const all = [...accounts];
  const rctx = ctx.risk ?? riskContext(ctx.state, ctx.prices);
  const out: AdlCandidate[] = [];
  for (const m of above) {
    const entry = adlRanking(ctx.state, ctx.prices, all, m.marketIndex, rctx).find((e) => !skip(e.account, m.marketIndex));
    if (entry) out.push({ marketIndex: m.marketIndex, ratio: m.ratio, threshold: m.threshold, entry });
  }
  return out;
}

export interface KeeperOptions {
  /** Full resync period (the polling fallback), ms. */
  pollMs?: number;
  /** Debounce between a change and the scan it triggers, ms. */
  debounceMs?: number;
  /** Most liquidations in flight at once. */
  concurrency?: number;
  /** Retries of a failed liquidation (not of a lost race). */
  retries?: number;
  /** JSON-line logger. */
  log?: (record: Record<string, unknown>) => void;
  metrics?: KeeperMetrics;
  /** Use WebSocket subscriptions (default true); false: polling only. */
  subscribe?: boolean;
  /** Whether a margin account has an order book (then `liquidate_perp` cancels its risk-increasing orders). */
  hasOrderBook?: (account: string) => boolean;
  /** Least time between two `refresh_bank_rate` cranks of one rate-priced bank, ms. */
  rateRefreshMs?: number;
  /** Least time between two `refresh_reputation` cranks of one account, ms (0: never crank). */
  reputationRefreshMs?: number;
  /** Most `refresh_reputation` cranks per resync. */
  reputationBatch?: number;
}

export const jsonLog = (record: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify({ ts: new Date().toISOString(), ...record }, (_k, v) => (typeof v === "bigint" ? v.toString() : v)) + "\n");
};

export class Keeper {
  readonly metrics: KeeperMetrics;
  private readonly accounts = new Map<string, MarginRiskView>();
  /** The accounts below maintenance, kept up to date from every account and price change. */
  private index: LiquidationIndex | null = null;
  private state!: ExchangeState;
  private prices: PriceBook = new Map();
  private slot = 0n;
  private inFlight = new Set<string>();
  /** Accounts not to retry before a time (after a failure), unless they change. */
  private cooldown = new Map<string, number>();
  private lastPriceAt = Date.now();
  /** When an account was first seen liquidatable (for price-to-landed latency). */
  private firstSeen = new Map<string, number>();
  private timers: NodeJS.Timeout[] = [];
  private subs: { id: number; kind: "account" | "program" | "slot" }[] = [];
  private scanTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private feedSeen = false;
  private readonly decode = marginRiskDecoder();
  private readonly opts: Required<Omit<KeeperOptions, "metrics" | "hasOrderBook">>;
  /** When each rate-priced bank was last cranked. */
  private rateRefreshedAt = new Map<number, number>();
  /** When each account's reputation was last cranked by this keeper. */
  private reputationCrankedAt = new Map<string, number>();
  private readonly tierInputs = tierInputsReader();
  private readonly hasOrderBook: (account: string) => boolean;

  constructor(readonly client: FulcrumClient, opts: KeeperOptions = {}) {
    this.metrics = opts.metrics ?? new KeeperMetrics();
    this.hasOrderBook = opts.hasOrderBook ?? (() => false);
    this.opts = {
      pollMs: opts.pollMs ?? 5_000,
      debounceMs: opts.debounceMs ?? 20,
      concurrency: opts.concurrency ?? 4,
      retries: opts.retries ?? 3,
      log: opts.log ?? jsonLog,
      subscribe: opts.subscribe ?? true,
      rateRefreshMs: opts.rateRefreshMs ?? 60_000,
      reputationRefreshMs: opts.reputationRefreshMs ?? 600_000,
      reputationBatch: opts.reputationBatch ?? 8,
    };
  }

  private log(level: string, msg: string, extra: Record<string, unknown> = {}): void {
    this.opts.log({ level, msg, ...extra });
  }

  /** Loads everything, subscribes, and starts scanning. */
  async start(): Promise<void> {
    const c = this.client;
    this.state = await c.loadExchange(true);
    this.prices = await c.fetchPrices(this.state);
    this.slot = BigInt(await c.connection.getSlot());
    this.index = new LiquidationIndex(this.state, this.prices);
    // Token accounts the liquidations pay into.
    const mints = [...this.state.banks.values()].map((b) => b.bank.mint);
    await c.send(c.ataIxs(mints));
    await this.resync();
    if (this.opts.subscribe) this.subscribe();
    this.timers.push(setInterval(() => void this.resync().catch((e: unknown) => this.log("warn", "resync failed", { error: String(e) })), this.opts.pollMs));
    this.log("info", "keeper started", { exchange: c.exchange.toBase58(), keeper: c.owner.toBase58(), accounts: this.accounts.size, subscribe: this.opts.subscribe });
    this.scheduleScan();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.scanTimer) clearTimeout(this.scanTimer);
    const conn = this.client.connection;
    for (const { id, kind } of this.subs) {
      const remove =
        kind === "program" ? conn.removeProgramAccountChangeListener(id) : kind === "slot" ? conn.removeSlotChangeListener(id) : conn.removeAccountChangeListener(id);
      await remove.catch(() => undefined);
    }
    this.subs = [];
  }

  /** The polling fallback: all accounts, prices and slot again. */
  async resync(): Promise<void> {
    const c = this.client;
    const all = await c.allMarginAccounts();
    const seen = new Set<string>();
    for (const a of all) {
      const k = a.pubkey.toBase58();
      seen.add(k);
      this.put(k, this.decode(a.data));
    }
    for (const k of this.accounts.keys()) if (!seen.has(k)) this.drop(k);
    await this.refreshRates();
    this.state = await c.loadExchange(true);
    await this.refreshReputations(all);
    this.prices = await c.fetchPrices(this.state);
    this.withIndex((i) => i.setState(this.state, this.prices));
    this.slot = BigInt(await c.connection.getSlot());
    this.metrics.accountsWatched.set(this.accounts.size);
    this.scheduleScan();
  }

  private subscribe(): void {
    const conn = this.client.connection;
    const programSub = conn.onProgramAccountChange(
      this.client.programId,
      (info) => {
        const k = info.accountId.toBase58();
        if (info.accountInfo.data.length === 0) this.drop(k);
        else this.put(k, this.decode(info.accountInfo.data));
        this.cooldown.delete(k);
        this.metrics.accountsWatched.set(this.accounts.size);
        this.scheduleScan();
      },
      { commitment: "confirmed", filters: FulcrumClient.marginAccountFilters(this.client.exchange) },
    );
    this.subs.push({ id: programSub, kind: "program" });
    // Oracles: one subscription per oracle account (a bank and a market may share one).
    for (const o of oracleFeeds(this.state)) {
      this.subs.push({
        kind: "account",
        id: conn.onAccountChange(
          o.key,
          (info) => {
            try {
              this.feedSeen = true;
              const reading = readOracle(info.data, info.owner, o.feedId);
              let moved = false;
              for (const d of o.decimals) {
                const p = toEnginePrice(reading, d, this.state.exchange.quoteDecimals);
                const prev = this.prices.get(priceKey(o.key, d));
                if (!prev || prev.oracle !== p.oracle || prev.ema !== p.ema) moved = true;
                this.prices.set(priceKey(o.key, d), p);
              }
              if (moved) {
                this.lastPriceAt = Date.now();
                this.withIndex((i) => i.setPrices(this.prices));
                this.scheduleScan();
              }
            } catch (e) {
              this.log("warn", "bad oracle update", { oracle: o.key.toBase58(), error: String(e) });
            }
          },
          { commitment: "confirmed" },
        ),
      });
    }
    // Banks and markets (parameters, funding index).
    // An account of the exchange's state: applied, then the index and a scan follow.
    const onStateAccount = (address: PublicKey, apply: (info: AccountInfo<Buffer>) => void): void => {
      const id = conn.onAccountChange(address, (info) => {
        apply(info);
        this.withIndex((i) => i.setState(this.state));
        this.scheduleScan();
      }, { commitment: "confirmed" });
      this.subs.push({ id, kind: "account" });
    };
    for (const [i, b] of this.state.banks) {
      onStateAccount(b.address, (info) => this.state.banks.set(i, { address: b.address, bank: decodeBank(info.data) }));
    }
    for (const [i, m] of this.state.markets) {
      onStateAccount(m.address, (info) => this.state.markets.set(i, { address: m.address, market: decodeMarket(info.data) }));
    }
    // The exchange's correlations (portfolio accounts): created or replaced by the admin.
    const programId = this.client.programId;
    onStateAccount(this.state.correlationsAddress, (info) => {
      try {
        this.state.correlations = info.data.length > 0 && info.owner.equals(programId) ? decodeCorrelations(info.data) : null;
      } catch (e) {
        this.log("warn", "bad correlations update", { error: String(e) });
      }
    });
    // The pool: its cash sets every market's PnL cap and auto-deleveraging ratio.
    onStateAccount(this.state.poolAddress, (info) => {
      try {
        this.state.pool = decodePool(info.data);
      } catch (e) {
        this.log("warn", "bad pool update", { error: String(e) });
      }
    });
    this.subs.push({ id: conn.onSlotChange((s) => void (this.slot = BigInt(s.slot))), kind: "slot" });
  }

  private scheduleScan(): void {
    if (this.stopped || this.scanTimer) return;
    this.scanTimer = setTimeout(() => {
      this.scanTimer = null;
      this.runScan();
    }, this.opts.debounceMs);
  }

  /** Runs `f` on the index; if it fails the keeper logs it and goes back to full scans. */
  private withIndex(f: (index: LiquidationIndex) => void): void {
    if (!this.index) return;
    try {
      f(this.index);
    } catch (e) {
      this.index = null;
      this.log("error", "liquidation index failed: full scans from now on", { error: String((e as Error).stack ?? e) });
    }
  }

  /** Records an account's new state: the views the actions use and the liquidation index. */
  private put(k: string, view: MarginRiskView): void {
    this.accounts.set(k, view);
    this.withIndex((i) => i.upsert(k, view));
  }

  private drop(k: string): void {
    this.accounts.delete(k);
    this.withIndex((i) => i.remove(k));
  }

  /** The accounts below maintenance (from the index; every account before it exists). */
  private below(): Iterable<[string, MarginRiskView]> {
    if (!this.index) return this.accounts.entries();
    const out: [string, MarginRiskView][] = [];
    for (const k of this.index.liquidatableKeys()) {
      const v = this.accounts.get(k);
      if (v) out.push([k, v]);
    }
    return out;
  }

  /** Assesses the accounts below maintenance and starts liquidations (highest shortfall first). */
  runScan(): Candidate[] {
    const end = this.metrics.scanDuration.startTimer();
    const candidates = scan(this.below(), { state: this.state, prices: this.prices, slot: this.slot });
    end();
    this.metrics.scans.inc();
    this.metrics.unhealthy.set(candidates.length);
    const now = Date.now();
    for (const c of candidates) if (!this.firstSeen.has(c.pubkey)) this.firstSeen.set(c.pubkey, Math.min(now, this.lastPriceAt));
    for (const c of candidates) {
      if (this.inFlight.size >= this.opts.concurrency) break;
      if (this.inFlight.has(c.pubkey) || (this.cooldown.get(c.pubkey) ?? 0) > now) continue;
      this.inFlight.add(c.pubkey);
      void this.liquidate(c).then((landed) => {
        this.inFlight.delete(c.pubkey);
        if (landed) this.scheduleScan();
        else this.cooldown.set(c.pubkey, Date.now() + 1_000);
      });
    }
    this.runAdl(now);
    // The index's bookkeeping for the move just assessed, while the liquidations are in flight.
    this.withIndex((i) => i.settle());
    return candidates;
  }

  /** One `auto_deleverage` per market above its threshold (see the module comment). */
  runAdl(now = Date.now()): AdlCandidate[] {
    const busy = (account: string, market: number): boolean => {
      const k = `${account}:adl:${market}`;
      return this.inFlight.has(k) || (this.cooldown.get(k) ?? 0) > now;
    };
    let adl: AdlCandidate[] = [];
    try {
      adl = adlScan(this.accounts.entries(), { state: this.state, prices: this.prices, slot: this.slot }, busy);
    } catch (e) {
      this.log("warn", "auto-deleveraging scan failed", { error: String(e) });
    }
    for (const a of adl) {
      if (this.inFlight.size >= this.opts.concurrency) break;
      const k = `${a.entry.account}:adl:${a.marketIndex}`;
      this.inFlight.add(k);
      void this.deleverage(a).then((landed) => {
        this.inFlight.delete(k);
        if (landed) this.scheduleScan();
        else this.cooldown.set(k, Date.now() + 1_000);
      });
    }
    return adl;
  }

  /**
   * Cranks `refresh_bank_rate` of every rate-priced bank (an LST) not cranked within
   * `rateRefreshMs`: a fall of its rate (or a depeg) is margin's at once, a rise within the cap.
   * A refusal (a pool not yet updated this epoch: `RateSourceStale`) is logged by name.
   */
  private async refreshRates(): Promise<void> {
    if (!this.state) return;
    const now = Date.now();
    for (const [i, b] of this.state.banks) {
      if (!isRatePriced(b.bank) || now - (this.rateRefreshedAt.get(i) ?? 0) < this.opts.rateRefreshMs) continue;
      this.rateRefreshedAt.set(i, now);
      const kind = "refresh_bank_rate";
      try {
        this.metrics.sent.inc({ kind });
        await this.client.send([refreshBankRateIx(this.client.programId, this.client.exchange, b.address, b.bank)], [], { retries: 1 });
        this.metrics.landed.inc({ kind });
      } catch (e) {
        const d = decodeError(e);
        this.metrics.failed.inc({ kind, reason: d ? d.errorName : "error" });
        this.log("info", "rate refresh refused", { bank: i, error: d ? d.errorName : String((e as Error).message ?? e) });
      }
    }
  }

  /**
   * Cranks `refresh_reputation` of the accounts in `all` whose tier the crank could raise now
   * (`tierRiseDue`, at wall-clock time as the order executor), at most `reputationBatch`. A crank that lands without a rise (the equity fell since its last sample) waits
   * `reputationRefreshMs` like any other; refusals are logged by name.
   */
  private async refreshReputations(all: { pubkey: PublicKey; data: Buffer }[]): Promise<void> {
    const cfg = this.state?.exchange.reputation;
    if (!cfg || this.opts.reputationRefreshMs <= 0) return;
    const nowMs = Date.now();
    const now = BigInt(Math.floor(nowMs / 1000));
    const decimals = this.state.exchange.quoteDecimals;
    const due: PublicKey[] = [];
    for (const a of all) {
      const k = a.pubkey.toBase58();
      if (nowMs - (this.reputationCrankedAt.get(k) ?? 0) < this.opts.reputationRefreshMs) continue;
      if (tierRiseDue(this.tierInputs(a.data), cfg, decimals, now)) due.push(a.pubkey);
      if (due.length >= this.opts.reputationBatch) break;
    }
    const kind = "refresh_reputation";
    for (const account of due) {
      this.reputationCrankedAt.set(account.toBase58(), nowMs);
      try {
        this.metrics.sent.inc({ kind });
        await this.client.send([await this.client.refreshReputationIx(account)], [], { retries: 1 });
        this.metrics.landed.inc({ kind });
      } catch (e) {
        const d = decodeError(e);
        this.metrics.failed.inc({ kind, reason: d ? d.errorName : "error" });
        this.log("info", "reputation refresh refused", { account: account.toBase58(), error: d ? d.errorName : String((e as Error).message ?? e) });
      }
    }
  }

  /** Sends one auto-deleveraging (no retry: the next scan re-ranks); true when it landed. */
  private async deleverage(a: AdlCandidate): Promise<boolean> {
    const kind = "auto_deleverage";
    const account = new PublicKey(a.entry.account);
    try {
      const ix = await this.client.autoDeleverageIx(account, a.marketIndex);
      this.metrics.sent.inc({ kind });
      const sig = await this.client.send([ix], [], { retries: 1 });
      this.metrics.landed.inc({ kind });
      this.log("info", "auto-deleveraging landed", {
        account: a.entry.account, market: a.marketIndex, ratio: a.ratio, threshold: a.threshold, score: a.entry.score, pnl: a.entry.pnl, signature: sig,
      });
      const info = await this.client.connection.getAccountInfo(account);
      if (info) this.put(a.entry.account, this.decode(info.data));
      return true;
    } catch (e) {
      const d = decodeError(e);
      this.metrics.failed.inc({ kind, reason: d ? d.errorName : "error" });
      this.log("info", "auto-deleveraging refused", { account: a.entry.account, market: a.marketIndex, error: d ? d.errorName : String((e as Error).message ?? e) });
      return false;
    }
  }

  /** Sends the candidate's liquidation; true when one landed. */
  private async liquidate(c: Candidate): Promise<boolean> {
    const kind = c.action.kind;
    const account = new PublicKey(c.pubkey);
    for (let attempt = 0; attempt <= this.opts.retries; attempt++) {
      try {
        if (c.action.kind === "liquidate_collateral") {
          // The keeper repays the debt with its own quote tokens.
          const have = await this.client.tokenBalance(this.client.quoteMint);
          if (have === 0n) {
            this.log("warn", "no quote tokens to repay debt with: collateral liquidation skipped", { account: c.pubkey });
            return false;
          }
          if (have < c.action.maxRepay) c = { ...c, action: { ...c.action, maxRepay: have } };
        }
        const ix =
          c.action.kind === "liquidate_perp"
            ? await this.client.liquidatePerpIx(account, c.action.marketIndex, c.view, { orderBook: this.hasOrderBook(c.pubkey) })
            : c.action.kind === "liquidate_collateral"
              ? await this.client.liquidateCollateralIx(account, c.action.bankIndex, c.action.maxRepay, c.view)
              : c.action.kind === "refresh_health"
                ? await this.client.refreshHealthIx(account)
                : await this.client.resolveBankruptcyIx(account);
        this.metrics.sent.inc({ kind });
        const sig = await this.client.send([ix], [], { retries: 1 });
        this.metrics.landed.inc({ kind });
        if (kind === "refresh_health") {
          // Not a liquidation: the grace period has started; the latency clock keeps running.
          this.log("info", "margin call recorded", { account: c.pubkey, shortfall: c.shortfall, signature: sig });
          const info = await this.client.connection.getAccountInfo(account);
          if (info) this.put(c.pubkey, this.decode(info.data));
          return true;
        }
        const first = this.firstSeen.get(c.pubkey);
        const latencyMs = first === undefined ? null : Date.now() - first;
        if (latencyMs !== null) this.metrics.priceToLanded.observe(latencyMs / 1000);
        this.firstSeen.delete(c.pubkey);
        this.log("info", "liquidation landed", { account: c.pubkey, kind, action: c.action, shortfall: c.shortfall, signature: sig, priceToLandedMs: latencyMs });
        // Pick up the new state at once (the subscription will too).
        const info = await this.client.connection.getAccountInfo(account);
        if (info) this.put(c.pubkey, this.decode(info.data));
        else this.drop(c.pubkey);
        return true;
      } catch (e) {
        const d = decodeError(e);
        if (d && RACE_ERRORS.has(d.errorName)) {
          this.metrics.failed.inc({ kind, reason: "lost_race" });
          this.log("info", "lost race", { account: c.pubkey, kind, error: d.errorName });
          const info = await this.client.connection.getAccountInfo(account).catch(() => null);
          if (info) this.put(c.pubkey, this.decode(info.data));
          return false;
        }
        const reason = d ? d.errorName : "error";
        this.metrics.failed.inc({ kind, reason });
        this.log("warn", "liquidation failed", { account: c.pubkey, kind, attempt, error: d ? d.message : String((e as Error).message ?? e) });
        if (attempt === this.opts.retries) return false;
        // A stale view (the account changed under us) is retried at once; anything else backs off.
        if (!(d && STALE_ERRORS.has(d.errorName))) await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
        // Fresh state before retrying.
        const info = await this.client.connection.getAccountInfo(account).catch(() => null);
        if (!info) return false;
        const view = this.decode(info.data);
        this.put(c.pubkey, view);
        const again = assess(c.pubkey, view, { state: this.state, prices: this.prices, slot: this.slot });
        if (!again) return false;
        c = again;
      }
    }
    return false;
  }

  /** Resolves once an oracle update has arrived through the subscriptions (they are live). */
  async waitForFeed(timeoutMs = 10_000): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (!this.feedSeen && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
    return this.feedSeen;
  }

  /** Accounts watched (for tests). */
  get watched(): number {
    return this.accounts.size;
  }
}
