//! Margin calls, permissionless liquidation, collateral liquidation, insurance and bankruptcy.

use fulcrum::events::{BankruptcyEvent, LiquidationEvent, MarginCallClearedEvent, MarginCallEvent};
use fulcrum::instructions::Side;
use fulcrum_risk::{buffered_requirement, HealthState};
use solana_sdk::signature::{Keypair, Signer};

use crate::harness::*;

/// SOL-PERP at $100 (10x), pool 100,000 USDC; a trader with 1,000 USDC long 95 SOL (9.5x).
async fn levered_long() -> (Harness, Trader) {
    let mut h = Setup::markets(1, 100_000 * USDC).build().await;
    let t = h.trader_with_deposit(1_000 * USDC).await;
    h.trade(&t, 0, Side::Buy, 95 * SOL).await.unwrap();
    (h, t)
}

/// A keeper with nothing but SOL and an empty quote token account for its fee.
async fn keeper(h: &mut Harness) -> (Keypair, solana_sdk::pubkey::Pubkey) {
    let k = h.stranger().await;
    let mint = h.quote.mint;
    let fee_to = h.create_token_account(&mint, &k.pubkey()).await;
    (k, fee_to)
}

#[tokio::test]
async fn a_keeper_partially_liquidates_a_ten_x_long_back_above_the_buffer() {
    let (mut h, t) = levered_long().await;
    let (k, fee_to) = keeper(&mut h).await;
    // Healthy accounts cannot be liquidated.
    let mut keys = h.ledger_keys();
    keys.push(fee_to);
    let before = h.snapshot(&keys).await;
    assert_error(h.liquidate_perp(&k, &fee_to, &t.account, 0).await, FulcrumError::NotLiquidatable);
    assert_eq!(h.snapshot(&keys).await, before);

    // $94: equity 1000 − 9.50 − 570 = $420.50 < MM 95 × 94 × 5% = $446.50.
    h.set_market_price(0, px(94)).await;
    let r = h.report(&t.account).await;
    assert_eq!((r.maint.equity, r.maint.requirement), (420_500_000, 446_500_000));
    assert_eq!(r.state, HealthState::MarginCall);
    let insurance_before = h.pool_state().await.insurance_balance;

    let ix = h.liquidate_perp_ix(&k.pubkey(), &fee_to, &t.account, 0).await;
    let logs = h.send_logged(&[ix], &[&k]).await.unwrap();
    let ev = &events::<LiquidationEvent>(&logs)[0];
    assert_eq!(events::<MarginCallEvent>(&logs).len(), 1);
    assert_eq!(events::<MarginCallClearedEvent>(&logs).len(), 1);

    let a = h.margin(&t.account).await;
    let closed = (95 * SOL as i64) - a.perps[0].base;
    assert!(closed > 0 && a.perps[0].base > 0, "partial: {closed} closed of 95 SOL");
    assert_eq!(ev.base_closed, -closed);
    // Fees on the closed notional at $94: 0.75% rounded up, two thirds to the keeper.
    let fill = closed as u128 * 94_000_000_000 / 1_000_000_000_000;
    let fees = (fill * 7_500).div_ceil(1_000_000) as u64;
    let keeper_fee = (fees as u128 * 5_000 / 7_500) as u64;
    assert_eq!((ev.liquidator_fee, ev.insurance_fee), (keeper_fee, fees - keeper_fee));
    assert_eq!(h.token_balance(&fee_to).await, keeper_fee);
    assert_eq!(h.pool_state().await.insurance_balance - insurance_before, fees - keeper_fee);

    // Back at maintenance × 1.1, and not a lamport-step more was closed than needed.
    let after = h.report(&t.account).await;
    assert!(after.maint.equity >= buffered_requirement(after.maint.requirement, 100_000).unwrap());
    assert_eq!((ev.equity_after as i128, ev.requirement_after as i128), (after.maint.equity, after.maint.requirement));
    assert!(ev.leverage_after < ev.leverage_before);
    assert_eq!(a.in_margin_call, 0);
    h.assert_conservation().await;

    // A second keeper racing the first finds it healthy: refused, nothing paid twice.
    let (k2, fee_to2) = keeper(&mut h).await;
    let mut keys = h.ledger_keys();
    keys.extend([fee_to, fee_to2]);
    let before = h.snapshot(&keys).await;
    assert_error(h.liquidate_perp(&k2, &fee_to2, &t.account, 0).await, FulcrumError::NotLiquidatable);
    assert_eq!(h.snapshot(&keys).await, before);
}

