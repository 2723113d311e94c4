//! Account substitution: other owners' accounts, wrong PDAs, other banks' vaults and mints,
//! other exchanges' markets, accounts of the wrong type, closed accounts, duplicates.

use anchor_lang::error::ErrorCode as AnchorError;
use anchor_lang::{InstructionData, ToAccountMetas};
use fulcrum::instructions::Side;
use solana_sdk::{instruction::Instruction, signature::Signer};

use crate::harness::*;
use crate::World;

#[tokio::test]
async fn withdrawing_from_another_owners_margin_account() {
    let mut w = World::new().await;
    let mut ix = w.h.withdraw_ix(&w.victim, 0, USDC).await;
    ix.accounts[2].pubkey = w.attacker.key();
    ix.accounts[5].pubkey = w.attacker.token(&w.h.quote.mint);
    let attacker = w.attacker.kp.insecure_clone();
    w.rejected(&[ix], &[&attacker], FulcrumError::NotAccountOwner).await;
}

#[tokio::test]
async fn margin_account_pda_with_wrong_seeds() {
    let mut w = World::new().await;
    // A margin account "for" sub-account 7 at the address of sub-account 8.
    let wrong = margin_account_address(&w.h.exchange, &w.attacker.key(), 8);
    let ix = Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::CreateMarginAccount {
            owner: w.attacker.key(),
            exchange: w.h.exchange,
            margin_account: wrong,
            system_program: anchor_lang::system_program::ID,
        }
        .to_account_metas(None),
        data: fulcrum::instruction::CreateMarginAccount { sub_account_id: 7 }.data(),
    };
    let attacker = w.attacker.kp.insecure_clone();
    w.rejected_by_anchor(&[ix], &[&attacker], AnchorError::ConstraintSeeds).await;
}

#[tokio::test]
async fn vault_of_another_bank() {
    let mut w = World::new().await;
    let quote = w.h.quote;
    let bank = BankHandle { vault: w.sol.vault, ..quote };
    let ix = w.h.deposit_ix(&w.attacker.account, &bank, &w.attacker.token(&w.sol.mint), &w.attacker.key(), 1);
    let attacker = w.attacker.kp.insecure_clone();
    w.rejected(&[ix], &[&attacker], FulcrumError::WrongVault).await;
}

#[tokio::test]
async fn tokens_of_another_mint() {
    let mut w = World::new().await;
    let quote = w.h.quote;
    // SOL tokens into the quote bank: 1 SOL lamport would be credited as 1 USDC unit.
    let ix = w.h.deposit_ix(&w.attacker.account, &quote, &w.attacker.token(&w.sol.mint), &w.attacker.key(), SOL);
    let attacker = w.attacker.kp.insecure_clone();
    w.rejected(&[ix], &[&attacker], FulcrumError::WrongMint).await;
}

#[tokio::test]
async fn withdrawal_to_a_token_account_the_owner_does_not_own() {
    let mut w = World::new().await;
    let mut ix = w.h.withdraw_ix(&w.victim, 0, USDC).await;
    ix.accounts[5].pubkey = w.attacker.token(&w.h.quote.mint);
    let victim = w.victim.kp.insecure_clone();
    w.rejected(&[ix], &[&victim], FulcrumError::WrongDestinationOwner).await;
}

#[tokio::test]
async fn market_and_pool_of_another_exchange() {
    let mut w = World::new().await;
    // A second exchange (same admin, id 1) with its own market.
    let admin = w.h.admin.insecure_clone();
    let (ex2, _) = crate::quote_vault::second_exchange(&mut w.h).await;
    let pool2 = solana_sdk::pubkey::Pubkey::find_program_address(&[fulcrum::seeds::POOL, ex2.as_ref()], &fulcrum::ID).0;
    let oracle = w.h.markets[0].oracle;
    let market2 = market_address(&ex2, 0);
    let add = Listing { admin: admin.pubkey(), exchange: ex2, index: 0 }.market_ix(
        [0; 16],
        9,
        &oracle,
        default_market_params(),
    );
    w.h.send(&[add], &[&admin]).await.unwrap();

    let attacker = w.attacker.kp.insecure_clone();
    let mut ix = w.h.trade_ix(&w.attacker, 0, Side::Buy, SOL, None, false).await;
    ix.accounts[3].pubkey = market2;
    w.rejected(&[ix], &[&attacker], FulcrumError::WrongExchange).await;
    let mut ix = w.h.trade_ix(&w.attacker, 0, Side::Buy, SOL, None, false).await;
    ix.accounts[5].pubkey = pool2;
    w.rejected(&[ix], &[&attacker], FulcrumError::WrongExchange).await;
    // The other exchange's market among the margin-check accounts.
    let mut ix = w.h.withdraw_ix(&w.victim, 0, USDC).await;
    let n = ix.accounts.len();
    ix.accounts[n - 2].pubkey = market2;
    let victim = w.victim.kp.insecure_clone();
    w.rejected(&[ix], &[&victim], FulcrumError::HealthAccountMismatch).await;
}

