// Orders (issue 16) off chain: the fill rules the keeper and `order list` use, the order book
// layout against the program's size asserts, the decoder, the instruction builders (accounts
// as the program names them, margin-check accounts as place_perp_trade's), the keeper's scan
// and the CLI's command lines.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Connection, Keypair, PublicKey } from "@solana/web3.js";
import * as risk from "../src/risk";
import { OrderKind, OrderSide } from "../src/risk";
import {
  accountDiscriminator, accountSize, decodeMarginAccount, decodeOrderBook, executionDelta, fieldOffset, FulcrumClient, IDL, openOrderView, orderBookFilters,
  parseOrderKind, pda, PROGRAM_ID, structLayout, type Deployment, type ExchangeState, type Order,
} from "../src/sdk";
import { orderScan, type MarketPrice } from "../src/keeper/orders";
import { encodeMarginAccount, syntheticExchange } from "../src/keeper/synthetic";
import { parseCli } from "../src/cli/args";

const terms = (kind: OrderKind, side: OrderSide, triggerPrice: bigint, extra: Partial<risk.OrderTerms> = {}): risk.OrderTerms => ({
  kind, side, triggerPrice, limitPrice: 0n, placedTs: 100n, maxTs: 0n, ...extra,
});
const view = (oracle: bigint, extra: Partial<risk.OrderMarketView> = {}): risk.OrderMarketView => ({
  oracle, ema: oracle, publishTime: 101n, fillPrice: oracle, now: 101n, triggerBand: 50_000, ...extra,
});

test("trigger directions as the program's Order::triggered", () => {
  const { StopLoss: SL, TakeProfit: TP } = OrderKind;
  const { Buy, Sell } = OrderSide;
  // A long's stop (sell) fires at or below, its take-profit (sell) at or above.
  assert.ok(risk.triggerHolds(SL, Sell, 100n, 100n));
  assert.ok(risk.triggerHolds(SL, Sell, 100n, 99n));
  assert.ok(!risk.triggerHolds(SL, Sell, 100n, 101n));
  assert.ok(risk.triggerHolds(TP, Sell, 100n, 101n));
  assert.ok(!risk.triggerHolds(TP, Sell, 100n, 99n));
  // A short's the other way.
  assert.ok(risk.triggerHolds(SL, Buy, 100n, 101n));
  assert.ok(!risk.triggerHolds(SL, Buy, 100n, 99n));
  assert.ok(risk.triggerHolds(TP, Buy, 100n, 99n));
  assert.ok(!risk.triggerHolds(TP, Buy, 100n, 101n));
});

test("EMA band as fulcrum_risk::outside_band: inclusive, 0 = off", () => {
  assert.ok(risk.withinTriggerBand(105n, 100n, 50_000));
  assert.ok(!risk.withinTriggerBand(106n, 100n, 50_000));
  assert.ok(risk.withinTriggerBand(95n, 100n, 50_000));
  assert.ok(!risk.withinTriggerBand(94n, 100n, 50_000));
  assert.ok(risk.withinTriggerBand(1_000n, 1n, 0));
});

