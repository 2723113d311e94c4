//! Pool valuation and LP share pricing, hand-worked.

use fulcrum_risk::*;

const P100: u64 = 100_000_000_000; // $100 per SOL, 9 vs 6 decimals

#[test]
fn traders_winning_is_the_pools_loss() {
    // One long of 10 SOL opened at $100, now $110: traders +$100, pool value 1000 − 100.
    let m = MarketExposure {
        long_base: 10_000_000_000,
        long_quote_entry: -1_000_000_000,
        price: 110_000_000_000,
        ..Default::default()
    };
    assert_eq!(traders_unrealized_pnl(&m, Rounding::Down).unwrap(), 100_000_000);
    assert_eq!(pool_value(1_000_000_000, &[m], Rounding::Down).unwrap(), 900_000_000);
    // Net exposure: 10 SOL × $110.
    assert_eq!(pool_net_exposure(&[m]).unwrap(), 1_100_000_000);
    assert!(utilisation_ok(1_100_000_000, 1_375_000_000, 800_000));
    assert!(!utilisation_ok(1_100_000_001, 1_375_000_000, 800_000));
}

#[test]
fn share_pricing_rounds_against_the_mover() {
    assert_eq!(lp_shares_for_deposit(500, 0, 0).unwrap(), 500);
    // Pool worth 1,000 with 900 shares: 100 in buys 90 shares; 90 shares pay out 100.
    assert_eq!(lp_shares_for_deposit(100, 1_000, 900).unwrap(), 90);
    assert_eq!(lp_amount_for_shares(90, 1_000, 900).unwrap(), 100);
    // 1 unit into a pool worth 3 per share mints nothing.
    assert_eq!(lp_shares_for_deposit(1, 3_000, 1_000).unwrap(), 0);
    assert_eq!(lp_amount_for_shares(1, 2_999, 1_000).unwrap(), 2);
    assert!(lp_shares_for_deposit(1, 0, 10).is_err());
    let m = MarketExposure { long_base: 1, price: P100 / 3, ..Default::default() };
    let lo = pool_value(0, &[m], Rounding::Down).unwrap();
    let hi = pool_value(0, &[m], Rounding::Up).unwrap();
    assert_eq!(hi - lo, 1);
}

proptest::proptest! {
    /// Within an oracle's interval, the conservative mark values the pool at least as high as
    /// any price in it for a deposit (`Up`: the fewer shares) and at most as high for a
    /// withdrawal (`Down`: the less quote).
    #[test]
    fn the_conservative_mark_is_the_worst_price_in_the_interval_for_the_mover(
        long_base in 0u64..1_000_000_000_000,
        short_base in 0u64..1_000_000_000_000,
        entry in 0i64..1_000_000_000_000,
        lo in 1u64..1_000_000_000_000,
        width in 0u64..100_000_000_000,
        t in 0u64..=100,
    ) {
        let hi = lo + width;
        let at = |price: u64, r: Rounding| {
            let m = MarketExposure {
                long_base,
                short_base,
                long_quote_entry: -entry,
                short_quote_entry: entry / 2,
                price,
            };
            pool_value(1_000_000_000_000, &[m], r).unwrap()
        };
        let inside = lo + width * t / 100;
        let up = conservative_mark_price(long_base, short_base, lo, hi, Rounding::Up);
        let down = conservative_mark_price(long_base, short_base, lo, hi, Rounding::Down);
        proptest::prop_assert!(at(up, Rounding::Up) >= at(inside, Rounding::Up));
        proptest::prop_assert!(at(down, Rounding::Down) <= at(inside, Rounding::Down));
    }
}
