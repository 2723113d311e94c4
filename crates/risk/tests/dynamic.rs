//! Properties of dynamic risk: ratios monotone in volatility, size and utilisation; funding
//! transfers balance between longs, shorts and the pool; funding accrued per observation equals
//! funding accrued once (issue 12, item 3); skew and rate treat both sides alike.

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
        pnl_haircut: Default::default(),
        cumulative_borrow: 0,
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
        let m = PerpMarketRisk { price: Price::flat(price), cumulative_funding: accrue_funding(0, 0, price, rate, dt)?.0, ..params(0, 0, 0).1 };
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

/// `index × FUNDING_CARRY_DENOM + carry`: the accrued funding, exactly.
fn exact(index: i128, carry: i64) -> i128 {
    index * FUNDING_CARRY_DENOM + carry as i128
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// N observations (cranks) at arbitrary intervals over T seconds accrue what one observation
    /// over T does, at the same price and rate: the same index, to the unit (the carry too).
    #[test]
    fn n_cranks_over_t_accrue_what_one_accrual_over_t_does(
        steps in proptest::collection::vec(0u64..120, 1..400),
        rate in -100_000i64..=100_000, price in 1u64..1_000_000_000_000_000, start in -1_000_000_000i128..1_000_000_000,
    ) {
        let t: u64 = steps.iter().sum();
        let (mut index, mut carry) = (start, 0i64);
        for dt in &steps {
            (index, carry) = accrue_funding(index, carry, price, rate, *dt)?;
            prop_assert!((carry as i128).abs() < FUNDING_CARRY_DENOM);
        }
        let once = accrue_funding(start, 0, price, rate, t)?;
        prop_assert_eq!((index, carry), once);
        // And one accrual is the exact integral, truncated: within one unit of it.
        let integral = rate as i128 * t as i128 * price as i128;
        prop_assert_eq!(exact(once.0 - start, once.1), integral);
    }

    /// With the price and rate moving between observations, the index stays within one unit of
    /// the exact sum of the accruals, however many observations there are.
    #[test]
    fn the_index_is_within_one_unit_of_the_exact_sum(
        obs in proptest::collection::vec((0u64..3_600, 1u64..1_000_000_000_000_000, -100_000i64..=100_000), 1..300),
    ) {
        let (mut index, mut carry, mut integral) = (0i128, 0i64, 0i128);
        for (dt, price, rate) in &obs {
            (index, carry) = accrue_funding(index, carry, *price, *rate, *dt)?;
            integral += *rate as i128 * *dt as i128 * *price as i128;
            prop_assert_eq!(exact(index, carry), integral);
            prop_assert!((index * FUNDING_CARRY_DENOM - integral).abs() < FUNDING_CARRY_DENOM);
        }
    }

    /// The two sides are treated alike: swapping longs and shorts negates the skew, and
    /// negating the skew negates the rate and the accrual.
    #[test]
    fn skew_rate_and_accrual_are_symmetric(
        long in 0u64..u64::MAX / 2, short in 0u64..u64::MAX / 2, price in 1u64..1_000_000_000_000_000,
        depth in 0u64..1_000_000_000_000, s in -1_000_000i64..=1_000_000, factor in 0u32..=1_000_000, cap in 0u32..=100_000,
        carry in -3_599_999_999i64..3_600_000_000, dt in 0u64..86_400,
    ) {
        prop_assert_eq!(skew(long, short, price, depth)?, -skew(short, long, price, depth)?);
        let p = DynamicParams { funding_factor: factor, max_funding_rate: cap, ..DynamicParams::default() };
        let r = funding_rate(s, &p)?;
        prop_assert_eq!(funding_rate(-s, &p)?, -r);
        let (i, c) = accrue_funding(0, carry, price, r, dt)?;
        prop_assert_eq!(accrue_funding(0, -carry, price, -r, dt)?, (-i, -c));
    }
}

