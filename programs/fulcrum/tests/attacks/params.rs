//! Parameter ranges that make liquidation destroy value (issue 12, item 5): a collateral discount
//! that outruns a bank's maintenance weight, a liquidation fee at a market's maintenance ratio, a
//! portfolio floor near zero, base decimals and oracle ages past their bounds. Each is refused by
//! name at listing and in every update, and the refusal changes nothing.

use anchor_lang::{InstructionData, ToAccountMetas};
use fulcrum::instructions::{BankParams, CorrelationParams, ExchangeParams, MarketParams, Side};
use fulcrum_risk::{MAX_BASE_DECIMALS, MAX_ORACLE_AGE_SECS, MIN_CORRELATION_FLOOR};
use solana_sdk::{instruction::Instruction, pubkey::Pubkey, signature::Signer};

use crate::harness::*;
use crate::World;

const ONE: i32 = 1_000_000;

fn update_exchange_ix(h: &Harness, params: ExchangeParams) -> Instruction {
    Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::UpdateExchange { admin: h.admin.pubkey(), exchange: h.exchange }
            .to_account_metas(None),
        data: fulcrum::instruction::UpdateExchangeParams { params }.data(),
    }
}

fn update_bank_ix(h: &Harness, bank: Pubkey, params: BankParams) -> Instruction {
    Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::UpdateBank { admin: h.admin.pubkey(), exchange: h.exchange, bank }
            .to_account_metas(None),
        data: fulcrum::instruction::UpdateBankParams { params }.data(),
    }
}

/// `add_collateral_bank` of a fresh `decimals` mint priced at $100: the instruction and the
/// accounts it would create.
async fn add_bank_ix(h: &mut Harness, decimals: u8, params: BankParams) -> (Instruction, Vec<Pubkey>) {
    let mint = h.create_mint(decimals).await;
    let oracle = h.new_oracle(OracleFormat::Pull, Quote::at(px(100))).await;
    let index = 1 + h.banks.len() as u16;
    let (bank, vault) = (bank_address(&h.exchange, index), vault_address(&h.exchange, &mint));
    let ix = h.add_bank_ix(mint, &oracle, params);
    (ix, vec![bank, vault])
}

/// `add_perp_market` priced at $100: the instruction and the market it would create.
async fn add_market_ix(h: &mut Harness, base_decimals: u8, params: MarketParams) -> (Instruction, Vec<Pubkey>) {
    let oracle = h.new_oracle(OracleFormat::Pull, Quote::at(px(100))).await;
    let index = h.markets.len() as u16;
    let market = market_address(&h.exchange, index);
    let ix = h.add_market_ix(&oracle, base_decimals, params);
    (ix, vec![market])
}

/// The admin sends `ix`; it fails with `e` and the ledger, plus the accounts a listing would
/// have created (`extra`), are unchanged (as [`World::rejected`], for a bare harness).
async fn refused(h: &mut Harness, ix: Instruction, extra: &[Pubkey], e: FulcrumError) {
    let mut keys = h.ledger_keys();
    keys.extend_from_slice(extra);
    let before = h.snapshot(&keys).await;
    let admin = h.admin.insecure_clone();
    assert_error(h.send(&[ix], &[&admin]).await, e);
    assert_eq!(h.snapshot(&keys).await, before, "state changed by a refused {e:?}");
}

async fn admin_rejected(w: &mut World, ix: Instruction, e: FulcrumError) {
    let admin = w.h.admin.insecure_clone();
    w.rejected(&[ix], &[&admin], e).await;
}

async fn admin_sends(h: &mut Harness, ix: Instruction) {
    let admin = h.admin.insecure_clone();
    h.send(&[ix], &[&admin]).await.unwrap();
}

/// SOL-PERP without a taker fee, so the figures are round.
fn no_fee_market() -> MarketParams {
    MarketParams { taker_fee: 0, ..default_market_params() }
}

/// $1,000 of SOL (maint weight 0.9) against $950 of quote debt from a realised perp loss:
/// maintenance equity −$50, worth +$50 at full value.
async fn sol_backed_debt(h: &mut Harness, sol: BankHandle) -> Trader {
    let t = h.trader(0).await;
    h.fund(&t, sol.index, 10 * SOL).await;
    h.trade(&t, 0, Side::Buy, 50 * SOL).await.unwrap();
    h.set_bank_price(sol.index, px(200)).await; // room to realise the loss
    h.set_market_price(0, px(81)).await;
    h.close(&t, 0).await.unwrap();
    h.set_bank_price(sol.index, px(100)).await;
    let r = h.report(&t.account).await;
    assert_eq!((r.maint.equity, r.equity), (-50 * USDC as i128, 50 * USDC as i128));
    t
}

