/**
 * The engine's view of margin accounts, without a client or a connection: the per-market and
 * per-bank inputs resolved once ({@link riskContext}), the program's split of an account for
 * margin ({@link marginParts}), account and position reports (health, leverage, liquidation
 * prices), the auto-deleveraging queue, fill previews and quotes. Pure functions of decoded
 * accounts and prices (the keeper, the dashboard and `FulcrumClient` share them); all math is
 * the risk mirror's (`../risk`), the same numbers as the engine.
 */
import type { PublicKey } from "@solana/web3.js";
import * as risk from "../risk";
import { withTier } from "./reputation";
import {
  bankAsset, bankPrice, correlationOf, marketAsset, perpPosition,
  type CollateralBank, type Correlations, type Exchange, type LiquidityPool, type MarginAccount, type MarginRiskView, type PerpMarket,
} from "./accounts";
import { i128FromBytes } from "./layout";

export type Side = "buy" | "sell";

export interface BankEntry {
  address: PublicKey;
  bank: CollateralBank;
}
export interface MarketEntry {
  address: PublicKey;
  market: PerpMarket;
}

/** The exchange and everything listed on it, read in one go. */
export interface ExchangeState {
  address: PublicKey;
  exchange: Exchange;
  pool: LiquidityPool;
  poolAddress: PublicKey;
  banks: Map<number, BankEntry>;
  markets: Map<number, MarketEntry>;
  /** The exchange's portfolio-margin configuration (PDA `correlations`); null until the admin sets it. */
  correlations: Correlations | null;
  correlationsAddress: PublicKey;
}

/** Engine prices by oracle address and decimals (`${oracle}:${decimals}`). */
export type PriceBook = Map<string, risk.Price>;
export const priceKey = (oracle: PublicKey | string, decimals: number): string => `${oracle.toString()}:${decimals}`;

/** One oracle account the exchange reads, with every decimals it is priced at (a bank and a market may share one). */
export interface OracleFeed {
  key: PublicKey;
  decimals: Set<number>;
  feedId: Uint8Array;
}

/** The oracle accounts of the exchange's banks (not the quote bank) and markets, each once. */
export function oracleFeeds(state: ExchangeState): OracleFeed[] {
  const m = new Map<string, OracleFeed>();
  const add = (key: PublicKey, decimals: number, feedId: Uint8Array): void => {
    const e = m.get(key.toBase58()) ?? { key, decimals: new Set<number>(), feedId };
    e.decimals.add(decimals);
    m.set(key.toBase58(), e);
  };
  for (const b of state.banks.values()) if (b.bank.index !== 0) add(b.bank.oracle, b.bank.decimals, b.bank.feedId);
  for (const x of state.markets.values()) add(x.market.oracle, x.market.baseDecimals, x.market.feedId);
  return [...m.values()];
}

/** Per-market and per-bank engine inputs resolved once (see {@link FulcrumClient.riskContext}). */
export interface RiskContext {
  markets: (risk.PerpMarketRisk | undefined)[];
  banks: ({ price: risk.Price; initAssetWeight: number; maintAssetWeight: number } | undefined)[];
  params: risk.AccountParams;
  /** The exchange's correlations (null when none are set: portfolio accounts cannot be margined). */
  correlations: Correlations | null;
  correlation: risk.Correlation | null;
}

/**
 * An account as the program's margin check splits it (`HealthInputs`): the part its collateral
 * backs (collateral and non-isolated positions, margined by the account's mode) and each
 * isolated position alone with its own collateral.
 */
export interface MarginParts {
  main: risk.RiskAccount;
  /** Market index of each of `main.perps`. */
  mainMarkets: number[];
  /** How `main` is margined; null for a portfolio account the exchange's correlations cannot price. */
  model: risk.MarginModel | null;
  isolated: { marketIndex: number; account: risk.RiskAccount }[];
}

/** One market against its auto-deleveraging threshold ({@link FulcrumClient.adlMarkets}). */
export interface AdlMarket {
  marketIndex: number;
  /** Winners' profit at oracle, quote native units. */
  profit: bigint;
  /** Profit / pool cash, ppm. */
  ratio: bigint;
  threshold: number;
  floor: number;
  haircut: risk.PnlHaircut;
  /** Above a (non-zero) threshold: `auto_deleverage` is open. */
  above: boolean;
}

