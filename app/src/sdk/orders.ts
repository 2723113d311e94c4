/**
 * Orders (issue 16) off chain: the order book account (PDA `[orders, margin_account]`, zero-copy,
 * {@link MAX_ORDERS} fixed slots, decoded with the IDL layout), instruction builders for every
 * order instruction, "attach SL/TP" when opening (one transaction: trade + stop-loss +
 * take-profit), and open orders with their distance to trigger and whether they would fill now
 * (`risk.orderFillCheck`, the program's rules).
 *
 * {@link Orders} works through a {@link FulcrumClient} (its wallet signs as owner, delegate or
 * keeper); `FulcrumClient.orders` returns one.
 */
import { BN } from "@anchor-lang/core";
import { type AccountMeta, PublicKey, SystemProgram, type TransactionInstruction } from "@solana/web3.js";
import * as risk from "../risk";
import { OrderKind, OrderSide } from "../risk/orders";
import type { MarginAccount, MarginRiskView, PerpMarket } from "./accounts";
import type { ExchangeState, FulcrumClient, SendOptions, Side } from "./client";
import { FulcrumClient as Client, encodeBase58 } from "./client";
import { accountDiscriminator, accountSize, decodeAccount } from "./layout";
import { readOracle, toEnginePrice, type OracleReading } from "./oracle";
import * as pda from "./pda";

export { OrderKind, OrderSide };

/** Order slots per account (`MAX_ORDERS`). */
export const MAX_ORDERS = 32;

/** One resting order, decoded. */
export interface Order {
  /** Slot index in the account's `orders` array. */
  slot: number;
  /** Monotonic per account, from 1 (0: an empty slot). */
  orderId: bigint;
  clientId: bigint;
  marketIndex: number;
  kind: OrderKind;
  side: OrderSide;
  reduceOnly: boolean;
  /** A reduce-only trigger with size 0: the whole position at execution. */
  wholePosition: boolean;
  baseSize: bigint;
  /** Limit: the limit price; StopLoss/TakeProfit: the trigger; Market: 0. Engine units. */
  triggerPrice: bigint;
  /** Worst fill price (slippage bound), 0 = none. Engine units. */
  limitPrice: bigint;
  placedSlot: bigint;
  placedTs: bigint;
  /** Expiry, unix seconds (0 = none). */
  maxTs: bigint;
  /** Lamports escrowed for the executor. */
  fee: bigint;
}

export interface OrderBook {
  exchange: PublicKey;
  marginAccount: PublicKey;
  nextOrderId: bigint;
  /** Lamports held for open orders (Σ their `fee`). */
  escrowedFees: bigint;
  openCount: number;
  bump: number;
  /** Open orders only (non-empty slots), in slot order. */
  orders: Order[];
}

/** An order as the IDL layout decodes it (flags as u8). */
type RawOrder = Omit<Order, "slot" | "reduceOnly" | "wholePosition"> & { reduceOnly: number | boolean; wholePosition: number | boolean };

const flag = (v: number | boolean): boolean => (typeof v === "boolean" ? v : v !== 0);

/** Decodes an `OrderBook` account (checks the discriminator); only open orders are kept. */
export function decodeOrderBook(data: Buffer): OrderBook {
  const raw = decodeAccount<Omit<OrderBook, "orders"> & { orders: RawOrder[] }>("OrderBook", data);
  const orders: Order[] = [];
  raw.orders.forEach((o, slot) => {
    if (o.orderId === 0n) return;
    orders.push({ ...o, slot, kind: o.kind as OrderKind, side: o.side as OrderSide, reduceOnly: flag(o.reduceOnly), wholePosition: flag(o.wholePosition) });
  });
  return { exchange: raw.exchange, marginAccount: raw.marginAccount, nextOrderId: raw.nextOrderId, escrowedFees: raw.escrowedFees, openCount: raw.openCount, bump: raw.bump, orders };
}

/** `getProgramAccounts` filters for every order book of `exchange` (its first field). */
export function orderBookFilters(exchange: PublicKey): ({ dataSize: number } | { memcmp: { offset: number; bytes: string } })[] {
  return [
    { dataSize: accountSize("OrderBook") },
    { memcmp: { offset: 0, bytes: encodeBase58(accountDiscriminator("OrderBook")) } },
    { memcmp: { offset: 8, bytes: exchange.toBase58() } },
  ];
}

