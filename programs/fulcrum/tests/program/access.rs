//! Signers, owners, vaults, mints and the margin check's account list: each refused by name,
//! nothing changed.

use anchor_lang::error::ErrorCode as AnchorError;
use fulcrum::instructions::Side;
use solana_sdk::{pubkey::Pubkey, signature::Signer};

use crate::harness::*;

async fn setup() -> (Harness, Trader, BankHandle, Vec<Pubkey>) {
    let mut h = Setup { banks: vec![BankSpec::default()], ..Setup::markets(1, 10_000 * USDC) }.build().await;
    let sol = h.bank(1);
    let t = h.trader(1_000 * USDC).await;
    h.deposit(&t, 0, 500 * USDC).await.unwrap();
    h.fund(&t, sol.index, 2 * SOL).await;
    let mut keys = h.ledger_keys();
    keys.extend(t.tokens.values().copied());
    (h, t, sol, keys)
}

#[tokio::test]
async fn a_withdrawal_without_the_owners_signature_is_refused() {
    let (mut h, t, _, keys) = setup().await;
    let before = h.snapshot(&keys).await;
    let mut ix = h.withdraw_ix(&t, 0, USDC).await;
    ix.accounts[2].is_signer = false; // owner
    assert_anchor_error(h.send(&[ix], &[]).await, AnchorError::AccountNotSigner);
    assert_eq!(h.snapshot(&keys).await, before);
}

#[tokio::test]
async fn someone_else_cannot_withdraw_or_trade_from_an_account() {
    let (mut h, t, _, keys) = setup().await;
    let thief = h.trader(0).await;
    let before = h.snapshot(&keys).await;

    // The thief signs as "owner" of the victim's account, paying to its own token account.
    let mut ix = h.withdraw_ix(&t, 0, USDC).await;
    ix.accounts[2].pubkey = thief.key();
    ix.accounts[5].pubkey = thief.token(&h.quote.mint);
    assert_error(h.send(&[ix], &[&thief.kp]).await, FulcrumError::NotAccountOwner);

    let mut ix = h.trade_ix(&t, 0, Side::Buy, SOL, None, false).await;
    ix.accounts[2].pubkey = thief.key();
    assert_error(h.send(&[ix], &[&thief.kp]).await, FulcrumError::NotAccountOwner);
    assert_eq!(h.snapshot(&keys).await, before);

    // A delegate may trade, never withdraw.
    let ix = set_delegate_ix(t.key(), t.account, thief.key());
    h.send(&[ix], &[&t.kp]).await.unwrap();
    let mut ix = h.trade_ix(&t, 0, Side::Buy, SOL, None, false).await;
    ix.accounts[2].pubkey = thief.key();
    h.send(&[ix], &[&thief.kp]).await.unwrap();
    let mut ix = h.withdraw_ix(&t, 0, USDC).await;
    ix.accounts[2].pubkey = thief.key();
    ix.accounts[5].pubkey = thief.token(&h.quote.mint);
    assert_error(h.send(&[ix], &[&thief.kp]).await, FulcrumError::NotAccountOwner);
    h.assert_conservation().await;
}

#[tokio::test]
async fn wrong_vault_mint_or_destination_is_refused() {
    let (mut h, t, sol, keys) = setup().await;
    let other = h.trader(0).await;
    let before = h.snapshot(&keys).await;
    let quote = h.quote;

    // Quote bank with the SOL vault.
    let ix = h.deposit_ix(&t.account, &BankHandle { vault: sol.vault, ..quote }, &t.token(&sol.mint), &t.key(), 1);
    assert_error(h.send(&[ix], &[&t.kp]).await, FulcrumError::WrongVault);
    // Quote bank and vault, SOL tokens.
    let ix = h.deposit_ix(&t.account, &quote, &t.token(&sol.mint), &t.key(), 1);
    assert_error(h.send(&[ix], &[&t.kp]).await, FulcrumError::WrongMint);
    // Withdraw to a quote token account the owner does not own.
    let mut ix = h.withdraw_ix(&t, 0, USDC).await;
    ix.accounts[5].pubkey = other.token(&quote.mint);
    assert_error(h.send(&[ix], &[&t.kp]).await, FulcrumError::WrongDestinationOwner);
    // Withdraw SOL collateral to a USDC account.
    let mut ix = h.withdraw_ix(&t, sol.index, SOL).await;
    ix.accounts[5].pubkey = t.token(&quote.mint);
    assert_error(h.send(&[ix], &[&t.kp]).await, FulcrumError::WrongMint);
    assert_eq!(h.snapshot(&keys).await, before);
}

