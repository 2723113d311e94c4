use anchor_lang::prelude::*;

use crate::error::OptionExt;
use crate::seeds;
use crate::state::*;

#[derive(Accounts)]
#[instruction(sub_account_id: u16)]
pub struct CreateMarginAccount<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(mut)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(
        init, payer = owner, space = MarginAccount::SIZE,
        seeds = [seeds::MARGIN_ACCOUNT, exchange.key().as_ref(), owner.key().as_ref(), &sub_account_id.to_le_bytes()],
        bump
    )]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    pub system_program: Program<'info, System>,
}

/// Opens an empty cross-margin account for the signer.
pub fn create_margin_account(ctx: Context<CreateMarginAccount>, sub_account_id: u16) -> Result<()> {
    let accounts = &ctx.accounts;
    let mut exchange = accounts.exchange.load_mut()?;
    exchange.margin_accounts = exchange.margin_accounts.checked_add(1).overflow()?;
    let mut acct = accounts.margin_account.load_init()?;
    acct.exchange = accounts.exchange.key();
    acct.owner = accounts.owner.key();
    acct.sub_account_id = sub_account_id;
    acct.bump = ctx.bumps.margin_account;
    super::reputation::start_record(&mut acct, &exchange, &Clock::get()?);
    Ok(())
}
