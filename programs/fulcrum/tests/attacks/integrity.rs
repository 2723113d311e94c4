//! Market integrity (issue 12, items 1 and 2): a stranger's deposit that changes how a portfolio
//! account is margined, and hedged portfolio books whose "reducing" trades and liquidations
//! raise the netted requirement.

use fulcrum::events::LiquidationEvent;
use fulcrum::instructions::{CorrelationParams, Side};
use fulcrum::state::MarginAccount;
use fulcrum_risk::{MarginKind, MarginMode, STANDALONE};
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

use crate::harness::*;

const ONE: i32 = 1_000_000;

/// Markets 0, 1, 2 (SOL, BTC, ETH-PERP; 10x, MM 5%) at $100, SOL collateral (bank 1); assets
/// SOL 0, BTC 1, ETH 2 with ρ(BTC, ETH) = 0.9; floor 30%. A victim in portfolio margin holds
/// `usd` dollars of quote, long `size` BTC-PERP and short `size` ETH-PERP.
async fn hedged_victim(usd: u64, size: u64) -> (Harness, Trader) {
    let mut h =
        Setup { banks: vec![BankSpec::default()], insurance: 10_000 * USDC, ..Setup::markets(3, 1_000_000 * USDC) }
            .build()
            .await;
    h.set_correlations(CorrelationParams {
        matrix: vec![ONE, 0, 0, 0, ONE, 900_000, 0, 900_000, ONE],
        bank_assets: vec![255, 0],
        market_assets: vec![0, 1, 2],
        floor: 300_000,
        min_equity: 100 * USDC,
    })
    .await
    .unwrap();
    let v = h.trader(usd * USDC).await;
    h.deposit(&v, 0, usd * USDC).await.unwrap();
    h.set_margin_mode(&v, MarginMode::Portfolio).await.unwrap();
    // Legs in steps of 50, so the book is hedged enough for initial margin at every step.
    let mut done = 0;
    while done < size {
        let step = (size - done).min(50 * SOL);
        h.trade(&v, 1, Side::Buy, step).await.unwrap();
        h.trade(&v, 2, Side::Sell, step).await.unwrap();
        done += step;
    }
    (h, v)
}

/// A keeper with an empty quote token account for its fee.
async fn keeper(h: &mut Harness) -> (Keypair, Pubkey) {
    let k = h.stranger().await;
    let mint = h.quote.mint;
    let fee_to = h.create_token_account(&mint, &k.pubkey()).await;
    (k, fee_to)
}

/// `liquidate_perp` of `account` in `market` with the health accounts of `after` (the account as
/// an earlier instruction of the same transaction leaves it).
async fn liquidate_ix_after(
    h: &mut Harness,
    keeper: &Pubkey,
    fee_to: &Pubkey,
    account: &Pubkey,
    market: u16,
    after: &MarginAccount,
) -> Instruction {
    let mut ix = h.liquidate_perp_ix(keeper, fee_to, account, market).await;
    let now = h.margin(account).await;
    let fixed = ix.accounts.len() - h.health_metas(&now).len();
    ix.accounts.truncate(fixed);
    ix.accounts.extend(h.health_metas(after));
    ix
}

/// Sends `ixs` expecting `e`; if the attack lands instead, fails with what it moved into
/// `gain_account` (a token account of the attacker). A refused attack changes nothing.
async fn refused(h: &mut Harness, ixs: &[Instruction], signers: &[&Keypair], gain_account: &Pubkey, e: FulcrumError) {
    let mut keys = h.ledger_keys();
    keys.push(*gain_account);
    let before = h.snapshot(&keys).await;
    let gained_before = h.token_balance(gain_account).await;
    let r = h.send(ixs, signers).await;
    if r.is_ok() {
        let gained = h.token_balance(gain_account).await - gained_before;
        panic!("the attack landed: the attacker took {gained} quote native units (expected {e:?})");
    }
    assert_error(r, e);
    assert_eq!(h.snapshot(&keys).await, before, "state changed by a refused {e:?}");
    h.assert_conservation().await;
}

/// A trader acting for `owner`'s account with `kp` (a delegate).
fn acting_as(owner: &Trader, kp: &Keypair) -> Trader {
    Trader { kp: kp.insecure_clone(), account: owner.account, tokens: owner.tokens.clone() }
}