/** A winning position in a market's auto-deleveraging queue. */
export interface AdlEntry {
  account: string;
  marketIndex: number;
  /** Unrealised PnL before the cap, quote native units. */
  pnl: bigint;
  /** `risk.adlScore`: PnL ratio × leverage, ppm. */
  score: bigint;
  /** 1: deleveraged first. */
  rank: number;
}

/** A fill as it would land ({@link FulcrumClient.previewFill}). */
export interface FillPreview {
  price: bigint;
  position: risk.PerpPosition;
  /** What the pool pays (negative: receives), through the PnL cap. */
  realizedPnl: bigint;
  /** The same before the cap. */
  uncappedPnl: bigint;
  /** Profit the cap keeps with the pool. */
  withheld: bigint;
  haircut: risk.PnlHaircut;
  /** Base taker fee. */
  fee: bigint;
}

export type PerpLike = MarginAccount["perps"][number] | MarginRiskView["perps"][number];
const isIsolated = (s: PerpLike): boolean => (typeof s.isolated === "boolean" ? s.isolated : s.isolated !== 0);
const positionOf = (s: PerpLike): risk.PerpPosition => ("position" in s ? s.position : perpPosition(s));

export interface PositionReport {
  marketIndex: number;
  market: string;
  /** An isolated position: margined alone with `isolatedCollateral`. */
  isolated: boolean;
  isolatedCollateral: bigint;
  /** Isolated positions: the position's own health (its collateral against it); null otherwise. */
  isolatedHealth: risk.AccountHealth | null;
  base: bigint;
  quoteEntry: bigint;
  /** Engine price of the average entry (quote native per base native × 1e12), 0 when flat. */
  entryPrice: bigint;
  markPrice: bigint;
  unrealizedPnl: bigint;
  realizedPnl: bigint;
  liquidationPrice: bigint | null;
  baseDecimals: number;
}

export interface AccountReport {
  address: PublicKey;
  account: MarginAccount;
  marginMode: risk.MarginMode;
  /** Health of the part the account's collateral backs (every position but the isolated ones), by its mode. */
  health: risk.AccountHealth;
  freeCollateral: bigint;
  positions: PositionReport[];
  /** `rate` / `depegPpm`: a rate-priced bank's accepted rate (× RATE_ONE) and depeg factor (ppm). */
  collateral: { bankIndex: number; symbol: string; amount: bigint; decimals: number; rate?: bigint; depegPpm?: number }[];
}

// ------------------------------------------------------------------ margin inputs

/**
 * Everything per-market and per-bank the engine needs, resolved once (prices looked up, ratios
 * chosen) so that many accounts can be risked quickly (the keeper's scan).
 */
export function riskContext(state: ExchangeState, prices: PriceBook): RiskContext {
  const markets: (risk.PerpMarketRisk | undefined)[] = [];
  for (const [i, m] of state.markets) {
    const price = prices.get(priceKey(m.market.oracle, m.market.baseDecimals));
    if (!price) continue;
    markets[i] = {
      price,
      baseDecimals: m.market.baseDecimals,
      initMarginRatio: Math.max(m.market.effectiveInitRatio ?? 0, m.market.initMarginRatio),
      maintMarginRatio: Math.max(m.market.effectiveMaintRatio ?? 0, m.market.maintMarginRatio),
      imf: m.market.imf,
      cumulativeFunding: i128FromBytes(m.market.cumulativeFunding),
      // As the program: a gain counts through the market's PnL cap on the pool's cash.
      pnlHaircut: marketHaircut(m.market, price.oracle, state.pool.balance),
      cumulativeBorrow: m.market.cumulativeBorrow ? i128FromBytes(m.market.cumulativeBorrow) : 0n,
    };
  }
  const banks: ({ price: risk.Price; initAssetWeight: number; maintAssetWeight: number } | undefined)[] = [];
  for (const [i, b] of state.banks) {
    const price = prices.get(priceKey(b.bank.oracle, b.bank.decimals));
    // A rate-priced bank (an LST) at underlying × rate, as the program.
    if (price) banks[i] = { price: bankPrice(b.bank, price), initAssetWeight: b.bank.initAssetWeight, maintAssetWeight: b.bank.maintAssetWeight };
  }
  const ex = state.exchange;
  return {
    markets,
    banks,
    params: {
      quoteInitLiabilityWeight: ex.quoteInitLiabilityWeight,
      quoteMaintLiabilityWeight: ex.quoteMaintLiabilityWeight,
      unrealizedPnlInitWeight: ex.unrealizedPnlInitWeight,
    },
    correlations: state.correlations,
    correlation: state.correlations ? correlationOf(state.correlations) : null,
  };
}

