use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};
use fulcrum_risk::{lp_shares_for_deposit, Rounding};

use crate::error::{FulcrumError, MathResultExt, OptionExt};
use crate::events::LpDepositEvent;
use crate::pool::mark_pool;
use crate::state::*;
use crate::token::{mint_shares, transfer_in, ExchangeSeeds};

#[derive(Accounts)]
pub struct LpDeposit<'info> {
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange, has_one = lp_mint @ FulcrumError::WrongLpMint)]
    pub pool: AccountLoader<'info, LiquidityPool>,
    #[account(mut)]
    pub lp_mint: Box<Account<'info, Mint>>,
    #[account(
        has_one = exchange @ FulcrumError::WrongExchange,
        has_one = vault @ FulcrumError::WrongVault,
        constraint = quote_bank.load()?.index == CollateralBank::QUOTE_INDEX @ FulcrumError::WrongVault
    )]
    pub quote_bank: AccountLoader<'info, CollateralBank>,
    #[account(mut)]
    pub vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, constraint = source.mint == vault.mint @ FulcrumError::WrongMint)]
    pub source: Box<Account<'info, TokenAccount>>,
    #[account(mut, constraint = lp_destination.mint == lp_mint.key() @ FulcrumError::WrongLpMint)]
    pub lp_destination: Box<Account<'info, TokenAccount>>,
    pub provider: Signer<'info>,
    pub token_program: Program<'info, Token>,
}

/// Adds `amount` of quote to the pool for shares priced at pool value (rounded up, so the
/// depositor gets the fewer shares). Remaining accounts: every market then its oracle, in index
/// order.
pub fn handler<'info>(ctx: Context<'info, LpDeposit<'info>>, amount: u64) -> Result<()> {
    require!(amount > 0, FulcrumError::ZeroAmount);
    let a = &ctx.accounts;
    let exchange = a.exchange.load()?;
    require!(!exchange.is_paused(pause::LP), FulcrumError::Paused);
    let now = Clock::get()?.unix_timestamp;
    let mut pool = a.pool.load_mut()?;
    let mark = mark_pool(&a.exchange.key(), &exchange, pool.balance, ctx.remaining_accounts, Rounding::Up, now)?;
    let supply = a.lp_mint.supply;
    require!(supply == 0 || mark.value > 0, FulcrumError::PoolInsolvent);
    let shares = lp_shares_for_deposit(amount, mark.value, supply).math()?;
    require!(shares > 0, FulcrumError::LpDepositTooSmall);
    pool.balance = pool.balance.checked_add(amount).overflow()?;
    let seeds = ExchangeSeeds::of(&exchange);
    drop(pool);
    drop(exchange);
    transfer_in(
        &a.token_program.to_account_info(),
        &a.source.to_account_info(),
        &a.vault.to_account_info(),
        &a.provider.to_account_info(),
        amount,
    )?;
    mint_shares(
        &a.token_program.to_account_info(),
        &a.lp_mint.to_account_info(),
        &a.lp_destination.to_account_info(),
        &a.exchange.to_account_info(),
        &seeds,
        shares,
    )?;
    crate::emit_event!(LpDepositEvent {
        provider: a.provider.key(),
        amount,
        shares,
        pool_value: i64::try_from(mark.value).unwrap_or(i64::MAX),
    });
    Ok(())
}
