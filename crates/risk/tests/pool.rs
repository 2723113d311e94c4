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

// ------------------------------------------------------------------ LP flows (issue 13 §2)

const SOL10: u64 = 10_000_000_000;

#[test]
fn unsettled_funding_is_what_the_positions_owe_rounded_for_the_pool() {
    // Longs 10 SOL snapshot at 5, shorts 4 SOL snapshot at 2, index now 7 (FUNDING_SCALE units):
    // longs owe 10e9 × 2, shorts owe 4e9 × −5: (20e9 − 20e9) / 1e12 = 0.
    let m = MarketExposure { long_base: SOL10, short_base: 4_000_000_000, ..Default::default() };
    let f =
        MarketFunding { index: 7, borrow: 0, long_snapshots: 5 * SOL10 as i128, short_snapshots: 2 * 4_000_000_000 };
    assert_eq!(traders_unsettled_funding(&m, &f, Rounding::Down).unwrap(), 0);
    // Index 1e12 above every snapshot: longs owe 10e9, shorts are owed 4e9 (quote native).
    let f = MarketFunding { index: 1_000_000_000_000, ..Default::default() };
    assert_eq!(traders_unsettled_funding(&m, &f, Rounding::Down).unwrap(), 6_000_000_000);
    // A fraction of a unit: the pool rounds down for a withdrawal, up for a deposit.
    let m = MarketExposure { long_base: 3, ..Default::default() };
    let f = MarketFunding { index: 1_000_000_000, ..Default::default() };
    assert_eq!(traders_unsettled_funding(&m, &f, Rounding::Down).unwrap(), 0);
    assert_eq!(traders_unsettled_funding(&m, &f, Rounding::Up).unwrap(), 1);
    let m = MarketExposure { short_base: 3, ..Default::default() };
    assert_eq!(traders_unsettled_funding(&m, &f, Rounding::Down).unwrap(), -1);
    assert_eq!(traders_unsettled_funding(&m, &f, Rounding::Up).unwrap(), 0);
}

#[test]
fn pnl_caps_move_the_value_against_the_lp() {
    // Balance 1,000, factor 30%: cap 300.
    // Deposit: traders' profit counted at most 300 (a higher value: fewer shares); losses in full.
    assert_eq!(capped_traders_pnl(500, 1_000, 300_000, Rounding::Up).unwrap(), 300);
    assert_eq!(capped_traders_pnl(200, 1_000, 300_000, Rounding::Up).unwrap(), 200);
    assert_eq!(capped_traders_pnl(-500, 1_000, 300_000, Rounding::Up).unwrap(), -500);
    // Withdrawal: traders' loss (the pool's gain) counted at most 300; profits in full.
    assert_eq!(capped_traders_pnl(-500, 1_000, 300_000, Rounding::Down).unwrap(), -300);
    assert_eq!(capped_traders_pnl(500, 1_000, 300_000, Rounding::Down).unwrap(), 500);
    // 0: no cap. The cap rounds down: 1,001 × 30% = 300.3 → 300.
    assert_eq!(capped_traders_pnl(500, 1_000, 0, Rounding::Up).unwrap(), 500);
    assert_eq!(capped_traders_pnl(500, 1_001, 300_000, Rounding::Up).unwrap(), 300);
}

#[test]
fn lp_value_counts_capped_pnl_funding_and_bad_debt_beyond_insurance() {
    // Long 10 SOL from $100 at $110 (+$100 to traders), owing $6 of funding; $50 of bad debt
    // recorded with $20 in the insurance fund: the pool bears $30.
    let m = MarketExposure {
        long_base: SOL10,
        long_quote_entry: -1_000_000_000,
        price: 110_000_000_000,
        ..Default::default()
    };
    let f = MarketFunding { index: 600_000_000, ..Default::default() };
    let v = LpValuation {
        balance: 1_000_000_000,
        markets: &[m],
        funding: &[f],
        unresolved_bad_debt: 50_000_000,
        insurance_balance: 20_000_000,
        max_pnl_factor: 0,
        payout_caps: &[],
    };
    assert_eq!(lp_pool_value(&v, Rounding::Down).unwrap(), 1_000_000_000 - 100_000_000 + 6_000_000 - 30_000_000);
    // Deposits count the traders' profit at most 5% of the balance ($50).
    let capped = LpValuation { max_pnl_factor: 50_000, ..v };
    assert_eq!(lp_pool_value(&capped, Rounding::Up).unwrap(), 1_000_000_000 - 50_000_000 + 6_000_000 - 30_000_000);
    // The insurance fund covers it all: nothing to the pool.
    assert_eq!(expected_socialised_loss(50, 80), 0);
    // Without funding entries the market owes nothing.
    let bare = LpValuation { funding: &[], unresolved_bad_debt: 0, ..v };
    assert_eq!(lp_pool_value(&bare, Rounding::Down).unwrap(), pool_value(1_000_000_000, &[m], Rounding::Down).unwrap());
}