test("orderFillCheck: the program's order of checks", () => {
  const sl = terms(OrderKind.StopLoss, OrderSide.Sell, 90n);
  assert.deepEqual(risk.orderFillCheck(sl, view(89n)), { fill: true });
  assert.deepEqual(risk.orderFillCheck(sl, view(91n)), { fill: false, reason: "not_triggered" });
  // Only a price published after placement; never the one the trader saw.
  assert.deepEqual(risk.orderFillCheck(sl, view(89n, { publishTime: 100n })), { fill: false, reason: "price_not_newer" });
  // Triggers refuse an oracle far from its EMA (checked before the trigger, as the program).
  assert.deepEqual(risk.orderFillCheck(sl, view(80n, { ema: 100n })), { fill: false, reason: "outside_band" });
  assert.deepEqual(risk.orderFillCheck(terms(OrderKind.StopLoss, OrderSide.Sell, 90n, { maxTs: 100n }), view(89n)), { fill: false, reason: "expired" });
  assert.deepEqual(risk.orderFillCheck(terms(OrderKind.StopLoss, OrderSide.Sell, 90n, { maxTs: 101n }), view(89n)), { fill: true }, "live while now <= max_ts");
  // Limit buy: on the fill price (spread included), at or below its limit.
  const lim = terms(OrderKind.Limit, OrderSide.Buy, 100n);
  assert.deepEqual(risk.orderFillCheck(lim, view(99n, { fillPrice: 100n })), { fill: true });
  assert.deepEqual(risk.orderFillCheck(lim, view(99n, { fillPrice: 101n })), { fill: false, reason: "not_triggered" });
  const limSell = terms(OrderKind.Limit, OrderSide.Sell, 100n);
  assert.deepEqual(risk.orderFillCheck(limSell, view(101n, { fillPrice: 100n })), { fill: true });
  assert.deepEqual(risk.orderFillCheck(limSell, view(101n, { fillPrice: 99n })), { fill: false, reason: "not_triggered" });
  // Delayed market order: any newer price within its slippage bound; the EMA band does not apply.
  const mkt = terms(OrderKind.Market, OrderSide.Buy, 0n, { limitPrice: 105n });
  assert.deepEqual(risk.orderFillCheck(mkt, view(100n, { ema: 50n, fillPrice: 101n })), { fill: true });
  assert.deepEqual(risk.orderFillCheck(mkt, view(100n, { fillPrice: 106n })), { fill: false, reason: "slippage" });
  // The keeper is paid for a market order past its bound (the program cancels it), not for a trigger's.
  assert.ok(risk.keeperShouldExecute(mkt, view(100n, { fillPrice: 106n })));
  assert.ok(!risk.keeperShouldExecute(terms(OrderKind.StopLoss, OrderSide.Sell, 90n, { limitPrice: 89n }), view(89n, { fillPrice: 88n })));
  assert.ok(risk.keeperShouldExecute(terms(OrderKind.Limit, OrderSide.Buy, 1n, { maxTs: 50n }), view(100n)), "expired: cancelled for the fee");
  assert.equal(risk.CANCEL_REASONS[2], "margin");
});

test("distance to trigger: signed move of the oracle (limit: of the fill price), 0 once reached", () => {
  const sl = terms(OrderKind.StopLoss, OrderSide.Sell, 90n);
  assert.deepEqual(risk.distanceToTrigger(sl, 100n), { move: -10n, ppm: -100_000n });
  assert.deepEqual(risk.distanceToTrigger(sl, 90n), { move: 0n, ppm: 0n });
  assert.deepEqual(risk.distanceToTrigger(terms(OrderKind.TakeProfit, OrderSide.Sell, 120n), 100n), { move: 20n, ppm: 200_000n });
  assert.deepEqual(risk.distanceToTrigger(terms(OrderKind.StopLoss, OrderSide.Buy, 110n), 100n), { move: 10n, ppm: 100_000n });
  assert.deepEqual(risk.distanceToTrigger(terms(OrderKind.Limit, OrderSide.Buy, 95n), 100n, 101n), { move: -6n, ppm: -59_405n });
  assert.deepEqual(risk.distanceToTrigger(terms(OrderKind.Market, OrderSide.Buy, 0n), 100n), { move: 0n, ppm: 0n });
});

test("execution delta: reduce-only clamps to the position, whole position, nothing to reduce", () => {
  const o = (side: OrderSide, baseSize: bigint, reduceOnly = true, wholePosition = false) => ({ side, baseSize, reduceOnly, wholePosition });
  assert.equal(executionDelta(o(OrderSide.Sell, 0n, true, true), 7n), -7n);
  assert.equal(executionDelta(o(OrderSide.Buy, 0n, true, true), -7n), 7n);
  assert.equal(executionDelta(o(OrderSide.Sell, 10n), 7n), -7n);
  assert.equal(executionDelta(o(OrderSide.Sell, 3n), 7n), -3n);
  assert.equal(executionDelta(o(OrderSide.Sell, 3n), -7n), 0n, "flipped: cancelled, nothing traded");
  assert.equal(executionDelta(o(OrderSide.Sell, 3n), 0n), 0n);
  assert.equal(executionDelta(o(OrderSide.Buy, 3n, false), 0n), 3n);
});

