/**
 * The dashboard's figures, computed only through the SDK (decoders, `sdk/report.ts`'s account
 * reports, LP valuation and ADL figures, the keeper's scan) and the risk mirror (`app/src/risk`): nothing here restates a risk rule. Every money
 * figure leaves as a decimal string of quote native units (ratios in ppm), so the page shows
 * exactly what the SDK computed; `web/format.ts` formats them.
 */
import type { PublicKey } from "@solana/web3.js";
import * as risk from "../risk";
import { marketCapacity, marketName, type MarginAccount, type MarginRiskView } from "../sdk/accounts";
import {
  accountReport, adlMarkets, lpValuation, priceKey, riskContext, type AccountReport, type ExchangeState, type PriceBook, type RiskContext,
} from "../sdk/report";
import type { OracleReading } from "../sdk/oracle";
import { scan } from "../keeper/keeper";
import type { LiquidationIndex } from "../sdk/liqIndex";
import { enginePriceToNumber } from "../sdk/oracle";
import { ORDER_KIND_NAMES, type OrderKind } from "../sdk/orders";

/** Pause bits of `Exchange.paused` / `PerpMarket.paused` (programs/fulcrum/src/state: `pause`). */
const PAUSE_NAMES = ["deposits", "withdrawals", "trading", "liquidations", "lp"];
const pausedNames = (bits: number): string[] => PAUSE_NAMES.filter((_, i) => (bits & (1 << i)) !== 0);

export interface ExchangeSummary {
  poolValue: string;
  poolBalance: string;
  lpSupply: string;
  /** Quote native units one whole LP token (10^quoteDecimals shares) redeems for, before the withdrawal fee. */
  sharePrice: string;
  tradersPnl: string;
  insurance: string;
  socialisedLoss: string;
  unresolvedBadDebt: string;
  /** Highest borrow utilisation of any market, ppm. */
  utilisation: string;
  paused: string[];
  accounts: number;
  adl: { market: string; ratio: string; threshold: number; maxPnlFactor: number; above: boolean }[];
}

export interface MarketRow {
  index: number;
  name: string;
  baseDecimals: number;
  oracle: string;
  ema: string;
  /** Confidence / price, ppm. */
  conf: string;
  staleSecs: number;
  /** EWMA variance of returns, ppm² per second (`PerpMarket.variance`). */
  variance: string;
  initRatio: number;
  maintRatio: number;
  fundingRate: string;
  borrowRate: string;
  longOi: string;
  shortOi: string;
  longOiCap: string;
  shortOiCap: string;
  breaker: string;
}

export interface PositionRow {
  market: string;
  marketIndex: number;
  side: "long" | "short";
  isolated: boolean;
  base: string;
  notional: string;
  liquidationPrice: string | null;
  markPrice: string;
  /** (liquidation − mark) / mark, ppm (signed); null: no liquidation price. */
  distance: string | null;
}

export interface AccountRow {
  pubkey: string;
  owner: string;
  mode: string;
  equity: string;
  maintEquity: string;
  initRequirement: string;
  maintRequirement: string;
  /** Where a keeper may liquidate at once: maintenance × `liquidation_threshold_ratio`. */
  liquidationPoint: string;
  notional: string;
  leverage: string | null;
  state: string;
  inMarginCall: boolean;
  /** Smallest |distance| of its positions, ppm; null: no position can be liquidated by a price move. */
  distance: string | null;
  positions: PositionRow[];
}

export interface LiqBin {
  /** Lower edge of the move, percent. */
  pct: number;
  long: string;
  short: string;
}

export interface LiqMap {
  marketIndex: number;
  name: string;
  price: string;
  bins: LiqBin[];
}

export interface LeverageBin {
  label: string;
  notional: string;
  accounts: number;
}

export const STATE_NAMES = ["Healthy", "Restricted", "MarginCall", "Bankrupt"];

/** A bigint as a JSON-safe decimal string. */
const s = (v: bigint): string => v.toString();
const absB = (v: bigint): bigint => (v < 0n ? -v : v);