#[test]
fn a_deposit_leaves_out_what_the_payout_cap_withholds_a_withdrawal_does_not() {
    // Traders +$100 in a market whose winners are paid at most 4% of the $1,000 pool ($40): the
    // pool would pay $40 now, so a deposit counts $40 of liability; a withdrawal counts the $100
    // (the cap rises with the pool's cash, ADL may pay the rest later).
    let m = MarketExposure {
        long_base: SOL10,
        long_quote_entry: -1_000_000_000,
        price: 110_000_000_000,
        ..Default::default()
    };
    let v = LpValuation {
        balance: 1_000_000_000,
        markets: &[m],
        funding: &[],
        unresolved_bad_debt: 0,
        insurance_balance: 0,
        max_pnl_factor: 0,
        payout_caps: &[40_000],
    };
    assert_eq!(lp_pool_value(&v, Rounding::Up).unwrap(), 1_000_000_000 - 40_000_000);
    assert_eq!(lp_pool_value(&v, Rounding::Down).unwrap(), 1_000_000_000 - 100_000_000);
    // Under the cap nothing is withheld; the exchange's deposit cap still applies on top.
    let loose = LpValuation { payout_caps: &[200_000], ..v };
    assert_eq!(lp_pool_value(&loose, Rounding::Up).unwrap(), 1_000_000_000 - 100_000_000);
    let both = LpValuation { max_pnl_factor: 30_000, ..v };
    assert_eq!(lp_pool_value(&both, Rounding::Up).unwrap(), 1_000_000_000 - 30_000_000);
}

#[test]
fn first_deposit_leaves_the_pools_value_to_dead_shares() {
    // Empty pool: one share a unit, DEAD_SHARES to no one.
    assert_eq!(lp_first_deposit(1_000_000, 0).unwrap(), (1_000_000 - DEAD_SHARES, DEAD_SHARES));
    // $101.90 already there: the dead shares hold it; the depositor owns its own deposit only.
    let (mine, dead) = lp_first_deposit(1_000_000_000, 101_900_000).unwrap();
    assert_eq!((mine, dead), (1_000_000_000 - DEAD_SHARES, 101_900_000 + DEAD_SHARES));
    let value_after = 1_000_000_000 + 101_900_000;
    assert!(lp_amount_for_shares(mine, value_after, mine + dead).unwrap() <= 1_000_000_000);
    // Too small to mint anything, and a deficit refused.
    assert_eq!(lp_first_deposit(DEAD_SHARES, 0).unwrap(), (0, 0));
    assert_eq!(lp_first_deposit(1_000_000, -1), Err(MathError::InvalidInput));
}

#[test]
fn withdrawal_fee_rounds_up_and_stays() {
    // 90 of 900 shares of 1,000: 100 gross; 0.1% = 0.1 → 1 kept, 99 paid.
    assert_eq!(lp_withdrawal(90, 1_000, 900, 1_000).unwrap(), (99, 1));
    assert_eq!(lp_withdrawal(90, 1_000, 900, 0).unwrap(), (100, 0));
    assert_eq!(lp_withdrawal(90, 1_000, 900, 50_000).unwrap(), (95, 5));
}

#[test]
fn depth_leaves_out_the_deposits_of_the_current_slot() {
    assert_eq!(pool_depth(1_000, 7, 900, 7), 100);
    assert_eq!(pool_depth(1_000, 7, 900, 8), 1_000);
    // Trades may have paid out of the deposit since: never below zero.
    assert_eq!(pool_depth(500, 7, 900, 7), 0);
}
