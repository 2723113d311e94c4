//! Rate-priced collateral through transactions (issue 18 part 2): the real mainnet Jito pool as a
//! bank's rate source, the vault-share format, and the configuration's rules one by one.

use anchor_spl::token::spl_token;
use fulcrum::instructions::Side;
use fulcrum::state::CollateralBank;
use solana_program_test::tokio;
use solana_sdk::{account::Account, program_pack::Pack, pubkey, pubkey::Pubkey, signature::Signer};

use crate::harness::*;

const JITOSOL: Pubkey = pubkey!("J1toso1uCk3RLmjorhTtrVwY9HJ7X8V9yYac6Y7kGCPn");
const JITO_POOL_KEY: Pubkey = pubkey!("Jito4APyf642JPZPx3hGc6WWJ8zPKtRbRs4P815Awbb");

/// Lists a bank of the mint at `mint` (written here as an SPL mint of `decimals`, the payer its
/// authority) priced by a fresh SOL oracle at $100.
async fn bank_of_mint(h: &mut Harness, mint: Pubkey, decimals: u8) -> BankHandle {
    let state = spl_token::state::Mint {
        mint_authority: Some(h.payer().pubkey()).into(),
        supply: 0,
        decimals,
        is_initialized: true,
        freeze_authority: None.into(),
    };
    let mut data = vec![0u8; spl_token::state::Mint::LEN];
    spl_token::state::Mint::pack(state, &mut data).unwrap();
    let acct = Account { lamports: 1_461_600, data, owner: spl_token::ID, executable: false, rent_epoch: 0 };
    h.ctx.set_account(&mint, &acct.into());
    let oracle = h.new_oracle(OracleFormat::Pull, Quote::at(px(100))).await;
    h.list_bank(mint, spl_token::ID, decimals, oracle, default_bank_params()).await
}

/// jitoSOL listed against the real Jito pool account as dumped from mainnet (epoch 537): the
/// accepted rate is the pool's to the unit, and a jitoSOL deposit is priced at SOL × that rate.
#[tokio::test]
async fn the_mainnet_jito_pool_prices_jitosol_to_the_unit() {
    let mut h = Setup { pool: 100_000 * USDC, ..Setup::default() }.build().await;
    let bank = bank_of_mint(&mut h, JITOSOL, 9).await;
    let pool = Account {
        lamports: 5_143_440,
        data: JITO_POOL.to_vec(),
        owner: fulcrum::rate_source::SPL_STAKE_POOL_PROGRAM,
        executable: false,
        rent_epoch: 0,
    };
    h.ctx.set_account(&JITO_POOL_KEY, &pool.into());
    set_epoch(&mut h, 537).await;
    let admin = h.admin.insecure_clone();
    let ix = set_rate_ix(&h, &bank, JITO_POOL_KEY, 1, None, 1_000);
    h.send(&[ix], &[&admin]).await.unwrap();
    let b: CollateralBank = h.load(&bank.key).await;
    // 6,639,028,734,407,647 lamports / 6,189,948,258,688,516 jitoSOL.
    assert_eq!((b.accepted_rate, b.rate_epoch, b.rate_kind, b.depeg_ppm), (1_072_549_956_308, 537, 1, 1_000_000));
    assert_eq!(b.rate_source, JITO_POOL_KEY);

    let t = h.trader_with_deposit(100 * USDC).await;
    h.fund(&t, bank.index, 10 * SOL).await;
    // SOL $100 = 10¹¹ engine units per lamport; × 1.072549956308, rounded down.
    let i = h.risk_inputs(&t.account).await;
    assert_eq!(i.collateral[0].price.oracle, 107_254_995_630);
    // Margin checks price it so too: a trade the rate's collateral carries passes, one it
    // does not is refused (10 jitoSOL ≈ $1,072.55 → $858 at 0.8, + $100: ≈ $9,580 at 10×).
    h.trade(&t, 0, fulcrum::instructions::Side::Buy, 90 * SOL).await.unwrap();
    let r = h.report(&t.account).await;
    assert!(r.init.is_met(), "{r:?}");
    assert_error(
        h.trade(&t, 0, fulcrum::instructions::Side::Buy, 10 * SOL).await,
        FulcrumError::TradeExceedsInitialMargin,
    );
    // The next epoch, the dump is stale.
    set_epoch(&mut h, 538).await;
    let ix = refresh_rate_ix(&h, &bank, JITO_POOL_KEY, None);
    assert_error(h.send(&[ix], &[]).await, FulcrumError::RateSourceStale);
}

