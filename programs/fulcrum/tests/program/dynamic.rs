//! Dynamic risk through transactions: volatility-scaled margin, size and open-interest
//! premiums, circuit breaker, stale-oracle liquidation, funding, skew fees, rate-limited
//! maintenance.

use fulcrum::events::{CircuitBreakerEvent, TradeEvent};
use fulcrum::instructions::{MarketParams, Side};
use fulcrum_risk::{margin_ratio, MarginKind};
use solana_sdk::signature::Signer;

use crate::harness::*;

fn volatile_params() -> MarketParams {
    MarketParams {
        vol_z: 3_000_000,
        vol_horizon_secs: 3_600,
        vol_decay_secs: 600,
        maint_fraction: 500_000,
        max_maint_increase_per_hour: 10_000,
        ..default_market_params()
    }
}

/// Lists market 0 on `p` (pull oracle at $100), seeds the pool with `pool` USDC and returns two
/// traders with `each` USDC deposited.
async fn two_traders(h: &mut Harness, p: MarketParams, pool: u64, each: u64) -> (Trader, Trader) {
    h.add_market(OracleFormat::Pull, Quote::at(px(100)), p).await;
    let _lp = h.seed_pool(pool).await;
    (h.trader_with_deposit(each).await, h.trader_with_deposit(each).await)
}

/// Republishes market 0 at `pyth` after `secs` and cranks it.
async fn tick(h: &mut Harness, secs: i64, pyth: i64) {
    h.advance(secs).await;
    h.set_market_price(0, pyth).await;
    h.crank(0).await.unwrap();
}

#[tokio::test]
async fn volatility_raises_initial_margin_and_quiet_brings_it_back() {
    let mut h = Setup::market(volatile_params(), 100_000 * USDC).build().await;
    let t = h.trader_with_deposit(1_000 * USDC).await;
    h.crank(0).await.unwrap();
    assert_eq!(h.market(0).await.effective_init_ratio, 100_000);
    // 80 SOL = $8,000 at 10% needs $800: passes in calm.
    let ix = h.trade_ix(&t, 0, Side::Buy, 80 * SOL, None, false).await;
    assert!(h.simulate(&[ix], &[&t.kp]).await);

    // Ten 3% swings a minute apart.
    for i in 0..10 {
        tick(&mut h, 60, if i % 2 == 0 { px(103) } else { px(100) }).await;
    }
    let m = h.market(0).await;
    assert!(m.variance > 5_000_000, "variance {}", m.variance);
    assert!(m.effective_init_ratio > 300_000, "init ratio {}", m.effective_init_ratio);
    assert_error(h.trade(&t, 0, Side::Buy, 80 * SOL).await, FulcrumError::TradeExceedsInitialMargin);

    // An hour of quiet minutes.
    for _ in 0..60 {
        tick(&mut h, 60, px(100)).await;
    }
    let m = h.market(0).await;
    assert_eq!(m.effective_init_ratio, 100_000, "back to the floor (variance {})", m.variance);
    h.trade(&t, 0, Side::Buy, 80 * SOL).await.unwrap();
    h.assert_conservation().await;
}

#[tokio::test]
async fn size_and_open_interest_premiums() {
    let mut h = Harness::new().await;
    let mut p = volatile_params();
    p.vol_z = 0;
    p.imf = 1_000; // 0.1% per √SOL
    p.oi_premium = 100_000; // +10% at a full cap
    p.long_oi_cap = 200 * SOL;
    let (small, large) = two_traders(&mut h, p, 100_000 * USDC, 10_000 * USDC).await;
    h.trade(&small, 0, Side::Buy, 10 * SOL).await.unwrap();
    h.trade(&large, 0, Side::Buy, 100 * SOL).await.unwrap();
    // OI 110 of 200: +5.5%.
    let m = h.market(0).await;
    assert_eq!(m.effective_init_ratio, 155_000);
    let risk = m.risk(fulcrum_risk::Price::flat(100_000_000_000));
    let r_small = margin_ratio(10 * SOL as i64, &risk, MarginKind::Initial).unwrap();
    let r_large = margin_ratio(100 * SOL as i64, &risk, MarginKind::Initial).unwrap();
    assert_eq!((r_small, r_large), (155_000 + 3_163, 155_000 + 10_000));
    let ix = h.trade_ix(&large, 0, Side::Buy, SOL, None, false).await;
    let logs = h.send_logged(&[ix], &[&large.kp]).await.unwrap();
    assert_eq!(events::<TradeEvent>(&logs)[0].init_ratio, 155_500);
    // Past the cap.
    assert_error(h.trade(&large, 0, Side::Buy, 90 * SOL).await, FulcrumError::OpenInterestCapExceeded);
    h.assert_conservation().await;
}

