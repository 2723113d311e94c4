//! Winners are always paid: the PnL cap's math (rounding against the trader, the cap never
//! exceeded), margin and fills through it, and auto-deleveraging's plan.

use fulcrum_risk::*;
use proptest::prelude::*;

const SOL: i64 = 1_000_000_000;
const USD: i64 = 1_000_000;
/// $1 per whole SOL in engine units (quote native per base native × 1e12).
const DOLLAR: u64 = 1_000_000_000;

fn market(price_dollars: u64, haircut: PnlHaircut) -> PerpMarketRisk {
    PerpMarketRisk {
        price: Price::flat(price_dollars * DOLLAR),
        base_decimals: 9,
        init_margin_ratio: 100_000,
        maint_margin_ratio: 50_000,
        imf: 0,
        cumulative_funding: 0,
        pnl_haircut: haircut,
        cumulative_borrow: 0,
    }
}

fn long(size: i64, entry_dollars: i64) -> PerpPosition {
    PerpPosition { base: size * SOL, quote_entry: -size * entry_dollars * USD, funding_snapshot: 0 }
}

#[test]
fn the_haircut_pays_pro_rata_down_to_the_unit_and_never_past_the_cap() {
    let h = pnl_haircut(3, 500_000, 3).unwrap(); // cap ⌊1.5⌋ = 1 of a profit of 3
    assert_eq!(h, PnlHaircut { paid: 1, profit: 3, cap: 1 });
    assert_eq!(apply_haircut(2, &h).unwrap(), 0); // ⌊2 / 3⌋
    assert_eq!(apply_haircut(3, &h).unwrap(), 1);
    assert_eq!(apply_haircut(-7, &h).unwrap(), -7, "losses untouched");
    // A winner whose side nets against losers can hold more than the side's profit: one payment
    // is still at most the cap.
    assert_eq!(apply_haircut(1_000, &h).unwrap(), 1);
    // Under the cap, in full; no cap (0), in full.
    let h = pnl_haircut(100, 500_000, 1_000).unwrap();
    assert!(!h.is_haircut());
    assert_eq!(apply_haircut(100, &h).unwrap(), 100);
    assert_eq!(apply_haircut(1 << 60, &pnl_haircut(5, 0, 0).unwrap()).unwrap(), 1 << 60);
    assert_eq!(apply_haircut(1 << 60, &PnlHaircut::NONE).unwrap(), 1 << 60);
}

#[test]
fn market_profit_counts_each_winning_side_and_rounds_up() {
    // Longs: 100 SOL from $100 at $300: +$20,000. Shorts: 10 SOL from $250: −$500 (not offset).
    let m = MarketExposure {
        long_base: 100 * SOL as u64,
        short_base: 10 * SOL as u64,
        long_quote_entry: -10_000 * USD,
        short_quote_entry: 2_500 * USD,
        price: 300 * DOLLAR,
    };
    assert_eq!(market_profit(&m).unwrap(), 20_000 * USD as u128);
    // One native unit at a price of 1.5 units: the long's value rounds up.
    let m = MarketExposure { long_base: 1, price: 1_500_000_000_000, ..Default::default() };
    assert_eq!(market_profit(&m).unwrap(), 2);
    assert_eq!(pnl_ratio(20_000 * USD as u128, 10_000 * USD as u64).unwrap(), 2_000_000);
    assert_eq!(pnl_ratio(1, 3).unwrap(), 333_334);
    assert_eq!(pnl_ratio(1, 0).unwrap(), u64::MAX);
    assert_eq!(pnl_ratio(0, 0).unwrap(), 0);
}

#[test]
fn margin_fills_and_settlement_count_a_gain_through_the_cap() {
    // +$20,000 at $300 under a cap of $5,000 of a $20,000 profit: a quarter.
    let h = pnl_haircut(20_000 * USD as u128, 500_000, 10_000 * USD as u64).unwrap();
    let e = [PerpExposure { position: long(100, 100), market: market(300, h) }];
    let a = RiskAccount { quote_balance: 1_000 * USD, collateral: &[], perps: &e, params: AccountParams::default() };
    assert_eq!(unrealized_pnl(&e[0].position, &e[0].market, MarginKind::Maintenance).unwrap(), 5_000 * USD as i128);
    assert_eq!(uncapped_pnl(&e[0].position, &e[0].market, MarginKind::Maintenance).unwrap(), 20_000 * USD as i128);
    assert_eq!(health(&a, MarginKind::Maintenance).unwrap().equity, 6_000 * USD as i128);
    assert_eq!(raw_equity(&a).unwrap(), 6_000 * USD as i128);
    // Closing half realises half of the capped gain; the other half still counts capped.
    let fill = apply_fill(&e[0].position, &e[0].market, -50 * SOL, 300 * DOLLAR, 0).unwrap();
    assert_eq!(fill.realized_pnl, 2_500 * USD);
    assert_eq!(unrealized_pnl(&fill.position, &e[0].market, MarginKind::Maintenance).unwrap(), 2_500 * USD as i128);
    let (settled, _) = settle_pnl(&e[0].position, &e[0].market).unwrap();
    assert_eq!(settled, 5_000 * USD);
    // The liquidation price is the position's own line: a long from $100 with $1,000 is
    // liquidated at ≈ $90.53 whatever the cap on its profit at $300.
    let uncapped = [PerpExposure { position: long(100, 100), market: market(300, PnlHaircut::NONE) }];
    let b = RiskAccount { perps: &uncapped, ..a };
    assert_eq!(liquidation_price(&a, 0).unwrap(), liquidation_price(&b, 0).unwrap());
}

