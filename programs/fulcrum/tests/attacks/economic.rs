//! Economic attacks: self-liquidation, liquidating the healthy, bypassing margin inside one
//! transaction, flash LP around a price move, dust rounding, fee rounding.

use fulcrum::instructions::Side;
use solana_sdk::signature::Signer;

use crate::harness::*;
use crate::World;

/// A trader at 9.5x with 1,000 USDC, then a move to $94 (below maintenance).
async fn overlevered(w: &mut World) -> Trader {
    let t = w.h.trader(1_000 * USDC).await;
    w.h.set_market_price(0, px(100)).await;
    w.h.deposit(&t, 0, 1_000 * USDC).await.unwrap();
    w.h.trade(&t, 0, Side::Buy, 95 * SOL).await.unwrap();
    w.h.set_market_price(0, px(94)).await;
    t
}

async fn wealth(h: &mut Harness, t: &Trader) -> i128 {
    let quote = h.quote.mint;
    h.token_balance(&t.token(&quote)).await as i128 + h.report(&t.account).await.equity
}

#[tokio::test]
async fn self_liquidation_earns_nothing_a_third_party_would_not() {
    let mut w = World::new().await;
    let me = overlevered(&mut w).await;
    let before = wealth(&mut w.h, &me).await;
    let quote = w.h.quote.mint;
    let kp = me.kp.insecure_clone();
    w.h.liquidate_perp(&kp, &me.token(&quote), &me.account, 0).await.unwrap();
    let after = wealth(&mut w.h, &me).await;
    let insurance_fee = before - after;
    assert!(insurance_fee > 0, "self-liquidation must cost the insurance fee, not pay: {before} -> {after}");
    w.h.assert_conservation().await;

    // The same liquidation by a third party costs the owner the keeper's fee as well.
    let other = overlevered(&mut w).await;
    let before = wealth(&mut w.h, &other).await;
    let k = w.h.trader(0).await;
    w.h.liquidate_perp(&k.kp, &k.token(&quote), &other.account, 0).await.unwrap();
    let keeper_fee = w.h.token_balance(&k.token(&quote)).await as i128;
    assert_eq!(before - wealth(&mut w.h, &other).await, keeper_fee + insurance_fee);
    w.h.assert_conservation().await;
}

#[tokio::test]
async fn liquidating_a_healthy_account() {
    let mut w = World::new().await;
    let k = w.h.stranger().await;
    let fee_to = w.h.create_token_account(&w.h.quote.mint.clone(), &k.pubkey()).await;
    let ix = w.h.liquidate_perp_ix(&k.pubkey(), &fee_to, &w.victim.account, 0).await;
    w.rejected(&[ix], &[&k], FulcrumError::NotLiquidatable).await;
}

#[tokio::test]
async fn withdraw_then_trade_in_one_transaction() {
    let mut w = World::new().await;
    let attacker = w.attacker.kp.insecure_clone();
    // Alone, each passes: 500 USDC, 1 SOL collateral. Together, the trade has no margin left.
    let withdraw = w.h.withdraw_ix(&w.attacker, 0, 450 * USDC).await;
    let trade = w.h.trade_ix(&w.attacker, 0, Side::Buy, 40 * SOL, None, false).await;
    w.rejected(&[withdraw.clone(), trade.clone()], &[&attacker], FulcrumError::TradeExceedsInitialMargin).await;
    // Trade first, then withdraw: the withdrawal's check sees the position.
    let trade = w.h.trade_ix(&w.attacker, 0, Side::Buy, 40 * SOL, None, false).await;
    let mut withdraw = w.h.withdraw_ix(&w.attacker, 0, 450 * USDC).await;
    let m = w.h.markets[0];
    withdraw.accounts.push(solana_sdk::instruction::AccountMeta::new_readonly(m.key, false));
    withdraw.accounts.push(solana_sdk::instruction::AccountMeta::new_readonly(m.oracle.key, false));
    withdraw.accounts.push(solana_sdk::instruction::AccountMeta::new_readonly(w.h.pool, false));
    w.rejected(&[trade, withdraw], &[&attacker], FulcrumError::WithdrawalExceedsInitialMargin).await;
}

