use anchor_lang::prelude::*;

use super::orders::{check_order_trader, escrow_fee, OrderParams};
use crate::error::{FulcrumError, OptionExt};
use crate::events::OrderPlaced;
use crate::state::*;

#[derive(Accounts)]
pub struct PlaceOrder<'info> {
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(has_one = exchange @ FulcrumError::WrongExchange)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(mut, has_one = margin_account @ FulcrumError::WrongOrderBook)]
    pub order_book: AccountLoader<'info, OrderBook>,
    /// The order's market.
    #[account(has_one = exchange @ FulcrumError::WrongExchange)]
    pub market: AccountLoader<'info, PerpMarket>,
    /// The owner or the delegate; pays the order's fee into the book.
    #[account(mut)]
    pub trader: Signer<'info>,
    pub system_program: Program<'info, System>,
}

/// Rests an order in the account's order book, escrowing the exchange's `order_fee_lamports`
/// from the trader for whoever executes it.
pub fn place_order(ctx: Context<PlaceOrder>, params: OrderParams) -> Result<()> {
    let accounts = &ctx.accounts;
    let exchange = check_order_trader(&accounts.exchange, &accounts.margin_account, &accounts.trader.key())?;
    let clock = Clock::get()?;
    let mut order = params.to_order(&*accounts.market.load()?, &clock)?;
    order.fee = exchange.order_fee_lamports;
    let mut book = accounts.order_book.load_mut()?;
    let i = book.free_slot().ok_or(FulcrumError::OrderBookFull)?;
    order.order_id = book.next_order_id;
    book.next_order_id = book.next_order_id.checked_add(1).overflow()?;
    book.orders[i] = order;
    book.open_count = book.open_count.checked_add(1).overflow()?;
    book.escrowed_fees = book.escrowed_fees.checked_add(order.fee).overflow()?;
    drop(book);
    escrow_fee(&accounts.trader.to_account_info(), &accounts.order_book.to_account_info(), order.fee)?;
    emit_placed(&accounts.margin_account.key(), &order, false);
    Ok(())
}

/// `OrderPlaced` for `order` (`modified`: by `modify_order`).
pub fn emit_placed(margin_account: &Pubkey, order: &Order, modified: bool) {
    crate::emit_event!(OrderPlaced {
        margin_account: *margin_account,
        order_id: order.order_id,
        client_id: order.client_id,
        market_index: order.market_index,
        kind: order.kind,
        side: order.side,
        reduce_only: order.reduce_only != 0,
        base_size: order.base_size,
        trigger_price: order.trigger_price,
        limit_price: order.limit_price,
        placed_ts: order.placed_ts,
        max_ts: order.max_ts,
        fee: order.fee,
        modified,
    });
}
