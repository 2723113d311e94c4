//! Winners are always paid (issue 13 §3): a winning close or liquidation never fails for lack of
//! pool cash, margin never counts profit the pool cannot pay, and auto-deleveraging lowers the
//! pool's exposure to winners.

use fulcrum::instructions::Side;

use crate::harness::*;

/// A small pool ($10,000) and one SOL-PERP market at $100.
async fn small_pool() -> (Harness, Trader) {
    let mut h = Harness::new().await;
    h.add_market(OracleFormat::Pull, Quote::at(px(100)), default_market_params()).await;
    let lp = h.seed_pool(10_000 * USDC).await;
    (h, lp)
}

/// A trader long 100 SOL from $100 with 10,000 USDC, then SOL at $300: +$20,000 unrealised, twice
/// the pool's cash.
async fn big_winner(h: &mut Harness) -> Trader {
    let t = h.trader(10_000 * USDC).await;
    h.deposit(&t, 0, 10_000 * USDC).await.unwrap();
    h.trade(&t, 0, Side::Buy, 100 * SOL).await.unwrap();
    h.set_market_price(0, px(300)).await;
    t
}

#[tokio::test]
async fn a_winning_close_is_paid_not_refused() {
    let (mut h, _lp) = small_pool().await;
    let t = big_winner(&mut h).await;
    let pool_before = h.pool_state().await.balance;
    let quote_before = h.margin(&t.account).await.quote_balance;
    let r = h.close(&t, 0).await;
    println!("close: {r:?}");
    r.unwrap();
    let paid = h.margin(&t.account).await.quote_balance - quote_before;
    println!("pool before {pool_before}, paid {paid}");
    h.assert_conservation().await;
}

#[tokio::test]
async fn an_account_whose_largest_position_wins_can_be_liquidated() {
    let (mut h, _lp) = small_pool().await;
    h.add_market(OracleFormat::Pull, Quote::at(px(100)), default_market_params()).await;
    let t = h.trader(2_000 * USDC).await;
    h.deposit(&t, 0, 2_000 * USDC).await.unwrap();
    h.trade(&t, 0, Side::Buy, 100 * SOL).await.unwrap();
    h.trade(&t, 1, Side::Sell, 50 * SOL).await.unwrap();
    // +$20,000 on the long (requirement $1,500), −$21,000 on the short (requirement $1,300).
    h.set_market_price(0, px(300)).await;
    h.set_market_price(1, px(520)).await;
    let k = h.trader(0).await;
    let quote = h.quote.mint;
    let r = h.liquidate_perp(&k.kp, &k.token(&quote), &t.account, 0).await;
    println!("liquidate: {r:?}");
    r.unwrap();
    h.assert_conservation().await;
}

#[tokio::test]
async fn margin_does_not_count_profit_the_pool_cannot_pay() {
    let (mut h, _lp) = small_pool().await;
    let sol = h.add_bank(9, OracleFormat::Pull, Quote::at(px(100)), default_bank_params()).await;
    let t = h.trader(0).await;
    h.fund(&t, sol.index, 10 * SOL).await;
    h.trade(&t, 0, Side::Buy, 60 * SOL).await.unwrap();
    // +$12,000 unrealised against a $10,000 pool; the account's only asset is 10 SOL ($1,000).
    h.set_market_price(0, px(300)).await;
    let r = h.withdraw(&t, sol.index, 10 * SOL).await;
    println!("withdraw all collateral: {r:?}");
    assert_error(r, FulcrumError::WithdrawalExceedsInitialMargin);
}