#[tokio::test]
async fn an_account_of_the_wrong_type() {
    let mut w = World::new().await;
    // The SOL bank (program-owned, right size class) where a margin account is expected.
    let quote = w.h.quote;
    let ix = w.h.deposit_ix(&w.sol.key, &quote, &w.attacker.token(&quote.mint), &w.attacker.key(), 1);
    let attacker = w.attacker.kp.insecure_clone();
    w.rejected_by_anchor(&[ix], &[&attacker], AnchorError::AccountDiscriminatorMismatch).await;
}

#[tokio::test]
async fn a_closed_account_reused() {
    let mut w = World::new().await;
    let t = w.h.trader(0).await;
    let ix = Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::CloseMarginAccount {
            exchange: w.h.exchange,
            margin_account: t.account,
            owner: t.key(),
        }
        .to_account_metas(None),
        data: fulcrum::instruction::CloseMarginAccount {}.data(),
    };
    w.h.send(&[ix], &[&t.kp]).await.unwrap();
    let quote = w.h.quote;
    let ix = w.h.deposit_ix(&t.account, &quote, &w.attacker.token(&quote.mint), &w.attacker.key(), USDC);
    let attacker = w.attacker.kp.insecure_clone();
    // Closed: lamports gone, owner back to the system program.
    w.rejected_by_anchor(&[ix], &[&attacker], AnchorError::AccountOwnedByWrongProgram).await;
}

#[tokio::test]
async fn lp_shares_to_an_account_of_another_mint() {
    let mut w = World::new().await;
    let mut ix = w.h.lp_deposit_ix(&w.attacker, USDC);
    ix.accounts[6].pubkey = w.attacker.token(&w.sol.mint);
    let attacker = w.attacker.kp.insecure_clone();
    w.rejected(&[ix], &[&attacker], FulcrumError::WrongLpMint).await;
}

/// Duplicate accounts: a vault passed again as the other side of its own transfer would leave
/// the ledger and the vault apart (a fee "paid" from the vault to itself). Anchor refuses the
/// same writable account twice before any handler runs.
#[tokio::test]
async fn the_vault_as_the_keepers_fee_account() {
    let mut w = World::new().await;
    let k = w.h.stranger().await;
    let vault = w.h.quote.vault;
    let ix = w.h.liquidate_perp_ix(&k.pubkey(), &vault, &w.victim.account, 0).await;
    w.rejected_by_anchor(&[ix], &[&k], AnchorError::ConstraintDuplicateMutableAccount).await;
}

#[tokio::test]
async fn the_vault_as_a_withdrawal_destination_or_deposit_source() {
    let mut w = World::new().await;
    let admin = w.h.admin.insecure_clone();
    let vault = w.h.quote.vault;
    let ix = w.h.insurance_withdraw_ix(&admin.pubkey(), &vault, USDC);
    w.rejected_by_anchor(&[ix], &[&admin], AnchorError::ConstraintDuplicateMutableAccount).await;
    let quote = w.h.quote;
    let ix = w.h.deposit_ix(&w.attacker.account, &quote, &vault, &w.attacker.key(), USDC);
    let attacker = w.attacker.kp.insecure_clone();
    w.rejected_by_anchor(&[ix], &[&attacker], AnchorError::ConstraintDuplicateMutableAccount).await;
    let mut ix = w.h.withdraw_ix(&w.victim, 0, USDC).await;
    ix.accounts[5].pubkey = vault;
    let victim = w.victim.kp.insecure_clone();
    w.rejected_by_anchor(&[ix], &[&victim], AnchorError::ConstraintDuplicateMutableAccount).await;
}

#[tokio::test]
async fn the_same_margin_check_account_twice() {
    let mut w = World::new().await;
    // Victim holds SOL collateral and a perp: [bank, oracle, market, oracle]. Pass the bank
    // pair twice instead of bank pair + market pair.
    let mut ix = w.h.withdraw_ix(&w.victim, 0, USDC).await;
    let n = ix.accounts.len();
    ix.accounts[n - 2] = ix.accounts[n - 4].clone();
    ix.accounts[n - 1] = ix.accounts[n - 3].clone();
    let victim = w.victim.kp.insecure_clone();
    w.rejected(&[ix], &[&victim], FulcrumError::HealthAccountMismatch).await;
}
