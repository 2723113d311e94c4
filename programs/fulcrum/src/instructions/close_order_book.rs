use anchor_lang::prelude::*;

use crate::error::FulcrumError;
use crate::state::*;

#[derive(Accounts)]
pub struct CloseOrderBook<'info> {
    #[account(mut, constraint = margin_account.load()?.owner == owner.key() @ FulcrumError::NotAccountOwner)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(mut, close = owner, has_one = margin_account @ FulcrumError::WrongOrderBook)]
    pub order_book: AccountLoader<'info, OrderBook>,
    #[account(mut)]
    pub owner: Signer<'info>,
}

/// Closes an empty order book, its lamports to the owner (`OrdersStillOpen` while any order is).
pub fn close_order_book(ctx: Context<CloseOrderBook>) -> Result<()> {
    require!(ctx.accounts.order_book.load()?.open_count == 0, FulcrumError::OrdersStillOpen);
    ctx.accounts.margin_account.load_mut()?.has_order_book = 0;
    Ok(())
}
