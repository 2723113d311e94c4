//! Issue 15's compute-unit fast paths give the same results as the plain checked 128-bit code
//! they replace in the VM: that code is kept here as the reference.

use fulcrum_risk::fixed::*;
use fulcrum_risk::*;
use proptest::prelude::*;

/// `correlated_risk` as it was: checked 128-bit products throughout.
fn correlated_risk_reference(v: &[i128; MAX_ASSETS], c: &Correlation) -> MathResult<i128> {
    let n = c.n.min(MAX_ASSETS);
    let mut total = 0i128;
    for (i, vi) in v[..n].iter().enumerate().filter(|(_, x)| **x != 0) {
        let w = (0..n)
            .try_fold(0i128, |acc, j| v[j].checked_mul(i128::from(c.c[i][j])).and_then(|p| acc.checked_add(p)))
            .ok_or(MathError::Overflow)?;
        let w = match *vi > 0 {
            true => mul_div_signed_ceil(w, 1, 1_000_000)?,
            false => mul_div_signed_floor(w, 1, 1_000_000)?,
        };
        total = vi.checked_mul(w).and_then(|t| total.checked_add(t)).ok_or(MathError::Overflow)?;
    }
    to_i128(isqrt_ceil(total.max(0).unsigned_abs()))
}

fn risk() -> impl Strategy<Value = i128> {
    prop_oneof![
        -1_000_000_000_000_000i128..1_000_000_000_000_000,
        any::<i64>().prop_map(i128::from),
        Just(i128::from(i64::MIN)),
        Just(i128::from(i64::MAX)),
        any::<i128>().prop_map(|x| x >> 40),
        Just(0i128),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5_000))]

    #[test]
    fn correlated_risk_matches_the_checked_128_bit_sum(
        n in 0usize..=MAX_ASSETS,
        v in proptest::array::uniform12(risk()),
        c in proptest::array::uniform12(proptest::array::uniform12(any::<i32>())),
        ppm in proptest::array::uniform12(proptest::array::uniform12(-1_000_000i32..=1_000_000)),
        wild in any::<bool>(),
    ) {
        let corr = Correlation { n, c: if wild { c } else { ppm } };
        prop_assert_eq!(correlated_risk(&v, &corr), correlated_risk_reference(&v, &corr));
    }
}