// ------------------------------------------------------------------ 1. stranger's deposits

#[tokio::test]
async fn a_strangers_dust_deposit_cannot_force_a_portfolio_liquidation() {
    // $1,000 on long 150 BTC / short 150 ETH ($15k each, fees $30): portfolio MM $450 (the
    // floor: 30% × $1,500) on $970; cross would ask $1,500.
    let (mut h, victim) = hedged_victim(1_000, 150 * SOL).await;
    assert!(h.report(&victim.account).await.maint.is_met());
    // The admin lists a bank after the correlations were set: it is on no asset.
    let jup = h.add_bank(6, OracleFormat::Pull, Quote::at(px(1)), default_bank_params()).await;
    let (attacker, fee_to) = keeper(&mut h).await;
    let dust = h.create_token_account(&jup.mint, &attacker.pubkey()).await;
    h.mint_to(&jup.mint, &dust, 1).await;

    // One transaction: one native unit of it into the victim's account, then liquidate.
    let deposit = h.deposit_ix(&victim.account, &jup, &dust, &attacker.pubkey(), 1);
    let mut after = h.margin(&victim.account).await;
    let i = after.collateral_slot(jup.index).unwrap();
    after.collateral[i].amount = 1;
    let liquidate = liquidate_ix_after(&mut h, &attacker.pubkey(), &fee_to, &victim.account, 1, &after).await;
    refused(&mut h, &[deposit, liquidate], &[&attacker], &fee_to, FulcrumError::ThirdPartyCollateralDeposit).await;
}

#[tokio::test]
async fn a_stranger_cannot_fill_a_victims_collateral_slots_but_may_top_up_its_quote() {
    let (mut h, victim) = hedged_victim(1_000, 10 * SOL).await;
    let attacker = h.trader(10 * USDC).await;
    let sol = h.bank(1);
    h.mint_to(&sol.mint, &attacker.token(&sol.mint), 1).await;
    let ix = h.deposit_ix(&victim.account, &sol, &attacker.token(&sol.mint), &attacker.key(), 1);
    let gain = attacker.token(&h.quote.mint);
    refused(&mut h, &[ix], &[&attacker.kp], &gain, FulcrumError::ThirdPartyCollateralDeposit).await;
    assert_eq!(h.margin(&victim.account).await.num_collateral, 0);
    // Quote is anyone's to give.
    let before = h.margin(&victim.account).await.quote_balance;
    let quote = h.quote;
    let ix = h.deposit_ix(&victim.account, &quote, &gain, &attacker.key(), 5 * USDC);
    h.send(&[ix], &[&attacker.kp]).await.unwrap();
    assert_eq!(h.margin(&victim.account).await.quote_balance, before + 5 * USDC as i64);
    h.assert_conservation().await;
}

#[tokio::test]
async fn a_bank_listed_after_the_correlations_is_margined_on_its_own_not_in_cross() {
    let (mut h, victim) = hedged_victim(1_000, 150 * SOL).await;
    let jup = h.add_bank(6, OracleFormat::Pull, Quote::at(px(1)), default_bank_params()).await;
    // The owner deposits $100 of the new asset himself.
    let token = h.create_token_account(&jup.mint, &victim.key()).await;
    h.mint_to(&jup.mint, &token, 100 * USDC).await;
    let ix = h.deposit_ix(&victim.account, &jup, &token, &victim.key(), 100 * USDC);
    h.send(&[ix], &[&victim.kp]).await.unwrap();

    // A keeper sees a portfolio account still, not a cross one at $1,500.
    let (k, fee_to) = keeper(&mut h).await;
    let ix = h.liquidate_perp_ix(&k.pubkey(), &fee_to, &victim.account, 1).await;
    refused(&mut h, &[ix], &[&k], &fee_to, FulcrumError::NotLiquidatable).await;
    let i = h.risk_inputs(&victim.account).await;
    assert_eq!(i.collateral_assets, vec![STANDALONE]);
    let maint = fulcrum_risk::model_health(&i.risk_account(), &i.model(), MarginKind::Maintenance).unwrap();
    // Equity $970 + $100 at full value; the requirement is the floor over the hedge and the new
    // asset's own haircut (10% of $100): max(30% × $1,510, √0.2 × $750 + $10) = $453.
    assert_eq!(maint.equity, 1_070 * USDC as i128);
    assert_eq!(maint.requirement, 453 * USDC as i128);
}

