/** `fulcrum order …` and `trade --sl/--tp` (issue 16): the handlers and the open-orders table. */
import { PublicKey } from "@solana/web3.js";
import type { NoFillReason } from "../risk";
import type { FulcrumClient, ExchangeState } from "../sdk/client";
import { enginePriceFromNumber, enginePriceToNumber } from "../sdk/oracle";
import { ORDER_KIND_NAMES, OrderKind, OrderSide, parseOrderKind, type OpenOrder } from "../sdk/orders";
import { formatUnits, parseUnits, type OrderCommand } from "./args";
import { table } from "./format";

const num = (p: bigint, baseDecimals: number, quoteDecimals: number): string => {
  if (p === 0n) return "-";
  const n = enginePriceToNumber(p, baseDecimals, quoteDecimals);
  return n >= 1000 ? n.toFixed(2) : n >= 1 ? n.toFixed(4) : n.toPrecision(4);
};

/** `order list --json`: numbers as decimal strings of native / engine units. */
export function openOrdersJson(orders: OpenOrder[]): Record<string, unknown>[] {
  return orders.map((o) => ({
    orderId: o.orderId.toString(),
    clientId: o.clientId.toString(),
    market: o.market,
    marketIndex: o.marketIndex,
    kind: ORDER_KIND_NAMES[o.kind],
    side: o.side === OrderSide.Buy ? "buy" : "sell",
    baseSize: o.baseSize.toString(),
    wholePosition: o.wholePosition,
    reduceOnly: o.reduceOnly,
    triggerPrice: o.triggerPrice.toString(),
    limitPrice: o.limitPrice.toString(),
    placedTs: o.placedTs.toString(),
    maxTs: o.maxTs.toString(),
    feeLamports: o.fee.toString(),
    oracle: o.oracle.toString(),
    fillPrice: o.fillPrice.toString(),
    distance: o.distance.move.toString(),
    distancePpm: o.distance.ppm.toString(),
    wouldFill: o.check.fill,
    ...(o.check.fill ? {} : { notFilledBecause: o.check.reason }),
  }));
}

/** The table's words for `risk.NoFillReason`. */
const NOT_FILLED: Record<NoFillReason, string> = {
  expired: "expired",
  price_not_newer: "awaits a newer price",
  not_triggered: "waiting",
  outside_band: "outside EMA band",
  slippage: "past its limit",
};

export function openOrdersText(orders: OpenOrder[], quoteDecimals: number): string {
  if (orders.length === 0) return "no open orders";
  return table(
    ["id", "market", "kind", "side", "size", "trigger", "limit", "oracle", "to trigger", "expires", "fee (SOL)", "now"],
    orders.map((o) => [
      o.orderId.toString(),
      o.market,
      ORDER_KIND_NAMES[o.kind],
      o.side === OrderSide.Buy ? "buy" : "sell",
      o.wholePosition || (o.reduceOnly && o.baseSize === 0n) ? "position" : formatUnits(o.baseSize, o.baseDecimals),
      num(o.triggerPrice, o.baseDecimals, quoteDecimals),
      num(o.limitPrice, o.baseDecimals, quoteDecimals),
      num(o.oracle, o.baseDecimals, quoteDecimals),
      o.kind === OrderKind.Market ? "-" : `${(Number(o.distance.ppm) / 1e4).toFixed(2)}%`,
      o.maxTs === 0n ? "-" : new Date(Number(o.maxTs) * 1000).toISOString().slice(11, 19),
      formatUnits(o.fee, 9),
      o.check.fill ? "fills" : NOT_FILLED[o.check.reason],
    ]),
  );
}

/** Runs `fulcrum order …`; returns the JSON value and the text to print. */
export async function runOrder(client: FulcrumClient, state: ExchangeState, c: OrderCommand): Promise<{ json: unknown; text: string }> {
  const q = state.exchange.quoteDecimals;
  switch (c.action) {
    case "list": {
      const orders = await client.orders.openOrders(c.address ? new PublicKey(c.address) : undefined);
      return { json: openOrdersJson(orders), text: openOrdersText(orders, q) };
    }
    case "cancel": {
      const market = c.market === undefined ? null : await client.resolveMarket(c.market);
      const sig = c.id === "all" ? await client.orders.cancelAll(market) : await client.orders.cancel(BigInt(c.id));
      return { json: { signature: sig, cancelled: c.id, market }, text: `cancelled ${c.id === "all" ? "all orders" : `order ${c.id}`}${market === null ? "" : ` of market ${c.market}`}: ${sig}` };
    }
    case "place": {
      const marketIndex = await client.resolveMarket(c.market);
      const m = state.markets.get(marketIndex)!.market;
      const px = (v: string | undefined): bigint | undefined => (v === undefined ? undefined : enginePriceFromNumber(Number(v), m.baseDecimals, q));
      const kind = parseOrderKind(c.type);
      const baseSize = c.size === "all" ? 0n : parseUnits(c.size, m.baseDecimals);
      const maxTs = c.expires === undefined ? undefined : BigInt(Math.floor(Date.now() / 1000) + Number(c.expires));
      const before = (await client.orders.fetchBook())?.nextOrderId ?? 1n;
      const sig = await client.orders.place({
        marketIndex, kind, side: c.side, baseSize, triggerPrice: px(c.price), limitPrice: px(c.limit), reduceOnly: c.reduceOnly, maxTs,
        clientId: c.clientId === undefined ? undefined : BigInt(c.clientId),
      });
      return {
        json: { signature: sig, orderId: before.toString(), market: marketIndex, kind: ORDER_KIND_NAMES[kind], side: c.side, baseSize: baseSize.toString() },
        text: `placed ${ORDER_KIND_NAMES[kind]} ${c.side} ${c.size} ${c.market.toUpperCase()}${c.price ? ` at ${c.price}` : ""} (order ${before}): ${sig}`,
      };
    }
  }
}

/** `trade … --sl P --tp P`: the trade and its reduce-only whole-position triggers in one transaction. */
export async function tradeWithTriggers(
  client: FulcrumClient,
  state: ExchangeState,
  marketIndex: number,
  side: "buy" | "sell",
  size: bigint,
  opts: { sl?: string; tp?: string; limitPrice?: bigint },
): Promise<string> {
  const m = state.markets.get(marketIndex)!.market;
  const q = state.exchange.quoteDecimals;
  const px = (v: string | undefined): bigint | undefined => (v === undefined ? undefined : enginePriceFromNumber(Number(v), m.baseDecimals, q));
  return client.orders.tradeWithSlTp(marketIndex, side, size, { stopLoss: px(opts.sl), takeProfit: px(opts.tp), limitPrice: opts.limitPrice });
}
