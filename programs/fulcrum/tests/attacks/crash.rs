//! Liquidations and exits in a crash: a fresh price with wide confidence, a stale collateral
//! oracle, a halted legacy feed, a fallback measured from the wrong time, LP operations during a
//! crash, oracle rotation and a market wind-down.

use fulcrum::events::LiquidationEvent;
use fulcrum::instructions::Side;
use solana_program_test::BanksClientError;
use solana_sdk::signature::Signer;

use crate::harness::*;

/// `pyth` with a confidence of `bps` basis points (the markets and banks accept 200).
fn wide(pyth: i64, bps: i64) -> Quote {
    Quote { conf: (pyth * bps / 10_000) as u64, ..Quote::at(pyth) }
}

/// An exchange with one SOL-PERP market at $100 (oracle age 60 s, liquidation fallback 120 s),
/// a funded pool and insurance fund.
async fn market_world(format: OracleFormat) -> Harness {
    let mut h = Harness::new().await;
    h.add_market(format, Quote::at(px(100)), default_market_params()).await;
    let _lp = h.seed_pool(100_000 * USDC).await;
    h.fund_insurance(1_000 * USDC).await;
    h
}

/// [`market_world`] (pull oracle) with SOL listed at $100 as collateral, and a trader funded with
/// `cash` USDC who deposits `quote` of it and `sol` SOL.
async fn sol_collateral_world(cash: u64, quote: u64, sol: u64) -> (Harness, BankHandle, Trader) {
    let mut h = market_world(OracleFormat::Pull).await;
    let bank = h.add_bank(9, OracleFormat::Pull, Quote::at(px(100)), default_bank_params()).await;
    let t = h.trader(cash).await;
    h.deposit(&t, 0, quote).await.unwrap();
    h.fund(&t, bank.index, sol).await;
    (h, bank, t)
}

/// A trader with 100 USDC long 9 SOL at $100 (9x).
async fn long_9x(h: &mut Harness) -> Trader {
    let t = h.trader(100 * USDC).await;
    h.deposit(&t, 0, 100 * USDC).await.unwrap();
    h.trade(&t, 0, Side::Buy, 9 * SOL).await.unwrap();
    t
}

/// `liquidate_perp` of `t`'s position in market 0 by a fresh keeper, with its event.
async fn liquidate(h: &mut Harness, t: &Trader) -> Result<LiquidationEvent, BanksClientError> {
    let k = h.trader(0).await;
    let fee_to = k.token(&h.quote.mint);
    let ix = h.liquidate_perp_ix(&k.key(), &fee_to, &t.account, 0).await;
    let logs = h.send_logged(&[ix], &[&k.kp]).await?;
    Ok(events::<LiquidationEvent>(&logs).remove(0))
}

/// Asserts a liquidation of `t` fails with `e` and changes nothing.
async fn liquidation_refused(h: &mut Harness, t: &Trader, e: FulcrumError) {
    let k = h.stranger().await;
    let fee_to = h.create_token_account(&h.quote.mint.clone(), &k.pubkey()).await;
    let ix = h.liquidate_perp_ix(&k.pubkey(), &fee_to, &t.account, 0).await;
    let keys = h.ledger_keys();
    let before = h.snapshot(&keys).await;
    assert_error(h.send(&[ix], &[&k]).await, e);
    assert_eq!(h.snapshot(&keys).await, before, "state changed by a refused liquidation");
}

#[tokio::test]
async fn a_crash_with_wide_confidence_liquidates_at_the_conservative_bound() {
    let mut h = market_world(OracleFormat::Pull).await;
    let t = long_9x(&mut h).await;
    // $100 → $92 with a 3% confidence band ($2.76): the account is far below maintenance, and
    // the one price the oracle gives is wider than the market's 2%.
    let o = h.markets[0].oracle;
    h.set_oracle(&o, wide(px(92), 300)).await;
    // Trading stays refused on a wide price.
    assert_error(h.trade(&t, 0, Side::Sell, SOL).await, FulcrumError::OracleConfidenceTooWide);
    // The liquidation prices the long at oracle − confidence, against the account.
    let e = liquidate(&mut h, &t).await.expect("liquidation at the conservative bound");
    let bound = engine_price(px(92) - px(92) * 300 / 10_000, 9);
    assert_eq!(e.price, bound);
    assert!(e.base_closed < 0);
    let base = h.margin(&t.account).await.perps[0].base;
    assert_eq!(base, 9 * SOL as i64 + e.base_closed);
    h.assert_conservation().await;
}

