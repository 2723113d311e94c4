//! Margin modes: isolated positions, portfolio margin, switching between modes, correlations.

use fulcrum::events::{BankruptcyEvent, LiquidationEvent, MarginModeEvent};
use fulcrum::instructions::{BankParams, CorrelationParams, ExchangeParams, MarketParams, Side};
use fulcrum_risk::{buffered_requirement, MarginMode};
use solana_sdk::signature::{Keypair, Signer};

use crate::harness::*;

const ONE: i32 = 1_000_000;

/// A keeper with nothing but SOL and an empty quote token account for its fee.
async fn keeper(h: &mut Harness) -> (Keypair, solana_sdk::pubkey::Pubkey) {
    let k = h.stranger().await;
    let mint = h.quote.mint;
    let fee_to = h.create_token_account(&mint, &k.pubkey()).await;
    (k, fee_to)
}

/// Market 0: SOL-PERP at $100 allowing 25x (IM 4%, MM 2%); market 1: a 10x market at $100.
/// Pool 100,000 USDC; a trader with 2,000 USDC deposited.
async fn isolated_setup() -> (Harness, Trader) {
    let p25 = MarketParams { init_margin_ratio: 40_000, maint_margin_ratio: 20_000, ..default_market_params() };
    let mut h =
        Setup { markets: vec![MarketSpec::with(p25), MarketSpec::default()], pool: 100_000 * USDC, ..Setup::default() }
            .build()
            .await;
    let t = h.trader_with_deposit(2_000 * USDC).await;
    (h, t)
}

/// 100 USDC moved into an isolated slot on market 0, then 20 SOL long ($2,000: 20.4x its
/// collateral after the $2 fee; IM $80, MM $40).
async fn isolated_long(h: &mut Harness, t: &Trader) {
    h.transfer_isolated(t, 0, 100 * USDC as i64).await.unwrap();
    h.trade(t, 0, Side::Buy, 20 * SOL).await.unwrap();
    let a = h.margin(&t.account).await;
    let s = a.perps[a.find_perp(0).unwrap()];
    assert_eq!((s.isolated, s.base, s.isolated_collateral), (1, 20 * SOL as i64, 98 * USDC as i64));
}

#[tokio::test]
async fn a_twenty_x_isolated_long_is_liquidated_and_the_cross_side_is_untouched() {
    let (mut h, t) = isolated_setup().await;
    h.trade(&t, 1, Side::Buy, 5 * SOL).await.unwrap(); // cross: 5 SOL at $100, fee $0.50
    isolated_long(&mut h, &t).await;
    let before = h.margin(&t.account).await;
    assert_eq!(before.quote_balance, 1_899_500_000);
    let cross_slot = before.perps[before.find_perp(1).unwrap()];
    h.assert_conservation().await;

    // $97: the isolated position has 98 − 60 = $38 against MM 2% × $1,940 = $38.80.
    h.set_market_price(0, px(97)).await;
    let (k, fee_to) = keeper(&mut h).await;
    // The cross side is healthy: it is not liquidatable through market 1.
    assert_error(h.liquidate_perp(&k, &fee_to, &t.account, 1).await, FulcrumError::NotLiquidatable);

    let ix = h.liquidate_perp_ix(&k.pubkey(), &fee_to, &t.account, 0).await;
    let logs = h.send_logged(&[ix], &[&k]).await.unwrap();
    let ev = &events::<LiquidationEvent>(&logs)[0];
    assert_eq!((ev.equity_before, ev.requirement_before), (38 * USDC as i64, 38_800_000));
    assert!(ev.base_closed < 0 && ev.base_closed > -(20 * SOL as i64), "partial: {}", ev.base_closed);
    assert!(ev.equity_after as i128 >= buffered_requirement(ev.requirement_after as i128, 100_000).unwrap());

    let after = h.margin(&t.account).await;
    // Not a unit of the cross side moved: quote balance, the cross position, margin-call state.
    assert_eq!(after.quote_balance, before.quote_balance);
    assert_eq!(after.perps[after.find_perp(1).unwrap()], cross_slot);
    assert_eq!((after.in_margin_call, after.margin_call_slot), (before.in_margin_call, before.margin_call_slot));
    let iso = after.perps[after.find_perp(0).unwrap()];
    assert_eq!(iso.base, 20 * SOL as i64 + ev.base_closed);
    // The position's collateral paid the loss on the closed part and both fees.
    let loss = (-ev.base_closed) as i64 * 3 / 1_000; // $3 per SOL, in USDC native per lamport
    assert_eq!(iso.isolated_collateral, 98 * USDC as i64 - loss - (ev.liquidator_fee + ev.insurance_fee) as i64);
    assert_eq!(h.token_balance(&fee_to).await, ev.liquidator_fee);
    h.assert_conservation().await;
}

