//! LP flows that cannot be gamed (issue 13 §2): flash LP around a large trade and around a known
//! oracle update, exiting at the pre-loss price after a bankrupting liquidation, first-depositor
//! capture, unsettled funding in the share price, slippage bounds.

use anchor_lang::{InstructionData, ToAccountMetas};
use fulcrum::instructions::{ExchangeParams, Side};
use solana_sdk::instruction::Instruction;

use crate::harness::*;
use crate::World;

/// Sets the exchange's LP cooldown and withdrawal fee (everything else at the defaults).
async fn set_lp_params(h: &mut Harness, cooldown: u32, fee: u32) {
    h.update_exchange(ExchangeParams {
        lp_cooldown_secs: cooldown,
        lp_withdrawal_fee: fee,
        ..default_exchange_params()
    })
    .await;
}

fn lp_deposit_min_ix(h: &Harness, provider: &Trader, amount: u64, min_shares_out: u64) -> Instruction {
    let mut ix = h.lp_deposit_ix(provider, amount);
    ix.data = fulcrum::instruction::LpDeposit { amount, min_shares_out }.data();
    ix
}

/// `lp_claim` of `position_of`'s locked shares, signed by `signer`.
fn lp_claim_ix(h: &Harness, signer: &Trader, position_of: &Trader) -> Instruction {
    Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::LpClaim {
            exchange: h.exchange,
            pool: h.pool,
            lp_mint: h.lp_mint,
            lp_position: lp_position_address(&h.exchange, &position_of.key()),
            lp_destination: signer.token(&h.lp_mint),
            provider: signer.key(),
            token_program: anchor_spl::token::ID,
        }
        .to_account_metas(None),
        data: fulcrum::instruction::LpClaim {}.data(),
    }
}

/// Every share: minted, locked in cooldowns, dead.
async fn share_supply(h: &mut Harness) -> i128 {
    let pool = h.pool_state().await;
    h.mint_supply(&h.lp_mint.clone()).await as i128 + pool.locked_shares as i128 + pool.dead_shares as i128
}

/// An attacker's wealth: quote tokens in the wallet plus margin-account equity.
async fn wealth(h: &mut Harness, t: &Trader) -> i128 {
    let quote = h.quote.mint;
    h.token_balance(&t.token(&quote)).await as i128 + h.report(&t.account).await.equity
}

async fn lp_shares(h: &mut Harness, t: &Trader) -> u64 {
    let m = h.lp_mint;
    h.token_balance(&t.token(&m)).await
}

async fn quote_tokens(h: &mut Harness, t: &Trader) -> u64 {
    let q = h.quote.mint;
    h.token_balance(&t.token(&q)).await
}

/// Traders' net unrealised PnL in market 0 at its oracle (the pool's liability).
async fn traders_pnl(h: &mut Harness) -> i128 {
    let m = h.market(0).await;
    let p = h.oracle_price(&m.oracle, m.oracle_kind, &m.feed_id, 9).await.oracle;
    let net = m.long_base as i128 - m.short_base as i128;
    (net * p as i128).div_euclid(1_000_000_000_000) + m.long_quote_entry as i128 + m.short_quote_entry as i128
}

