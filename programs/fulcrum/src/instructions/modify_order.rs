use anchor_lang::prelude::*;

use super::orders::{check_order_trader, escrow_fee, release, OrderParams};
use super::place_order::emit_placed;
use crate::error::{FulcrumError, OptionExt};
use crate::state::*;

#[derive(Accounts)]
pub struct ModifyOrder<'info> {
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(has_one = exchange @ FulcrumError::WrongExchange)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(mut, has_one = margin_account @ FulcrumError::WrongOrderBook)]
    pub order_book: AccountLoader<'info, OrderBook>,
    /// The order's market (an order keeps its market).
    #[account(has_one = exchange @ FulcrumError::WrongExchange)]
    pub market: AccountLoader<'info, PerpMarket>,
    /// The owner or the delegate; pays the new fee.
    #[account(mut)]
    pub trader: Signer<'info>,
    pub system_program: Program<'info, System>,
    /// The account's owner: gets the old fee back.
    #[account(mut, address = margin_account.load()?.owner @ FulcrumError::NotAccountOwner)]
    pub owner: SystemAccount<'info>,
}

/// See the instruction's doc in lib.rs. Only prices published after the modification may fill it,
/// so a modification cannot take a price the trader has since seen.
pub fn modify_order(ctx: Context<ModifyOrder>, order_id: u64, params: OrderParams) -> Result<()> {
    let accounts = &ctx.accounts;
    let exchange = check_order_trader(&accounts.exchange, &accounts.margin_account, &accounts.trader.key())?;
    let clock = Clock::get()?;
    let mut book = accounts.order_book.load_mut()?;
    let i = book.find(order_id).ok_or(FulcrumError::OrderNotFound)?;
    let old = book.orders[i];
    let market = accounts.market.load()?;
    require!(market.index == old.market_index, FulcrumError::OrderMarketMismatch);
    let mut order = params.to_order(&market, &clock)?;
    order.order_id = old.order_id;
    order.fee = exchange.order_fee_lamports;
    book.orders[i] = order;
    let escrowed = book.escrowed_fees.checked_sub(old.fee).and_then(|e| e.checked_add(order.fee)).overflow()?;
    book.escrowed_fees = escrowed;
    drop(book);
    let book_ai = accounts.order_book.to_account_info();
    escrow_fee(&accounts.trader.to_account_info(), &book_ai, order.fee)?;
    release(&book_ai, &accounts.owner.to_account_info(), old.fee, escrowed)?;
    emit_placed(&accounts.margin_account.key(), &order, true);
    Ok(())
}