/// A vault share of a 6-decimal asset (a USDC vault): rate = assets / shares in whole tokens, its
/// owner program pinned at configuration.
#[tokio::test]
async fn a_vault_share_bank_reads_its_rate_and_pins_its_owner() {
    let mut h = Setup { pool: 100_000 * USDC, ..Setup::default() }.build().await;
    set_epoch(&mut h, 900).await;
    let mint = Pubkey::new_unique();
    let bank = bank_of_mint(&mut h, mint, 9).await;
    let vault_program = Pubkey::new_unique();
    let vault = Pubkey::new_unique();
    // 1,050 USDC (6 decimals) behind 1,000 shares (9 decimals): 1.05.
    h.ctx.set_account(&vault, &vault_account(&mint, 1_050 * USDC, 1_000 * SOL, 900, 6, &vault_program).into());
    let admin = h.admin.insecure_clone();
    let ix = set_rate_ix(&h, &bank, vault, 2, None, 500);
    h.send(&[ix], &[&admin]).await.unwrap();
    let b: CollateralBank = h.load(&bank.key).await;
    assert_eq!((b.accepted_rate, b.rate_kind, b.rate_max_rise_ppm), (1_050_000_000_000, 2, 500));
    // Another program takes the account over (closed and recreated): refused.
    h.ctx.set_account(&vault, &vault_account(&mint, 2_100 * USDC, 1_000 * SOL, 900, 6, &Pubkey::new_unique()).into());
    let ix = refresh_rate_ix(&h, &bank, vault, None);
    assert_error(h.send(&[ix], &[]).await, FulcrumError::RateSourceMismatch);
    // Its own program's update, a loss: taken at once.
    h.ctx.set_account(&vault, &vault_account(&mint, 840 * USDC, 1_000 * SOL, 900, 6, &vault_program).into());
    let ix = refresh_rate_ix(&h, &bank, vault, None);
    h.send(&[ix], &[]).await.unwrap();
    let b: CollateralBank = h.load(&bank.key).await;
    assert_eq!(b.accepted_rate, 840_000_000_000);
}

