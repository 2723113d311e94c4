//! Funding farmed by cranking (issue 12, item 3). On a market with a small engine price a keeper
//! that calls the permissionless `crank_market` every second must not move the funding index
//! faster than one accrual over the same time would: what a position pays is the same, within
//! one index unit on its size, however often the market is observed.

use fulcrum::instructions::{MarketParams, Side};
use fulcrum::state::PerpMarket;
use solana_sdk::{instruction::Instruction, signature::Signer};

use crate::harness::*;

/// $0.01 at the harness's Pyth exponent (−8): engine price 10⁷ for a 9-decimal base.
const CENT: i64 = 1_000_000;
/// One whole token of a 9-decimal base.
const TOKEN: u64 = 1_000_000_000;
/// Seconds the keeper cranks for: an hour.
const SECS: i64 = 3_600;
/// Pool depth, USDC.
const DEPTH: u64 = 10_000;

fn penny_params() -> MarketParams {
    MarketParams {
        taker_fee: 0,
        step_size: TOKEN,
        long_oi_cap: u64::MAX / 4,
        short_oi_cap: u64::MAX / 4,
        funding_factor: 10_000, // 1% an hour at a skew of 100% of pool depth
        max_funding_rate: 10_000,
        ..default_market_params()
    }
}

/// A long of 1,000,000 tokens and a short of 1,000,100 ($10,001) on market `m`: a net short of
/// $1 on a $10,000 pool, skew −100 ppm, a funding rate of −1 ppm an hour (shorts pay).
async fn skewed_book(h: &mut Harness, m: u16) -> (Trader, Trader) {
    let long = h.trader(2_000 * USDC).await;
    let short = h.trader(2_000 * USDC).await;
    h.deposit(&long, 0, 2_000 * USDC).await.unwrap();
    h.deposit(&short, 0, 2_000 * USDC).await.unwrap();
    h.trade(&long, m, Side::Buy, 1_000_000 * TOKEN).await.unwrap();
    h.trade(&short, m, Side::Sell, 1_000_100 * TOKEN).await.unwrap();
    (long, short)
}

/// Quote the close of `t`'s position on `m` moves into its balance (the funding it is owed;
/// negative: paid). The price never moves and the fee is zero, so nothing else moves it.
async fn settle(h: &mut Harness, t: &Trader, m: u16) -> i64 {
    let before = h.margin(&t.account).await.quote_balance;
    h.close(t, m).await.unwrap();
    h.margin(&t.account).await.quote_balance - before
}

/// One index unit on `base`, rounded up, plus the one native unit settlement rounds: the
/// tolerance "within one unit per position".
fn one_unit(base: u64) -> i64 {
    (base as u128).div_ceil(fulcrum_risk::FUNDING_SCALE) as i64 + 1
}

// ---- for the fuzzer (issue 12, item 7): per-second cranks and the funding invariant

/// A keeper's `crank_market` on market `m` every second for `secs` seconds, every oracle
/// republished at its current price each second (so nothing but time moves), checking
/// [`funding_step_is_exact`] after each crank and, at the end, that the seconds of cranks
/// accrued exactly what one accrual over them does.
pub async fn crank_every_second(h: &mut Harness, m: usize, secs: i64) -> Result<(), String> {
    let start = h.market(m).await;
    let mut before = start;
    for _ in 0..secs {
        h.advance(1).await;
        h.refresh_oracles().await;
        h.crank(m).await.map_err(|e| format!("crank of market {m}: {e:?}"))?;
        let after = h.market(m).await;
        funding_step_is_exact(&before, &after)?;
        before = after;
    }
    if start.last_funding_time > 0 && start.last_valid_price == before.last_valid_price {
        let secs = (before.last_funding_time - start.last_funding_time) as u64;
        let once = one_accrual(&start, before.last_valid_price, secs);
        if (before.funding_index(), before.funding_carry) != once {
            return Err(format!(
                "market {m}: {secs} cranks left funding (index, carry) ({}, {}), one accrual {once:?}",
                before.funding_index(),
                before.funding_carry
            ));
        }
    }
    Ok(())
}

/// `(index, carry)` of `market` after one accrual of `secs` seconds at `price` and its current
/// rate: what any number of observations over those seconds at that price must leave.
pub fn one_accrual(market: &PerpMarket, price: u64, secs: u64) -> (i128, i64) {
    fulcrum_risk::accrue_funding(market.funding_index(), market.funding_carry, price, market.funding_rate, secs)
        .expect("accrual in range")
}

/// Invariant over one transaction: the market's funding moved exactly by one accrual from its
/// last funding time to the new one, at the rate set before and the price observed (an
/// observation records it as `last_valid_price`), or not at all; the carry stays under one unit.
pub fn funding_step_is_exact(before: &PerpMarket, after: &PerpMarket) -> Result<(), String> {
    let dt = after.last_funding_time - before.last_funding_time;
    let expected = if before.last_funding_time > 0 && dt > 0 {
        one_accrual(before, after.last_valid_price, dt as u64)
    } else {
        (before.funding_index(), before.funding_carry)
    };
    let got = (after.funding_index(), after.funding_carry);
    if got != expected || i128::from(after.funding_carry).abs() >= fulcrum_risk::FUNDING_CARRY_DENOM {
        return Err(format!(
            "market {}: funding (index, carry) {got:?} after {dt} s at rate {} and price {}, expected {expected:?}",
            after.index, before.funding_rate, after.last_valid_price
        ));
    }
    Ok(())
}

