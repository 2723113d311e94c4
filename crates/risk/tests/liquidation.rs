//! Liquidation sizing: restores the buffer when reachable, minimal within one step, fees never
//! exceed what the account is worth; collateral liquidation and bankruptcy splits.

use fulcrum_risk::*;
use proptest::prelude::*;

const SOL: i64 = 1_000_000_000;
const USD: i64 = 1_000_000;

fn market(price: u64, imf: u32) -> PerpMarketRisk {
    PerpMarketRisk {
        price: Price::flat(price),
        base_decimals: 9,
        init_margin_ratio: 100_000,
        maint_margin_ratio: 50_000,
        imf,
        cumulative_funding: 0,
        pnl_haircut: Default::default(),
        cumulative_borrow: 0,
    }
}

const PARAMS: LiquidationParams = LiquidationParams {
    buffer: 100_000,
    liquidator_fee: 5_000,
    insurance_fee: 2_500,
    dust_notional: 10_000_000,
    collateral_discount: 0,
};

#[test]
fn ten_x_long_at_94_closes_just_enough() {
    // 1,000 USDC (less a $9.50 fee), long 95 SOL from $100, now $94: equity $420.50 < MM $446.50.
    let pos = PerpPosition { base: 95 * SOL, quote_entry: -9_500 * USD, funding_snapshot: 0 };
    let perps = [PerpExposure { position: pos, market: market(94_000_000_000, 0) }];
    let acct =
        RiskAccount { quote_balance: 990_500_000, collateral: &[], perps: &perps, params: AccountParams::default() };
    let plan = plan_perp_liquidation(&acct, 0, 1_000_000, &PARAMS).unwrap();
    // 420.50 − 0.705 c ≥ 1.1 × 0.05 × 94 × (95 − c)  ⇔  c ≥ 15.8231 SOL: 15.824 in 0.001 steps.
    assert_eq!(plan.base_delta, -15_824_000_000);
    assert_eq!(plan.fill_quote, 1_487_456_000);
    assert_eq!((plan.liquidator_fee, plan.insurance_fee), (7_437_280, 3_718_640));
    assert!(plan.maint_after.equity >= buffered_requirement(plan.maint_after.requirement, PARAMS.buffer).unwrap());
}

#[test]
fn margin_call_enters_below_maintenance_and_leaves_above_the_buffer() {
    let below = Health { equity: 99, requirement: 100 };
    let band = Health { equity: 105, requirement: 100 };
    let above = Health { equity: 110, requirement: 100 };
    assert!(in_margin_call(false, &below, 100_000).unwrap());
    assert!(!in_margin_call(false, &band, 100_000).unwrap());
    assert!(in_margin_call(true, &band, 100_000).unwrap());
    assert!(!in_margin_call(true, &above, 100_000).unwrap());
    // Grace and the hard threshold.
    assert!(!is_liquidatable(&band, 10, 20, 150, 800_000).unwrap());
    assert!(!is_liquidatable(&below, 10, 20, 150, 800_000).unwrap());
    assert!(is_liquidatable(&below, 10, 161, 150, 800_000).unwrap());
    assert!(is_liquidatable(&Health { equity: 79, requirement: 100 }, 10, 20, 150, 800_000).unwrap());
}

#[test]
fn bankruptcy_takes_insurance_first_then_the_pool() {
    let r = resolve_bankruptcy(150, 100, 1_000);
    assert_eq!((r.insurance_paid, r.socialised, r.uncovered), (100, 50, 0));
    let r = resolve_bankruptcy(150, 0, 40);
    assert_eq!((r.insurance_paid, r.socialised, r.uncovered), (0, 40, 110));
}

#[test]
fn collateral_sells_at_the_discount() {
    // $52.25 per SOL for $275.50: 5.272727272 SOL.
    assert_eq!(discounted_collateral(275_500_000, 55_000_000_000, 50_000).unwrap(), 5_272_727_272);
}

#[test]
fn dust_collateral_is_sold_whole_for_one_unit() {
    // 3 lamports of SOL at $100 = 0.3 units: nothing a repayment could buy at a discount.
    let c = [Collateral {
        amount: 3,
        price: Price::flat(100_000_000_000),
        init_asset_weight: 800_000,
        maint_asset_weight: 900_000,
    }];
    let acct = RiskAccount { quote_balance: -5, collateral: &c, perps: &[], params: AccountParams::default() };
    let plan = plan_collateral_liquidation(&acct, 0, 1_000, 50_000, 100_000).unwrap();
    assert_eq!((plan.repay, plan.collateral_out), (1, 3));
}

