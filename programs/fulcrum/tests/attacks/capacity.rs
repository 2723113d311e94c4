//! The pool's capacity (issue 13, §3 reserve and borrow fee, §4 insurance-aware open-interest
//! limit). One quote pool backs every market: a side's open interest must stay within what the
//! pool can pay out (reserve), positions pay the pool for the capacity they hold (borrow fee),
//! and the open interest that a −40% gap would turn into bad debt must fit in the insurance
//! fund plus a fraction of the pool.

use fulcrum::instructions::{MarketParams, Side};
use fulcrum::state::MarginAccount;
use fulcrum_risk::{insurance_oi_cap, BorrowParams};
use solana_sdk::{instruction::Instruction, signature::Keypair};

use crate::harness::*;

/// Pool depth and insurance fund of every test here.
const POOL: u64 = 100_000 * USDC;
const INSURANCE: u64 = 1_000 * USDC;

/// The market under test: the harness defaults plus the capacity parameters (on the old code,
/// which had none, the harness defaults alone). A 50% reserve; a borrow fee of 0.001% an hour
/// plus 0.1% an hour at the 80% kink, 5% an hour more at 100%; OI capped so that a ±40% shock
/// past maintenance fits in insurance + 10% of the pool.
fn capacity_params() -> MarketParams {
    MarketParams {
        reserve_factor: 500_000,
        borrow_base_rate: 10,
        borrow_slope1: 1_000,
        borrow_kink: 800_000,
        borrow_slope2: 50_000,
        oi_shock: 400_000,
        oi_pool_fraction: 100_000,
        ..default_market_params()
    }
}

/// An exchange with one SOL-PERP market at $100 under `params`, a $100k pool and a $1k
/// insurance fund.
async fn world(params: MarketParams) -> Harness {
    Setup { insurance: INSURANCE, ..Setup::market(params, POOL) }.build().await
}

/// A trader with `usdc` deposited.
async fn trader(h: &mut Harness, usdc: u64) -> Trader {
    let t = h.trader_with_deposit(usdc).await;
    t
}

/// Long open interest notional of market 0 at $100, USDC.
async fn long_notional_usd(h: &mut Harness) -> u64 {
    h.market(0).await.long_base / SOL * 100
}

/// Sends `ixs`, asserts they fail with `e` and change nothing in the ledger or `t`'s tokens
/// (as `World::rejected`).
async fn refused(h: &mut Harness, t: &Trader, ixs: &[Instruction], signers: &[&Keypair], e: FulcrumError) {
    let mut keys = h.ledger_keys();
    keys.extend(t.tokens.values().copied());
    let before = h.snapshot(&keys).await;
    assert_error(h.send(ixs, signers).await, e);
    assert_eq!(h.snapshot(&keys).await, before, "state changed by a refused {e:?}");
    h.assert_conservation().await;
}

async fn buy_ix(h: &mut Harness, t: &Trader, size: u64) -> Instruction {
    h.trade_ix(t, 0, Side::Buy, size, None, false).await
}

/// A side opened far past what the pool can pay: a $2M long on a $100k pool. On the old code it
/// opened, and a 10% rise then owed the whale more than the pool held: the close failed with
/// `InsufficientPoolLiquidity`. Now the long side stops at 50% of the pool; a winner within it
/// is paid in full, and reducing is allowed even when a price move has pushed the side past it.
#[tokio::test]
async fn reserve_refuses_a_side_past_the_pool() {
    let mut h = world(MarketParams { oi_shock: 0, ..capacity_params() }).await;
    let whale = trader(&mut h, 300_000 * USDC).await;
    let ix = buy_ix(&mut h, &whale, 20_000 * SOL).await;
    refused(&mut h, &whale, &[ix], &[&whale.kp], FulcrumError::ReserveExceeded).await;
    // 500 SOL ($50k) is exactly 50% of the pool (plus the fees it has earned): allowed.
    h.trade(&whale, 0, Side::Buy, 500 * SOL).await.unwrap();
    assert_eq!(long_notional_usd(&mut h).await, 50_000);
    let ix = buy_ix(&mut h, &whale, SOL).await;
    refused(&mut h, &whale, &[ix], &[&whale.kp], FulcrumError::ReserveExceeded).await;
    // +30%: the side is worth $65k, past the reserve. Adding is refused, closing is not, and
    // the $15k profit is paid in full.
    h.set_market_price(0, px(130)).await;
    // A new slot: a close in the slot that saw the entry fills from the worse observation.
    h.advance(1).await;
    let ix = buy_ix(&mut h, &whale, SOL).await;
    refused(&mut h, &whale, &[ix], &[&whale.kp], FulcrumError::ReserveExceeded).await;
    let a = h.margin(&whale.account).await;
    let (before, pos) = (a.quote_balance, a.perps[a.find_perp(0).unwrap()].position());
    h.close(&whale, 0).await.unwrap();
    let paid = h.margin(&whale.account).await.quote_balance - before;
    // The second since the move costs the borrow fee at the side's (past-the-reserve) utilisation.
    let owed = fulcrum_risk::unsettled_funding(&pos, &h.market(0).await.risk(fulcrum_risk::Price::flat(1))).unwrap();
    assert!(owed > 0, "a second of borrow fee");
    assert_eq!(
        i128::from(paid),
        i128::from(15_000 * USDC - 65 * USDC) - owed,
        "profit less the 0.1% close fee and the borrow fee"
    );
    h.assert_conservation().await;
}

