//! The pool's capacity (issue 13 §3, §4): reserve rule, borrow utilisation and rate (two slopes
//! with a kink), the per-side settlement index that charges the borrow fee to longs and shorts,
//! and the insurance-aware open-interest cap.

use fulcrum_risk::*;
use proptest::prelude::*;

const CURVE: BorrowParams = BorrowParams { base_rate: 10, slope1: 1_000, kink: 800_000, slope2: 50_000 };
/// SOL at $100: quote native per base native × 10¹².
const P100: u64 = 100_000_000_000;
const SOL: i64 = 1_000_000_000;

fn market(funding: i128, borrow: i128) -> PerpMarketRisk {
    PerpMarketRisk {
        price: Price::flat(P100),
        base_decimals: 9,
        init_margin_ratio: 100_000,
        maint_margin_ratio: 50_000,
        imf: 0,
        cumulative_funding: funding,
        cumulative_borrow: borrow,
        pnl_haircut: Default::default(),
    }
}

#[test]
fn the_reserve_binds_at_its_factor_of_the_pool_and_zero_turns_it_off() {
    // 50% of $100k: $50k is in, one native unit more is out.
    assert!(reserve_ok(50_000_000_000, 500_000, 100_000_000_000));
    assert!(!reserve_ok(50_000_000_001, 500_000, 100_000_000_000));
    assert!(!reserve_ok(1, 500_000, 0));
    assert!(reserve_ok(u128::MAX, 0, 0));
    assert_eq!(side_notional(100 * SOL as u64, P100), Ok(10_000_000_000));
    assert_eq!(side_notional(1, P100), Ok(1), "rounded up");
}

#[test]
fn utilisation_is_the_fuller_side_over_the_reserve_capacity_rounded_up_and_capped() {
    assert_eq!(borrow_utilisation(0, 500_000, 0), Ok(0));
    assert_eq!(borrow_utilisation(1, 500_000, 0), Ok(1_000_000), "open interest on an empty pool");
    assert_eq!(borrow_utilisation(25_000_000_000, 500_000, 100_000_000_000), Ok(500_000));
    assert_eq!(borrow_utilisation(25_000_000_001, 500_000, 100_000_000_000), Ok(500_001));
    assert_eq!(borrow_utilisation(10_000_000_000, 0, 100_000_000_000), Ok(100_000), "reserve off: the pool");
    assert_eq!(borrow_utilisation(u128::MAX, 500_000, 1), Ok(1_000_000));
}

#[test]
fn the_rate_has_two_slopes_meeting_at_the_kink() {
    assert_eq!(borrow_rate(0, &CURVE), Ok(10));
    assert_eq!(borrow_rate(400_000, &CURVE), Ok(510));
    assert_eq!(borrow_rate(800_000, &CURVE), Ok(1_010));
    assert_eq!(borrow_rate(900_000, &CURVE), Ok(26_010));
    assert_eq!(borrow_rate(1_000_000, &CURVE), Ok(51_010));
    assert_eq!(borrow_rate(5_000_000, &CURVE), Ok(51_010), "past 100% counts as 100%");
    assert_eq!(borrow_rate(1, &CURVE), Ok(11), "rounded up");
    let flat = BorrowParams { kink: 1_000_000, ..CURVE };
    assert_eq!(borrow_rate(1_000_000, &flat), Ok(1_010));
}

#[test]
fn both_sides_pay_the_borrow_fee_and_funding_still_nets() {
    let (long, short) = (100 * SOL, -100 * SOL);
    let start = market(0, 0);
    let pos = |base| PerpPosition { base, quote_entry: 0, funding_snapshot: start.position_index(base).unwrap() };
    // 72 h at 260 ppm an hour on $10k, and funding of +5,000 index units (longs pay).
    let (borrow, _) = accrue_funding(0, 0, P100, 260, 72 * 3_600).unwrap();
    let now = market(5_000, borrow);
    let (l, s) = (unsettled_funding(&pos(long), &now).unwrap(), unsettled_funding(&pos(short), &now).unwrap());
    assert_eq!(l, 187_200_000 + 500);
    assert_eq!(s, 187_200_000 - 500);
    assert_eq!(now.position_index(0), Ok(0));
}

