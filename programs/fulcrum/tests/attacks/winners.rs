//! Winners are always paid (issue 13 §3): a winning close or liquidation never fails for lack of
//! pool cash, margin never counts profit the pool cannot pay, and auto-deleveraging lowers the
//! pool's exposure to winners, refusing by name whatever would not.
//!
//! On the previous main (no PnL cap): the $20,000 winner's close and the winner's liquidation
//! failed with `InsufficientPoolLiquidity` (6033), and 10 SOL ($1,000, the account's only asset)
//! were withdrawn against $12,000 of profit from a $10,000 pool. Now: the close is paid exactly
//! its cap ($5,005.00 of $20,000 at 50% of a $10,010 pool), the liquidation lands paying exactly
//! $5,007.50, the withdrawal and a larger trade are refused (the profit counts $1,000.60), and
//! auto-deleveraging refuses by name or lowers the ratio (2.397 → 0.685, floor 0.5).

use anchor_lang::{InstructionData, ToAccountMetas};
use fulcrum::instructions::{MarketParams, Side};
use fulcrum::state::PerpMarket;
use solana_sdk::{instruction::Instruction, pubkey::Pubkey, signature::Keypair};

use crate::harness::*;

/// A small pool ($10,000) and one SOL-PERP market at $100 whose winners are paid at most
/// `max_pnl_factor` of the pool's cash.
async fn small_pool(max_pnl_factor: u32) -> Harness {
    let params = MarketParams { max_pnl_factor, ..default_market_params() };
    Setup::market(params, 10_000 * USDC).build().await
}

/// A trader long 100 SOL from $100 with 10,000 USDC, then SOL at $300: +$20,000 unrealised, twice
/// the pool's cash.
async fn big_winner(h: &mut Harness) -> Trader {
    let t = h.trader_with_deposit(10_000 * USDC).await;
    h.trade(&t, 0, Side::Buy, 100 * SOL).await.unwrap();
    h.set_market_price(0, px(300)).await;
    // A new slot: a close in the slot that saw the entry fills from the worse observation.
    h.advance(1).await;
    t
}

fn cap(pool_balance: u64, factor: u32) -> i64 {
    (pool_balance as u128 * factor as u128 / 1_000_000) as i64
}

/// The market's winners' profit / pool cash, ppm, at SOL = `dollars`.
async fn ratio(h: &mut Harness, market: usize, dollars: i64) -> u64 {
    let m: PerpMarket = h.market(market).await;
    let balance = h.pool_state().await.balance;
    let profit = m.profit_at(engine_price(px(dollars), 9)).unwrap();
    fulcrum_risk::pnl_ratio(profit, balance).unwrap()
}

pub fn adl_ix(h: &Harness, keeper: &Pubkey, account: &Pubkey, market: u16) -> Instruction {
    let m = h.markets[market as usize];
    Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::AutoDeleverage {
            exchange: h.exchange,
            margin_account: *account,
            keeper: *keeper,
            market: m.key,
            oracle: m.oracle.key,
            pool: h.pool,
        }
        .to_account_metas(None),
        data: fulcrum::instruction::AutoDeleverage {}.data(),
    }
}

/// Sends `ix`, expects `e`, and checks nothing changed.
async fn refused(h: &mut Harness, ix: Instruction, signer: &Keypair, e: FulcrumError) {
    let keys = h.ledger_keys();
    let before = h.snapshot(&keys).await;
    assert_error(h.send(&[ix], &[signer]).await, e);
    assert_eq!(h.snapshot(&keys).await, before, "state changed by a rejected {e:?}");
}

#[tokio::test]
async fn a_winning_close_is_paid_not_refused() {
    let factor = 500_000;
    let mut h = small_pool(factor).await;
    let t = big_winner(&mut h).await;
    let pool_before = h.pool_state().await.balance;
    let quote_before = h.margin(&t.account).await.quote_balance;
    h.close(&t, 0).await.unwrap();
    let fee = 30 * USDC as i64; // 0.1% of $30,000
    let paid = h.margin(&t.account).await.quote_balance - quote_before + fee;
    // Exactly the cap: half the pool's cash, of $20,000 owed.
    assert_eq!(paid, cap(pool_before, factor));
    assert_eq!(paid, 5_005 * USDC as i64);
    assert_eq!(h.market(0).await.pnl_withheld, 20_000 * USDC - paid as u64);
    assert_eq!(h.pool_state().await.balance as i64, pool_before as i64 - paid + fee);
    h.assert_conservation().await;
}