#[test]
fn a_keeper_cranking_a_penny_market_every_second_for_an_hour_moves_the_index_ten_units() {
    // Issue 12, item 3: $0.01 with 9 base decimals is engine price 10⁷; a skew of −100 ppm at
    // 1% an hour per 100% is −1 ppm an hour. An hour of it: 10⁷ × 10⁻⁶ = 10 units, however
    // often the market is observed (the per-observation rounding used to make it 3,600).
    let p = DynamicParams { funding_factor: 10_000, max_funding_rate: 10_000, ..DynamicParams::default() };
    let depth = 10_000_000_000; // $10,000
    let s = skew(1_000_000_000_000_000, 1_000_100_000_000_000, 10_000_000, depth).unwrap();
    assert_eq!(s, -100);
    let rate = funding_rate(s, &p).unwrap();
    assert_eq!(rate, -1);
    assert_eq!(funding_rate(100, &p).unwrap(), 1, "the other side alike");
    assert_eq!(funding_rate(-99, &p).unwrap(), 0, "under 1 ppm an hour is nothing, on either side");
    let (mut index, mut carry) = (0, 0);
    for _ in 0..3_600 {
        (index, carry) = accrue_funding(index, carry, 10_000_000, rate, 1).unwrap();
    }
    assert_eq!((index, carry), (-10, 0));
    // A second of it: 1/360 of a unit, carried, not rounded up to a whole unit.
    assert_eq!(accrue_funding(0, 0, 10_000_000, -1, 1).unwrap(), (0, -10_000_000));
}

// ---- hand-worked numbers
fn example_params() -> DynamicParams {
    DynamicParams {
        init_floor: 50_000,
        maint_floor: 25_000,
        vol_z: 3_000_000,
        vol_horizon_secs: 3_600,
        vol_decay_secs: 3_600,
        maint_fraction: 500_000,
        max_maint_increase_per_hour: 20_000,
        oi_premium: 50_000,
        price_band: 200_000,
        breaker_cooldown_secs: 300,
        funding_factor: 1_000,
        max_funding_rate: 500,
        impact_fee: 10_000,
    }
}

#[test]
fn a_one_percent_move_a_minute_is_worth_its_variance() {
    // r = 1% = 10,000 ppm over 60 s: sample 1e8/60 = 1,666,667 ppm²/s; α = 60/3600.
    let v = update_variance(0, 100_000_000_000, 101_000_000_000, 60, 3_600).unwrap();
    assert_eq!(v, 27_778); // ⌈1,666,667 × 60 / 3,600⌉
                           // σ√h = √(27,778 × 3,600) = 10,000.04 → 10,001 ppm (up); z = 3: 3.0003%.
    assert_eq!(volatility_ratio(v, &example_params()).unwrap(), 30_003);
}

#[test]
fn maintenance_rises_at_most_its_rate_and_falls_at_once() {
    let p = example_params();
    // A variance giving z σ √h = 30%: init 30%, maint target 15%, from 2.5% over 60 s.
    let v = 2_777_777; // σ√h = √9,999,997,200 → 100,000 ppm
    let (init, maint) = dynamic_ratios(v, 0, 25_000, 60, &p).unwrap();
    assert_eq!(init, 300_000);
    assert_eq!(maint, 25_000 + 333);
    // After four hours the target is reached.
    assert_eq!(dynamic_ratios(v, 0, 25_000, 4 * 3_600, &p).unwrap().1, 105_000);
    // Calm: straight back to the floor.
    assert_eq!(dynamic_ratios(0, 0, 150_000, 1, &p).unwrap(), (50_000, 25_000));
    // OI at 100%: +5% initial.
    assert_eq!(dynamic_ratios(0, 1_000_000, 25_000, 1, &p).unwrap().0, 100_000);
}

#[test]
fn funding_and_fees() {
    let p = example_params();
    // 20 SOL net long at $100 against $10,000 of depth: skew 20%.
    let s = skew(100_000_000_000, 80_000_000_000, 100_000_000_000, 10_000_000_000).unwrap();
    assert_eq!(s, 200_000);
    assert_eq!(funding_rate(s, &p).unwrap(), 200); // 0.02% per hour
                                                   // One hour: $100 × 0.0002 = $0.02 per SOL = 2e7 index units.
    assert_eq!(accrue_funding(0, 0, 100_000_000_000, 200, 3_600).unwrap(), (20_000_000, 0));
    assert_eq!(funding_rate(1_000_000, &p).unwrap(), 500);
    assert_eq!(trade_fee_rate(1_000, 100_000, 200_000, &p).unwrap(), 3_000);
    assert_eq!(trade_fee_rate(1_000, 200_000, 100_000, &p).unwrap(), 1_000);
    assert!(outside_band(125, 100, 200_000));
    assert!(!outside_band(119, 100, 200_000));
}