#[tokio::test]
async fn a_bankrupt_isolated_position_is_covered_by_the_insurance_fund_not_the_account() {
    let (mut h, t) = isolated_setup().await;
    h.fund_insurance(1_000 * USDC).await;
    isolated_long(&mut h, &t).await;
    let pool_before = h.pool_state().await;
    // $90 gap: the position lost $200 against its $98.
    h.set_market_price(0, px(90)).await;
    let (k, fee_to) = keeper(&mut h).await;
    let ix = h.liquidate_perp_ix(&k.pubkey(), &fee_to, &t.account, 0).await;
    let logs = h.send_logged(&[ix], &[&k]).await.unwrap();
    let liq = &events::<LiquidationEvent>(&logs)[0];
    assert_eq!(liq.base_closed, -(20 * SOL as i64));
    assert_eq!((liq.liquidator_fee, liq.insurance_fee), (0, 0), "nothing left to pay fees from");
    let b = &events::<BankruptcyEvent>(&logs)[0];
    assert_eq!((b.debt, b.insurance_paid, b.socialised, b.uncovered), (102 * USDC, 102 * USDC, 0, 0));

    let a = h.margin(&t.account).await;
    assert_eq!(a.quote_balance, 1_900 * USDC as i64, "the cross collateral paid nothing");
    assert_eq!(a.find_perp(0), None, "the isolated slot is closed and empty");
    let pool = h.pool_state().await;
    assert_eq!(pool.insurance_balance, pool_before.insurance_balance - 102 * USDC);
    assert_eq!(
        pool.balance,
        pool_before.balance + 200 * USDC,
        "the pool took the whole loss from the fund and the position"
    );
    h.assert_conservation().await;
}

#[tokio::test]
async fn an_isolated_position_closed_under_water_by_its_owner_is_resolved_like_a_bankruptcy() {
    let (mut h, t) = isolated_setup().await;
    h.fund_insurance(1_000 * USDC).await;
    isolated_long(&mut h, &t).await;
    // $90: the owner closes the $200 loss on $98 of collateral (fee $1.80 at $90).
    h.set_market_price(0, px(90)).await;
    h.close(&t, 0).await.unwrap();
    let a = h.margin(&t.account).await;
    let slot = a.perps[a.find_perp(0).unwrap()];
    assert_eq!((slot.base, slot.isolated_collateral), (0, -103_800_000));
    assert_eq!(a.quote_balance, 1_900 * USDC as i64, "the account does not pay for it");
    h.assert_conservation().await;
    // Nothing to move out, and the keeper resolves it: the fund pays, the slot is freed.
    assert_error(h.transfer_isolated(&t, 0, -1).await, FulcrumError::InsufficientIsolatedCollateral);
    let insurance = h.pool_state().await.insurance_balance;
    let ix = h.resolve_bankruptcy_ix(&t.account);
    let logs = h.send_logged(&[ix], &[]).await.unwrap();
    let b = &events::<BankruptcyEvent>(&logs)[0];
    assert_eq!((b.debt, b.insurance_paid, b.uncovered), (103_800_000, 103_800_000, 0));
    assert_eq!(h.pool_state().await.insurance_balance, insurance - 103_800_000);
    let a = h.margin(&t.account).await;
    assert_eq!((a.find_perp(0), a.quote_balance), (None, 1_900 * USDC as i64));
    assert_error(h.resolve_bankruptcy(&t.account).await, FulcrumError::NotBankrupt);
    h.assert_conservation().await;
}

