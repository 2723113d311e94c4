//! Portfolio margin: worked examples and properties.

use fulcrum_risk::*;
use proptest::prelude::*;

const ONE: i32 = 1_000_000;

fn perp(base: i64, price: u64, ratio: u32) -> PerpExposure {
    PerpExposure {
        position: PerpPosition { base, quote_entry: fill_quote_flow(base, price).unwrap() as i64, funding_snapshot: 0 },
        market: PerpMarketRisk {
            price: Price::flat(price),
            base_decimals: 9,
            init_margin_ratio: ratio * 2,
            maint_margin_ratio: ratio,
            imf: 0,
            cumulative_funding: 0,
            pnl_haircut: Default::default(),
            cumulative_borrow: 0,
        },
    }
}

fn corr(n: usize, rho: i32) -> Correlation {
    let mut c = Correlation::identity(n);
    for i in 0..n {
        for j in 0..n {
            if i != j {
                c.c[i][j] = rho;
            }
        }
    }
    c
}

#[test]
fn btc_eth_pair_at_ninety_percent_correlation() {
    // Long $10,000 BTC-PERP, short $10,000 ETH-PERP, 5% maintenance each: v = ±$500.
    let perps = [perp(1_000_000_000, 10_000_000_000_000, 50_000), perp(-5_000_000_000, 2_000_000_000_000, 50_000)];
    let a =
        RiskAccount { quote_balance: 2_000_000_000, collateral: &[], perps: &perps, params: AccountParams::default() };
    let c = corr(2, 900_000);
    let e = exposures(&a, &[], &[0, 1], MarginKind::Maintenance).unwrap();
    assert_eq!((e.per_asset[0], e.per_asset[1], e.gross), (500_000_000, -500_000_000, 1_000_000_000));
    // √(500² + 500² − 2 × 0.9 × 500²) = 500 √0.2 = $223.61: 4.47× less than cross ($1,000) …
    assert_eq!(correlated_risk(&e.per_asset, &c).unwrap(), 223_606_798);
    // … but the 30% floor holds it at $300 (3.33× less).
    assert_eq!(portfolio_requirement(&e, &c, 300_000).unwrap(), 300_000_000);
    assert_eq!(portfolio_requirement(&e, &c, 0).unwrap(), 223_606_798);
    assert_eq!(health(&a, MarginKind::Maintenance).unwrap().requirement, 1_000_000_000);
}

#[test]
fn collateral_hedged_by_a_short_perp_nets_and_a_long_perp_is_charged_in_full() {
    // 100 SOL collateral at $100 (maint weight 0.95: v = $500) and a 100 SOL perp at 5% ($500).
    let sol = [Collateral {
        amount: 100_000_000_000,
        price: Price::flat(100_000_000_000),
        init_asset_weight: 900_000,
        maint_asset_weight: 950_000,
    }];
    let c = Correlation::identity(1);
    let short = [perp(-100_000_000_000, 100_000_000_000, 50_000)];
    let a = RiskAccount { quote_balance: 0, collateral: &sol, perps: &short, params: AccountParams::default() };
    let e = exposures(&a, &[0], &[0], MarginKind::Maintenance).unwrap();
    assert_eq!((e.per_asset[0], e.gross), (0, 1_000_000_000));
    assert_eq!(portfolio_requirement(&e, &c, 300_000).unwrap(), 300_000_000); // floor × gross
    let long = [perp(100_000_000_000, 100_000_000_000, 50_000)];
    let a = RiskAccount { perps: &long, ..a };
    let e = exposures(&a, &[0], &[0], MarginKind::Maintenance).unwrap();
    assert_eq!(portfolio_requirement(&e, &c, 300_000).unwrap(), e.gross); // wrong-way: no relief
                                                                          // Cross in exposure form is cross, to the unit.
    for kind in [MarginKind::Initial, MarginKind::Maintenance] {
        let h = health(&a, kind).unwrap();
        assert_eq!(cross_free_collateral_from_exposures(&a, &[0], &[0], kind).unwrap(), h.free_collateral());
    }
}

