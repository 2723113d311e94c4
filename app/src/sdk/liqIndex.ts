/**
 * LiquidationIndex: which margin accounts are below maintenance now, which a price move would
 * put there, and each market's accounts by liquidation price, without re-evaluating every
 * account on every price (the keeper at scale and the dashboard's liquidation map).
 *
 * ## Approach
 * An account is split as the program margins it ({@link marginParts}): the part its collateral
 * backs (by its mode, cross or portfolio) and each isolated position alone. Each part is a
 * *unit* with a health `h = equity − requirement` at maintenance (met when `h ≥ 0`), a function
 * of the prices of its *dimensions*: the markets of its positions and the banks of its
 * collateral. With a market's funding, ratios and PnL cap fixed, `h` is monotone in each price
 * and moves at most `L_d` per unit of price `d`:
 * - cross (and isolated): exactly linear, `h = c₀ + Σ a_d·x_d` up to the engine's rounding
 *   (`a` = `base·(1 − ratio)` / `base·(1 + ratio)` per position, `amount × weight` per
 *   collateral; `L_d = |a_d|`); the unit is re-checked with that formula, and with the risk
 *   mirror only when it lands within the rounding bound of zero;
 * - portfolio: `√(VᵀCV)` (C positive semi-definite, unit diagonal) and the floor move at most
 *   `ratio·|base|` per unit of price, equity exactly `|base|` (collateral: full value, its risk
 *   at most `1 − weight`), so `L = (1 + ratio)·|base|`, `(2 − weight)·amount`; re-checked
 *   with the netted requirement in floating point, and with the risk mirror (`modelHealth`,
 *   the same numbers as the engine) when that lands within its rounding bound of zero.
 * Only the sign near zero matters, and there the risk mirror decides: the index lists exactly
 * the accounts a full scan with the risk mirror lists (`belowMaintenance`; the tests check it
 * on random books, moves and cranks).
 *
 * Several prices at once: a unit's status cannot change while `Σ_d L_d·|adverse move_d| <
 * |h| − slack` (adverse: down for a long or collateral when met, up when not met; the slack
 * covers the engine's rounding). The budget is split so that every dimension may move by the
 * same fraction `δ = (|h| − slack) / Σ_d L_d·x_d` of its price: each unit puts one key per
 * dimension at `x_d·(1 ∓ δ)` among that market's down-keys or up-keys. For an account on
 * one price this key is its liquidation price (up to the rounding slack); for one on several
 * prices it is the price at which this market *alone* would use the whole budget, i.e. no
 * further than its liquidation price holding the others fixed. A move of one market pops only
 * the keys it crossed (buckets by log-price per market and direction, so the cost is the
 * number crossed); each popped unit is re-checked at the prices now (the list is then up to
 * date) and re-keyed from there ({@link LiquidationIndex.settle}). Accounts whose
 * *other* holdings moved are covered the same way: their keys in those markets fire when the
 * budget is spent, whichever market spends it. Each re-check re-bases the budget, so an account
 * drifting towards liquidation over several markets is re-checked more often as it nears it.
 *
 * A crank (the funding or borrow index of a market moving) shifts each holder's equity by
 * `−base × Δindex`: every holder of that market is re-checked by its formula (a few float
 * operations each; no risk-mirror call unless it lands near zero), not rebuilt.
 *
 * What rebuilds every holder of a market instead (rare): its ratios or weights changing, its
 * PnL cap binding (the haircut then moves with every price: prices of such a market rebuild all
 * its holders), or the pool cash falling under half of the cap the keys were computed for
 * (positions whose uncapped PnL would reach the cap carry an extra key there: past it the gain
 * stops counting and the health is no longer monotone). Exchange parameters or correlations
 * changing rebuild the affected accounts.
 */
import { PublicKey } from "@solana/web3.js";
import * as risk from "../risk";
import { marginRiskDecoder, type MarginAccount, type MarginRiskView } from "./accounts";
import { marginParts, marketHaircut, priceKey, riskContext, type ExchangeState, type MarginParts, type PriceBook, type RiskContext } from "./report";

/** What {@link LiquidationIndex.upsert} takes: a decoded account (fully or the keeper's fast view) or its raw data. */
export type IndexedAccount = MarginAccount | MarginRiskView;

export interface LiquidationMapEntry {
  account: PublicKey;
  /** Oracle price of the market at which the position's part (the account's backed part, or the isolated position) reaches maintenance, the others fixed. */
  liqPrice: bigint;
  /** The position's notional at the oracle price, quote native units. */
  notional: bigint;
  side: "long" | "short";
  isolated: boolean;
}

const MAINT = risk.MarginKind.Maintenance;
const SCALE = 1e12; // PRICE_SCALE
const PPM = 1e6;
/** A cap at or above this is no cap (`PNL_HAIRCUT_NONE`). */
const NO_CAP = 1n << 100n;
/** Keys are moved this fraction of the price towards firing earlier (float rounding of keys). */
const KEY_EPS = 1e-12;

/** Relative width of a key bucket (ln scale): a 1% move crosses 20 buckets. */
const BUCKET_W = 0.0005;
/** Buckets each side of the reference price: ×/÷ 10⁴ (past it, one overflow bucket each side). */
const HALF = Math.ceil(Math.log(1e4) / BUCKET_W);

/** A run of (key, unit id, generation) triples in one growable array (one cache line per entry touched). */
class Bucket {
  e = new Float64Array(24);
  n = 0;

  push(k: number, id: number, gen: number): void {
    let at = 3 * this.n;
    if (at === this.e.length) {
      const e = new Float64Array(at * 2);
      e.set(this.e);
      this.e = e;
    }
    const e = this.e;
    e[at++] = k;
    e[at++] = id;
    e[at] = gen;
    this.n++;
  }

  /** Keeps the entries `keep` accepts (in place), handing the others to `f` when given. */
  filter(keep: (k: number, id: number, gen: number) => boolean, f?: (id: number, gen: number) => void): void {
    const e = this.e;
    let j = 0;
    for (let i = 0; i < this.n; i++) {
      const k = e[3 * i]!;
      const id = e[3 * i + 1]!;
      const gen = e[3 * i + 2]!;
      if (keep(k, id, gen)) {
        e[3 * j] = k;
        e[3 * j + 1] = id;
        e[3 * j + 2] = gen;
        j++;
      } else f?.(id, gen);
    }
    this.n = j;
  }
}