#[test]
fn a_flip_settles_on_the_old_side_and_snapshots_the_new() {
    let m = market(7_000, 3_000);
    let pos = PerpPosition { base: SOL, quote_entry: -100_000_000, funding_snapshot: 0 };
    let fill = apply_fill(&pos, &m, -3 * SOL, P100, 0).unwrap();
    assert_eq!(fill.position.base, -2 * SOL);
    assert_eq!(fill.position.funding_snapshot, 4_000, "the short side's index");
    // The long owed 1 × (7,000 + 3,000) / 10³ = 10 native units.
    assert_eq!(fill.realized_pnl, -10);
    let closed = apply_fill(&fill.position, &m, 2 * SOL, P100, 0).unwrap();
    assert_eq!(closed.position.funding_snapshot, 0);
    let (_, settled) = settle_pnl(&fill.position, &m).unwrap();
    assert_eq!(settled.funding_snapshot, 4_000);
}

#[test]
fn the_insurance_cap_fits_the_shock_past_maintenance_in_insurance_and_pool_share() {
    // ($1,000 + 10% × $100,000) / (40% − 5%).
    assert_eq!(insurance_oi_cap(1_000_000_000, 100_000_000_000, 100_000, 400_000, 50_000), 31_428_571_428);
    assert_eq!(insurance_oi_cap(1, 1, 0, 0, 50_000), u64::MAX, "shock 0: off");
    assert_eq!(insurance_oi_cap(1, 1, 0, 50_000, 50_000), u64::MAX, "margin covers the shock");
    assert_eq!(insurance_oi_cap(0, 0, 1_000_000, 1_000_000, 1), 0);
    assert_eq!(insurance_oi_cap(u64::MAX, u64::MAX, 1_000_000, 2, 1), u64::MAX);
}

proptest! {
    /// The rate never falls as utilisation rises and stays within base + both slopes.
    #[test]
    fn the_rate_is_monotone_and_bounded(
        u in 0u64..1_200_000, d in 0u64..50_000,
        base in 0u32..10_000, s1 in 0u32..100_000, kink in 1u32..=1_000_000, s2 in 0u32..100_000,
    ) {
        let p = BorrowParams { base_rate: base, slope1: s1, kink, slope2: s2 };
        let (a, b) = (borrow_rate(u, &p).unwrap(), borrow_rate(u + d, &p).unwrap());
        prop_assert!(a <= b);
        prop_assert!(b <= u64::from(base) + u64::from(s1) + u64::from(s2));
    }

    /// Borrow accrued per observation equals borrow accrued once (the carry keeps it exact), and
    /// a long and a short of the same size owe the same fee.
    #[test]
    fn borrow_accrues_exactly_and_alike_on_both_sides(
        price in 1_000_000u64..1_000_000_000_000, rate in 0i64..210_000, steps in 1usize..20, dt in 1u64..5_000,
        base in 1i64..1_000_000_000_000,
    ) {
        let (mut index, mut carry) = (0i128, 0i64);
        for _ in 0..steps {
            (index, carry) = accrue_funding(index, carry, price, rate, dt).unwrap();
        }
        let once = accrue_funding(0, 0, price, rate, dt * steps as u64).unwrap();
        prop_assert_eq!((index, carry), once);
        prop_assert!(index >= 0);
        let m = market(0, index);
        let long = PerpPosition { base, quote_entry: 0, funding_snapshot: 0 };
        let short = PerpPosition { base: -base, quote_entry: 0, funding_snapshot: 0 };
        prop_assert_eq!(unsettled_funding(&long, &m).unwrap(), unsettled_funding(&short, &m).unwrap());
    }
}