#[tokio::test]
async fn the_margin_checks_account_list_must_be_exact() {
    let (mut h, t, _sol, keys) = setup().await;
    h.trade(&t, 0, Side::Buy, SOL).await.unwrap();
    let keys = [keys, vec![]].concat();
    let before = h.snapshot(&keys).await;
    // Health accounts of a withdrawal: [sol bank, sol oracle, market, market oracle] from index 7,
    // then the pool (the account holds a position).
    let full = h.withdraw_ix(&t, 0, USDC).await;
    assert_eq!(full.accounts.len(), 7 + 4 + 1);

    let mut missing = full.clone();
    missing.accounts.truncate(9);
    assert_error(h.send(&[missing], &[&t.kp]).await, FulcrumError::MissingHealthAccounts);

    let mut extra = full.clone();
    extra.accounts.push(full.accounts[7].clone());
    extra.accounts.push(full.accounts[8].clone());
    assert_error(h.send(&[extra], &[&t.kp]).await, FulcrumError::ExtraHealthAccounts);

    let mut swapped = full.clone();
    swapped.accounts.swap(7, 9);
    swapped.accounts.swap(8, 10);
    assert_error(h.send(&[swapped], &[&t.kp]).await, FulcrumError::HealthAccountMismatch);

    let mut wrong_oracle = full.clone();
    wrong_oracle.accounts[8] = full.accounts[10].clone();
    assert_error(h.send(&[wrong_oracle], &[&t.kp]).await, FulcrumError::HealthAccountMismatch);

    // A bank-shaped account that is not a bank (the market in the bank's place).
    let mut not_a_bank = full.clone();
    not_a_bank.accounts[7] = full.accounts[9].clone();
    assert_error(h.send(&[not_a_bank], &[&t.kp]).await, FulcrumError::HealthAccountMismatch);
    assert_eq!(h.snapshot(&keys).await, before);

    h.send(&[full], &[&t.kp]).await.unwrap();
    h.assert_conservation().await;
}

#[tokio::test]
async fn only_the_admin_lists_and_changes_parameters() {
    let (mut h, _t, _, _) = setup().await;
    let stranger = h.stranger().await;
    let ix = anchor_lang::solana_program::instruction::Instruction {
        program_id: fulcrum::ID,
        accounts: anchor_lang::ToAccountMetas::to_account_metas(
            &fulcrum::accounts::UpdateMarket {
                admin: stranger.pubkey(),
                exchange: h.exchange,
                market: h.markets[0].key,
            },
            None,
        ),
        data: anchor_lang::InstructionData::data(&fulcrum::instruction::UpdateMarketParams {
            params: default_market_params(),
        }),
    };
    assert_error(h.send(std::slice::from_ref(&ix), &[&stranger]).await, FulcrumError::NotAdmin);

    // The admin's update is range-checked.
    let mut bad = default_market_params();
    bad.maint_margin_ratio = bad.init_margin_ratio;
    let mut ix = ix;
    ix.accounts[0].pubkey = h.admin.pubkey();
    ix.data = anchor_lang::InstructionData::data(&fulcrum::instruction::UpdateMarketParams { params: bad });
    let admin = h.admin.insecure_clone();
    assert_error(h.send(&[ix.clone()], &[&admin]).await, FulcrumError::InvalidParameter);
    let mut good = default_market_params();
    good.init_margin_ratio = 200_000;
    ix.data = anchor_lang::InstructionData::data(&fulcrum::instruction::UpdateMarketParams { params: good });
    h.send(&[ix], &[&admin]).await.unwrap();
    assert_eq!(h.market(0).await.init_margin_ratio, 200_000);
}