#[tokio::test]
async fn a_stale_collateral_oracle_does_not_block_the_liquidation_of_an_unrelated_position() {
    let (mut h, sol, t) = sol_collateral_world(100 * USDC, 100 * USDC, SOL).await;
    h.trade(&t, 0, Side::Buy, 15 * SOL).await.unwrap();
    // The collateral's feed stops (70 s: past its 60 s for trading); the perp crashes to $90.
    h.advance(70).await;
    h.set_market_price(0, px(90)).await;
    assert_error(h.withdraw(&t, sol.index, SOL / 2).await, FulcrumError::OracleStale);
    let e = liquidate(&mut h, &t).await.expect("liquidation with the collateral at its last valid price");
    assert_eq!(e.price, engine_price(px(90), 9));
    assert!(e.base_closed < 0);
    h.assert_conservation().await;
}

#[tokio::test]
async fn a_stale_collateral_oracle_does_not_block_top_ups_or_quote_withdrawals_within_initial_margin() {
    let (mut h, sol, t) = sol_collateral_world(2_000 * USDC, 1_000 * USDC, 5 * SOL).await;
    h.trade(&t, 0, Side::Buy, 50 * SOL).await.unwrap(); // $5,000: initial margin $500, fee $5
    h.advance(3_600).await;
    h.set_market_price(0, px(100)).await; // the perp is live, the collateral an hour stale
                                          // Top-ups, quote and collateral.
    h.deposit(&t, 0, 100 * USDC).await.unwrap();
    h.fund(&t, sol.index, SOL).await;
    // A quote withdrawal that initial margin allows with the collateral counted at zero.
    let quote = h.quote.mint;
    let before = h.token_balance(&t.token(&quote)).await;
    h.withdraw(&t, 0, 590 * USDC).await.expect("quote withdrawal within initial margin");
    assert_eq!(h.token_balance(&t.token(&quote)).await, before + 590 * USDC);
    // 1,095 − 590 = 505 left against 500: 6 more would need the stale collateral.
    let ix = h.withdraw_ix(&t, 0, 6 * USDC).await;
    let keys = h.ledger_keys();
    let snap = h.snapshot(&keys).await;
    assert_error(h.send(&[ix], &[&t.kp]).await, FulcrumError::WithdrawalExceedsInitialMargin);
    assert_eq!(h.snapshot(&keys).await, snap);
    // Taking out the stale-priced collateral itself is still refused.
    assert_error(h.withdraw(&t, sol.index, SOL).await, FulcrumError::OracleStale);
    h.assert_conservation().await;
}

#[tokio::test]
async fn the_liquidation_fallback_counts_its_age_from_the_publish_time() {
    let mut h = market_world(OracleFormat::Pull).await;
    let a = long_9x(&mut h).await;
    let b = long_9x(&mut h).await;
    // The crash price is published at T and the feed stops; a keeper cranks at T + 59 (still
    // valid for trading).
    h.set_market_price(0, px(90)).await;
    h.advance(59).await;
    h.crank(0).await.unwrap();
    // T + 115: within the 120 s fallback.
    h.advance(56).await;
    liquidate(&mut h, &a).await.expect("fallback within its bound");
    // T + 159: the price is 159 s old, past the bound, however recent the crank.
    h.advance(44).await;
    liquidation_refused(&mut h, &b, FulcrumError::OracleStale).await;
    h.assert_conservation().await;
}

