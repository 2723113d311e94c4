//! What the order instructions share: an order's terms ([`OrderParams`]), the fee escrow in the
//! order book's lamports, and cancelling (with its event). The instructions are one per file
//! (`create_order_book` … `cancel_expired_order`); `execute_order` fills through
//! `place_perp_trade`'s own fill.
//!
//! Escrow invariant: the book's lamports are its rent plus `escrowed_fees`, and `escrowed_fees`
//! is Σ open orders' `fee`. Every fee goes in with its order and comes out with it, once: to the
//! keeper that executes (or cleans up) the order, to the owner when the owner cancels, to the
//! liquidator when a liquidation cancels it.

use anchor_lang::prelude::*;
use anchor_lang::system_program::{self, Transfer};

use super::place_perp_trade::Side;
use crate::error::{FulcrumError, OptionExt};
use crate::events::OrderCancelled;
use crate::state::*;

/// A new (or modified) order's terms.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderParams {
    pub kind: OrderKind,
    pub side: Side,
    /// Base native units, a multiple of the market's step; 0 on a reduce-only StopLoss or
    /// TakeProfit: the whole position at execution.
    pub base_size: u64,
    /// Limit: the limit price; StopLoss / TakeProfit: the trigger (oracle price); Market: 0.
    /// Engine units.
    pub trigger_price: u64,
    /// Worst fill price (a buy fills at most, a sell at least at it); 0: none.
    pub limit_price: u64,
    pub reduce_only: bool,
    /// Expiry, unix seconds (0: none); must be in the future.
    pub max_ts: i64,
    /// The trader's own id, echoed in events.
    pub client_id: u64,
}

impl OrderParams {
    /// The order these terms make in `market` now, one rule per line (`InvalidOrderParams`).
    /// Only prices published after both the clock and the market's last observed price may
    /// fill it; a delayed market order expires `max_fill_age` after that (the latency its
    /// spread prices), so whoever executes it cannot hold it as an option.
    pub fn to_order(&self, market: &PerpMarket, clock: &Clock) -> Result<Order> {
        let now = clock.unix_timestamp;
        let whole = self.base_size == 0;
        require!(!market.is_settled(), FulcrumError::MarketSettled);
        require!(self.base_size.is_multiple_of(market.step_size.max(1)), FulcrumError::InvalidOrderSize);
        require!(!whole || (self.reduce_only && self.kind.is_trigger()), FulcrumError::InvalidOrderSize);
        require!((self.kind == OrderKind::Market) == (self.trigger_price == 0), FulcrumError::InvalidOrderParams);
        require!(self.max_ts == 0 || self.max_ts > now, FulcrumError::InvalidOrderParams);
        let placed_ts = now.max(market.last_publish_time);
        let mut max_ts = self.max_ts;
        if self.kind == OrderKind::Market {
            let until = placed_ts.checked_add(i64::from(market.max_fill_age)).overflow()?;
            max_ts = if max_ts == 0 { until } else { max_ts.min(until) };
        }
        Ok(Order {
            order_id: 0,
            client_id: self.client_id,
            market_index: market.index,
            kind: self.kind as u8,
            side: u8::from(self.side == Side::Sell),
            reduce_only: u8::from(self.reduce_only),
            whole_position: u8::from(whole),
            _pad: [0; 2],
            base_size: self.base_size,
            trigger_price: self.trigger_price,
            limit_price: self.limit_price,
            placed_slot: clock.slot,
            placed_ts,
            max_ts,
            fee: 0,
        })
    }
}

/// What placing and modifying an order check first: trading is not paused (`Paused`) and
/// `trader` may trade the account (`NotAccountOwner`). Returns the exchange.
pub fn check_order_trader<'a>(
    exchange: &'a AccountLoader<'_, Exchange>,
    margin_account: &AccountLoader<MarginAccount>,
    trader: &Pubkey,
) -> Result<core::cell::Ref<'a, Exchange>> {
    let exchange = exchange.load()?;
    require!(!exchange.is_paused(pause::TRADING), FulcrumError::Paused);
    require!(margin_account.load()?.can_trade(trader), FulcrumError::NotAccountOwner);
    Ok(exchange)
}

/// Moves `fee` lamports from `payer` into the book (system transfer).
pub fn escrow_fee<'info>(payer: &AccountInfo<'info>, book: &AccountInfo<'info>, fee: u64) -> Result<()> {
    if fee == 0 {
        return Ok(());
    }
    system_program::transfer(
        CpiContext::new(system_program::ID, Transfer { from: payer.clone(), to: book.clone() }),
        fee,
    )
}

/// Pays `amount` lamports out of the book to `to`, leaving at least its rent plus
/// `escrowed_after` (`OrderEscrowShort` otherwise).
pub fn release(book: &AccountInfo, to: &AccountInfo, amount: u64, escrowed_after: u64) -> Result<()> {
    if amount == 0 {
        return Ok(());
    }
    let left = book.lamports().checked_sub(amount).ok_or(FulcrumError::OrderEscrowShort)?;
    let floor = Rent::get()?.minimum_balance(OrderBook::SIZE).checked_add(escrowed_after).overflow()?;
    require!(left >= floor, FulcrumError::OrderEscrowShort);
    **book.try_borrow_mut_lamports()? = left;
    let credited = to.lamports().checked_add(amount).overflow()?;
    **to.try_borrow_mut_lamports()? = credited;
    Ok(())
}

/// Removes order slot `i` from the book with its event: the fee it released.
pub fn cancel_slot(book: &mut OrderBook, i: usize, reason: u8, fee_to: &Pubkey) -> Result<u64> {
    let order = book.orders[i];
    let fee = book.remove(i).overflow()?;
    crate::emit_event!(OrderCancelled {
        margin_account: book.margin_account,
        order_id: order.order_id,
        market_index: order.market_index,
        reason,
        fee,
        fee_to: *fee_to,
    });
    Ok(fee)
}

/// Cancels every open order `keep` rejects, paying their fees to `to`.
pub fn cancel_where(
    book_ai: &AccountInfo,
    book: &mut OrderBook,
    to: &AccountInfo,
    reason: u8,
    cancel: impl Fn(&Order) -> bool,
) -> Result<()> {
    let mut total = 0u64;
    for i in 0..MAX_ORDERS {
        if book.orders[i].is_open() && cancel(&book.orders[i]) {
            total = total.checked_add(cancel_slot(book, i, reason, to.key)?).overflow()?;
        }
    }
    release(book_ai, to, total, book.escrowed_fees)
}

/// Liquidation (one call in `liquidate_perp`): with the account's order book, cancels its
/// risk-increasing (not reduce-only) orders, their fees to the liquidator (who must then be
/// writable: `LiquidatorNotWritable`). Reduce-only orders (stops, take-profits) stay.
pub fn cancel_on_liquidation<'info>(
    order_book: Option<&AccountLoader<'info, OrderBook>>,
    liquidator: &AccountInfo<'info>,
) -> Result<()> {
    let Some(loader) = order_book else {
        return Ok(());
    };
    require!(liquidator.is_writable, FulcrumError::LiquidatorNotWritable);
    let book_ai = loader.to_account_info();
    let mut book = loader.load_mut()?;
    cancel_where(&book_ai, &mut book, liquidator, cancel_reason::LIQUIDATION, |o| o.reduce_only == 0)
}