/**
 * One market's keys in one direction, in buckets by log-price around a reference: "down" keys
 * fire when the price falls below them, "up" keys when it rises above. Insertion is an append;
 * a move fires the buckets it crossed whole and filters the one the price lands in, so its cost
 * is the number of keys crossed. Stale keys (of units re-keyed since) are dropped as they fire,
 * and all at once when the keys have doubled since the last clean-up.
 */
class KeyBuckets {
  private readonly buckets: (Bucket | undefined)[] = new Array(2 * HALF + 1);
  /** Lowest and highest non-empty bucket (empty: lo > hi). */
  private lo = 2 * HALF + 1;
  private hi = -1;
  private total = 0;
  private compactAt = 0;

  constructor(private readonly ref: number, private readonly down: boolean) {}

  private bucketOf(k: number): number {
    const i = Math.floor(Math.log(k / this.ref) / BUCKET_W) + HALF;
    return i < 0 || Number.isNaN(i) ? 0 : i > 2 * HALF ? 2 * HALF : i;
  }

  push(k: number, id: number, gen: number): void {
    if (this.down && !(k > 0)) return; // no price is below it
    const i = this.bucketOf(k);
    (this.buckets[i] ??= new Bucket()).push(k, id, gen);
    if (i < this.lo) this.lo = i;
    if (i > this.hi) this.hi = i;
    this.total++;
  }

  /** Removes every key the price `p` crossed (down: key > p; up: key < p), handing each to `f`. */
  fire(p: number, f: (id: number, gen: number) => void): void {
    if (this.lo > this.hi) return;
    const at = this.bucketOf(p);
    if (this.down) {
      for (let i = this.hi; i > at && i >= this.lo; i--) this.take(i, f);
      if (this.hi > at) this.hi = at;
      const b = this.buckets[at];
      if (b && at >= this.lo) this.shrink(b, () => b.filter((k) => !(k > p), f));
    } else {
      for (let i = this.lo; i < at && i <= this.hi; i++) this.take(i, f);
      if (this.lo < at) this.lo = at;
      const b = this.buckets[at];
      if (b && at <= this.hi) this.shrink(b, () => b.filter((k) => !(k < p), f));
    }
  }

  /** Visits every key the price `p` would cross, removing nothing. */
  visit(p: number, f: (id: number, gen: number) => void): void {
    if (this.lo > this.hi) return;
    const at = this.bucketOf(p);
    const from = this.down ? Math.max(at, this.lo) : this.lo;
    const to = this.down ? this.hi : Math.min(at, this.hi);
    for (let i = from; i <= to; i++) {
      const b = this.buckets[i];
      if (!b) continue;
      const e = b.e;
      for (let j = 0; j < b.n; j++) {
        const k = e[3 * j]!;
        if (this.down ? k > p : k < p) f(e[3 * j + 1]!, e[3 * j + 2]!);
      }
    }
  }

  /** Drops stale keys once there are twice as many as after the last clean-up. */
  maybeCompact(live: (id: number, gen: number) => boolean): void {
    if (this.compactAt === 0) this.compactAt = Math.max(1 << 16, 2 * this.total);
    if (this.total < this.compactAt) return;
    this.total = 0;
    for (let i = Math.max(this.lo, 0); i <= this.hi; i++) {
      const b = this.buckets[i];
      if (!b) continue;
      b.filter((_k, id, gen) => live(id, gen));
      this.total += b.n;
    }
    this.compactAt = Math.max(1 << 16, 2 * this.total);
  }

  private take(i: number, f: (id: number, gen: number) => void): void {
    const b = this.buckets[i];
    if (!b || b.n === 0) return;
    const { e, n } = b;
    b.n = 0;
    this.total -= n;
    for (let j = 0; j < n; j++) f(e[3 * j + 1]!, e[3 * j + 2]!);
  }

  private shrink(b: Bucket, run: () => void): void {
    const before = b.n;
    run();
    this.total -= before - b.n;
  }
}

/** The accounts below maintenance, with O(1) add and remove (swap with the last) and their keys at hand. */
class AcctList {
  readonly accts: Acct[] = [];
  readonly keys: string[] = [];
  readonly pks: (PublicKey | null)[] = [];

  get size(): number {
    return this.accts.length;
  }
  has(a: Acct): boolean {
    return a.pos >= 0;
  }
  add(a: Acct): void {
    if (a.pos >= 0) return;
    a.pos = this.accts.length;
    this.accts.push(a);
    this.keys.push(a.key);
    this.pks.push(a.pk);
  }
  delete(a: Acct): void {
    const i = a.pos;
    if (i < 0) return;
    const last = this.accts.length - 1;
    const b = this.accts[last]!;
    this.accts[i] = b;
    this.keys[i] = this.keys[last]!;
    this.pks[i] = this.pks[last]!;
    b.pos = i;
    this.accts.pop();
    this.keys.pop();
    this.pks.pop();
    a.pos = -1;
  }
  /** The addresses (parsed once per account). */
  publicKeys(): PublicKey[] {
    const { accts, pks } = this;
    for (let i = 0; i < pks.length; i++) {
      if (pks[i] === null) {
        const a = accts[i]!;
        pks[i] = a.pk ?? (a.pk = new PublicKey(a.key));
      }
    }
    return pks.slice() as PublicKey[];
  }
}

/** One price the index follows: a market's oracle or a collateral bank's. */
interface Dim {
  /** Position in the index's dimension list (and in its price array). */
  idx: number;
  market: number | null;
  bank: number | null;
  /** The PriceBook key of its oracle. */
  key: string;
  p: bigint;
  x: number;
  /** Keys that fire when the price falls below them / rises above them. */
  down: KeyBuckets;
  up: KeyBuckets;
}

interface Acct {
  key: string;
  pk: PublicKey | null;
  view: IndexedAccount;
  /** Its units' ids. */
  units: number[];
  /** Below maintenance whatever the prices: debt with nothing left, or an isolated slot closed under water. */
  flagged: boolean;
  /** Units not meeting maintenance. */
  bad: number;
  /** Position in the list of accounts below maintenance (−1: not there). */
  pos: number;
}

const MET = 1;
const LINEAR = 2;
/** A portfolio unit with a floating-point filter (no binding PnL cap). */
const NETTED = 4;
/** Numbers per unit in `UnitStore.s`, and their places. */
const U_STRIDE = 8;
const [U_GEN, U_FLAGS, U_C0, U_ERR, U_OFF, U_ND, U_MARKET] = [0, 1, 2, 3, 4, 5, 6] as const;
/** Numbers per dimension of a unit: slope or Lipschitz bound, direction, cap limit, equity slope, risk slope, asset. */
const STRIDE = 6;

