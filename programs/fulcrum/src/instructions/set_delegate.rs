use anchor_lang::prelude::*;

use crate::error::FulcrumError;
use crate::state::*;

#[derive(Accounts)]
pub struct SetDelegate<'info> {
    pub owner: Signer<'info>,
    #[account(mut, has_one = owner @ FulcrumError::NotAccountOwner)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
}

/// Lets `delegate` trade (never withdraw) for the account; `Pubkey::default()` removes it.
pub fn set_delegate(ctx: Context<SetDelegate>, delegate: Pubkey) -> Result<()> {
    ctx.accounts.margin_account.load_mut()?.delegate = delegate;
    Ok(())
}