#[tokio::test]
async fn isolated_collateral_moves_only_while_the_position_keeps_initial_margin() {
    let (mut h, t) = isolated_setup().await;
    isolated_long(&mut h, &t).await;
    // 98 → 88 keeps IM ($80).
    h.transfer_isolated(&t, 0, -10 * USDC as i64).await.unwrap();
    let keys = h.ledger_keys();
    let before = h.snapshot(&keys).await;
    // 88 → 78 would not: refused by name, nothing changes.
    assert_error(
        h.transfer_isolated(&t, 0, -10 * USDC as i64).await,
        FulcrumError::IsolatedCollateralBelowInitialMargin,
    );
    assert_error(h.transfer_isolated(&t, 0, -100 * USDC as i64).await, FulcrumError::InsufficientIsolatedCollateral);
    let quote = h.margin(&t.account).await.quote_balance;
    assert_error(h.transfer_isolated(&t, 0, quote + 1).await, FulcrumError::InsufficientBalance);
    assert_eq!(h.snapshot(&keys).await, before);
    // A cross position cannot take isolated collateral.
    h.trade(&t, 1, Side::Buy, SOL).await.unwrap();
    assert_error(h.transfer_isolated(&t, 1, USDC as i64).await, FulcrumError::PositionModeMismatch);
    // Closed, the position's collateral all comes back and the slot is freed.
    h.close(&t, 0).await.unwrap();
    let a = h.margin(&t.account).await;
    let left = a.perps[a.find_perp(0).unwrap()].isolated_collateral;
    assert_eq!(left, 88 * USDC as i64 - 2 * USDC as i64, "the closing fee came from the position");
    h.transfer_isolated(&t, 0, -left).await.unwrap();
    let a = h.margin(&t.account).await;
    assert_eq!(a.find_perp(0), None);
    // 2,000 − 100 in + 10 out − $0.10 fee of the cross trade + what the position had left.
    assert_eq!(a.quote_balance, 2_000 * USDC as i64 - 100 * USDC as i64 + 10 * USDC as i64 - 100_000 + left);
    h.assert_conservation().await;
}

// ------------------------------------------------------------------ portfolio margin

/// SOL collateral (bank 1: weights 0.90 / 0.95) and SOL-, BTC-, ETH-PERP (markets 0, 1, 2; 10x,
/// MM 5%), every price $100 per 10⁹-unit coin; assets SOL 0, BTC 1, ETH 2 with ρ(BTC, ETH) =
/// `rho`; portfolio floor `floor`, minimum equity $1,000. The collateral discount is 4%: a
/// weight of 0.95 needs less than 5% (`fulcrum_risk::discount_fits`).
async fn portfolio_exchange(floor: u32, rho: i32) -> Harness {
    let mut h =
        Harness::with_params(ExchangeParams { collateral_liquidation_discount: 40_000, ..default_exchange_params() })
            .await;
    let sol = BankParams { init_asset_weight: 900_000, maint_asset_weight: 950_000, ..default_bank_params() };
    h.add_bank(9, OracleFormat::Pull, Quote::at(px(100)), sol).await;
    for _ in 0..3 {
        h.add_market(OracleFormat::Pull, Quote::at(px(100)), default_market_params()).await;
    }
    h.seed_pool(1_000_000 * USDC).await;
    h.set_correlations(CorrelationParams {
        matrix: vec![ONE, 0, 0, 0, ONE, rho, 0, rho, ONE],
        bank_assets: vec![255, 0],
        market_assets: vec![0, 1, 2],
        floor,
        min_equity: 1_000 * USDC,
    })
    .await
    .unwrap();
    h
}