/// A $1.8M deposit (18× the pool) in the slot of a $20,000 long: the impact fee and the funding
/// rate must see the pool's depth without it.
#[tokio::test]
async fn flash_lp_around_a_large_long_pays_the_full_impact_fee() {
    let mut w = World::new().await;
    let mut p = default_market_params();
    p.impact_fee = 50_000; // 5% at 100% skew
    p.funding_factor = 100_000; // 10%/h at 100% skew
    p.max_funding_rate = 100_000;
    w.h.update_market(0, p).await;
    set_lp_params(&mut w.h, 60, 1_000).await; // 1 minute, 0.1%
    let d = 1_800_000 * USDC;
    let a = w.h.trader(d + 3_000 * USDC).await;
    w.h.deposit(&a, 0, 3_000 * USDC).await.unwrap();
    let depth = w.h.pool_state().await.balance as u128;
    let fees0 = w.h.market(0).await.fees_collected;
    let wealth0 = wealth(&mut w.h, &a).await;

    // Full fee without the deposit: skew after = (10 + 200 SOL) × $100 / depth.
    let skew_after = 21_000 * USDC as u128 * 1_000_000 / depth;
    let impact = (50_000 * skew_after).div_ceil(1_000_000);
    let full_fee = (20_000 * USDC as u128 * (1_000 + impact)).div_ceil(1_000_000) as u64;
    // The rate after the trade, at the depth the fee left.
    let full_rate = (21_000 * USDC as u128 * 1_000_000 / (depth + full_fee as u128) * 100_000 / 1_000_000) as i64;

    // deposit → trade → withdraw, all in one slot.
    w.h.lp_deposit(&a, d).await.unwrap();
    w.h.trade(&a, 0, Side::Buy, 200 * SOL).await.unwrap();
    let fee = w.h.market(0).await.fees_collected - fees0;
    let rate = w.h.market(0).await.funding_rate;
    assert_eq!(fee, full_fee, "impact fee diluted by the flash deposit");
    assert_eq!(rate, full_rate, "funding rate pinned by the flash deposit");
    // No withdrawal in the slot: the shares are locked, not tokens.
    assert_eq!(lp_shares(&mut w.h, &a).await, 0);
    let claim = lp_claim_ix(&w.h, &a, &a);
    w.rejected(std::slice::from_ref(&claim), &[&a.kp], FulcrumError::LpCooldownActive).await;
    // After the cooldown: claim, withdraw everything (the 0.1% fee stays in the pool).
    w.h.advance(60).await;
    w.h.refresh_oracles().await;
    w.h.send(&[claim], &[&a.kp]).await.unwrap();
    let shares = lp_shares(&mut w.h, &a).await;
    w.h.lp_withdraw(&a, shares).await.unwrap();
    let cost = wealth0 - wealth(&mut w.h, &a).await;
    println!(
        "flash LP around a $20k long: fee {fee} (full {full_fee}), funding rate {rate} (full {full_rate}), \
         round trip after the cooldown: net cost {cost}"
    );
    assert!(cost >= full_fee as i128, "the flash round trip cost {cost} < the full fee {full_fee}");
    w.h.assert_conservation().await;
}

/// A $1.8M deposit right before a known move that earns the pool $100 (the victim's 10 SOL long
/// to $90), withdrawn right after.
#[tokio::test]
async fn flash_lp_around_a_known_oracle_update_cannot_exit_through_it() {
    let mut w = World::new().await;
    set_lp_params(&mut w.h, 60, 1_000).await; // 1 minute, 0.1%
    let d = 1_800_000 * USDC;
    let a = w.h.trader(d).await;
    let v0 = w.h.pool_state().await.balance as i128 - traders_pnl(&mut w.h).await;
    w.h.lp_deposit(&a, d).await.unwrap();
    w.h.set_market_price(0, px(90)).await;
    let v1 = w.h.pool_state().await.balance as i128 - traders_pnl(&mut w.h).await;
    // Right after the update: nothing to withdraw, the claim refused, by the owner or anyone.
    assert_eq!(lp_shares(&mut w.h, &a).await, 0);
    let claim = lp_claim_ix(&w.h, &a, &a);
    w.rejected(std::slice::from_ref(&claim), &[&a.kp], FulcrumError::LpCooldownActive).await;
    let accomplice = w.h.trader(0).await;
    let other = lp_claim_ix(&w.h, &accomplice, &a);
    w.rejected_by_anchor(&[other], &[&accomplice.kp], anchor_lang::error::ErrorCode::ConstraintSeeds).await;
    // After the cooldown it is an ordinary LP that held the pool's risk for a minute.
    w.h.advance(60).await;
    w.h.refresh_oracles().await;
    w.h.send(&[claim], &[&a.kp]).await.unwrap();
    let shares = lp_shares(&mut w.h, &a).await;
    w.h.lp_withdraw(&a, shares).await.unwrap();
    let gain = quote_tokens(&mut w.h, &a).await as i128 - d as i128;
    println!(
        "flash LP around a +{} pool move: nothing out at once; after the cooldown gain {gain}",
        v1 - v0 - d as i128
    );
    assert!(gain <= 0, "captured {gain} of the pool's {} gain", v1 - v0 - d as i128);
    w.h.assert_conservation().await;
}

