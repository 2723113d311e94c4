use anchor_lang::prelude::*;

use crate::error::FulcrumError;
use crate::state::*;

#[derive(Accounts)]
pub struct CloseMarginAccount<'info> {
    #[account(mut)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(
        mut, close = owner,
        has_one = exchange @ FulcrumError::WrongExchange,
        has_one = owner @ FulcrumError::NotAccountOwner
    )]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(mut)]
    pub owner: Signer<'info>,
}

/// Closes an empty account and returns its rent to the owner; its order book must be closed
/// first (else re-creating the account at the same address would revive the book's orders).
pub fn close_margin_account(ctx: Context<CloseMarginAccount>) -> Result<()> {
    let account = ctx.accounts.margin_account.load()?;
    require!(account.is_empty(), FulcrumError::AccountNotEmpty);
    require!(account.has_order_book == 0, FulcrumError::OrderBookStillOpen);
    drop(account);
    let mut exchange = ctx.accounts.exchange.load_mut()?;
    exchange.margin_accounts = exchange.margin_accounts.saturating_sub(1);
    Ok(())
}
