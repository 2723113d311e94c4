//! Accounting loose ends (issue 12, item 6): funding accrued to `now` wherever an account's
//! health is read, the perp-liquidation fee cap at the collateral's liquidation value, isolated
//! top-ups during a trading pause, the quote deposit cap, isolated collateral in a bankruptcy.

use anchor_lang::{InstructionData, ToAccountMetas};
use fulcrum::events::{BankruptcyEvent, LiquidationEvent};
use fulcrum::instructions::{BankParams, MarketParams, Side};
use fulcrum::state::{pause, CollateralBank};
use solana_sdk::instruction::Instruction;
use solana_sdk::signature::{Keypair, Signer};

use crate::harness::*;

/// A keeper with nothing but SOL and an empty quote token account for its fee.
async fn keeper(h: &mut Harness) -> (Keypair, solana_sdk::pubkey::Pubkey) {
    let k = h.stranger().await;
    let mint = h.quote.mint;
    let fee_to = h.create_token_account(&mint, &k.pubkey()).await;
    (k, fee_to)
}

/// Sends `ixs` and asserts they fail with `e` and change nothing the traders or the ledger hold.
async fn rejected(h: &mut Harness, traders: &[&Trader], ixs: &[Instruction], signers: &[&Keypair], e: FulcrumError) {
    let mut keys = h.ledger_keys();
    for t in traders {
        keys.extend(t.tokens.values().copied());
    }
    let before = h.snapshot(&keys).await;
    assert_error(h.send(ixs, signers).await, e);
    assert_eq!(h.snapshot(&keys).await, before, "state changed by a rejected {e:?}");
}

fn admin_ix(h: &Harness, data: Vec<u8>, accounts: Vec<solana_sdk::instruction::AccountMeta>) -> Instruction {
    let _ = h;
    Instruction { program_id: fulcrum::ID, accounts, data }
}

async fn set_paused(h: &mut Harness, flags: u8) {
    let admin = h.admin.insecure_clone();
    let accounts =
        fulcrum::accounts::UpdateExchange { admin: admin.pubkey(), exchange: h.exchange }.to_account_metas(None);
    let ix = admin_ix(h, fulcrum::instruction::SetPaused { flags }.data(), accounts);
    h.send(&[ix], &[&admin]).await.unwrap();
}

async fn set_quote_cap(h: &mut Harness, cap: u64) {
    let admin = h.admin.insecure_clone();
    let accounts = fulcrum::accounts::UpdateBank { admin: admin.pubkey(), exchange: h.exchange, bank: h.quote.key }
        .to_account_metas(None);
    let params = BankParams { deposit_cap: cap, ..default_bank_params() };
    let ix = admin_ix(h, fulcrum::instruction::UpdateBankParams { params }.data(), accounts);
    h.send(&[ix], &[&admin]).await.unwrap();
}

/// A quote deposit into `t`'s own account naming its health accounts (the cap exemption).
async fn top_up_ix(h: &mut Harness, t: &Trader, amount: u64) -> Instruction {
    let quote = h.quote;
    let mut ix = h.deposit_ix(&t.account, &quote, &t.token(&quote.mint), &t.key(), amount);
    let acct = h.margin(&t.account).await;
    ix.accounts.extend(h.health_metas(&acct));
    ix
}

// ------------------------------------------------------------------ 1. funding accrued to now

/// Market 0 with skew funding (10%/h at a skew of 100% of the pool), market 1 without; pool
/// 100,000 USDC.
async fn funding_market() -> Harness {
    let p = MarketParams { funding_factor: 100_000, max_funding_rate: 20_000, ..default_market_params() };
    Setup {
        markets: vec![MarketSpec::with(p), MarketSpec::default()],
        pool: 100_000 * USDC,
        insurance: 1_000 * USDC,
        ..Setup::default()
    }
    .build()
    .await
}