/** The `N` of `assert!(core::mem::size_of::<T>() == N)` in the program's source. */
function programSize(type: string): number {
  const src = readFileSync(join(__dirname, "..", "..", "programs", "fulcrum", "src", "state", "order_book.rs"), "utf8");
  const m = new RegExp(`size_of::<${type}>\\(\\)\\s*==\\s*([\\d_]+)`).exec(src);
  assert.ok(m, `size assert of ${type} in order_book.rs`);
  return Number(m[1]!.replace(/_/g, ""));
}

test("OrderBook layout from the IDL: sizes as the program asserts, fields where the interface puts them", () => {
  assert.equal(structLayout("Order").size, programSize("Order"));
  assert.equal(accountSize("OrderBook"), 8 + programSize("OrderBook"));
  const order = structLayout("Order");
  const at = (f: string): number => order.fields.get(f)!.offset;
  assert.deepEqual(
    ["order_id", "client_id", "market_index", "kind", "side", "reduce_only", "whole_position", "base_size", "trigger_price", "limit_price", "placed_slot", "placed_ts", "max_ts", "fee"].map(at),
    [0, 8, 16, 18, 19, 20, 21, 24, 32, 40, 48, 56, 64, 72],
  );
  assert.equal(fieldOffset("OrderBook", "exchange"), 8, "the exchange filter's memcmp offset");
  const book = structLayout("OrderBook");
  assert.equal(book.fields.get("orders")!.size, 32 * order.size);
  const f = orderBookFilters(PublicKey.default);
  assert.deepEqual(f[0], { dataSize: accountSize("OrderBook") });
});

/** An order book's bytes, laid out from the IDL. */
function encodeOrderBook(exchange: PublicKey, marginAccount: PublicKey, orders: (Partial<Order> & { slot: number })[]): Buffer {
  const d = Buffer.alloc(accountSize("OrderBook"));
  accountDiscriminator("OrderBook").copy(d, 0);
  exchange.toBuffer().copy(d, fieldOffset("OrderBook", "exchange"));
  marginAccount.toBuffer().copy(d, fieldOffset("OrderBook", "margin_account"));
  const l = structLayout("Order");
  const base = fieldOffset("OrderBook", "orders");
  let fees = 0n;
  for (const o of orders) {
    const at = (f: string): number => base + o.slot * l.size + l.fields.get(f)!.offset;
    d.writeBigUInt64LE(o.orderId ?? 1n, at("order_id"));
    d.writeBigUInt64LE(o.clientId ?? 0n, at("client_id"));
    d.writeUInt16LE(o.marketIndex ?? 0, at("market_index"));
    d[at("kind")] = o.kind ?? 0;
    d[at("side")] = o.side ?? 0;
    d[at("reduce_only")] = o.reduceOnly ? 1 : 0;
    d[at("whole_position")] = o.wholePosition ? 1 : 0;
    d.writeBigUInt64LE(o.baseSize ?? 0n, at("base_size"));
    d.writeBigUInt64LE(o.triggerPrice ?? 0n, at("trigger_price"));
    d.writeBigUInt64LE(o.limitPrice ?? 0n, at("limit_price"));
    d.writeBigUInt64LE(o.placedSlot ?? 0n, at("placed_slot"));
    d.writeBigInt64LE(o.placedTs ?? 0n, at("placed_ts"));
    d.writeBigInt64LE(o.maxTs ?? 0n, at("max_ts"));
    d.writeBigUInt64LE(o.fee ?? 0n, at("fee"));
    fees += o.fee ?? 0n;
  }
  d.writeBigUInt64LE(BigInt(Math.max(0, ...orders.map((o) => Number(o.orderId ?? 1n)))) + 1n, fieldOffset("OrderBook", "next_order_id"));
  d.writeBigUInt64LE(fees, fieldOffset("OrderBook", "escrowed_fees"));
  d[fieldOffset("OrderBook", "open_count")] = orders.length;
  return d;
}

