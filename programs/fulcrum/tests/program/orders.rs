//! Orders (issue 16) through real transactions: stop-loss, take-profit, limit and delayed market
//! orders executed by a keeper, expiry, cancels and refunds, margin at execution, the trigger
//! band, and liquidation cancelling risk-increasing orders. Helpers: `orders_kit.rs`.

#[path = "orders_kit.rs"]
pub mod kit;

use fulcrum::events::{OrderCancelled, OrderExecuted, TradeEvent};
use fulcrum::instructions::{OrderParams, Side};
use fulcrum::state::{cancel_reason, OrderKind};
use solana_sdk::signature::{Keypair, Signer};

use crate::harness::*;
use kit::*;

/// The harness default `order_fee_lamports`.
const FEE: u64 = 1_000_000;

/// Engine price of `dollars` on the 9-decimal market.
fn usd(dollars: i64) -> u64 {
    engine_price(px(dollars), 9)
}

/// SOL-PERP at $100, a 100,000 USDC pool, a trader with 1,000 USDC deposited and an order book,
/// and a keeper who is nobody in particular.
async fn setup() -> (Harness, Trader, Keypair) {
    let (mut h, t, keeper) = setup_without_book().await;
    create_book(&mut h, &t).await;
    (h, t, keeper)
}

/// As [`setup`], the trader without an order book yet.
async fn setup_without_book() -> (Harness, Trader, Keypair) {
    let mut h = Harness::new().await;
    h.add_market(OracleFormat::Pull, Quote::at(px(100)), default_market_params()).await;
    let _lp = h.seed_pool(100_000 * USDC).await;
    let t = h.trader(1_000 * USDC).await;
    h.deposit(&t, 0, 1_000 * USDC).await.unwrap();
    let keeper = h.stranger().await;
    (h, t, keeper)
}

/// One second later, the market at `dollars` (published now).
async fn next_price(h: &mut Harness, dollars: i64) {
    h.advance(1).await;
    h.set_market_price(0, px(dollars)).await;
}

fn position(a: &fulcrum::state::MarginAccount) -> i64 {
    a.find_perp(0).map_or(0, |i| a.perps[i].base)
}

#[tokio::test]
async fn a_stop_loss_closes_the_whole_position_at_the_first_price_past_it() {
    let (mut h, t, keeper) = setup().await;
    h.trade(&t, 0, Side::Buy, 10 * SOL).await.unwrap();
    let id = place(&mut h, &t, 0, whole(OrderKind::StopLoss, Side::Sell, usd(95))).await.unwrap();
    assert_escrow(&mut h, &t.account).await;
    // Grown since: the stop closes what is held at execution, not what was held at placement.
    h.trade(&t, 0, Side::Buy, 5 * SOL).await.unwrap();

    next_price(&mut h, 96).await;
    assert_error(execute(&mut h, &keeper, &t.account, id).await, FulcrumError::OrderNotTriggered);
    assert!(open_order(&mut h, &t.account, id).await.is_some());

    next_price(&mut h, 94).await;
    let before = lamports(&mut h, &keeper.pubkey()).await;
    let logs = execute_logged(&mut h, &keeper, &t.account, id).await.unwrap();
    let ex = events::<OrderExecuted>(&logs);
    let tr = events::<TradeEvent>(&logs);
    assert_eq!((ex.len(), tr.len()), (1, 1), "{logs:#?}");
    assert_eq!((ex[0].base_delta, ex[0].price, ex[0].fee), (-15 * SOL as i64, usd(94), FEE));
    assert_eq!(ex[0].publish_time, h.now().await);
    assert_eq!(tr[0].base_after, 0);
    assert_eq!(position(&h.margin(&t.account).await), 0);
    assert_eq!(lamports(&mut h, &keeper.pubkey()).await, before + FEE);
    assert!(open_order(&mut h, &t.account, id).await.is_none());
    assert_escrow(&mut h, &t.account).await;
    h.assert_conservation().await;
}

