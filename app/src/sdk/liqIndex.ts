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
 *   with the risk mirror (`modelHealth`), the same numbers as the engine.
 *
 * Several prices at once: a unit's status cannot change while `Σ_d L_d·|adverse move_d| <
 * |h| − slack` (adverse: down for a long or collateral when met, up when not met; the slack
 * covers the engine's rounding). The budget is split so that every dimension may move by the
 * same fraction `δ = (|h| − slack) / Σ_d L_d·x_d` of its price: each unit puts one key per
 * dimension at `x_d·(1 ∓ δ)` in that market's heap of down-keys or up-keys. For an account on
 * one price this key is its liquidation price (up to the rounding slack); for one on several
 * prices it is the price at which this market *alone* would use the whole budget, i.e. no
 * further than its liquidation price holding the others fixed. A move of one market pops only
 * the keys it crossed (a heap per market and direction, so the cost is the number crossed);
 * each popped unit is re-checked at the prices now and re-keyed from there. Accounts whose
 * *other* holdings moved are covered the same way: their keys in those markets fire when the
 * budget is spent, whichever market spends it. Each re-check re-bases the budget, so an account
 * drifting towards liquidation over several markets is re-checked more often as it nears it.
 *
 * What re-checks every holder of a market instead (rare): its funding/borrow index, ratios or
 * weights changing (`setState`: a crank), its PnL cap binding (the haircut then moves with every
 * price: prices of such a market re-check all its holders), or the pool cash falling under half
 * of the cap the keys were computed for (positions whose uncapped PnL would reach the cap carry
 * an extra key there: past it the gain stops counting and the health is no longer monotone).
 * Exchange parameters or correlations changing rebuild the affected accounts.
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

/** A run of (key, unit id, generation) in growable typed arrays. */
class Bucket {
  keys = new Float64Array(8);
  ids = new Int32Array(8);
  gens = new Float64Array(8);
  n = 0;

  push(k: number, id: number, gen: number): void {
    if (this.n === this.keys.length) {
      const size = this.n * 2;
      const keys = new Float64Array(size);
      keys.set(this.keys);
      const ids = new Int32Array(size);
      ids.set(this.ids);
      const gens = new Float64Array(size);
      gens.set(this.gens);
      [this.keys, this.ids, this.gens] = [keys, ids, gens];
    }
    this.keys[this.n] = k;
    this.ids[this.n] = id;
    this.gens[this.n++] = gen;
  }

  /** Keeps the entries `keep` accepts (in place), handing the others to `f` when given. */
  filter(keep: (k: number, id: number, gen: number) => boolean, f?: (id: number, gen: number) => void): void {
    let j = 0;
    for (let i = 0; i < this.n; i++) {
      const k = this.keys[i]!;
      const id = this.ids[i]!;
      const gen = this.gens[i]!;
      if (keep(k, id, gen)) {
        this.keys[j] = k;
        this.ids[j] = id;
        this.gens[j++] = gen;
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
      for (let j = 0; j < b.n; j++) {
        const k = b.keys[j]!;
        if (this.down ? k > p : k < p) f(b.ids[j]!, b.gens[j]!);
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
    const { ids, gens, n } = b;
    b.n = 0;
    this.total -= n;
    for (let j = 0; j < n; j++) f(ids[j]!, gens[j]!);
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
  units: Unit[];
  /** Below maintenance whatever the prices: debt with nothing left, or an isolated slot closed under water. */
  flagged: boolean;
  /** Units not meeting maintenance. */
  bad: number;
  /** Position in the list of accounts below maintenance (−1: not there). */
  pos: number;
}

interface Unit {
  id: number;
  gen: number;
  acct: Acct;
  /** -1: the collateral-backed part; otherwise the market of an isolated position. */
  market: number;
  /** Cross/isolated without a binding PnL cap: `h = c0 + Σ a·x`. */
  linear: boolean;
  met: boolean;
  /** Price-independent part of the equity (quote, entries, funding), quote native units. */
  c0: number;
  /** Rounding bound of the engine's health against the real-valued formula, quote native units. */
  err: number;
  dims: Dim[];
  /**
   * Per dimension, 3 numbers: the slope (linear; signed) or Lipschitz bound (≥ 0); +1/−1 when
   * the health rises/falls with the price, 0 either (a binding PnL cap); the favourable-direction
   * price past which a position's uncapped PnL would reach its market's cap (NaN: none).
   */
  f: number[];
  /** Portfolio units: per dimension its equity slope, signed risk slope and asset; null: risk mirror only. */
  pf: number[] | null;
  model: risk.PortfolioModel | null;
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
  private readonly units: (Unit | undefined)[] = [];
  private readonly free: number[] = [];
  private gen = 0;
  private readonly marketDims = new Map<number, Dim>();
  private readonly bankDims = new Map<number, Dim>();
  /** Per market with a PnL cap: the cap the keys were computed for (half the cap then). */
  private readonly capFloor = new Map<number, bigint>();
  private readonly decode = marginRiskDecoder();
  /** Work done so far: units re-checked, and of those evaluated by the risk mirror (the rest by their linear formula). */
  readonly stats = { checks: 0, exact: 0 };

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
    const book = new Map(this.prices);
    book.set(d.key, next);
    this.setPrices(book);
  }

  /** New prices (a whole or partial book: keys absent keep their price). */
  setPrices(book: PriceBook): void {
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
    this.ctx.markets.forEach((m, i) => {
      const o = old.markets[i];
      if (!m || !o) return;
      if (o.maintMarginRatio !== m.maintMarginRatio || o.imf !== m.imf || o.baseDecimals !== m.baseDecimals || o.cumulativeFunding !== m.cumulativeFunding
        || (o.cumulativeBorrow ?? 0n) !== (m.cumulativeBorrow ?? 0n)) markets.add(i);
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
    if (oldCorr !== state.correlations) {
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
    const d = this.marketDims.get(marketIndex);
    if (!d) throw new Error(`market ${marketIndex} not listed`);
    const shocked = mulPct(d.p, pct);
    const dims = this.dims().filter((x) => x.key === d.key);
    const ctx: RiskContext = { ...this.ctx, markets: this.ctx.markets.slice(), banks: this.ctx.banks.slice() };
    const xs = new Map<Dim, number>();
    let allHolders = false;
    for (const x of dims) {
      xs.set(x, Number(shocked));
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
    const candidates = new Set<Unit>();
    if (allHolders) {
      for (const u of this.units) if (u && u.met && u.dims.some((x) => xs.has(x))) candidates.add(u);
    } else {
      for (const x of dims) {
        const collect = (id: number, gen: number): void => {
          const u = this.units[id];
          if (u && u.gen === gen && u.met) candidates.add(u);
        };
        if (shocked < x.p) x.down.visit(Number(shocked), collect);
        else if (shocked > x.p) x.up.visit(Number(shocked), collect);
      }
    }
    const out = new Map<Acct, PublicKey>();
    for (const u of candidates) {
      const a = u.acct;
      if (this.liq.has(a) || out.has(a)) continue;
      if (this.healthAt(u, ctx, xs) < 0) out.set(a, a.pk ?? (a.pk = new PublicKey(a.key)));
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
    const out: LiquidationMapEntry[] = [];
    for (const u of this.units) {
      if (!u || !u.dims.includes(d)) continue;
      try {
        const parts = marginParts(u.acct.view, this.ctx);
        const iso = u.market >= 0 ? parts.isolated.find((x) => x.marketIndex === u.market) : null;
        const ra = iso ? iso.account : parts.main;
        const idx = iso ? 0 : parts.mainMarkets.indexOf(marketIndex);
        const model = iso ? risk.MarginModel.Cross : parts.model;
        if (idx < 0 || !model) continue;
        const e = ra.perps[idx]!;
        const liqPrice = risk.modelLiquidationPrice(ra, model, idx);
        if (liqPrice === null) continue;
        const a = u.acct;
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
    return [...this.marketDims.values(), ...this.bankDims.values()];
  }

  /** A dimension per priced market and bank (banks other than the quote). */
  private syncDims(): void {
    this.ctx.markets.forEach((m, i) => {
      if (!m) return;
      const entry = this.state.markets.get(i)!;
      const key = priceKey(entry.market.oracle, entry.market.baseDecimals);
      let d = this.marketDims.get(i);
      if (!d) this.marketDims.set(i, (d = newDim(i, null, key, m.price.oracle)));
      d.p = m.price.oracle;
      d.x = Number(d.p);
    });
    this.ctx.banks.forEach((b, i) => {
      if (!b) return;
      const entry = this.state.banks.get(i)!;
      const key = priceKey(entry.bank.oracle, entry.bank.decimals);
      let d = this.bankDims.get(i);
      if (!d) this.bankDims.set(i, (d = newDim(null, i, key, b.price.oracle)));
      d.p = b.price.oracle;
      d.x = Number(d.p);
    });
  }

  /** The context's entry of `d` at price `p` (a market's PnL cap recomputed at it). */
  private refreshCtxPrice(d: Dim, p: risk.Price): void {
    d.p = p.oracle;
    d.x = Number(p.oracle);
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

  /** Pops the keys each moved dimension crossed, then re-checks those units at the prices now. */
  private fire(moved: [Dim, number][]): void {
    if (moved.length === 0) return;
    const hit: Unit[] = [];
    const take = (id: number, gen: number): void => {
      const u = this.units[id];
      if (u && u.gen === gen) {
        u.gen = -1; // popped once: its other keys are stale from here on
        hit.push(u);
      }
    };
    for (const [d, before] of moved) {
      if (d.x < before) d.down.fire(d.x, take);
      else if (d.x > before) d.up.fire(d.x, take);
    }
    for (const u of hit) this.check(u);
    for (const [d] of moved) {
      d.down.maybeCompact(this.live);
      d.up.maybeCompact(this.live);
    }
  }

  private readonly live = (id: number, gen: number): boolean => this.units[id]?.gen === gen;

  private rebuildHolders(markets: Set<number>, banks: Set<number>): void {
    if (markets.size === 0 && banks.size === 0) return;
    const dims = new Set<Dim>();
    for (const m of markets) {
      const d = this.marketDims.get(m);
      if (d) dims.add(d);
      this.capFloor.delete(m);
    }
    for (const b of banks) {
      const d = this.bankDims.get(b);
      if (d) dims.add(d);
    }
    const accts = new Set<Acct>();
    for (const u of this.units) if (u && u.dims.some((d) => dims.has(d))) accts.add(u.acct);
    for (const a of accts) this.rebuild(a);
  }

  private rebuild(acct: Acct): void {
    this.clear(acct);
    this.build(acct);
  }

  private clear(acct: Acct): void {
    for (const u of acct.units) {
      this.units[u.id] = undefined;
      this.free.push(u.id);
    }
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
    const id = this.free.pop() ?? this.units.length;
    const nc = ra.collateral.length;
    const nd = nc + ra.perps.length;
    const portfolio = model.mode === risk.MarginMode.Portfolio ? model : null;
    const u: Unit = {
      id, gen: 0, acct, market, linear: !portfolio, met: true, c0: 0, err: 2 + nc + 2 * ra.perps.length,
      dims: new Array<Dim>(nd), f: new Array<number>(3 * nd), pf: portfolio ? new Array<number>(3 * nd) : null, model: portfolio,
    };
    this.units[id] = u;
    acct.units.push(u);
    let c0 = risk.quoteValue(ra.quoteBalance, ra.params, MAINT);
    ra.collateral.forEach((c, i) => {
      const w = c.maintAssetWeight / PPM;
      const amount = Number(c.amount) / SCALE;
      u.dims[i] = this.bankDims.get(banks[i]!)!;
      u.f[3 * i] = portfolio ? amount * (2 - w) : amount * w;
      u.f[3 * i + 1] = 1;
      u.f[3 * i + 2] = NaN;
      if (portfolio) {
        u.pf![3 * i] = amount;
        u.pf![3 * i + 1] = amount * (1 - w);
        u.pf![3 * i + 2] = portfolio.collateralAssets[i] ?? risk.STANDALONE;
      }
    });
    ra.perps.forEach((e, j) => {
      const i = nc + j;
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
        u.linear = false;
        u.pf = null;
      }
      u.dims[i] = d;
      u.f[3 * i] = b - Math.abs(b) * ratio;
      u.f[3 * i + 1] = sgn;
      u.f[3 * i + 2] = limit;
      if (u.pf) {
        u.pf[3 * i] = b;
        u.pf[3 * i + 1] = b * ratio;
        u.pf[3 * i + 2] = portfolio!.perpAssets[j] ?? risk.STANDALONE;
      }
    });
    if (!u.linear) {
      // Not linear: Lipschitz bounds (a position's requirement and netted risk move at most `ratio` per unit of its value).
      ra.collateral.forEach((c, i) => (u.f[3 * i] = (Number(c.amount) / SCALE) * (2 - c.maintAssetWeight / PPM)));
      ra.perps.forEach((e, j) => {
        const ratio = Number(risk.marginRatio(e.position.base, e.market, MAINT)) / PPM;
        u.f[3 * (nc + j)] = (Math.abs(Number(e.position.base)) / SCALE) * (1 + ratio);
      });
    }
    u.c0 = Number(c0);
    u.met = true;
    this.check(u);
  }

  /** Re-evaluates `u` at the prices now, updates its account's status and re-keys it. */
  private check(u: Unit): void {
    this.stats.checks++;
    const h = this.healthAt(u, this.ctx, null);
    const met = h >= 0;
    if (met !== u.met) {
      u.met = met;
      const a = u.acct;
      a.bad += met ? -1 : 1;
      if (a.flagged || a.bad > 0) this.liq.add(a);
      else this.liq.delete(a);
    }
    this.key(u, h, this.slack);
  }

  /** Set by {@link healthAt}: the rounding slack its band must keep. */
  private slack = 0;
  private readonly scratch = new Float64Array(risk.MAX_ASSETS);

  /**
   * `u`'s health at `ctx` (dimension prices `xs` overriding the current ones, for shocks), and in
   * {@link slack} the rounding its band must keep. The unit's formula (cross: linear; portfolio:
   * the netted requirement in floating point) decides unless it lands within its rounding bound
   * of zero; then, and for units with a binding PnL cap, the risk mirror does.
   */
  private healthAt(u: Unit, ctx: RiskContext, xs: Map<Dim, number> | null): number {
    const { dims, f, pf } = u;
    let s = u.c0;
    let mag = Math.abs(u.c0);
    let g = 0;
    if (u.linear) {
      for (let i = 0; i < dims.length; i++) {
        const t = f[3 * i]! * (xs?.get(dims[i]!) ?? dims[i]!.x);
        s += t;
        mag += Math.abs(t);
      }
      const slack = u.err + mag * 1e-12;
      if (Math.abs(s) > slack) {
        this.slack = slack;
        return s;
      }
      this.slack = 2 * slack;
      return this.exactHealth(u, ctx);
    }
    for (let i = 0; i < dims.length; i++) g += f[3 * i]! * (xs?.get(dims[i]!) ?? dims[i]!.x);
    // √(VᵀCV) rounds each weighted term: at most √(Σ|v|) more than the real-valued norm.
    const slack = 6 + 4 * dims.length + 2 * Math.sqrt(g) + g * 1e-12;
    if (pf && u.model) {
      const v = this.scratch;
      const n = Math.min(u.model.correlation.n, risk.MAX_ASSETS);
      v.fill(0, 0, n);
      let gross = 0;
      let standalone = 0;
      for (let i = 0; i < dims.length; i++) {
        const x = xs?.get(dims[i]!) ?? dims[i]!.x;
        s += pf[3 * i]! * x;
        const r = pf[3 * i + 1]! * x;
        const asset = pf[3 * i + 2]!;
        gross += Math.abs(r);
        if (asset === risk.STANDALONE || asset >= n) standalone += Math.abs(r);
        else v[asset] = v[asset]! + r;
      }
      const c = u.model.correlation.c;
      let q = 0;
      for (let i = 0; i < n; i++) {
        if (v[i] === 0) continue;
        let w = 0;
        for (let j = 0; j < n; j++) w += (c[i]![j]! / PPM) * v[j]!;
        q += v[i]! * w;
      }
      const req = Math.max((u.model.floor / PPM) * gross, Math.sqrt(q > 0 ? q : 0) + standalone);
      const h = s - req;
      if (Math.abs(h) > slack) {
        this.slack = slack;
        return h;
      }
    }
    this.slack = 2 * slack;
    return this.exactHealth(u, ctx);
  }

  /** The engine's maintenance health of `u` (equity − requirement); an account it cannot price counts as healthy, as the keeper skips it. */
  private exactHealth(u: Unit, ctx: RiskContext): number {
    this.stats.exact++;
    try {
      const parts = marginParts(u.acct.view, ctx);
      if (!parts.model) return 0;
      let m: risk.Health;
      if (u.market >= 0) {
        const iso = parts.isolated.find((x) => x.marketIndex === u.market);
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

  /** Pushes `u`'s keys for its health `h` at the prices now (see the module comment). */
  private key(u: Unit, h: number, slack: number): void {
    u.gen = ++this.gen;
    const { dims, f } = u;
    const budget = Math.abs(h) - slack;
    let denom = 0;
    for (let i = 0; i < dims.length; i++) denom += Math.abs(f[3 * i]!) * dims[i]!.x;
    const delta = budget <= 0 ? 0 : denom > 0 ? (budget / denom) * (1 - 1e-9) : Infinity;
    for (let i = 0; i < dims.length; i++) {
      const d = dims[i]!;
      const sgn = f[3 * i + 1]!;
      if (delta !== Infinity) {
        // Met: the adverse direction; not met: the favourable one; either when not monotone.
        const dir = u.met ? -sgn : sgn;
        if (dir <= 0) d.down.push(d.x * (1 - delta) + d.x * KEY_EPS + 1, u.id, u.gen);
        if (dir >= 0) d.up.push(d.x * (1 + delta) - d.x * KEY_EPS - 1, u.id, u.gen);
      }
      const limit = f[3 * i + 2]!;
      if (!Number.isNaN(limit)) {
        if (sgn > 0) d.up.push(limit, u.id, u.gen);
        else d.down.push(limit, u.id, u.gen);
      }
    }
  }
}

function newDim(market: number | null, bank: number | null, key: string, p: bigint): Dim {
  const x = Number(p) > 0 ? Number(p) : 1;
  return { market, bank, key, p, x: Number(p), down: new KeyBuckets(x, true), up: new KeyBuckets(x, false) };
}

const keyOf = (pubkey: PublicKey | string): string => (typeof pubkey === "string" ? pubkey : pubkey.toBase58());

/** `p × (1 + pct / 100)`, rounded down, at least 1. */
function mulPct(p: bigint, pct: number): bigint {
  const ppb = BigInt(Math.round((100 + pct) * 1e7)); // parts per 10⁹
  const out = (p * (ppb < 0n ? 0n : ppb)) / 1_000_000_000n;
  return out > 0n ? out : 1n;
}
