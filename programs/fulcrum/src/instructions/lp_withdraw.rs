use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};
use fulcrum_risk::{lp_withdrawal, utilisation_ok, Rounding};

use crate::error::{FulcrumError, MathResultExt, OptionExt};
use crate::events::LpWithdrawEvent;
use crate::pool::LpFlow;
use crate::state::*;
use crate::token::{burn_shares, transfer_out, ExchangeSeeds};

#[derive(Accounts)]
pub struct LpWithdraw<'info> {
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
    #[account(mut, constraint = lp_source.mint == lp_mint.key() @ FulcrumError::WrongLpMint)]
    pub lp_source: Box<Account<'info, TokenAccount>>,
    #[account(mut, constraint = destination.mint == vault.mint @ FulcrumError::WrongMint)]
    pub destination: Box<Account<'info, TokenAccount>>,
    pub provider: Signer<'info>,
    pub token_program: Program<'info, Token>,
}

/// See the instruction's doc in lib.rs. The value is rounded down (`crate::pool::mark_pool`); the
/// `lp_withdrawal_fee` stays in the pool for the LPs who remain. Shares still in their cooldown are
/// not tokens yet (`lp_claim`), so cannot be burnt here.
pub fn lp_withdraw<'info>(ctx: Context<'info, LpWithdraw<'info>>, shares: u64, min_amount_out: u64) -> Result<()> {
    require!(shares > 0, FulcrumError::ZeroAmount);
    let accounts = &ctx.accounts;
    let now = Clock::get()?.unix_timestamp;
    let remaining = ctx.remaining_accounts;
    let LpFlow { exchange, mut pool, mark, supply } =
        LpFlow::open(&accounts.exchange, &accounts.pool, accounts.lp_mint.supply, remaining, Rounding::Down, now)?;
    let (amount, fee) = lp_withdrawal(shares, mark.value, supply, exchange.lp_withdrawal_fee).math()?;
    require!(amount > 0, FulcrumError::ZeroAmount);
    require!(amount >= min_amount_out, FulcrumError::LpSlippageExceeded);
    pool.balance = pool.balance.checked_sub(amount).ok_or(FulcrumError::InsufficientPoolLiquidity)?;
    pool.withdrawal_fees_earned = pool.withdrawal_fees_earned.checked_add(fee).overflow()?;
    let value_after = mark.value - i128::from(amount);
    require!(
        utilisation_ok(mark.exposure, value_after, exchange.max_pool_utilisation),
        FulcrumError::PoolUtilisationExceeded
    );
    let seeds = ExchangeSeeds::of(&exchange);
    drop(pool);
    drop(exchange);
    burn_shares(
        &accounts.token_program.to_account_info(),
        &accounts.lp_mint.to_account_info(),
        &accounts.lp_source.to_account_info(),
        &accounts.provider.to_account_info(),
        shares,
    )?;
    transfer_out(
        &accounts.token_program.to_account_info(),
        &accounts.vault.to_account_info(),
        &accounts.destination.to_account_info(),
        &accounts.exchange.to_account_info(),
        &seeds,
        amount,
    )?;
    crate::emit_event!(LpWithdrawEvent {
        provider: accounts.provider.key(),
        amount,
        shares,
        pool_value: i64::try_from(mark.value).unwrap_or(i64::MAX),
    });
    Ok(())
}