export function exchangeSummary(state: ExchangeState, prices: PriceBook, lpMinted: bigint, accounts: number): ExchangeSummary {
  const { valuation, supply } = lpValuation(state, prices, risk.Rounding.Down, lpMinted);
  const value = risk.lpPoolValue(valuation, risk.Rounding.Down);
  const one = 10n ** BigInt(state.exchange.quoteDecimals);
  let pnl = 0n;
  for (const m of valuation.markets) pnl += risk.tradersUnrealizedPnl(m, risk.Rounding.Down);
  let utilisation = 0n;
  for (const { market } of state.markets.values()) {
    const p = prices.get(priceKey(market.oracle, market.baseDecimals));
    if (!p) continue;
    const u = marketCapacity(market, state.pool, p.oracle).utilisation;
    if (u > utilisation) utilisation = u;
  }
  const adl = adlMarkets(state, prices).map((a) => {
    const m = state.markets.get(a.marketIndex)!.market;
    return { market: marketName(m), ratio: s(a.ratio), threshold: a.threshold, maxPnlFactor: m.maxPnlFactor ?? 0, above: a.above };
  });
  return {
    poolValue: s(value),
    poolBalance: s(state.pool.balance),
    lpSupply: s(supply),
    sharePrice: s(supply === 0n ? 0n : risk.lpAmountForShares(one, value, supply)),
    tradersPnl: s(pnl),
    insurance: s(state.pool.insuranceBalance),
    socialisedLoss: s(state.pool.socialisedLoss),
    unresolvedBadDebt: s(state.pool.unresolvedBadDebt ?? 0n),
    utilisation: s(utilisation),
    paused: pausedNames(state.exchange.paused),
    accounts,
    adl,
  };
}

export function marketRows(state: ExchangeState, prices: PriceBook, readings: Map<string, OracleReading>, nowSecs: number): MarketRow[] {
  const out: MarketRow[] = [];
  for (const [index, { market: m }] of [...state.markets].sort(([a], [b]) => a - b)) {
    const p = prices.get(priceKey(m.oracle, m.baseDecimals));
    const r = readings.get(m.oracle.toBase58());
    if (!p || !r) continue;
    const reduceOnly = Number(m.reduceOnlyUntil ?? 0n);
    const paused = pausedNames(m.paused ?? 0);
    out.push({
      index,
      name: marketName(m),
      baseDecimals: m.baseDecimals,
      oracle: s(p.oracle),
      ema: s(p.ema),
      conf: s(risk.confRatio(r.conf, absB(r.price))),
      staleSecs: Math.max(0, nowSecs - Number(r.publishTime)),
      variance: s(m.variance ?? 0n),
      initRatio: Math.max(m.effectiveInitRatio ?? 0, m.initMarginRatio),
      maintRatio: Math.max(m.effectiveMaintRatio ?? 0, m.maintMarginRatio),
      fundingRate: s(m.fundingRate ?? 0n),
      borrowRate: s(m.borrowRate ?? 0n),
      longOi: s(risk.sideNotional(m.longBase, p.oracle)),
      shortOi: s(risk.sideNotional(m.shortBase, p.oracle)),
      longOiCap: s(m.longOiCap),
      shortOiCap: s(m.shortOiCap),
      breaker: paused.length > 0 ? `paused: ${paused.join(", ")}` : reduceOnly > nowSecs ? `reduce-only for ${reduceOnly - nowSecs}s` : "normal",
    });
  }
  return out;
}

/** One account's row from the SDK's report (null: the SDK cannot margin it, e.g. portfolio without correlations). */
export function accountRow(
  address: PublicKey, account: MarginAccount, state: ExchangeState, prices: PriceBook, ctx: RiskContext = riskContext(state, prices),
): AccountRow | null {
  const pubkey = address.toBase58();
  let r: AccountReport;
  try {
    r = accountReport(address, account, state, prices, undefined, ctx);
  } catch {
    return null;
  }
  const h = r.health;
  let best: bigint | null = null;
  const positions = r.positions.map((p): PositionRow => {
    const notional = risk.baseValue(absB(p.base), p.markPrice);
    let distance: bigint | null = null;
    if (p.liquidationPrice !== null && p.markPrice > 0n && p.base !== 0n) {
      distance = ((p.liquidationPrice - p.markPrice) * risk.RATIO_ONE) / p.markPrice;
      if (best === null || absB(distance) < best) best = absB(distance);
    }
    return {
      market: p.market,
      marketIndex: p.marketIndex,
      side: p.base >= 0n ? "long" : "short",
      isolated: p.isolated,
      base: s(p.base),
      notional: s(notional),
      liquidationPrice: p.liquidationPrice === null ? null : s(p.liquidationPrice),
      markPrice: s(p.markPrice),
      distance: distance === null ? null : s(distance),
    };
  });
  // Below maintenance already: no move needed.
  if (h.state >= risk.HealthState.MarginCall) best = 0n;
  const threshold = BigInt(state.exchange.liquidationThresholdRatio);
  return {
    pubkey,
    owner: account.owner.toBase58(),
    mode: r.marginMode === risk.MarginMode.Portfolio ? "portfolio" : "cross",
    equity: s(h.equity),
    maintEquity: s(h.maint.equity),
    initRequirement: s(h.init.requirement),
    maintRequirement: s(h.maint.requirement),
    liquidationPoint: s(risk.mulDivCeil(h.maint.requirement, threshold, risk.RATIO_ONE)),
    notional: s(h.notional),
    leverage: h.leverage === null ? null : s(h.leverage),
    state: STATE_NAMES[h.state] ?? String(h.state),
    inMarginCall: account.inMarginCall !== 0,
    distance: best === null ? null : s(best),
    positions,
  };
}

