use anchor_lang::prelude::*;

use super::orders::{cancel_slot, cancel_where, release};
use crate::error::FulcrumError;
use crate::state::*;

#[derive(Accounts)]
pub struct CancelOrder<'info> {
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(mut, has_one = margin_account @ FulcrumError::WrongOrderBook)]
    pub order_book: AccountLoader<'info, OrderBook>,
    /// The owner or the delegate.
    pub trader: Signer<'info>,
    /// The account's owner: every refund goes to it.
    #[account(mut, address = margin_account.load()?.owner @ FulcrumError::NotAccountOwner)]
    pub owner: SystemAccount<'info>,
}

/// Cancels one open order, its fee back to the owner.
pub fn cancel_order(ctx: Context<CancelOrder>, order_id: u64) -> Result<()> {
    let accounts = &ctx.accounts;
    require!(accounts.margin_account.load()?.can_trade(&accounts.trader.key()), FulcrumError::NotAccountOwner);
    let mut book = accounts.order_book.load_mut()?;
    let i = book.find(order_id).ok_or(FulcrumError::OrderNotFound)?;
    let fee = cancel_slot(&mut book, i, cancel_reason::USER, accounts.owner.key)?;
    release(&accounts.order_book.to_account_info(), &accounts.owner.to_account_info(), fee, book.escrowed_fees)
}

/// Cancels every open order (of `market_index` only, when given), their fees back to the owner.
pub fn cancel_all_orders(ctx: Context<CancelOrder>, market_index: Option<u16>) -> Result<()> {
    let accounts = &ctx.accounts;
    require!(accounts.margin_account.load()?.can_trade(&accounts.trader.key()), FulcrumError::NotAccountOwner);
    let mut book = accounts.order_book.load_mut()?;
    let owner = accounts.owner.to_account_info();
    cancel_where(&accounts.order_book.to_account_info(), &mut book, &owner, cancel_reason::USER, |o| {
        market_index.is_none_or(|m| o.market_index == m)
    })
}