#[tokio::test]
async fn a_take_profit_closes_the_whole_position_at_the_first_price_past_it() {
    let (mut h, t, keeper) = setup().await;
    h.trade(&t, 0, Side::Buy, 10 * SOL).await.unwrap();
    let id = place(&mut h, &t, 0, whole(OrderKind::TakeProfit, Side::Sell, usd(110))).await.unwrap();
    next_price(&mut h, 109).await;
    assert_error(execute(&mut h, &keeper, &t.account, id).await, FulcrumError::OrderNotTriggered);
    next_price(&mut h, 111).await;
    let logs = execute_logged(&mut h, &keeper, &t.account, id).await.unwrap();
    let tr = events::<TradeEvent>(&logs);
    // +$110 on 10 SOL, less 0.1% of $1,110.
    assert_eq!((tr[0].price, tr[0].realized_pnl, tr[0].fee), (usd(111), 110 * USDC as i64, 1_110_000));
    let a = h.margin(&t.account).await;
    assert_eq!((position(&a), a.quote_balance), (0, (1_000 * USDC + 110 * USDC - 1_110_000 - USDC) as i64));
    assert_escrow(&mut h, &t.account).await;
    h.assert_conservation().await;
}

/// "Attach SL/TP when opening": the trade and both orders in one transaction. The take-profit
/// closes the position; the stop, left with nothing to reduce, is cancelled when a keeper
/// executes it (no one-cancels-other: the keeper is paid either way).
#[tokio::test]
async fn opening_with_a_stop_loss_and_a_take_profit_in_one_transaction() {
    let (mut h, t, keeper) = setup_without_book().await;
    let trade = h.trade_ix(&t, 0, Side::Buy, 10 * SOL, None, false).await;
    let sl = place_ix(&h, &t, 0, whole(OrderKind::StopLoss, Side::Sell, usd(95)));
    let tp = place_ix(&h, &t, 0, whole(OrderKind::TakeProfit, Side::Sell, usd(110)));
    h.send(&[create_book_ix(&h, &t), trade, sl, tp], &[&t.kp]).await.unwrap();
    assert_eq!(position(&h.margin(&t.account).await), 10 * SOL as i64);
    assert_eq!(book(&mut h, &t.account).await.open_count, 2);
    next_price(&mut h, 111).await;
    execute(&mut h, &keeper, &t.account, 2).await.unwrap();
    assert_eq!(position(&h.margin(&t.account).await), 0);
    assert_error(execute(&mut h, &keeper, &t.account, 1).await, FulcrumError::OrderNotTriggered);
    assert_eq!(book(&mut h, &t.account).await.open_count, 1, "the stop waits for its trigger");
    next_price(&mut h, 94).await;
    let logs = execute_logged(&mut h, &keeper, &t.account, 1).await.unwrap();
    assert_eq!(events::<OrderCancelled>(&logs)[0].reason, cancel_reason::REDUCE_ONLY);
    assert_eq!(book(&mut h, &t.account).await.open_count, 0);
    assert_escrow(&mut h, &t.account).await;
    h.assert_conservation().await;
}

#[tokio::test]
async fn a_short_stop_loss_fires_above_its_trigger() {
    let (mut h, t, keeper) = setup().await;
    h.trade(&t, 0, Side::Sell, 10 * SOL).await.unwrap();
    let id = place(&mut h, &t, 0, whole(OrderKind::StopLoss, Side::Buy, usd(105))).await.unwrap();
    next_price(&mut h, 104).await;
    assert_error(execute(&mut h, &keeper, &t.account, id).await, FulcrumError::OrderNotTriggered);
    next_price(&mut h, 106).await;
    execute(&mut h, &keeper, &t.account, id).await.unwrap();
    assert_eq!(position(&h.margin(&t.account).await), 0);
    assert_escrow(&mut h, &t.account).await;
}

#[tokio::test]
async fn a_limit_buy_fills_only_at_or_below_its_price() {
    let (mut h, t, keeper) = setup().await;
    let id = place(&mut h, &t, 0, order(OrderKind::Limit, Side::Buy, SOL, usd(99))).await.unwrap();
    next_price(&mut h, 100).await;
    assert_error(execute(&mut h, &keeper, &t.account, id).await, FulcrumError::OrderNotTriggered);
    assert_eq!(position(&h.margin(&t.account).await), 0);
    next_price(&mut h, 99).await;
    let logs = execute_logged(&mut h, &keeper, &t.account, id).await.unwrap();
    let tr = events::<TradeEvent>(&logs);
    assert_eq!((tr[0].price, tr[0].base_delta), (usd(99), SOL as i64));
    assert_eq!(position(&h.margin(&t.account).await), SOL as i64);
    assert_escrow(&mut h, &t.account).await;
    h.assert_conservation().await;
}

