/**
 * Orders (issue 16): when a resting order would fill, by the program's rules
 * (`execute_order`), as pure functions over engine prices (quote native per base native × 10¹²).
 *
 * - Only a price published AFTER the order was placed fills it (`publishTime > placedTs`): a
 *   delayed market order is filled at the first such price, never at the one the trader saw.
 * - StopLoss: a Sell (closing a long) fires when oracle ≤ trigger, a Buy (closing a short) when
 *   oracle ≥ trigger. TakeProfit the opposite.
 * - Triggers fire only while the oracle is within `triggerBand` (ppm) of its EMA:
 *   `|oracle − ema| × 10⁶ ≤ band × ema` (a band of 0 turns the check off).
 * - Limit: a Buy fills when its fill price (oracle + spread) ≤ the limit (`triggerPrice`), a Sell
 *   when it is ≥.
 * - Every kind: the fill price within `limitPrice` (the slippage bound; 0 = none).
 * - Expiry: `maxTs` (0 = none) passed: the order is cancelled, not filled.
 * `execute_order` also CANCELS (and pays the executor) an expired order, a delayed market order
 * whose first newer price is past its slippage bound, a reduce-only order with nothing to reduce
 * and one whose fill would break margin; see {@link keeperShouldExecute} and {@link CANCEL_REASONS}.
 */
import { RATIO_ONE } from "./fixed.js";

/** `OrderKind` as the program stores it (u8). */
export enum OrderKind {
  /** Delayed market order: fills at the first price published after placement. */
  Market = 0,
  Limit = 1,
  StopLoss = 2,
  TakeProfit = 3,
}

/** `Side` as the program stores it in an order (u8). */
export enum OrderSide {
  Buy = 0,
  Sell = 1,
}

/** What of an order the fill rules read. */
export interface OrderTerms {
  kind: OrderKind;
  side: OrderSide;
  /** Limit: the limit price; StopLoss/TakeProfit: the trigger; Market: 0. */
  triggerPrice: bigint;
  /** Worst fill price (slippage bound), 0 = none. */
  limitPrice: bigint;
  /** Unix seconds at placement. */
  placedTs: bigint;
  /** Expiry, unix seconds; 0 = none. */
  maxTs: bigint;
}

/** The market as an executor would see it now. */
export interface OrderMarketView {
  /** Oracle and EMA, engine units. */
  oracle: bigint;
  ema: bigint;
  /** Publish time of that oracle price, unix seconds. */
  publishTime: bigint;
  /** The fill price of the order's side now (oracle ± the latency spread; `FulcrumClient.fillQuote`). */
  fillPrice: bigint;
  /** Unix seconds (the chain's clock). */
  now: bigint;
  /** The exchange's `trigger_band`, ppm (0: no band). */
  triggerBand: number;
}

export type NoFillReason =
  /** Past `maxTs`: `cancel_expired_order` (or `execute_order` cancels it). */
  | "expired"
  /** The price was published at or before placement (`OrderPriceNotNewer`). */
  | "price_not_newer"
  /** The trigger / limit condition does not hold (`OrderNotTriggered`). */
  | "not_triggered"
  /** A trigger outside the EMA band. */
  | "outside_band"
  /** The fill price is past the slippage bound. */
  | "slippage";

export type FillCheck = { fill: true } | { fill: false; reason: NoFillReason };

/** True when the order's price condition holds for a trigger kind (StopLoss/TakeProfit) at `oracle`. */
export function triggerHolds(kind: OrderKind, side: OrderSide, trigger: bigint, oracle: bigint): boolean {
  // A StopLoss Sell and a TakeProfit Buy fire on the way down; the other two on the way up.
  const down = (kind === OrderKind.StopLoss) === (side === OrderSide.Sell);
  return down ? oracle <= trigger : oracle >= trigger;
}