#[tokio::test]
async fn funding_owed_since_the_last_crank_counts_in_every_health_check() {
    let mut h = funding_market().await;
    // Two longs of 50 SOL at $100 ($5,000 each: IM $500, MM $250, fee $5): the skew is 10% of
    // the pool, longs pay ≈ 1%/h. Nobody cranks for 6 hours: each owes ≈ $300 of funding.
    let t = h.trader_with_deposit(1_000 * USDC).await;
    h.trade(&t, 0, Side::Buy, 50 * SOL).await.unwrap();
    let u = h.trader_with_deposit(510 * USDC).await;
    h.trade(&u, 0, Side::Buy, 50 * SOL).await.unwrap();
    let rate = h.market(0).await.funding_rate;
    assert!(rate > 9_000, "longs pay ≈ 1%/h: {rate}");
    h.advance(6 * 3_600).await;
    h.refresh_oracles().await;

    // Withdraw: $995 − $300 funding − $500 IM leaves ≈ $195 free, not $495.
    let ix = h.withdraw_ix(&t, 0, 400 * USDC).await;
    let kp = t.kp.insecure_clone();
    rejected(&mut h, &[&t, &u], &[ix], &[&kp], FulcrumError::WithdrawalExceedsInitialMargin).await;
    h.withdraw(&t, 0, 150 * USDC).await.unwrap();
    // transfer_isolated_collateral: $100 out of the cross part ($45 free after the funding).
    let ix = h.transfer_isolated_ix(&t, 1, 100 * USDC as i64).await;
    rejected(&mut h, &[&t, &u], &[ix], &[&kp], FulcrumError::WithdrawalExceedsInitialMargin).await;

    // refresh_health: u has $505 − $300 = $205 against MM $250; its margin call starts.
    h.refresh_health(&u.account).await.unwrap();
    assert_eq!(h.margin(&u.account).await.in_margin_call, 1, "funding-only shortfall is a margin call");

    // liquidate_perp: funding is settled to now, and the rate follows the open interest it cut.
    let snapshot = {
        let a = h.margin(&u.account).await;
        a.perps[a.find_perp(0).unwrap()].funding_snapshot
    };
    let (k, fee_to) = keeper(&mut h).await;
    let ix = h.liquidate_perp_ix(&k.pubkey(), &fee_to, &u.account, 0).await;
    let logs = h.send_logged(&[ix], &[&k]).await.unwrap();
    let ev = &events::<LiquidationEvent>(&logs)[0];
    let now = h.now().await;
    let m = h.market(0).await;
    assert_eq!(m.last_funding_time, now, "accrued for real before the plan");
    let delta = m.funding_index() - i128::from_le_bytes(snapshot);
    let owed = 50 * SOL as i128 * delta / fulcrum_risk::FUNDING_SCALE as i128;
    assert!(owed > 290 * USDC as i128, "≈ $300 owed: {owed}");
    // At an unchanged price the close realises nothing but the funding (± rounding).
    assert!((i128::from(ev.realized_pnl) + owed).abs() <= 2, "realised {} vs funding {owed}", ev.realized_pnl);
    assert!(m.funding_rate < rate, "rate refreshed after OI moved: {} vs {rate}", m.funding_rate);
    h.crank(0).await.unwrap();
    assert_eq!(h.market(0).await.funding_rate, m.funding_rate, "the liquidation left the rate a crank sets");
    h.assert_conservation().await;
}

// ------------------------------------------------------------------ 2. fee cap at the discount

#[tokio::test]
async fn a_perp_liquidation_fee_never_turns_into_bad_debt_after_the_collateral_sale() {
    let mut h =
        Setup { banks: vec![BankSpec::default()], insurance: 1_000 * USDC, ..Setup::markets(1, 100_000 * USDC) }
            .build()
            .await;
    let sol = h.bank(1);
    // 10 SOL of collateral ($1,000; sold at a 5% discount: $950) and no quote; 50 SOL long.
    let v = h.trader(0).await;
    h.fund(&v, sol.index, 10 * SOL).await;
    h.trade(&v, 0, Side::Buy, 50 * SOL).await.unwrap();
    // $81.30: the close realises −$935 (quote −$940). At full value $60 is left for fees, at
    // the collateral's sale value only $10.
    let o = h.markets[0].oracle;
    h.set_oracle(&o, Quote::at(8_130_000_000)).await;
    let (k, fee_to) = keeper(&mut h).await;
    h.liquidate_perp(&k, &fee_to, &v.account, 0).await.unwrap();
    let a = h.margin(&v.account).await;
    assert_eq!(a.num_perps, 0, "closed whole");
    let after_perp = a.quote_balance;

    // The collateral sale repays all of it: nothing is left for the insurance fund.
    let liq = h.trader(2_000 * USDC).await;
    h.liquidate_collateral(&liq, &v.account, sol.index, 2_000 * USDC).await.unwrap();
    let a = h.margin(&v.account).await;
    assert_eq!((a.quote_balance, a.num_collateral), (0, 0), "bad debt left by the fee");
    assert_eq!(after_perp, -950 * USDC as i64, "fees capped at $10");
    assert_error(h.resolve_bankruptcy(&v.account).await, FulcrumError::NotBankrupt);
    h.assert_conservation().await;
}

