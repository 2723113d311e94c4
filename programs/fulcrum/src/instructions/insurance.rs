//! The insurance fund: anyone may add to it; the admin may take out what is above the floor.

use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use super::quote_vault::*;
use crate::error::{Cast, FulcrumError, OptionExt};
use crate::events::InsuranceEvent;
use crate::state::*;
use crate::token::{transfer_in, transfer_out, ExchangeSeeds};

#[derive(Accounts)]
pub struct InsuranceDeposit<'info> {
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub pool: AccountLoader<'info, LiquidityPool>,
    #[account(constraint = quote.is_of(&exchange)? @ FulcrumError::WrongExchange)]
    pub quote: QuoteVault<'info>,
    #[account(mut, constraint = source.mint == quote.vault.mint @ FulcrumError::WrongMint)]
    pub source: Box<Account<'info, TokenAccount>>,
    pub depositor: Signer<'info>,
    pub token_program: Program<'info, Token>,
}

pub fn insurance_deposit(ctx: Context<InsuranceDeposit>, amount: u64) -> Result<()> {
    require!(amount > 0, FulcrumError::ZeroAmount);
    let accounts = &ctx.accounts;
    let balance = {
        let mut pool = accounts.pool.load_mut()?;
        pool.insurance_balance = pool.insurance_balance.checked_add(amount).overflow()?;
        pool.insurance_balance
    };
    transfer_in(
        &accounts.token_program.to_account_info(),
        &accounts.source.to_account_info(),
        &accounts.quote.vault.to_account_info(),
        &accounts.depositor.to_account_info(),
        amount,
    )?;
    let amount = amount.cast::<i64>()?;
    crate::emit_event!(InsuranceEvent { actor: accounts.depositor.key(), amount, balance });
    Ok(())
}

#[derive(Accounts)]
pub struct InsuranceWithdraw<'info> {
    pub admin: Signer<'info>,
    #[account(has_one = admin @ FulcrumError::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub pool: AccountLoader<'info, LiquidityPool>,
    #[account(constraint = quote.is_of(&exchange)? @ FulcrumError::WrongExchange)]
    pub quote: QuoteVault<'info>,
    #[account(mut, constraint = destination.mint == quote.vault.mint @ FulcrumError::WrongMint)]
    pub destination: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

pub fn insurance_withdraw(ctx: Context<InsuranceWithdraw>, amount: u64) -> Result<()> {
    require!(amount > 0, FulcrumError::ZeroAmount);
    let accounts = &ctx.accounts;
    let exchange = accounts.exchange.load()?;
    let balance = {
        let mut pool = accounts.pool.load_mut()?;
        let left = pool.insurance_balance.checked_sub(amount).ok_or(FulcrumError::InsuranceBelowFloor)?;
        require!(left >= exchange.insurance_floor, FulcrumError::InsuranceBelowFloor);
        pool.insurance_balance = left;
        left
    };
    let seeds = ExchangeSeeds::of(&exchange);
    drop(exchange);
    transfer_out(
        &accounts.token_program.to_account_info(),
        &accounts.quote.vault.to_account_info(),
        &accounts.destination.to_account_info(),
        &accounts.exchange.to_account_info(),
        &seeds,
        amount,
    )?;
    let amount = -amount.cast::<i64>()?;
    crate::emit_event!(InsuranceEvent { actor: accounts.admin.key(), amount, balance });
    Ok(())
}