#[tokio::test]
async fn a_delayed_market_order_refuses_the_price_current_at_placement_and_fills_at_the_next() {
    let (mut h, t, keeper) = setup().await;
    // The trader sees $100 (published now) and places.
    let id = place(&mut h, &t, 0, order(OrderKind::Market, Side::Buy, 2 * SOL, 0)).await.unwrap();
    let placed = open_order(&mut h, &t.account, id).await.unwrap().placed_ts;
    assert_eq!(placed, h.now().await);
    assert_error(execute(&mut h, &keeper, &t.account, id).await, FulcrumError::OrderPriceNotNewer);
    // A later clock is not enough: the price must be published after placement.
    h.advance(1).await;
    assert_error(execute(&mut h, &keeper, &t.account, id).await, FulcrumError::OrderPriceNotNewer);
    h.set_market_price(0, px(101)).await;
    let logs = execute_logged(&mut h, &keeper, &t.account, id).await.unwrap();
    let ex = events::<OrderExecuted>(&logs);
    assert_eq!((ex[0].price, ex[0].base_delta), (usd(101), 2 * SOL as i64));
    assert_eq!(ex[0].publish_time, placed + 1);
    assert_escrow(&mut h, &t.account).await;
}

#[tokio::test]
async fn a_delayed_market_order_past_its_slippage_bound_is_cancelled_and_nothing_trades() {
    let (mut h, t, keeper) = setup().await;
    let p = OrderParams { limit_price: usd(101), ..order(OrderKind::Market, Side::Buy, SOL, 0) };
    let id = place(&mut h, &t, 0, p).await.unwrap();
    next_price(&mut h, 102).await;
    let keys = [t.account, h.markets[0].key, h.pool];
    let before = h.snapshot(&keys).await;
    let logs = execute_logged(&mut h, &keeper, &t.account, id).await.unwrap();
    let c = events::<OrderCancelled>(&logs);
    assert_eq!((c.len(), c[0].reason), (1, cancel_reason::SLIPPAGE), "{logs:#?}");
    assert!(events::<TradeEvent>(&logs).is_empty());
    assert_eq!(h.snapshot(&keys).await, before, "the observation and the fill are put back");
    assert_escrow(&mut h, &t.account).await;
}

#[tokio::test]
async fn orders_expire_and_anyone_cleans_them_up_for_the_fee() {
    let (mut h, t, keeper) = setup().await;
    let now = h.now().await;
    let limit = OrderParams { max_ts: now + 10, ..order(OrderKind::Limit, Side::Buy, SOL, usd(50)) };
    let a = place(&mut h, &t, 0, limit).await.unwrap();
    let b = place(&mut h, &t, 0, limit).await.unwrap();
    // A delayed market order lives `max_fill_age` (60 s) at most.
    let m = place(&mut h, &t, 0, order(OrderKind::Market, Side::Buy, SOL, 0)).await.unwrap();
    assert_eq!(open_order(&mut h, &t.account, m).await.unwrap().max_ts, now + 60);
    let ix = cancel_expired_ix(&keeper.pubkey(), &t.account, a);
    assert_error(h.send(&[ix], &[&keeper]).await, FulcrumError::OrderNotExpired);

    h.advance(11).await;
    h.refresh_oracles().await;
    let before = lamports(&mut h, &keeper.pubkey()).await;
    let ix = cancel_expired_ix(&keeper.pubkey(), &t.account, a);
    let logs = h.send_logged(&[ix], &[&keeper]).await.unwrap();
    let c = events::<OrderCancelled>(&logs);
    assert_eq!((c[0].order_id, c[0].reason, c[0].fee), (a, cancel_reason::EXPIRED, FEE));
    // Executing an expired order cancels it too (the keeper is paid, nothing trades).
    let logs = execute_logged(&mut h, &keeper, &t.account, b).await.unwrap();
    assert_eq!(events::<OrderCancelled>(&logs)[0].reason, cancel_reason::EXPIRED);
    assert!(events::<TradeEvent>(&logs).is_empty());
    assert_eq!(lamports(&mut h, &keeper.pubkey()).await, before + 2 * FEE);
    // The delayed market order, never executed, is past its 60 s at placement + 61 s.
    h.advance(50).await;
    h.refresh_oracles().await;
    let ix = cancel_expired_ix(&keeper.pubkey(), &t.account, m);
    h.send(&[ix], &[&keeper]).await.unwrap();
    assert_eq!(position(&h.margin(&t.account).await), 0);
    assert_eq!(book(&mut h, &t.account).await.open_count, 0);
    assert_escrow(&mut h, &t.account).await;
}