#[tokio::test]
async fn a_jump_beyond_the_band_makes_the_market_reduce_only_until_calm() {
    let mut h = Harness::new().await;
    let mut p = volatile_params();
    p.vol_z = 0;
    p.price_band = 200_000; // 20%
    p.breaker_cooldown_secs = 300;
    let (long, short) = two_traders(&mut h, p, 100_000 * USDC, 1_000 * USDC).await;
    h.trade(&long, 0, Side::Buy, 20 * SOL).await.unwrap();
    h.trade(&short, 0, Side::Sell, 90 * SOL).await.unwrap();

    // Oracle $125 against an EMA of $100: 25% outside.
    let o = h.markets[0].oracle;
    h.set_oracle(&o, Quote { ema: px(100), ..Quote::at(px(125)) }).await;
    let logs = h.send_logged(&[h.crank_ix(0)], &[]).await.unwrap();
    assert_eq!(events::<CircuitBreakerEvent>(&logs).len(), 1);
    assert_error(h.trade(&long, 0, Side::Buy, SOL).await, FulcrumError::MarketReduceOnly);
    assert_error(h.trade(&short, 0, Side::Buy, 100 * SOL).await, FulcrumError::MarketReduceOnly); // a flip opens
    h.trade(&long, 0, Side::Sell, 10 * SOL).await.unwrap(); // closes pass
    let k = h.trader(0).await;
    h.liquidate_perp(&k.kp, &k.token(&h.quote.mint.clone()), &short.account, 0).await.unwrap(); // liquidations pass

    // Back inside the band: still reduce-only for the cool-down, then open.
    h.advance(100).await;
    h.set_oracle(&o, Quote { ema: px(115), ..Quote::at(px(120)) }).await;
    h.crank(0).await.unwrap();
    assert_error(h.trade(&long, 0, Side::Buy, SOL).await, FulcrumError::MarketReduceOnly);
    h.advance(250).await;
    h.set_oracle(&o, Quote { ema: px(118), ..Quote::at(px(120)) }).await;
    h.crank(0).await.unwrap();
    h.trade(&long, 0, Side::Buy, SOL).await.unwrap();
    h.assert_conservation().await;
}

#[tokio::test]
async fn a_stale_oracle_stops_trading_but_liquidation_uses_the_last_valid_price_for_a_while() {
    let mut h = Harness::new().await;
    // Oracle age 60 s, liquidation 120 s.
    let (a, b) = two_traders(&mut h, volatile_params(), 100_000 * USDC, 1_000 * USDC).await;
    for t in [&a, &b] {
        h.trade(t, 0, Side::Buy, 95 * SOL).await.unwrap();
    }
    // The last valid observation is $94 (below maintenance for both); then the feed stops.
    h.set_market_price(0, px(94)).await;
    h.crank(0).await.unwrap();
    h.advance(70).await;
    assert_error(h.trade(&a, 0, Side::Sell, SOL).await, FulcrumError::OracleStale);
    let k = h.trader(0).await;
    let fee_to = k.token(&h.quote.mint);
    h.liquidate_perp(&k.kp, &fee_to, &a.account, 0).await.unwrap();
    assert!(h.margin(&a.account).await.perps[0].base < 95 * SOL as i64);
    // 130 s after the last valid price: beyond the bound.
    h.advance(60).await;
    assert_error(h.liquidate_perp(&k.kp, &fee_to, &b.account, 0).await, FulcrumError::OracleStale);
    h.assert_conservation().await;
}