test("order book decodes: open orders only, flags and enums", () => {
  const ex = Keypair.generate().publicKey;
  const ma = Keypair.generate().publicKey;
  const d = encodeOrderBook(ex, ma, [
    { slot: 0, orderId: 4n, kind: OrderKind.StopLoss, side: OrderSide.Sell, reduceOnly: true, wholePosition: true, triggerPrice: 90n, placedTs: 1_000n, fee: 100_000n, marketIndex: 2 },
    { slot: 31, orderId: 9n, kind: OrderKind.Limit, side: OrderSide.Buy, baseSize: 5n, triggerPrice: 80n, maxTs: 2_000n, clientId: 77n, fee: 100_000n },
  ]);
  const b = decodeOrderBook(d);
  assert.ok(b.exchange.equals(ex) && b.marginAccount.equals(ma));
  assert.equal(b.openCount, 2);
  assert.equal(b.escrowedFees, 200_000n);
  assert.equal(b.nextOrderId, 10n);
  assert.deepEqual(b.orders.map((o) => [o.slot, o.orderId, o.kind, o.side, o.reduceOnly, o.wholePosition]), [[0, 4n, 2, 1, true, true], [31, 9n, 1, 0, false, false]]);
  assert.equal(b.orders[1]!.clientId, 77n);
  assert.equal(b.orders[1]!.maxTs, 2_000n);
  assert.throws(() => decodeOrderBook(Buffer.alloc(accountSize("OrderBook"))), /not a OrderBook/);
});

/** A FulcrumClient whose exchange state is a synthetic one: builders run without any RPC. */
function offlineClient(): { client: FulcrumClient; state: ExchangeState } {
  const { state } = syntheticExchange();
  const deployment = { programId: PROGRAM_ID.toBase58(), exchange: state.address.toBase58(), quoteMint: state.address.toBase58(), banks: [] } as unknown as Deployment;
  const client = new FulcrumClient(new Connection("http://127.0.0.1:1"), Keypair.generate(), deployment);
  Object.assign(client, { state });
  return { client, state };
}

const names = (ixName: string): string[] => {
  const ix = (IDL.instructions as unknown as { name: string; accounts: { name: string }[] }[]).find((i) => i.name === ixName);
  assert.ok(ix, `instruction ${ixName} in the IDL`);
  return ix.accounts.map((a) => a.name);
};

test("instruction builders name the program's accounts; execute_order carries the margin check's accounts", async () => {
  const { client, state } = offlineClient();
  const account = Keypair.generate().publicKey;
  const book = pda.orderBookAddress(account);
  const [want] = PublicKey.findProgramAddressSync([Buffer.from("orders"), account.toBuffer()], PROGRAM_ID);
  assert.ok(book.equals(want));
  const acct = decodeMarginAccount(encodeMarginAccount({
    quoteBalance: 1_000n, marginCallSlot: 0n, inMarginCall: false,
    collateral: [{ bankIndex: 1, amount: 10n }],
    perps: [{ marketIndex: 0, position: { base: 5n, quoteEntry: -5n, fundingSnapshot: 0n } }, { marketIndex: 1, position: { base: -2n, quoteEntry: 2n, fundingSnapshot: 0n } }],
  }));
  const stop = { orderId: 3n, marketIndex: 0, side: OrderSide.Sell, baseSize: 0n, reduceOnly: true, wholePosition: true };
  const ix = await client.orders.executeOrderIx(account, stop, acct);
  const fixed = names("execute_order").length;
  assert.equal(fixed, 7);
  assert.ok(ix.keys[1]!.pubkey.equals(account) && ix.keys[1]!.isWritable);
  assert.ok(ix.keys[2]!.pubkey.equals(book) && ix.keys[2]!.isWritable);
  assert.ok(ix.keys[6]!.pubkey.equals(client.owner) && ix.keys[6]!.isSigner && ix.keys[6]!.isWritable, "the keeper signs and is paid");
  // As place_perp_trade's for the account after the fill: the stop closes market 0 entirely.
  const after = client.healthMetas(FulcrumClient.slotsAfterTrade(acct, 0, -5n), state).map((m) => m.pubkey.toBase58());
  assert.deepEqual(ix.keys.slice(fixed).map((k) => k.pubkey.toBase58()), after);
  assert.ok(!after.includes(state.markets.get(0)!.address.toBase58()));
  // The same through the keeper's fast view of the account.
  const fast = await client.orders.executeOrderIx(account, stop, { ...acct, perps: acct.perps.map((p) => ({ ...p })) });
  assert.deepEqual(fast.keys.map((k) => k.pubkey.toBase58()), ix.keys.map((k) => k.pubkey.toBase58()));
  // A limit buy opening market 2 adds it.
  const open = await client.orders.executeOrderIx(account, { orderId: 4n, marketIndex: 2, side: OrderSide.Buy, baseSize: 1n, reduceOnly: false, wholePosition: false }, acct);
  assert.ok(open.keys.slice(fixed).some((k) => k.pubkey.equals(state.markets.get(2)!.address)));

  const place = await client.orders.placeOrderIx({ marketIndex: 1, kind: OrderKind.TakeProfit, side: "buy", baseSize: 0n, triggerPrice: 5n, reduceOnly: true }, account);
  assert.equal(place.keys.length, names("place_order").length);
  assert.ok(place.keys.some((k) => k.pubkey.equals(state.markets.get(1)!.address)));
  const coder = client.program.coder.instruction as unknown as { decode: (d: Buffer) => { name: string; data: { params: Record<string, unknown> } } | null };
  const decoded = coder.decode(place.data)!;
  assert.equal(decoded.name, "placeOrder");
  assert.deepEqual(decoded.data.params.kind, { takeProfit: {} });
  assert.equal(decoded.data.params.reduceOnly, true);
  const expired = await client.orders.cancelExpiredOrderIx(account, 7n);
  assert.deepEqual(expired.keys.map((k) => k.pubkey.toBase58()), [account, book, client.owner].map((k) => k.toBase58()));
  const cancelAll = await client.orders.cancelAllOrdersIx(null);
  assert.equal(cancelAll.keys.length, names("cancel_all_orders").length);
  assert.ok(cancelAll.keys[3]!.pubkey.equals(client.owner), "own account: the wallet is the owner refunded");
});

