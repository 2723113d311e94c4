//! Fulcrum demo: traders at different leverage on the in-process bank, every step a real
//! transaction. Prints equity, notional, effective leverage, margin requirements and health
//! state after each market move; then the same book in the three margin modes (cross,
//! portfolio, isolated) side by side; then a trader climbing the reputation tiers and dropping
//! after a liquidation.
//!
//!   cargo run -p fulcrum --example demo
#![allow(deprecated, dead_code, clippy::too_many_arguments)]

#[path = "../tests/program/harness/mod.rs"]
mod harness;
mod reputation;

use fulcrum::instructions::Side;
use fulcrum_risk::{AccountHealth, HealthState};
use harness::*;

fn usd(v: i128) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    format!("{sign}{}.{:02}", a / 1_000_000, (a % 1_000_000) / 10_000)
}

fn lev(h: &AccountHealth) -> String {
    match h.leverage {
        Some(l) => format!("{}.{:02}x", l / 1_000_000, (l % 1_000_000) / 10_000),
        None => "∞".into(),
    }
}

fn state(s: HealthState) -> &'static str {
    match s {
        HealthState::Healthy => "Healthy",
        HealthState::Restricted => "Restricted",
        HealthState::MarginCall => "MarginCall",
        HealthState::Bankrupt => "Bankrupt",
    }
}

async fn table(h: &mut Harness, title: &str, traders: &[(&str, &Trader)]) {
    println!("\n{title}");
    println!(
        "  {:<22} {:>10} {:>10} {:>10} {:>9} {:>9} {:>9} {:>11}",
        "trader", "equity", "maint eq", "notional", "leverage", "init req", "maint req", "state"
    );
    for (name, t) in traders {
        let r = h.report(&t.account).await;
        println!(
            "  {:<22} {:>10} {:>10} {:>10} {:>9} {:>9} {:>9} {:>11}",
            name,
            usd(r.equity),
            usd(r.maint.equity),
            usd(r.notional),
            lev(&r),
            usd(r.init.requirement),
            usd(r.maint.requirement),
            state(r.state)
        );
    }
    let m = h.market(0).await;
    let sigma_hour = (m.variance as f64 * 3_600.0).sqrt() / 1e4;
    println!(
        "  SOL-PERP: σ {:.2}%/h, max leverage {:.2}x (IM {:.2}%, MM {:.2}%), funding {:+.4}%/h",
        sigma_hour,
        1e6 / m.effective_init_ratio.max(m.init_margin_ratio) as f64,
        m.effective_init_ratio.max(m.init_margin_ratio) as f64 / 1e4,
        m.effective_maint_ratio.max(m.maint_margin_ratio) as f64 / 1e4,
        m.funding_rate as f64 / 1e4
    );
    let pool = h.pool_state().await;
    println!(
        "  pool {} USDC (fees earned {}), insurance fund {} USDC, bad debt socialised {} USDC",
        usd(pool.balance as i128),
        usd(pool.fees_earned as i128),
        usd(pool.insurance_balance as i128),
        usd(pool.socialised_loss as i128)
    );
}