/// 10 SOL of collateral at $100 (sold at a 5% discount: $950), no quote, a 50 SOL long from
/// $100 at $81.30: the close realises −$935 and leaves the quote at −$940.
fn collateral_backed_crash() -> ([Collateral; 1], [PerpExposure; 1]) {
    let c = [Collateral {
        amount: 10 * SOL as u64,
        price: Price::flat(100_000_000_000),
        init_asset_weight: 800_000,
        maint_asset_weight: 900_000,
    }];
    let pos = PerpPosition { base: 50 * SOL, quote_entry: -5_000 * USD, funding_snapshot: 0 };
    (c, [PerpExposure { position: pos, market: market(81_300_000_000, 0) }])
}

#[test]
fn the_fee_cap_counts_collateral_at_its_sale_price() {
    let (c, perps) = collateral_backed_crash();
    let acct = RiskAccount { quote_balance: -5 * USD, collateral: &c, perps: &perps, params: AccountParams::default() };
    // At full value $60 would be left for the fees ($30.49 nominal); at the sale value $10.
    let full = plan_perp_liquidation(&acct, 0, 1_000_000, &PARAMS).unwrap();
    assert_eq!(full.liquidator_fee + full.insurance_fee, 30_487_500);
    let params = LiquidationParams { collateral_discount: 50_000, ..PARAMS };
    let plan = plan_perp_liquidation(&acct, 0, 1_000_000, &params).unwrap();
    assert_eq!(plan.base_delta, -50 * SOL);
    assert_eq!((plan.liquidator_fee, plan.insurance_fee), (6_666_666, 3_333_334));
    // The collateral sale then repays the whole debt.
    let quote = -5 * USD + plan.realized_pnl - 10 * USD;
    let after = RiskAccount { quote_balance: quote, perps: &[], ..acct };
    let sale = plan_collateral_liquidation(&after, 0, u64::MAX, 50_000, 100_000).unwrap();
    assert_eq!((sale.repay, sale.collateral_out), (950 * USD as u64, 10 * SOL as u64));
}