fn wide() -> impl Strategy<Value = u128> {
    prop_oneof![
        any::<u64>().prop_map(u128::from),
        any::<u128>(),
        any::<u128>().prop_map(|x| x >> 50),
        (0u32..128).prop_map(|k| 1u128 << k),
        Just(0u128),
        Just(u128::MAX),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn checked_mul_u128_is_checked_mul(a in wide(), b in wide()) {
        prop_assert_eq!(checked_mul_u128(a, b), a.checked_mul(b));
    }

    #[test]
    fn div_rem_u128_is_div_and_rem(n in wide(), d in wide()) {
        let d = d.max(1);
        prop_assert_eq!(div_rem_u128(n, d), (n / d, n % d));
    }

    #[test]
    fn mul_div_is_the_exact_quotient(a in wide(), b in wide(), d in wide()) {
        let exact = a.checked_mul(b).filter(|_| d != 0).map(|p| (p / d, p % d != 0));
        prop_assert_eq!(mul_div_floor(a, b, d).ok(), exact.map(|(q, _)| q));
        prop_assert_eq!(mul_div_ceil(a, b, d).ok(), exact.map(|(q, r)| q + u128::from(r)));
    }
}

#[test]
fn pow10_table_is_every_power_of_ten() {
    for k in 0..45u32 {
        assert_eq!(pow10_u128(k), 10u128.checked_pow(k), "10^{k}");
    }
}

/// An account of up to 8 + 8 holdings on 4 assets, some STANDALONE, with EMA ≠ oracle, funding
/// and a size premium.
/// Quote balance, collateral and positions, each with its asset.
type Holdings = (i64, Vec<(Collateral, u8)>, Vec<(PerpExposure, u8)>);

fn account() -> impl Strategy<Value = Holdings> {
    let asset = prop_oneof![0u8..4, Just(STANDALONE)];
    let collateral = (1u64..10_000_000_000_000, 1_000_000u64..1_000_000_000_000, 500_000u32..1_000_000, asset.clone())
        .prop_map(|(amount, p, w, a)| {
            let price = Price { oracle: p, ema: p - p / 50 };
            (Collateral { amount, price, init_asset_weight: w - 100_000, maint_asset_weight: w }, a)
        });
    let perp = (
        -100_000_000_000i64..100_000_000_000,
        1_000_000u64..1_000_000_000_000,
        10_000u32..200_000,
        0u32..2_000,
        -1_000_000_000i128..1_000_000_000,
        asset,
        any::<bool>(),
    )
        .prop_map(|(base, p, ratio, imf, funding, a, haircut)| {
            let entry = -(i128::from(base) * i128::from(p) / 1_000_000_000_000) as i64;
            let market = PerpMarketRisk {
                price: Price { oracle: p, ema: p + p / 40 },
                base_decimals: 9,
                init_margin_ratio: ratio * 2,
                maint_margin_ratio: ratio,
                imf,
                cumulative_funding: funding,
                pnl_haircut: if haircut {
                    PnlHaircut { paid: 7, profit: 9, cap: 5_000_000_000 }
                } else {
                    PnlHaircut::NONE
                },
                cumulative_borrow: funding / 3,
            };
            (PerpExposure { position: PerpPosition { base, quote_entry: entry, funding_snapshot: 0 }, market }, a)
        });
    (
        -10_000_000_000i64..100_000_000_000,
        proptest::collection::vec(collateral, 0..=8),
        proptest::collection::vec(perp, 1..=8),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn a_liquidation_from_the_margin_checks_basis_is_the_plan_alone(
        (quote, coll, perps) in account(),
        rho in -300_000i32..900_000,
        floor in 0u32..500_000,
        portfolio in any::<bool>(),
        index in 0usize..8,
    ) {
        let collateral: Vec<Collateral> = coll.iter().map(|c| c.0).collect();
        let exposures: Vec<PerpExposure> = perps.iter().map(|p| p.0).collect();
        let (ca, pa): (Vec<u8>, Vec<u8>) = (coll.iter().map(|c| c.1).collect(), perps.iter().map(|p| p.1).collect());
        let mut c = Correlation::identity(4);
        for i in 0..4 {
            for j in 0..4 {
                if i != j {
                    c.c[i][j] = rho;
                }
            }
        }
        let p = PortfolioModel { collateral_assets: &ca, perp_assets: &pa, correlation: &c, floor };
        let model = if portfolio { MarginModel::Portfolio(p) } else { MarginModel::Cross };
        let a = RiskAccount { quote_balance: quote, collateral: &collateral, perps: &exposures, params: AccountParams::default() };
        let separate = (|| {
            account_health_with(&a, health(&a, MarginKind::Initial)?, health(&a, MarginKind::Maintenance)?)
        })();
        prop_assert_eq!(account_health(&a), separate);
        let separate = (|| {
            let kinds = [MarginKind::Initial, MarginKind::Maintenance].map(|k| model_health(&a, &model, k));
            let [init, maint] = kinds;
            account_health_with(&a, init?, maint?)
        })();
        prop_assert_eq!(model_account_health(&a, &model), separate);
        let both = model_account_health_basis(&a, &model);
        prop_assert_eq!(both.map(|b| b.0), separate);
        let Ok((_, basis)) = both else { return Ok(()) };
        prop_assert_eq!(Ok(basis), liquidation_basis(&a, &model));
        let i = index % exposures.len();
        let params = LiquidationParams { buffer: 100_000, liquidator_fee: 10_000, insurance_fee: 5_000, dust_notional: 1_000, collateral_discount: 50_000 };
        let step = 1_000_000;
        let plan = plan_perp_liquidation_from(&a, &model, i, step, &params, &basis);
        prop_assert_eq!(plan, plan_perp_liquidation_in(&a, &model, i, step, &params));
        // The health after a change of one position and the quote balance (the plan's, else an
        // arbitrary one), from the basis: the same as computed again.
        let (position, q2) = match plan {
            Ok(p) => (p.position, quote + p.realized_pnl - (p.liquidator_fee + p.insurance_fee) as i64),
            Err(_) => (PerpPosition { base: exposures[i].position.base / 3, quote_entry: 12_345, funding_snapshot: 7 }, quote / 2 - 99),
        };
        let mut changed = exposures.clone();
        changed[i].position = position;
        let a2 = RiskAccount { quote_balance: q2, perps: &changed, ..a };
        let recomputed = (|| {
            let [init, maint] = [MarginKind::Initial, MarginKind::Maintenance].map(|k| model_health(&a2, &model, k));
            account_health_with(&a2, init?, maint?)
        })();
        let after = model_account_health_after(&model, &basis, &a.params, (quote, q2), (&exposures[i], &changed[i]), i);
        prop_assert_eq!(after, recomputed);
        if let MarginModel::Portfolio(p) = &model {
            let e = basis.exposures.unwrap_or_default();
            prop_assert_eq!(portfolio_liquidation_target_from(&a, p, &e, basis.correlated), portfolio_liquidation_target(&a, p));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn div_rem_u128_by_the_engines_divisors(n in wide(), small in 1u64..=u64::from(u32::MAX), which in 0usize..6) {
        let d = [1_000_000, PRICE_SCALE, PRICE_SCALE * 1_000_000, u128::from(small), u128::from(u32::MAX), 1][which];
        prop_assert_eq!(div_rem_u128(n, d), (n / d, n % d));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn isqrt_floor_is_the_floor_root(v in wide()) {
        let r = isqrt_floor(v);
        prop_assert!(r * r <= v);
        prop_assert!((r + 1).checked_mul(r + 1).is_none_or(|sq| sq > v));
        let c = isqrt_ceil(v);
        prop_assert!(c == r || (c == r + 1 && r * r < v));
    }

    #[test]
    fn checked_mul_i128_is_checked_mul(a in wide(), b in wide(), sa in any::<bool>(), sb in any::<bool>()) {
        let (a, b) = (if sa { (a as i128).wrapping_neg() } else { a as i128 }, if sb { -(b as i128 >> 1) } else { b as i128 >> 1 });
        prop_assert_eq!(checked_mul_i128(a, b), a.checked_mul(b));
    }
}
