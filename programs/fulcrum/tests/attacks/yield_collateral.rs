//! Yield-bearing collateral (issue 18 part 2): a liquid-staking token priced as SOL × the stake
//! pool's exchange rate. The attacks: inflating the rate (a donation into the pool, a broken
//! pool), a stale pool, a substituted rate account, a depeg, and a slashing the account hides
//! from. Stake pools are written in the real SPL layout, from the mainnet Jito dump
//! (`tests/fixtures/stake_pool/`) with its fields replaced.

use fulcrum::instructions::{CorrelationParams, Side};
use fulcrum::state::CollateralBank;
use fulcrum_risk::FACTOR_ONE;
use solana_sdk::{pubkey::Pubkey, signature::Signer};

use crate::harness::*;

/// The rate of [`LstWorld`]'s pool (1.0725), × RATE_ONE.
const RATE: u64 = 1_072_500_000_000;

/// A donation doubles the pool's rate (lamports ×2, same supply). A refresh accepts at most the
/// 0.1%-per-epoch cap, so the holder's borrowing power grows by at most that.
#[tokio::test]
async fn an_inflated_rate_cannot_inflate_borrowing_power_beyond_the_epoch_cap() {
    let mut w = LstWorld::new(None).await;
    assert_eq!(w.bank().await.accepted_rate, RATE);
    let t = w.holder(10 * SOL).await;
    let before = w.max_long(&t).await;
    // Collateral: 10 × $100 × 1.0725 × 0.8 = $858 + $100 → ≈ $9,580 of notional at 10×.
    assert!((9_400 * SOL / 100..=9_600 * SOL / 100).contains(&before), "{before}");

    // Same epoch: the doubled rate is not accepted at all.
    w.pool_at(2 * LAMPORTS, EPOCH).await;
    w.refresh().await.unwrap();
    assert_eq!(w.bank().await.accepted_rate, RATE);
    assert_eq!(w.max_long(&t).await, before);

    // One epoch later: +0.1%, no more.
    w.h.advance(1).await;
    w.h.refresh_oracles().await;
    set_epoch(&mut w.h, EPOCH + 1).await;
    w.pool_at(2 * LAMPORTS, EPOCH + 1).await;
    w.refresh().await.unwrap();
    let capped = RATE + RATE / 1_000;
    assert_eq!(w.bank().await.accepted_rate, capped);
    let after = w.max_long(&t).await;
    // $858 × 1.001 + $100 = $958.86: 0.09% more than $958, not 90%.
    assert!(after <= before + before / 1_000 + SOL / 100, "{before} → {after}");
    assert!(after < before * 11 / 10, "{before} → {after}");
    // The position the doubled rate would carry is refused.
    let ix = w.h.trade_ix(&t, 0, Side::Buy, before * 3 / 2, None, false).await;
    assert_error(w.h.send(&[ix], &[&t.kp]).await, FulcrumError::TradeExceedsInitialMargin);
}

/// The pool's books are last epoch's until its update runs: a refresh is refused by name and
/// changes nothing; the last accepted rate stays.
#[tokio::test]
async fn a_stale_stake_pool_is_refused() {
    let mut w = LstWorld::new(None).await;
    set_epoch(&mut w.h, EPOCH + 1).await;
    w.pool_at(2 * LAMPORTS, EPOCH).await;
    let keys = [w.lst.key, w.pool];
    let before = w.h.snapshot(&keys).await;
    assert_error(w.refresh().await, FulcrumError::RateSourceStale);
    assert_eq!(w.h.snapshot(&keys).await, before);
    // An empty pool (no supply) has no rate.
    let (pool, mint) = (w.pool, w.lst.mint);
    write_pool(&mut w.h, &pool, &mint, LAMPORTS, 0, EPOCH + 1).await;
    assert_error(w.refresh().await, FulcrumError::RateSourceEmpty);
    assert_eq!(w.bank().await.accepted_rate, RATE);
}