/// A legacy price account whose aggregate is halted (status Unknown) at a nonsense price, with
/// the last Trading aggregate `prev` published `prev_age` seconds ago.
async fn halt_legacy(h: &mut Harness, o: &OracleHandle, prev: i64, prev_age: i64) {
    let now = h.now().await;
    let data = legacy_oracle_data(Quote::at(prev), now - prev_age, 0);
    let mut acc: fulcrum::oracle::LegacyPriceAccount = bytemuck::pod_read_unaligned(&data[..240]);
    acc.agg.price = px(1);
    acc.timestamp = now;
    let mut out = data.clone();
    out[..240].copy_from_slice(bytemuck::bytes_of(&acc));
    h.write_oracle(o, out).await;
}

#[tokio::test]
async fn a_halted_legacy_feed_falls_back_to_its_last_trading_price() {
    let mut h = market_world(OracleFormat::Legacy).await;
    let t = long_9x(&mut h).await;
    let o = h.markets[0].oracle;
    // Ten seconds after the trade the feed trades at $90, then halts five seconds later.
    h.advance(10).await;
    halt_legacy(&mut h, &o, px(90), 5).await;
    // Trading refuses a halted feed; the liquidation uses its last Trading aggregate, $90.
    assert_error(h.trade(&t, 0, Side::Sell, SOL).await, FulcrumError::OracleNotTrading);
    let e = liquidate(&mut h, &t).await.expect("liquidation at the last trading price");
    assert_eq!(e.price, engine_price(px(90), 9));
    // Halted with a last Trading price older than the fallback: refused by name.
    let u = long_9x_at(&mut h, px(90)).await;
    h.advance(200).await;
    halt_legacy(&mut h, &o, px(80), 500).await;
    liquidation_refused(&mut h, &u, FulcrumError::OracleNotTrading).await;
    h.assert_conservation().await;
}

/// As [`long_9x`] after republishing market 0 at `pyth`.
async fn long_9x_at(h: &mut Harness, pyth: i64) -> Trader {
    h.set_market_price(0, pyth).await;
    long_9x(h).await
}

#[tokio::test]
async fn lp_deposits_and_withdrawals_go_on_with_a_wide_oracle_at_the_bound_against_the_lp() {
    let mut h = market_world(OracleFormat::Pull).await;
    let lp = h.trader(10_000 * USDC).await;
    h.lp_deposit(&lp, 1_000 * USDC).await.unwrap();
    let _t = long_9x(&mut h).await; // the pool is short 9 SOL
    let o = h.markets[0].oracle;
    h.set_oracle(&o, wide(px(92), 300)).await;
    // The pool is short: it is worth most at the low bound. A deposit buys shares at that value
    // (the fewer shares), a withdrawal sells them at the high bound (the less quote).
    let pool = h.pool_state().await;
    let m = h.market(0).await;
    // Dead shares (minted to no one by the first deposit) are part of the supply.
    let supply = h.mint_supply(&h.lp_mint.clone()).await + h.pool_state().await.dead_shares;
    let value_at = |pyth: i64| {
        let mark = fulcrum_risk::MarketExposure {
            long_base: m.long_base,
            short_base: m.short_base,
            long_quote_entry: m.long_quote_entry,
            short_quote_entry: m.short_quote_entry,
            price: engine_price(pyth, 9),
        };
        (
            fulcrum_risk::pool_value(pool.balance, &[mark], fulcrum_risk::Rounding::Up).unwrap(),
            fulcrum_risk::pool_value(pool.balance, &[mark], fulcrum_risk::Rounding::Down).unwrap(),
        )
    };
    let (lo, hi) = (px(92) - px(92) * 3 / 100, px(92) + px(92) * 3 / 100);
    let shares = fulcrum_risk::lp_shares_for_deposit(1_000 * USDC, value_at(lo).0, supply).unwrap();
    let lp_token = lp.token(&h.lp_mint.clone());
    let held = h.token_balance(&lp_token).await;
    h.lp_deposit(&lp, 1_000 * USDC).await.expect("LP deposit at the bound");
    assert_eq!(h.token_balance(&lp_token).await, held + shares);

    // Dead shares (minted to no one by the first deposit) are part of the supply.
    let supply = h.mint_supply(&h.lp_mint.clone()).await + h.pool_state().await.dead_shares;
    let pool = h.pool_state().await;
    let mark_hi = fulcrum_risk::MarketExposure {
        long_base: m.long_base,
        short_base: m.short_base,
        long_quote_entry: m.long_quote_entry,
        short_quote_entry: m.short_quote_entry,
        price: engine_price(hi, 9),
    };
    let value = fulcrum_risk::pool_value(pool.balance, &[mark_hi], fulcrum_risk::Rounding::Down).unwrap();
    let out = fulcrum_risk::lp_amount_for_shares(shares, value, supply).unwrap();
    let quote = h.quote.mint;
    let cash = h.token_balance(&lp.token(&quote)).await;
    h.lp_withdraw(&lp, shares).await.expect("LP withdrawal at the bound");
    assert_eq!(h.token_balance(&lp.token(&quote)).await, cash + out);
    assert!(out < 1_000 * USDC, "a round trip through a wide price cannot profit: {out}");
    // A stale price is not a bound: LP operations wait for the feed.
    h.advance(70).await;
    let ix = h.lp_deposit_ix(&lp, 1_000 * USDC);
    refused(&mut h, &[ix], &[&lp.kp], FulcrumError::OracleStale).await;
    h.assert_conservation().await;
}

