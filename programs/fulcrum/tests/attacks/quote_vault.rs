//! The quote bank and vault of the liquidations and the insurance fund (one `QuoteVault`
//! accounts struct): a collateral bank, another vault or another exchange's quote bank in its
//! place is refused by name and moves nothing.

use anchor_lang::{InstructionData, ToAccountMetas};
use solana_sdk::{instruction::Instruction, pubkey::Pubkey, signature::Signer};

use crate::harness::*;
use crate::World;

/// A second exchange (same admin, id 1) with its own quote mint, bank and vault; returns it and
/// its quote mint (the payer is the mint authority).
pub async fn second_exchange(h: &mut Harness) -> (Pubkey, Pubkey) {
    let admin = h.admin.insecure_clone();
    let ex2 = Pubkey::find_program_address(
        &[fulcrum::seeds::EXCHANGE, admin.pubkey().as_ref(), &1u16.to_le_bytes()],
        &fulcrum::ID,
    )
    .0;
    let quote_mint = h.create_mint(6).await;
    let init = Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::InitializeExchange {
            admin: admin.pubkey(),
            quote_mint,
            exchange: ex2,
            quote_bank: bank_address(&ex2, 0),
            quote_vault: vault_address(&ex2, &quote_mint),
            pool: Pubkey::find_program_address(&[fulcrum::seeds::POOL, ex2.as_ref()], &fulcrum::ID).0,
            lp_mint: Pubkey::find_program_address(&[fulcrum::seeds::LP_MINT, ex2.as_ref()], &fulcrum::ID).0,
            token_program: anchor_spl::token::ID,
            system_program: anchor_lang::system_program::ID,
        }
        .to_account_metas(None),
        data: fulcrum::instruction::InitializeExchange {
            exchange_id: 1,
            params: default_exchange_params(),
            quote_deposit_cap: u64::MAX,
        }
        .data(),
    };
    h.send(&[init], &[&admin]).await.unwrap();
    (ex2, quote_mint)
}

// Account positions of the quote bank and vault.
const LIQUIDATE_PERP: usize = 4;
const INSURANCE_WITHDRAW: usize = 3;

fn with_quote(mut ix: Instruction, at: usize, bank: Pubkey, vault: Pubkey) -> Instruction {
    ix.accounts[at].pubkey = bank;
    ix.accounts[at + 1].pubkey = vault;
    ix
}

/// The admin takes depositors' SOL out of the SOL vault as "insurance": the SOL bank is not
/// the quote bank.
#[tokio::test]
async fn insurance_withdrawal_from_a_collateral_vault() {
    let mut w = World::new().await;
    let admin = w.h.admin.insecure_clone();
    let to = w.attacker.token(&w.sol.mint);
    let ix = w.h.insurance_withdraw_ix(&admin.pubkey(), &to, SOL);
    let ix = with_quote(ix, INSURANCE_WITHDRAW, w.sol.key, w.sol.vault);
    w.rejected(&[ix], &[&admin], FulcrumError::WrongVault).await;
    // The quote bank with the SOL vault: the vault is not the bank's.
    let ix = w.h.insurance_withdraw_ix(&admin.pubkey(), &to, SOL);
    let ix = with_quote(ix, INSURANCE_WITHDRAW, w.h.quote.key, w.sol.vault);
    w.rejected(&[ix], &[&admin], FulcrumError::WrongVault).await;
}

/// A liquidator's fee paid from the SOL vault (to its SOL account) instead of the quote vault.
#[tokio::test]
async fn liquidation_fee_from_a_collateral_vault() {
    let mut w = World::new().await;
    let keeper = w.attacker.kp.insecure_clone();
    let fee_to = w.attacker.token(&w.sol.mint);
    let account = w.victim.account;
    let ix = w.h.liquidate_perp_ix(&keeper.pubkey(), &fee_to, &account, 0).await;
    let ix = with_quote(ix, LIQUIDATE_PERP, w.sol.key, w.sol.vault);
    w.rejected(&[ix], &[&keeper], FulcrumError::WrongVault).await;
}

/// Insurance "paid" into another exchange's quote vault: this exchange's fund would be credited
/// with tokens it does not hold.
#[tokio::test]
async fn insurance_deposit_into_another_exchanges_vault() {
    let mut w = World::new().await;
    let (ex2, mint2) = second_exchange(&mut w.h).await;
    let attacker = w.attacker.kp.insecure_clone();
    let source = w.h.create_token_account(&mint2, &attacker.pubkey()).await;
    w.h.mint_to(&mint2, &source, 1_000 * USDC).await;
    let ix = Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::InsuranceDeposit {
            exchange: w.h.exchange,
            pool: w.h.pool,
            quote: fulcrum::accounts::QuoteVault { bank: bank_address(&ex2, 0), vault: vault_address(&ex2, &mint2) },
            source,
            depositor: attacker.pubkey(),
            token_program: anchor_spl::token::ID,
        }
        .to_account_metas(None),
        data: fulcrum::instruction::InsuranceDeposit { amount: 1_000 * USDC }.data(),
    };
    let keys = [w.keys(), vec![source, vault_address(&ex2, &mint2)]].concat();
    let before = w.h.snapshot(&keys).await;
    assert_error(w.h.send(&[ix], &[&attacker]).await, FulcrumError::WrongExchange);
    assert_eq!(w.h.snapshot(&keys).await, before);
    w.h.assert_conservation().await;
}