#[tokio::test]
async fn cancel_refunds_the_fee_and_an_empty_book_closes() {
    let (mut h, t, _keeper) = setup().await;
    let mut ids = vec![];
    for k in 0..3 {
        let p = order(OrderKind::Limit, Side::Buy, SOL, usd(90 - k));
        ids.push(place(&mut h, &t, 0, p).await.unwrap());
    }
    assert_escrow(&mut h, &t.account).await;
    assert_error(h.send(&[close_book_ix(&t)], &[&t.kp]).await, FulcrumError::OrdersStillOpen);
    let owner = lamports(&mut h, &t.key()).await;
    h.send(&[cancel_ix(&t, ids[1])], &[&t.kp]).await.unwrap();
    assert_eq!(lamports(&mut h, &t.key()).await, owner + FEE);
    assert_escrow(&mut h, &t.account).await;
    assert_error(h.send(&[cancel_ix(&t, ids[1])], &[&t.kp]).await, FulcrumError::OrderNotFound);
    h.send(&[cancel_all_ix(&t, Some(0))], &[&t.kp]).await.unwrap();
    assert_eq!(lamports(&mut h, &t.key()).await, owner + 3 * FEE);
    assert_escrow(&mut h, &t.account).await;
    let rent = lamports(&mut h, &book_address(&t.account)).await;
    h.send(&[close_book_ix(&t)], &[&t.kp]).await.unwrap();
    assert_eq!(lamports(&mut h, &t.key()).await, owner + 3 * FEE + rent);
    assert!(h.account(&book_address(&t.account)).await.is_none());
}

#[tokio::test]
async fn an_order_that_would_break_initial_margin_is_cancelled_with_its_reason() {
    let (mut h, t, keeper) = setup().await;
    // $20,000 on $1,000: 20x, past the 10x initial margin. Placing checks no margin.
    let id = place(&mut h, &t, 0, order(OrderKind::Limit, Side::Buy, 200 * SOL, usd(100))).await.unwrap();
    next_price(&mut h, 100).await;
    let keys = [t.account, h.markets[0].key, h.pool];
    let before = h.snapshot(&keys).await;
    let paid = lamports(&mut h, &keeper.pubkey()).await;
    let logs = execute_logged(&mut h, &keeper, &t.account, id).await.unwrap();
    let c = events::<OrderCancelled>(&logs);
    assert_eq!((c.len(), c[0].reason, c[0].fee_to), (1, cancel_reason::MARGIN, keeper.pubkey()), "{logs:#?}");
    assert!(events::<TradeEvent>(&logs).is_empty());
    // Nothing traded: the account, the market and the pool are as they were.
    assert_eq!(h.snapshot(&keys).await, before);
    assert_eq!(lamports(&mut h, &keeper.pubkey()).await, paid + FEE);
    assert!(open_order(&mut h, &t.account, id).await.is_none());
    assert_escrow(&mut h, &t.account).await;
    h.assert_conservation().await;
}