/** The program's split of an account for margin ({@link MarginParts}), from a {@link riskContext}. */
export function marginParts(v: MarginAccount | MarginRiskView, ctx: RiskContext): MarginParts {
  const collateral = new Array<risk.Collateral>(v.collateral.length);
  for (let i = 0; i < v.collateral.length; i++) {
    const s = v.collateral[i]!;
    const b = ctx.banks[s.bankIndex];
    if (!b) throw new Error(`no price for bank ${s.bankIndex}`);
    collateral[i] = { amount: s.amount, price: b.price, initAssetWeight: b.initAssetWeight, maintAssetWeight: b.maintAssetWeight };
  }
  let nIsolated = 0;
  for (const s of v.perps) if (isIsolated(s)) nIsolated++;
  const perps = new Array<risk.PerpExposure>(v.perps.length - nIsolated);
  const mainMarkets = new Array<number>(perps.length);
  const isolated: MarginParts["isolated"] = nIsolated === 0 ? [] : new Array(nIsolated);
  let k = 0;
  let j = 0;
  for (const s of v.perps) {
    const market = ctx.markets[s.marketIndex];
    if (!market) throw new Error(`no price for market ${s.marketIndex}`);
    const e = { position: positionOf(s), market };
    if (nIsolated > 0 && isIsolated(s)) {
      isolated[j++] = { marketIndex: s.marketIndex, account: risk.isolatedAccount(s.isolatedCollateral, e, ctx.params) };
    } else {
      perps[k] = e;
      mainMarkets[k++] = s.marketIndex;
    }
  }
  const main: risk.RiskAccount = { quoteBalance: v.quoteBalance, collateral, perps, params: ctx.params };
  const model = v.marginMode === risk.MarginMode.Portfolio ? marginModel(v, mainMarkets, ctx) : risk.MarginModel.Cross;
  return { main, mainMarkets, model, isolated };
}

/** How the collateral-backed part of `v` is margined (the program's `set_portfolio`): a holding off the asset map is standalone (nets with nothing); null without the correlations account. */
export function marginModel(v: MarginAccount | MarginRiskView, mainMarkets: number[], ctx: RiskContext): risk.MarginModel | null {
  if (v.marginMode !== risk.MarginMode.Portfolio) return risk.MarginModel.Cross;
  const c = ctx.correlations;
  if (!c || !ctx.correlation) return null;
  const collateralAssets = v.collateral.map((s) => bankAsset(c, s.bankIndex) ?? risk.STANDALONE);
  const perpAssets = mainMarkets.map((m) => marketAsset(c, m) ?? risk.STANDALONE);
  return risk.MarginModel.Portfolio({ collateralAssets, perpAssets, correlation: ctx.correlation, floor: c.floor });
}

/** The engine's input for the part of an account its collateral backs (isolated positions aside), from a {@link riskContext}. */
export function riskAccountFast(v: MarginAccount | MarginRiskView, ctx: RiskContext): risk.RiskAccount {
  return marginParts(v, ctx).main;
}

/** The engine's input for the part of an account its collateral backs (decoded fully or through the keeper's fast path). */
export function riskAccount(acct: MarginAccount | MarginRiskView, state: ExchangeState, prices: PriceBook): risk.RiskAccount {
  return marginParts(acct, riskContext(state, prices)).main;
}

// ------------------------------------------------------------------ reports