/// A rate account of another program, or of another mint, is refused by name at configuration
/// and at refresh; an account other than the configured one is refused as a mismatch.
#[tokio::test]
async fn a_wrong_owner_or_wrong_mint_rate_account_is_refused_by_name() {
    let mut w = LstWorld::new(None).await;
    let admin = w.h.admin.insecure_clone();
    let fake_owner = Pubkey::new_unique();
    let fake = Pubkey::new_unique();
    let mint = w.lst.mint;
    w.h.ctx.set_account(&fake, &stake_pool_account(&mint, 2 * LAMPORTS, SUPPLY, EPOCH, &fake_owner).into());
    let other_mint = Pubkey::new_unique();
    let foreign = Pubkey::new_unique();
    write_pool(&mut w.h, &foreign, &other_mint, 2 * LAMPORTS, SUPPLY, EPOCH).await;
    let keys = [w.lst.key];
    let before = w.h.snapshot(&keys).await;
    let cases = [(fake, FulcrumError::RateSourceWrongOwner), (foreign, FulcrumError::RateSourceWrongMint)];
    for (account, e) in cases {
        let ix = set_rate_ix(&w.h, &w.lst, account, 1, None, CAP_PPM);
        assert_error(w.h.send(&[ix], &[&admin]).await, e);
        assert_eq!(w.h.snapshot(&keys).await, before);
        // At refresh: another account than the bank's is a mismatch.
        let ix = refresh_rate_ix(&w.h, &w.lst, account, None);
        assert_error(w.h.send(&[ix], &[]).await, FulcrumError::RateSourceMismatch);
        assert_eq!(w.h.snapshot(&keys).await, before);
    }
    // The configured account itself taken over by another program: wrong owner.
    let pool = w.pool;
    w.h.ctx.set_account(&pool, &stake_pool_account(&mint, 2 * LAMPORTS, SUPPLY, EPOCH, &fake_owner).into());
    assert_error(w.refresh().await, FulcrumError::RateSourceWrongOwner);
    // …or rewritten for another mint.
    write_pool(&mut w.h, &pool, &other_mint, 2 * LAMPORTS, SUPPLY, EPOCH).await;
    assert_error(w.refresh().await, FulcrumError::RateSourceWrongMint);
    assert_eq!(w.h.snapshot(&keys).await, before);
    // Not the admin: refused.
    let stranger = w.h.stranger().await;
    let mut ix = set_rate_ix(&w.h, &w.lst, pool, 1, None, CAP_PPM);
    ix.accounts[0].pubkey = stranger.pubkey();
    assert_error(w.h.send(&[ix], &[&stranger]).await, FulcrumError::NotAdmin);
}

/// The LST trades 5% below rate × SOL: the bank is priced at the lower (the market's), so
/// borrowing power falls with it.
#[tokio::test]
async fn a_depeg_prices_at_the_lower_of_the_lst_oracle_and_rate_times_sol() {
    // rate × SOL = $107.25; the LST's own oracle at par.
    let mut w = LstWorld::new(Some(px(10_725) / 100)).await;
    assert_eq!(w.bank().await.depeg_ppm, FACTOR_ONE);
    let t = w.holder(10 * SOL).await;
    let before = w.max_long(&t).await;
    let r = w.h.report(&t.account).await;
    // The LST oracle 5% under: $101.8875.
    let direct = w.direct.unwrap();
    w.h.set_oracle(&direct, Quote::at(px(1_018_875) / 10_000)).await;
    w.refresh().await.unwrap();
    assert_eq!(w.bank().await.depeg_ppm, 950_000);
    let depegged = w.h.report(&t.account).await;
    // Collateral $858 → $815.10 at the initial weight: equity −$42.90.
    assert_eq!(r.init.equity - depegged.init.equity, 42_900_000);
    let after = w.max_long(&t).await;
    assert!(after < before, "{before} → {after}");
    assert!(after <= before - 400 * SOL / 100, "{before} → {after}");
    // An LST oracle ABOVE rate × SOL adds nothing: the factor stays at most 1.
    w.h.set_oracle(&direct, Quote::at(px(150))).await;
    w.refresh().await.unwrap();
    assert_eq!(w.bank().await.depeg_ppm, FACTOR_ONE);
    assert_eq!(w.max_long(&t).await, before);
}

