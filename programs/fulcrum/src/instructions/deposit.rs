use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::error::{FulcrumError, OptionExt};
use crate::events::DepositEvent;
use crate::state::*;
use crate::token::transfer_in;

#[derive(Accounts)]
pub struct Deposit<'info> {
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange, has_one = vault @ FulcrumError::WrongVault)]
    pub bank: AccountLoader<'info, CollateralBank>,
    #[account(mut)]
    pub vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, constraint = source.mint == vault.mint @ FulcrumError::WrongMint)]
    pub source: Box<Account<'info, TokenAccount>>,
    /// Authority of `source`. Anyone may top up any account's quote; only its owner or delegate
    /// may deposit another asset (a stranger's dust would add an oracle to every margin check,
    /// take collateral slots, and could change how the account is margined).
    pub depositor: Signer<'info>,
    pub token_program: Program<'info, Token>,
}

/// Deposits `amount` of the bank's mint. Quote (from anyone) repays debt first, then adds to the
/// balance; other collateral only from the account's owner or delegate.
pub fn handler(ctx: Context<Deposit>, amount: u64) -> Result<()> {
    require!(amount > 0, FulcrumError::ZeroAmount);
    let a = &ctx.accounts;
    require!(!a.exchange.load()?.is_paused(pause::DEPOSITS), FulcrumError::Paused);
    let bank_index = {
        let mut bank = a.bank.load_mut()?;
        bank.total_deposits = bank
            .total_deposits
            .checked_add(amount)
            .filter(|total| *total <= bank.deposit_cap)
            .ok_or(FulcrumError::DepositCapExceeded)?;
        let mut acct = a.margin_account.load_mut()?;
        require!(
            bank.index == CollateralBank::QUOTE_INDEX || acct.can_trade(&a.depositor.key()),
            FulcrumError::ThirdPartyCollateralDeposit
        );
        if bank.index == CollateralBank::QUOTE_INDEX {
            let add = i64::try_from(amount).map_err(|_| FulcrumError::MathOverflow)?;
            acct.quote_balance = acct.quote_balance.checked_add(add).overflow()?;
        } else {
            let i = acct.collateral_slot(bank.index).ok_or(FulcrumError::CollateralSlotsFull)?;
            acct.collateral[i].amount = acct.collateral[i].amount.checked_add(amount).overflow()?;
        }
        bank.index
    };
    transfer_in(
        &a.token_program.to_account_info(),
        &a.source.to_account_info(),
        &a.vault.to_account_info(),
        &a.depositor.to_account_info(),
        amount,
    )?;
    crate::emit_event!(DepositEvent {
        margin_account: a.margin_account.key(),
        depositor: a.depositor.key(),
        bank_index,
        amount,
    });
    Ok(())
}