/**
 * Balances, positions (entry, mark, PnL, liquidation price), leverage and health state of
 * `account` at `prices`. `symbols`: bank mint (base58) → symbol for the collateral rows (a bank
 * without one shows as `bank N`; `FulcrumClient` passes its deployment's). `ctx`: the
 * {@link riskContext} of `state` and `prices`, when many accounts are reported at once.
 */
export function accountReport(
  address: PublicKey,
  account: MarginAccount,
  state: ExchangeState,
  prices: PriceBook,
  symbols: ReadonlyMap<string, string> = new Map(),
  ctx: RiskContext = riskContext(state, prices),
): AccountReport {
  const parts = marginParts(account, withTier(ctx, account.reputation?.initMultiplier ?? 0)); // issue 18 §1: the tier's initial ratio
  const model = parts.model;
  if (!model) throw new Error("a portfolio account whose holdings the exchange's correlations do not cover");
  const health = risk.modelAccountHealth(parts.main, model);
  const positions = account.perps.map((s): PositionReport => {
    const m = state.markets.get(s.marketIndex)!.market;
    const isolated = s.isolated !== 0;
    const iso = isolated ? parts.isolated.find((x) => x.marketIndex === s.marketIndex)!.account : null;
    const mainIndex = parts.mainMarkets.indexOf(s.marketIndex);
    const e = iso ? iso.perps[0]! : parts.main.perps[mainIndex]!;
    const absBase = s.base < 0n ? -s.base : s.base;
    const entryPrice = absBase === 0n ? 0n : ((s.quoteEntry < 0n ? -s.quoteEntry : s.quoteEntry) * risk.PRICE_SCALE) / absBase;
    return {
      marketIndex: s.marketIndex,
      market: Buffer.from(m.name).toString("utf8").replace(/\0+$/, ""),
      isolated,
      isolatedCollateral: s.isolatedCollateral,
      isolatedHealth: iso ? risk.accountHealth(iso) : null,
      base: s.base,
      quoteEntry: s.quoteEntry,
      entryPrice,
      markPrice: e.market.price.oracle,
      unrealizedPnl: risk.unrealizedPnl(e.position, e.market, risk.MarginKind.Maintenance),
      realizedPnl: s.realizedPnl,
      liquidationPrice: iso ? risk.liquidationPrice(iso, 0) : risk.modelLiquidationPrice(parts.main, model, mainIndex),
      baseDecimals: m.baseDecimals,
    };
  });
  const collateral = account.collateral.map((s) => {
    const b = state.banks.get(s.bankIndex)!.bank;
    const info = symbols.get(b.mint.toBase58()) ?? `bank ${s.bankIndex}`;
    // A rate-priced bank (an LST) shows its accepted rate and depeg factor.
    const rate = b.rate && b.rate.rateKind !== 0 ? { rate: b.rate.acceptedRate, depegPpm: b.rate.depegPpm } : {};
    return { bankIndex: s.bankIndex, symbol: info, amount: s.amount, decimals: b.decimals, ...rate };
  });
  const marginMode = risk.marginModeFromU8(account.marginMode) ?? risk.MarginMode.Cross;
  return { address, account, marginMode, health, freeCollateral: risk.freeCollateralOf(health.init), positions, collateral };
}

// ------------------------------------------------------------------ winners: PnL cap and ADL

/** A market's open-interest sums at `price` (engine units). */
export function marketExposure(m: PerpMarket, price: bigint): risk.MarketExposure {
  const z = (v: bigint | undefined): bigint => v ?? 0n;
  return { longBase: z(m.longBase), shortBase: z(m.shortBase), longQuoteEntry: z(m.longQuoteEntry), shortQuoteEntry: z(m.shortQuoteEntry), price };
}

/** The market's PnL cap at `price` against `poolBalance` of pool cash (`fulcrum_risk::pnl_haircut`). */
export function marketHaircut(m: PerpMarket, price: bigint, poolBalance: bigint): risk.PnlHaircut {
  if (!m.maxPnlFactor) return risk.PNL_HAIRCUT_NONE;
  return risk.pnlHaircut(risk.marketProfit(marketExposure(m, price)), m.maxPnlFactor ?? 0, poolBalance);
}