/**
 * The units, as parallel typed arrays (a re-check reads a few numbers, not a graph of objects):
 * a unit is the collateral-backed part of an account or one isolated position, with a health
 * `h = equity − requirement` at maintenance that is a function of its dimensions' prices. Per
 * unit: its generation (keys of older generations are stale), flags, the price-independent part
 * of its equity `c0`, the rounding bound `err` of its formula, and `nd` dimensions at `off` in
 * the slot arrays: the dimensions' indices, and {@link STRIDE} numbers per dimension stored
 * field by field (all slopes first, then all directions, …: a re-check reads one run).
 */
class UnitStore {
  /**
   * Per unit, {@link U_STRIDE} numbers: generation, flags, c0, err, slot offset, dimension
   * count, market (−1: the collateral-backed part; otherwise the isolated position's market).
   */
  s = new Float64Array(1024 * U_STRIDE);
  readonly acct: (Acct | null)[] = [];
  readonly model: (risk.PortfolioModel | null)[] = [];
  /** Per slot: dimension index; and STRIDE numbers. */
  dim = new Int32Array(4096);
  f = new Float64Array(4096 * STRIDE);
  private top = 0;
  private count = 0;
  private readonly freeIds: number[] = [];
  private readonly freeSlots = new Map<number, number[]>();

  alloc(acct: Acct, nd: number): number {
    const id = this.freeIds.pop() ?? this.count++;
    if ((id + 1) * U_STRIDE > this.s.length) this.growUnits();
    const spare = this.freeSlots.get(nd);
    let off = spare?.pop();
    if (off === undefined) {
      off = this.top;
      this.top += nd;
      if (this.top > this.dim.length) this.growSlots();
    }
    this.s[id * U_STRIDE + U_OFF] = off;
    this.s[id * U_STRIDE + U_ND] = nd;
    this.acct[id] = acct;
    this.model[id] = null;
    this.s[id * U_STRIDE + U_GEN] = 0;
    return id;
  }

  release(id: number): void {
    const nd = this.s[id * U_STRIDE + U_ND]!;
    let list = this.freeSlots.get(nd);
    if (!list) this.freeSlots.set(nd, (list = []));
    list.push(this.s[id * U_STRIDE + U_OFF]!);
    this.acct[id] = null;
    this.model[id] = null;
    this.s[id * U_STRIDE + U_GEN] = -1;
    this.freeIds.push(id);
  }

  /** Every live unit id. */
  *ids(): IterableIterator<number> {
    for (let id = 0; id < this.count; id++) if (this.acct[id]) yield id;
  }

  private growUnits(): void {
    const s = new Float64Array(this.s.length * 2);
    s.set(this.s);
    this.s = s;
  }

  private growSlots(): void {
    const size = Math.max(this.dim.length * 2, this.top);
    const dim = new Int32Array(size);
    dim.set(this.dim);
    const f = new Float64Array(size * STRIDE);
    f.set(this.f);
    this.dim = dim;
    this.f = f;
  }
}

const sameView = (a: IndexedAccount, b: IndexedAccount): boolean => {
  if (a.quoteBalance !== b.quoteBalance || a.marginMode !== b.marginMode || a.collateral.length !== b.collateral.length || a.perps.length !== b.perps.length) return false;
  for (let i = 0; i < a.collateral.length; i++) {
    const x = a.collateral[i]!;
    const y = b.collateral[i]!;
    if (x.bankIndex !== y.bankIndex || x.amount !== y.amount) return false;
  }
  for (let i = 0; i < a.perps.length; i++) {
    const x = a.perps[i]!;
    const y = b.perps[i]!;
    const px = "position" in x ? x.position : null;
    const py = "position" in y ? y.position : null;
    if (!px || !py) return false; // full decodes: compared by the caller's rebuild
    if (x.marketIndex !== y.marketIndex || Boolean(x.isolated) !== Boolean(y.isolated) || x.isolatedCollateral !== y.isolatedCollateral) return false;
    if (px.base !== py.base || px.quoteEntry !== py.quoteEntry || px.fundingSnapshot !== py.fundingSnapshot) return false;
  }
  return true;
};

/**
 * Whether an account is below maintenance at `ctx` (the keeper's reason to look at it): a unit
 * not meeting maintenance, or debt to resolve. The full scan the index is checked against.
 */
export function belowMaintenance(v: IndexedAccount, ctx: RiskContext): boolean {
  if (v.perps.length === 0 && v.collateral.length === 0) return v.quoteBalance < 0n;
  try {
    const parts = marginParts(v, ctx);
    if (!parts.model) return false;
    for (const iso of parts.isolated) {
      if (iso.account.perps[0]!.position.base === 0n) {
        if (iso.account.quoteBalance < 0n) return true;
      } else if (!risk.isMet(risk.health(iso.account, MAINT))) return true;
    }
    const ra = parts.main;
    if (ra.perps.length === 0 && ra.collateral.length === 0) return v.quoteBalance < 0n;
    return !risk.isMet(risk.modelHealth(ra, parts.model, MAINT));
  } catch (e) {
    // Not priceable: the keeper's scan skips it.
    if (e instanceof Error) return false;
    throw e;
  }
}

export class LiquidationIndex {
  private state: ExchangeState;
  private prices: PriceBook;
  private ctx: RiskContext;
  /** The correlations the portfolio units were built with (the state may be updated in place). */
  private corr: ExchangeState["correlations"];
  private readonly accts = new Map<string, Acct>();
  private readonly liq = new AcctList();
  private readonly u = new UnitStore();
  private gen = 0;
  private readonly dimList: Dim[] = [];
  /** Each dimension's price (by `Dim.idx`), for the re-checks. */
  private dimX = new Float64Array(64);
  private readonly marketDims = new Map<number, Dim>();
  private readonly bankDims = new Map<number, Dim>();
  /** Per market with a PnL cap: the cap the keys were computed for (half the cap then). */
  private readonly capFloor = new Map<number, bigint>();
  private readonly decode = marginRiskDecoder();
  /** Units popped by a move, re-checked once all moved dimensions are popped. */
  private hit = new Int32Array(1024);
  private hits = 0;
  /** Work done so far: units re-checked, and of those evaluated by the risk mirror (the rest by their own formula). */
  readonly stats = { checks: 0, exact: 0, popped: 0 };