/// Switches `t` to `mode` and returns the event (equity and requirements in the new mode).
async fn switch(h: &mut Harness, t: &Trader, mode: MarginMode) -> MarginModeEvent {
    let ix = h.set_margin_mode_ix(t, mode).await;
    let logs = h.send_logged(&[ix], &[&t.kp]).await.unwrap();
    events::<MarginModeEvent>(&logs).remove(0)
}

#[tokio::test]
async fn sol_collateral_hedged_by_a_short_sol_perp_needs_only_the_floor() {
    let mut h = portfolio_exchange(300_000, 0).await;
    let t = h.trader_with_deposit(1_000 * USDC).await;
    h.fund(&t, 1, 100 * SOL).await; // $10,000 of SOL
    h.trade(&t, 0, Side::Sell, 100 * SOL).await.unwrap(); // short $10,000, fee $10
    let cross = h.report(&t.account).await;
    // Cross: SOL counted at 95% ($9,500) and the short needs 5% ($500).
    assert_eq!((cross.maint.equity, cross.maint.requirement), (10_490 * USDC as i128, 500 * USDC as i128));

    let ev = switch(&mut h, &t, MarginMode::Portfolio).await;
    // Portfolio: SOL at full value; its haircut ($500, long SOL) and the short ($500, short
    // SOL) net to zero, so only the floor remains: 30% of the $1,000 gross.
    assert_eq!((ev.maint_equity, ev.maint_requirement), (10_990 * USDC as i64, 300 * USDC as i64));
    // Initial: haircut 10% ($1,000) against 10% of the short ($1,000): again the floor.
    assert_eq!(ev.init_requirement, 600 * USDC as i64);
    // Cross in exposure form needs $1,000 (= $500 haircut + $500): the portfolio needs 30% of it.
    let cross_exposure_req = cross.maint.requirement + 500 * USDC as i128;
    assert!((ev.maint_requirement as i128) * 10 <= cross_exposure_req * 3);
    let a = h.margin(&t.account).await;
    assert_eq!(a.margin_mode, MarginMode::Portfolio as u8);
    // Its margin checks now carry the correlations: a trade without them is refused by name.
    let mut ix = h.trade_ix(&t, 0, Side::Buy, SOL, None, false).await;
    let corr = ix.accounts.len() - 2; // the pool comes last
    ix.accounts.remove(corr);
    assert_error(h.send(&[ix], &[&t.kp]).await, FulcrumError::MissingCorrelations);
}

#[tokio::test]
async fn a_long_btc_short_eth_pair_at_rho_point_nine_needs_sqrt_point_two_of_cross() {
    let mut h = portfolio_exchange(100_000, 900_000).await;
    let t = h.trader_with_deposit(3_000 * USDC).await;
    h.trade(&t, 1, Side::Buy, 100 * SOL).await.unwrap(); // long $10,000 BTC-PERP
    h.trade(&t, 2, Side::Sell, 100 * SOL).await.unwrap(); // short $10,000 ETH-PERP
    let cross = h.report(&t.account).await;
    assert_eq!((cross.init.requirement, cross.maint.requirement), (2_000 * USDC as i128, 1_000 * USDC as i128));
    let ev = switch(&mut h, &t, MarginMode::Portfolio).await;
    // Worked example: v = ±$500 (MM 5%), √(500² + 500² − 2 × 0.9 × 500 × 500) = 500 √0.2 =
    // $223.606798 (rounded up), 4.47× less than cross; the 10% floor ($100) does not bind.
    assert_eq!(ev.maint_requirement, 223_606_798);
    // Initial (10%): 1,000 √0.2 = $447.213596.
    assert_eq!(ev.init_requirement, 447_213_596);
    assert_eq!(ev.maint_equity as i128, cross.maint.equity, "no collateral: equity is the same in both modes");
}

