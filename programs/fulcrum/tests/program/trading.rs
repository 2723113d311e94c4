//! Deposits, leveraged trades, margin enforcement, withdrawals: exact balances.

use fulcrum::instructions::Side;
use fulcrum_risk::HealthState;

use crate::harness::*;

/// SOL-PERP at $100 (10x max, 0.1% fee) with a 100,000 USDC pool.
async fn sol_perp() -> (Harness, Trader) {
    let mut h = Setup::default().build().await;
    let lp = h.seed_pool(100_000 * USDC).await;
    (h, lp)
}

#[tokio::test]
async fn five_x_long_then_price_up_closes_and_withdraws_with_profit() {
    let (mut h, _lp) = sol_perp().await;
    let t = h.trader_with_deposit(1_000 * USDC).await;
    h.assert_conservation().await;

    // 50 SOL at $100 = $5,000 on $1,000: 5x. Fee 0.1% = $5.
    let ix = h.trade_ix(&t, 0, Side::Buy, 50 * SOL, None, false).await;
    let logs = h.send_logged(&[ix], &[&t.kp]).await.unwrap();
    let ev = events::<fulcrum::events::TradeEvent>(&logs);
    assert_eq!(ev.len(), 1, "{logs:#?}");
    assert_eq!((ev[0].base_delta, ev[0].price, ev[0].fee), (50 * SOL as i64, 100_000_000_000, 5 * USDC));
    // Leverage after the fill: $5,000 / $995 = 5.025126x, rounded up.
    assert_eq!(ev[0].leverage, 5_025_126);
    assert_eq!(ev[0].health_state, HealthState::Healthy as u8);
    let a = h.margin(&t.account).await;
    assert_eq!(a.perps[0].base, 50 * SOL as i64);
    assert_eq!(a.perps[0].quote_entry, -5_000 * USDC as i64);
    assert_eq!(a.quote_balance, 995 * USDC as i64);
    assert_eq!(a.health_state, HealthState::Healthy as u8);
    h.assert_conservation().await;

    // A second later (a new slot: a close in the buy's slot would fill at no more than the
    // buy's $100, see the latency attacks), $110: +$500, closing fee 0.1% of $5,500 = $5.50.
    h.advance(1).await;
    h.set_market_price(0, px(110)).await;
    h.close(&t, 0).await.unwrap();
    let a = h.margin(&t.account).await;
    assert_eq!(a.num_perps, 0);
    assert_eq!(a.quote_balance, 1_489_500_000);
    assert_eq!(a.fees_paid, 10_500_000);
    let pool = h.pool_state().await;
    assert_eq!(pool.balance, 100_000 * USDC - 500 * USDC + 10_500_000);
    h.assert_conservation().await;

    h.withdraw(&t, 0, 1_489_500_000).await.unwrap();
    assert_eq!(h.token_balance(&t.token(&h.quote.mint)).await, 1_489_500_000);
    assert_eq!(h.margin(&t.account).await.quote_balance, 0);
    h.assert_conservation().await;
}

#[tokio::test]
async fn opening_past_initial_margin_fails_and_changes_nothing() {
    let (mut h, _lp) = sol_perp().await;
    let t = h.trader_with_deposit(1_000 * USDC).await;

    // 100 SOL = $10,000 needs $1,000 of initial margin; the $10 fee leaves $990.
    let mut keys = h.ledger_keys();
    keys.extend(t.tokens.values().copied());
    let before = h.snapshot(&keys).await;
    let r = h.trade(&t, 0, Side::Buy, 100 * SOL).await;
    assert_error(r, FulcrumError::TradeExceedsInitialMargin);
    assert_eq!(h.snapshot(&keys).await, before);

    // Half the size passes.
    h.trade(&t, 0, Side::Buy, 50 * SOL).await.unwrap();
    assert_eq!(h.margin(&t.account).await.perps[0].base, 50 * SOL as i64);
    h.assert_conservation().await;
}

#[tokio::test]
async fn a_risk_reducing_trade_passes_below_initial_margin() {
    let (mut h, _lp) = sol_perp().await;
    let t = h.trader_with_deposit(1_000 * USDC).await;
    // 9x: 90 SOL, fee $9, equity $991 ≥ IM $900.
    h.trade(&t, 0, Side::Buy, 90 * SOL).await.unwrap();

    // $95: equity 991 − 450 = $541 < IM $855, ≥ MM $427.50.
    h.set_market_price(0, px(95)).await;
    let r = h.trade(&t, 0, Side::Buy, SOL).await;
    assert_error(r, FulcrumError::TradeExceedsInitialMargin);
    let r = h.trade(&t, 0, Side::Sell, 200 * SOL).await; // a flip to a larger short adds risk
    assert_error(r, FulcrumError::TradeExceedsInitialMargin);

    h.trade(&t, 0, Side::Sell, 10 * SOL).await.unwrap();
    let a = h.margin(&t.account).await;
    assert_eq!(a.perps[0].base, 80 * SOL as i64);
    assert_eq!(a.health_state, HealthState::Restricted as u8);
    // Realised: 10 SOL × −$5 = −$50; fees $9 + $0.95.
    assert_eq!(a.quote_balance, 1_000_000_000 - 9_000_000 - 50_000_000 - 950_000);
    h.assert_conservation().await;
}

