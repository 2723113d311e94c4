//! Oracle-latency arbitrage against the pool (issue 13, §1). Anyone may post a newer verified
//! Pyth update to the market's price account, so a trader who sees the next price before the
//! chain does can buy at the on-chain price, post the update, and sell at the new one: the pool
//! (the LPs) pays the move. The attacks here are that round trip in one slot (one transaction:
//! the program sees the same slot and clock for its three instructions, which the harness sends
//! as three transactions without moving the clock), across two slots, split over two accounts,
//! with an update older than one already observed, and a sweep over price moves.
//!
//! The market is SOL-like on a volatile day: σ ≈ 198 ppm/√s (≈ 111% a year), learnt from two
//! hourly observations; taker fee 0.05% (GMX's and Jupiter's); 10,000 SOL at $100 traded
//! against a $10M pool.

use fulcrum::instructions::{MarketParams, Side};
use solana_sdk::instruction::Instruction;

use crate::harness::*;

/// The attack's size: 10,000 SOL ($1M at $100).
const SIZE: u64 = 10_000 * SOL;
/// The price the attack starts from.
const P0: i64 = px(100);
/// Seconds the on-chain price is old when the attack starts.
const STALE: i64 = 2;

pub fn latency_params() -> MarketParams {
    MarketParams {
        taker_fee: 500, // 0.05%
        vol_decay_secs: 3_600,
        // Fills take a price at most 10 s old; spread = max(5 bp, conf / price, 3σ√10 s).
        max_fill_age: 10,
        min_spread: 500,
        spread_z: 3_000_000,
        ..default_market_params()
    }
}

/// A quote at `price`, `age` seconds old, with a narrow confidence (1 bp): the spread comes
/// from the market's own parameters and volatility.
pub fn quote(price: i64, age: i64) -> Quote {
    Quote { price, conf: (price / 10_000) as u64, ema: price, age }
}

/// `p × (1 + ppm / 10⁶)`, in Pyth units.
fn moved(p: i64, ppm: i64) -> i64 {
    p + p * ppm / 1_000_000
}

pub struct Lat {
    pub h: Harness,
    /// The attacker's two accounts.
    pub a: Trader,
    pub b: Trader,
}

impl Lat {
    /// A $10M pool, one SOL-PERP market that saw $100 → $101.20 → $100 an hour apart (its
    /// variance is one hourly return squared per hour), and an attacker with $300,000 in each
    /// of two accounts. The on-chain price is then $100, published [`STALE`] seconds ago and
    /// not yet observed by the program.
    pub async fn new() -> Self {
        Self::with(latency_params()).await
    }

    pub async fn with(params: MarketParams) -> Self {
        let mut h = Harness::new().await;
        h.add_market(OracleFormat::Pull, quote(P0, 0), params).await;
        h.seed_pool(10_000_000 * USDC).await;
        let a = h.trader_with_deposit(300_000 * USDC).await;
        let b = h.trader_with_deposit(300_000 * USDC).await;
        h.crank(0).await.unwrap();
        let o = h.markets[0].oracle;
        for p in [px(101) + px(1) / 5, P0] {
            h.advance(3_600).await;
            h.set_oracle(&o, quote(p, 0)).await;
            h.crank(0).await.unwrap();
        }
        h.advance(5).await;
        h.set_oracle(&o, quote(P0, STALE)).await;
        Lat { h, a, b }
    }

    /// Posts an update at `price`, published now.
    pub async fn post(&mut self, price: i64) {
        let o = self.h.markets[0].oracle;
        self.h.set_oracle(&o, quote(price, 0)).await;
    }

    pub async fn quote_balance(&mut self, t: &Trader) -> i64 {
        self.h.margin(&t.account).await.quote_balance
    }

    /// `t`'s position in market 0: (base, quote_entry).
    pub async fn position(&mut self, t: &Trader) -> (i64, i64) {
        let acct = self.h.margin(&t.account).await;
        acct.find_perp(0).map(|i| (acct.perps[i].base, acct.perps[i].quote_entry)).unwrap_or((0, 0))
    }
}

/// Opens `SIZE` on `t` (`long`: buy).
async fn open(h: &mut Harness, t: &Trader, long: bool) {
    let side = if long { Side::Buy } else { Side::Sell };
    h.trade(t, 0, side, SIZE).await.unwrap();
}