#[test]
fn correlation_matrices_are_validated() {
    assert_eq!(corr(4, 300_000).validate(), Ok(()));
    let mut m = corr(3, 500_000);
    m.c[0][1] = 400_000;
    assert_eq!(m.validate(), Err(CorrelationError::NotSymmetric));
    let mut m = corr(3, 500_000);
    m.c[2][2] = 999_999;
    assert_eq!(m.validate(), Err(CorrelationError::DiagonalNotOne));
    let mut m = corr(2, 0);
    m.c[0][1] = 1_000_001;
    m.c[1][0] = 1_000_001;
    assert_eq!(m.validate(), Err(CorrelationError::OutOfRange));
    // 0.9, 0.9 and −0.9: no three assets can be correlated like that.
    let mut m = corr(3, 900_000);
    m.c[1][2] = -900_000;
    m.c[2][1] = -900_000;
    assert_eq!(m.validate(), Err(CorrelationError::NotPositiveSemiDefinite));
    // Perfect correlation is semi-definite (zero pivots) and accepted.
    assert_eq!(corr(5, ONE).validate(), Ok(()));
}

fn arb_perps() -> impl Strategy<Value = Vec<(PerpExposure, u8)>> {
    proptest::collection::vec(
        (-1_000_000_000_000i64..1_000_000_000_000, 1_000_000_000u64..100_000_000_000_000, 10_000u32..200_000, 0u8..4)
            .prop_map(|(b, p, r, a)| (perp(b, p, r), a)),
        1..8,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn portfolio_sits_between_the_floor_and_cross(ps in arb_perps(), rho in -300_000i32..=1_000_000, floor in 0u32..=1_000_000) {
        let perps: Vec<_> = ps.iter().map(|p| p.0).collect();
        let assets: Vec<_> = ps.iter().map(|p| p.1).collect();
        let a = RiskAccount { quote_balance: 0, collateral: &[], perps: &perps, params: AccountParams::default() };
        let c = corr(4, rho);
        prop_assume!(c.validate().is_ok());
        let e = exposures(&a, &[], &assets, MarginKind::Maintenance)?;
        let req = portfolio_requirement(&e, &c, floor)?;
        let floored = (e.gross as u128 * floor as u128).div_ceil(1_000_000) as i128;
        prop_assert!(req >= floored);
        prop_assert!(correlated_risk(&e.per_asset, &c)? <= e.gross + 1, "netting never charges more than cross");
    }

    #[test]
    fn all_ones_and_one_sign_is_cross(ps in arb_perps()) {
        let perps: Vec<_> = ps.iter().map(|p| { let mut q = p.0; q.position.base = q.position.base.abs().max(1); q.position.quote_entry = -1; q }).collect();
        let assets: Vec<_> = ps.iter().map(|p| p.1).collect();
        let a = RiskAccount { quote_balance: 0, collateral: &[], perps: &perps, params: AccountParams::default() };
        let e = exposures(&a, &[], &assets, MarginKind::Maintenance)?;
        let r = correlated_risk(&e.per_asset, &corr(4, ONE))?;
        prop_assert!(r == e.gross || r == e.gross + 1, "{} vs {}", r, e.gross);
    }

    #[test]
    fn scaling_every_exposure_scales_the_requirement(v in proptest::collection::vec(-1_000_000_000_000i128..1_000_000_000_000, 4), k in 0i128..1_000, rho in -300_000i32..=1_000_000) {
        let c = corr(4, rho);
        prop_assume!(c.validate().is_ok());
        let mut a = [0i128; MAX_ASSETS];
        let mut b = [0i128; MAX_ASSETS];
        for i in 0..4 { a[i] = v[i]; b[i] = v[i] * k; }
        let ra = correlated_risk(&a, &c)?;
        let rb = correlated_risk(&b, &c)?;
        // Rounding: < 1 unit for each root, and the row sums' < 1 unit per exposure unit, which
        // moves the root by < Σ|v| / (2 √x): bounded per scaled unit by 2 + Σ|v| / root.
        let gross: i128 = v.iter().map(|x| x.abs()).sum();
        let tolerance = k * (2 + gross / ra.max(1)) + 2;
        prop_assert!((rb - ra * k).abs() <= tolerance, "{} vs {} × {}", rb, ra, k);
    }

    #[test]
    fn relabelling_assets_changes_nothing(v in proptest::collection::vec(-1_000_000_000_000i128..1_000_000_000_000, 4), r01 in -300_000i32..900_000, r23 in -300_000i32..900_000) {
        let mut c = Correlation::identity(4);
        c.c[0][1] = r01; c.c[1][0] = r01; c.c[2][3] = r23; c.c[3][2] = r23;
        prop_assume!(c.validate().is_ok());
        // Swap assets 0 ↔ 2 and 1 ↔ 3.
        let perm = [2usize, 3, 0, 1];
        let mut cp = Correlation::identity(4);
        let mut a = [0i128; MAX_ASSETS];
        let mut b = [0i128; MAX_ASSETS];
        for i in 0..4 {
            a[i] = v[i];
            b[perm[i]] = v[i];
            for j in 0..4 { cp.c[perm[i]][perm[j]] = c.c[i][j]; }
        }
        prop_assert_eq!(correlated_risk(&a, &c)?, correlated_risk(&b, &cp)?);
    }
}

fn model<'a>(collateral_assets: &'a [u8], perp_assets: &'a [u8], c: &'a Correlation, floor: u32) -> MarginModel<'a> {
    MarginModel::Portfolio(PortfolioModel { collateral_assets, perp_assets, correlation: c, floor })
}