fn crashed_account() -> impl Strategy<Value = (i64, PerpPosition, PerpMarketRisk)> {
    // Entry $20..$200, leverage 2x..10x, long or short, then a move of −30%..+30% against.
    (20u64..200, 2i64..=10, 1i64..1_000, any::<bool>(), 1u64..300, 0u32..2_000).prop_map(
        |(entry, lev, size, short, moved, imf)| {
            let entry_p = entry * 1_000_000_000;
            let base = if short { -size * SOL / 10 } else { size * SOL / 10 };
            let quote_entry = fill_quote_flow(base, entry_p).unwrap() as i64;
            let notional = (base.unsigned_abs() as u128 * entry_p as u128 / PRICE_SCALE) as i64;
            let quote = notional / lev;
            let shift = entry_p / 1_000 * moved;
            let price = if short { entry_p + shift } else { entry_p.saturating_sub(shift).max(1_000_000) };
            (quote, PerpPosition { base, quote_entry, funding_snapshot: 0 }, market(price, imf))
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn fees_never_exceed_what_a_collateral_sale_would_leave(
        (quote, pos, m) in crashed_account(),
        sol in 0u64..30,
        discount in 0u32..200_000,
    ) {
        let c = [Collateral {
            amount: sol * SOL as u64 / 10,
            price: Price::flat(m.price.oracle),
            init_asset_weight: 800_000,
            maint_asset_weight: 900_000,
        }];
        let perps = [PerpExposure { position: pos, market: m }];
        // The collateral stands in for that much of the quote (so the account is no healthier).
        let value = i128::from(c[0].amount) * i128::from(c[0].price.oracle) / PRICE_SCALE as i128;
        let quote = quote - value as i64;
        let acct = RiskAccount { quote_balance: quote, collateral: &c, perps: &perps, params: AccountParams::default() };
        prop_assume!(!health(&acct, MarginKind::Maintenance)?.is_met());
        let params = LiquidationParams { collateral_discount: discount, ..PARAMS };
        let plan = plan_perp_liquidation(&acct, 0, 1_000_000, &params)?;
        let fees = i128::from(plan.liquidator_fee + plan.insurance_fee);
        let sale = value * i128::from(1_000_000 - discount) / 1_000_000;
        // Equity with the collateral at its sale price: never pushed below zero by the fees.
        let worth = plan.equity_after - value + sale;
        prop_assert!(worth >= 0 || fees == 0, "fees {fees} leave {worth}");
    }

    #[test]
    fn sizing_restores_the_buffer_minimally_and_fees_never_exceed_equity((quote, pos, m) in crashed_account(), step_exp in 3u32..7) {
        let perps = [PerpExposure { position: pos, market: m }];
        let acct = RiskAccount { quote_balance: quote, collateral: &[], perps: &perps, params: AccountParams::default() };
        let maint = health(&acct, MarginKind::Maintenance)?;
        prop_assume!(!maint.is_met());
        let step = 10u64.pow(step_exp);
        let plan = plan_perp_liquidation(&acct, 0, step, &PARAMS)?;
        let closed = plan.base_delta.unsigned_abs();
        let target = buffered_requirement(plan.maint_after.requirement, PARAMS.buffer)?;
        let all = closed == pos.base.unsigned_abs();

        // The state the plan reports is what the engine computes for the account afterwards.
        let after_perps = [PerpExposure { position: plan.position, market: m }];
        let quote_after = quote + plan.realized_pnl - (plan.liquidator_fee + plan.insurance_fee) as i64;
        let after = RiskAccount { quote_balance: quote_after, perps: &after_perps, ..acct };
        prop_assert_eq!(health(&after, MarginKind::Maintenance)?, plan.maint_after);
        prop_assert_eq!(raw_equity(&after)?, plan.equity_after);

        // Fees never create bad debt: equity after ≥ 0 unless it was negative without any fee.
        let no_fee_equity = plan.equity_after + (plan.liquidator_fee + plan.insurance_fee) as i128;
        prop_assert!(plan.equity_after >= 0 || plan.liquidator_fee + plan.insurance_fee == 0);
        prop_assert!(plan.equity_after >= no_fee_equity.min(0));

        if plan.maint_after.equity >= target {
            // Reached: one step less would not have been enough (unless it is the first step or
            // the dust rule closed the rest).
            if closed > step && !all {
                let less = closed - step;
                let fill = apply_fill(&pos, &m, -pos.base.signum() * less as i64, m.price.oracle, 0)?;
                let fee_rate = (PARAMS.liquidator_fee + PARAMS.insurance_fee) as u128;
                let fees = (fill.fill_quote as u128 * fee_rate).div_ceil(1_000_000) as i64;
                let p2 = [PerpExposure { position: fill.position, market: m }];
                let a2 = RiskAccount { quote_balance: quote + fill.realized_pnl - fees, perps: &p2, ..acct };
                let h2 = health(&a2, MarginKind::Maintenance)?;
                prop_assert!(h2.equity < buffered_requirement(h2.requirement, PARAMS.buffer)?, "one step less was enough");
            }
        } else {
            // Out of reach: everything is closed.
            prop_assert!(all, "unreachable target must close the whole position");
        }
    }

    #[test]
    fn collateral_liquidation_never_overpays(
        amount in 1u64..100_000_000_000, price in 1_000_000_000u64..200_000_000_000, debt_frac in 50u64..150, offer in 1u64..u64::MAX / 4,
    ) {
        let c = [Collateral { amount, price: Price::flat(price), init_asset_weight: 800_000, maint_asset_weight: 900_000 }];
        let value = (amount as u128 * price as u128 / PRICE_SCALE) as i64;
        let debt = value / 100 * debt_frac as i64 + 1;
        let acct = RiskAccount { quote_balance: -debt, collateral: &c, perps: &[], params: AccountParams::default() };
        prop_assume!(!health(&acct, MarginKind::Maintenance)?.is_met());
        let Ok(plan) = plan_collateral_liquidation(&acct, 0, offer, 50_000, 100_000) else { return Ok(()); };
        prop_assert!(plan.repay <= offer && plan.repay as i64 <= debt);
        prop_assert!(plan.collateral_out <= amount);
        prop_assert!(plan.collateral_out <= discounted_collateral(plan.repay, price, 50_000)?);
        if plan.maint_after.is_met() && plan.repay > 1 {
            // Minimal: a unit less does not restore maintenance.
            let out = discounted_collateral(plan.repay - 1, price, 50_000)?.min(amount);
            let c2 = [Collateral { amount: amount - out, ..c[0] }];
            let a2 = RiskAccount { quote_balance: -debt + plan.repay as i64 - 1, collateral: &c2, ..acct };
            prop_assert!(!health(&a2, MarginKind::Maintenance)?.is_met());
        }
    }
}