/** Every priced market's winners' profit / pool cash (ppm) against its auto-deleveraging threshold. */
export function adlMarkets(state: ExchangeState, prices: PriceBook): AdlMarket[] {
  const out: AdlMarket[] = [];
  for (const [marketIndex, m] of state.markets) {
    const price = prices.get(priceKey(m.market.oracle, m.market.baseDecimals));
    if (!price) continue;
    const profit = risk.marketProfit(marketExposure(m.market, price.oracle));
    const ratio = risk.pnlRatio(profit, state.pool.balance);
    const threshold = m.market.adlThreshold ?? 0;
    const haircut = marketHaircut(m.market, price.oracle, state.pool.balance);
    out.push({ marketIndex, profit, ratio, threshold, floor: m.market.adlFloor ?? 0, haircut, above: threshold > 0 && ratio > BigInt(threshold) });
  }
  return out;
}

/**
 * The auto-deleveraging queue of `marketIndex`: every winning position there, highest
 * `risk.adlScore` first (its PnL ratio × its account's leverage, as Hyperliquid ranks; an
 * isolated position by its own collateral). `rank` is 1-based.
 */
export function adlRanking(
  state: ExchangeState,
  prices: PriceBook,
  accounts: Iterable<[string, MarginAccount | MarginRiskView]>,
  marketIndex: number,
  ctx: RiskContext = riskContext(state, prices),
): AdlEntry[] {
  const out: AdlEntry[] = [];
  for (const [account, v] of accounts) {
    const slot = (v.perps as PerpLike[]).find((p) => p.marketIndex === marketIndex);
    if (!slot || positionOf(slot).base === 0n) continue;
    try {
      const parts = marginParts(v, ctx);
      const iso = parts.isolated.find((x) => x.marketIndex === marketIndex);
      const ra = iso ? iso.account : parts.main;
      const e = iso ? iso.account.perps[0]! : parts.main.perps[parts.mainMarkets.indexOf(marketIndex)]!;
      const pnl = risk.uncappedPnl(e.position, e.market, risk.MarginKind.Maintenance);
      if (pnl <= 0n) continue;
      const notional = risk.totalNotional(ra);
      const equity = risk.rawEquity(ra);
      out.push({ account, marketIndex, pnl, score: risk.adlScore(pnl, e.position.quoteEntry, notional, equity), rank: 0 });
    } catch (err) {
      if (!(err instanceof risk.MathError)) throw err;
    }
  }
  out.sort((a, b) => (a.score > b.score ? -1 : a.score < b.score ? 1 : a.account < b.account ? -1 : 1));
  out.forEach((e, i) => (e.rank = i + 1));
  return out;
}

/** `account`'s place in each market's auto-deleveraging queue where it holds a winner (1: first). */
export function adlRank(
  state: ExchangeState,
  prices: PriceBook,
  accounts: Iterable<[string, MarginAccount | MarginRiskView]>,
  account: string,
): Map<number, AdlEntry> {
  const all = [...accounts];
  const ctx = riskContext(state, prices);
  const out = new Map<number, AdlEntry>();
  const own = all.find(([k]) => k === account)?.[1];
  for (const s of own?.perps ?? []) {
    const e = adlRanking(state, prices, all, s.marketIndex, ctx).find((x) => x.account === account);
    if (e) out.set(s.marketIndex, e);
  }
  return out;
}

/**
 * What filling `delta` base on `marketIndex` at the oracle price would realise, before it is
 * sent: the realised PnL the pool pays (through the market's PnL cap), the uncapped PnL, the
 * part withheld, and the base taker fee (the program adds a skew impact fee on dynamic markets).
 */