/** `|oracle − ema| ≤ band × ema` (band in ppm); a band of 0 is no check. */
export function withinTriggerBand(oracle: bigint, ema: bigint, band: number): boolean {
  if (band === 0) return true;
  const diff = oracle > ema ? oracle - ema : ema - oracle;
  return diff * RATIO_ONE <= BigInt(band) * ema;
}

/** A fill price within `bound` for `side` (0: no bound). */
export function withinLimit(side: OrderSide, fillPrice: bigint, bound: bigint): boolean {
  if (bound === 0n) return true;
  return side === OrderSide.Buy ? fillPrice <= bound : fillPrice >= bound;
}

export const isExpired = (o: Pick<OrderTerms, "maxTs">, now: bigint): boolean => o.maxTs !== 0n && now > o.maxTs;

/** Whether `execute_order` of `o` would fill now, and if not why (the program's order of checks). */
export function orderFillCheck(o: OrderTerms, v: OrderMarketView): FillCheck {
  if (isExpired(o, v.now)) return { fill: false, reason: "expired" };
  if (v.publishTime <= o.placedTs) return { fill: false, reason: "price_not_newer" };
  switch (o.kind) {
    case OrderKind.StopLoss:
    case OrderKind.TakeProfit:
      if (!withinTriggerBand(v.oracle, v.ema, v.triggerBand)) return { fill: false, reason: "outside_band" };
      if (!triggerHolds(o.kind, o.side, o.triggerPrice, v.oracle)) return { fill: false, reason: "not_triggered" };
      break;
    case OrderKind.Limit:
      if (!withinLimit(o.side, v.fillPrice, o.triggerPrice)) return { fill: false, reason: "not_triggered" };
      break;
    case OrderKind.Market:
      break;
  }
  if (!withinLimit(o.side, v.fillPrice, o.limitPrice)) return { fill: false, reason: "slippage" };
  return { fill: true };
}

/** How far the price still has to move to reach an order's trigger. */
export interface TriggerDistance {
  /** Signed move of the compared price (oracle; Limit: the fill price) to the trigger; 0 when reached. */
  move: bigint;
  /** The same in ppm of the compared price (signed, rounded toward zero). */
  ppm: bigint;
}

/**
 * Distance to trigger of `o` at `oracle` (Limit orders compare `fillPrice`, the side's fill price
 * with its spread; pass the oracle when unknown). Market orders: 0.
 */
export function distanceToTrigger(o: Pick<OrderTerms, "kind" | "side" | "triggerPrice">, oracle: bigint, fillPrice: bigint = oracle): TriggerDistance {
  let price: bigint;
  let down: boolean;
  switch (o.kind) {
    case OrderKind.Market:
      return { move: 0n, ppm: 0n };
    case OrderKind.Limit:
      price = fillPrice;
      down = o.side === OrderSide.Buy;
      break;
    default:
      price = oracle;
      down = (o.kind === OrderKind.StopLoss) === (o.side === OrderSide.Sell);
  }
  const reached = down ? price <= o.triggerPrice : price >= o.triggerPrice;
  if (reached || price === 0n) return { move: 0n, ppm: 0n };
  const move = o.triggerPrice - price;
  return { move, ppm: (move * RATIO_ONE) / price };
}

/**
 * Whether an executor is paid for `execute_order` now: the order fills, or the program cancels
 * it for its own reason (expired; a delayed market order past its slippage bound). A limit or
 * trigger order whose fill is past its bound stays (the instruction fails).
 */
export function keeperShouldExecute(o: OrderTerms, v: OrderMarketView): boolean {
  const c = orderFillCheck(o, v);
  return c.fill || c.reason === "expired" || (o.kind === OrderKind.Market && c.reason === "slippage");
}

/** `OrderCancelled::reason` (the program's `cancel_reason`) by code. */
export const CANCEL_REASONS: readonly string[] = ["user", "expired", "margin", "reduce_only", "slippage", "liquidation"];