// ---------------------------------------------------------------- oracle rotation, wind-down

use anchor_lang::{InstructionData, ToAccountMetas};
use fulcrum::state::market_status;
use solana_sdk::{instruction::Instruction, pubkey::Pubkey, signature::Keypair};

/// Sends `ixs` and asserts it fails with `e`, the ledger unchanged.
async fn refused(h: &mut Harness, ixs: &[Instruction], signers: &[&Keypair], e: FulcrumError) {
    let keys = h.ledger_keys();
    let before = h.snapshot(&keys).await;
    assert_error(h.send(ixs, signers).await, e);
    assert_eq!(h.snapshot(&keys).await, before, "state changed by a refused {e:?}");
}

pub fn set_market_oracle_ix(
    h: &Harness,
    admin: &Pubkey,
    market: usize,
    o: &OracleHandle,
    feed_id: [u8; 32],
) -> Instruction {
    Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::SetMarketOracle {
            admin: *admin,
            exchange: h.exchange,
            market: h.markets[market].key,
            oracle: o.key,
        }
        .to_account_metas(None),
        data: fulcrum::instruction::SetMarketOracle { oracle_kind: o.format.kind(), feed_id }.data(),
    }
}

fn set_bank_oracle_ix(h: &Harness, bank: &BankHandle, o: &OracleHandle, liquidation_max_age: u32) -> Instruction {
    Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::SetBankOracle {
            admin: h.admin.pubkey(),
            exchange: h.exchange,
            bank: bank.key,
            oracle: o.key,
        }
        .to_account_metas(None),
        data: fulcrum::instruction::SetBankOracle {
            oracle_kind: o.format.kind(),
            feed_id: o.feed_id,
            liquidation_max_age,
        }
        .data(),
    }
}

fn set_market_status_ix(h: &Harness, market: usize, status: u8, settlement_price: u64) -> Instruction {
    Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::UpdateMarket {
            admin: h.admin.pubkey(),
            exchange: h.exchange,
            market: h.markets[market].key,
        }
        .to_account_metas(None),
        data: fulcrum::instruction::SetMarketStatus { status, settlement_price }.data(),
    }
}

fn settle_position_ix(h: &Harness, account: &Pubkey, market: usize) -> Instruction {
    Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::SettlePosition {
            exchange: h.exchange,
            margin_account: *account,
            market: h.markets[market].key,
            pool: h.pool,
        }
        .to_account_metas(None),
        data: fulcrum::instruction::SettlePosition {}.data(),
    }
}

