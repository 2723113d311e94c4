//! Oracle spoofing: right layout under the wrong owner, another feed, stale, wide, non-positive,
//! partially verified, and oracle accounts out of order or duplicated in the margin check.

use fulcrum::instructions::Side;
use pyth_solana_receiver_sdk::price_update::VerificationLevel;
use solana_sdk::pubkey::Pubkey;

use crate::harness::*;
use crate::World;

async fn attack_with_oracle(w: &mut World, spoof: OracleHandle, q: Quote, e: FulcrumError) {
    let real = w.h.markets[0].oracle;
    w.h.set_oracle(&spoof, q).await;
    let ix = w.h.trade_ix(&w.attacker, 0, Side::Buy, SOL, None, false).await;
    let attacker = w.attacker.kp.insecure_clone();
    w.rejected(&[ix], &[&attacker], e).await;
    w.h.set_oracle(&real, Quote::at(px(100))).await;
}

/// On a fresh world, market 0's oracle handle changed by `spoof` and set to publish `q`: the
/// attacker's trade ([`attack_with_oracle`]) is refused with `e`.
async fn attack_market_oracle(spoof: impl FnOnce(OracleHandle) -> OracleHandle, q: Quote, e: FulcrumError) {
    let mut w = World::new().await;
    let o = spoof(w.h.markets[0].oracle);
    attack_with_oracle(&mut w, o, q, e).await;
}

#[tokio::test]
async fn right_layout_wrong_owner() {
    let spoof = |o: OracleHandle| OracleHandle { owner: Pubkey::new_unique(), ..o };
    attack_market_oracle(spoof, Quote::at(px(1)), FulcrumError::InvalidOracleOwner).await;
}

#[tokio::test]
async fn right_owner_other_feed() {
    let spoof = |o: OracleHandle| OracleHandle { feed_id: [7; 32], ..o };
    attack_market_oracle(spoof, Quote::at(px(1)), FulcrumError::OracleFeedMismatch).await;
}

#[tokio::test]
async fn stale_price() {
    attack_market_oracle(|o| o, Quote { age: 3_600, ..Quote::at(px(1)) }, FulcrumError::OracleStale).await;
}

#[tokio::test]
async fn wide_confidence() {
    let wide = Quote { conf: px(50) as u64, ..Quote::at(px(100)) };
    attack_market_oracle(|o| o, wide, FulcrumError::OracleConfidenceTooWide).await;
}

#[tokio::test]
async fn negative_and_zero_prices() {
    let mut w = World::new().await;
    let o = w.h.markets[0].oracle;
    attack_with_oracle(&mut w, o, Quote::at(-px(100)), FulcrumError::OracleNonPositivePrice).await;
    attack_with_oracle(&mut w, o, Quote::at(0), FulcrumError::OracleNonPositivePrice).await;
    attack_with_oracle(&mut w, o, Quote { ema: 0, ..Quote::at(px(100)) }, FulcrumError::OracleNonPositivePrice).await;
}

#[tokio::test]
async fn partially_verified_price_update() {
    let partial =
        |o: OracleHandle| OracleHandle { verification: VerificationLevel::Partial { num_signatures: 13 }, ..o };
    attack_market_oracle(partial, Quote::at(px(1)), FulcrumError::OracleNotFullyVerified).await;
}

#[tokio::test]
async fn another_price_account_in_the_markets_place() {
    let mut w = World::new().await;
    let cheap = w.h.new_oracle(OracleFormat::Pull, Quote::at(px(1))).await;
    let mut ix = w.h.trade_ix(&w.attacker, 0, Side::Buy, SOL, None, false).await;
    ix.accounts[4].pubkey = cheap.key;
    let attacker = w.attacker.kp.insecure_clone();
    w.rejected(&[ix], &[&attacker], FulcrumError::OracleMismatch).await;
}

#[tokio::test]
async fn oracles_out_of_order_or_duplicated_in_the_margin_check() {
    let mut w = World::new().await;
    let victim = w.victim.kp.insecure_clone();
    // [sol bank, sol oracle, market, market oracle]: swap the two oracles.
    let base = w.h.withdraw_ix(&w.victim, 0, USDC).await;
    let n = base.accounts.len();
    let mut ix = base.clone();
    ix.accounts.swap(n - 3, n - 1);
    w.rejected(&[ix], &[&victim], FulcrumError::HealthAccountMismatch).await;
    // The market's oracle twice (in the collateral oracle's place).
    let mut ix = base.clone();
    ix.accounts[n - 3] = base.accounts[n - 1].clone();
    w.rejected(&[ix], &[&victim], FulcrumError::HealthAccountMismatch).await;
    // A cheap look-alike price account for the collateral.
    let cheap = w.h.new_oracle(OracleFormat::Pull, Quote::at(px(1_000))).await;
    let mut ix = base.clone();
    ix.accounts[n - 3].pubkey = cheap.key;
    w.rejected(&[ix], &[&victim], FulcrumError::HealthAccountMismatch).await;
}
