//! Signer and authority: missing signatures, delegates overreaching, non-admins.

use anchor_lang::error::ErrorCode as AnchorError;
use anchor_lang::{InstructionData, ToAccountMetas};
use fulcrum::instructions::Side;
use solana_sdk::{instruction::Instruction, signature::Signer};

use crate::harness::*;
use crate::World;

#[tokio::test]
async fn withdraw_without_the_owners_signature() {
    let mut w = World::new().await;
    let mut ix = w.h.withdraw_ix(&w.victim, 0, USDC).await;
    ix.accounts[2].is_signer = false;
    w.rejected_by_anchor(&[ix], &[], AnchorError::AccountNotSigner).await;
}

#[tokio::test]
async fn trade_without_the_traders_signature() {
    let mut w = World::new().await;
    let mut ix = w.h.trade_ix(&w.victim, 0, Side::Sell, 10 * SOL, None, false).await;
    ix.accounts[2].is_signer = false;
    w.rejected_by_anchor(&[ix], &[], AnchorError::AccountNotSigner).await;
}

#[tokio::test]
async fn a_delegate_cannot_withdraw() {
    let mut w = World::new().await;
    let ix = set_delegate_ix(w.victim.key(), w.victim.account, w.attacker.key());
    let victim = w.victim.kp.insecure_clone();
    w.h.send(&[ix], &[&victim]).await.unwrap();
    let mut ix = w.h.withdraw_ix(&w.victim, 0, USDC).await;
    ix.accounts[2].pubkey = w.attacker.key();
    ix.accounts[5].pubkey = w.attacker.token(&w.h.quote.mint);
    let attacker = w.attacker.kp.insecure_clone();
    w.rejected(&[ix], &[&attacker], FulcrumError::NotAccountOwner).await;
}

#[tokio::test]
async fn only_the_owner_sets_a_delegate() {
    let mut w = World::new().await;
    let ix = set_delegate_ix(w.attacker.key(), w.victim.account, w.attacker.key());
    let attacker = w.attacker.kp.insecure_clone();
    w.rejected(&[ix], &[&attacker], FulcrumError::NotAccountOwner).await;
}

/// Every admin instruction, signed by a stranger posing as admin.
#[tokio::test]
async fn non_admin_calls_every_admin_instruction() {
    let mut w = World::new().await;
    let s = w.h.stranger().await;
    let ex = w.h.exchange;
    let market = w.h.markets[0].key;
    let bank = w.sol.key;
    let update_exchange = Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::UpdateExchange { admin: s.pubkey(), exchange: ex }.to_account_metas(None),
        data: fulcrum::instruction::UpdateExchangeParams { params: default_exchange_params() }.data(),
    };
    let set_paused = Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::UpdateExchange { admin: s.pubkey(), exchange: ex }.to_account_metas(None),
        data: fulcrum::instruction::SetPaused { flags: fulcrum::state::pause::ALL }.data(),
    };
    let update_bank = Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::UpdateBank { admin: s.pubkey(), exchange: ex, bank }.to_account_metas(None),
        data: fulcrum::instruction::UpdateBankParams { params: default_bank_params() }.data(),
    };
    let update_market = Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::UpdateMarket { admin: s.pubkey(), exchange: ex, market }.to_account_metas(None),
        data: fulcrum::instruction::UpdateMarketParams { params: default_market_params() }.data(),
    };
    let to = w.h.create_token_account(&w.h.quote.mint.clone(), &s.pubkey()).await;
    let insurance = w.h.insurance_withdraw_ix(&s.pubkey(), &to, USDC);
    let oracle = w.h.new_oracle(OracleFormat::Pull, Quote::at(px(50))).await;
    let add_market =
        Listing { admin: s.pubkey(), exchange: ex, index: 1 }.market_ix([0; 16], 9, &oracle, default_market_params());
    let mint = w.h.create_mint(9).await;
    let add_bank = Listing { admin: s.pubkey(), exchange: ex, index: 2 }.bank_ix(
        mint,
        anchor_spl::token::ID,
        &oracle,
        default_bank_params(),
    );
    for ix in [update_exchange, set_paused, update_bank, update_market, insurance, add_market, add_bank] {
        w.rejected(&[ix], &[&s], FulcrumError::NotAdmin).await;
    }
}