/// Closes `t`'s whole position reduce-only.
async fn close(h: &mut Harness, t: &Trader) {
    h.close(t, 0).await.unwrap();
}

/// The round trip in one slot: open at the on-chain price, post the update `move_ppm` away,
/// close. Returns the attacker's profit (quote native units, fees included).
pub async fn one_slot_round_trip(l: &mut Lat, move_ppm: i64, long: bool) -> i64 {
    let a = l.a.kp.insecure_clone();
    let a = Trader { kp: a, account: l.a.account, tokens: l.a.tokens.clone() };
    let before = l.quote_balance(&a).await;
    let slot = l.h.clock().await.slot;
    let now = l.h.now().await;
    open(&mut l.h, &a, long).await;
    l.post(moved(P0, move_ppm)).await;
    close(&mut l.h, &a).await;
    assert_eq!((l.h.clock().await.slot, l.h.now().await), (slot, now), "the round trip left its slot");
    assert_eq!(l.position(&a).await, (0, 0));
    l.h.assert_conservation().await;
    l.quote_balance(&a).await - before
}

/// The same round trip with the close in the next slot (one second later).
pub async fn two_slot_round_trip(l: &mut Lat, move_ppm: i64, long: bool) -> i64 {
    let a = Trader { kp: l.a.kp.insecure_clone(), account: l.a.account, tokens: l.a.tokens.clone() };
    let before = l.quote_balance(&a).await;
    let slot = l.h.clock().await.slot;
    open(&mut l.h, &a, long).await;
    l.h.advance(1).await;
    assert!(l.h.clock().await.slot > slot);
    l.post(moved(P0, move_ppm)).await;
    close(&mut l.h, &a).await;
    assert_eq!(l.position(&a).await, (0, 0));
    l.h.assert_conservation().await;
    l.quote_balance(&a).await - before
}

/// Buy on account A, post the update, sell on account B, all in one slot. The two positions
/// cancel, so what they lock in is independent of any later price: Σ quote balance change +
/// Σ quote entry.
pub async fn two_account_round_trip(l: &mut Lat, move_ppm: i64) -> i64 {
    let a = Trader { kp: l.a.kp.insecure_clone(), account: l.a.account, tokens: l.a.tokens.clone() };
    let b = Trader { kp: l.b.kp.insecure_clone(), account: l.b.account, tokens: l.b.tokens.clone() };
    let before = l.quote_balance(&a).await + l.quote_balance(&b).await;
    let slot = l.h.clock().await.slot;
    open(&mut l.h, &a, true).await;
    l.post(moved(P0, move_ppm)).await;
    open(&mut l.h, &b, false).await;
    assert_eq!(l.h.clock().await.slot, slot, "the round trip left its slot");
    let (base_a, entry_a) = l.position(&a).await;
    let (base_b, entry_b) = l.position(&b).await;
    assert_eq!(base_a + base_b, 0);
    l.h.assert_conservation().await;
    l.quote_balance(&a).await + l.quote_balance(&b).await - before + entry_a + entry_b
}

fn dollars(native: i64) -> f64 {
    native as f64 / USDC as f64
}

#[tokio::test]
async fn buy_post_newer_update_sell_in_one_slot_earns_nothing() {
    let mut l = Lat::new().await;
    let profit = one_slot_round_trip(&mut l, 4_000, true).await;
    println!("one slot, +0.4%: attacker {:+.2} USDC", dollars(profit));
    assert!(profit <= 0, "the attack earned {profit}");
}

#[tokio::test]
async fn buy_post_newer_update_sell_across_two_slots_earns_nothing() {
    let mut l = Lat::new().await;
    let profit = two_slot_round_trip(&mut l, 4_000, true).await;
    println!("two slots, +0.4%: attacker {:+.2} USDC", dollars(profit));
    assert!(profit <= 0, "the attack earned {profit}");
}

#[tokio::test]
async fn buy_on_one_account_sell_on_another_in_one_slot_earns_nothing() {
    let mut l = Lat::new().await;
    let profit = two_account_round_trip(&mut l, 4_000).await;
    println!("two accounts, +0.4%: attacker locks in {:+.2} USDC", dollars(profit));
    assert!(profit <= 0, "the attack locked in {profit}");
}

/// Moves (ppm) of the sweep: every one inside 2 × (spread + fee) of the market above, both
/// ways.
const SWEEP: [i64; 6] = [500, 1_000, 2_000, 3_000, 4_000, 4_500];