#[tokio::test]
async fn executing_someone_elses_order_pays_only_the_fixed_fee() {
    let (mut h, t, keeper) = setup().await;
    h.trade(&t, 0, Side::Buy, 10 * SOL).await.unwrap();
    let id = place(&mut h, &t, 0, whole(OrderKind::StopLoss, Side::Sell, usd(95))).await.unwrap();
    next_price(&mut h, 90).await;
    let keeper_before = h.account(&keeper.pubkey()).await.unwrap();
    let vault = h.token_balance(&h.quote.vault.clone()).await;
    execute(&mut h, &keeper, &t.account, id).await.unwrap();
    let keeper_after = h.account(&keeper.pubkey()).await.unwrap();
    assert_eq!(keeper_after.lamports, keeper_before.lamports + FEE);
    assert_eq!(keeper_after.data, keeper_before.data);
    // No quote leaves the vault: the fill settles inside the ledger.
    assert_eq!(h.token_balance(&h.quote.vault.clone()).await, vault);
    // Once: the order is gone.
    assert_error(execute(&mut h, &keeper, &t.account, id).await, FulcrumError::OrderNotFound);
    assert_escrow(&mut h, &t.account).await;
    h.assert_conservation().await;
}

#[tokio::test]
async fn a_trigger_refuses_to_fire_on_a_price_outside_the_ema_band() {
    let (mut h, t, keeper) = setup().await;
    h.trade(&t, 0, Side::Buy, 10 * SOL).await.unwrap();
    let id = place(&mut h, &t, 0, whole(OrderKind::StopLoss, Side::Sell, usd(95))).await.unwrap();
    h.advance(1).await;
    // $94 against an EMA of $110: 14.5% away, past the 10% band (a wick, not a move).
    let o = h.markets[0].oracle;
    h.set_oracle(&o, Quote { price: px(94), conf: 0, ema: px(110), age: 0 }).await;
    assert_error(execute(&mut h, &keeper, &t.account, id).await, FulcrumError::OrderTriggerOutsideBand);
    assert_eq!(position(&h.margin(&t.account).await), 10 * SOL as i64);
    h.advance(1).await;
    h.set_oracle(&o, Quote { price: px(94), conf: 0, ema: px(100), age: 0 }).await;
    execute(&mut h, &keeper, &t.account, id).await.unwrap();
    assert_eq!(position(&h.margin(&t.account).await), 0);
}

#[tokio::test]
async fn liquidation_cancels_the_risk_increasing_orders() {
    let (mut h, t, _keeper) = setup().await;
    // 90 SOL at $100 on $1,000: 9x.
    h.trade(&t, 0, Side::Buy, 90 * SOL).await.unwrap();
    let grow = place(&mut h, &t, 0, order(OrderKind::Limit, Side::Buy, SOL, usd(50))).await.unwrap();
    let stop = place(&mut h, &t, 0, whole(OrderKind::StopLoss, Side::Sell, usd(80))).await.unwrap();
    next_price(&mut h, 93).await;
    let liquidator = h.trader(0).await;
    let fee_to = liquidator.token(&h.quote.mint);
    let paid = lamports(&mut h, &liquidator.key()).await;
    let ix = liquidate_with_book_ix(&mut h, &liquidator.key(), &fee_to, &t.account, 0).await;
    let logs = h.send_logged(&[ix], &[&liquidator.kp]).await.unwrap();
    let c = events::<OrderCancelled>(&logs);
    assert_eq!(c.len(), 1, "{logs:#?}");
    assert_eq!((c[0].order_id, c[0].reason, c[0].fee_to), (grow, cancel_reason::LIQUIDATION, liquidator.key()));
    assert!(open_order(&mut h, &t.account, grow).await.is_none());
    assert!(open_order(&mut h, &t.account, stop).await.is_some(), "the stop (reduce-only) stays");
    assert_eq!(lamports(&mut h, &liquidator.key()).await, paid + FEE);
    assert_escrow(&mut h, &t.account).await;
    h.assert_conservation().await;
}

