use anchor_lang::prelude::*;

use crate::error::FulcrumError;
use crate::health::{load_health_inputs_with, observe};
use crate::oracle::Pricing;
use crate::state::*;

#[derive(Accounts)]
pub struct RefreshHealth<'info> {
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
}

/// See the instruction's doc in lib.rs. Keepers call it to start a grace period, a trader after a
/// top-up to end one; pricing a wide oracle at its bound and a stale one at its last valid price
/// lets a grace period start in a crash.
pub fn refresh_health<'info>(ctx: Context<'info, RefreshHealth<'info>>) -> Result<()> {
    let exchange = ctx.accounts.exchange.load()?;
    let mut acct = ctx.accounts.margin_account.load_mut()?;
    let clock = Clock::get()?;
    // The margin call is what a liquidation acts on: priced as a liquidation prices.
    let inputs = load_health_inputs_with(
        &acct,
        &ctx.accounts.exchange.key(),
        exchange.quote_decimals,
        ctx.remaining_accounts,
        clock.unix_timestamp,
        Pricing::Liquidation,
    )?;
    let health = inputs.main_health(acct.quote_balance, &exchange)?;
    observe(&mut acct, &ctx.accounts.margin_account.key(), &health, &exchange, clock.slot)
}