#[tokio::test]
async fn withdrawal_past_initial_margin_fails_partial_passes() {
    let (mut h, _lp) = sol_perp().await;
    let t = h.trader_with_deposit(1_000 * USDC).await;
    h.trade(&t, 0, Side::Buy, 50 * SOL).await.unwrap();
    // Equity $995, IM $500: $495 free.
    let mut keys = h.ledger_keys();
    keys.extend(t.tokens.values().copied());
    let before = h.snapshot(&keys).await;
    assert_error(h.withdraw(&t, 0, 496 * USDC).await, FulcrumError::WithdrawalExceedsInitialMargin);
    assert_eq!(h.snapshot(&keys).await, before);

    h.withdraw(&t, 0, 495 * USDC).await.unwrap();
    assert_eq!(h.token_balance(&t.token(&h.quote.mint)).await, 495 * USDC);
    assert_eq!(h.margin(&t.account).await.quote_balance, 500 * USDC as i64);
    assert_error(h.withdraw(&t, 0, 1).await, FulcrumError::WithdrawalExceedsInitialMargin);
    h.assert_conservation().await;

    // No borrowing: more quote than the balance is refused even when margin would allow it.
    h.close(&t, 0).await.unwrap();
    let bal = h.margin(&t.account).await.quote_balance as u64;
    assert_error(h.withdraw(&t, 0, bal + 1).await, FulcrumError::InsufficientBalance);
    h.withdraw(&t, 0, bal).await.unwrap();
    h.assert_conservation().await;
}

#[tokio::test]
async fn volatile_collateral_backs_a_perp_and_its_fall_restricts_the_account() {
    // SOL collateral (init weight 0.8, maint 0.9, legacy Pyth account) and a USDC-margined perp
    // on another asset at $100.
    let sol = BankSpec { format: OracleFormat::Legacy, ..BankSpec::default() };
    let mut h = Setup { banks: vec![sol], ..Setup::markets(1, 100_000 * USDC) }.build().await;
    let sol = h.bank(1);
    let t = h.trader(0).await;
    h.fund(&t, sol.index, 10 * SOL).await;
    h.assert_conservation().await;

    // 10 SOL × $100 × 0.8 = $800 of initial collateral. 70 units = $7,000: IM $700, fee $7.
    h.trade(&t, 0, Side::Buy, 70 * SOL).await.unwrap();
    let a = h.margin(&t.account).await;
    assert_eq!(a.quote_balance, -7 * USDC as i64);
    assert_eq!(a.health_state, HealthState::Healthy as u8);

    // SOL to $85: 10 × 85 × 0.8 − 7 = $673 < $700, maintenance 10 × 85 × 0.9 − 7 = $758 ≥ $350.
    h.set_bank_price(sol.index, px(85)).await;
    assert_error(h.trade(&t, 0, Side::Buy, SOL).await, FulcrumError::TradeExceedsInitialMargin);
    h.trade(&t, 0, Side::Sell, SOL / 1_000).await.unwrap();
    assert_eq!(h.margin(&t.account).await.health_state, HealthState::Restricted as u8);
    // Collateral cannot leave while below initial margin.
    assert_error(h.withdraw(&t, sol.index, SOL).await, FulcrumError::WithdrawalExceedsInitialMargin);
    h.assert_conservation().await;
}

#[tokio::test]
async fn slippage_reduce_only_step_and_open_interest_limits() {
    let mut params = default_market_params();
    params.long_oi_cap = 20 * SOL;
    let mut h = Setup::market(params, 100_000 * USDC).build().await;
    let t = h.trader_with_deposit(10_000 * USDC).await;

    let price = engine_price(px(100), 9);
    let ix = h.trade_ix(&t, 0, Side::Buy, SOL, Some(price - 1), false).await;
    assert_error(h.send(&[ix], &[&t.kp]).await, FulcrumError::SlippageExceeded);
    let ix = h.trade_ix(&t, 0, Side::Buy, SOL, Some(price), false).await;
    h.send(&[ix], &[&t.kp]).await.unwrap();

    assert_error(h.trade(&t, 0, Side::Buy, SOL / 1_000 + 1).await, FulcrumError::InvalidOrderSize);
    assert_error(h.trade(&t, 0, Side::Buy, 20 * SOL).await, FulcrumError::OpenInterestCapExceeded);
    h.trade(&t, 0, Side::Buy, 19 * SOL).await.unwrap();
    assert_eq!(h.market(0).await.long_base, 20 * SOL);

    // Reduce-only cannot open the other way, and is clamped to the position.
    let ix = h.trade_ix(&t, 0, Side::Buy, SOL, None, true).await;
    assert_error(h.send(&[ix], &[&t.kp]).await, FulcrumError::ReduceOnlyWouldIncrease);
    let ix = h.trade_ix(&t, 0, Side::Sell, 50 * SOL, None, true).await;
    h.send(&[ix], &[&t.kp]).await.unwrap();
    let a = h.margin(&t.account).await;
    assert_eq!(a.num_perps, 0);
    assert_eq!(h.market(0).await.long_base, 0);
    h.assert_conservation().await;

    // An empty account closes and returns its rent.
    let bal = a.quote_balance as u64;
    h.withdraw(&t, 0, bal).await.unwrap();
    let ix = anchor_lang::solana_program::instruction::Instruction {
        program_id: fulcrum::ID,
        accounts: anchor_lang::ToAccountMetas::to_account_metas(
            &fulcrum::accounts::CloseMarginAccount { exchange: h.exchange, margin_account: t.account, owner: t.key() },
            None,
        ),
        data: anchor_lang::InstructionData::data(&fulcrum::instruction::CloseMarginAccount {}),
    };
    h.send(&[ix], &[&t.kp]).await.unwrap();
    assert!(h.account(&t.account).await.is_none());
    h.assert_conservation().await;
}