/// A cross account liquidated into a $1,800 deficit (the fund holds $1,000): an LP holding half
/// the pool withdraws before `resolve_bankruptcy` and must not leave the loss to the other.
#[tokio::test]
async fn lp_cannot_exit_at_the_pre_loss_price_after_a_bankrupting_liquidation() {
    let mut w = World::new().await;
    let lp2 = w.h.trader(100_000 * USDC).await;
    w.h.lp_deposit(&lp2, 100_000 * USDC).await.unwrap();
    let t = w.h.trader_with_deposit(2_000 * USDC).await;
    w.h.trade(&t, 0, Side::Buy, 190 * SOL).await.unwrap();
    w.h.set_market_price(0, px(80)).await;
    let keeper = w.h.trader(0).await;
    let kp = keeper.kp.insecure_clone();
    let q = w.h.quote.mint;
    w.h.liquidate_perp(&kp, &keeper.token(&q), &t.account, 0).await.unwrap();
    let debt = -(w.h.margin(&t.account).await.quote_balance as i128);
    let pool = w.h.pool_state().await;
    let socialised = (debt - pool.insurance_balance as i128).max(0);
    let supply = share_supply(&mut w.h).await;
    let value = pool.balance as i128 - traders_pnl(&mut w.h).await;
    let shares = lp_shares(&mut w.h, &lp2).await;
    let fair = shares as i128 * (value - socialised) / supply;
    let r = w.h.lp_withdraw(&lp2, shares).await;
    let out = quote_tokens(&mut w.h, &lp2).await as i128;
    w.h.resolve_bankruptcy(&t.account).await.unwrap();
    println!("bankrupting liquidation: debt {debt}, to LPs {socialised}; lp2 withdraw {r:?} got {out}, fair {fair}");
    assert!(out <= fair, "exited at the pre-loss price: {out} > {fair} (extracted {})", out - fair);
    w.h.assert_conservation().await;
}

/// A pool that earned $101.90 from a losing trader before anyone provided liquidity: a 1-unit
/// first deposit must not own it.
#[tokio::test]
async fn first_depositor_cannot_capture_value_already_in_the_pool() {
    let mut h = Setup::default().build().await;
    let t = h.trader_with_deposit(1_000 * USDC).await;
    h.trade(&t, 0, Side::Buy, 10 * SOL).await.unwrap();
    h.set_market_price(0, px(90)).await;
    h.close(&t, 0).await.unwrap();
    let v0 = h.pool_state().await.balance;
    let a = h.trader(1_000 * USDC).await;
    assert_error(h.lp_deposit(&a, 1).await, FulcrumError::LpDepositTooSmall);
    assert_error(h.lp_deposit(&a, fulcrum_risk::DEAD_SHARES).await, FulcrumError::LpDepositTooSmall);
    // A real first deposit: one share per unit of value, the value already there and
    // DEAD_SHARES to no one.
    h.lp_deposit(&a, 1_000 * USDC).await.unwrap();
    let shares = lp_shares(&mut h, &a).await;
    assert_eq!(shares, 1_000 * USDC - fulcrum_risk::DEAD_SHARES);
    assert_eq!(h.pool_state().await.dead_shares, v0 + fulcrum_risk::DEAD_SHARES);
    h.lp_withdraw(&a, shares).await.unwrap();
    let gain = quote_tokens(&mut h, &a).await as i128 - 1_000 * USDC as i128;
    println!("first deposit into a pool worth {v0}: gain {gain}");
    assert!(gain <= 0, "the first depositor captured {gain}");
    // The value stays in the pool, for whoever provides liquidity next.
    assert_eq!(h.pool_state().await.balance, v0 + fulcrum_risk::DEAD_SHARES);
    h.assert_conservation().await;
}