export const ORDER_KIND_NAMES: Record<OrderKind, string> = {
  [OrderKind.Market]: "market",
  [OrderKind.Limit]: "limit",
  [OrderKind.StopLoss]: "stop-loss",
  [OrderKind.TakeProfit]: "take-profit",
};

/** "market" | "limit" | "stop-loss" (sl, stop) | "take-profit" (tp) → {@link OrderKind}. */
export function parseOrderKind(s: string): OrderKind {
  switch (s.toLowerCase().replace(/_/g, "-")) {
    case "market": return OrderKind.Market;
    case "limit": return OrderKind.Limit;
    case "stop-loss": case "stoploss": case "stop": case "sl": return OrderKind.StopLoss;
    case "take-profit": case "takeprofit": case "tp": return OrderKind.TakeProfit;
  }
  throw new Error(`order kind must be market, limit, stop-loss or take-profit, not ${s}`);
}

export const orderSide = (s: Side): OrderSide => (s === "buy" ? OrderSide.Buy : OrderSide.Sell);
export const sideOf = (s: OrderSide): Side => (s === OrderSide.Buy ? "buy" : "sell");

/** What to place (the program's `OrderParams` plus the market). */
export interface OrderInput {
  marketIndex: number;
  kind: OrderKind;
  side: Side;
  /** Base native units; 0 on a reduce-only trigger: the whole position at execution. */
  baseSize: bigint;
  /** Limit: the limit price; StopLoss/TakeProfit: the trigger. Engine units. */
  triggerPrice?: bigint;
  /** Worst fill price, engine units (default: none). */
  limitPrice?: bigint;
  reduceOnly?: boolean;
  /** Expiry, unix seconds (default: none). */
  maxTs?: bigint;
  clientId?: bigint;
}

const bn = (v: bigint | number): BN => new BN(v.toString());
const KIND_ARG = ["market", "limit", "stopLoss", "takeProfit"] as const;

/** Anchor's argument for `OrderParams`. */
export function orderParamsArg(o: OrderInput): Record<string, unknown> {
  return {
    kind: { [KIND_ARG[o.kind]]: {} },
    side: o.side === "buy" ? { buy: {} } : { sell: {} },
    baseSize: bn(o.baseSize),
    triggerPrice: bn(o.triggerPrice ?? 0n),
    limitPrice: bn(o.limitPrice ?? 0n),
    reduceOnly: o.reduceOnly ?? false,
    maxTs: bn(o.maxTs ?? 0n),
    clientId: bn(o.clientId ?? 0n),
  };
}

/**
 * Base delta an execution of `o` would trade against the position `held` (what sets the margin
 * check's accounts): a reduce-only order is clamped to the position (whole position with size 0)
 * and trades nothing when there is nothing to reduce (the program cancels it).
 */
export function executionDelta(o: Pick<Order, "side" | "baseSize" | "reduceOnly" | "wholePosition">, held: bigint): bigint {
  const sign = o.side === OrderSide.Buy ? 1n : -1n;
  if (!o.reduceOnly) return sign * o.baseSize;
  if (held === 0n || (held > 0n) === (sign > 0n)) return 0n;
  const abs = held < 0n ? -held : held;
  if (o.wholePosition || o.baseSize === 0n || o.baseSize > abs) return -held;
  return sign * o.baseSize;
}

/** An open order as a trader sees it: with the market's price, its distance to trigger and whether it would fill now. */
export interface OpenOrder extends Order {
  market: string;
  baseDecimals: number;
  oracle: bigint;
  /** Fill price of the order's side now (oracle ± spread). */
  fillPrice: bigint;
  distance: risk.TriggerDistance;
  /** `risk.orderFillCheck` at the current price. */
  check: risk.FillCheck;
}

/** The market view `risk.orderFillCheck` needs, from an oracle reading. */
export function orderMarketView(market: PerpMarket, reading: OracleReading, price: risk.Price, side: OrderSide, now: bigint, triggerBand: number, slot?: bigint): risk.OrderMarketView {
  const q = Client.fillQuote(market, reading, price.oracle, sideOf(side), slot);
  return { oracle: price.oracle, ema: price.ema, publishTime: reading.publishTime, fillPrice: q.fillPrice, now, triggerBand };
}