  constructor(state: ExchangeState, prices: PriceBook) {
    this.state = state;
    this.prices = new Map(prices);
    this.ctx = riskContext(state, this.prices);
    this.corr = state.correlations;
    this.syncDims();
  }

  /** Accounts indexed. */
  get size(): number {
    return this.accts.size;
  }

  /** The account as last upserted. */
  get(pubkey: PublicKey | string): IndexedAccount | undefined {
    return this.accts.get(keyOf(pubkey))?.view;
  }

  /** Every indexed account (for a full scan). */
  *entries(): IterableIterator<[string, IndexedAccount]> {
    for (const a of this.accts.values()) yield [a.key, a.view];
  }

  /** Adds or replaces an account (decoded, or its raw data). An unchanged account is a no-op. */
  upsert(pubkey: PublicKey | string, account: IndexedAccount | Uint8Array): void {
    const view = account instanceof Uint8Array ? this.decode(Buffer.isBuffer(account) ? account : Buffer.from(account)) : account;
    const key = keyOf(pubkey);
    const old = this.accts.get(key);
    if (old) {
      const same = sameView(old.view, view);
      old.view = view;
      if (typeof pubkey !== "string") old.pk = pubkey;
      if (same) return;
      this.rebuild(old);
      return;
    }
    const acct: Acct = { key, pk: typeof pubkey === "string" ? null : pubkey, view, units: [], flagged: false, bad: 0, pos: -1 };
    this.accts.set(key, acct);
    this.build(acct);
  }

  remove(pubkey: PublicKey | string): void {
    const acct = this.accts.get(keyOf(pubkey));
    if (!acct) return;
    this.clear(acct);
    this.accts.delete(acct.key);
  }

  /**
   * Market `marketIndex`'s oracle price (engine units; a bare bigint keeps the EMA). Every bank
   * priced by the same oracle and decimals moves with it, as it does on chain.
   */
  setPrice(marketIndex: number, price: bigint | risk.Price): void {
    const d = this.marketDims.get(marketIndex);
    if (!d) throw new Error(`market ${marketIndex} not listed`);
    const prev = this.prices.get(d.key);
    const next = typeof price === "bigint" ? { oracle: price, ema: prev?.ema ?? price } : price;
    this.setPrices(new Map([[d.key, next]]));
  }

  /** New prices (a whole or partial book: keys absent keep their price). */
  setPrices(book: PriceBook): void {
    this.settle();
    let appeared = false;
    for (const [k, p] of book) {
      if (!this.prices.has(k)) appeared = true;
      this.prices.set(k, p);
    }
    if (appeared) {
      // A market or bank priced for the first time: accounts skipped for want of it come in.
      this.setState(this.state);
      return;
    }
    const moved: [Dim, number][] = [];
    const rebuildMarkets = new Set<number>();
    for (const d of this.dims()) {
      const p = this.prices.get(d.key);
      if (!p || p.oracle === d.p) {
        if (p) this.refreshCtxPrice(d, p);
        continue;
      }
      const before = d.x;
      if (d.market !== null) {
        const old = this.ctx.markets[d.market];
        this.refreshCtxPrice(d, p);
        const now = this.ctx.markets[d.market];
        if ((old?.pnlHaircut && risk.isHaircut(old.pnlHaircut)) || (now?.pnlHaircut && risk.isHaircut(now.pnlHaircut))) rebuildMarkets.add(d.market);
      } else this.refreshCtxPrice(d, p);
      moved.push([d, before]);
    }
    this.rebuildHolders(rebuildMarkets, new Set());
    this.fire(moved);
  }

  /**
   * Replaces the exchange state (banks, markets, pool, correlations; and prices when given):
   * accounts whose inputs other than prices changed are rebuilt, moved prices fire their keys.
   */
  setState(state: ExchangeState, prices?: PriceBook): void {
    this.settle();
    if (prices) for (const [k, p] of prices) this.prices.set(k, p);
    const old = this.ctx;
    const oldCorr = this.corr;
    this.corr = state.correlations;
    this.state = state;
    this.ctx = riskContext(state, this.prices);
    const before = new Map<Dim, number>();
    for (const d of this.dims()) before.set(d, d.x);
    this.syncDims();
    const p0 = old.params;
    const p1 = this.ctx.params;
    const paramsChanged = p0.quoteMaintLiabilityWeight !== p1.quoteMaintLiabilityWeight || p0.quoteInitLiabilityWeight !== p1.quoteInitLiabilityWeight
      || p0.unrealizedPnlInitWeight !== p1.unrealizedPnlInitWeight;
    const newlyPriced = this.ctx.markets.some((m, i) => m && !old.markets[i]) || this.ctx.banks.some((b, i) => b && !old.banks[i]);
    if (paramsChanged || newlyPriced) {
      for (const a of this.accts.values()) this.rebuild(a);
      return;
    }
    const markets = new Set<number>();
    /** By dimension: how far the index longs / shorts settle against moved (a crank), FUNDING_SCALE units. */
    const funding = new Map<number, { long: number; short: number }>();
    this.ctx.markets.forEach((m, i) => {
      const o = old.markets[i];
      if (!m || !o) return;
      if (o.maintMarginRatio !== m.maintMarginRatio || o.imf !== m.imf || o.baseDecimals !== m.baseDecimals) markets.add(i);
      const df = m.cumulativeFunding - o.cumulativeFunding;
      const db = (m.cumulativeBorrow ?? 0n) - (o.cumulativeBorrow ?? 0n);
      if (df !== 0n || db !== 0n) funding.set(this.marketDims.get(i)!.idx, { long: Number(df + db), short: Number(df - db) });
      const h0 = o.pnlHaircut;
      const h1 = m.pnlHaircut;
      if ((h0 && risk.isHaircut(h0)) || (h1 && risk.isHaircut(h1))) markets.add(i);
      // The cap fell under what the holders' cap keys assume.
      const floor = this.capFloor.get(i);
      if (h1 && floor !== undefined && h1.cap < floor) markets.add(i);
    });
    const banks = new Set<number>();
    this.ctx.banks.forEach((b, i) => {
      const o = old.banks[i];
      if (b && o && o.maintAssetWeight !== b.maintAssetWeight) banks.add(i);
    });
    this.shiftFunding(funding);
    if (!sameCorrelations(oldCorr, state.correlations)) {
      for (const a of this.accts.values()) if (a.view.marginMode === risk.MarginMode.Portfolio) this.rebuild(a);
    }
    this.rebuildHolders(markets, banks);
    const moved: [Dim, number][] = [];
    for (const [d, x] of before) if (d.x !== x) moved.push([d, x]);
    this.fire(moved);
  }