/// Funding the victim owes (20 h at 1%/h on $1,000) but has not settled: an LP entering before
/// the settlement must not buy it at a discount.
#[tokio::test]
async fn lp_cannot_buy_unsettled_funding_at_a_discount() {
    let mut w = World::new().await;
    let mut p = default_market_params();
    p.funding_factor = 1_000_000; // 100%/h at 100% skew: 1%/h at the victim's 1% skew
    p.max_funding_rate = 100_000;
    w.h.update_market(0, p).await;
    w.h.crank(0).await.unwrap();
    for _ in 0..20 {
        w.h.advance(3_600).await;
        w.h.refresh_oracles().await;
        w.h.crank(0).await.unwrap();
    }
    let d = 100_000 * USDC;
    let a = w.h.trader(d).await;
    w.h.lp_deposit(&a, d).await.unwrap();
    let fees0 = w.h.pool_state().await.fees_earned;
    let v = Trader { kp: w.victim.kp.insecure_clone(), account: w.victim.account, tokens: w.victim.tokens.clone() };
    w.h.close(&v, 0).await.unwrap();
    let close_fee = (w.h.pool_state().await.fees_earned - fees0) as i128;
    let shares = lp_shares(&mut w.h, &a).await;
    w.h.lp_withdraw(&a, shares).await.unwrap();
    let gain = quote_tokens(&mut w.h, &a).await as i128 - d as i128;
    println!("LP entering before a funding settlement: gain {gain} (close fee to pool {close_fee})");
    assert!(gain <= close_fee / 2 + 1, "bought unsettled funding at a discount: gain {gain}");
    w.h.assert_conservation().await;
}

/// A pool whose traders hold $100 of unrealised gains before anyone provided liquidity: a first
/// depositor would inherit the deficit; refused by name.
#[tokio::test]
async fn first_depositor_cannot_inherit_a_deficit() {
    let mut h = Setup::default().build().await;
    let t = h.trader_with_deposit(1_000 * USDC).await;
    h.trade(&t, 0, Side::Buy, 10 * SOL).await.unwrap();
    h.set_market_price(0, px(110)).await;
    let a = h.trader(1_000 * USDC).await;
    let mut keys = h.ledger_keys();
    keys.extend(a.tokens.values().copied());
    let before = h.snapshot(&keys).await;
    assert_error(h.lp_deposit(&a, 1_000 * USDC).await, FulcrumError::PoolInsolvent);
    assert_eq!(h.snapshot(&keys).await, before);
    // Once the trader is flat at a loss the pool is worth something again and takes deposits.
    h.set_market_price(0, px(100)).await;
    h.lp_deposit(&a, 1_000 * USDC).await.unwrap();
    h.assert_conservation().await;
}

/// `min_shares_out` / `min_amount_out`: a deposit or withdrawal that would get less than asked
/// is refused by name and changes nothing; at exactly the quote it goes through.
#[tokio::test]
async fn lp_slippage_bounds_are_enforced() {
    let mut w = World::new().await;
    let a = w.h.trader(10_000 * USDC).await;
    let supply = share_supply(&mut w.h).await as u128;
    let value = (w.h.pool_state().await.balance as i128 - traders_pnl(&mut w.h).await) as u128;
    let expect = (10_000 * USDC as u128 * supply / value) as u64;
    let ix = lp_deposit_min_ix(&w.h, &a, 10_000 * USDC, expect + 1);
    w.rejected(&[ix], &[&a.kp], FulcrumError::LpSlippageExceeded).await;
    let ix = lp_deposit_min_ix(&w.h, &a, 10_000 * USDC, expect);
    w.h.send(&[ix], &[&a.kp]).await.unwrap();
    assert_eq!(lp_shares(&mut w.h, &a).await, expect);

    let supply = share_supply(&mut w.h).await as u128;
    let value = (w.h.pool_state().await.balance as i128 - traders_pnl(&mut w.h).await) as u128;
    let out = (expect as u128 * value / supply) as u64;
    let ix = w.h.lp_withdraw_ix(&a, expect, out + 1);
    w.rejected(&[ix], &[&a.kp], FulcrumError::LpSlippageExceeded).await;
    let ix = w.h.lp_withdraw_ix(&a, expect, out);
    w.h.send(&[ix], &[&a.kp]).await.unwrap();
    assert_eq!(quote_tokens(&mut w.h, &a).await, out);
    w.h.assert_conservation().await;
}