#[tokio::test]
async fn sol_collateral_and_a_long_sol_perp_pay_the_same_as_cross() {
    let mut h = portfolio_exchange(300_000, 0).await;
    let t = h.trader_with_deposit(1_000 * USDC).await;
    h.fund(&t, 1, 100 * SOL).await;
    h.trade(&t, 0, Side::Buy, 100 * SOL).await.unwrap();
    let cross = h.report(&t.account).await;
    let ev = switch(&mut h, &t, MarginMode::Portfolio).await;
    // Wrong-way risk: the collateral falls with the position, nothing nets, every dollar is
    // charged: free collateral is the cross one to the unit, for both margins.
    assert_eq!(ev.maint_equity as i128 - ev.maint_requirement as i128, cross.maint.free_collateral());
    assert_eq!(ev.init_equity as i128 - ev.init_requirement as i128, cross.init.free_collateral());
    assert_eq!(ev.maint_requirement, 1_000 * USDC as i64);
}

#[tokio::test]
async fn switching_modes_needs_the_minimum_equity_and_cross_initial_margin_on_the_way_back() {
    let mut h = portfolio_exchange(300_000, 900_000).await;
    let small = h.trader_with_deposit(500 * USDC).await;
    let keys = h.ledger_keys();
    let before = h.snapshot(&keys).await;
    assert_error(h.set_margin_mode(&small, MarginMode::Portfolio).await, FulcrumError::PortfolioMinimumEquity);
    assert_eq!(h.snapshot(&keys).await, before);

    let t = h.trader_with_deposit(3_000 * USDC).await;
    h.trade(&t, 1, Side::Buy, 100 * SOL).await.unwrap();
    h.trade(&t, 2, Side::Sell, 100 * SOL).await.unwrap();
    assert_error(h.set_margin_mode(&t, MarginMode::Cross).await, FulcrumError::MarginModeUnchanged);
    switch(&mut h, &t, MarginMode::Portfolio).await;
    // The hedge doubled: portfolio IM max(30% × $4,000, 2,000 √0.2) = $1,200 ≤ $2,960; cross
    // would need $4,000.
    h.trade(&t, 1, Side::Buy, 100 * SOL).await.unwrap();
    h.trade(&t, 2, Side::Sell, 100 * SOL).await.unwrap();
    let keys = h.ledger_keys();
    let before = h.snapshot(&keys).await;
    assert_error(h.set_margin_mode(&t, MarginMode::Cross).await, FulcrumError::CrossModeBelowInitialMargin);
    assert_eq!(h.snapshot(&keys).await, before);
    assert_eq!(h.margin(&t.account).await.margin_mode, MarginMode::Portfolio as u8);
    h.assert_conservation().await;
}