/** The exchange's trigger band (ppm; 0 where the IDL or exchange has none). */
export const triggerBandOf = (state: ExchangeState): number => state.exchange.triggerBand ?? 0;

/** Order instructions and helpers through `client` (its wallet signs). */
export class Orders {
  constructor(readonly client: FulcrumClient) {}

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private get methods(): any {
    return this.client.program.methods;
  }

  /** The order book PDA of `account` (default: the wallet's margin account). */
  address(account: PublicKey = this.client.marginAccountAddress()): PublicKey {
    return pda.orderBookAddress(account, this.client.programId);
  }

  async fetchBook(account: PublicKey = this.client.marginAccountAddress()): Promise<OrderBook | null> {
    const info = await this.client.connection.getAccountInfo(this.address(account));
    return info && info.data.length > 0 ? decodeOrderBook(info.data) : null;
  }

  /** Every order book of the exchange (`getProgramAccounts`). */
  async allBooks(): Promise<{ pubkey: PublicKey; book: OrderBook }[]> {
    const accounts = await this.client.connection.getProgramAccounts(this.client.programId, {
      commitment: "confirmed",
      filters: orderBookFilters(this.client.exchange),
    });
    return accounts.map((a) => ({ pubkey: a.pubkey, book: decodeOrderBook(a.account.data) }));
  }

  private async ownerOf(account: PublicKey): Promise<PublicKey> {
    if (account.equals(this.client.marginAccountAddress())) return this.client.owner;
    const acct = await this.client.marginAccount(account);
    if (!acct) throw new Error(`no margin account at ${account.toBase58()}`);
    return acct.owner;
  }

  private market(state: ExchangeState, index: number): { address: PublicKey; market: PerpMarket } {
    const m = state.markets.get(index);
    if (!m) throw new Error(`market ${index} not listed`);
    return m;
  }

  // ------------------------------------------------------------------ owner / delegate

  /** `create_order_book` (the owner pays the rent). */
  async createOrderBookIx(account: PublicKey = this.client.marginAccountAddress()): Promise<TransactionInstruction> {
    return this.methods
      .createOrderBook()
      .accountsPartial({
        exchange: this.client.exchange, marginAccount: account, orderBook: this.address(account), owner: this.client.owner, systemProgram: SystemProgram.programId,
      })
      .instruction();
  }

  /** `[create_order_book]` when the account has no order book yet, else `[]` (create on demand). */
  async ensureOrderBookIxs(account: PublicKey = this.client.marginAccountAddress()): Promise<TransactionInstruction[]> {
    const info = await this.client.connection.getAccountInfo(this.address(account));
    return info && info.data.length > 0 ? [] : [await this.createOrderBookIx(account)];
  }

  /** `close_order_book`: rent back to the owner (`OrdersStillOpen` while orders rest; needed before `close_margin_account`). */
  async closeOrderBookIx(account: PublicKey = this.client.marginAccountAddress()): Promise<TransactionInstruction> {
    return this.methods
      .closeOrderBook()
      .accountsPartial({ marginAccount: account, orderBook: this.address(account), owner: this.client.owner })
      .instruction();
  }

  /** `place_order` (owner or delegate; the wallet pays the escrowed fee). */
  async placeOrderIx(o: OrderInput, account: PublicKey = this.client.marginAccountAddress()): Promise<TransactionInstruction> {
    const state = await this.client.loadExchange();
    const m = this.market(state, o.marketIndex);
    return this.methods
      .placeOrder(orderParamsArg(o))
      .accountsPartial({
        exchange: this.client.exchange, marginAccount: account, orderBook: this.address(account), market: m.address, trader: this.client.owner,
        systemProgram: SystemProgram.programId,
      })
      .instruction();
  }

  /** `modify_order`: replaces order `orderId`'s terms (fee refunded / escrowed net). */
  async modifyOrderIx(orderId: bigint, o: OrderInput, account: PublicKey = this.client.marginAccountAddress()): Promise<TransactionInstruction> {
    const state = await this.client.loadExchange();
    const m = this.market(state, o.marketIndex);
    return this.methods
      .modifyOrder(bn(orderId), orderParamsArg(o))
      .accountsPartial({
        exchange: this.client.exchange, marginAccount: account, orderBook: this.address(account), market: m.address, trader: this.client.owner,
        owner: await this.ownerOf(account), systemProgram: SystemProgram.programId,
      })
      .instruction();
  }