/** Accounts nearest liquidation first (already liquidatable, then by distance; no liquidation price last). */
export function byDistance(a: AccountRow, b: AccountRow): number {
  if (a.distance === null || b.distance === null) return a.distance === null ? (b.distance === null ? 0 : 1) : -1;
  // ppm and quote native units: exact enough in a double to order by.
  const d = Number(a.distance) - Number(b.distance);
  return d !== 0 ? d : Number(b.notional) - Number(a.notional);
}

const LEVERAGE_EDGES = [1, 2, 3, 5, 10, 20];

/** Notional-weighted distribution of effective leverage (the SDK's `health.leverage`). */
export function leverageHistogram(rows: Iterable<AccountRow>): LeverageBin[] {
  const labels = ["0–1x", "1–2x", "2–3x", "3–5x", "5–10x", "10–20x", "≥20x", "equity ≤ 0"];
  const notional = labels.map(() => 0n);
  const count = labels.map(() => 0);
  for (const r of rows) {
    if (BigInt(r.notional) === 0n) continue;
    let i = labels.length - 1;
    if (r.leverage !== null) {
      const x = Number(r.leverage) / 1e6;
      i = LEVERAGE_EDGES.findIndex((e) => x < e);
      if (i < 0) i = LEVERAGE_EDGES.length;
    }
    notional[i]! += BigInt(r.notional);
    count[i]! += 1;
  }
  return labels.map((label, i) => ({ label, notional: s(notional[i]!), accounts: count[i]! }));
}

export const LIQ_BIN_PCT = 2;
export const LIQ_RANGE_PCT = 50;

/**
 * Per market: open notional by the move (in % of the oracle) that reaches each position's
 * liquidation price, the SDK's `LiquidationIndex.map` (the engine's rule, the account's mode).
 */
export function liquidationMaps(state: ExchangeState, prices: PriceBook, index: LiquidationIndex): LiqMap[] {
  const nBins = (2 * LIQ_RANGE_PCT) / LIQ_BIN_PCT;
  const out: LiqMap[] = [];
  for (const [i, { market }] of [...state.markets].sort(([a], [b]) => a - b)) {
    const p = prices.get(priceKey(market.oracle, market.baseDecimals));
    if (!p || p.oracle === 0n) continue;
    const long = new Array<bigint>(nBins).fill(0n);
    const short = new Array<bigint>(nBins).fill(0n);
    for (const e of index.map(i)) {
      const pct = Number(((e.liqPrice - p.oracle) * 1_000_000n) / p.oracle) / 1e4;
      if (pct < -LIQ_RANGE_PCT || pct >= LIQ_RANGE_PCT) continue;
      const bin = Math.floor((pct + LIQ_RANGE_PCT) / LIQ_BIN_PCT);
      (e.side === "long" ? long : short)[bin]! += e.notional;
    }
    out.push({
      marketIndex: i,
      name: marketName(market),
      price: s(p.oracle),
      bins: long.map((l, k) => ({ pct: -LIQ_RANGE_PCT + k * LIQ_BIN_PCT, long: s(l), short: s(short[k]!) })),
    });
  }
  return out;
}

/** The price book with market `marketIndex`'s oracle moved by `pct` percent (every bank and market on that oracle; ema too, as `fulcrum_setPrice` sets it). */
export function shockedPrices(state: ExchangeState, prices: PriceBook, marketIndex: number, pct: number): PriceBook {
  const m = state.markets.get(marketIndex);
  if (!m) throw new Error(`market ${marketIndex} not listed`);
  const oracle = m.market.oracle.toBase58();
  const ppm = BigInt(Math.round(pct * 10_000)) + risk.RATIO_ONE;
  const out: PriceBook = new Map(prices);
  for (const [k, p] of prices) {
    if (!k.startsWith(`${oracle}:`)) continue;
    const v = risk.mulDivFloor(p.oracle, ppm < 0n ? 0n : ppm, risk.RATIO_ONE);
    out.set(k, { oracle: v, ema: v });
  }
  return out;
}