// ------------------------------------------------------------------ 3. isolated top-up in a pause

#[tokio::test]
async fn a_trading_pause_does_not_block_an_isolated_top_up() {
    let mut h = Setup::markets(1, 100_000 * USDC).build().await;
    let t = h.trader_with_deposit(2_000 * USDC).await;
    h.transfer_isolated(&t, 0, 200 * USDC as i64).await.unwrap();
    h.trade(&t, 0, Side::Buy, 15 * SOL).await.unwrap();
    set_paused(&mut h, pause::TRADING).await;

    h.transfer_isolated(&t, 0, 50 * USDC as i64).await.unwrap();
    let a = h.margin(&t.account).await;
    assert_eq!(a.perps[a.find_perp(0).unwrap()].isolated_collateral, 248_500_000);
    // Taking collateral out is not risk-reducing: still paused.
    let ix = h.transfer_isolated_ix(&t, 0, -10 * USDC as i64).await;
    let kp = t.kp.insecure_clone();
    rejected(&mut h, &[&t], &[ix], &[&kp], FulcrumError::Paused).await;
    h.assert_conservation().await;
}

// ------------------------------------------------------------------ 4. quote deposit cap

#[tokio::test]
async fn a_whale_filling_the_quote_cap_cannot_block_a_top_up_below_initial_margin() {
    let mut h = Setup::markets(1, 100_000 * USDC).build().await;
    let v = h.trader(2_000 * USDC).await;
    h.deposit(&v, 0, 1_000 * USDC).await.unwrap();
    h.trade(&v, 0, Side::Buy, 95 * SOL).await.unwrap();
    set_quote_cap(&mut h, 10_000 * USDC).await;
    // The whale takes all the room the bank reports.
    let whale = h.trader(10_000 * USDC).await;
    let bank: CollateralBank = h.load(&h.quote.key.clone()).await;
    h.deposit(&whale, 0, bank.deposit_cap - bank.total_deposits).await.unwrap();
    let other = h.trader(100 * USDC).await;
    assert_error(h.deposit(&other, 0, 100 * USDC).await, FulcrumError::DepositCapExceeded);

    // $97: equity $705.50 against IM $921.50, a $216 shortfall.
    h.set_market_price(0, px(97)).await;
    let ix = h.deposit_ix(&v.account, &h.quote.clone(), &v.token(&h.quote.mint), &v.key(), 200 * USDC);
    let kp = v.kp.insecure_clone();
    rejected(&mut h, &[&v, &whale], &[ix], &[&kp], FulcrumError::DepositCapExceeded).await;
    // Naming its health accounts, the owner tops up within its shortfall past the cap.
    let ix = top_up_ix(&mut h, &v, 200 * USDC).await;
    h.send(&[ix], &[&kp]).await.unwrap();
    assert_eq!(h.margin(&v.account).await.quote_balance, 1_190_500_000);
    // Beyond the shortfall ($16 left), the rest counts against the full cap.
    let ix = top_up_ix(&mut h, &v, 100 * USDC).await;
    rejected(&mut h, &[&v, &whale], &[ix], &[&kp], FulcrumError::DepositCapExceeded).await;
    h.assert_conservation().await;
}

