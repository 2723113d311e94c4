//! The pool's capacity (issue 13, §3 reserve and borrow fee, §4 insurance-aware open-interest
//! limit). One quote pool backs every market: a side's open interest must stay within what the
//! pool can pay out (reserve), positions pay the pool for the capacity they hold (borrow fee),
//! and the open interest that a −40% gap would turn into bad debt must fit in the insurance
//! fund plus a fraction of the pool.

use fulcrum::instructions::{MarketParams, Side};
use fulcrum::state::MarginAccount;

use crate::harness::*;

/// Pool depth and insurance fund of every test here.
const POOL: u64 = 100_000 * USDC;
const INSURANCE: u64 = 1_000 * USDC;

/// The market under test: the harness defaults plus the capacity parameters.
fn capacity_params() -> MarketParams {
    MarketParams { ..default_market_params() }
}

/// An exchange with one SOL-PERP market at $100 under `params`, a $100k pool and a $1k
/// insurance fund.
async fn world(params: MarketParams) -> Harness {
    let mut h = Harness::new().await;
    h.add_market(OracleFormat::Pull, Quote::at(px(100)), params).await;
    h.seed_pool(POOL).await;
    h.fund_insurance(INSURANCE).await;
    h
}

/// A trader with `usdc` deposited.
async fn trader(h: &mut Harness, usdc: u64) -> Trader {
    let t = h.trader(usdc).await;
    h.deposit(&t, 0, usdc).await.unwrap();
    t
}

/// Long open interest notional of market 0 at $100, USDC.
async fn long_notional_usd(h: &mut Harness) -> u64 {
    h.market(0).await.long_base / SOL * 100
}

/// A side opened far past what the pool can pay: a $2M long on a $100k pool. On the old code it
/// opens; a 10% rise then owes the whale more than the pool holds and the close fails.
#[tokio::test]
async fn reserve_refuses_a_side_past_the_pool() {
    let mut h = world(capacity_params()).await;
    let whale = trader(&mut h, 300_000 * USDC).await;
    let r = h.trade(&whale, 0, Side::Buy, 20_000 * SOL).await;
    if r.is_ok() {
        let oi = long_notional_usd(&mut h).await;
        h.set_market_price(0, px(110)).await;
        let close = h.close(&whale, 0).await;
        let pool = h.pool_state().await.balance / USDC;
        panic!("a ${oi} long opened on a ${} pool; at +10% the close: {close:?} (pool ${pool})", POOL / USDC);
    }
}

/// A position held for three days pays the pool nothing on the old code: the pool carries the
/// capacity for free.
#[tokio::test]
async fn borrow_fee_is_paid_for_held_capacity() {
    let mut h = world(capacity_params()).await;
    let long = trader(&mut h, 5_000 * USDC).await;
    let short = trader(&mut h, 5_000 * USDC).await;
    h.trade(&long, 0, Side::Buy, 100 * SOL).await.unwrap();
    h.trade(&short, 0, Side::Sell, 100 * SOL).await.unwrap();
    let pool_before = h.pool_state().await.balance;
    h.advance(72 * 3_600).await;
    h.refresh_oracles().await;
    let q = |a: &MarginAccount| a.quote_balance;
    let (l0, s0) = (q(&h.margin(&long.account).await), q(&h.margin(&short.account).await));
    h.close(&long, 0).await.unwrap();
    h.close(&short, 0).await.unwrap();
    let (l1, s1) = (q(&h.margin(&long.account).await), q(&h.margin(&short.account).await));
    let pool_gain = h.pool_state().await.balance as i64 - pool_before as i64;
    // The closes' fees: 0.1% of $10k each, the insurance fund's share aside.
    let fee = 10 * USDC as i64;
    let (long_paid, short_paid) = (l0 - l1 - fee, s0 - s1 - fee);
    // 135 ppm an hour at 10% utilisation (see `capacity_params`) for 72 hours on $10k: $97.20.
    let expected = 97_200_000i64;
    assert!(
        (long_paid - expected).abs() <= expected / 100 && (short_paid - expected).abs() <= expected / 100,
        "held 72h: the long paid {long_paid}, the short {short_paid} (expected ≈ {expected}); pool gained {pool_gain}"
    );
}

/// Open interest a −40% gap turns into bad debt far beyond insurance: a $200k long at 10x
/// against a $1k insurance fund. On the old code it opens, and the gap leaves the account
/// bankrupt by tens of thousands of dollars.
#[tokio::test]
async fn insurance_oi_limit_caps_what_a_gap_can_lose() {
    let mut h = world(capacity_params()).await;
    let whale = trader(&mut h, 25_000 * USDC).await;
    let r = h.trade(&whale, 0, Side::Buy, 2_000 * SOL).await;
    if r.is_ok() {
        let oi = long_notional_usd(&mut h).await;
        h.set_market_price(0, px(60)).await;
        let equity = h.report(&whale.account).await.equity;
        panic!(
            "a ${oi} long opened with ${} insurance; after −40% its equity is {} USDC",
            INSURANCE / USDC,
            equity / USDC as i128
        );
    }
}