#[tokio::test]
async fn a_liquidation_without_the_book_or_a_writable_liquidator() {
    let (mut h, t, _keeper) = setup().await;
    h.trade(&t, 0, Side::Buy, 90 * SOL).await.unwrap();
    let grow = place(&mut h, &t, 0, order(OrderKind::Limit, Side::Buy, SOL, usd(50))).await.unwrap();
    next_price(&mut h, 93).await;
    let liquidator = h.trader(0).await;
    let fee_to = liquidator.token(&h.quote.mint);
    let mut ix = liquidate_with_book_ix(&mut h, &liquidator.key(), &fee_to, &t.account, 0).await;
    ix.accounts[2].is_writable = false;
    assert_error(h.send(&[ix], &[&liquidator.kp]).await, FulcrumError::LiquidatorNotWritable);
    // Without the book the liquidation goes on and the order stays (its margin check cancels
    // it if a keeper ever executes it).
    h.liquidate_perp(&liquidator.kp, &fee_to, &t.account, 0).await.unwrap();
    assert!(open_order(&mut h, &t.account, grow).await.is_some());
    assert_escrow(&mut h, &t.account).await;
}

#[tokio::test]
async fn a_delegate_places_and_cancels_the_refund_goes_to_the_owner() {
    let (mut h, t, _keeper) = setup().await;
    let delegate = h.stranger().await;
    let ix = set_delegate_ix(t.key(), t.account, delegate.pubkey());
    h.send(&[ix], &[&t.kp]).await.unwrap();
    let p = order(OrderKind::Limit, Side::Buy, SOL, usd(90));
    let ix = place_ix_by(&h, &delegate.pubkey(), &t.account, 0, p);
    h.send(&[ix], &[&delegate]).await.unwrap();
    let id = book(&mut h, &t.account).await.next_order_id - 1;
    let owner = lamports(&mut h, &t.key()).await;
    // The refund goes to the account's owner, never to whoever cancels.
    let ix = cancel_ix_by(&delegate.pubkey(), &t.account, &delegate.pubkey(), id);
    assert_error(h.send(&[ix], &[&delegate]).await, FulcrumError::NotAccountOwner);
    let ix = cancel_ix_by(&delegate.pubkey(), &t.account, &t.key(), id);
    h.send(&[ix], &[&delegate]).await.unwrap();
    assert_eq!(lamports(&mut h, &t.key()).await, owner + FEE);
    assert_escrow(&mut h, &t.account).await;
}

#[tokio::test]
async fn modify_keeps_the_id_refunds_the_old_fee_and_counts_as_placed_now() {
    let (mut h, t, keeper) = setup().await;
    let id = place(&mut h, &t, 0, order(OrderKind::Limit, Side::Buy, SOL, usd(90))).await.unwrap();
    next_price(&mut h, 99).await;
    let owner = lamports(&mut h, &t.key()).await;
    let ix = modify_ix(&h, &t, id, 0, order(OrderKind::Limit, Side::Buy, 2 * SOL, usd(99)));
    h.send(&[ix], &[&t.kp]).await.unwrap();
    assert_eq!(lamports(&mut h, &t.key()).await, owner, "old fee back, new fee in: net zero");
    let o = open_order(&mut h, &t.account, id).await.unwrap();
    assert_eq!((o.base_size, o.trigger_price, o.placed_ts), (2 * SOL, usd(99), h.now().await));
    // $99 was published before the modification: it cannot fill the modified order.
    assert_error(execute(&mut h, &keeper, &t.account, id).await, FulcrumError::OrderPriceNotNewer);
    next_price(&mut h, 99).await;
    execute(&mut h, &keeper, &t.account, id).await.unwrap();
    assert_eq!(position(&h.margin(&t.account).await), 2 * SOL as i64);
    assert_escrow(&mut h, &t.account).await;
}

/// Sends `ixs` and returns the compute units Fulcrum's (last) instruction consumed (0 natively:
/// no VM, no figure).
async fn measured(h: &mut Harness, ixs: &[solana_sdk::instruction::Instruction], signers: &[&Keypair]) -> u64 {
    let logs = h.send_logged(ixs, signers).await.expect("measured instruction");
    let cu = crate::compute_units::consumed(&logs);
    assert!(cu.is_some() || !sbf_mode(), "no compute-unit line in {logs:#?}");
    cu.unwrap_or(0)
}