#[test]
fn a_lone_position_has_the_same_liquidation_price_in_both_modes() {
    // One 10 SOL long at $100 with $150 of quote: no collateral and one exposure, so the
    // portfolio requirement is the cross one and the bisection lands on the closed form.
    for base in [10_000_000_000i64, -10_000_000_000] {
        let perps = [perp(base, 100_000_000_000, 50_000)];
        let a = RiskAccount {
            quote_balance: 150_000_000,
            collateral: &[],
            perps: &perps,
            params: AccountParams::default(),
        };
        let c = Correlation::identity(1);
        let cross = liquidation_price(&a, 0).unwrap().unwrap();
        let port = model_liquidation_price(&a, &model(&[], &[0], &c, 0), 0).unwrap().unwrap();
        assert!(cross.abs_diff(port) <= 1_000, "{base}: cross {cross} vs portfolio {port}");
        // The contract: liquidatable at the returned price, not one step inside it.
        let at = |p: u64| {
            let mut q = perps;
            q[0].market.price = Price::flat(p);
            let a = RiskAccount { perps: &q, ..a };
            model_health(&a, &model(&[], &[0], &c, 0), MarginKind::Maintenance).unwrap().is_met()
        };
        assert!(!at(port));
        assert!(at(if base > 0 { port + 1 } else { port - 1 }));
    }
}