#[tokio::main]
async fn main() {
    let mut h = Harness::new().await;
    let sol = h.add_bank(9, OracleFormat::Legacy, Quote::at(px(100)), default_bank_params()).await;
    // SOL-PERP with dynamic risk: 10x at most in calm, less when volatile; skew funding.
    let params = fulcrum::instructions::MarketParams {
        vol_z: 2_000_000,
        vol_decay_secs: 600,
        maint_fraction: 500_000,
        max_maint_increase_per_hour: 10_000,
        oi_premium: 20_000,
        price_band: 250_000,
        breaker_cooldown_secs: 300,
        funding_factor: 10_000,
        max_funding_rate: 5_000,
        impact_fee: 5_000,
        ..default_market_params()
    };
    h.add_market(OracleFormat::Pull, Quote::at(px(100)), params).await;
    println!("Fulcrum demo: SOL-PERP at $100.00 (dynamic margin: IM ≥ 10% (10x), MM ≥ 5%, z = 2 over 1 h; fee 0.1% + skew impact)");
    println!("SOL collateral with weights 0.8 (initial) / 0.9 (maintenance)");
    let _lp = h.seed_pool(100_000 * USDC).await;
    h.fund_insurance(1_000 * USDC).await;

    let alice = h.trader(1_000 * USDC).await;
    let bob = h.trader(1_000 * USDC).await;
    let carol = h.trader(1_000 * USDC).await;
    let dave = h.trader(0).await;
    for t in [&alice, &bob, &carol] {
        h.deposit(t, 0, 1_000 * USDC).await.unwrap();
    }
    h.fund(&dave, sol.index, 10 * SOL).await;

    h.trade(&alice, 0, Side::Buy, 20 * SOL).await.unwrap(); // 2x long
    h.trade(&bob, 0, Side::Buy, 50 * SOL).await.unwrap(); // 5x long
    h.trade(&carol, 0, Side::Sell, 90 * SOL).await.unwrap(); // 9x short
    h.trade(&dave, 0, Side::Buy, 40 * SOL).await.unwrap(); // long on SOL collateral
    let traders =
        [("alice 2x long", &alice), ("bob 5x long", &bob), ("carol 9x short", &carol), ("dave long, SOL coll.", &dave)];
    table(&mut h, "1. positions opened at $100.00", &traders).await;

    h.advance(60).await;
    h.set_market_price(0, px(105)).await;
    h.set_bank_price(sol.index, px(105)).await;
    h.crank(0).await.unwrap();
    table(&mut h, "2. SOL +5% to $105.00: the short is squeezed", &traders).await;

    h.advance(60).await;
    h.set_market_price(0, px(88)).await;
    h.set_bank_price(sol.index, px(88)).await;
    h.crank(0).await.unwrap();
    table(
        &mut h,
        "3. SOL to $88.00 (-12% from the open): longs lose; dave's collateral falls with his position",
        &traders,
    )
    .await;

    h.close(&carol, 0).await.unwrap();
    let bal = h.margin(&carol.account).await.quote_balance as u64;
    h.withdraw(&carol, 0, bal).await.unwrap();
    println!("\ncarol closes and withdraws {} USDC", usd(bal as i128));
    h.assert_conservation().await;
    table(&mut h, "4. after carol leaves (vaults == ledger, checked)", &traders).await;

    // A crash, and a keeper (a third party with SOL for fees and some USDC) cleans up.
    h.advance(60).await;
    h.set_market_price(0, px(84)).await;
    h.set_bank_price(sol.index, px(84)).await;
    h.crank(0).await.unwrap();
    let traders = [("alice 2x long", &alice), ("bob 5x long", &bob), ("dave long, SOL coll.", &dave)];
    table(&mut h, "5. crash: SOL to $84.00 (-16%): bob and dave fall below maintenance", &traders).await;
    let keeper = h.trader(5_000 * USDC).await;
    let fee_to = keeper.token(&h.quote.mint);
    for (name, t) in traders {
        let before = h.report(&t.account).await;
        if before.maint.is_met() {
            continue;
        }
        h.liquidate_perp(&keeper.kp, &fee_to, &t.account, 0).await.unwrap();
        let after = h.report(&t.account).await;
        println!(
            "\nkeeper liquidates {name}: leverage {} -> {}, state {} -> {}",
            lev(&before),
            lev(&after),
            state(before.state),
            state(after.state)
        );
        let acct = h.margin(&t.account).await;
        if acct.num_perps == 0 && acct.num_collateral > 0 && !after.maint.is_met() {
            h.liquidate_collateral(&keeper, &t.account, sol.index, 5_000 * USDC).await.unwrap();
            let acct = h.margin(&t.account).await;
            println!(
                "keeper buys {name}'s SOL collateral at a 5% discount; quote left {}",
                usd(acct.quote_balance as i128)
            );
        }
        let acct = h.margin(&t.account).await;
        if acct.num_perps == 0 && acct.num_collateral == 0 && acct.quote_balance < 0 {
            h.resolve_bankruptcy(&t.account).await.unwrap();
            println!("{name} was bankrupt: the insurance fund covers {} USDC", usd(-(acct.quote_balance as i128)));
        }
    }
    h.assert_conservation().await;
    println!(
        "keeper earned {} USDC in liquidator fees",
        usd(h.token_balance(&fee_to).await as i128 - 5_000 * USDC as i128)
    );
    table(&mut h, "6. after the keeper (vaults == ledger, checked)", &traders).await;

    margin_modes().await;
    yield_collateral().await; // s6-lst
    reputation::tiers().await;
}