#[tokio::test]
async fn grace_period_hard_threshold_and_top_up() {
    let (mut h, t) = levered_long().await;
    let mut p = default_exchange_params();
    p.margin_call_grace_slots = 150;
    h.update_exchange(p).await;
    let (k, fee_to) = keeper(&mut h).await;

    // $94: in margin call (equity 94% of MM, above the 80% hard line). The crank starts it.
    h.set_market_price(0, px(94)).await;
    let ix = h.refresh_health_ix(&t.account).await;
    let logs = h.send_logged(&[ix], &[]).await.unwrap();
    let call = &events::<MarginCallEvent>(&logs)[0];
    let start = h.margin(&t.account).await.margin_call_slot;
    assert_eq!(call.slot, start);
    assert_eq!(h.margin(&t.account).await.in_margin_call, 1);

    h.ctx.warp_to_slot(start + 10).unwrap();
    h.refresh_oracles().await;
    assert_error(h.liquidate_perp(&k, &fee_to, &t.account, 0).await, FulcrumError::MarginCallGracePeriod);
    // Only risk-reducing trades while in margin call.
    assert_error(h.trade(&t, 0, Side::Buy, SOL / 1_000).await, FulcrumError::TradeExceedsInitialMargin);

    // Under the hard threshold (equity < 80% of MM) the grace does not protect it: $92.50.
    h.set_market_price(0, px(92) + px(1) / 2).await;
    let r = h.report(&t.account).await;
    assert!(r.maint.equity * 10 < r.maint.requirement * 8);
    h.liquidate_perp(&k, &fee_to, &t.account, 0).await.unwrap();
    assert!(h.margin(&t.account).await.perps[0].base < 95 * SOL as i64);
    h.assert_conservation().await;

    // Past the grace, an account in margin call is liquidatable: second trader at $94 again.
    let t2 = h.trader(1_000 * USDC).await;
    h.set_market_price(0, px(100)).await;
    h.deposit(&t2, 0, 1_000 * USDC).await.unwrap();
    h.trade(&t2, 0, Side::Buy, 95 * SOL).await.unwrap();
    h.set_market_price(0, px(94)).await;
    h.refresh_health(&t2.account).await.unwrap();
    let start = h.margin(&t2.account).await.margin_call_slot;
    h.ctx.warp_to_slot(start + 151).unwrap();
    h.refresh_oracles().await;
    h.liquidate_perp(&k, &fee_to, &t2.account, 0).await.unwrap();

    // A top-up inside the grace ends the margin call.
    let t3 = h.trader(1_500 * USDC).await;
    h.set_market_price(0, px(100)).await;
    h.deposit(&t3, 0, 1_000 * USDC).await.unwrap();
    h.trade(&t3, 0, Side::Buy, 95 * SOL).await.unwrap();
    h.set_market_price(0, px(94)).await;
    h.refresh_health(&t3.account).await.unwrap();
    assert_eq!(h.margin(&t3.account).await.in_margin_call, 1);
    h.deposit(&t3, 0, 500 * USDC).await.unwrap();
    let ix = h.refresh_health_ix(&t3.account).await;
    let logs = h.send_logged(&[ix], &[]).await.unwrap();
    assert_eq!(events::<MarginCallClearedEvent>(&logs).len(), 1);
    assert_eq!(h.margin(&t3.account).await.in_margin_call, 0);
    assert_error(h.liquidate_perp(&k, &fee_to, &t3.account, 0).await, FulcrumError::NotLiquidatable);
    h.assert_conservation().await;
}