/// The withdrawal fee stays in the pool: the LPs who remain gain exactly what it kept.
#[tokio::test]
async fn lp_withdrawal_fee_stays_with_the_remaining_lps() {
    let mut w = World::new().await;
    set_lp_params(&mut w.h, 0, 2_000).await; // 0.2%
    let a = w.h.trader(10_000 * USDC).await;
    w.h.lp_deposit(&a, 10_000 * USDC).await.unwrap();
    let shares = lp_shares(&mut w.h, &a).await;
    let supply = share_supply(&mut w.h).await as u128;
    let value = (w.h.pool_state().await.balance as i128 - traders_pnl(&mut w.h).await) as u128;
    let gross = (shares as u128 * value / supply) as u64;
    let fee = (gross as u128 * 2_000).div_ceil(1_000_000) as u64;
    let balance0 = w.h.pool_state().await.balance;
    w.h.lp_withdraw(&a, shares).await.unwrap();
    assert_eq!(quote_tokens(&mut w.h, &a).await, gross - fee);
    let pool = w.h.pool_state().await;
    assert_eq!(pool.balance, balance0 - gross + fee);
    assert_eq!(pool.withdrawal_fees_earned, fee);
    w.h.assert_conservation().await;
}

/// Traders sitting on $5,500 of gains the pool may not pay in full (PnL cap, ADL): a deposit
/// counts at most `max_pnl_factor_for_deposits` × balance of them (here 1%: $1,000), so the
/// depositor buys shares at the higher value and the LPs already in are not diluted; a
/// withdrawal counts traders' losses (the pool's unrealised gain) at most
/// `max_pnl_factor_for_withdrawals` × balance, so a leaver does not cash out gains not yet paid.
#[tokio::test]
async fn lp_flows_count_traders_pnl_capped_against_the_lp() {
    let mut w = World::new().await;
    let p = ExchangeParams {
        max_pnl_factor_for_deposits: 10_000,
        max_pnl_factor_for_withdrawals: 10_000,
        ..default_exchange_params()
    };
    w.h.update_exchange(p).await;
    let t = w.h.trader_with_deposit(2_000 * USDC).await;
    w.h.trade(&t, 0, Side::Buy, 100 * SOL).await.unwrap();
    w.h.set_market_price(0, px(150)).await;
    let balance = w.h.pool_state().await.balance as i128;
    let pnl = traders_pnl(&mut w.h).await;
    assert_eq!(pnl, 5_500 * USDC as i128);
    let supply = share_supply(&mut w.h).await;
    let d = 10_000 * USDC;
    let a = w.h.trader(d).await;
    w.h.lp_deposit(&a, d).await.unwrap();
    let capped = d as i128 * supply / (balance - balance / 100);
    let uncapped = d as i128 * supply / (balance - pnl);
    println!("deposit with traders +{pnl}: {} shares (uncapped {uncapped})", lp_shares(&mut w.h, &a).await);
    assert_eq!(lp_shares(&mut w.h, &a).await as i128, capped);

    // The other way: traders down $5,500 at $50; a withdrawal counts at most 1% of balance.
    w.h.set_market_price(0, px(50)).await;
    let balance = w.h.pool_state().await.balance as i128;
    let pnl = traders_pnl(&mut w.h).await;
    assert_eq!(pnl, -5_500 * USDC as i128);
    let supply = share_supply(&mut w.h).await;
    let shares = lp_shares(&mut w.h, &a).await;
    w.h.lp_withdraw(&a, shares).await.unwrap();
    let out = quote_tokens(&mut w.h, &a).await as i128;
    assert_eq!(out, shares as i128 * (balance + balance / 100) / supply);
    w.h.assert_conservation().await;
}

// ------------------------------------------------------------------ fuzz operations (fuzz.rs)

/// The pool's LP value (withdrawal side, uncapped, each market at its oracle mid with funding
/// accrued to now) and its share supply: share price = value / supply.
pub async fn lp_share_price(h: &mut Harness) -> (i128, i128) {
    let now = h.now().await;
    let pool = h.pool_state().await;
    let mut markets = vec![];
    let mut funding = vec![];
    for i in 0..h.markets.len() {
        let m = h.market(i).await;
        let price = h.oracle_price(&m.oracle, m.oracle_kind, &m.feed_id, m.base_decimals).await.oracle;
        markets.push(fulcrum_risk::MarketExposure {
            long_base: m.long_base,
            short_base: m.short_base,
            long_quote_entry: m.long_quote_entry,
            short_quote_entry: m.short_quote_entry,
            price,
        });
        funding.push(m.funding_sums(m.indexes_at(price, now).unwrap()));
    }
    let v = fulcrum_risk::LpValuation {
        balance: pool.balance,
        markets: &markets,
        funding: &funding,
        unresolved_bad_debt: pool.unresolved_bad_debt,
        insurance_balance: pool.insurance_balance,
        max_pnl_factor: 0,
        payout_caps: &[],
    };
    (fulcrum_risk::lp_pool_value(&v, fulcrum_risk::Rounding::Down).unwrap(), share_supply(h).await)
}