#[tokio::test]
async fn rotating_an_oracle_takes_the_checks_of_listing() {
    let (mut h, sol, t) = sol_collateral_world(1_000 * USDC, 1_000 * USDC, SOL).await;
    h.trade(&t, 0, Side::Buy, SOL).await.unwrap();
    let admin = h.admin.insecure_clone();
    let new = h.new_oracle(OracleFormat::Pull, Quote::at(px(100))).await;

    // A stranger.
    let stranger = h.stranger().await;
    let ix = set_market_oracle_ix(&h, &stranger.pubkey(), 0, &new, new.feed_id);
    refused(&mut h, &[ix], &[&stranger], FulcrumError::NotAdmin).await;
    // The right layout under another owner; another feed; no format; a stale price.
    let forged = OracleHandle { key: Pubkey::new_unique(), owner: Pubkey::new_unique(), ..new };
    h.set_oracle(&forged, Quote::at(px(100))).await;
    let ix = set_market_oracle_ix(&h, &admin.pubkey(), 0, &forged, forged.feed_id);
    refused(&mut h, &[ix], &[&admin], FulcrumError::InvalidOracleOwner).await;
    let ix = set_market_oracle_ix(&h, &admin.pubkey(), 0, &new, [9; 32]);
    refused(&mut h, &[ix], &[&admin], FulcrumError::OracleFeedMismatch).await;
    let mut ix = set_market_oracle_ix(&h, &admin.pubkey(), 0, &new, new.feed_id);
    ix.data = fulcrum::instruction::SetMarketOracle { oracle_kind: 0, feed_id: new.feed_id }.data();
    refused(&mut h, &[ix], &[&admin], FulcrumError::InvalidParameter).await;
    let dead = h.new_oracle(OracleFormat::Pull, Quote { age: 3_600, ..Quote::at(px(100)) }).await;
    let ix = set_market_oracle_ix(&h, &admin.pubkey(), 0, &dead, dead.feed_id);
    refused(&mut h, &[ix], &[&admin], FulcrumError::OracleStale).await;
    // Banks: not the quote bank, a bounded fallback.
    let quote = h.quote;
    let ix = set_bank_oracle_ix(&h, &quote, &new, 120);
    refused(&mut h, &[ix], &[&admin], FulcrumError::QuoteBankHasNoOracle).await;
    let new_b = h.new_oracle(OracleFormat::Legacy, Quote::at(px(100))).await;
    let ix = set_bank_oracle_ix(&h, &sol, &new_b, 3_601);
    refused(&mut h, &[ix], &[&admin], FulcrumError::InvalidParameter).await;

    // The admin rotates both; the old oracles are refused from then on, the new ones work.
    let old = h.markets[0].oracle;
    let ix = set_market_oracle_ix(&h, &admin.pubkey(), 0, &new, new.feed_id);
    h.send(&[ix], &[&admin]).await.unwrap();
    let ix = set_bank_oracle_ix(&h, &sol, &new_b, 600);
    h.send(&[ix], &[&admin]).await.unwrap();
    let bank: fulcrum::state::CollateralBank = h.load(&sol.key).await;
    assert_eq!((bank.oracle, bank.liquidation_max_age), (new_b.key, 600));
    assert_eq!(h.market(0).await.oracle, new.key);
    let ix = h.trade_ix(&t, 0, Side::Buy, SOL, None, false).await; // built with the old oracle
    refused(&mut h, &[ix], &[&t.kp], FulcrumError::OracleMismatch).await;
    h.markets[0].oracle = new;
    h.banks[0].oracle = Some(new_b);
    h.trade(&t, 0, Side::Buy, SOL).await.unwrap();
    h.withdraw(&t, sol.index, SOL / 2).await.unwrap();
    let _ = old;
    h.assert_conservation().await;
}