  /** Accounts below maintenance at the current prices (or with debt to resolve). */
  liquidatable(): PublicKey[] {
    return this.liq.publicKeys();
  }

  /** {@link liquidatable} as the keys given to {@link upsert} (base58). */
  liquidatableKeys(): string[] {
    return this.liq.keys.slice();
  }

  /**
   * Accounts that a move of `pct` percent of market `marketIndex`'s price (−10: a 10% fall),
   * with the banks on the same oracle, would put below maintenance and are not there now:
   * evaluated with the risk mirror at the shocked prices. Nothing is changed.
   */
  shock(marketIndex: number, pct: number): PublicKey[] {
    this.settle();
    const d = this.marketDims.get(marketIndex);
    if (!d) throw new Error(`market ${marketIndex} not listed`);
    const shocked = mulPct(d.p, pct);
    const dims = this.dimList.filter((x) => x.key === d.key);
    const ctx: RiskContext = { ...this.ctx, markets: this.ctx.markets.slice(), banks: this.ctx.banks.slice() };
    const xs = this.dimX.slice();
    let allHolders = false;
    for (const x of dims) {
      xs[x.idx] = Number(shocked);
      if (x.market !== null) {
        const m = ctx.markets[x.market]!;
        const entry = this.state.markets.get(x.market)!;
        const h = entry.market.maxPnlFactor ? marketHaircut(entry.market, shocked, this.state.pool.balance) : m.pnlHaircut;
        if ((h && risk.isHaircut(h)) || (m.pnlHaircut && risk.isHaircut(m.pnlHaircut))) allHolders = true;
        ctx.markets[x.market] = { ...m, price: { oracle: shocked, ema: m.price.ema }, pnlHaircut: h };
      } else if (x.bank !== null) {
        const b = ctx.banks[x.bank]!;
        ctx.banks[x.bank] = { ...b, price: { oracle: shocked, ema: b.price.ema } };
      }
    }
    const U = this.u;
    const candidates = new Set<number>();
    if (allHolders) {
      const idx = new Set(dims.map((x) => x.idx));
      for (const id of U.ids()) if (U.s[id * U_STRIDE + U_FLAGS]! & MET && this.holds(id, idx)) candidates.add(id);
    } else {
      const collect = (id: number, gen: number): void => {
        if (U.s[id * U_STRIDE + U_GEN] === gen && U.s[id * U_STRIDE + U_FLAGS]! & MET) candidates.add(id);
      };
      for (const x of dims) {
        if (shocked < x.p) x.down.visit(Number(shocked), collect);
        else if (shocked > x.p) x.up.visit(Number(shocked), collect);
      }
    }
    const out = new Map<Acct, PublicKey>();
    for (const id of candidates) {
      const a = U.acct[id]!;
      if (this.liq.has(a) || out.has(a)) continue;
      if (this.healthAt(id, ctx, xs) < 0) out.set(a, a.pk ?? (a.pk = new PublicKey(a.key)));
    }
    return [...out.values()];
  }

  /**
   * Market `marketIndex`'s positions by liquidation price (lowest first): for each account's
   * backed part (by its mode) or isolated position, the oracle price of this market at which it
   * reaches maintenance with every other price fixed (`risk.modelLiquidationPrice`, the
   * engine's rule). Positions that no price of this market liquidates are left out.
   */
  map(marketIndex: number): LiquidationMapEntry[] {
    const d = this.marketDims.get(marketIndex);
    if (!d) throw new Error(`market ${marketIndex} not listed`);
    const U = this.u;
    const only = new Set([d.idx]);
    const out: LiquidationMapEntry[] = [];
    for (const id of U.ids()) {
      if (!this.holds(id, only)) continue;
      const a = U.acct[id]!;
      const market = U.s[id * U_STRIDE + U_MARKET]!;
      try {
        const parts = marginParts(a.view, this.ctx);
        const iso = market >= 0 ? parts.isolated.find((x) => x.marketIndex === market) : null;
        const ra = iso ? iso.account : parts.main;
        const idx = iso ? 0 : parts.mainMarkets.indexOf(marketIndex);
        const model = iso ? risk.MarginModel.Cross : parts.model;
        if (idx < 0 || !model) continue;
        const e = ra.perps[idx]!;
        const liqPrice = risk.modelLiquidationPrice(ra, model, idx);
        if (liqPrice === null) continue;
        out.push({
          account: a.pk ?? (a.pk = new PublicKey(a.key)),
          liqPrice,
          notional: risk.positionNotional(e.position.base, e.market, MAINT),
          side: e.position.base > 0n ? "long" : "short",
          isolated: iso !== null,
        });
      } catch (e) {
        if (!(e instanceof Error)) throw e;
      }
    }
    return out.sort((x, y) => (x.liqPrice < y.liqPrice ? -1 : x.liqPrice > y.liqPrice ? 1 : 0));
  }

  // ------------------------------------------------------------------ internals

  private dims(): Dim[] {
    return this.dimList;
  }

  /** Whether unit `id` has a dimension in `idx`. */
  private holds(id: number, idx: Set<number>): boolean {
    const U = this.u;
    const off = U.s[id * U_STRIDE + U_OFF]!;
    for (let k = 0; k < U.s[id * U_STRIDE + U_ND]!; k++) if (idx.has(U.dim[off + k]!)) return true;
    return false;
  }

  private newDim(market: number | null, bank: number | null, key: string, p: bigint): Dim {
    const x = Number(p);
    const d: Dim = { idx: this.dimList.length, market, bank, key, p, x, down: new KeyBuckets(x > 0 ? x : 1, true), up: new KeyBuckets(x > 0 ? x : 1, false) };
    this.dimList.push(d);
    if (d.idx >= this.dimX.length) {
      const grown = new Float64Array(this.dimX.length * 2);
      grown.set(this.dimX);
      this.dimX = grown;
    }
    this.dimX[d.idx] = x;
    return d;
  }

  private setX(d: Dim, p: bigint): void {
    d.p = p;
    d.x = Number(p);
    this.dimX[d.idx] = d.x;
  }