#[test]
fn a_diversified_portfolio_liquidation_cuts_less_than_cross() {
    // Two $10,000 longs on uncorrelated assets at 10% maintenance (v = $1,000 each), $1,300 of
    // quote. Cross needs $2,000; portfolio √(1,000² + 1,000²) = $1,414. Both are below
    // maintenance; restoring 1.1 × requirement takes cutting $9,500 of the first long in
    // cross but only $5,200 in portfolio.
    let perps = [perp(100_000_000_000, 100_000_000_000, 100_000), perp(100_000_000_000, 100_000_000_000, 100_000)];
    let a =
        RiskAccount { quote_balance: 1_300_000_000, collateral: &[], perps: &perps, params: AccountParams::default() };
    let c = corr(2, 0);
    let m = model(&[], &[0, 1], &c, 300_000);
    let params = LiquidationParams {
        buffer: 100_000,
        liquidator_fee: 10_000,
        insurance_fee: 5_000,
        dust_notional: 0,
        collateral_discount: 0,
    };
    assert_eq!(health(&a, MarginKind::Maintenance).unwrap().requirement, 2_000_000_000);
    assert_eq!(model_health(&a, &m, MarginKind::Maintenance).unwrap().requirement, 1_414_213_563);
    let pc = plan_perp_liquidation(&a, 0, 1_000_000_000, &params).unwrap();
    let pp = plan_perp_liquidation_in(&a, &m, 0, 1_000_000_000, &params).unwrap();
    assert_eq!(pc.base_delta, -95_000_000_000);
    assert_eq!(pp.base_delta, -52_000_000_000);
    // The plan's health is the model's health of the account after it, to the unit.
    let mut after = perps;
    after[0].position = pp.position;
    let q = a.quote_balance + pp.realized_pnl - (pp.liquidator_fee + pp.insurance_fee) as i64;
    let a2 = RiskAccount { quote_balance: q, perps: &after, ..a };
    assert_eq!(model_health(&a2, &m, MarginKind::Maintenance).unwrap(), pp.maint_after);
    assert!(pp.maint_after.equity >= buffered_requirement(pp.maint_after.requirement, params.buffer).unwrap());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn a_perfectly_correlated_hedge_never_costs_more_than_cross(ps in arb_perps(), hedge in 1i64..1_000_000_000_000, floor in 0u32..=1_000_000) {
        // Any book plus a short on asset 1 (perfectly correlated with asset 0 in this matrix).
        let mut perps: Vec<_> = ps.iter().map(|p| p.0).collect();
        let mut assets: Vec<_> = ps.iter().map(|p| p.1).collect();
        perps.truncate(7);
        assets.truncate(7);
        perps.push(perp(-hedge, 1_000_000_000, 50_000));
        assets.push(1);
        let mut c = corr(4, 0);
        c.c[0][1] = ONE;
        c.c[1][0] = ONE;
        let a = RiskAccount { quote_balance: 0, collateral: &[], perps: &perps, params: AccountParams::default() };
        let e = exposures(&a, &[], &assets, MarginKind::Maintenance)?;
        let cross = health(&a, MarginKind::Maintenance)?.requirement;
        prop_assert!(portfolio_requirement(&e, &c, floor)? <= cross + 1);
    }

    #[test]
    fn portfolio_plans_agree_with_the_model_after_them(
        ps in arb_perps(), debt in 0i64..2_000_000_000_000, rho in 0i32..=1_000_000, step in 1u64..1_000_000_000
    ) {
        let perps: Vec<_> = ps.iter().map(|p| p.0).collect();
        let assets: Vec<_> = ps.iter().map(|p| p.1).collect();
        let c = corr(4, rho);
        let m = model(&[], &assets, &c, 300_000);
        let a = RiskAccount { quote_balance: -debt, collateral: &[], perps: &perps, params: AccountParams::default() };
        let params = LiquidationParams { buffer: 50_000, liquidator_fee: 10_000, insurance_fee: 5_000, dust_notional: 0, collateral_discount: 0 };
        let i = largest_requirement(&a)?.unwrap_or(0);
        prop_assume!(perps[i].position.base != 0);
        let plan = plan_perp_liquidation_in(&a, &m, i, step, &params)?;
        let mut after = perps.clone();
        after[i].position = plan.position;
        let q = a.quote_balance + plan.realized_pnl - (plan.liquidator_fee + plan.insurance_fee) as i64;
        let a2 = RiskAccount { quote_balance: q, perps: &after, ..a };
        prop_assert_eq!(model_health(&a2, &m, MarginKind::Maintenance)?, plan.maint_after);
    }
}