/// A position held for three days paid the pool nothing on the old code: the pool carried the
/// capacity for free. Now both sides pay the borrow fee at the utilisation they leave, accrued
/// per second (and by the keeper's cranks, which change nothing in the amount), and what they
/// pay is exactly what the pool earns.
#[tokio::test]
async fn borrow_fee_is_paid_for_held_capacity() {
    let mut h = world(capacity_params()).await;
    let long = trader(&mut h, 5_000 * USDC).await;
    let short = trader(&mut h, 5_000 * USDC).await;
    h.trade(&long, 0, Side::Buy, 100 * SOL).await.unwrap();
    h.trade(&short, 0, Side::Sell, 100 * SOL).await.unwrap();
    let m = h.market(0).await;
    let pool = h.pool_state().await;
    // $10k a side on a reserve capacity of 50% × $100,020: 19.996% utilisation, rounded up.
    let u = fulcrum_risk::borrow_utilisation(10_000 * USDC as u128, 500_000, pool.balance).unwrap();
    assert_eq!(u, 199_961);
    let p = BorrowParams { base_rate: 10, slope1: 1_000, kink: 800_000, slope2: 50_000 };
    assert_eq!(fulcrum_risk::borrow_rate(u, &p).unwrap(), 260);
    assert_eq!(m.borrow_rate, 260, "10 + ⌈1,000 × 19.9961% / 80%⌉ ppm an hour");
    let (pool_before, insurance_before) = (pool.balance, pool.insurance_balance);
    for _ in 0..3 {
        h.advance(24 * 3_600).await;
        h.refresh_oracles().await;
        let index = h.market(0).await.borrow_index();
        h.crank(0).await.unwrap();
        assert!(h.market(0).await.borrow_index() > index, "a crank accrues the borrow fee");
    }
    let q = |a: &MarginAccount| a.quote_balance;
    let (l0, s0) = (q(&h.margin(&long.account).await), q(&h.margin(&short.account).await));
    h.close(&long, 0).await.unwrap();
    h.close(&short, 0).await.unwrap();
    let (l1, s1) = (q(&h.margin(&long.account).await), q(&h.margin(&short.account).await));
    let pool = h.pool_state().await;
    let earned = (pool.balance + pool.insurance_balance) as i64 - (pool_before + insurance_before) as i64;
    // The closes' fees: 0.1% of $10k each.
    let fee = 10 * USDC as i64;
    let (long_paid, short_paid) = (l0 - l1 - fee, s0 - s1 - fee);
    // 260 ppm an hour for 72 hours on $10k: $187.20, the same for both sides.
    assert_eq!((long_paid, short_paid), (187_200_000, 187_200_000), "held 72h");
    assert_eq!(earned, long_paid + short_paid + 2 * fee, "the pool earns exactly what the positions pay");
    h.assert_conservation().await;
}

