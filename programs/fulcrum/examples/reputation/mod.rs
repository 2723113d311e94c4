//! The demo's reputation-tier section (issue 18 §1): a trader climbs from tier 0 to the top over
//! two days of honest trading (each step a real transaction, the clock warped), takes the
//! leverage only the top tier allows, and drops to tier 0 at once when a keeper liquidates it.
//! The set-up and steps are the attack tests' (`tests/attacks/reputation.rs`).

use fulcrum::instructions::Side;

use crate::harness::*;
use crate::usd;

#[path = "../../tests/attacks/reputation.rs"]
mod steps;

/// One line of the tier table.
async fn row(h: &mut Harness, title: &str, t: &Trader) {
    let r = h.margin(&t.account).await.reputation;
    let init = fulcrum_risk::tiered_init_ratio(100_000, 50_000, r.init_multiplier).unwrap_or(0);
    let h_ = h.report(&t.account).await;
    println!(
        "  {title:<50} tier {}  ×{:<4}  init {:>5.2}%  max {:>5.2}x  USD-days {:>7}  volume {:>9}  liq. {}  equity {:>9}",
        r.tier,
        format!("{:.2}", f64::from(if r.init_multiplier == 0 { 1_000_000 } else { r.init_multiplier }) / 1e6),
        f64::from(init) / 1e4,
        1e6 / f64::from(init),
        r.equity_secs() / u128::from(USDC) / 86_400,
        usd(i128::from(r.net_volume)),
        r.liquidations,
        usd(h_.maint.equity),
    );
}

pub async fn tiers() {
    println!("\n\nReputation tiers: SOL-PERP at $100.00 (initial 10%, maintenance 5%); tier 0 = 1.5× the initial");
    println!("ratio, tier 1 = 1× (a day old, 500 USD-days of equity, $500 of volume held ≥ 60 s), tier 2 = 0.8×");
    println!(
        "(two days, 1,000 USD-days, $1,000, never liquidated); one tier up a day; a liquidation: tier 0 for a week"
    );
    let mut h = steps::tiered_exchange().await;
    let jo = h.trader_with_deposit(1_000 * USDC).await;
    steps::crank(&mut h, &jo.account).await;
    row(&mut h, "14. jo opens an account with 1,000 USDC", &jo).await;
    let refused = h.trade(&jo, 0, Side::Buy, 115 * SOL).await.is_err();
    println!(
        "  11.5x (115 SOL) at tier 0: {}",
        if refused { "refused (TradeExceedsInitialMargin)" } else { "accepted?!" }
    );
    for _ in 0..5 {
        h.trade(&jo, 0, Side::Buy, 20 * SOL).await.unwrap();
        h.close(&jo, 0).await.unwrap();
    }
    row(&mut h, "15. five wash round trips of 20 SOL: fees only", &jo).await;
    h.trade(&jo, 0, Side::Buy, 20 * SOL).await.unwrap();
    steps::wait(&mut h, 60).await;
    h.close(&jo, 0).await.unwrap();
    row(&mut h, "16. 20 SOL held a minute, then closed", &jo).await;
    for day in 1..=2 {
        steps::wait(&mut h, 86_400).await;
        steps::crank(&mut h, &jo.account).await;
        row(&mut h, &format!("{}. day {day}: a keeper cranks refresh_reputation", 16 + day), &jo).await;
    }
    h.trade(&jo, 0, Side::Buy, 115 * SOL).await.unwrap();
    row(&mut h, "19. 11.5x (115 SOL) at tier 2: accepted", &jo).await;
    h.set_market_price(0, px(96)).await;
    let keeper = h.trader(0).await;
    let fee_to = keeper.token(&h.quote.mint);
    h.liquidate_perp(&keeper.kp, &fee_to, &jo.account, 0).await.unwrap();
    row(&mut h, "20. SOL $96: a keeper liquidates; tier 0 at once", &jo).await;
    steps::wait(&mut h, 2 * 86_400).await;
    steps::crank(&mut h, &jo.account).await;
    row(&mut h, "21. two days on: still tier 0 (cool-off, record)", &jo).await;
    h.assert_conservation().await;
    println!("  vaults == ledger (checked)");
}