#[tokio::test]
async fn realised_losses_and_withdrawals_free_quote_cap() {
    let mut h = Setup::markets(1, 100_000 * USDC).build().await;
    set_quote_cap(&mut h, 2_000 * USDC).await;
    let a = h.trader_with_deposit(2_000 * USDC).await;
    // A loses $475 + $18.53 of fees to the pool: the vault holds $1,506.48 for accounts.
    h.trade(&a, 0, Side::Buy, 95 * SOL).await.unwrap();
    h.set_market_price(0, px(95)).await;
    h.close(&a, 0).await.unwrap();
    assert_eq!(h.margin(&a.account).await.quote_balance, 1_506_475_000);
    let b = h.trader(500 * USDC).await;
    h.deposit(&b, 0, 400 * USDC).await.unwrap();
    assert_error(h.deposit(&b, 0, 100 * USDC).await, FulcrumError::DepositCapExceeded);
    h.withdraw(&a, 0, 100 * USDC).await.unwrap();
    h.deposit(&b, 0, 90 * USDC).await.unwrap();
    h.assert_conservation().await;
}

// ------------------------------------------------------------------ 5. isolated funds in a bankruptcy

#[tokio::test]
async fn an_empty_isolated_slot_cannot_shield_funds_from_the_accounts_debt() {
    let mut h = Setup { insurance: 1_000 * USDC, ..Setup::markets(2, 100_000 * USDC) }.build().await;
    // $300 parked in an isolated slot of market 1 with no position; a cross long on market 0.
    let t = h.trader_with_deposit(1_000 * USDC).await;
    h.transfer_isolated(&t, 1, 300 * USDC as i64).await.unwrap();
    h.trade(&t, 0, Side::Buy, 60 * SOL).await.unwrap();
    // $80: the cross side loses $1,200 on $694.
    h.set_market_price(0, px(80)).await;
    let (k, fee_to) = keeper(&mut h).await;
    h.liquidate_perp(&k, &fee_to, &t.account, 0).await.unwrap();
    assert_eq!(h.margin(&t.account).await.quote_balance, -506 * USDC as i64);

    let ix = h.resolve_bankruptcy_ix(&t.account);
    let logs = h.send_logged(&[ix], &[]).await.unwrap();
    let ev = &events::<BankruptcyEvent>(&logs)[0];
    assert_eq!(ev.debt, 206 * USDC, "the parked $300 paid first");
    let a = h.margin(&t.account).await;
    assert_eq!((a.quote_balance, a.num_perps), (0, 0));
    let kp = t.kp.insecure_clone();
    let ix = h.transfer_isolated_ix(&t, 1, -300 * USDC as i64).await;
    rejected(&mut h, &[&t], &[ix], &[&kp], FulcrumError::PositionModeMismatch).await;
    h.assert_conservation().await;
}

#[tokio::test]
async fn collateral_behind_an_open_isolated_position_holds_back_that_much_debt() {
    let mut h = Setup { insurance: 1_000 * USDC, ..Setup::markets(2, 100_000 * USDC) }.build().await;
    // $300 behind a 1 SOL isolated long on market 1 (IM $10); a cross long on market 0.
    let t = h.trader_with_deposit(1_000 * USDC).await;
    h.transfer_isolated(&t, 1, 300 * USDC as i64).await.unwrap();
    h.trade(&t, 1, Side::Buy, SOL).await.unwrap();
    h.trade(&t, 0, Side::Buy, 60 * SOL).await.unwrap();
    h.set_market_price(0, px(80)).await;
    let (k, fee_to) = keeper(&mut h).await;
    h.liquidate_perp(&k, &fee_to, &t.account, 0).await.unwrap();
    assert_eq!(h.margin(&t.account).await.quote_balance, -506 * USDC as i64);

    // Only the debt beyond the isolated collateral ($299.90) is covered now.
    h.resolve_bankruptcy(&t.account).await.unwrap();
    let a = h.margin(&t.account).await;
    assert_eq!(a.quote_balance, -299_900_000);
    // Moving it out repays the debt; the owner cannot take it away.
    h.close(&t, 1).await.unwrap();
    let ix = h.withdraw_ix(&t, 0, USDC).await;
    let kp = t.kp.insecure_clone();
    rejected(&mut h, &[&t], &[ix], &[&kp], FulcrumError::InsufficientBalance).await;
    h.resolve_bankruptcy(&t.account).await.unwrap();
    let a = h.margin(&t.account).await;
    assert_eq!((a.quote_balance, a.num_perps), (0, 0));
    h.assert_conservation().await;
}