#[tokio::test]
async fn a_portfolio_liquidation_uses_the_portfolio_requirement_and_the_buffer() {
    let mut h = portfolio_exchange(300_000, 900_000).await;
    let t = h.trader_with_deposit(1_500 * USDC).await;
    switch(&mut h, &t, MarginMode::Portfolio).await;
    // Long $10,000 SOL-PERP and $10,000 BTC-PERP, uncorrelated: IM √2 × $1,000 = $1,414 ≤
    // $1,480 (cross would need $2,000).
    h.trade(&t, 0, Side::Buy, 100 * SOL).await.unwrap();
    h.trade(&t, 1, Side::Buy, 100 * SOL).await.unwrap();
    let (k, fee_to) = keeper(&mut h).await;

    // $96: equity $680 against √2 × $480 = $678.82: cross ($960) would liquidate, portfolio not.
    h.set_market_price(0, px(96)).await;
    h.set_market_price(1, px(96)).await;
    let i = h.risk_inputs(&t.account).await;
    let cross = fulcrum_risk::health(&i.risk_account(), fulcrum_risk::MarginKind::Maintenance).unwrap();
    assert!(!cross.is_met(), "below cross maintenance");
    assert!(h.report(&t.account).await.maint.is_met(), "above portfolio maintenance");
    assert_error(h.liquidate_perp(&k, &fee_to, &t.account, 0).await, FulcrumError::NotLiquidatable);

    // $95.90: equity $660 against √2 × $479.50 = $678.12.
    h.set_market_price(0, px(95) + 90_000_000).await;
    h.set_market_price(1, px(95) + 90_000_000).await;
    let inputs = h.risk_inputs(&t.account).await;
    let corr = fulcrum_risk::Correlation {
        n: 3,
        c: {
            let mut c = [[0; fulcrum_risk::MAX_ASSETS]; fulcrum_risk::MAX_ASSETS];
            c[0][0] = ONE;
            c[1][1] = ONE;
            c[2][2] = ONE;
            c[1][2] = 900_000;
            c[2][1] = 900_000;
            c
        },
    };
    let model = fulcrum_risk::MarginModel::Portfolio(fulcrum_risk::PortfolioModel {
        collateral_assets: &[],
        perp_assets: &[0, 1],
        correlation: &corr,
        floor: 300_000,
    });
    let account = inputs.risk_account();
    let maint = fulcrum_risk::model_health(&account, &model, fulcrum_risk::MarginKind::Maintenance).unwrap();
    assert_eq!((maint.equity, maint.requirement), (660 * USDC as i128, 678_115_404)); // rounded up
    let exchange: fulcrum::state::Exchange = h.load(&h.exchange.clone()).await;
    let plan = fulcrum_risk::plan_perp_liquidation_in(&account, &model, 0, SOL / 1_000, &exchange.liquidation_params())
        .unwrap();
    let cross_plan =
        fulcrum_risk::plan_perp_liquidation(&account, 0, SOL / 1_000, &exchange.liquidation_params()).unwrap();

    let ix = h.liquidate_perp_ix(&k.pubkey(), &fee_to, &t.account, 0).await;
    let logs = h.send_logged(&[ix], &[&k]).await.unwrap();
    let ev = &events::<LiquidationEvent>(&logs)[0];
    assert_eq!((ev.equity_before as i128, ev.requirement_before as i128), (maint.equity, maint.requirement));
    assert_eq!(ev.base_closed, plan.base_delta);
    assert_eq!(
        (ev.equity_after as i128, ev.requirement_after as i128),
        (plan.maint_after.equity, plan.maint_after.requirement)
    );
    assert!(ev.equity_after as i128 >= buffered_requirement(ev.requirement_after as i128, 100_000).unwrap());
    assert!(ev.base_closed > -(100 * SOL as i64), "partial");
    assert!(plan.base_delta.abs() < cross_plan.base_delta.abs(), "netting: cut less than cross would");
    h.assert_conservation().await;
}