/// Open interest a −40% gap turns into bad debt far beyond insurance: a $200k long at 10x
/// against a $1k insurance fund. On the old code it opened, and the gap left the account at
/// −$55,200. Now a side's open interest stops where 35% of it (the shock past the 5%
/// maintenance ratio) fits in the $1k fund plus 10% of the pool: about $31.4k.
#[tokio::test]
async fn insurance_oi_limit_caps_what_a_gap_can_lose() {
    let mut h = world(MarketParams { reserve_factor: 10_000_000, ..capacity_params() }).await;
    let whale = trader(&mut h, 25_000 * USDC).await;
    let ix = buy_ix(&mut h, &whale, 2_000 * SOL).await;
    refused(&mut h, &whale, &[ix], &[&whale.kp], FulcrumError::InsuranceOiLimitExceeded).await;
    let pool = h.pool_state().await;
    let cap = insurance_oi_cap(pool.insurance_balance, pool.balance, 100_000, 400_000, 50_000);
    assert_eq!(cap, 31_428_571_428, "($1,000 + 10% × $100,000) / 35%");
    // A trader at 10x fills the side up to the cap: 314 SOL ($31.4k) on $3,200.
    let lev = trader(&mut h, 3_200 * USDC).await;
    h.trade(&lev, 0, Side::Buy, 300 * SOL).await.unwrap();
    let ix = buy_ix(&mut h, &lev, 20 * SOL).await;
    refused(&mut h, &lev, &[ix], &[&lev.kp], FulcrumError::InsuranceOiLimitExceeded).await;
    h.trade(&lev, 0, Side::Buy, 14 * SOL).await.unwrap();
    // The same cap binds shorts (a +40% spike).
    let bear = trader(&mut h, 25_000 * USDC).await;
    let ix = h.trade_ix(&bear, 0, Side::Sell, 320 * SOL, None, false).await;
    refused(&mut h, &bear, &[ix], &[&bear.kp], FulcrumError::InsuranceOiLimitExceeded).await;
    // What the gap can now cost: 35% of $31.4k ≈ $11k, within insurance + 10% of the pool.
    h.set_market_price(0, px(60)).await;
    let equity = h.report(&lev.account).await.equity;
    assert!(equity < 0, "the 10x long is bankrupt after the gap: {equity}");
    let pool = h.pool_state().await;
    let covered = pool.insurance_balance as i128 + pool.balance as i128 / 10;
    assert!(-equity <= covered, "bad debt {equity} vs insurance + 10% of the pool {covered}");
    h.assert_conservation().await;
}

/// Each capacity parameter out of its range is refused by its own error, at update as at
/// listing, and changes nothing; a change in range applies.
#[tokio::test]
async fn capacity_parameters_out_of_range_are_refused_by_name() {
    let mut h = world(capacity_params()).await;
    let admin = h.admin.insecure_clone();
    let nobody = h.trader(0).await;
    let p = capacity_params();
    for (bad, e) in [
        (MarketParams { reserve_factor: 10_000_001, ..p }, FulcrumError::ReserveFactorOutOfRange),
        (MarketParams { borrow_base_rate: 10_001, ..p }, FulcrumError::BorrowRateOutOfRange),
        (MarketParams { borrow_slope1: 100_001, ..p }, FulcrumError::BorrowRateOutOfRange),
        (MarketParams { borrow_slope2: 100_001, ..p }, FulcrumError::BorrowRateOutOfRange),
        (MarketParams { borrow_kink: 0, ..p }, FulcrumError::BorrowKinkOutOfRange),
        (MarketParams { borrow_kink: 1_000_001, ..p }, FulcrumError::BorrowKinkOutOfRange),
        (MarketParams { oi_shock: 1_000_001, ..p }, FulcrumError::OiShockOutOfRange),
        (MarketParams { oi_pool_fraction: 1_000_001, ..p }, FulcrumError::OiShockOutOfRange),
    ] {
        let i = h.update_market_ix(0, bad);
        refused(&mut h, &nobody, &[i], &[&admin], e).await;
    }
    let good = MarketParams { reserve_factor: 10_000_000, borrow_kink: 1_000_000, oi_shock: 1_000_000, ..p };
    let i = h.update_market_ix(0, good);
    h.send(&[i], &[&admin]).await.unwrap();
    assert_eq!(h.market(0).await.params(), good);
}

// ---- for the fuzzer: capacity parameters on its markets and the capacity invariants

/// `p` with the pool's capacity on (the fuzzer's markets): a reserve of 30% of the pool per side,
/// a borrow fee from 0.001% to 5.1% an hour, an OI cap for a ±40% shock with 20% of the pool.
pub fn with_capacity(p: MarketParams) -> MarketParams {
    MarketParams {
        reserve_factor: 300_000,
        borrow_base_rate: 10,
        borrow_slope1: 1_000,
        borrow_kink: 800_000,
        borrow_slope2: 50_000,
        oi_shock: 400_000,
        oi_pool_fraction: 200_000,
        ..p
    }
}