#[tokio::test]
async fn cranking_every_second_pays_no_more_funding_than_one_accrual() {
    let mut h = Harness::new().await;
    // Market 0 is cranked every second by a keeper; market 1, identical, is observed once.
    h.add_market(OracleFormat::Pull, Quote::at(CENT), penny_params()).await;
    h.add_market(OracleFormat::Pull, Quote::at(CENT), penny_params()).await;
    let _lp = h.seed_pool(DEPTH * USDC).await;
    let (long0, short0) = skewed_book(&mut h, 0).await;
    let (long1, short1) = skewed_book(&mut h, 1).await;
    assert_eq!(h.market(0).await.funding_rate, -1, "rate of a −100 ppm skew");
    assert_eq!(h.market(1).await.funding_rate, -1);

    let start = h.market(0).await;
    // Each crank moves funding by exactly its accrual; an hour of them, by one hour's accrual.
    crank_every_second(&mut h, 0, SECS).await.unwrap();
    let end = h.market(0).await;
    assert_eq!((end.funding_index(), end.funding_carry), one_accrual(&start, 10_000_000, SECS as u64));
    let before1 = h.market(1).await;
    h.crank(1).await.unwrap();
    funding_step_is_exact(&before1, &h.market(1).await).unwrap();
    let (i0, i1) = (h.market(0).await.funding_index(), h.market(1).await.funding_index());

    let short_base = 1_000_100 * TOKEN;
    let long_base = 1_000_000 * TOKEN;
    let paid0 = -settle(&mut h, &short0, 0).await;
    let paid1 = -settle(&mut h, &short1, 1).await;
    let got0 = settle(&mut h, &long0, 0).await;
    let got1 = settle(&mut h, &long1, 1).await;
    // Exact: |base| × price × rate × T / (3600 × 10⁶ × FUNDING_SCALE).
    let exact = |base: u64| (base as i128 * 10_000_000 * SECS as i128 / 3_600_000_000 / 1_000_000_000_000) as i64;
    println!(
        "index cranked {i0} vs once {i1}; short pays {paid0} vs {paid1} (exact {}); long gets {got0} vs {got1}",
        exact(short_base)
    );
    assert!((i0 - i1).abs() <= 1, "index cranked every second {i0} vs one accrual {i1}");
    assert!((paid0 - paid1).abs() <= one_unit(short_base), "short paid {paid0} cranked vs {paid1} once");
    assert!((paid0 - exact(short_base)).abs() <= one_unit(short_base), "short paid {paid0}");
    assert!((got0 - got1).abs() <= one_unit(long_base), "long got {got0} cranked vs {got1} once");
    h.assert_conservation().await;
}

/// `add_perp_market` of market `index` with `base_decimals` on a fresh pull oracle at `pyth`
/// (exponent −8).
async fn listing_ix(h: &mut Harness, index: u16, base_decimals: u8, pyth: i64) -> Instruction {
    let oracle = h.new_oracle(OracleFormat::Pull, Quote::at(pyth)).await;
    Listing { admin: h.admin.pubkey(), exchange: h.exchange, index }.market_ix(
        [0; 16],
        base_decimals,
        &oracle,
        penny_params(),
    )
}

#[tokio::test]
async fn listing_a_market_whose_engine_price_is_coarser_than_one_ppm() {
    let mut h = Harness::new().await;
    let admin = h.admin.insecure_clone();
    // A 12-decimal base (the most listable) at $0.2 is engine price 2 × 10⁵: one unit is 5 ppm
    // of the price. A 9-decimal base at $0.0001 is 10⁵: 10 ppm. Both refused by name, nothing
    // created. (An 18-decimal base is refused earlier, `BaseDecimalsOutOfRange`.)
    for (decimals, pyth) in [(12u8, CENT * 20), (9, CENT / 100)] {
        let ix = listing_ix(&mut h, 0, decimals, pyth).await;
        let market = ix.accounts[3].pubkey;
        let before = h.snapshot(&[h.exchange]).await;
        assert_error(h.send(&[ix], &[&admin]).await, FulcrumError::EnginePriceTooCoarse);
        assert_eq!(h.snapshot(&[h.exchange]).await, before, "exchange changed by a refused listing");
        assert!(h.account(&market).await.is_none(), "market created by a refused listing");
    }
    // $0.001 at 9 decimals is 10⁶, the lowest listable; the penny market of the cranking test
    // (10⁷) lists too.
    for (i, pyth) in [CENT / 10, CENT].into_iter().enumerate() {
        let ix = listing_ix(&mut h, i as u16, 9, pyth).await;
        let key = ix.accounts[3].pubkey;
        h.send(&[ix], &[&admin]).await.unwrap();
        let m: PerpMarket = h.load(&key).await;
        assert_eq!(m.index as usize, i);
    }
}