/// Every configuration rule has its error, and a refused configuration changes nothing.
#[tokio::test]
async fn rate_configuration_rules_one_by_one() {
    let mut h = Setup { banks: vec![BankSpec::default()], ..Setup::default() }.build().await;
    set_epoch(&mut h, 700).await;
    let bank = h.bank(1);
    let pool = Pubkey::new_unique();
    write_pool(&mut h, &pool, &bank.mint, 11 * SOL, 10 * SOL, 700).await;
    let admin = h.admin.insecure_clone();
    let keys = [bank.key];
    let before = h.snapshot(&keys).await;
    let direct = h.new_oracle(OracleFormat::Pull, Quote::at(px(110))).await;
    let mut no_direct_account = set_rate_ix(&h, &bank, pool, 1, Some(&direct), 1_000);
    no_direct_account.accounts[5].pubkey = fulcrum::ID;
    let cases = [
        (set_rate_ix(&h, &bank, pool, 3, None, 1_000), FulcrumError::InvalidRateKind),
        (set_rate_ix(&h, &bank, pool, 1, None, 100_001), FulcrumError::InvalidParameter),
        (set_rate_ix(&h, &h.quote, pool, 1, None, 1_000), FulcrumError::QuoteBankHasNoOracle),
        (no_direct_account, FulcrumError::InvalidParameter),
    ];
    for (ix, e) in cases {
        assert_error(h.send(&[ix], &[&admin]).await, e);
        assert_eq!(h.snapshot(&keys).await, before, "{e:?}");
    }
    assert_error(h.send(&[refresh_rate_ix(&h, &bank, pool, None)], &[]).await, FulcrumError::BankNotRatePriced);
    // With a direct oracle: configured, then its feed pinned.
    h.send(&[set_rate_ix(&h, &bank, pool, 1, Some(&direct), 1_000)], &[&admin]).await.unwrap();
    let b: CollateralBank = h.load(&bank.key).await;
    assert_eq!((b.accepted_rate, b.depeg_ppm, b.direct_oracle), (1_100_000_000_000, 1_000_000, direct.key));
    let other_feed = OracleHandle { feed_id: [9; 32], ..direct };
    h.set_oracle(&other_feed, Quote::at(px(110))).await;
    assert_error(
        h.send(&[refresh_rate_ix(&h, &bank, pool, Some(&direct))], &[]).await,
        FulcrumError::RateSourceMismatch,
    );
    // The direct oracle left out of a refresh.
    h.set_oracle(&direct, Quote::at(px(110))).await;
    assert_error(h.send(&[refresh_rate_ix(&h, &bank, pool, None)], &[]).await, FulcrumError::RateSourceMismatch);
    h.send(&[refresh_rate_ix(&h, &bank, pool, Some(&direct))], &[]).await.unwrap();
    // The direct oracle stale (a crash): a rise waits for a measurement, a fall lands at once
    // with the last factor.
    h.set_oracle(&direct, Quote { age: 3_600, ..Quote::at(px(110)) }).await;
    let (key, mint) = (pool, bank.mint);
    set_epoch(&mut h, 701).await;
    write_pool(&mut h, &key, &mint, 12 * SOL, 10 * SOL, 701).await;
    assert_error(h.send(&[refresh_rate_ix(&h, &bank, pool, Some(&direct))], &[]).await, FulcrumError::OracleStale);
    write_pool(&mut h, &key, &mint, 9 * SOL, 10 * SOL, 701).await;
    h.send(&[refresh_rate_ix(&h, &bank, pool, Some(&direct))], &[]).await.unwrap();
    let b: CollateralBank = h.load(&bank.key).await;
    assert_eq!((b.accepted_rate, b.depeg_ppm), (900_000_000_000, 1_000_000));
    // Kind 0 turns it off: the bank is priced by its oracle alone again.
    h.send(&[set_rate_ix(&h, &bank, pool, 0, None, 0)], &[&admin]).await.unwrap();
    let b: CollateralBank = h.load(&bank.key).await;
    assert!(!b.is_rate_priced());
}