#[tokio::test]
async fn no_round_trip_inside_the_spread_bound_earns() {
    // Every move of the sweep is inside the round-trip bound 2 × (spread + fee) of the market
    // as the attack finds it (its spread before the attack's own observation, which only adds
    // to the variance).
    let mut l = Lat::new().await;
    let market = l.h.market(0).await;
    let spread = market.fill_spread(fulcrum_risk::conf_ratio(1, 10_000).unwrap()).unwrap();
    let bound = 2 * (i64::from(spread) + i64::from(market.taker_fee));
    println!("spread {spread} ppm, round-trip bound {bound} ppm");
    assert!(SWEEP.iter().all(|m| *m <= bound), "spread {spread}: bound {bound}");
    let mut earned = vec![];
    for m in SWEEP {
        for long in [true, false] {
            let signed = if long { m } else { -m };
            let mut l = Lat::new().await;
            let one = one_slot_round_trip(&mut l, signed, long).await;
            let mut l = Lat::new().await;
            let two = two_slot_round_trip(&mut l, signed, long).await;
            println!("move {signed:+} ppm: one slot {:+.2}, two slots {:+.2} USDC", dollars(one), dollars(two));
            if one > 0 || two > 0 {
                earned.push((signed, one, two));
            }
        }
    }
    // Within one slot the second leg fills at the worse observation: no move, however large,
    // pays.
    for m in [10_000, 50_000] {
        let mut l = Lat::new().await;
        let one = one_slot_round_trip(&mut l, m, true).await;
        let mut l = Lat::new().await;
        let pair = two_account_round_trip(&mut l, m).await;
        println!("move {m:+} ppm: one slot {:+.2}, two accounts {:+.2} USDC", dollars(one), dollars(pair));
        if one > 0 || pair > 0 {
            earned.push((m, one, pair));
        }
    }
    assert!(earned.is_empty(), "(move ppm, one slot, two slots or accounts) that earned: {earned:?}");
}

/// Sends `ix` signed by `t` and asserts it fails with `e`, leaving the ledger as it was.
async fn refused(l: &mut Lat, ix: Instruction, t: &Trader, e: FulcrumError) {
    let keys = l.h.ledger_keys();
    let before = l.h.snapshot(&keys).await;
    assert_error(l.h.send(&[ix], &[&t.kp]).await, e);
    assert_eq!(l.h.snapshot(&keys).await, before, "state changed by a refused {e:?}");
    l.h.assert_conservation().await;
}

#[tokio::test]
async fn an_update_older_than_one_observed_is_refused() {
    let mut l = Lat::new().await;
    let a = Trader { kp: l.a.kp.insecure_clone(), account: l.a.account, tokens: l.a.tokens.clone() };
    open(&mut l.h, &a, true).await;
    // An older update (published before the one the buy observed) at a higher price: selling
    // into it would be selling at a price the market has already moved past.
    let o = l.h.markets[0].oracle;
    l.h.set_oracle(&o, quote(moved(P0, 4_000), STALE + 3)).await;
    let ix = l.h.trade_ix(&a, 0, Side::Sell, SIZE, None, true).await;
    refused(&mut l, ix, &a, FulcrumError::OracleOlderThanObserved).await;
}

#[tokio::test]
async fn a_price_older_than_the_fill_age_fills_nothing() {
    let mut l = Lat::with(MarketParams { max_oracle_age: 60, ..latency_params() }).await;
    let a = Trader { kp: l.a.kp.insecure_clone(), account: l.a.account, tokens: l.a.tokens.clone() };
    open(&mut l.h, &a, true).await;
    // 30 s later, nobody has published: the price is within the margin age, past the fill age.
    l.h.advance(30).await;
    let ix = l.h.trade_ix(&a, 0, Side::Sell, SIZE, None, true).await;
    refused(&mut l, ix, &a, FulcrumError::OracleTooOldForFill).await;
    // Cranks (and liquidations, on their own fallback) still take it.
    l.h.crank(0).await.unwrap();
}