#[test]
fn auto_deleveraging_closes_down_to_the_floor_and_never_past_it() {
    // 120 SOL long from $100 at $300 ($24,000 of profit) against $10,000 of cash, cap 50%.
    let exposure = MarketExposure {
        long_base: 120 * SOL as u64,
        long_quote_entry: -12_000 * USD,
        price: 300 * DOLLAR,
        ..Default::default()
    };
    let pool = 10_000 * USD as u64;
    let h = pnl_haircut(market_profit(&exposure).unwrap(), 500_000, pool).unwrap();
    let m = market(300, h);
    let step = SOL as u64 / 1_000;
    // Floor 50%: closing the whole 100 SOL ($4,166.66 paid) leaves $4,000 against $5,833.34: 0.6857.
    let all = plan_auto_deleverage(&long(100, 100), &m, &exposure, pool, 500_000, step).unwrap();
    assert_eq!(all.base_delta, -100 * SOL);
    assert_eq!((all.ratio_before, all.ratio_after), (2_400_000, 685_715));
    // Floor 90%: a partial close, at the floor, and one more step would go below it.
    let part = plan_auto_deleverage(&long(100, 100), &m, &exposure, pool, 900_000, step).unwrap();
    assert!(part.base_delta < 0 && part.base_delta > -100 * SOL);
    assert!(part.ratio_after >= 900_000);
    let more = plan_auto_deleverage(&long(100, 100), &m, &exposure, pool, 0, step).unwrap();
    assert!(more.ratio_after < 900_000);
    let next = apply_fill(&long(100, 100), &m, part.base_delta - step as i64, 300 * DOLLAR, 0).unwrap();
    let after = replace_position(&exposure, &long(100, 100), &next.position).unwrap();
    let balance = pool - next.realized_pnl as u64;
    assert!(pnl_ratio(market_profit(&after).unwrap(), balance).unwrap() < 900_000);
    // A floor above the ratio: nothing to close.
    let none = plan_auto_deleverage(&long(100, 100), &m, &exposure, pool, 3_000_000, step).unwrap();
    assert_eq!(none.base_delta, 0);
}

#[test]
fn adl_rank_is_pnl_ratio_times_leverage() {
    // +100% at 5x: 5,000,000 ppm; +100% at 2x ranks below; a loser ranks 0.
    assert_eq!(adl_score(500 * USD as i128, -500 * USD, 5_000 * USD as i128, 1_000 * USD as i128), 5_000_000);
    assert!(adl_score(500 * USD as i128, -500 * USD, 2_000 * USD as i128, 1_000 * USD as i128) < 5_000_000);
    assert_eq!(adl_score(-1, -500 * USD, 5_000 * USD as i128, 1_000 * USD as i128), 0);
    assert_eq!(adl_score(1, -1, 1, 0), u128::from(u64::MAX));
}

proptest! {
    /// What the cap pays over any split of a market's winners is at most the cap, and each
    /// payment at most its profit.
    #[test]
    fn payments_never_exceed_the_cap(
        gains in proptest::collection::vec(1u64..1u64 << 40, 1..8),
        factor in 1u32..=1_000_000,
        pool in 0u64..1u64 << 42,
    ) {
        let profit: u128 = gains.iter().map(|g| u128::from(*g)).sum();
        let h = pnl_haircut(profit, factor, pool).unwrap();
        let mut total = 0i128;
        for g in &gains {
            let paid = apply_haircut(i128::from(*g), &h).unwrap();
            prop_assert!(paid >= 0 && paid <= i128::from(*g));
            total += paid;
        }
        prop_assert!(total as u128 <= h.cap.min(profit));
        prop_assert!(h.cap <= u128::from(pool));
    }
}