/// A loss in the pool (a slashing, a hack): its rate falls 75%. Anyone's refresh takes it at
/// once, whatever the rise cap; the account falls below maintenance and a keeper liquidates it.
#[tokio::test]
async fn a_rate_fall_is_taken_at_once_and_makes_the_account_liquidatable() {
    let mut w = LstWorld::new(None).await;
    let t = w.holder(10 * SOL).await;
    let size = w.max_long(&t).await * 9 / 10;
    w.h.trade(&t, 0, Side::Buy, size).await.unwrap();
    let k = w.h.trader(0).await;
    let fee_to = k.token(&w.h.quote.mint);
    assert_error(w.h.liquidate_perp(&k.kp, &fee_to, &t.account, 0).await, FulcrumError::NotLiquidatable);

    w.pool_at(LAMPORTS / 4, EPOCH).await;
    w.refresh().await.unwrap();
    assert_eq!(w.bank().await.accepted_rate, RATE / 4);
    let r = w.h.report(&t.account).await;
    assert!(!r.maint.is_met(), "{r:?}");
    w.h.liquidate_perp(&k.kp, &fee_to, &t.account, 0).await.unwrap();
    assert!(w.h.token_balance(&fee_to).await > 0);
    w.h.assert_conservation().await;
}

/// Portfolio margin: the LST is its own asset, 0.95 correlated with SOL. A short SOL-PERP
/// hedging LST collateral nets most (not all) of its risk: less margin than cross, more than a
/// perfect hedge.
#[tokio::test]
async fn portfolio_margin_maps_the_lst_to_its_own_asset_with_correlation_below_one() {
    let mut w = LstWorld::new(None).await;
    const ONE: i32 = 1_000_000;
    let p = |rho: i32| CorrelationParams {
        matrix: vec![ONE, rho, rho, ONE],
        bank_assets: vec![255, 1],
        market_assets: vec![0],
        floor: 100_000,
        min_equity: 100 * USDC,
    };
    w.h.set_correlations(p(950_000)).await.unwrap();
    let t = w.holder(100 * SOL).await;
    w.h.trade(&t, 0, Side::Sell, 100 * SOL).await.unwrap();
    let cross = w.h.report(&t.account).await;
    let ix = w.h.set_margin_mode_ix(&t, fulcrum_risk::MarginMode::Portfolio).await;
    w.h.send(&[ix], &[&t.kp]).await.unwrap();
    let partial = w.h.report(&t.account).await;
    w.h.set_correlations(p(ONE)).await.unwrap();
    let perfect = w.h.report(&t.account).await;
    let free = |h: &fulcrum_risk::AccountHealth| h.init.free_collateral();
    assert!(free(&partial) > free(&cross), "{partial:?} vs {cross:?}");
    assert!(free(&perfect) > free(&partial), "{perfect:?} vs {partial:?}");
}

