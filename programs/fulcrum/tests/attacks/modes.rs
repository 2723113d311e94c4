//! Margin modes: someone else's isolated collateral or margin mode, the admin's correlations,
//! forged correlations in a portfolio account's margin check.

use anchor_lang::{InstructionData, ToAccountMetas};
use fulcrum::instructions::CorrelationParams;
use fulcrum_risk::MarginMode;
use solana_sdk::{account::Account, instruction::Instruction, pubkey::Pubkey};

use crate::harness::*;
use crate::World;

const ONE: i32 = 1_000_000;

/// The world with correlations (SOL = asset 0) and the victim in portfolio mode.
async fn portfolio_world() -> World {
    let mut w = World::new().await;
    w.h.set_correlations(CorrelationParams {
        matrix: vec![ONE],
        bank_assets: vec![255, 0],
        market_assets: vec![0],
        floor: 300_000,
        min_equity: 0,
    })
    .await
    .unwrap();
    w.h.set_margin_mode(&w.victim, MarginMode::Portfolio).await.unwrap();
    w
}

#[tokio::test]
async fn moving_another_traders_isolated_collateral() {
    let mut w = World::new().await;
    let mut ix = w.h.transfer_isolated_ix(&w.victim, 0, 1).await;
    ix.accounts[2].pubkey = w.attacker.key();
    let attacker = w.attacker.kp.insecure_clone();
    w.rejected(&[ix], &[&attacker], FulcrumError::NotAccountOwner).await;
}

#[tokio::test]
async fn switching_another_traders_margin_mode() {
    let mut w = portfolio_world().await;
    let mut ix = w.h.set_margin_mode_ix(&w.victim, MarginMode::Cross).await;
    ix.accounts[2].pubkey = w.attacker.key();
    let attacker = w.attacker.kp.insecure_clone();
    w.rejected(&[ix], &[&attacker], FulcrumError::NotAccountOwner).await;
}

#[tokio::test]
async fn a_stranger_sets_the_correlations() {
    let mut w = World::new().await;
    let ix = Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::SetCorrelations {
            admin: w.attacker.key(),
            exchange: w.h.exchange,
            correlations: correlations_address(&w.h.exchange),
            system_program: anchor_lang::system_program::ID,
        }
        .to_account_metas(None),
        data: fulcrum::instruction::SetCorrelations {
            params: CorrelationParams {
                matrix: vec![ONE],
                bank_assets: vec![],
                market_assets: vec![0],
                floor: 0,
                min_equity: 0,
            },
        }
        .data(),
    };
    let attacker = w.attacker.kp.insecure_clone();
    w.rejected(&[ix], &[&attacker], FulcrumError::NotAdmin).await;
}

/// Writes `c` at a fresh address with `owner`.
async fn forge(w: &mut World, c: &fulcrum::state::Correlations, owner: Pubkey) -> Pubkey {
    let key = Pubkey::new_unique();
    use anchor_lang::Discriminator;
    let mut data = fulcrum::state::Correlations::DISCRIMINATOR.to_vec();
    data.extend_from_slice(bytemuck::bytes_of(c));
    w.h.ctx.set_account(&key, &Account { lamports: 10_000_000, data, owner, executable: false, rent_epoch: 0 }.into());
    key
}

#[tokio::test]
async fn forged_correlations_in_a_portfolio_margin_check() {
    let mut w = portfolio_world().await;
    let real: fulcrum::state::Correlations = w.h.load(&correlations_address(&w.h.exchange)).await;
    let kp = w.victim.kp.insecure_clone();
    // The victim's own withdrawal with a look-alike: the same bytes, owned by another program.
    let fake = forge(&mut w, &real, Pubkey::new_unique()).await;
    let mut ix = w.h.withdraw_ix(&w.victim, 0, USDC).await;
    // The correlations come last but for the pool (the victim holds positions).
    let corr = ix.accounts.len() - 2;
    ix.accounts[corr].pubkey = fake;
    w.rejected(&[ix], &[&kp], FulcrumError::MissingCorrelations).await;
    // Program-owned, but another exchange's (a matrix that would net everything away).
    let mut other = real;
    other.exchange = Pubkey::new_unique();
    let fake = forge(&mut w, &other, fulcrum::ID).await;
    let mut ix = w.h.withdraw_ix(&w.victim, 0, USDC).await;
    ix.accounts[corr].pubkey = fake;
    w.rejected(&[ix], &[&kp], FulcrumError::WrongExchange).await;
    // And none at all.
    let mut ix = w.h.withdraw_ix(&w.victim, 0, USDC).await;
    ix.accounts.remove(corr);
    w.rejected(&[ix], &[&kp], FulcrumError::MissingCorrelations).await;
}