/// Invariant: an LP's own deposit or withdrawal never lowers the share price of the others
/// (beyond 1 ppm: the program accrues funding at the conservative bound, this at the mid).
pub fn share_price_kept(what: &str, before: (i128, i128), after: (i128, i128)) -> Result<(), String> {
    let ((vb, sb), (va, sa)) = (before, after);
    if sb == 0 || sa == 0 {
        return Ok(());
    }
    let slack = (vb / 1_000_000).max(1);
    if va * sb < (vb - slack) * sa {
        return Err(format!("{what} lowered the share price: {vb}/{sb} -> {va}/{sa}"));
    }
    Ok(())
}

/// Fuzz op: `lp` deposits `amount` and `t` trades `size` in `market` in the same transaction.
/// Invariant: the trade pays the fee of the pool's depth without this slot's deposits.
pub async fn fuzz_flash_lp(
    h: &mut Harness,
    lp: &Trader,
    t: &Trader,
    market: u16,
    buy: bool,
    size: u64,
    amount: u64,
) -> Result<Option<TxResult>, String> {
    if amount == 0 || size == 0 {
        return Ok(None);
    }
    let slot = h.clock().await.slot;
    let p0 = h.pool_state().await;
    let m0 = h.market(market as usize).await;
    let depth0 = fulcrum_risk::pool_depth(p0.balance, p0.deposit_slot, p0.deposited_in_slot, slot);
    let price = h.oracle_price(&m0.oracle, m0.oracle_kind, &m0.feed_id, m0.base_decimals).await.oracle;
    let dep = h.lp_deposit_ix(lp, amount);
    let side = if buy { Side::Buy } else { Side::Sell };
    let trade = h.trade_ix(t, market, side, size, None, false).await;
    let logs = match h.send_logged(&[dep, trade], &[&lp.kp, &t.kp]).await {
        Ok(logs) => logs,
        Err(e) => return Ok(Some(Err(e))),
    };
    let m1 = h.market(market as usize).await;
    let skew = |l, s| fulcrum_risk::skew(l, s, price, depth0).unwrap();
    let rate = fulcrum_risk::trade_fee_rate(
        m0.taker_fee,
        skew(m0.long_base, m0.short_base),
        skew(m1.long_base, m1.short_base),
        &m1.dynamic_params(),
    )
    .unwrap();
    // The fee is the rate of the depth without the deposit on the fill's notional (at the fill
    // price: oracle ± the latency spread).
    let ev = events::<fulcrum::events::TradeEvent>(&logs).pop().ok_or("no trade event")?;
    let fill = (size as u128 * ev.price as u128).div_ceil(1_000_000_000_000);
    let fee = (fill * rate as u128).div_ceil(1_000_000) as u64;
    let paid = m1.fees_collected - m0.fees_collected;
    if ev.fee_rate != rate || paid != fee {
        return Err(format!(
            "flash LP of {amount} diluted a trade's fee: paid {paid} at {} ppm, depth {depth0} fee {fee} at {rate} ppm",
            ev.fee_rate
        ));
    }
    Ok(Some(Ok(())))
}

/// Fuzz op: `lp` claims its locked shares. Invariant: never before the cooldown ends, always
/// after it.
pub async fn fuzz_lp_claim(h: &mut Harness, lp: &Trader) -> Result<Option<TxResult>, String> {
    let key = lp_position_address(&h.exchange, &lp.key());
    if h.account(&key).await.is_none() {
        return Ok(None);
    }
    let pos: fulcrum::state::LpPosition = h.load(&key).await;
    let now = h.now().await;
    let ix = lp_claim_ix(h, lp, lp);
    let r = h.send(&[ix], &[&lp.kp]).await;
    if r.is_ok() && now < pos.unlock_ts {
        return Err(format!("LP shares claimed at {now}, within the cooldown (until {})", pos.unlock_ts));
    }
    if r.is_err() && pos.locked_shares > 0 && now >= pos.unlock_ts {
        return Err(format!("LP claim refused after the cooldown: {r:?}"));
    }
    Ok(Some(r))
}