export interface ShockResult {
  marketIndex: number;
  pct: number;
  /** The shocked oracle, engine units. */
  price: string;
  /** Accounts the keeper would act on at that price (`keeper.scan`: the risk mirror, the account's mode), worst first. */
  accounts: { pubkey: string; action: string; shortfall: string }[];
}

/**
 * What a move of `pct`% in market `marketIndex` would make the keeper liquidate: the accounts the
 * SDK's `LiquidationIndex` finds below maintenance at the shocked price (`shock`, plus those
 * already there), each assessed by the keeper's own `scan` at those prices for its action.
 */
export function shock(
  state: ExchangeState, prices: PriceBook, index: LiquidationIndex, viewOf: (k: string) => MarginRiskView | undefined, slot: bigint, marketIndex: number, pct: number,
): ShockResult {
  const shocked = shockedPrices(state, prices, marketIndex, pct);
  const m = state.markets.get(marketIndex)!.market;
  const keys = new Set([...index.shock(marketIndex, pct).map((k) => k.toBase58()), ...index.liquidatableKeys()]);
  const views: [string, MarginRiskView][] = [];
  for (const k of keys) {
    const v = viewOf(k);
    if (v) views.push([k, v]);
  }
  const candidates = scan(views, { state, prices: shocked, slot });
  return {
    marketIndex,
    pct,
    price: s(shocked.get(priceKey(m.oracle, m.baseDecimals))?.oracle ?? 0n),
    accounts: candidates.filter((c) => c.action.kind !== "refresh_health").map((c) => ({ pubkey: c.pubkey, action: c.action.kind, shortfall: s(c.shortfall) })),
  };
}

/** Dollars of an engine price, for event lines. */
function dollars(p: bigint, baseDecimals: number, quoteDecimals: number): string {
  const n = enginePriceToNumber(p, baseDecimals, quoteDecimals);
  return `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: n >= 1 ? 2 : 6 })}`;
}

const baseText = (v: bigint, decimals: number): string => {
  const a = absB(v);
  const whole = (a / 10n ** BigInt(decimals)).toString();
  const frac = (a % 10n ** BigInt(decimals)).toString().padStart(decimals, "0").replace(/0+$/, "");
  return `${v < 0n ? "−" : ""}${whole}${frac ? `.${frac}` : ""}`;
};

/**
 * One line for an order event of the feed (`OrderPlaced` / `OrderExecuted` / `OrderCancelled`,
 * fields as the feed's JSON-safe strings): kind and side by the SDK's names, the cancel reason by
 * `risk.CANCEL_REASONS`. Null for every other event.
 */
export function describeOrderEvent(name: string, data: Record<string, unknown>, state: ExchangeState): string | null {
  const kind = name.toLowerCase();
  if (!kind.startsWith("order")) return null;
  const m = state.markets.get(Number(data.marketIndex))?.market;
  const bd = m?.baseDecimals ?? 9;
  const q = state.exchange.quoteDecimals;
  const id = `#${String(data.orderId)}`;
  const big = (k: string): bigint => BigInt(String(data[k] ?? 0));
  switch (kind) {
    case "orderplaced": {
      const side = Number(data.side) === 0 ? "buy" : "sell";
      const size = big("baseSize") === 0n && data.reduceOnly ? "whole position" : baseText(big("baseSize"), bd);
      const trigger = big("triggerPrice") === 0n ? "" : ` at ${dollars(big("triggerPrice"), bd, q)}`;
      return `${id} ${data.modified ? "modified" : "placed"}: ${ORDER_KIND_NAMES[Number(data.kind) as OrderKind] ?? `kind ${String(data.kind)}`} ${side} ${size}${trigger}`;
    }
    case "orderexecuted":
      return `${id} executed: ${baseText(big("baseDelta"), bd)} at ${dollars(big("price"), bd, q)}`;
    case "ordercancelled":
      return `${id} cancelled: ${risk.CANCEL_REASONS[Number(data.reason)] ?? `reason ${String(data.reason)}`}`;
  }
  return null;
}