/// Every market's open interest before an operation.
pub async fn open_interest(h: &mut Harness) -> Vec<(u64, u64)> {
    let mut v = vec![];
    for m in 0..h.markets.len() {
        let market = h.market(m).await;
        v.push((market.long_base, market.short_base));
    }
    v
}

/// Invariant: a side that grew (only a risk-increasing trade grows one) is within the reserve
/// and the insurance-aware cap, at the price and pool the trade left.
pub async fn growth_within_capacity(h: &mut Harness, before: &[(u64, u64)]) -> Result<(), String> {
    let pool = h.pool_state().await;
    for (m, (long0, short0)) in before.iter().enumerate() {
        let market = h.market(m).await;
        let maint = market.effective_maint_ratio.max(market.maint_margin_ratio);
        let cap =
            insurance_oi_cap(pool.insurance_balance, pool.balance, market.oi_pool_fraction, market.oi_shock, maint);
        for (base, was) in [(market.long_base, *long0), (market.short_base, *short0)] {
            if base <= was {
                continue;
            }
            let notional = fulcrum_risk::side_notional(base, market.last_valid_price).map_err(|e| format!("{e:?}"))?;
            if !fulcrum_risk::reserve_ok(notional, market.reserve_factor, pool.balance) {
                return Err(format!("market {m}: a side grew to {notional} past the reserve of pool {}", pool.balance));
            }
            if notional > u128::from(cap) {
                return Err(format!("market {m}: a side grew to {notional} past the insurance-aware cap {cap}"));
            }
        }
    }
    Ok(())
}

/// The state a close starts from, for [`check_close_settlement`].
pub struct CloseSnapshot {
    pub account: MarginAccount,
    pub market: fulcrum::state::PerpMarket,
    pub pool: fulcrum::state::LiquidityPool,
}

impl CloseSnapshot {
    pub async fn take(h: &mut Harness, t: &Trader, market: u16) -> Self {
        CloseSnapshot {
            account: h.margin(&t.account).await,
            market: h.market(market as usize).await,
            pool: h.pool_state().await,
        }
    }
}

/// A close of the whole position in `market` settled exactly what the engine says: PnL through
/// the market's PnL cap (`haircut`, as before the close), funding and the borrow fee accrued to
/// now at the oracle price, the fee at the fill price; and the account paid exactly what the
/// pool plus the insurance fund earned.
pub async fn check_close_settlement(
    h: &mut Harness,
    t: &Trader,
    market: u16,
    before: &CloseSnapshot,
    event: &fulcrum::events::TradeEvent,
    haircut: fulcrum_risk::PnlHaircut,
) -> Result<(), String> {
    let a = &before.account;
    let Some(i) = a.find_perp(market) else { return Ok(()) };
    let m1 = h.market(market as usize).await;
    let pool1 = h.pool_state().await;
    let a1 = h.margin(&t.account).await;
    let e = |x: fulcrum_risk::MathError| format!("engine: {x:?}");
    // The market as the close saw it: accrued to now at the oracle price, through the cap.
    let risk = fulcrum_risk::PerpMarketRisk {
        pnl_haircut: haircut,
        ..before.market.risk_at(fulcrum_risk::Price::flat(event.oracle_price), m1.last_funding_time).map_err(e)?
    };
    let pos = a.perps[i].position();
    let fill = fulcrum_risk::apply_fill(&pos, &risk, -pos.base, event.price, event.fee_rate).map_err(e)?;
    let owed = fulcrum_risk::unsettled_funding(&pos, &risk).map_err(e)?;
    let held = |s: Option<usize>, acct: &MarginAccount| {
        i128::from(acct.quote_balance) + s.map_or(0, |k| i128::from(acct.perps[k].isolated_collateral))
    };
    let paid = held(Some(i), a) - held(a1.find_perp(market), &a1);
    let earned = i128::from(pool1.balance) + i128::from(pool1.insurance_balance)
        - i128::from(before.pool.balance)
        - i128::from(before.pool.insurance_balance);
    let expected = i128::from(fill.fee) - i128::from(fill.realized_pnl);
    if (fill.realized_pnl, fill.fee) != (event.realized_pnl, event.fee) || paid != expected || earned != expected {
        return Err(format!(
            "close of {pos:?} in market {market} (funding and borrow owed {owed}): the account paid {paid}, the \
             pool earned {earned}, the engine says {expected} ({fill:?}; the event: realised {}, fee {})",
            event.realized_pnl, event.fee
        ));
    }
    Ok(())
}