#[tokio::test]
async fn an_hour_of_long_skew_moves_exactly_the_computed_funding() {
    let mut h = Harness::new().await;
    let mut p = volatile_params();
    p.vol_z = 0;
    p.taker_fee = 0;
    p.funding_factor = 10_000; // 1% an hour at a skew of 100% of pool depth
    p.max_funding_rate = 10_000;
    let (long, short) = two_traders(&mut h, p, 10_000 * USDC, 2_000 * USDC).await;
    h.trade(&long, 0, Side::Buy, 100 * SOL).await.unwrap();
    h.trade(&short, 0, Side::Sell, 20 * SOL).await.unwrap();
    // Skew: 80 SOL × $100 / $10,000 = 80% → 0.8% an hour.
    let rate = h.market(0).await.funding_rate;
    assert_eq!(rate, 8_000);
    let before_l = h.report(&long.account).await.equity;
    let before_s = h.report(&short.account).await.equity;
    let pool_before = h.pool_state().await.balance;

    tick(&mut h, 3_600, px(100)).await;
    // Index: $100 × 0.8% = $0.80 per SOL = 8e8 index units.
    assert_eq!(h.market(0).await.funding_index(), 800_000_000);
    // Equity already counts it: longs −$80, shorts +$16.
    assert_eq!(h.report(&long.account).await.equity, before_l - 80 * USDC as i128);
    assert_eq!(h.report(&short.account).await.equity, before_s + 16 * USDC as i128);
    // Settled on touch (the closes): the pool keeps the $64 imbalance.
    h.close(&long, 0).await.unwrap();
    h.close(&short, 0).await.unwrap();
    assert_eq!(h.margin(&long.account).await.quote_balance, 2_000 * USDC as i64 - 80 * USDC as i64);
    assert_eq!(h.margin(&short.account).await.quote_balance, 2_000 * USDC as i64 + 16 * USDC as i64);
    assert_eq!(h.pool_state().await.balance, pool_before + 64 * USDC);
    h.assert_conservation().await;
}

#[tokio::test]
async fn a_skew_increasing_trade_pays_more_than_a_skew_reducing_one() {
    let mut h = Harness::new().await;
    let mut p = volatile_params();
    p.vol_z = 0;
    p.impact_fee = 10_000; // +1% at a skew of 100% of depth
    let (a, b) = two_traders(&mut h, p, 10_000 * USDC, 2_000 * USDC).await;
    let ix = h.trade_ix(&a, 0, Side::Buy, 20 * SOL, None, false).await;
    let ev = events::<TradeEvent>(&h.send_logged(&[ix], &[&a.kp]).await.unwrap()).remove(0);
    // $2,000 of skew on $10,000: 0.1% + 1% × 20% = 0.3% → $6.
    assert_eq!((ev.fee_rate, ev.fee), (3_000, 6 * USDC));
    let ix = h.trade_ix(&b, 0, Side::Sell, 20 * SOL, None, false).await;
    let ev = events::<TradeEvent>(&h.send_logged(&[ix], &[&b.kp]).await.unwrap()).remove(0);
    assert_eq!((ev.fee_rate, ev.fee), (1_000, 2 * USDC));
    h.assert_conservation().await;
}

#[tokio::test]
async fn a_volatility_jump_raises_initial_margin_at_once_but_maintenance_only_at_its_rate() {
    let mut h = Setup::market(volatile_params(), 100_000 * USDC).build().await;
    let t = h.trader_with_deposit(1_000 * USDC).await;
    h.crank(0).await.unwrap();
    h.trade(&t, 0, Side::Buy, 90 * SOL).await.unwrap(); // 9x
                                                        // A burst: +8% then back, a minute apart.
    tick(&mut h, 60, px(108)).await;
    tick(&mut h, 60, px(100)).await;
    let m = h.market(0).await;
    assert!(m.effective_init_ratio > 400_000, "init jumps: {}", m.effective_init_ratio);
    assert!(m.effective_maint_ratio <= 50_000 + 10_000 * 120 / 3_600 + 1, "maint crawls: {}", m.effective_maint_ratio);
    assert_error(h.trade(&t, 0, Side::Buy, SOL).await, FulcrumError::TradeExceedsInitialMargin);
    let k = h.stranger().await;
    let fee_to = h.create_token_account(&h.quote.mint.clone(), &k.pubkey()).await;
    assert_error(h.liquidate_perp(&k, &fee_to, &t.account, 0).await, FulcrumError::NotLiquidatable);
    h.assert_conservation().await;
}