/// s6-depeg: the most quote `t` may withdraw now, in cents (simulated: nothing sent), with a
/// `refresh_bank_rate` prepended or not.
async fn max_quote_out(w: &mut LstWorld, t: &Trader, refresh_first: bool) -> u64 {
    let (mut lo, mut hi) = (0u64, 1_000_000u64);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let mut ixs = Vec::new();
        if refresh_first {
            ixs.push(refresh_rate_ix(&w.h, &w.lst, w.pool, w.direct.as_ref()));
        }
        ixs.push(w.h.withdraw_ix(t, 0, mid * USDC / 100).await);
        if w.h.simulate(&ixs, &[&t.kp]).await {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo * USDC / 100
}

/// s6-depeg. The crash: two minutes after the last refresh (the depeg factor measured at 1.0),
/// SOL still at $100, the LST's own oracle publishes 20% under rate × SOL ($85.80) and nobody has
/// refreshed. A holder of 10 LST, $1,000 of quote and a 100 SOL long withdraws quote against the
/// LST valued at par. On the old code the stale factor let out $171.60 more quote than the
/// depegged LST backs (the LST bought at $85.80 on the market, deposited, counted at $107.25).
/// Now a factor older than the bank's `max_oracle_age` counts the LST at zero for an exit and
/// refuses a risk-increasing action by name; a transaction that refreshes first gets exactly
/// what the depegged value allows.
#[tokio::test]
async fn a_stale_depeg_factor_cannot_value_a_depegged_lst_at_par() {
    let mut w = LstWorld::new(Some(px(10_725) / 100)).await;
    let t = w.h.trader(1_000 * USDC).await;
    w.h.deposit(&t, 0, 1_000 * USDC).await.unwrap();
    w.h.fund(&t, 1, 10 * SOL).await;
    w.h.trade(&t, 0, Side::Buy, 100 * SOL).await.unwrap();
    let par = max_quote_out(&mut w, &t, false).await;

    w.h.advance(120).await;
    set_epoch(&mut w.h, EPOCH).await;
    w.h.refresh_oracles().await;
    let direct = w.direct.unwrap();
    w.h.set_oracle(&direct, Quote::at(px(8_580) / 100)).await;
    assert_eq!(w.bank().await.depeg_ppm, FACTOR_ONE);
    let stale = max_quote_out(&mut w, &t, false).await;
    let honest = max_quote_out(&mut w, &t, true).await;
    eprintln!("depeg: quote out at par {par}, at the stale factor {stale}, refreshed first {honest}");
    // Refreshed: the LST at $85.80 × 0.8 = $68.64 each instead of $85.80: $171.60 less.
    assert!(par.abs_diff(honest + 171_600_000) <= USDC / 100, "{par} vs {honest}");
    // Without a refresh: never more than the depegged value allows.
    assert!(stale <= honest, "extracted {} beyond the depegged value", stale - honest);
    // A risk-increasing action on the stale factor is refused by name and changes nothing.
    let trade = w.h.trade_ix(&t, 0, Side::Buy, SOL, None, false).await;
    let keys = [t.account, w.lst.key];
    let before = w.h.snapshot(&keys).await;
    assert_error(w.h.send(std::slice::from_ref(&trade), &[&t.kp]).await, FulcrumError::DepegFactorStale);
    assert_eq!(w.h.snapshot(&keys).await, before);
    let lst_out = w.h.withdraw_ix(&t, 1, SOL / 10).await;
    assert_error(w.h.send(&[lst_out], &[&t.kp]).await, FulcrumError::DepegFactorStale);
    // The withdrawal the stale factor allowed is refused, refresh or not.
    let ix = w.h.withdraw_ix(&t, 0, par).await;
    assert_error(w.h.send(std::slice::from_ref(&ix), &[&t.kp]).await, FulcrumError::WithdrawalExceedsInitialMargin);
    let refresh = refresh_rate_ix(&w.h, &w.lst, w.pool, w.direct.as_ref());
    assert_error(w.h.send(&[refresh.clone(), ix], &[&t.kp]).await, FulcrumError::WithdrawalExceedsInitialMargin);
    // The remedy: refresh + what the depegged value allows passes (and the trade after it).
    let out = w.h.withdraw_ix(&t, 0, honest).await;
    w.h.send(&[refresh.clone(), out], &[&t.kp]).await.unwrap();
    assert_eq!(w.bank().await.depeg_ppm, 800_000);
    assert_eq!(w.bank().await.depeg_measured_at, w.h.now().await);
    w.h.advance(1).await;
    set_epoch(&mut w.h, EPOCH).await;
    w.h.refresh_oracles().await;
    w.h.set_oracle(&direct, Quote::at(px(8_580) / 100)).await;
    w.h.deposit(&t, 0, 100 * USDC).await.unwrap();
    w.h.send(&[refresh, trade], &[&t.kp]).await.unwrap();
    w.h.assert_conservation().await;
}

// ------------------------------------------------------------------ fuzzer (`fuzz.rs`)

/// The fuzz world's JUP bank (bank 2, 6 decimals) becomes a vault share at 1.0, capped at 0.1%
/// per epoch, its vault owned by a program of its own.
pub async fn fuzz_setup(h: &mut Harness) {
    set_epoch(h, EPOCH).await;
    let bank = h.bank(2);
    let (vault, program) = (Pubkey::new_unique(), Pubkey::new_unique());
    let supply = 1_000_000 * USDC;
    h.ctx.set_account(&vault, &vault_account(&bank.mint, supply, supply, EPOCH, 6, &program).into());
    let admin = h.admin.insecure_clone();
    h.send(&[set_rate_ix(h, &bank, vault, 2, None, CAP_PPM)], &[&admin]).await.expect("set_bank_rate_source");
}

/// The vault's assets move `bps` and it updates `epochs` epochs later; anyone refreshes. The
/// accepted rate is never above what the vault states nor above the cap over the elapsed
/// epochs, and a fall is taken in full.
pub async fn fuzz_rate_move(h: &mut Harness, bps: i16, epochs: u8) -> Result<Option<TxResult>, String> {
    use fulcrum::rate_source::vault_layout as vl;
    let bank = h.bank(2);
    let before: CollateralBank = h.load(&bank.key).await;
    let Some(mut vault) = h.account(&before.rate_source).await else { return Ok(None) };
    let word = |d: &[u8], at: usize| u64::from_le_bytes(d[at..at + 8].try_into().unwrap_or_default());
    let (assets, shares) = (word(&vault.data, vl::TOTAL_ASSETS), word(&vault.data, vl::TOTAL_SHARES));
    let assets = (assets as u128 * (10_000 + bps as i128) as u128 / 10_000) as u64;
    let epoch = h.clock().await.epoch.max(before.rate_epoch.into()) + u64::from(epochs);
    set_epoch(h, epoch).await;
    vault.data[vl::TOTAL_ASSETS..vl::TOTAL_ASSETS + 8].copy_from_slice(&assets.to_le_bytes());
    vault.data[vl::LAST_UPDATE_EPOCH..vl::LAST_UPDATE_EPOCH + 8].copy_from_slice(&epoch.to_le_bytes());
    h.ctx.set_account(&before.rate_source, &vault.into());
    let r = h.send(&[refresh_rate_ix(h, &bank, before.rate_source, None)], &[]).await;
    if r.is_ok() {
        let accepted = h.load::<CollateralBank>(&bank.key).await.accepted_rate;
        let observed = fulcrum_risk::observed_rate(assets, shares, 6, 6).map_err(|e| format!("{e:?}"))?;
        let elapsed = (epoch - u64::from(before.rate_epoch)) as u128;
        let cap = before.accepted_rate as u128 * (1_000_000 + before.rate_max_rise_ppm as u128 * elapsed) / 1_000_000;
        if accepted > observed || accepted as u128 > cap {
            return Err(format!("rate {accepted} accepted over {observed} stated / {cap} cap ({before:?})"));
        }
        if observed <= before.accepted_rate && accepted != observed {
            return Err(format!("a fall to {observed} accepted as {accepted}"));
        }
        // s6-depeg: a factor's time is a publish time already seen, never ahead of the clock.
        let measured_at = h.load::<CollateralBank>(&bank.key).await.depeg_measured_at;
        if measured_at > h.now().await {
            return Err(format!("depeg factor measured at {measured_at}, in the future"));
        }
    }
    Ok(Some(r))
}