#[tokio::test]
async fn a_winner_under_the_cap_is_paid_in_full() {
    let mut h = small_pool(500_000).await;
    let t = h.trader_with_deposit(10_000 * USDC).await;
    h.trade(&t, 0, Side::Buy, 10 * SOL).await.unwrap();
    h.set_market_price(0, px(300)).await;
    // A new slot: a close in the slot that saw the entry fills from the worse observation.
    h.advance(1).await;
    let quote_before = h.margin(&t.account).await.quote_balance;
    h.close(&t, 0).await.unwrap();
    let paid = h.margin(&t.account).await.quote_balance - quote_before + 3 * USDC as i64;
    assert_eq!(paid, 2_000 * USDC as i64);
    assert_eq!(h.market(0).await.pnl_withheld, 0);
    h.assert_conservation().await;
}

#[tokio::test]
async fn an_account_whose_largest_position_wins_can_be_liquidated() {
    let factor = 500_000;
    let mut h = small_pool(factor).await;
    h.add_market(OracleFormat::Pull, Quote::at(px(100)), default_market_params()).await;
    let t = h.trader_with_deposit(2_000 * USDC).await;
    h.trade(&t, 0, Side::Buy, 100 * SOL).await.unwrap();
    h.trade(&t, 1, Side::Sell, 50 * SOL).await.unwrap();
    // +$20,000 on the long (requirement $1,500), −$21,000 on the short (requirement $1,300).
    h.set_market_price(0, px(300)).await;
    h.set_market_price(1, px(520)).await;
    let k = h.trader(0).await;
    let quote = h.quote.mint;
    let pool_before = h.pool_state().await.balance;
    h.liquidate_perp(&k.kp, &k.token(&quote), &t.account, 0).await.unwrap();
    let acct = h.margin(&t.account).await;
    assert!(acct.find_perp(0).is_none(), "the winner is closed");
    assert_eq!(pool_before - h.pool_state().await.balance, cap(pool_before, factor) as u64);
    h.assert_conservation().await;
}

#[tokio::test]
async fn margin_does_not_count_profit_the_pool_cannot_pay() {
    let mut h = small_pool(100_000).await;
    let sol = h.add_bank(9, OracleFormat::Pull, Quote::at(px(100)), default_bank_params()).await;
    let t = h.trader(0).await;
    h.fund(&t, sol.index, 10 * SOL).await;
    h.trade(&t, 0, Side::Buy, 60 * SOL).await.unwrap();
    // +$12,000 unrealised against a $10,000 pool; the account's only asset is 10 SOL ($1,000).
    // The cap (10% of the pool's cash, $1,000.6) is all the profit margin counts.
    h.set_market_price(0, px(300)).await;
    let ix = h.withdraw_ix(&t, sol.index, 10 * SOL).await;
    let kp = t.kp.insecure_clone();
    refused(&mut h, ix, &kp, FulcrumError::WithdrawalExceedsInitialMargin).await;
    // Nor a larger position on it: $1,000.6 − $6 of equity carries at most $9,946 at 10x.
    let ix = h.trade_ix(&t, 0, Side::Buy, 20 * SOL, None, false).await;
    refused(&mut h, ix, &kp, FulcrumError::TradeExceedsInitialMargin).await;
    h.assert_conservation().await;
}

#[tokio::test]
async fn pnl_caps_may_not_promise_more_than_the_pool() {
    let mut h = small_pool(600_000).await;
    let p = MarketParams { max_pnl_factor: 500_000, ..default_market_params() };
    let o = h.new_oracle(OracleFormat::Pull, Quote::at(px(100))).await;
    let ix = h.add_market_ix(&o, 9, p);
    let admin = h.admin.insecure_clone();
    refused(&mut h, ix, &admin, FulcrumError::PnlFactorBudgetExceeded).await;
    // 40% fits beside 60%; raising the first market to 70% then does not.
    h.add_market(OracleFormat::Pull, Quote::at(px(100)), MarketParams { max_pnl_factor: 400_000, ..p }).await;
    let raise = MarketParams { max_pnl_factor: 700_000, ..default_market_params() };
    let ix = h.update_market_ix(0, raise);
    refused(&mut h, ix, &admin, FulcrumError::PnlFactorBudgetExceeded).await;
    assert_eq!(h.load::<fulcrum::state::Exchange>(&h.exchange.clone()).await.pnl_factor_sum, 1_000_000);
    // A floor at or above the threshold is refused by name.
    let bad = MarketParams { adl_threshold: 500_000, adl_floor: 500_000, ..default_market_params() };
    let ix = h.update_market_ix(1, bad);
    refused(&mut h, ix, &admin, FulcrumError::AdlFloorNotBelowThreshold).await;
}

/// Two long winners (100 and 20 SOL from $100) and a losing short (10 SOL) at $300: $24,000 of
/// profit against $10,000 of pool cash (a ratio of 2.4).
async fn adl_world() -> (Harness, Trader, Trader, Trader) {
    let mut h = small_pool(500_000).await;
    let mut ts = vec![];
    for (side, size) in [(Side::Buy, 100), (Side::Buy, 20), (Side::Sell, 10)] {
        let t = h.trader_with_deposit(10_000 * USDC).await;
        h.trade(&t, 0, side, size * SOL).await.unwrap();
        ts.push(t);
    }
    h.set_market_price(0, px(300)).await;
    let c = ts.pop().unwrap();
    let b = ts.pop().unwrap();
    let a = ts.pop().unwrap();
    (h, a, b, c)
}