#[tokio::test]
async fn pauses_block_by_name_and_are_events() {
    use anchor_lang::{InstructionData, ToAccountMetas};
    use fulcrum::events::{ExchangePausedEvent, MarketStateEvent};
    use fulcrum::state::pause;
    use solana_sdk::instruction::Instruction;
    let mut h = Setup::markets(1, 10_000 * USDC).build().await;
    let t = h.trader(1_000 * USDC).await;
    h.deposit(&t, 0, 500 * USDC).await.unwrap();
    let admin = h.admin.insecure_clone();
    let set = |flags: u8| Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::UpdateExchange { admin: admin.pubkey(), exchange: h.exchange }
            .to_account_metas(None),
        data: fulcrum::instruction::SetPaused { flags }.data(),
    };
    let (pause_trading, pause_all, resume) = (set(pause::TRADING), set(pause::ALL), set(0));
    let logs = h.send_logged(&[pause_trading], &[&admin]).await.unwrap();
    assert_eq!(events::<ExchangePausedEvent>(&logs)[0].flags, pause::TRADING);
    assert_error(h.trade(&t, 0, Side::Buy, SOL).await, FulcrumError::Paused);
    h.deposit(&t, 0, USDC).await.unwrap(); // deposits still run
    h.send(&[pause_all], &[&admin]).await.unwrap();
    assert_error(h.deposit(&t, 0, USDC).await, FulcrumError::Paused);
    assert_error(h.withdraw(&t, 0, USDC).await, FulcrumError::Paused);
    h.send(&[resume], &[&admin]).await.unwrap();
    h.trade(&t, 0, Side::Buy, SOL).await.unwrap();

    // One market paused for trading.
    let ix = Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::UpdateMarket {
            admin: admin.pubkey(),
            exchange: h.exchange,
            market: h.markets[0].key,
        }
        .to_account_metas(None),
        data: fulcrum::instruction::SetMarketPaused { flags: pause::TRADING }.data(),
    };
    let logs = h.send_logged(&[ix], &[&admin]).await.unwrap();
    assert_eq!(events::<MarketStateEvent>(&logs)[0].paused, pause::TRADING);
    assert_error(h.trade(&t, 0, Side::Sell, SOL).await, FulcrumError::MarketPaused);
    h.assert_conservation().await;
}

#[tokio::test]
async fn cranking_every_second_does_not_slow_the_maintenance_rise() {
    let mut h = Harness::new().await;
    h.add_market(OracleFormat::Pull, Quote::at(px(100)), volatile_params()).await; // +1%/h at most
    let _lp = h.seed_pool(10_000 * USDC).await;
    h.crank(0).await.unwrap();
    tick(&mut h, 60, px(110)).await; // a spike: the maintenance target jumps far above 5%
    let start = h.market(0).await.effective_maint_ratio;
    // Ten minutes of cranks, one a second: 10,000 ppm/h × 600 s = 1,666 ppm more, not less.
    for _ in 0..600 {
        h.advance(1).await;
        h.refresh_oracles().await;
        h.crank(0).await.unwrap();
    }
    let risen = h.market(0).await.effective_maint_ratio - start;
    assert!((1_600..=1_700).contains(&risen), "maintenance rose {risen} ppm in 10 minutes");
}

#[tokio::test]
async fn a_price_band_needs_a_cooldown() {
    let mut h = Setup::default().build().await;
    let mut p = volatile_params();
    p.price_band = 200_000;
    p.breaker_cooldown_secs = 0; // would let opens through right after a trip
    let ix = h.update_market_ix(0, p);
    let admin = h.admin.insecure_clone();
    assert_error(h.send(&[ix], &[&admin]).await, FulcrumError::InvalidParameter);
}