// ------------------------------------------------------------------ 2. hedged books

/// Long 200 BTC / short 200 ETH ($20k each) on $1,280 (fees $40): IM max(30% × $4,000,
/// $2,000 √0.2) = $1,200 on $1,240.
async fn twenty_k_hedge() -> (Harness, Trader) {
    hedged_victim(1_280, 200 * SOL).await
}

#[tokio::test]
async fn closing_one_leg_of_a_hedge_cannot_leave_the_other_naked_past_its_leverage_cap() {
    let (mut h, victim) = twenty_k_hedge().await;
    let before = h.report(&victim.account).await;
    assert_eq!(before.init.requirement, 1_200 * USDC as i128);
    // Closing ETH would leave a naked $20k BTC on ≈ $1,220: 16x against the market's 10x.
    let ix = h.trade_ix(&victim, 2, Side::Buy, 200 * SOL, None, true).await;
    let gain = victim.token(&h.quote.mint);
    refused(&mut h, &[ix], &[&victim.kp], &gain, FulcrumError::TradeLowersFreeCollateral).await;
    // A cut that lowers the netted requirement is a reduction and goes through below initial
    // margin: BTC −0.5% puts the account under it, then 10 ETH is closed.
    h.set_market_price(1, px(99) + 50_000_000).await;
    assert!(!h.report(&victim.account).await.init.is_met());
    let free = h.report(&victim.account).await.init.free_collateral();
    let ix = h.trade_ix(&victim, 2, Side::Buy, 10 * SOL, None, true).await;
    h.send(&[ix], &[&victim.kp]).await.unwrap();
    assert!(h.report(&victim.account).await.init.free_collateral() > free);
    h.assert_conservation().await;
}

#[tokio::test]
async fn a_delegate_cannot_unhedge_the_book_to_liquidate_it() {
    let (mut h, victim) = twenty_k_hedge().await;
    let delegate = h.stranger().await;
    let ix = set_delegate_ix(victim.key(), victim.account, delegate.pubkey());
    h.send(&[ix], &[&victim.kp]).await.unwrap();
    // The delegate's plan: close ETH (naked $20k BTC on $1,220), wait for a 1% dip, liquidate
    // the account and collect the keeper fee. The first step is refused.
    let as_delegate = acting_as(&victim, &delegate);
    let ix = h.trade_ix(&as_delegate, 2, Side::Buy, 200 * SOL, None, true).await;
    let (_, fee_to) = keeper(&mut h).await;
    refused(&mut h, &[ix], &[&delegate], &fee_to, FulcrumError::TradeLowersFreeCollateral).await;
}

#[tokio::test]
async fn a_portfolio_liquidation_cuts_the_hedge_without_raising_its_requirement() {
    let (mut h, victim) = twenty_k_hedge().await;
    // BTC −4.5% (−$900): equity $340 against MM max(30% × $1,955, √(955² + 1,000² −
    // 1.8 × 955 × 1,000) = $439) = $586.50, under the 80% hard line.
    h.set_market_price(1, px(95) + 50_000_000).await;
    let before = h.report(&victim.account).await;
    assert!(!before.maint.is_met());
    let i = h.risk_inputs(&victim.account).await;
    let target = fulcrum_risk::portfolio_liquidation_target(
        &i.risk_account(),
        &match i.model() {
            fulcrum_risk::MarginModel::Portfolio(p) => p,
            _ => unreachable!(),
        },
    )
    .unwrap();
    let market = i.perp_markets[target.expect("a position to cut")];
    let (k, fee_to) = keeper(&mut h).await;
    let ix = h.liquidate_perp_ix(&k.pubkey(), &fee_to, &victim.account, market).await;
    let logs = h.send_logged(&[ix], &[&k]).await.unwrap();
    let ev = &events::<LiquidationEvent>(&logs)[0];
    assert!(
        ev.requirement_after <= ev.requirement_before,
        "the liquidation raised the requirement from {} to {} (closed {})",
        ev.requirement_before,
        ev.requirement_after,
        ev.base_closed
    );
    assert!(ev.base_closed.unsigned_abs() < 200 * SOL, "a leg closed whole: {}", ev.base_closed);
    h.assert_conservation().await;
}