/// s6-depeg: a depeg factor is good for the bank's `max_oracle_age` (60 s) from the direct price
/// it was measured from. After that a trade or an LST withdrawal is refused by name until a
/// refresh measures it again, which the same transaction may do first; a quote withdrawal
/// (an exit) counts the LST at zero; a liquidation check uses the stored factor. A refresh that
/// cannot measure (the direct oracle stale) leaves the factor's time as it was; one in an epoch
/// the stake pool has not updated yet keeps the rate and still measures the factor.
#[tokio::test]
async fn a_stale_depeg_factor_needs_a_refresh_in_the_same_transaction() {
    let mut w = LstWorld::new(Some(px(10_725) / 100)).await;
    let t = w.holder(10 * SOL).await;
    w.h.trade(&t, 0, Side::Buy, SOL).await.unwrap();
    let direct = w.direct.unwrap();
    let configured = w.bank().await.depeg_measured_at;
    assert_eq!(configured, w.h.now().await);
    w.h.advance(61).await;
    set_epoch(&mut w.h, EPOCH).await;
    w.h.refresh_oracles().await;
    w.h.set_oracle(&direct, Quote::at(px(10_725) / 100)).await;

    let trade = w.h.trade_ix(&t, 0, Side::Buy, 10 * SOL, None, false).await;
    let lst_out = w.h.withdraw_ix(&t, 1, SOL).await;
    let keys = [t.account, w.lst.key];
    let before = w.h.snapshot(&keys).await;
    for ix in [trade.clone(), lst_out.clone()] {
        assert_error(w.h.send(&[ix], &[&t.kp]).await, FulcrumError::DepegFactorStale);
        assert_eq!(w.h.snapshot(&keys).await, before);
    }
    // An exit: the LST counts at zero, the quote it does not need leaves.
    w.h.withdraw(&t, 0, 50 * USDC).await.unwrap();
    // A liquidation check prices the LST at the stored factor (not refused as stale).
    let k = w.h.trader(0).await;
    let fee_to = k.token(&w.h.quote.mint);
    assert_error(w.h.liquidate_perp(&k.kp, &fee_to, &t.account, 0).await, FulcrumError::NotLiquidatable);

    // The remedy: the refresh first, in the same transaction.
    let refresh = refresh_rate_ix(&w.h, &w.lst, w.pool, Some(&direct));
    w.h.send(&[refresh.clone(), trade.clone()], &[&t.kp]).await.unwrap();
    assert_eq!(w.bank().await.depeg_measured_at, w.h.now().await);
    w.h.send(&[refresh.clone(), lst_out], &[&t.kp]).await.unwrap();

    // A refresh that cannot measure (the direct oracle stale) keeps the old time: still refused.
    w.h.advance(61).await;
    set_epoch(&mut w.h, EPOCH).await;
    w.h.refresh_oracles().await;
    w.h.set_oracle(&direct, Quote { age: 3_600, ..Quote::at(px(10_725) / 100) }).await;
    let measured = w.bank().await.depeg_measured_at;
    w.refresh().await.unwrap();
    assert_eq!(w.bank().await.depeg_measured_at, measured);
    assert_error(w.h.send(&[refresh.clone(), trade.clone()], &[&t.kp]).await, FulcrumError::DepegFactorStale);

    // The next epoch, before the stake pool's update (its books still last epoch's): the refresh
    // keeps the rate and its epoch and still measures the factor, so refresh + trade passes.
    let b0 = w.bank().await;
    w.h.advance(1).await;
    set_epoch(&mut w.h, EPOCH + 1).await;
    w.h.refresh_oracles().await;
    w.h.set_oracle(&direct, Quote::at(px(10_725) / 100)).await;
    w.h.send(&[refresh.clone(), trade], &[&t.kp]).await.unwrap();
    let b = w.bank().await;
    assert_eq!((b.accepted_rate, b.rate_epoch, b.depeg_ppm), (b0.accepted_rate, b0.rate_epoch, b0.depeg_ppm));
    assert_eq!(b.depeg_measured_at, w.h.now().await);
    // A stale pool with nothing to measure (the direct oracle stale too) is the pool's error.
    w.h.set_oracle(&direct, Quote { age: 3_600, ..Quote::at(px(10_725) / 100) }).await;
    let keys = [w.lst.key];
    let before = w.h.snapshot(&keys).await;
    assert_error(w.h.send(&[refresh], &[]).await, FulcrumError::RateSourceStale);
    assert_eq!(w.h.snapshot(&keys).await, before);
    w.h.assert_conservation().await;
}

/// The admin instruction's bytes, pinned for the SDK's hand-built `setBankRateSourceIx`
/// (`app/test/rate.test.ts` checks the same bytes).
#[test]
fn set_bank_rate_source_data_is_what_the_sdk_builds() {
    use anchor_lang::InstructionData;
    let params = fulcrum::instructions::RateSourceParams {
        rate_kind: 1,
        max_rise_ppm: 1_000,
        direct_oracle_kind: 2,
        direct_feed_id: [7; 32],
    };
    let mut expected = vec![162, 178, 57, 149, 211, 178, 212, 48, 1, 232, 3, 0, 0, 2];
    expected.extend([7u8; 32]);
    assert_eq!(fulcrum::instruction::SetBankRateSource { params }.data(), expected);
    assert_eq!(fulcrum::instruction::RefreshBankRate {}.data(), vec![224, 106, 171, 90, 127, 10, 93, 220]);
}