#[tokio::test]
async fn a_gap_to_negative_equity_is_closed_and_covered_by_insurance_then_by_the_pool() {
    let (mut h, t) = levered_long().await;
    let (k, fee_to) = keeper(&mut h).await;
    h.fund_insurance(100 * USDC).await;

    // Gap to $88: equity 990.50 − 1,140 = −$149.50.
    h.set_market_price(0, px(88)).await;
    assert_eq!(h.report(&t.account).await.state, HealthState::Bankrupt);
    // The keeper must sign (it is who gets paid).
    let mut ix = h.liquidate_perp_ix(&k.pubkey(), &fee_to, &t.account, 0).await;
    ix.accounts[2].is_signer = false;
    assert_anchor_error(h.send(&[ix], &[]).await, anchor_lang::error::ErrorCode::AccountNotSigner);
    h.liquidate_perp(&k, &fee_to, &t.account, 0).await.unwrap();
    let a = h.margin(&t.account).await;
    assert_eq!(a.num_perps, 0, "everything is closed");
    assert_eq!(a.quote_balance, -149_500_000, "fees capped: no fee out of nothing");
    assert_eq!(h.token_balance(&fee_to).await, 0);
    h.assert_conservation().await;

    // The fund pays 100, the pool the remaining 49.50; LPs lose exactly that.
    let pool_before = h.pool_state().await;
    let supply = h.mint_supply(&h.lp_mint.clone()).await;
    let ix = h.resolve_bankruptcy_ix(&t.account);
    let logs = h.send_logged(&[ix], &[]).await.unwrap();
    let ev = &events::<BankruptcyEvent>(&logs)[0];
    assert_eq!((ev.debt, ev.insurance_paid, ev.socialised, ev.uncovered), (149_500_000, 100 * USDC, 49_500_000, 0));
    let pool = h.pool_state().await;
    assert_eq!(pool.insurance_balance, pool_before.insurance_balance - 100 * USDC);
    assert_eq!(pool_before.balance - pool.balance, 49_500_000);
    assert_eq!(pool.socialised_loss, 49_500_000);
    assert_eq!(h.mint_supply(&h.lp_mint.clone()).await, supply, "shares unchanged: each is worth less");
    assert_eq!(h.margin(&t.account).await.quote_balance, 0);
    h.assert_conservation().await;
    assert_error(h.resolve_bankruptcy(&t.account).await, FulcrumError::NotBankrupt);

    // Empty fund: a second bankrupt trader is socialised in full.
    let t2 = h.trader(1_000 * USDC).await;
    h.set_market_price(0, px(100)).await;
    h.deposit(&t2, 0, 1_000 * USDC).await.unwrap();
    h.trade(&t2, 0, Side::Buy, 95 * SOL).await.unwrap();
    h.set_market_price(0, px(88)).await;
    h.liquidate_perp(&k, &fee_to, &t2.account, 0).await.unwrap();
    let debt = h.margin(&t2.account).await.quote_balance.unsigned_abs();
    let before = h.pool_state().await;
    assert_eq!(before.insurance_balance, 0);
    h.resolve_bankruptcy(&t2.account).await.unwrap();
    assert_eq!(before.balance - h.pool_state().await.balance, debt);
    h.assert_conservation().await;
}

#[tokio::test]
async fn collateral_liquidation_repays_debt_for_discounted_collateral() {
    let mut h = Setup { banks: vec![BankSpec::default()], ..Setup::markets(1, 100_000 * USDC) }.build().await;
    let sol = h.bank(1);
    let t = h.trader(0).await;
    h.fund(&t, sol.index, 10 * SOL).await;
    // A realised loss: long 50 at $100, closed at $90 → quote −5 − 500 − 4.50.
    h.trade(&t, 0, Side::Buy, 50 * SOL).await.unwrap();
    h.set_market_price(0, px(90)).await;
    h.close(&t, 0).await.unwrap();
    assert_eq!(h.margin(&t.account).await.quote_balance, -509_500_000);

    // SOL collateral to $55: maintenance 10 × 55 × 0.9 − 509.50 = −$14.50 (full value +$40.50).
    h.set_bank_price(sol.index, px(55)).await;
    let r = h.report(&t.account).await;
    assert_eq!((r.maint.equity, r.equity, r.state), (-14_500_000, 40_500_000, HealthState::MarginCall));
    let liq = h.trader(1_000 * USDC).await;
    h.liquidate_collateral(&liq, &t.account, sol.index, 1_000 * USDC).await.unwrap();

    let repaid = 1_000 * USDC - h.token_balance(&liq.token(&h.quote.mint)).await;
    let got = h.token_balance(&liq.token(&sol.mint)).await;
    // At $55 × (1 − 5%) = $52.25 per SOL.
    assert_eq!(got as u128, repaid as u128 * 1_000_000_000_000 * 1_000_000 / (55_000_000_000 * 950_000));
    let a = h.margin(&t.account).await;
    assert_eq!(a.quote_balance, -509_500_000 + repaid as i64);
    assert_eq!(a.collateral[0].amount, 10 * SOL - got);
    // Just enough: maintenance restored with less than $1 to spare (minimality is a property
    // test of the engine).
    let after = h.report(&t.account).await;
    assert!(after.maint.equity >= 0 && after.maint.equity < 1_000_000, "{:?}", after.maint);
    assert!(repaid < 509_500_000, "never more than needed: {repaid}");
    h.assert_conservation().await;
    assert_error(h.liquidate_collateral(&liq, &t.account, sol.index, USDC).await, FulcrumError::NotLiquidatable);
}

