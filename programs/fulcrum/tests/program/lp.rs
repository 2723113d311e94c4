//! Liquidity providers against traders: the pool's value follows traders' PnL, exactly.

use fulcrum::instructions::Side;

use crate::harness::*;

#[tokio::test]
async fn lp_gains_when_traders_lose_and_loses_when_they_win() {
    let mut h = Setup::default().build().await;
    let lp = h.seed_pool(10_000 * USDC).await;
    // One share per unit, less the dead shares the first deposit mints to no one.
    assert_eq!(h.token_balance(&lp.token(&h.lp_mint)).await, 10_000 * USDC - fulcrum_risk::DEAD_SHARES);
    assert_eq!(h.pool_state().await.dead_shares, fulcrum_risk::DEAD_SHARES);
    h.assert_conservation().await;

    // Traders lose: long 10 SOL at $100, closed at $90. Pool gets $100 + fees $1 + $0.90.
    let t = h.trader_with_deposit(1_000 * USDC).await;
    h.trade(&t, 0, Side::Buy, 10 * SOL).await.unwrap();
    h.assert_conservation().await;
    // In a later slot: a close in the opening's slot fills at the worse of the two prices.
    h.advance(1).await;
    h.set_market_price(0, px(90)).await;
    h.close(&t, 0).await.unwrap();
    h.assert_conservation().await;
    assert_eq!(h.pool_state().await.balance, 10_101_900_000);

    // A second LP joins at the new share price: 1,010.19 USDC buys 1,000 shares.
    let lp2 = h.trader(1_010_190_000).await;
    h.lp_deposit(&lp2, 1_010_190_000).await.unwrap();
    assert_eq!(h.token_balance(&lp2.token(&h.lp_mint)).await, 1_000 * USDC);
    h.assert_conservation().await;

    // The first LP takes out half: 5,000 of 11,000 shares of 11,112.09 USDC.
    h.lp_withdraw(&lp, 5_000 * USDC).await.unwrap();
    assert_eq!(h.token_balance(&lp.token(&h.quote.mint)).await, 5_050_950_000);
    h.assert_conservation().await;

    // Traders win: short 20 SOL at $90, closed at $80: pool pays $200, earns $1.80 + $1.60.
    let w = h.trader_with_deposit(1_000 * USDC).await;
    h.trade(&w, 0, Side::Sell, 20 * SOL).await.unwrap();
    // In a later slot: a close in the opening's slot fills at the worse of the two prices.
    h.advance(1).await;
    h.set_market_price(0, px(80)).await;
    // While the short is open the pool's value already counts the trader's gain.
    let pool_before = h.pool_state().await.balance;
    h.close(&w, 0).await.unwrap();
    assert_eq!(h.pool_state().await.balance, pool_before - 200 * USDC + 1_600_000);
    h.assert_conservation().await;

    // Everyone leaves: the second LP gets less than it put in; the pool empties to what the
    // dead shares hold (1,000 shares, now worth a little under a unit each).
    h.lp_withdraw(&lp2, 1_000 * USDC).await.unwrap();
    let got = h.token_balance(&lp2.token(&h.quote.mint)).await;
    assert!(got < 1_010_190_000, "lp2 got {got}");
    h.lp_withdraw(&lp, 5_000 * USDC - fulcrum_risk::DEAD_SHARES).await.unwrap();
    assert_eq!(h.mint_supply(&h.lp_mint.clone()).await, 0);
    let left = h.pool_state().await.balance;
    assert!(left > 0 && left <= fulcrum_risk::DEAD_SHARES, "left {left}");
    h.assert_conservation().await;
}

#[tokio::test]
async fn lp_withdrawal_cannot_strip_the_pool_below_its_exposure() {
    let mut h = Setup::default().build().await;
    let lp = h.seed_pool(10_000 * USDC).await;
    let t = h.trader_with_deposit(2_000 * USDC).await;
    // Pool is short 50 SOL = $5,000: at 80% utilisation it must stay worth ≥ $6,250.
    h.trade(&t, 0, Side::Buy, 50 * SOL).await.unwrap();
    let mut keys = h.ledger_keys();
    keys.extend(lp.tokens.values().copied());
    let before = h.snapshot(&keys).await;
    assert_error(h.lp_withdraw(&lp, 3_800 * USDC).await, FulcrumError::PoolUtilisationExceeded);
    assert_eq!(h.snapshot(&keys).await, before);
    h.lp_withdraw(&lp, 3_700 * USDC).await.unwrap();
    h.assert_conservation().await;

    // Pool valuation needs every market, in order.
    let mut ix = h.lp_deposit_ix(&lp, USDC);
    ix.accounts.pop();
    assert_error(h.send(&[ix], &[&lp.kp]).await, FulcrumError::MarketAccountsMismatch);
}