#[tokio::test]
async fn a_market_wound_down_settles_every_position_at_its_final_price_and_closes() {
    let mut h = market_world(OracleFormat::Pull).await;
    let lp = h.trader(1_000 * USDC).await;
    h.lp_deposit(&lp, 1_000 * USDC).await.unwrap();
    let a = h.trader(1_000 * USDC).await;
    let b = h.trader(1_000 * USDC).await;
    let c = h.trader(1_000 * USDC).await;
    for t in [&a, &b, &c] {
        h.deposit(t, 0, 1_000 * USDC).await.unwrap();
    }
    h.trade(&a, 0, Side::Buy, 10 * SOL).await.unwrap();
    h.trade(&b, 0, Side::Sell, 5 * SOL).await.unwrap();
    h.transfer_isolated(&c, 0, 100 * USDC as i64).await.unwrap();
    h.trade(&c, 0, Side::Buy, 5 * SOL).await.unwrap();
    let admin = h.admin.insecure_clone();

    // Straight to settled, or closed: refused.
    let ix = set_market_status_ix(&h, 0, market_status::SETTLED, engine_price(px(110), 9));
    refused(&mut h, &[ix], &[&admin], FulcrumError::InvalidMarketStatus).await;
    // Winding down: reduce-only.
    let ix = set_market_status_ix(&h, 0, market_status::WINDING_DOWN, 0);
    h.send(&[ix], &[&admin]).await.unwrap();
    let ix = h.trade_ix(&a, 0, Side::Buy, SOL, None, false).await;
    refused(&mut h, &[ix], &[&a.kp], FulcrumError::MarketReduceOnly).await;
    h.trade(&a, 0, Side::Sell, SOL).await.unwrap();
    // The feed dies; settling at the last valid price is refused past the fallback, and the
    // admin settles at $110.
    h.advance(3_600).await;
    let ix = set_market_status_ix(&h, 0, market_status::SETTLED, 0);
    refused(&mut h, &[ix], &[&admin], FulcrumError::OracleStale).await;
    let price = engine_price(px(110), 9);
    let ix = set_market_status_ix(&h, 0, market_status::SETTLED, price);
    h.send(&[ix], &[&admin]).await.unwrap();
    let ix = h.trade_ix(&b, 0, Side::Buy, SOL, None, true).await;
    refused(&mut h, &[ix], &[&b.kp], FulcrumError::MarketPaused).await;
    let ix = h.crank_ix(0);
    refused(&mut h, &[ix], &[], FulcrumError::MarketSettled).await;
    let ix = set_market_status_ix(&h, 0, market_status::CLOSED, 0);
    refused(&mut h, &[ix], &[&admin], FulcrumError::MarketHasOpenInterest).await;
    // Exits need no oracle: the settled market is priced at its settlement price.
    h.withdraw(&a, 0, 100 * USDC).await.expect("withdrawal against a settled position");

    // Anyone (here the fee payer, no other signer) settles each position at $110.
    for t in [&a, &b, &c] {
        let before = h.margin(&t.account).await;
        let s = before.perps[0];
        let pnl = fulcrum_risk::base_value(s.base, price).unwrap() as i64 + s.quote_entry;
        let ix = settle_position_ix(&h, &t.account, 0);
        h.send(&[ix], &[]).await.unwrap();
        let after = h.margin(&t.account).await;
        assert_eq!(after.num_perps, 0);
        assert_eq!(after.quote_balance, before.quote_balance + s.isolated_collateral + pnl);
    }
    // a: 9 SOL long from $100 → +$90; b: 5 short → −$50; c: 5 long isolated → +$50.
    let ix = settle_position_ix(&h, &a.account, 0);
    refused(&mut h, &[ix], &[], FulcrumError::NoPositionToSettle).await;
    let ix = set_market_status_ix(&h, 0, market_status::CLOSED, 0);
    h.send(&[ix], &[&admin]).await.unwrap();
    let m = h.market(0).await;
    assert_eq!((m.status, m.long_base, m.short_base), (market_status::CLOSED, 0, 0));
    // The LP leaves with the market's oracle an hour stale.
    let shares = h.token_balance(&lp.token(&h.lp_mint.clone())).await;
    h.lp_withdraw(&lp, shares).await.expect("LP withdrawal past a closed market");
    h.withdraw(&c, 0, 1_000 * USDC).await.unwrap();
    h.assert_conservation().await;
}