test("keeper scan: triggered, delayed market and expired orders; nothing without a newer price", () => {
  const { state } = offlineClient();
  state.exchange.triggerBand = 50_000;
  const m0 = state.markets.get(0)!.market;
  const oracle = 10_000_000_000n; // $10 (9 decimals, quote 6)
  const reading = (publishTime: bigint) => ({ price: 1_000_000_000n, conf: 0n, exponent: -8, publishTime, emaPrice: 1_000_000_000n });
  const prices = new Map<number, MarketPrice>([[0, { reading: reading(1_001n), price: { oracle, ema: oracle }, receivedAt: 0 }]]);
  const ma = Keypair.generate().publicKey;
  const book = decodeOrderBook(encodeOrderBook(state.address, ma, [
    { slot: 0, orderId: 1n, kind: OrderKind.StopLoss, side: OrderSide.Sell, reduceOnly: true, wholePosition: true, triggerPrice: 10_500_000_000n, placedTs: 1_000n },
    { slot: 1, orderId: 2n, kind: OrderKind.TakeProfit, side: OrderSide.Sell, reduceOnly: true, wholePosition: true, triggerPrice: 12_000_000_000n, placedTs: 1_000n },
    { slot: 2, orderId: 3n, kind: OrderKind.Market, side: OrderSide.Buy, baseSize: 1n, placedTs: 1_000n },
    { slot: 3, orderId: 4n, kind: OrderKind.Market, side: OrderSide.Buy, baseSize: 1n, placedTs: 1_001n },
    { slot: 4, orderId: 5n, kind: OrderKind.Limit, side: OrderSide.Buy, baseSize: 1n, triggerPrice: 1n, placedTs: 900n, maxTs: 1_000n },
  ]));
  const got = orderScan([["book", book]], state, prices, 1_001n).map((c) => [c.order.orderId, c.action.kind]);
  assert.deepEqual(got, [[1n, "execute"], [3n, "execute"], [5n, "cancel_expired"]]);
  assert.equal(m0.index, 0);
  // Outside the EMA band the stop waits.
  prices.set(0, { reading: reading(1_002n), price: { oracle, ema: 12_000_000_000n }, receivedAt: 0 });
  assert.deepEqual(orderScan([["book", book]], state, prices, 1_001n).map((c) => c.order.orderId), [3n, 4n, 5n]);
  // The trader's view of the stop.
  const v = openOrderView(book.orders[0]!, state, { reading: reading(1_001n), price: { oracle, ema: oracle } }, 1_001n);
  assert.equal(v.market, "M0-PERP");
  assert.deepEqual(v.check, { fill: true });
  assert.equal(openOrderView(book.orders[1]!, state, { reading: reading(1_001n), price: { oracle, ema: oracle } }, 1_001n).distance.ppm, 200_000n);
});