#[tokio::test]
async fn a_collateral_discount_that_outruns_the_maint_weight_is_refused_by_name() {
    // The attack on the old code: an exchange at a 20% discount lists SOL at maint weight 0.9.
    // Each $1 a liquidator repays takes $1.25 of SOL ($1.125 weighted), so the plan never
    // restores health: it sells all $1,000 for $800 and $150 of debt is socialised, from an
    // account worth +$50. Now the listing is refused.
    let mut h =
        Harness::with_params(ExchangeParams { collateral_liquidation_discount: 200_000, ..default_exchange_params() })
            .await;
    let (ix, created) = add_bank_ix(&mut h, 9, default_bank_params()).await;
    refused(&mut h, ix, &created, FulcrumError::CollateralDiscountTooLarge).await;

    // Inside the bound (5%) the same account is liquidated with nothing socialised.
    let mut h =
        Setup { banks: vec![BankSpec::default()], ..Setup::market(no_fee_market(), 100_000 * USDC) }.build().await;
    let sol = h.bank(1);
    let t = sol_backed_debt(&mut h, sol).await;
    let liq = h.trader(1_000 * USDC).await;
    h.liquidate_collateral(&liq, &t.account, sol.index, 1_000 * USDC).await.unwrap();
    let a = h.margin(&t.account).await;
    assert!(a.quote_balance >= 0, "debt repaid: {}", a.quote_balance);
    assert!(h.report(&t.account).await.maint.is_met());
    assert_error(h.resolve_bankruptcy(&t.account).await, FulcrumError::NotBankrupt);
    assert_eq!(h.pool_state().await.socialised_loss, 0);
    h.assert_conservation().await;

    // Every update that would break the rule on a listed bank is refused too.
    let mut w = World::new().await; // SOL at maint weight 0.9, discount 5%
    let p = default_exchange_params();
    for d in [200_000, 100_000] {
        let ix = update_exchange_ix(&w.h, ExchangeParams { collateral_liquidation_discount: d, ..p });
        admin_rejected(&mut w, ix, FulcrumError::CollateralDiscountTooLarge).await;
    }
    // A debt weight above 1 leaves room (0.9 < 1.1 × 0.85); lowering it back does not.
    let wide = ExchangeParams {
        quote_init_liability_weight: 1_100_000,
        quote_maint_liability_weight: 1_100_000,
        collateral_liquidation_discount: 150_000,
        ..p
    };
    let ix = update_exchange_ix(&w.h, wide);
    admin_sends(&mut w.h, ix).await;
    let ix = update_exchange_ix(&w.h, ExchangeParams { collateral_liquidation_discount: 150_000, ..p });
    admin_rejected(&mut w, ix, FulcrumError::CollateralDiscountTooLarge).await;
    let ix = update_exchange_ix(&w.h, p);
    admin_sends(&mut w.h, ix).await;
    // Raising a bank's weight past the discount: 0.95 ≥ 1 × (1 − 5%).
    let heavy = BankParams { init_asset_weight: 900_000, maint_asset_weight: 950_000, ..default_bank_params() };
    let ix = update_bank_ix(&w.h, w.sol.key, heavy);
    admin_rejected(&mut w, ix, FulcrumError::CollateralDiscountTooLarge).await;
    let (ix, created) = add_bank_ix(&mut w.h, 9, heavy).await;
    refused(&mut w.h, ix, &created, FulcrumError::CollateralDiscountTooLarge).await;
    // Just inside is accepted.
    let ix = update_bank_ix(&w.h, w.sol.key, BankParams { maint_asset_weight: 949_999, ..heavy });
    admin_sends(&mut w.h, ix).await;
    assert_eq!(w.h.load::<fulcrum::state::CollateralBank>(&w.sol.key).await.maint_asset_weight, 949_999);
    // The exchange keeps the heaviest weight ever set: lowering SOL's back to 0.9 does not let an
    // exchange update raise the discount past what 0.949999 allows (documented, conservative).
    let ix = update_bank_ix(&w.h, w.sol.key, default_bank_params());
    admin_sends(&mut w.h, ix).await;
    let ix = update_exchange_ix(&w.h, ExchangeParams { collateral_liquidation_discount: 60_000, ..p });
    admin_rejected(&mut w, ix, FulcrumError::CollateralDiscountTooLarge).await;
    let e = w.h.exchange;
    assert_eq!(w.h.load::<fulcrum::state::Exchange>(&e).await.max_maint_asset_weight, 949_999);
}

