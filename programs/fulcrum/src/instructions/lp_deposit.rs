use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};
use fulcrum_risk::{lp_first_deposit, lp_shares_for_deposit, Rounding};

use crate::error::{FulcrumError, MathResultExt, OptionExt};
use crate::events::LpDepositEvent;
use crate::pool::LpFlow;
use crate::seeds;
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
    /// Receives the shares at once when the exchange has no LP cooldown.
    #[account(mut, constraint = lp_destination.mint == lp_mint.key() @ FulcrumError::WrongLpMint)]
    pub lp_destination: Box<Account<'info, TokenAccount>>,
    /// The provider's shares in cooldown (created on the first deposit, paid by the provider).
    #[account(
        init_if_needed, payer = provider, space = LpPosition::SIZE,
        seeds = [seeds::LP_POSITION, exchange.key().as_ref(), provider.key().as_ref()], bump
    )]
    pub lp_position: AccountLoader<'info, LpPosition>,
    #[account(mut)]
    pub provider: Signer<'info>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

impl<'info> LpDeposit<'info> {
    /// The provider's `LpPosition`, given its exchange and provider on the first deposit.
    fn position(&self, bump: u8) -> Result<core::cell::RefMut<'_, LpPosition>> {
        if let Ok(position) = self.lp_position.load_mut() {
            return Ok(position);
        }
        let mut position = self.lp_position.load_init()?;
        position.exchange = self.exchange.key();
        position.provider = self.provider.key();
        position.bump = bump;
        Ok(position)
    }
}

/// See the instruction's doc in lib.rs. Shares are priced at the pool's LP value rounded up (the
/// depositor gets the fewer; `crate::pool::mark_pool`). The first deposit into a pool with no
/// shares gives `fulcrum_risk::DEAD_SHARES` and any value already in the pool to dead shares
/// (`fulcrum_risk::lp_first_deposit`), and is refused into a pool worth less than nothing
/// (`PoolInsolvent`). The deposit is not depth for fees and funding in this slot
/// (`LiquidityPool::depth`); each deposit restarts the provider's cooldown.
pub fn lp_deposit<'info>(ctx: Context<'info, LpDeposit<'info>>, amount: u64, min_shares_out: u64) -> Result<()> {
    require!(amount > 0, FulcrumError::ZeroAmount);
    let accounts = &ctx.accounts;
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let remaining = ctx.remaining_accounts;
    let LpFlow { exchange, mut pool, mark, supply } =
        LpFlow::open(&accounts.exchange, &accounts.pool, accounts.lp_mint.supply, remaining, Rounding::Up, now)?;
    let shares = if supply == 0 {
        require!(mark.value >= 0, FulcrumError::PoolInsolvent);
        let (shares, dead) = lp_first_deposit(amount, mark.value).math()?;
        pool.dead_shares = dead;
        shares
    } else {
        require!(mark.value > 0, FulcrumError::PoolInsolvent);
        lp_shares_for_deposit(amount, mark.value, supply).math()?
    };
    require!(shares > 0, FulcrumError::LpDepositTooSmall);
    require!(shares >= min_shares_out, FulcrumError::LpSlippageExceeded);
    pool.balance = pool.balance.checked_add(amount).overflow()?;
    pool.note_deposit(amount, clock.slot).overflow()?;
    let cooldown = exchange.lp_cooldown_secs;
    if cooldown > 0 {
        pool.locked_shares = pool.locked_shares.checked_add(shares).overflow()?;
        let mut position = accounts.position(ctx.bumps.lp_position)?;
        position.locked_shares = position.locked_shares.checked_add(shares).overflow()?;
        position.unlock_ts = now.checked_add(i64::from(cooldown)).overflow()?;
    } else {
        // A fresh position account gets its owner even though nothing is locked.
        accounts.position(ctx.bumps.lp_position)?;
    }
    let seeds = ExchangeSeeds::of(&exchange);
    drop(pool);
    drop(exchange);
    transfer_in(
        &accounts.token_program.to_account_info(),
        &accounts.source.to_account_info(),
        &accounts.vault.to_account_info(),
        &accounts.provider.to_account_info(),
        amount,
    )?;
    if cooldown == 0 {
        mint_shares(
            &accounts.token_program.to_account_info(),
            &accounts.lp_mint.to_account_info(),
            &accounts.lp_destination.to_account_info(),
            &accounts.exchange.to_account_info(),
            &seeds,
            shares,
        )?;
    }
    crate::emit_event!(LpDepositEvent {
        provider: accounts.provider.key(),
        amount,
        shares,
        pool_value: i64::try_from(mark.value).unwrap_or(i64::MAX),
    });
    Ok(())
}

#[derive(Accounts)]
pub struct LpClaim<'info> {
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange, has_one = lp_mint @ FulcrumError::WrongLpMint)]
    pub pool: AccountLoader<'info, LiquidityPool>,
    #[account(mut)]
    pub lp_mint: Box<Account<'info, Mint>>,
    #[account(
        mut,
        seeds = [seeds::LP_POSITION, exchange.key().as_ref(), provider.key().as_ref()], bump,
        has_one = exchange @ FulcrumError::WrongExchange,
        has_one = provider @ FulcrumError::NotAccountOwner
    )]
    pub lp_position: AccountLoader<'info, LpPosition>,
    #[account(mut, constraint = lp_destination.mint == lp_mint.key() @ FulcrumError::WrongLpMint)]
    pub lp_destination: Box<Account<'info, TokenAccount>>,
    pub provider: Signer<'info>,
    pub token_program: Program<'info, Token>,
}

/// Mints the provider's locked LP shares to `lp_destination` once their cooldown has passed
/// (`LpCooldownActive` before, `NothingToClaim` without any). From then on they are ordinary,
/// transferable, withdrawable shares.
pub fn lp_claim(ctx: Context<LpClaim>) -> Result<()> {
    let accounts = &ctx.accounts;
    let exchange = accounts.exchange.load()?;
    let now = Clock::get()?.unix_timestamp;
    let mut position = accounts.lp_position.load_mut()?;
    let shares = position.locked_shares;
    require!(shares > 0, FulcrumError::NothingToClaim);
    require!(now >= position.unlock_ts, FulcrumError::LpCooldownActive);
    position.locked_shares = 0;
    let mut pool = accounts.pool.load_mut()?;
    pool.locked_shares = pool.locked_shares.checked_sub(shares).overflow()?;
    let seeds = ExchangeSeeds::of(&exchange);
    drop((position, pool, exchange));
    mint_shares(
        &accounts.token_program.to_account_info(),
        &accounts.lp_mint.to_account_info(),
        &accounts.lp_destination.to_account_info(),
        &accounts.exchange.to_account_info(),
        &seeds,
        shares,
    )
}