  /** `cancel_order`: the fee goes back to the owner. */
  async cancelOrderIx(orderId: bigint, account: PublicKey = this.client.marginAccountAddress()): Promise<TransactionInstruction> {
    return this.methods
      .cancelOrder(bn(orderId))
      .accountsPartial({ marginAccount: account, orderBook: this.address(account), trader: this.client.owner, owner: await this.ownerOf(account) })
      .instruction();
  }

  /** `cancel_all_orders` (of one market, or all). */
  async cancelAllOrdersIx(marketIndex: number | null = null, account: PublicKey = this.client.marginAccountAddress()): Promise<TransactionInstruction> {
    return this.methods
      .cancelAllOrders(marketIndex)
      .accountsPartial({ marginAccount: account, orderBook: this.address(account), trader: this.client.owner, owner: await this.ownerOf(account) })
      .instruction();
  }

  /**
   * Opens (or adds to) a position with a stop-loss and/or a take-profit in ONE transaction:
   * `[create_order_book]` when missing, `place_perp_trade`, then reduce-only whole-position
   * triggers on the other side (size 0: whatever the position is when they fire).
   */
  async tradeWithSlTpIxs(
    marketIndex: number,
    side: Side,
    baseSize: bigint,
    opts: { stopLoss?: bigint; takeProfit?: bigint; limitPrice?: bigint; slippagePpm?: number; maxTs?: bigint; account?: PublicKey } = {},
  ): Promise<TransactionInstruction[]> {
    const account = opts.account ?? this.client.marginAccountAddress();
    const ixs: TransactionInstruction[] = [];
    if (opts.stopLoss !== undefined || opts.takeProfit !== undefined) ixs.push(...(await this.ensureOrderBookIxs(account)));
    ixs.push(...(await this.client.depegRefreshIxs(account)));
    ixs.push(await this.client.placePerpTradeIx(marketIndex, side, baseSize, { limitPrice: opts.limitPrice, slippagePpm: opts.slippagePpm, account }));
    const close: Side = side === "buy" ? "sell" : "buy";
    const trigger = (kind: OrderKind, price: bigint): OrderInput => ({ marketIndex, kind, side: close, baseSize: 0n, triggerPrice: price, reduceOnly: true, maxTs: opts.maxTs });
    if (opts.stopLoss !== undefined) ixs.push(await this.placeOrderIx(trigger(OrderKind.StopLoss, opts.stopLoss), account));
    if (opts.takeProfit !== undefined) ixs.push(await this.placeOrderIx(trigger(OrderKind.TakeProfit, opts.takeProfit), account));
    return ixs;
  }

  /** Places one order, creating the order book first when needed (same transaction). */
  async place(o: OrderInput, account: PublicKey = this.client.marginAccountAddress(), send: SendOptions = {}): Promise<string> {
    return this.client.send([...(await this.ensureOrderBookIxs(account)), await this.placeOrderIx(o, account)], [], send);
  }
  async cancel(orderId: bigint, account?: PublicKey): Promise<string> {
    return this.client.send([await this.cancelOrderIx(orderId, account)]);
  }
  async cancelAll(marketIndex: number | null = null, account?: PublicKey): Promise<string> {
    return this.client.send([await this.cancelAllOrdersIx(marketIndex, account)]);
  }
  async modify(orderId: bigint, o: OrderInput, account?: PublicKey): Promise<string> {
    return this.client.send([await this.modifyOrderIx(orderId, o, account)]);
  }
  /** {@link tradeWithSlTpIxs}, sent. */
  async tradeWithSlTp(...args: Parameters<Orders["tradeWithSlTpIxs"]>): Promise<string> {
    return this.client.send(await this.tradeWithSlTpIxs(...args));
  }

  // ------------------------------------------------------------------ keepers (permissionless)

  /**
   * `execute_order` of `order` on `account`, the wallet as keeper (it receives the fee). The
   * remaining accounts are the margin check's for the account after the fill, as
   * `placePerpTradeIx` builds them (`acct`: the account as last seen, else read now).
   */
  async executeOrderIx(account: PublicKey, order: Pick<Order, "orderId" | "marketIndex" | "side" | "baseSize" | "reduceOnly" | "wholePosition">, acct?: MarginAccount | MarginRiskView | null): Promise<TransactionInstruction> {
    const state = await this.client.loadExchange();
    const m = this.market(state, order.marketIndex);
    const a = acct === undefined ? await this.client.marginAccount(account) : acct;
    return this.methods
      .executeOrder(bn(order.orderId))
      .accountsPartial({
        exchange: this.client.exchange, marginAccount: account, orderBook: this.address(account), market: m.address, oracle: m.market.oracle,
        pool: state.poolAddress, keeper: this.client.owner,
      })
      .remainingAccounts(this.executionMetas(state, order, a))
      .instruction();
  }