/// Invariants of the LP accounting after every transaction: locked shares are the providers'
/// (one provider: `lp`), recorded bad debt is the accounts' and covers every debt nothing backs,
/// and each market's funding snapshot sums are the sums over its positions.
pub async fn check_lp_accounting(h: &mut Harness, traders: &[Trader], lp: &Trader) -> Result<(), String> {
    let pool = h.pool_state().await;
    let key = lp_position_address(&h.exchange, &lp.key());
    let locked = if h.account(&key).await.is_some() {
        h.load::<fulcrum::state::LpPosition>(&key).await.locked_shares
    } else {
        0
    };
    if pool.locked_shares != locked {
        return Err(format!("pool locked shares {} != the provider's {locked}", pool.locked_shares));
    }
    let mut recorded = 0u64;
    let mut sums = vec![(0i128, 0i128); h.markets.len()];
    for t in traders {
        let a = h.margin(&t.account).await;
        recorded += a.recorded_bad_debt;
        // Bad debt is recorded the moment it exists (it may only be over-recorded: a deposit
        // into a bankrupt account pays some of it back before `resolve_bankruptcy` forgets it).
        if a.pending_bad_debt() > a.recorded_bad_debt {
            return Err(format!(
                "unrecorded bad debt {} > recorded {}: {a:?}",
                a.pending_bad_debt(),
                a.recorded_bad_debt
            ));
        }
        for s in a.active_perps() {
            let p = s.position();
            let v = p.base.unsigned_abs() as i128 * p.funding_snapshot;
            let e = &mut sums[s.market_index as usize];
            if p.base > 0 {
                e.0 += v;
            } else if p.base < 0 {
                e.1 += v;
            }
        }
    }
    if pool.unresolved_bad_debt != recorded {
        return Err(format!("pool unresolved bad debt {} != Σ recorded {recorded}", pool.unresolved_bad_debt));
    }
    for (i, want) in sums.into_iter().enumerate() {
        let m = h.market(i).await;
        let got =
            (fulcrum::state::get_i128(&m.long_funding_snapshots), fulcrum::state::get_i128(&m.short_funding_snapshots));
        if got != want {
            return Err(format!("market {i} funding snapshot sums {got:?} != positions {want:?}"));
        }
    }
    Ok(())
}

/// Bad debt left by selling an account's last collateral is recorded at once too: the pool's
/// LP value drops by what the insurance fund cannot cover before `resolve_bankruptcy` runs, and
/// not again when it does.
#[tokio::test]
async fn bad_debt_left_by_a_collateral_liquidation_is_priced_in_at_once() {
    let mut w = World::new().await;
    let sol = w.sol;
    let t = w.h.trader(0).await;
    w.h.fund(&t, sol.index, 5 * SOL).await; // $500, $400 of initial collateral
    w.h.trade(&t, 0, Side::Buy, 35 * SOL).await.unwrap();
    w.h.set_market_price(0, px(80)).await;
    let keeper = w.h.trader(100_000 * USDC).await;
    let kp = keeper.kp.insecure_clone();
    let q = w.h.quote.mint;
    w.h.liquidate_perp(&kp, &keeper.token(&q), &t.account, 0).await.unwrap();
    assert_eq!(w.h.pool_state().await.unresolved_bad_debt, 0, "collateral still backs the debt");
    w.h.set_bank_price(sol.index, px(20)).await;
    w.h.liquidate_collateral(&keeper, &t.account, sol.index, 10_000 * USDC).await.unwrap();
    let a = w.h.margin(&t.account).await;
    assert_eq!((a.num_collateral, a.num_perps), (0, 0));
    let debt = a.quote_balance.unsigned_abs();
    assert!(debt > 0);
    assert_eq!(a.recorded_bad_debt, debt);
    assert_eq!(w.h.pool_state().await.unresolved_bad_debt, debt);
    let (v_before, _) = lp_share_price(&mut w.h).await;
    w.h.resolve_bankruptcy(&t.account).await.unwrap();
    let (v_after, _) = lp_share_price(&mut w.h).await;
    assert_eq!(w.h.pool_state().await.unresolved_bad_debt, 0);
    assert_eq!(v_after, v_before, "resolving an already priced-in debt moves the LP value");
    w.h.assert_conservation().await;
}