// ------------------------------------------------------------------ margin modes

/// One line of the modes table: what a trader (or one isolated position) looks like.
struct ModeRow {
    name: &'static str,
    mode: &'static str,
    health: AccountHealth,
    /// SOL-PERP price at which this part reaches maintenance (others held).
    liquidation: Option<u64>,
}

fn price(p: Option<u64>) -> String {
    // Engine price of a 9-decimal coin against 6-decimal quote: dollars × 10⁹.
    match p {
        Some(p) if p < u64::MAX => format!("${}.{:02}", p / 1_000_000_000, (p % 1_000_000_000) / 10_000_000),
        _ => "none".into(),
    }
}

fn print_modes(title: &str, rows: &[ModeRow]) {
    println!("\n{title}");
    println!(
        "  {:<26} {:<10} {:>9} {:>9} {:>9} {:>9} {:>11} {:>11}",
        "trader", "mode", "equity", "maint eq", "maint req", "leverage", "SOL liq. px", "state"
    );
    for r in rows {
        println!(
            "  {:<26} {:<10} {:>9} {:>9} {:>9} {:>9} {:>11} {:>11}",
            r.name,
            r.mode,
            usd(r.health.equity),
            usd(r.health.maint.equity),
            usd(r.health.maint.requirement),
            lev(&r.health),
            price(r.liquidation),
            state(r.health.state)
        );
    }
}

/// The program's view of each trader, computed with the same engine functions it uses.
async fn mode_rows(h: &mut Harness, cross: &Trader, portfolio: &Trader, isolated: &Trader) -> Vec<ModeRow> {
    use fulcrum_risk::*;
    let mut c = Correlation::identity(2);
    c.c[0][1] = 800_000;
    c.c[1][0] = 800_000;
    let mut rows = vec![];

    let i = h.risk_inputs(&cross.account).await;
    let a = i.risk_account();
    rows.push(ModeRow {
        name: "gina",
        mode: "cross",
        health: account_health(&a).unwrap(),
        liquidation: liquidation_price(&a, 0).unwrap(),
    });

    let i = h.risk_inputs(&portfolio.account).await;
    let a = i.risk_account();
    let model = MarginModel::Portfolio(PortfolioModel {
        collateral_assets: &[],
        perp_assets: &[0, 1],
        correlation: &c,
        floor: 300_000,
    });
    rows.push(ModeRow {
        name: "hank",
        mode: "portfolio",
        health: model_account_health(&a, &model).unwrap(),
        liquidation: model_liquidation_price(&a, &model, 0).unwrap(),
    });

    let acct = h.margin(&isolated.account).await;
    if let Some(s) = acct.find_perp(0).map(|k| acct.perps[k]) {
        let m = h.market(0).await;
        let p = h.oracle_price(&m.oracle, m.oracle_kind, &m.feed_id, m.base_decimals).await;
        let e = PerpExposure { position: s.position(), market: m.risk(p) };
        let iso = isolated_account(s.isolated_collateral, &e, AccountParams::default());
        rows.push(ModeRow {
            name: "ivy: SOL long, isolated",
            mode: "isolated",
            health: account_health(&iso).unwrap(),
            liquidation: liquidation_price(&iso, 0).unwrap(),
        });
    }
    let i = h.risk_inputs(&isolated.account).await;
    rows.push(ModeRow {
        name: "ivy: the rest (BTC short)",
        mode: "cross",
        health: account_health(&i.risk_account()).unwrap(),
        liquidation: None,
    });
    rows
}

