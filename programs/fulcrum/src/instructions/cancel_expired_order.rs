use anchor_lang::prelude::*;

use super::orders::{cancel_slot, release};
use crate::error::FulcrumError;
use crate::state::*;

#[derive(Accounts)]
pub struct CancelExpiredOrder<'info> {
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(mut, has_one = margin_account @ FulcrumError::WrongOrderBook)]
    pub order_book: AccountLoader<'info, OrderBook>,
    /// Anyone: receives the order's fee.
    #[account(mut)]
    pub keeper: Signer<'info>,
}

/// Permissionless: removes an order past its `max_ts`, its fee to the keeper
/// (`OrderNotExpired` before).
pub fn cancel_expired_order(ctx: Context<CancelExpiredOrder>, order_id: u64) -> Result<()> {
    let accounts = &ctx.accounts;
    let now = Clock::get()?.unix_timestamp;
    let mut book = accounts.order_book.load_mut()?;
    let i = book.find(order_id).ok_or(FulcrumError::OrderNotFound)?;
    require!(book.orders[i].expired(now), FulcrumError::OrderNotExpired);
    let fee = cancel_slot(&mut book, i, cancel_reason::EXPIRED, accounts.keeper.key)?;
    release(&accounts.order_book.to_account_info(), &accounts.keeper.to_account_info(), fee, book.escrowed_fees)
}
