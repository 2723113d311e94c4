use anchor_lang::prelude::*;

use crate::error::FulcrumError;
use crate::seeds;
use crate::state::*;

#[derive(Accounts)]
pub struct CreateOrderBook<'info> {
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(
        mut,
        has_one = exchange @ FulcrumError::WrongExchange,
        constraint = margin_account.load()?.owner == owner.key() @ FulcrumError::NotAccountOwner
    )]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(
        init, payer = owner, space = OrderBook::SIZE,
        seeds = [seeds::ORDERS, margin_account.key().as_ref()], bump
    )]
    pub order_book: AccountLoader<'info, OrderBook>,
    #[account(mut)]
    pub owner: Signer<'info>,
    pub system_program: Program<'info, System>,
}

/// Creates the margin account's order book (the owner pays its rent; `close_order_book` gives
/// it back).
pub fn create_order_book(ctx: Context<CreateOrderBook>) -> Result<()> {
    let mut book = ctx.accounts.order_book.load_init()?;
    book.exchange = ctx.accounts.exchange.key();
    book.margin_account = ctx.accounts.margin_account.key();
    book.next_order_id = 1;
    book.bump = ctx.bumps.order_book;
    ctx.accounts.margin_account.load_mut()?.has_order_book = 1;
    Ok(())
}