/// Three traders with the same book — long 20 SOL-PERP, short 20 BTC-PERP ($2,000 each way) on
/// $1,000 — in the three modes, before and after SOL falls harder than BTC.
async fn margin_modes() {
    use fulcrum::instructions::CorrelationParams;
    use fulcrum_risk::MarginMode;
    let mut h = Harness::new().await;
    h.add_market(OracleFormat::Pull, Quote::at(px(100)), default_market_params()).await; // SOL-PERP
    h.add_market(OracleFormat::Pull, Quote::at(px(100)), default_market_params()).await; // BTC-PERP
    h.seed_pool(100_000 * USDC).await;
    h.set_correlations(CorrelationParams {
        matrix: vec![1_000_000, 800_000, 800_000, 1_000_000],
        bank_assets: vec![],
        market_assets: vec![0, 1],
        floor: 300_000,
        min_equity: 500 * USDC,
    })
    .await
    .unwrap();
    println!("\n\nMargin modes: SOL-PERP and BTC-PERP at $100.00 (10x, MM 5%), ρ(SOL, BTC) = 0.8, portfolio floor 30%");
    println!(
        "each trader: 1,000 USDC, long 20 SOL-PERP and short 20 BTC-PERP; ivy isolates her SOL long with 300 USDC"
    );
    println!("(liq. px: the SOL-PERP price that takes that part of the account to maintenance, BTC held)");
    let gina = h.trader(1_000 * USDC).await;
    let hank = h.trader(1_000 * USDC).await;
    let ivy = h.trader(1_000 * USDC).await;
    for t in [&gina, &hank, &ivy] {
        h.deposit(t, 0, 1_000 * USDC).await.unwrap();
    }
    h.set_margin_mode(&hank, MarginMode::Portfolio).await.unwrap();
    h.transfer_isolated(&ivy, 0, 300 * USDC as i64).await.unwrap();
    for t in [&gina, &hank, &ivy] {
        h.trade(t, 0, Side::Buy, 20 * SOL).await.unwrap();
        h.trade(t, 1, Side::Sell, 20 * SOL).await.unwrap();
    }
    let rows = mode_rows(&mut h, &gina, &hank, &ivy).await;
    print_modes("7. the same book in three modes", &rows);
    println!("  (portfolio nets the pair: √(100² + 100² − 2 × 0.8 × 100 × 100) = $63.2456 against cross $200)");

    h.set_market_price(0, px(88)).await;
    h.set_market_price(1, px(91)).await;
    let rows = mode_rows(&mut h, &gina, &hank, &ivy).await;
    print_modes("8. SOL -12%, BTC -9%: the pair loses $60; ivy's isolated long alone loses $240", &rows);
    let keeper = h.trader(0).await;
    let fee_to = keeper.token(&h.quote.mint);
    let quote_before = h.margin(&ivy.account).await.quote_balance;
    h.liquidate_perp(&keeper.kp, &fee_to, &ivy.account, 0).await.unwrap();
    let quote_after = h.margin(&ivy.account).await.quote_balance;
    assert_eq!(quote_before, quote_after);
    let rows = mode_rows(&mut h, &gina, &hank, &ivy).await;
    print_modes("9. a keeper liquidates ivy's isolated long; her cross quote balance is untouched (checked)", &rows);
    h.assert_conservation().await;
    println!("  vaults == ledger (checked)");
}

// ------------------------------------------------------------------ yield-bearing collateral (s6-lst)