#[tokio::test]
async fn fill_parameters_out_of_range_are_refused_by_name() {
    let mut l = Lat::new().await;
    let ok = l.h.market(0).await.params();
    let admin = l.h.admin.insecure_clone();
    for (bad, e) in [
        (MarketParams { max_fill_age: 0, ..ok }, FulcrumError::FillAgeOutOfRange),
        (MarketParams { max_fill_age: ok.max_oracle_age + 1, ..ok }, FulcrumError::FillAgeOutOfRange),
        (MarketParams { min_spread: fulcrum_risk::MAX_MIN_SPREAD + 1, ..ok }, FulcrumError::MinSpreadTooLarge),
        (MarketParams { spread_z: fulcrum_risk::MAX_SPREAD_Z + 1, ..ok }, FulcrumError::SpreadZTooLarge),
    ] {
        let ix = l.h.update_market_ix(0, bad);
        let keys = l.h.ledger_keys();
        let before = l.h.snapshot(&keys).await;
        assert_error(l.h.send(&[ix], &[&admin]).await, e);
        assert_eq!(l.h.snapshot(&keys).await, before, "state changed by a refused {e:?}");
    }
    // The bounds themselves are accepted.
    let edge = MarketParams {
        max_fill_age: ok.max_oracle_age,
        min_spread: fulcrum_risk::MAX_MIN_SPREAD,
        spread_z: fulcrum_risk::MAX_SPREAD_Z,
        ..ok
    };
    l.h.update_market(0, edge).await;
    assert_eq!(l.h.market(0).await.params(), edge);
}

// ---- for the fuzzer: a round trip in one slot through any update never earns

/// If `t` holds nothing in `market` (no slot, so no isolated collateral there): opens `size`
/// (`buy`), moves the market's oracle `bps` with a newer update in the same slot, and closes
/// reduce-only. Invariant: when both legs fill, the account's quote balance did not rise (no
/// time passed, so no funding: the change is the fills' PnL less fees). Returns the last
/// transaction's result (`None`: not applicable).
pub async fn fuzz_round_trip(
    h: &mut Harness,
    t: &Trader,
    market: u16,
    buy: bool,
    size: u64,
    oracle: OracleHandle,
    bps: i16,
) -> Result<Option<TxResult>, String> {
    let acct = h.margin(&t.account).await;
    if acct.find_perp(market).is_some() {
        return Ok(None);
    }
    let before = acct.quote_balance;
    let slot = h.clock().await.slot;
    let side = if buy { Side::Buy } else { Side::Sell };
    let opened = h.trade(t, market, side, size).await;
    if opened.is_err() {
        return Ok(Some(opened));
    }
    crate::fuzz::move_price(h, oracle, bps).await;
    let closed = h.close(t, market).await;
    if closed.is_err() || h.clock().await.slot != slot {
        return Ok(Some(closed));
    }
    let after = h.margin(&t.account).await;
    if after.find_perp(market).is_some() {
        return Err(format!("latency round trip on market {market}: a position is left"));
    }
    if after.quote_balance > before {
        return Err(format!(
            "latency round trip on market {market} ({} {size}, then {bps:+} bps in the same slot) earned {}",
            if buy { "buy" } else { "sell" },
            after.quote_balance - before
        ));
    }
    Ok(Some(closed))
}

#[tokio::test]
async fn the_trade_event_carries_the_oracle_price_and_the_spread() {
    let mut l = Lat::new().await;
    let a = Trader { kp: l.a.kp.insecure_clone(), account: l.a.account, tokens: l.a.tokens.clone() };
    let ix = l.h.trade_ix(&a, 0, Side::Buy, SIZE, None, false).await;
    let logs = l.h.send_logged(&[ix], &[&a.kp]).await.unwrap();
    let ev = events::<fulcrum::events::TradeEvent>(&logs);
    assert_eq!(ev.len(), 1);
    let e = &ev[0];
    let market = l.h.market(0).await;
    // The spread the market charges now (its variance after this observation), from $100.
    let spread = market.fill_spread(fulcrum_risk::conf_ratio(1, 10_000).unwrap()).unwrap();
    assert_eq!((e.oracle_price, e.spread), (engine_price(P0, 9), spread));
    assert!(spread > 1_800 && spread < 1_900, "spread {spread}");
    assert_eq!(e.price, fulcrum_risk::fill_price(true, e.oracle_price, 0, 0, spread).unwrap());
    // The position's cost basis is the fill price: the spread is the pool's.
    let (_, entry) = l.position(&a).await;
    assert_eq!(-entry as u64, e.fill_quote);
    assert_eq!(e.fill_quote, (SIZE as u128 * e.price as u128).div_ceil(1_000_000_000_000) as u64);
}