  /** The margin check's accounts of an execution of `order` (see {@link executeOrderIx}). */
  executionMetas(state: ExchangeState, order: Pick<Order, "marketIndex" | "side" | "baseSize" | "reduceOnly" | "wholePosition">, acct: MarginAccount | MarginRiskView | null): AccountMeta[] {
    const slots = acct?.perps as { marketIndex: number; base?: bigint; position?: risk.PerpPosition; isolatedCollateral: bigint }[] | undefined;
    const slot = slots?.find((p) => p.marketIndex === order.marketIndex);
    const held = slot ? (slot.base ?? slot.position?.base ?? 0n) : 0n;
    const delta = executionDelta(order, held);
    const before = Client.slotsOf(acct);
    const perps = new Set(before.perps);
    if (delta !== 0n || held !== 0n) {
      if (held + delta === 0n && !(slot && slot.isolatedCollateral !== 0n)) perps.delete(order.marketIndex);
      else perps.add(order.marketIndex);
    }
    return this.client.healthMetas({ ...before, perps: [...perps] }, state);
  }

  /** `cancel_expired_order` (anyone; the wallet receives the fee). */
  async cancelExpiredOrderIx(account: PublicKey, orderId: bigint): Promise<TransactionInstruction> {
    return this.methods
      .cancelExpiredOrder(bn(orderId))
      .accountsPartial({ marginAccount: account, orderBook: this.address(account), keeper: this.client.owner })
      .instruction();
  }

  // ------------------------------------------------------------------ reading

  /**
   * The account's open orders with each market's price, the distance to trigger and whether
   * `execute_order` would fill it now (`risk.orderFillCheck`).
   */
  async openOrders(account: PublicKey = this.client.marginAccountAddress()): Promise<OpenOrder[]> {
    const book = await this.fetchBook(account);
    if (!book || book.orders.length === 0) return [];
    const state = await this.client.loadExchange(true);
    const markets = [...new Set(book.orders.map((o) => o.marketIndex))];
    const oracles = markets.map((i) => this.market(state, i).market.oracle);
    const infos = await this.client.connection.getMultipleAccountsInfo(oracles);
    const slot = BigInt(await this.client.connection.getSlot("confirmed"));
    const now = BigInt(Math.floor(Date.now() / 1000));
    const readings = new Map<number, { reading: OracleReading; price: risk.Price }>();
    markets.forEach((i, k) => {
      const info = infos[k];
      if (!info) return;
      const m = this.market(state, i).market;
      const reading = readOracle(info.data, info.owner, m.feedId);
      readings.set(i, { reading, price: toEnginePrice(reading, m.baseDecimals, state.exchange.quoteDecimals) });
    });
    return book.orders.map((o) => openOrderView(o, state, readings.get(o.marketIndex) ?? null, now, slot));
  }
}

/** One order with its market's price (see {@link Orders.openOrders}); without a reading: zeros and "not_triggered". */
export function openOrderView(o: Order, state: ExchangeState, r: { reading: OracleReading; price: risk.Price } | null, now: bigint, slot?: bigint): OpenOrder {
  const m = state.markets.get(o.marketIndex)!.market;
  const market = Buffer.from(m.name).toString("utf8").replace(/\0+$/, "");
  if (!r) return { ...o, market, baseDecimals: m.baseDecimals, oracle: 0n, fillPrice: 0n, distance: { move: 0n, ppm: 0n }, check: { fill: false, reason: "not_triggered" } };
  const v = orderMarketView(m, r.reading, r.price, o.side, now, triggerBandOf(state), slot);
  return { ...o, market, baseDecimals: m.baseDecimals, oracle: v.oracle, fillPrice: v.fillPrice, distance: risk.distanceToTrigger(o, v.oracle, v.fillPrice), check: risk.orderFillCheck(o, v) };
}