/// Compute units of every order instruction in the real VM (`FULCRUM_SBF=1`; natively the same
/// scenario runs, with nothing to measure): each within the default 200,000, written as
/// scenario "orders" with the others when `benchmarks/compute-units.sh` sets `FULCRUM_CU_TABLE`.
#[tokio::test]
async fn compute_units_of_the_order_instructions() {
    let (mut h, t, keeper) = setup().await;
    let mut rows: Vec<(&str, u64)> = vec![];
    let u = h.trader(1_000 * USDC).await;
    let ix = create_book_ix(&h, &u);
    rows.push(("create_order_book", measured(&mut h, &[ix], &[&u.kp]).await));
    h.trade(&t, 0, Side::Buy, 10 * SOL).await.unwrap();
    let ix = place_ix(&h, &t, 0, whole(OrderKind::StopLoss, Side::Sell, usd(95)));
    rows.push(("place_order (stop-loss)", measured(&mut h, &[ix], &[&t.kp]).await));
    let stop = book(&mut h, &t.account).await.next_order_id - 1;
    let limit = place(&mut h, &t, 0, order(OrderKind::Limit, Side::Buy, SOL, usd(90))).await.unwrap();
    let ix = modify_ix(&h, &t, limit, 0, order(OrderKind::Limit, Side::Buy, SOL, usd(99)));
    rows.push(("modify_order", measured(&mut h, &[ix], &[&t.kp]).await));
    let big = place(&mut h, &t, 0, order(OrderKind::Limit, Side::Buy, 500 * SOL, usd(99))).await.unwrap();
    let spare = place(&mut h, &t, 0, order(OrderKind::Limit, Side::Buy, SOL, usd(10))).await.unwrap();
    next_price(&mut h, 99).await;
    let ix = execute_ix(&mut h, &keeper.pubkey(), &t.account, limit).await;
    rows.push(("execute_order (limit, increase)", measured(&mut h, &[ix], &[&keeper]).await));
    let ix = execute_ix(&mut h, &keeper.pubkey(), &t.account, big).await;
    rows.push(("execute_order (margin: cancelled)", measured(&mut h, &[ix], &[&keeper]).await));
    next_price(&mut h, 94).await;
    let ix = execute_ix(&mut h, &keeper.pubkey(), &t.account, stop).await;
    rows.push(("execute_order (stop-loss, close)", measured(&mut h, &[ix], &[&keeper]).await));
    let ix = cancel_ix(&t, spare);
    rows.push(("cancel_order", measured(&mut h, &[ix], &[&t.kp]).await));
    for k in 0..4 {
        place(&mut h, &t, 0, order(OrderKind::Limit, Side::Buy, SOL, usd(10 + k))).await.unwrap();
    }
    let ix = cancel_all_ix(&t, None);
    rows.push(("cancel_all_orders (4 orders)", measured(&mut h, &[ix], &[&t.kp]).await));
    let now = h.now().await;
    let p = OrderParams { max_ts: now + 1, ..order(OrderKind::Limit, Side::Buy, SOL, usd(10)) };
    let old = place(&mut h, &t, 0, p).await.unwrap();
    h.advance(2).await;
    let ix = cancel_expired_ix(&keeper.pubkey(), &t.account, old);
    rows.push(("cancel_expired_order", measured(&mut h, &[ix], &[&keeper]).await));
    let ix = close_book_ix(&t);
    rows.push(("close_order_book", measured(&mut h, &[ix], &[&t.kp]).await));
    for (label, cu) in &rows {
        eprintln!("compute units: orders / {label}: {cu}");
    }
    assert!(h.account(&book_address(&t.account)).await.is_none(), "every order gone, the book closed");
    assert_eq!(position(&h.margin(&t.account).await), 0);
    if !sbf_mode() {
        return;
    }
    if let Ok(dir) = std::env::var("FULCRUM_CU_TABLE") {
        let body: String = rows.iter().map(|(l, cu)| format!("orders\t{l}\t{cu}\n")).collect();
        std::fs::write(format!("{dir}/orders.tsv"), body).expect("write the compute-unit rows");
    }
    let over: Vec<_> = rows.iter().filter(|(_, cu)| *cu > crate::compute_units::INSTRUCTION_BUDGET).collect();
    assert!(over.is_empty(), "orders above the compute-unit budget: {over:?}");
}