#[tokio::test]
async fn cross_margin_liquidation_cuts_the_largest_position_first() {
    let mut h = Harness::new().await;
    for price in [100, 50, 20] {
        h.add_market(OracleFormat::Pull, Quote::at(px(price)), default_market_params()).await;
    }
    let _lp = h.seed_pool(100_000 * USDC).await;
    let t = h.trader_with_deposit(1_000 * USDC).await;
    h.trade(&t, 0, Side::Buy, 60 * SOL).await.unwrap(); // $6,000: the largest
    h.trade(&t, 1, Side::Sell, 40 * SOL).await.unwrap(); // $2,000 short
    h.trade(&t, 2, Side::Buy, 50 * SOL).await.unwrap(); // $1,000
    let (k, fee_to) = keeper(&mut h).await;
    // $90: equity 1000 − 9 − 600 = $391 < MM 270 + 100 + 50 = $420.
    h.set_market_price(0, px(90)).await;
    assert_eq!(h.report(&t.account).await.state, HealthState::MarginCall);

    let before = h.margin(&t.account).await;
    let keys = h.ledger_keys();
    let snap = h.snapshot(&keys).await;
    assert_error(h.liquidate_perp(&k, &fee_to, &t.account, 1).await, FulcrumError::NotLargestPosition);
    assert_error(h.liquidate_perp(&k, &fee_to, &t.account, 2).await, FulcrumError::NotLargestPosition);
    assert_eq!(h.snapshot(&keys).await, snap);

    h.liquidate_perp(&k, &fee_to, &t.account, 0).await.unwrap();
    let after = h.margin(&t.account).await;
    assert!(after.perps[0].base < before.perps[0].base);
    assert_eq!(after.perps[1], before.perps[1], "the short is untouched");
    assert_eq!(after.perps[2], before.perps[2], "the small long is untouched");
    assert!(h.report(&t.account).await.maint.is_met());
    h.assert_conservation().await;
}

#[tokio::test]
async fn insurance_fund_takes_a_fee_share_and_keeps_its_floor() {
    let mut h = Harness::new().await;
    let mut p = default_exchange_params();
    p.insurance_fee_share = 200_000; // 20% of trading fees
    p.insurance_floor = 50 * USDC;
    h.update_exchange(p).await;
    h.add_market(OracleFormat::Pull, Quote::at(px(100)), default_market_params()).await;
    let _lp = h.seed_pool(10_000 * USDC).await;
    let t = h.trader_with_deposit(1_000 * USDC).await;
    h.trade(&t, 0, Side::Buy, 10 * SOL).await.unwrap(); // fee $1: $0.20 to insurance
    assert_eq!(h.pool_state().await.insurance_balance, 200_000);
    assert_eq!(h.pool_state().await.balance, 10_000 * USDC + 800_000);
    h.fund_insurance(100 * USDC).await;
    h.assert_conservation().await;

    let admin = h.admin.insecure_clone();
    let to = h.create_token_account(&h.quote.mint.clone(), &admin.pubkey()).await;
    let stranger = h.stranger().await;
    let ix = h.insurance_withdraw_ix(&stranger.pubkey(), &to, USDC);
    assert_error(h.send(&[ix], &[&stranger]).await, FulcrumError::NotAdmin);
    let ix = h.insurance_withdraw_ix(&admin.pubkey(), &to, 50 * USDC + 200_001);
    assert_error(h.send(&[ix], &[&admin]).await, FulcrumError::InsuranceBelowFloor);
    let ix = h.insurance_withdraw_ix(&admin.pubkey(), &to, 50 * USDC + 200_000);
    h.send(&[ix], &[&admin]).await.unwrap();
    assert_eq!(h.pool_state().await.insurance_balance, 50 * USDC);
    assert_eq!(h.token_balance(&to).await, 50 * USDC + 200_000);
    h.assert_conservation().await;
}