/// A 20x long (MM 2.5%) of 190 SOL on $1,000, with the price down to $97: maintenance equity
/// $430 against $460.75.
async fn twenty_x_long(h: &mut Harness) -> Trader {
    let t = h.trader_with_deposit(1_000 * USDC).await;
    h.trade(&t, 0, Side::Buy, 190 * SOL).await.unwrap();
    h.set_market_price(0, px(97)).await;
    let r = h.report(&t.account).await;
    assert_eq!((r.maint.equity, r.maint.requirement), (430 * USDC as i128, 460_750_000));
    t
}

fn twenty_x_market() -> MarketParams {
    MarketParams { init_margin_ratio: 50_000, maint_margin_ratio: 25_000, ..no_fee_market() }
}

#[tokio::test]
async fn a_liquidation_fee_at_the_maintenance_ratio_is_refused_by_name() {
    // The attack on the old code: fees of 4% + 1% on a market at MM 2.5% (5% ≥ 2.5% × 1.1). A
    // liquidation of a 20x long just under maintenance closes the whole $18,430 and the fees take
    // all $430 of its equity ($344 to the keeper). Now the listing is refused.
    let fees = ExchangeParams { liquidator_fee: 40_000, insurance_fee: 10_000, ..default_exchange_params() };
    let mut h = Harness::with_params(fees).await;
    let (ix, created) = add_market_ix(&mut h, 9, twenty_x_market()).await;
    refused(&mut h, ix, &created, FulcrumError::LiquidationFeeTooLarge).await;

    // Within the bound (0.75%) the same account is cut partially and keeps most of its equity.
    let mut h = Setup::market(twenty_x_market(), 100_000 * USDC).build().await;
    let t = twenty_x_long(&mut h).await;
    let k = h.stranger().await;
    let fee_to = h.create_token_account(&h.quote.mint.clone(), &k.pubkey()).await;
    h.liquidate_perp(&k, &fee_to, &t.account, 0).await.unwrap();
    let a = h.margin(&t.account).await;
    assert!(a.num_perps == 1 && a.perps[0].base > 0, "a partial close");
    assert!(h.report(&t.account).await.equity > 400 * USDC as i128);
    h.assert_conservation().await;

    // Every update that would break the rule on a listed market is refused too.
    let mut w = World::new().await; // SOL-PERP at MM 5%, fees 0.5% + 0.25%
    let p = default_exchange_params();
    let ix = update_exchange_ix(&w.h, ExchangeParams { liquidator_fee: 40_000, insurance_fee: 10_000, ..p });
    admin_rejected(&mut w, ix, FulcrumError::LiquidationFeeTooLarge).await;
    let ix = w.h.update_market_ix(0, MarketParams { maint_margin_ratio: 7_500, ..default_market_params() });
    admin_rejected(&mut w, ix, FulcrumError::LiquidationFeeTooLarge).await;
    let (ix, created) =
        add_market_ix(&mut w.h, 9, MarketParams { maint_margin_ratio: 5_000, ..default_market_params() }).await;
    refused(&mut w.h, ix, &created, FulcrumError::LiquidationFeeTooLarge).await;
    // Just above the fee is accepted; the market reads back exactly the parameters set.
    let ok = MarketParams { maint_margin_ratio: 7_501, ..w.h.market(0).await.params() };
    let ix = w.h.update_market_ix(0, ok);
    admin_sends(&mut w.h, ix).await;
    assert_eq!(w.h.market(0).await.params(), ok);
}

#[tokio::test]
async fn a_portfolio_floor_below_the_minimum_is_refused_by_name() {
    let mut w = World::new().await;
    let params = |floor| CorrelationParams {
        matrix: vec![ONE, ONE, ONE, ONE],
        bank_assets: vec![255, 0],
        market_assets: vec![1],
        floor,
        min_equity: 0,
    };
    // Floor 0 with ρ = 1: a long SOL collateral / short SOL-PERP book would need no margin at all.
    for floor in [0, MIN_CORRELATION_FLOOR - 1] {
        let ix = w.h.set_correlations_ix(params(floor));
        admin_rejected(&mut w, ix, FulcrumError::CorrelationFloorTooLow).await;
    }
    let ix = w.h.set_correlations_ix(params(MIN_CORRELATION_FLOOR));
    admin_sends(&mut w.h, ix).await;
}