/// An LST-collateral account: jitoSOL-like collateral priced as SOL × its stake pool's rate
/// (rises capped at 0.1% per epoch, falls at once, never above the LST's own oracle).
async fn yield_collateral() {
    let w = LstWorld::new(Some(px(10_725) / 100)).await;
    let (mut h, lst, pool, direct) = (w.h, w.lst, w.pool, w.direct.unwrap());
    println!("\n\nYield-bearing collateral: an LST priced as SOL ($100.00) × its stake pool's rate (1.0725),");
    println!(
        "rises capped at 0.1% per epoch, falls taken at once, never above the LST's own oracle; weights 0.8 / 0.9"
    );
    let erin = h.trader(100 * USDC).await;
    h.deposit(&erin, 0, 100 * USDC).await.unwrap();
    h.fund(&erin, lst.index, 10 * SOL).await;
    h.trade(&erin, 0, Side::Buy, 80 * SOL).await.unwrap();
    let traders = [("erin long, 10 LST coll.", &erin)];
    table(&mut h, "10. erin: 100 USDC + 10 LST ($1,072.50), long 80 SOL-PERP", &traders).await;

    let refresh = |h: &Harness| refresh_rate_ix(h, &lst, pool, Some(&direct));
    write_pool(&mut h, &pool, &lst.mint, 2 * LAMPORTS, SUPPLY, EPOCH).await;
    h.send(&[refresh(&h)], &[]).await.unwrap();
    let b: fulcrum::state::CollateralBank = h.load(&lst.key).await;
    println!(
        "\na donation doubles the pool's rate to 2.145: the refresh accepts {} (nothing within the epoch)",
        rate(b.accepted_rate)
    );
    let t = h.trade_ix(&erin, 0, Side::Buy, 80 * SOL, None, false).await;
    println!(
        "erin tries to double her long on it: {}",
        if h.send(&[t], &[&erin.kp]).await.is_ok() { "accepted" } else { "refused (TradeExceedsInitialMargin)" }
    );

    write_pool(&mut h, &pool, &lst.mint, LAMPORTS, SUPPLY, EPOCH).await;
    h.set_oracle(&direct, Quote::at(px(1_018_875) / 10_000)).await;
    h.send(&[refresh(&h)], &[]).await.unwrap();
    let b: fulcrum::state::CollateralBank = h.load(&lst.key).await;
    println!(
        "\nthe LST trades 5% under rate × SOL ($101.89): depeg factor {} ",
        rate(u64::from(b.depeg_ppm) * 1_000_000)
    );
    table(&mut h, "11. the depeg: erin's collateral at the lower price", &traders).await;

    // s6-depeg: a factor is good for the bank's max_oracle_age (60 s) past the price it came from.
    h.advance(61).await;
    set_epoch(&mut h, EPOCH).await;
    h.refresh_oracles().await;
    h.set_oracle(&direct, Quote::at(px(1_018_875) / 10_000)).await;
    let buy = h.trade_ix(&erin, 0, Side::Buy, SOL, None, false).await;
    assert_error(h.send(std::slice::from_ref(&buy), &[&erin.kp]).await, FulcrumError::DepegFactorStale);
    let refreshed_first = h.simulate(&[refresh(&h), buy], &[&erin.kp]).await;
    println!(
        "a minute on, nobody has refreshed: erin's 1 SOL buy refused (DepegFactorStale, checked); with \
         refresh_bank_rate first in the same transaction: {}",
        if refreshed_first { "accepted (simulated)" } else { "refused" }
    );

    write_pool(&mut h, &pool, &lst.mint, LAMPORTS / 4, SUPPLY, EPOCH).await;
    h.send(&[refresh(&h)], &[]).await.unwrap();
    table(&mut h, "12. the pool loses 75% (slashed): the fall is taken at once", &traders).await;
    let keeper = h.trader(0).await;
    let fee_to = keeper.token(&h.quote.mint);
    h.liquidate_perp(&keeper.kp, &fee_to, &erin.account, 0).await.unwrap();
    table(&mut h, "13. a keeper liquidates erin", &traders).await;
    h.assert_conservation().await;
    println!("  vaults == ledger (checked)");
}

/// A rate (× 10¹²) as a decimal.
fn rate(r: u64) -> String {
    format!("{}.{:06}", r / 1_000_000_000_000, (r % 1_000_000_000_000) / 1_000_000)
}