  /** A dimension per priced market and bank. */
  private syncDims(): void {
    this.ctx.markets.forEach((m, i) => {
      if (!m) return;
      const { market } = this.state.markets.get(i)!;
      this.syncDim(this.marketDims, i, i, null, () => priceKey(market.oracle, market.baseDecimals), m.price.oracle);
    });
    this.ctx.banks.forEach((b, i) => {
      if (!b) return;
      const { bank } = this.state.banks.get(i)!;
      this.syncDim(this.bankDims, i, null, i, () => priceKey(bank.oracle, bank.decimals), b.price.oracle);
    });
  }

  /** Moves dimension `i` of `dims` to price `p`, creating it (market or bank, price `key`) if new. */
  private syncDim(dims: Map<number, Dim>, i: number, market: number | null, bank: number | null, key: () => string, p: bigint): void {
    const d = dims.get(i);
    if (!d) dims.set(i, this.newDim(market, bank, key(), p));
    else this.setX(d, p);
  }

  /** The context's entry of `d` at price `p` (a market's PnL cap recomputed at it). */
  private refreshCtxPrice(d: Dim, p: risk.Price): void {
    this.setX(d, p.oracle);
    if (d.market !== null) {
      const m = this.ctx.markets[d.market];
      const entry = this.state.markets.get(d.market);
      if (!m || !entry) return;
      const pnlHaircut = entry.market.maxPnlFactor ? marketHaircut(entry.market, p.oracle, this.state.pool.balance) : m.pnlHaircut;
      this.ctx.markets[d.market] = { ...m, price: p, pnlHaircut };
    } else if (d.bank !== null) {
      const b = this.ctx.banks[d.bank];
      if (b) this.ctx.banks[d.bank] = { ...b, price: p };
    }
  }

  private readonly take = (id: number, gen: number): void => {
    this.stats.popped++;
    const U = this.u;
    if (U.s[id * U_STRIDE + U_GEN] !== gen) return;
    U.s[id * U_STRIDE + U_GEN] = -1; // popped once: its other keys are stale from here on
    if (this.hits === this.hit.length) {
      const grown = new Int32Array(this.hit.length * 2);
      grown.set(this.hit);
      this.hit = grown;
    }
    this.hit[this.hits++] = id;
  };

  /** Pops the keys each moved dimension crossed, then re-checks those units at the prices now. */
  private fire(moved: [Dim, number][]): void {
    if (moved.length === 0) return;
    this.hits = 0;
    for (const [d, before] of moved) {
      if (d.x < before) d.down.fire(d.x, this.take);
      else if (d.x > before) d.up.fire(d.x, this.take);
    }
    for (let i = 0; i < this.hits; i++) this.evaluate(this.hit[i]!);
  }

  /**
   * Re-keys the units the last move re-checked: their status (and so the list) is up to date
   * as soon as the move returns; their new keys are pushed here, before the next change (every
   * method that needs them calls it first) or when the caller is idle (the keeper, once its scan
   * has started the liquidations), off the path from a price to the list.
   */
  settle(): void {
    const U = this.u;
    const n = this.hits;
    if (n === 0) return;
    this.hits = 0;
    for (let i = 0; i < n; i++) {
      const id = this.hit[i]!;
      // Still the unit that was popped (not released, nor reused and keyed since).
      if (U.s[id * U_STRIDE + U_GEN] !== -1 || !U.acct[id]) continue;
      const h = this.healthAt(id, this.ctx, this.dimX);
      this.key(id, h, this.slack, h >= 0);
    }
    for (const d of this.dimList) {
      d.down.maybeCompact(this.live);
      d.up.maybeCompact(this.live);
    }
  }

  private readonly live = (id: number, gen: number): boolean => this.u.s[id * U_STRIDE + U_GEN] === gen;

  private rebuildHolders(markets: Set<number>, banks: Set<number>): void {
    if (markets.size === 0 && banks.size === 0) return;
    const idx = new Set<number>();
    for (const m of markets) {
      const d = this.marketDims.get(m);
      if (d) idx.add(d.idx);
      this.capFloor.delete(m);
    }
    for (const b of banks) {
      const d = this.bankDims.get(b);
      if (d) idx.add(d.idx);
    }
    const accts = new Set<Acct>();
    for (const id of this.u.ids()) if (this.holds(id, idx)) accts.add(this.u.acct[id]!);
    for (const a of accts) this.rebuild(a);
  }

  /**
   * A crank moved the funding (or borrow) index of some markets: each holder's equity moves by
   * `−base × Δindex` (its unsettled funding, rounded up by the engine): its `c0` is shifted by
   * that, its rounding bound grows by one unit, and it is re-checked and re-keyed (by its
   * formula; the risk mirror near zero). After many cranks the account is rebuilt from its view.
   */
  private shiftFunding(shifts: Map<number, { long: number; short: number }>): void {
    if (shifts.size === 0) return;
    const U = this.u;
    const stale = new Set<Acct>();
    const ids: number[] = [];
    for (const id of U.ids()) {
      const off = U.s[id * U_STRIDE + U_OFF]!;
      const nd = U.s[id * U_STRIDE + U_ND]!;
      let dc = 0;
      let touched = false;
      for (let k = 0; k < nd; k++) {
        const shift = shifts.get(U.dim[off + k]!);
        if (!shift) continue;
        const b = U.f[off * STRIDE + 3 * nd + k]!; // base / PRICE_SCALE = base / FUNDING_SCALE
        dc -= b * (b > 0 ? shift.long : shift.short);
        touched = true;
      }
      if (!touched) continue;
      U.s[id * U_STRIDE + U_C0] = U.s[id * U_STRIDE + U_C0]! + dc;
      const err = U.s[id * U_STRIDE + U_ERR]! + 1 + Math.abs(dc) * 1e-12;
      U.s[id * U_STRIDE + U_ERR] = err;
      if (err > 64 + 4 * nd) stale.add(U.acct[id]!);
      else ids.push(id);
    }
    for (const id of ids) if (!stale.has(U.acct[id]!)) this.check(id);
    for (const a of stale) this.rebuild(a);
  }

  private rebuild(acct: Acct): void {
    this.clear(acct);
    this.build(acct);
  }

  private clear(acct: Acct): void {
    for (const id of acct.units) this.u.release(id);
    acct.units = [];
    acct.bad = 0;
    acct.flagged = false;
    this.liq.delete(acct);
  }