export function previewFill(
  acct: MarginAccount | MarginRiskView | null,
  state: ExchangeState,
  prices: PriceBook,
  marketIndex: number,
  delta: bigint,
): FillPreview {
  const m = state.markets.get(marketIndex);
  if (!m) throw new Error(`market ${marketIndex} not listed`);
  const price = prices.get(priceKey(m.market.oracle, m.market.baseDecimals));
  if (!price) throw new Error(`no price for market ${marketIndex}`);
  const market = riskContext(state, prices).markets[marketIndex]!;
  const slot = (acct?.perps as PerpLike[] | undefined)?.find((p) => p.marketIndex === marketIndex);
  const position = slot ? positionOf(slot) : { base: 0n, quoteEntry: 0n, fundingSnapshot: market.cumulativeFunding };
  const fill = risk.applyFill(position, market, delta, price.oracle, m.market.takerFee);
  const full = risk.applyFill(position, { ...market, pnlHaircut: risk.PNL_HAIRCUT_NONE }, delta, price.oracle, 0);
  return {
    price: price.oracle,
    position: fill.position,
    realizedPnl: fill.realizedPnl,
    uncappedPnl: full.realizedPnl,
    withheld: full.realizedPnl - fill.realizedPnl,
    haircut: market.pnlHaircut ?? risk.PNL_HAIRCUT_NONE,
    fee: fill.fee,
  };
}

// ------------------------------------------------------------------ quotes

/**
 * What an immediate fill of `side` on `market` gets at oracle `reading` (engine price
 * `oracle`): the latency spread `max(minSpread, conf / price, z × σ × √maxFillAge)` and the fill
 * price, from the worse of the market's observations when they are of `slot` (the slot the
 * trade will land in; the program resets them in a new slot). The program's own figures, to
 * the unit (`risk.fillSpread`, `risk.fillPrice`). A market decoded without the latency fields
 * counts its confidence only.
 */
export function fillQuote(
  market: PerpMarket,
  reading: { price: bigint; conf: bigint },
  oracle: bigint,
  side: Side,
  slot?: bigint,
): { oracle: bigint; spread: number; fillPrice: bigint } {
  const conf = risk.confRatio(reading.conf, reading.price < 0n ? -reading.price : reading.price);
  const spread = risk.fillSpread(market.minSpread ?? 0, conf, market.spreadZ ?? 0, market.variance ?? 0n, market.maxFillAge ?? 0);
  const sameSlot = slot !== undefined && market.obsSlot === slot;
  const lo = sameSlot ? (market.obsLo ?? 0n) : 0n;
  const hi = sameSlot ? (market.obsHi ?? 0n) : 0n;
  return { oracle, spread, fillPrice: risk.fillPrice(side === "buy", oracle, lo, hi, spread) };
}

// ------------------------------------------------------------------ LP valuation

/**
 * The pool as LP flows value it (`FulcrumClient.lpValuation` without the reads): `minted` is the
 * LP mint's supply (locked and dead shares are added).
 */
export function lpValuation(state: ExchangeState, prices: PriceBook, side: risk.Rounding, minted: bigint): { valuation: risk.LpValuation; supply: bigint } {
  const markets: risk.MarketExposure[] = [];
  const funding: risk.MarketFunding[] = [];
  const payoutCaps: number[] = [];
  for (const { market: m } of [...state.markets.values()]) {
    const p = prices.get(priceKey(m.oracle, m.baseDecimals));
    if (!p) throw new Error("an oracle of the exchange could not be read");
    markets.push({ longBase: m.longBase, shortBase: m.shortBase, longQuoteEntry: m.longQuoteEntry, shortQuoteEntry: m.shortQuoteEntry, price: p.oracle });
    payoutCaps.push(m.maxPnlFactor ?? 0);
    const z = new Uint8Array(16);
    funding.push({
      index: i128FromBytes(m.cumulativeFunding),
      borrow: m.cumulativeBorrow ? i128FromBytes(m.cumulativeBorrow) : 0n,
      longSnapshots: i128FromBytes(m.longFundingSnapshots ?? z),
      shortSnapshots: i128FromBytes(m.shortFundingSnapshots ?? z),
    });
  }
  const pool = state.pool;
  const ex = state.exchange;
  const supply = minted + (pool.lockedShares ?? 0n) + (pool.deadShares ?? 0n);
  const valuation: risk.LpValuation = {
    balance: pool.balance, markets, funding, unresolvedBadDebt: pool.unresolvedBadDebt ?? 0n, insuranceBalance: pool.insuranceBalance,
    maxPnlFactor: (side === risk.Rounding.Up ? ex.maxPnlFactorForDeposits : ex.maxPnlFactorForWithdrawals) ?? 0,
    payoutCaps,
  };
  return { valuation, supply };
}