/// Documented bound: an LP who deposits right before a price move it knows of receives at most
/// its pro-rata share of the pool's value change, rounded down; the pool marks open positions at
/// the oracle, so there is no stale value to arbitrage.
#[tokio::test]
async fn flash_lp_around_a_known_price_move_gets_no_more_than_its_share() {
    let mut w = World::new().await;
    let v0 = w.h.pool_state().await.balance as i128 - pool_trader_pnl(&mut w.h).await;
    // Dead shares (minted to no one by the first deposit) are part of the supply.
    let supply0 = (w.h.mint_supply(&w.h.lp_mint.clone()).await + w.h.pool_state().await.dead_shares) as i128;
    let d = 10_000 * USDC;
    let lp = w.h.trader(d).await;
    w.h.lp_deposit(&lp, d).await.unwrap();
    let shares = w.h.token_balance(&lp.token(&w.h.lp_mint)).await as i128;
    assert_eq!(shares, d as i128 * supply0 / v0);
    // The victim is long 10 SOL: a move to $90 is +$100 for the pool.
    w.h.set_market_price(0, px(90)).await;
    let v1 = w.h.pool_state().await.balance as i128 - pool_trader_pnl(&mut w.h).await;
    w.h.lp_withdraw(&lp, shares as u64).await.unwrap();
    let out = w.h.token_balance(&lp.token(&w.h.quote.mint)).await as i128;
    let bound = shares * v1 / (supply0 + shares);
    assert!(out <= bound, "{out} > {bound}");
    assert!(out - d as i128 <= (v1 - v0 - d as i128) * shares / (supply0 + shares) + 1);
    w.h.assert_conservation().await;
}

async fn pool_trader_pnl(h: &mut Harness) -> i128 {
    let m = h.market(0).await;
    let p = h.oracle_price(&m.oracle, m.oracle_kind, &m.feed_id, 9).await.oracle;
    let net = m.long_base as i128 - m.short_base as i128;
    (net * p as i128).div_euclid(1_000_000_000_000) + m.long_quote_entry as i128 + m.short_quote_entry as i128
}

#[tokio::test]
async fn ten_thousand_dust_operations_extract_nothing() {
    // A pool whose shares are worth more than one unit each, so that rounding matters: traders
    // lose to a small pool.
    let mut h = Setup::markets(1, 2 * USDC).build().await;
    let t = h.trader_with_deposit(10 * USDC).await;
    h.trade(&t, 0, Side::Buy, SOL / 100).await.unwrap();
    h.set_market_price(0, px(100) - px(100) / 1_000).await;
    h.close(&t, 0).await.unwrap();
    let attacker = h.trader(100 * USDC).await;
    let start = h.token_balance(&attacker.token(&h.quote.mint)).await;
    let dep = h.lp_deposit_ix(&attacker, 2);
    let mut ops = 0;
    while ops < 10_000 {
        // Deposit 2 units (1 share at ~1.5), withdraw 1 share (1 unit): 8 pairs a transaction.
        let mut ixs = vec![];
        for _ in 0..8 {
            ixs.push(dep.clone());
            ixs.push(h.lp_withdraw_ix(&attacker, 1, 0));
        }
        if h.send(&ixs, &[&attacker.kp]).await.is_err() {
            break;
        }
        ops += ixs.len();
    }
    assert!(ops >= 10_000, "only {ops} operations ran");
    let end = h.token_balance(&attacker.token(&h.quote.mint)).await;
    let shares = h.token_balance(&attacker.token(&h.lp_mint)).await;
    assert_eq!(shares, 0);
    assert!(end < start, "rounding paid the attacker: {start} -> {end}");
    h.assert_conservation().await;

    // Quote deposits and withdrawals of 1 unit: exact both ways.
    let quote = h.quote;
    let before = h.token_balance(&attacker.token(&quote.mint)).await;
    for _ in 0..50 {
        let mut ixs = vec![];
        for _ in 0..10 {
            ixs.push(h.deposit_ix(&attacker.account, &quote, &attacker.token(&quote.mint), &attacker.key(), 1));
            ixs.push(h.withdraw_ix(&attacker, 0, 1).await);
        }
        h.send(&ixs, &[&attacker.kp]).await.unwrap();
    }
    assert_eq!(h.token_balance(&attacker.token(&quote.mint)).await, before);
    h.assert_conservation().await;
}

#[tokio::test]
async fn fee_and_fill_rounding_favour_the_protocol() {
    let mut p = default_market_params();
    p.step_size = 1; // one lamport of SOL: $0.0000001, far below a quote unit
    let mut h = Setup::market(p, 1_000 * USDC).build().await;
    let t = h.trader_with_deposit(100 * USDC).await;
    let pool0 = h.pool_state().await.balance;
    let mut ixs_sent = 0;
    for _ in 0..100 {
        let buy = h.trade_ix(&t, 0, Side::Buy, 1, None, false).await;
        h.send(&[buy], &[&t.kp]).await.unwrap();
        let sell = h.trade_ix(&t, 0, Side::Sell, 1, None, false).await;
        h.send(&[sell], &[&t.kp]).await.unwrap();
        ixs_sent += 2;
    }
    // Each round trip: pays ⌈0.1⌉ = 1 unit, receives ⌊0.1⌋ = 0, two fees of ⌈0.0001⌉ = 1.
    let a = h.margin(&t.account).await;
    assert_eq!(a.quote_balance, 100 * USDC as i64 - 3 * 100);
    assert_eq!(h.pool_state().await.balance - pool0, 300);
    assert_eq!(ixs_sent, 200);
    h.assert_conservation().await;
}