#[tokio::test]
async fn set_correlations_refuses_each_kind_of_bad_matrix_by_name() {
    let mut h = Harness::new().await;
    for _ in 0..3 {
        h.add_market(OracleFormat::Pull, Quote::at(px(100)), default_market_params()).await;
    }
    let p = |matrix: Vec<i32>| CorrelationParams {
        matrix,
        bank_assets: vec![],
        market_assets: vec![0, 1, 2],
        floor: 300_000,
        min_equity: 0,
    };
    let keys = h.ledger_keys();
    let before = h.snapshot(&keys).await;
    let cases = [
        (vec![ONE, 500_000, 0, 400_000, ONE, 0, 0, 0, ONE], FulcrumError::CorrelationNotSymmetric),
        (vec![ONE, 0, 0, 0, 999_999, 0, 0, 0, ONE], FulcrumError::CorrelationDiagonalNotOne),
        (vec![ONE, 1_000_001, 0, 1_000_001, ONE, 0, 0, 0, ONE], FulcrumError::CorrelationOutOfRange),
        // 0.9, 0.9 and −0.9: no three assets can be correlated like that.
        (
            vec![ONE, 900_000, 900_000, 900_000, ONE, -900_000, 900_000, -900_000, ONE],
            FulcrumError::CorrelationNotPositiveSemiDefinite,
        ),
        (vec![ONE; 5], FulcrumError::TooManyAssets),
        (vec![ONE; 13 * 13], FulcrumError::TooManyAssets),
    ];
    for (matrix, err) in cases {
        assert_error(h.set_correlations(p(matrix)).await, err);
        assert_eq!(h.snapshot(&keys).await, before);
    }
    // A market placed on an asset the matrix does not have.
    let mut bad = p(vec![ONE, 0, 0, ONE]);
    bad.market_assets = vec![0, 1, 2];
    assert_error(h.set_correlations(bad).await, FulcrumError::InvalidParameter);
    // A valid one is stored as given.
    h.set_correlations(p(vec![ONE, 300_000, 0, 300_000, ONE, 0, 0, 0, ONE])).await.unwrap();
    let c: fulcrum::state::Correlations = h.load(&correlations_address(&h.exchange)).await;
    assert_eq!((c.num_assets, c.floor, c.matrix[0][1], c.market_assets[2]), (3, 300_000, 300_000, 2));
}

#[tokio::test]
async fn a_portfolio_account_on_an_unmapped_market_margins_it_on_its_own_and_stays_liquidatable() {
    let mut h = portfolio_exchange(300_000, 900_000).await;
    let t = h.trader_with_deposit(3_000 * USDC).await;
    switch(&mut h, &t, MarginMode::Portfolio).await;
    h.trade(&t, 1, Side::Buy, 100 * SOL).await.unwrap();
    h.trade(&t, 2, Side::Sell, 100 * SOL).await.unwrap();
    h.trade(&t, 1, Side::Buy, 100 * SOL).await.unwrap(); // portfolio IM: max($900, …) on $2,970
                                                         // The admin takes ETH-PERP off the asset map.
    h.set_correlations(CorrelationParams {
        matrix: vec![ONE, 0, 0, 0, ONE, 900_000, 0, 900_000, ONE],
        bank_assets: vec![255, 0],
        market_assets: vec![0, 1, 255],
        floor: 300_000,
        min_equity: 1_000 * USDC,
    })
    .await
    .unwrap();
    assert_eq!(h.margin(&t.account).await.margin_mode, MarginMode::Portfolio as u8);
    // BTC −8% (−$1,600): equity $1,370. ETH, off the map, nets with nothing: the requirement is
    // max(30% × $1,420, √(920²) + $500) = $1,420 (the hedge is gone, as in cross), where the
    // mapped pair would ask √(920² + 500² − 2 × 0.9 × 920 × 500) = $518. Liquidatable.
    h.set_market_price(1, px(92)).await;
    let i = h.risk_inputs(&t.account).await;
    assert_eq!(i.perp_assets, vec![1, fulcrum_risk::STANDALONE]);
    let maint =
        fulcrum_risk::model_health(&i.risk_account(), &i.model(), fulcrum_risk::MarginKind::Maintenance).unwrap();
    assert_eq!((maint.equity, maint.requirement), (1_370 * USDC as i128, 1_420 * USDC as i128));
    let (k, fee_to) = keeper(&mut h).await;
    let ix = h.liquidate_perp_ix(&k.pubkey(), &fee_to, &t.account, 1).await;
    let logs = h.send_logged(&[ix], &[&k]).await.unwrap();
    let ev = &events::<LiquidationEvent>(&logs)[0];
    assert_eq!((ev.equity_before as i128, ev.requirement_before as i128), (maint.equity, maint.requirement));
    assert!(ev.requirement_after < ev.requirement_before);
    h.assert_conservation().await;
}