#[tokio::test]
async fn base_decimals_past_the_maximum_are_refused_by_name() {
    let mut w = World::new().await;
    let (ix, created) = add_market_ix(&mut w.h, MAX_BASE_DECIMALS + 1, default_market_params()).await;
    refused(&mut w.h, ix, &created, FulcrumError::BaseDecimalsOutOfRange).await;
    let (ix, created) = add_bank_ix(&mut w.h, MAX_BASE_DECIMALS + 1, default_bank_params()).await;
    refused(&mut w.h, ix, &created, FulcrumError::BaseDecimalsOutOfRange).await;
    // At the bound both list.
    let (ix, _) = add_market_ix(&mut w.h, MAX_BASE_DECIMALS, default_market_params()).await;
    admin_sends(&mut w.h, ix).await;
    let (ix, _) = add_bank_ix(&mut w.h, MAX_BASE_DECIMALS, default_bank_params()).await;
    admin_sends(&mut w.h, ix).await;
}

#[tokio::test]
async fn an_oracle_age_past_the_maximum_is_refused_by_name() {
    let mut w = World::new().await;
    let age = MAX_ORACLE_AGE_SECS + 1;
    let mp = MarketParams { max_oracle_age: age, ..default_market_params() };
    let bp = BankParams { max_oracle_age: age, ..default_bank_params() };
    let (ix, created) = add_market_ix(&mut w.h, 9, mp).await;
    refused(&mut w.h, ix, &created, FulcrumError::OracleAgeTooLong).await;
    let (ix, created) = add_bank_ix(&mut w.h, 9, bp).await;
    refused(&mut w.h, ix, &created, FulcrumError::OracleAgeTooLong).await;
    let ix = w.h.update_market_ix(0, mp);
    admin_rejected(&mut w, ix, FulcrumError::OracleAgeTooLong).await;
    let ix = update_bank_ix(&w.h, w.sol.key, bp);
    admin_rejected(&mut w, ix, FulcrumError::OracleAgeTooLong).await;
    // The liquidation fallback has its own bound: an hour, whatever the trading age.
    let ix = w.h.update_market_ix(0, MarketParams { liquidation_max_age: 3_601, ..default_market_params() });
    admin_rejected(&mut w, ix, FulcrumError::InvalidParameter).await;
    let ok =
        MarketParams { max_oracle_age: MAX_ORACLE_AGE_SECS, liquidation_max_age: 3_600, ..default_market_params() };
    let ix = w.h.update_market_ix(0, ok);
    admin_sends(&mut w.h, ix).await;
    assert_eq!(w.h.market(0).await.params(), ok);
}

#[tokio::test]
async fn a_refused_parameter_is_named_in_the_log() {
    let mut w = World::new().await;
    let bad = MarketParams { maint_margin_ratio: 100_000, ..default_market_params() }; // = init
    let ix = w.h.update_market_ix(0, bad);
    let logs = failed_logs(&mut w.h, ix).await;
    assert!(logs.iter().any(|l| l.contains("maint_margin_ratio") && l.contains("100000")), "{logs:#?}");
    let ix = update_exchange_ix(
        &w.h,
        ExchangeParams { collateral_liquidation_discount: 200_000, ..default_exchange_params() },
    );
    let logs = failed_logs(&mut w.h, ix).await;
    assert!(logs.iter().any(|l| l.contains("collateral_liquidation_discount") && l.contains("200000")), "{logs:#?}");
}

/// The logs of `ix` sent by the admin, which must fail.
async fn failed_logs(h: &mut Harness, ix: Instruction) -> Vec<String> {
    use solana_sdk::transaction::Transaction;
    let admin = h.admin.insecure_clone();
    let payer = h.payer();
    let blockhash = h.ctx.banks_client.get_latest_blockhash().await.unwrap();
    let tx = Transaction::new_signed_with_payer(&[ix], Some(&payer.pubkey()), &[&payer, &admin], blockhash);
    let r = h.ctx.banks_client.process_transaction_with_metadata(tx).await.unwrap();
    assert!(r.result.is_err(), "the instruction must fail");
    r.metadata.map(|m| m.log_messages).unwrap_or_default()
}