/// Auto-deleveraging on market 0's parameters: PnL capped at 50% of the pool, ADL from a ratio of
/// 1.0 down to `adl_floor`.
fn adl_on(adl_floor: u32) -> MarketParams {
    MarketParams { max_pnl_factor: 500_000, adl_threshold: 1_000_000, adl_floor, ..default_market_params() }
}

#[tokio::test]
async fn auto_deleverage_refuses_by_name_and_lowers_the_ratio() {
    let (mut h, a, b, c) = adl_world().await;
    let keeper = h.stranger().await;
    let kp = solana_sdk::signature::Signer::pubkey(&keeper);
    let ix = adl_ix(&h, &kp, &a.account, 0);
    refused(&mut h, ix, &keeper, FulcrumError::AdlDisabled).await;
    h.update_market(0, adl_on(500_000)).await;
    let ix = adl_ix(&h, &kp, &c.account, 0);
    refused(&mut h, ix, &keeper, FulcrumError::AdlPositionNotProfitable).await;

    let before = ratio(&mut h, 0, 300).await;
    assert!(before > 2_390_000, "{before}");
    let pool_before = h.pool_state().await.balance;
    let quote_before = h.margin(&a.account).await.quote_balance;
    h.send(&[adl_ix(&h, &kp, &a.account, 0)], &[&keeper]).await.unwrap();
    let after = ratio(&mut h, 0, 300).await;
    assert!(after < before && after >= 500_000, "ratio {before} -> {after}");
    // A's long is closed whole (the ratio stays above the floor), paid h × $20,000, no fee.
    assert!(h.margin(&a.account).await.find_perp(0).is_none());
    let paid = h.margin(&a.account).await.quote_balance - quote_before;
    let h_paid = cap(pool_before, 500_000) as i128;
    assert_eq!(paid as i128, 20_000 * USDC as i128 * h_paid / (24_000 * USDC as i128));
    assert_eq!(h.pool_state().await.balance, pool_before - paid as u64);
    // Below the threshold now: B is left alone.
    let ix = adl_ix(&h, &kp, &b.account, 0);
    refused(&mut h, ix, &keeper, FulcrumError::AdlBelowThreshold).await;
    h.assert_conservation().await;
    println!("adl: ratio {before} -> {after}, paid {paid} of 20000000000");
}

#[tokio::test]
async fn auto_deleverage_stops_at_the_floor() {
    let (mut h, a, _b, _c) = adl_world().await;
    h.update_market(0, adl_on(900_000)).await;
    let keeper = h.stranger().await;
    let kp = solana_sdk::signature::Signer::pubkey(&keeper);
    h.send(&[adl_ix(&h, &kp, &a.account, 0)], &[&keeper]).await.unwrap();
    let after = ratio(&mut h, 0, 300).await;
    let left = h.margin(&a.account).await;
    let base = left.perps[left.find_perp(0).unwrap()].base;
    assert!(base > 0 && base < 100 * SOL as i64, "partly closed: {base}");
    // At the floor, not below it; one more step would be.
    assert!((900_000..910_000).contains(&after), "{after}");
    println!("adl to floor: ratio -> {after}, A keeps {base}");
}

#[tokio::test]
async fn auto_deleveraging_a_winner_whose_side_nets_a_loss_is_refused() {
    // Longs net a loss (A +$2,000, F −$10,000); the short G wins $20,000: closing A only pays
    // out of the pool without lowering the winners' profit.
    let mut h = small_pool(500_000).await;
    h.update_market(0, adl_on(500_000)).await;
    let mut ts = vec![];
    for (price, side, size) in [(100, Side::Buy, 10), (500, Side::Buy, 50), (500, Side::Sell, 100)] {
        // Each entry in its own slot (a fill takes the worse of the slot's observations).
        h.advance(1).await;
        h.set_market_price(0, px(price)).await;
        let t = h.trader_with_deposit(40_000 * USDC).await;
        h.trade(&t, 0, side, size * SOL).await.unwrap();
        ts.push(t);
    }
    h.set_market_price(0, px(300)).await;
    let keeper = h.stranger().await;
    let kp = solana_sdk::signature::Signer::pubkey(&keeper);
    let ix = adl_ix(&h, &kp, &ts[0].account, 0);
    refused(&mut h, ix, &keeper, FulcrumError::AdlRatioNotLowered).await;
    // The short is the one to deleverage.
    h.send(&[adl_ix(&h, &kp, &ts[2].account, 0)], &[&keeper]).await.unwrap();
    h.assert_conservation().await;
}
