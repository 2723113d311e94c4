//! Latency-safe fill prices (issue 13 §1): the spread, the fill price, the fill-age rule, and
//! the round-trip bound they give.

use fulcrum_risk::*;
use proptest::prelude::*;

/// $100 per SOL (9 decimals) in a 6-decimal quote.
const P100: u64 = 100_000_000_000;

#[test]
fn the_spread_is_the_largest_of_floor_confidence_and_volatility() {
    // σ² = 40,000 ppm²/s (σ = 200 ppm/√s) over 10 s: σ√T = √400,000 = 632.46 → 633 (up);
    // z = 3 → 1,899 ppm.
    assert_eq!(fill_spread(500, 100, 3_000_000, 40_000, 10), Ok(1_899));
    // The floor when calm, the confidence when it is wider.
    assert_eq!(fill_spread(500, 100, 3_000_000, 0, 10), Ok(500));
    assert_eq!(fill_spread(500, 981, 3_000_000, 0, 10), Ok(981));
    assert_eq!(fill_spread(0, 0, 0, 40_000, 10), Ok(0));
    // z × σ√T rounds up: z = 1.5 on σ√T = 633 → 949.5 → 950.
    assert_eq!(fill_spread(0, 0, 1_500_000, 40_000, 10), Ok(950));
    // Capped: a sell still fills at a positive price.
    assert_eq!(fill_spread(0, 0, 10_000_000, u64::MAX, 300), Ok(MAX_FILL_SPREAD));
    assert_eq!(fill_spread(0, 2_000_000, 0, 0, 10), Ok(MAX_FILL_SPREAD));
}

#[test]
fn confidence_ratio_rounds_up() {
    // The mainnet SOL update: 13,793,699 / 14,061,593,700 = 980.95 ppm.
    assert_eq!(conf_ratio(13_793_699, 14_061_593_700), Ok(981));
    assert_eq!(conf_ratio(0, 1), Ok(0));
    assert_eq!(conf_ratio(1, 1_000_000), Ok(1));
    assert_eq!(conf_ratio(1, 0), Err(MathError::InvalidInput));
}

#[test]
fn a_fill_is_priced_against_the_trader_from_the_worse_observation_of_the_slot() {
    // 0.1893% on $100: a buy pays $100.1893, a sell gets $99.8107.
    assert_eq!(fill_price(true, P100, 0, 0, 1_893), Ok(100_189_300_000));
    assert_eq!(fill_price(false, P100, 0, 0, 1_893), Ok(99_810_700_000));
    // Rounding: up for a buy, down for a sell.
    assert_eq!(fill_price(true, 999_999, 0, 0, 1), Ok(1_000_000));
    assert_eq!(fill_price(false, 999_999, 0, 0, 1), Ok(999_998));
    // The slot saw $100 then $100.40: a buy pays from $100.40, a sell gets from $100.
    let (lo, hi) = (P100, 100_400_000_000);
    assert_eq!(fill_price(false, hi, lo, hi, 0), Ok(P100));
    assert_eq!(fill_price(true, lo, lo, hi, 0), Ok(hi));
    // A slot with no observation (0) leaves the oracle.
    assert_eq!(fill_price(false, hi, 0, 0, 0), Ok(hi));
    assert_eq!(fill_price(true, 0, 0, 0, 0), Err(MathError::InvalidInput));
    assert_eq!(fill_price(true, P100, 0, 0, MAX_FILL_SPREAD + 1), Err(MathError::InvalidInput));
    assert_eq!(fill_price(false, 1, 0, 0, MAX_FILL_SPREAD), Err(MathError::InvalidInput));
}

#[test]
fn fills_take_a_price_no_older_than_margin_checks_do() {
    assert!(fill_age_fits(1, 60) && fill_age_fits(10, 60) && fill_age_fits(60, 60));
    assert!(!fill_age_fits(0, 60) && !fill_age_fits(61, 60));
    assert_eq!((MAX_MIN_SPREAD, MAX_SPREAD_Z), (100_000, 10_000_000));
}

/// Quote flow of a round trip of `base` through the pool: open at `open`, close at `close`
/// (rounded against the trader), with a fee of `fee` ppm on each leg's notional.
fn round_trip(base: i64, open: u64, close: u64, fee: u32) -> i128 {
    let pos = PerpPosition::default();
    let market = PerpMarketRisk {
        price: Price { oracle: open, ema: open },
        base_decimals: 9,
        init_margin_ratio: 100_000,
        maint_margin_ratio: 50_000,
        imf: 0,
        cumulative_funding: 0,
        pnl_haircut: Default::default(),
        cumulative_borrow: 0,
    };
    let a = apply_fill(&pos, &market, base, open, fee).unwrap();
    let b = apply_fill(&a.position, &market, -base, close, fee).unwrap();
    assert_eq!(b.position.base, 0);
    i128::from(a.realized_pnl) + i128::from(b.realized_pnl) - i128::from(a.fee) - i128::from(b.fee)
}

proptest! {
    /// Within one slot the second leg fills from the worse observation: whatever the next
    /// update, a round trip (long or short) earns nothing.
    #[test]
    fn no_round_trip_within_a_slot_earns(
        p0 in 1_000_000u64..1_000_000_000_000_000,
        m in -200_000i64..200_000,
        spread in 0u32..20_000,
        fee in 0u32..2_000,
        base in 1i64..1_000_000_000_000,
        long in any::<bool>(),
    ) {
        let p1 = (i128::from(p0) * i128::from(1_000_000 + m) / 1_000_000) as u64;
        prop_assume!(p1 > 0);
        let (lo, hi) = (p0.min(p1), p0.max(p1));
        // First leg: only p0 observed in the slot. Second: both.
        let open = fill_price(long, p0, p0, p0, spread).unwrap();
        let close = fill_price(!long, p1, lo, hi, spread).unwrap();
        let signed = if long { base } else { -base };
        prop_assert!(round_trip(signed, open, close, fee) <= 0);
    }

    /// Across slots a round trip whose legs see p0 then p1 earns nothing while the move is
    /// within the two spreads and fees: `|p1 − p0| / p0 ≤ s_open + s_close + 2 × fee` to first
    /// order (checked up to 90% of it: the products of spreads, fees and move are the rest).
    #[test]
    fn no_round_trip_across_slots_inside_the_bound_earns(
        p0 in 1_000_000u64..1_000_000_000_000_000,
        s_open in 0u32..20_000,
        s_close in 0u32..20_000,
        fee in 0u32..2_000,
        frac in 0u64..=900,
        base in 1i64..1_000_000_000_000,
        long in any::<bool>(),
    ) {
        // A move of frac ‰ of the bound, in the attacker's favour.
        let bound = u64::from(s_open) + u64::from(s_close) + 2 * u64::from(fee);
        let m = (bound * frac / 1_000) as i64;
        let m = if long { m } else { -m };
        let p1 = (i128::from(p0) * i128::from(1_000_000 + m) / 1_000_000) as u64;
        let open = fill_price(long, p0, p0, p0, s_open).unwrap();
        let close = fill_price(!long, p1, p1, p1, s_close).unwrap();
        let signed = if long { base } else { -base };
        prop_assert!(round_trip(signed, open, close, fee) <= 0);
    }
}
