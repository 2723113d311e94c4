//! Properties of dynamic risk: ratios monotone in volatility, size and utilisation; funding
//! transfers balance between longs, shorts and the pool.

use fulcrum_risk::*;
use proptest::prelude::*;

fn params(z: u32, oi: u32, imf: u32) -> (DynamicParams, PerpMarketRisk) {
    let d = DynamicParams {
        init_floor: 50_000,
        maint_floor: 25_000,
        vol_z: z,
        vol_horizon_secs: 3_600,
        vol_decay_secs: 600,
        maint_fraction: 500_000,
        max_maint_increase_per_hour: 10_000,
        oi_premium: oi,
        ..DynamicParams::default()
    };
    let m = PerpMarketRisk {
        price: Price::flat(100_000_000_000),
        base_decimals: 9,
        init_margin_ratio: 50_000,
        maint_margin_ratio: 25_000,
        imf,
        cumulative_funding: 0,
    };
    (d, m)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn ratios_are_monotone_in_volatility_size_and_utilisation(
        v1 in 0u64..10_000_000_000, v2 in 0u64..10_000_000_000, u1 in 0u64..=1_000_000, u2 in 0u64..=1_000_000,
        b1 in 0i64..1_000_000_000_000_000, b2 in 0i64..1_000_000_000_000_000, z in 0u32..5_000_000, oi in 0u32..500_000, imf in 0u32..10_000,
    ) {
        let (d, mut m) = params(z, oi, imf);
        let (lo_v, hi_v) = (v1.min(v2), v1.max(v2));
        let (lo_u, hi_u) = (u1.min(u2), u1.max(u2));
        let (i1, m1) = dynamic_ratios(lo_v, lo_u, 0, 0, &d)?;
        let (i2, m2) = dynamic_ratios(hi_v, lo_u, 0, 0, &d)?;
        let (i3, _) = dynamic_ratios(hi_v, hi_u, 0, 0, &d)?;
        prop_assert!(i1 <= i2 && i2 <= i3 && m1 <= m2);
        prop_assert!(m1 < i1 && m2 < i2);
        m.init_margin_ratio = i3;
        prop_assert!(margin_ratio(b1.min(b2), &m, MarginKind::Initial)? <= margin_ratio(b1.max(b2), &m, MarginKind::Initial)?);
    }

    #[test]
    fn maintenance_never_rises_faster_than_its_rate(v in 0u64..10_000_000_000, prev in 25_000u32..200_000, dt in 0u64..100_000) {
        let (d, _) = params(3_000_000, 0, 0);
        let (_, maint) = dynamic_ratios(v, 0, prev, dt, &d)?;
        let allowed = prev as u128 + d.max_maint_increase_per_hour as u128 * dt as u128 / 3_600;
        prop_assert!(maint as u128 <= allowed.max(prev as u128));
    }

    #[test]
    fn funding_transfers_sum_to_zero_with_the_pool(
        bases in proptest::collection::vec(-1_000_000_000_000i64..1_000_000_000_000, 1..20),
        rate in -10_000i64..10_000, dt in 1u64..86_400, price in 1_000_000u64..1_000_000_000_000,
    ) {
        let m = PerpMarketRisk { price: Price::flat(price), cumulative_funding: accrue_funding(0, price, rate, dt)?, ..params(0, 0, 0).1 };
        // Each position settles what it owes; the pool is paid what the positions pay and pays
        // what they receive: positions + pool sum to zero by construction, and the pool's net is
        // the imbalance (net base × index), rounded in the pool's favour by < 1 unit a position.
        let owed: i128 = bases
            .iter()
            .map(|b| unsettled_funding(&PerpPosition { base: *b, quote_entry: 0, funding_snapshot: 0 }, &m))
            .sum::<MathResult<i128>>()?;
        let pool = owed;
        let positions = -owed;
        prop_assert_eq!(pool + positions, 0);
        let net: i128 = bases.iter().map(|b| *b as i128).sum();
        let exact = net * m.cumulative_funding;
        let scale = FUNDING_SCALE as i128;
        prop_assert!(pool * scale >= exact, "pool {} < imbalance {}", pool, exact / scale);
        prop_assert!((pool - bases.len() as i128) * scale <= exact);
    }
}
