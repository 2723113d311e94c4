//! Parameter ranges under which liquidation restores health (issue 12 item 5): the rules and
//! the worked figures they prevent.

use fulcrum_risk::*;

const ONE: u32 = RATIO_ONE as u32;
const USD: i64 = 1_000_000;
/// $100 per SOL (9 decimals) in a 6-decimal quote.
const P100: u64 = 100_000_000_000;

#[test]
fn discount_bound_is_one_minus_weight_over_liability_weight() {
    // Weight 0.9: any discount below 10% fits, 10% and above does not.
    assert!(discount_fits(900_000, ONE, 99_999));
    assert!(!discount_fits(900_000, ONE, 100_000));
    assert!(!discount_fits(900_000, ONE, 200_000));
    assert_eq!(max_discount(900_000, ONE), Some(99_999));
    // Weight 0.95 and 5%: exactly even, refused.
    assert!(!discount_fits(950_000, ONE, 50_000));
    // A debt weight above 1 leaves more room: 0.9 < 1.1 × (1 − 0.18).
    assert!(discount_fits(900_000, 1_100_000, 180_000));
    assert_eq!(max_discount(900_000, 1_100_000), Some(181_818));
    assert!(!discount_fits(900_000, 1_100_000, 181_819));
    // Full weight: nothing fits at a liability weight of 1.
    assert!(!discount_fits(ONE, ONE, 0));
    assert_eq!(max_discount(ONE, ONE), None);
    assert!(!discount_fits(0, ONE, ONE));
    for w in (0..=ONE).step_by(12_345) {
        for l in [ONE, 1_050_000, 2 * ONE] {
            match max_discount(w, l) {
                Some(d) => assert!(discount_fits(w, l, d) && !discount_fits(w, l, d + 1), "{w} {l} {d}"),
                None => assert!(!discount_fits(w, l, 0)),
            }
        }
    }
}

/// $1,000 of SOL at weight 0.9 against $950 of debt (maintenance −$50).
fn underwater(weight: u32) -> (Collateral, i64) {
    let c = Collateral {
        amount: 10_000_000_000,
        price: Price::flat(P100),
        init_asset_weight: weight,
        maint_asset_weight: weight,
    };
    (c, -950 * USD)
}

#[test]
fn a_discount_past_the_bound_sells_everything_and_leaves_debt() {
    let (c, q) = underwater(900_000);
    let acct = RiskAccount { quote_balance: q, collateral: &[c], perps: &[], params: AccountParams::default() };
    // 20%: each $1 repaid takes $1.25 of SOL, $1.125 weighted. The whole $1,000 is sold for
    // $800 and $150 of debt is left to socialise, from an account worth +$50.
    let bad = plan_collateral_liquidation(&acct, 0, u64::MAX, 200_000, 0).unwrap();
    assert_eq!((bad.repay, bad.collateral_out), (800_000_000, 10_000_000_000));
    assert_eq!(bad.maint_after.equity, -150 * i128::from(USD));
    // Inside the bound (5%) the same account is restored without debt left.
    assert!(discount_fits(900_000, ONE, 50_000));
    let ok = plan_collateral_liquidation(&acct, 0, u64::MAX, 50_000, 0).unwrap();
    assert!(ok.maint_after.equity >= 0, "{ok:?}");
    // Each repayment improves maintenance health whenever the discount fits, and worsens it
    // otherwise.
    for d in [0, 50_000, 99_999, 100_000, 150_000, 200_000] {
        let base = health(&acct, MarginKind::Maintenance).unwrap().equity;
        let p = plan_collateral_liquidation(&acct, 0, 100 * USD as u64, d, 0).unwrap();
        assert_eq!(p.maint_after.equity > base, discount_fits(900_000, ONE, d), "discount {d}: {p:?}");
    }
}

/// A 20x long (MM 2.5%) just under maintenance.
fn long_under_maintenance() -> ([PerpExposure; 1], i64) {
    let m = |price| PerpMarketRisk {
        price: Price::flat(price),
        base_decimals: 9,
        init_margin_ratio: 50_000,
        maint_margin_ratio: 25_000,
        imf: 0,
        cumulative_funding: 0,
        pnl_haircut: Default::default(),
        cumulative_borrow: 0,
    };
    let base = 190_000_000_000i64; // 190 SOL at $100 on $1,000
    let open = apply_fill(&PerpPosition::default(), &m(P100), base, P100, 0).unwrap();
    let crash = P100 * 97 / 100;
    ([PerpExposure { position: open.position, market: m(crash) }], 1_000 * USD)
}

#[test]
fn a_fee_at_the_maintenance_ratio_forces_a_full_close() {
    let (perps, q) = long_under_maintenance();
    let acct = RiskAccount { quote_balance: q, collateral: &[], perps: &perps, params: AccountParams::default() };
    assert!(!health(&acct, MarginKind::Maintenance).unwrap().is_met());
    let plan = |fee: u32| {
        let lp = LiquidationParams {
            buffer: 100_000,
            liquidator_fee: fee,
            insurance_fee: 0,
            dust_notional: 0,
            collateral_discount: 0,
        };
        plan_perp_liquidation(&acct, 0, 1_000_000, &lp).unwrap()
    };
    // 5% ≥ 2.5% × 1.1: the whole $18,430 is closed and the fee takes all $430 of equity.
    let full = plan(50_000);
    assert_eq!(full.position.base, 0);
    assert_eq!(full.liquidator_fee, 430_000_000);
    assert_eq!(full.equity_after, 0);
    assert!(!liquidation_fee_fits(25_000, 50_000));
    // 0.75% < 2.5%: a partial close, most of the equity stays with the trader.
    assert!(liquidation_fee_fits(25_000, 7_500));
    let part = plan(7_500);
    assert!(part.position.base > 0 && part.maint_after.is_met(), "{part:?}");
    assert!(part.equity_after > 400 * i128::from(USD), "{part:?}");
    let notional = |b: i64| u128::from(b.unsigned_abs()) * u128::from(P100) / PRICE_SCALE;
    assert!(notional(part.base_delta) < notional(perps[0].position.base) / 2);
}

#[test]
fn the_fee_bound_is_strict() {
    assert!(liquidation_fee_fits(50_000, 49_999));
    assert!(!liquidation_fee_fits(50_000, 50_000));
    assert!(!liquidation_fee_fits(0, 0));
}