  private build(acct: Acct): void {
    const v = acct.view;
    if (v.perps.length === 0 && v.collateral.length === 0) {
      acct.flagged = v.quoteBalance < 0n;
    } else {
      let parts: MarginParts | null = null;
      try {
        parts = marginParts(v, this.ctx);
      } catch (e) {
        // Not priceable (a market or bank without a price): skipped, as the keeper's scan does.
        if (!(e instanceof Error)) throw e;
      }
      if (parts?.model) {
        for (const iso of parts.isolated) {
          if (iso.account.perps[0]!.position.base === 0n) {
            if (iso.account.quoteBalance < 0n) acct.flagged = true;
          } else this.addUnit(acct, iso.marketIndex, iso.account, risk.MarginModel.Cross, [iso.marketIndex], []);
        }
        const ra = parts.main;
        if (ra.perps.length === 0 && ra.collateral.length === 0) {
          if (v.quoteBalance < 0n) acct.flagged = true;
        } else this.addUnit(acct, -1, ra, parts.model, parts.mainMarkets, v.collateral.map((c) => c.bankIndex));
      }
    }
    if (acct.flagged || acct.bad > 0) this.liq.add(acct);
  }

  private addUnit(acct: Acct, market: number, ra: risk.RiskAccount, model: risk.MarginModel, markets: number[], banks: number[]): void {
    const U = this.u;
    const nc = ra.collateral.length;
    const nd = nc + ra.perps.length;
    const id = U.alloc(acct, nd);
    acct.units.push(id);
    const portfolio = model.mode === risk.MarginMode.Portfolio ? model : null;
    let linear = !portfolio;
    let netted = !!portfolio;
    const off = U.s[id * U_STRIDE + U_OFF]!;
    const f = U.f;
    let c0 = risk.quoteValue(ra.quoteBalance, ra.params, MAINT);
    ra.collateral.forEach((c, i) => {
      const w = c.maintAssetWeight / PPM;
      const amount = Number(c.amount) / SCALE;
      const at = off * STRIDE + i;
      U.dim[off + i] = this.bankDims.get(banks[i]!)!.idx;
      // Cross: weighted value, exactly linear. Portfolio: full value in equity, (1 − w) of it as
      // risk, so the health moves between w and 2 − w per unit of value.
      f[at] = portfolio ? amount * (2 - w) : amount * w;
      f[at + nd] = 1;
      f[at + 2 * nd] = NaN;
      f[at + 3 * nd] = amount;
      f[at + 4 * nd] = amount * (1 - w);
      f[at + 5 * nd] = portfolio?.collateralAssets[i] ?? risk.STANDALONE;
    });
    ra.perps.forEach((e, j) => {
      const at = off * STRIDE + nc + j;
      const d = this.marketDims.get(markets[j]!)!;
      const base = e.position.base;
      const b = Number(base) / SCALE;
      const ratio = Number(risk.marginRatio(base, e.market, MAINT)) / PPM;
      c0 += e.position.quoteEntry - risk.unsettledFunding(e.position, e.market);
      let sgn = base > 0n ? 1 : base < 0n ? -1 : 0;
      let limit = NaN;
      const h = e.market.pnlHaircut;
      if (h && risk.isHaircut(h)) sgn = 0;
      else if (h && h.cap < NO_CAP && base !== 0n) {
        // Past the cap a gain stops counting: a key where the uncapped PnL would reach half the
        // cap the keys assume (re-checked there), non-monotone already if it is that close.
        let floor = this.capFloor.get(markets[j]!);
        if (floor === undefined || floor > h.cap / 2n) this.capFloor.set(markets[j]!, (floor = h.cap / 2n));
        const room = Number(floor - risk.uncappedPnl(e.position, e.market, MAINT)) - 4;
        if (room <= 0) sgn = 0;
        else limit = d.x + (sgn * room) / Math.abs(b);
      }
      if (sgn === 0 && base !== 0n) {
        linear = false;
        netted = false;
      }
      U.dim[off + nc + j] = d.idx;
      f[at] = b - Math.abs(b) * ratio;
      f[at + nd] = sgn;
      f[at + 2 * nd] = limit;
      f[at + 3 * nd] = b;
      f[at + 4 * nd] = b * ratio;
      f[at + 5 * nd] = portfolio?.perpAssets[j] ?? risk.STANDALONE;
    });
    if (!linear) {
      // Not linear: Lipschitz bounds (a position's requirement and netted risk move at most `ratio` per unit of its value).
      ra.collateral.forEach((c, i) => (f[off * STRIDE + i] = (Number(c.amount) / SCALE) * (2 - c.maintAssetWeight / PPM)));
      ra.perps.forEach((e, j) => {
        const ratio = Number(risk.marginRatio(e.position.base, e.market, MAINT)) / PPM;
        f[off * STRIDE + nc + j] = (Math.abs(Number(e.position.base)) / SCALE) * (1 + ratio);
      });
    }
    U.s[id * U_STRIDE + U_C0] = Number(c0);
    U.s[id * U_STRIDE + U_ERR] = 2 + nc + 2 * ra.perps.length;
    U.s[id * U_STRIDE + U_MARKET] = market;
    U.model[id] = portfolio;
    U.s[id * U_STRIDE + U_FLAGS] = MET | (linear ? LINEAR : 0) | (netted ? NETTED : 0);
    this.check(id);
  }

  /** Re-evaluates unit `id` at the prices now, updates its account's status and re-keys it. */
  private check(id: number): void {
    const h = this.evaluate(id);
    this.key(id, h, this.slack, h >= 0);
  }

  /** Unit `id`'s health at the prices now (its slack in {@link slack}), its account's status updated. */
  private evaluate(id: number): number {
    this.stats.checks++;
    const U = this.u;
    const h = this.healthAt(id, this.ctx, this.dimX);
    const met = h >= 0;
    const flags = U.s[id * U_STRIDE + U_FLAGS]!;
    if (met !== ((flags & MET) !== 0)) {
      U.s[id * U_STRIDE + U_FLAGS] = met ? flags | MET : flags & ~MET;
      const a = U.acct[id]!;
      a.bad += met ? -1 : 1;
      if (a.flagged || a.bad > 0) this.liq.add(a);
      else this.liq.delete(a);
    }
    return h;
  }

  /** Set by {@link healthAt}: the rounding slack its band must keep. */
  private slack = 0;
  private readonly scratch = new Float64Array(risk.MAX_ASSETS);