test("CLI: order place|list|cancel and trade --sl --tp", () => {
  assert.deepEqual(parseCli(["trade", "SOL", "long", "2", "--sl", "140", "--tp", "180"]).command, {
    cmd: "trade", market: "SOL", side: "buy", size: "2", limit: undefined, reduceOnly: false, sl: "140", tp: "180",
  });
  assert.deepEqual(parseCli(["order", "place", "ETH", "sell", "all", "--type", "stop-loss", "--price", "2900", "--reduce-only"]).command, {
    cmd: "order", action: "place", market: "ETH", side: "sell", size: "all", type: "stop-loss", reduceOnly: true, price: "2900",
  });
  assert.deepEqual(parseCli(["order", "place", "BTC", "buy", "0.01", "--type", "limit", "--price", "60000", "--expires", "3600", "--client-id", "7"]).command, {
    cmd: "order", action: "place", market: "BTC", side: "buy", size: "0.01", type: "limit", reduceOnly: false, price: "60000", expires: "3600", clientId: "7",
  });
  assert.deepEqual(parseCli(["order", "place", "SOL", "buy", "1"]).command, { cmd: "order", action: "place", market: "SOL", side: "buy", size: "1", type: "market", reduceOnly: false });
  assert.deepEqual(parseCli(["order", "list"]).command, { cmd: "order", action: "list" });
  assert.deepEqual(parseCli(["order", "cancel", "12"]).command, { cmd: "order", action: "cancel", id: "12" });
  assert.deepEqual(parseCli(["order", "cancel", "all", "--market", "SOL"]).command, { cmd: "order", action: "cancel", id: "all", market: "SOL" });
  assert.throws(() => parseCli(["order", "place", "SOL", "buy", "1", "--type", "limit"]), /needs --price/);
  assert.throws(() => parseCli(["order", "place", "SOL", "buy", "all", "--type", "limit", "--price", "1"]), /size all/);
  assert.throws(() => parseCli(["order", "place", "SOL", "buy", "1", "--type", "twap"]), /--type/);
  assert.throws(() => parseCli(["order", "cancel", "x"]), /whole number/);
  assert.throws(() => parseCli(["order", "frob"]), /usage/);
  assert.equal(parseOrderKind("sl"), OrderKind.StopLoss);
  assert.equal(parseOrderKind("take_profit"), OrderKind.TakeProfit);
});

test("order list: JSON and table from the open orders", async () => {
  const { openOrdersJson, openOrdersText } = await import("../src/cli/orders.js");
  const { state } = offlineClient();
  const px = 150_000_000_000n; // $150 (9 decimals, quote 6)
  const reading = { price: 15_000_000_000n, conf: 0n, exponent: -8, publishTime: 1_001n, emaPrice: 15_000_000_000n };
  const book = decodeOrderBook(encodeOrderBook(state.address, Keypair.generate().publicKey, [
    { slot: 0, orderId: 1n, kind: OrderKind.StopLoss, side: OrderSide.Sell, reduceOnly: true, wholePosition: true, triggerPrice: 140_000_000_000n, placedTs: 1_000n, fee: 100_000n },
  ]));
  const open = book.orders.map((o) => openOrderView(o, state, { reading, price: { oracle: px, ema: px } }, 1_001n));
  const j = openOrdersJson(open)[0]!;
  assert.equal(j.kind, "stop-loss");
  assert.equal(j.distancePpm, "-66666");
  assert.equal(j.wouldFill, false);
  assert.equal(j.notFilledBecause, "not_triggered");
  const text = openOrdersText(open, 6);
  assert.match(text, /stop-loss\s+sell\s+position\s+140\.0000\s+-\s+150\.0000\s+-6\.67%/);
  assert.equal(openOrdersText([], 6), "no open orders");
});