fn arb_assets_or_standalone() -> impl Strategy<Value = Vec<(PerpExposure, u8)>> {
    arb_perps().prop_flat_map(|ps| {
        let n = ps.len();
        (Just(ps), proptest::collection::vec(proptest::bool::weighted(0.2), n)).prop_map(|(ps, off)| {
            ps.into_iter().zip(off).map(|((p, a), off)| (p, if off { STANDALONE } else { a })).collect()
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Issue 12 item 2b: whatever position a portfolio liquidation cuts, by however coarse a
    /// step, the netted requirement after it is no higher than before (a hedge is cut, not
    /// unhedged); the target, when there is one, is cut by at least one step.
    #[test]
    fn a_portfolio_liquidation_never_raises_the_requirement(
        ps in arb_assets_or_standalone(), debt in 0i64..2_000_000_000_000, rho in -300_000i32..=1_000_000,
        floor in 0u32..=500_000, step in 1u64..100_000_000_000
    ) {
        let perps: Vec<_> = ps.iter().map(|p| p.0).collect();
        let assets: Vec<_> = ps.iter().map(|p| p.1).collect();
        let c = corr(4, rho);
        let m = model(&[], &assets, &c, floor);
        let a = RiskAccount { quote_balance: -debt, collateral: &[], perps: &perps, params: AccountParams::default() };
        let before = model_health(&a, &m, MarginKind::Maintenance)?;
        let params = LiquidationParams { buffer: 50_000, liquidator_fee: 10_000, insurance_fee: 5_000, dust_notional: 1_000_000, collateral_discount: 0 };
        for (i, p) in perps.iter().enumerate() {
            if p.position.base == 0 {
                continue;
            }
            let plan = plan_perp_liquidation_in(&a, &m, i, step, &params)?;
            prop_assert!(plan.maint_after.requirement <= before.requirement, "cut {} of {}: {:?} -> {:?}", plan.base_delta, i, before, plan.maint_after);
        }
        let MarginModel::Portfolio(pm) = m else { unreachable!() };
        if let Some(i) = portfolio_liquidation_target(&a, &pm)? {
            prop_assert!(perps[i].position.base != 0);
        }
    }

    /// Issue 12 item 1: a holding off the asset map never asks less than any asset the admin
    /// could map it to (√(VᵀCV) is a norm: one more asset adds at most its |v|), nor more than
    /// cross.
    #[test]
    fn a_standalone_holding_asks_at_least_any_mapping_and_at_most_cross(
        ps in arb_perps(), rho in -300_000i32..=1_000_000, floor in 0u32..=1_000_000
    ) {
        let perps: Vec<_> = ps.iter().map(|p| p.0).collect();
        let mut assets: Vec<_> = ps.iter().map(|p| p.1).collect();
        let a = RiskAccount { quote_balance: 0, collateral: &[], perps: &perps, params: AccountParams::default() };
        let c = corr(4, rho);
        let last = assets.len() - 1;
        let mapped = (0..4u8).map(|k| {
            assets[last] = k;
            portfolio_requirement(&exposures(&a, &[], &assets, MarginKind::Maintenance)?, &c, floor)
        }).collect::<Result<Vec<_>, _>>()?;
        assets[last] = STANDALONE;
        let standalone = portfolio_requirement(&exposures(&a, &[], &assets, MarginKind::Maintenance)?, &c, floor)?;
        prop_assert!(mapped.iter().all(|r| *r <= standalone + 1), "{standalone} < {mapped:?}");
        prop_assert!(standalone <= health(&a, MarginKind::Maintenance)?.requirement + 1);
    }
}

#[test]
fn closing_one_leg_of_a_hedge_lowers_free_collateral_and_is_not_a_reduction() {
    // Long $20k BTC, short $20k ETH, ρ 0.9, floor 30%, IM 10%: $1,200 on $1,240.
    let both = [perp(200_000_000_000, 100_000_000_000, 50_000), perp(-200_000_000_000, 100_000_000_000, 50_000)];
    let c = corr(2, 900_000);
    let m = model(&[], &[0, 1], &c, 300_000);
    let a =
        RiskAccount { quote_balance: 1_240_000_000, collateral: &[], perps: &both, params: AccountParams::default() };
    let before = model_health(&a, &m, MarginKind::Initial).unwrap();
    assert_eq!(before.requirement, 1_200_000_000);
    let naked = [both[0]];
    let m1 = model(&[], &[0], &c, 300_000);
    let a1 = RiskAccount { quote_balance: 1_220_000_000, perps: &naked, ..a };
    let after = model_health(&a1, &m1, MarginKind::Initial).unwrap();
    assert_eq!(after.requirement, 2_000_000_000); // naked: 10% of $20k
    assert!(!portfolio_reduction_allowed(&before, &after));
    // A partial cut that keeps free collateral is one.
    let trimmed = [both[0], perp(-190_000_000_000, 100_000_000_000, 50_000)];
    let a2 = RiskAccount { quote_balance: 1_239_000_000, perps: &trimmed, ..a };
    assert!(portfolio_reduction_allowed(&before, &model_health(&a2, &m, MarginKind::Initial).unwrap()));
}