  /**
   * Unit `id`'s health at `ctx` with dimension prices `xs`, and in {@link slack} the rounding
   * its band must keep. The unit's formula (cross: linear; portfolio: the netted requirement in
   * floating point) decides unless it lands within its rounding bound of zero; then, and for
   * units with a binding PnL cap, the risk mirror does.
   */
  private healthAt(id: number, ctx: RiskContext, xs: Float64Array): number {
    const U = this.u;
    const { f, dim } = U;
    const off = U.s[id * U_STRIDE + U_OFF]!;
    const nd = U.s[id * U_STRIDE + U_ND]!;
    const base = off * STRIDE;
    const flags = U.s[id * U_STRIDE + U_FLAGS]!;
    const c0 = U.s[id * U_STRIDE + U_C0]!;
    if (flags & LINEAR) {
      let s = c0;
      let mag = Math.abs(c0);
      for (let k = 0; k < nd; k++) {
        const t = f[base + k]! * xs[dim[off + k]!]!;
        s += t;
        mag += Math.abs(t);
      }
      const slack = U.s[id * U_STRIDE + U_ERR]! + mag * 1e-12;
      if (Math.abs(s) > slack) {
        this.slack = slack;
        return s;
      }
      this.slack = 2 * slack;
      return this.exactHealth(id, ctx);
    }
    let g = 0;
    for (let k = 0; k < nd; k++) g += f[base + k]! * xs[dim[off + k]!]!;
    // √(VᵀCV) rounds each weighted term: at most √(Σ|v|) more than the real-valued norm.
    const slack = 6 + 4 * nd + 2 * Math.sqrt(g) + g * 1e-12;
    const model = U.model[id];
    if (flags & NETTED && model) {
      const v = this.scratch;
      const n = Math.min(model.correlation.n, risk.MAX_ASSETS);
      v.fill(0, 0, n);
      let s = c0;
      let gross = 0;
      let standalone = 0;
      for (let k = 0; k < nd; k++) {
        const at = base + k;
        const x = xs[dim[off + k]!]!;
        s += f[at + 3 * nd]! * x;
        const r = f[at + 4 * nd]! * x;
        const asset = f[at + 5 * nd]!;
        gross += Math.abs(r);
        if (asset >= n) standalone += Math.abs(r);
        else v[asset] = v[asset]! + r;
      }
      const c = model.correlation.c;
      let q = 0;
      for (let i = 0; i < n; i++) {
        if (v[i] === 0) continue;
        let w = 0;
        for (let j = 0; j < n; j++) w += (c[i]![j]! / PPM) * v[j]!;
        q += v[i]! * w;
      }
      const h = s - Math.max((model.floor / PPM) * gross, Math.sqrt(q > 0 ? q : 0) + standalone);
      if (Math.abs(h) > slack) {
        this.slack = slack;
        return h;
      }
    }
    this.slack = 2 * slack;
    return this.exactHealth(id, ctx);
  }

  /** The engine's maintenance health of unit `id` (equity − requirement); an account it cannot price counts as healthy, as the keeper skips it. */
  private exactHealth(id: number, ctx: RiskContext): number {
    this.stats.exact++;
    const U = this.u;
    try {
      const parts = marginParts(U.acct[id]!.view, ctx);
      if (!parts.model) return 0;
      const market = U.s[id * U_STRIDE + U_MARKET]!;
      let m: risk.Health;
      if (market >= 0) {
        const iso = parts.isolated.find((x) => x.marketIndex === market);
        if (!iso) return 0;
        m = risk.health(iso.account, MAINT);
      } else m = risk.modelHealth(parts.main, parts.model, MAINT);
      const h = m.equity - m.requirement;
      return h === 0n ? 0 : Number(h);
    } catch (e) {
      if (!(e instanceof Error)) throw e;
      return 0;
    }
  }

  /** Pushes unit `id`'s keys for its health `h` at the prices now (see the module comment). */
  private key(id: number, h: number, slack: number, met: boolean): void {
    const U = this.u;
    const gen = ++this.gen;
    U.s[id * U_STRIDE + U_GEN] = gen;
    const { f, dim } = U;
    const off = U.s[id * U_STRIDE + U_OFF]!;
    const nd = U.s[id * U_STRIDE + U_ND]!;
    const xs = this.dimX;
    const budget = Math.abs(h) - slack;
    let denom = 0;
    const base = off * STRIDE;
    for (let k = 0; k < nd; k++) denom += Math.abs(f[base + k]!) * xs[dim[off + k]!]!;
    const delta = budget <= 0 ? 0 : denom > 0 ? (budget / denom) * (1 - 1e-9) : Infinity;
    for (let k = 0; k < nd; k++) {
      const d = this.dimList[dim[off + k]!]!;
      const x = d.x;
      const sgn = f[base + nd + k]!;
      if (delta !== Infinity) {
        // Met: the adverse direction; not met: the favourable one; either when not monotone.
        const dir = met ? -sgn : sgn;
        if (dir <= 0) d.down.push(x * (1 - delta) + x * KEY_EPS + 1, id, gen);
        if (dir >= 0) d.up.push(x * (1 + delta) - x * KEY_EPS - 1, id, gen);
      }
      const limit = f[base + 2 * nd + k]!;
      if (!Number.isNaN(limit)) {
        if (sgn > 0) d.up.push(limit, id, gen);
        else d.down.push(limit, id, gen);
      }
    }
  }
}

/** Whether two decodes of the exchange's correlations margin alike (a resync decodes them anew). */
function sameCorrelations(a: ExchangeState["correlations"], b: ExchangeState["correlations"]): boolean {
  if (a === b) return true;
  if (!a || !b || a.floor !== b.floor || a.numAssets !== b.numAssets) return false;
  const same = (x: ArrayLike<number>, y: ArrayLike<number>): boolean => x.length === y.length && Array.from(x).every((v, i) => v === y[i]);
  return same(a.bankAssets, b.bankAssets) && same(a.marketAssets, b.marketAssets) && a.matrix.every((row, i) => same(row, b.matrix[i] ?? []));
}

const keyOf = (pubkey: PublicKey | string): string => (typeof pubkey === "string" ? pubkey : pubkey.toBase58());

/** `p × (1 + pct / 100)`, rounded down, at least 1. */
function mulPct(p: bigint, pct: number): bigint {
  const ppb = BigInt(Math.round((100 + pct) * 1e7)); // parts per 10⁹
  const out = (p * (ppb < 0n ? 0n : ppb)) / 1_000_000_000n;
  return out > 0n ? out : 1n;
}
