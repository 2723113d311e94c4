use anchor_lang::prelude::*;

use crate::error::FulcrumError;
use crate::health::{account_health, observe};
use crate::state::*;

#[derive(Accounts)]
pub struct RefreshHealth<'info> {
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
}

/// Permissionless crank: records the account's health state and starts or ends its margin
/// call (with events). Keepers call it to start a grace period; a trader after a top-up to end
/// one. Remaining accounts: the margin check's.
pub fn handler<'info>(ctx: Context<'info, RefreshHealth<'info>>) -> Result<()> {
    let exchange = ctx.accounts.exchange.load()?;
    let mut acct = ctx.accounts.margin_account.load_mut()?;
    let clock = Clock::get()?;
    let health =
        account_health(&acct, &ctx.accounts.exchange.key(), &exchange, ctx.remaining_accounts, clock.unix_timestamp)?;
    observe(&mut acct, &ctx.accounts.margin_account.key(), &health, &exchange, clock.slot)
}