#[tokio::test]
async fn a_stale_collateral_oracle_does_not_block_closing_a_position() {
    let (mut h, _sol, t) = sol_collateral_world(1_000 * USDC, 500 * USDC, 5 * SOL).await;
    h.trade(&t, 0, Side::Buy, 40 * SOL).await.unwrap();
    h.advance(3_600).await;
    // The perp is live, the collateral an hour stale. Growing the position needs every oracle;
    // closing it does not.
    h.set_market_price(0, px(99)).await;
    assert_error(h.trade(&t, 0, Side::Buy, SOL).await, FulcrumError::OracleStale);
    h.trade(&t, 0, Side::Sell, 10 * SOL).await.expect("a reducing trade");
    h.close(&t, 0).await.expect("a close");
    assert_eq!(h.margin(&t.account).await.num_perps, 0);
    h.assert_conservation().await;
}

#[tokio::test]
async fn a_collateral_crash_with_wide_confidence_liquidates_the_collateral_at_the_bound() {
    let (mut h, sol, t) = sol_collateral_world(10 * USDC, 10 * USDC, SOL).await;
    // A losing perp trade leaves quote debt backed by 1 SOL of collateral.
    h.trade(&t, 0, Side::Buy, 5 * SOL).await.unwrap();
    h.set_market_price(0, px(90)).await;
    h.close(&t, 0).await.unwrap();
    assert!(h.margin(&t.account).await.quote_balance < -40 * USDC as i64);
    // SOL crashes to $40 with a 3% band: 1 SOL at 0.9 no longer covers the ~$41 debt.
    let o = sol.oracle.unwrap();
    h.set_oracle(&o, wide(px(40), 300)).await;
    let keeper = h.trader(100 * USDC).await;
    let before = h.margin(&t.account).await;
    h.liquidate_collateral(&keeper, &t.account, sol.index, 20 * USDC)
        .await
        .expect("collateral liquidation at the conservative bound");
    // The keeper is paid collateral at (oracle − confidence) × (1 − 5%), against the account.
    let after = h.margin(&t.account).await;
    let repaid = (after.quote_balance - before.quote_balance) as u64;
    let bound = engine_price(px(40) - px(40) * 300 / 10_000, 9);
    let out = fulcrum_risk::discounted_collateral(repaid, bound, 50_000).unwrap();
    let got = h.token_balance(&keeper.token(&sol.mint)).await;
    assert_eq!(got, out.min(SOL));
    h.assert_conservation().await;
}

#[tokio::test]
async fn a_wide_oracle_does_not_stop_a_keeper_starting_the_grace_period() {
    let params = fulcrum::instructions::ExchangeParams {
        margin_call_grace_slots: 20,
        liquidation_threshold_ratio: 100_000,
        ..default_exchange_params()
    };
    let mut h = Harness::with_params(params).await;
    h.add_market(OracleFormat::Pull, Quote::at(px(100)), default_market_params()).await;
    let _lp = h.seed_pool(100_000 * USDC).await;
    let t = long_9x(&mut h).await;
    // $93 ± 3%: below maintenance, above the hard threshold: a grace period first.
    let o = h.markets[0].oracle;
    h.set_oracle(&o, wide(px(93), 300)).await;
    liquidation_refused(&mut h, &t, FulcrumError::MarginCallGracePeriod).await;
    h.refresh_health(&t.account).await.expect("the keeper's crank prices as a liquidation does");
    assert_eq!(h.margin(&t.account).await.in_margin_call, 1);
    h.advance(10).await; // 25 slots
    h.set_oracle(&o, wide(px(93), 300)).await;
    let e = liquidate(&mut h, &t).await.expect("liquidation after the grace period");
    assert_eq!(e.price, engine_price(px(93) - px(93) * 300 / 10_000, 9));
    h.assert_conservation().await;
}
