use anchor_lang::prelude::*;

use super::orders::{cancel_slot, release};
use super::place_perp_trade::{
    check_tradable, check_trade_health, emit_trade, execute_trade, is_margin_error, Side, TradeParams,
};
use crate::error::{is_error, FulcrumError, OptionExt};
use crate::events::OrderExecuted;
use crate::oracle::{load_fill_observation, FillObservation};
use crate::state::*;

#[derive(Accounts)]
pub struct ExecuteOrder<'info> {
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(mut, has_one = margin_account @ FulcrumError::WrongOrderBook)]
    pub order_book: AccountLoader<'info, OrderBook>,
    /// The order's market.
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange, has_one = oracle @ FulcrumError::OracleMismatch)]
    pub market: AccountLoader<'info, PerpMarket>,
    /// CHECK: the market's oracle, read and checked by `oracle::load_fill_observation`.
    pub oracle: UncheckedAccount<'info>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub pool: AccountLoader<'info, LiquidityPool>,
    /// Anyone: receives the order's fee.
    #[account(mut)]
    pub keeper: Signer<'info>,
}

/// What an order asks of the fill at this price, or why it is cancelled.
enum Plan {
    Fill(TradeParams),
    Cancel(u8),
}

/// Permissionless: fills one order through `place_perp_trade`'s fill when its condition holds
/// at an oracle price published after it was placed (and no older than the market's
/// `max_fill_age` nor than its last observed price); a trigger only while the oracle is within
/// the exchange's `trigger_band` of its EMA. The keeper gets the order's escrowed fee. An order
/// that cannot fill for its own reasons (expired, reduce-only with nothing to reduce, margin, a
/// delayed market order past its slippage bound) is cancelled with that reason instead, the
/// keeper still paid; otherwise a refusal is an error and changes nothing.
pub fn execute_order<'info>(ctx: Context<'info, ExecuteOrder<'info>>, order_id: u64) -> Result<()> {
    let accounts = &ctx.accounts;
    let exchange = accounts.exchange.load()?;
    require!(!exchange.is_paused(pause::TRADING), FulcrumError::Paused);
    let clock = Clock::get()?;
    let key = accounts.margin_account.key();
    let mut book = accounts.order_book.load_mut()?;
    let i = book.find(order_id).ok_or(FulcrumError::OrderNotFound)?;
    let order = book.orders[i];
    if order.expired(clock.unix_timestamp) {
        return pay_keeper(accounts, &mut book, i, Some(cancel_reason::EXPIRED));
    }
    let mut acct = accounts.margin_account.load_mut()?;
    let mut market = accounts.market.load_mut()?;
    require!(market.index == order.market_index, FulcrumError::OrderMarketMismatch);
    require!(market.paused & pause::TRADING == 0, FulcrumError::MarketPaused);
    let cfg = market.oracle_config();
    let obs =
        load_fill_observation(&accounts.oracle.to_account_info(), &cfg, exchange.quote_decimals, clock.unix_timestamp)?;
    let params = match plan(&order, &acct, &obs, exchange.trigger_band)? {
        Plan::Cancel(reason) => return pay_keeper(accounts, &mut book, i, Some(reason)),
        Plan::Fill(p) => p,
    };
    check_tradable(&market, params.base_size)?;

    let mut pool = accounts.pool.load_mut()?;
    // The account, market and pool before the fill, on the heap (1,720 bytes: not on the SBF
    // stack): put back when the fill is refused for a reason of the order's own (margin,
    // slippage), which cancels it instead.
    let saved = (Box::new(*acct), Box::new(*market), Box::new(*pool));
    let filled = match execute_trade(&exchange, &mut acct, &mut market, &mut pool, &obs, &params, &clock, &key) {
        Ok(f) => f,
        Err(e) if is_error(&e, FulcrumError::SlippageExceeded) => {
            return match OrderKind::from_u8(order.kind) {
                Some(OrderKind::Market) => {
                    *acct = *saved.0;
                    *market = *saved.1;
                    *pool = *saved.2;
                    pay_keeper(accounts, &mut book, i, Some(cancel_reason::SLIPPAGE))
                }
                Some(OrderKind::Limit) => err!(FulcrumError::OrderNotTriggered),
                _ => Err(e),
            };
        }
        Err(e) => return Err(e),
    };
    drop((market, pool));
    let health = match check_trade_health(
        &exchange,
        &accounts.exchange.key(),
        &mut acct,
        &key,
        &filled,
        ctx.remaining_accounts,
        &clock,
    ) {
        Ok(h) => h,
        Err(e) if is_margin_error(&e) => {
            *acct = *saved.0;
            *accounts.market.load_mut()? = *saved.1;
            *accounts.pool.load_mut()? = *saved.2;
            return pay_keeper(accounts, &mut book, i, Some(cancel_reason::MARGIN));
        }
        Err(e) => return Err(e),
    };
    emit_trade(&filled, &health);
    crate::emit_event!(OrderExecuted {
        margin_account: key,
        order_id,
        market_index: order.market_index,
        base_delta: filled.event.base_delta,
        price: filled.event.price,
        publish_time: obs.publish_time,
        fee: order.fee,
        keeper: accounts.keeper.key(),
    });
    pay_keeper(accounts, &mut book, i, None)
}

/// The trade `order` makes at `obs` for an account holding `acct`, or why it is cancelled.
/// Errors (the order stays): a price not published after the order, a trigger outside the band
/// or not reached.
fn plan(order: &Order, acct: &MarginAccount, obs: &FillObservation, trigger_band: u32) -> Result<Plan> {
    require!(obs.publish_time > order.placed_ts, FulcrumError::OrderPriceNotNewer);
    let kind = OrderKind::from_u8(order.kind).ok_or(FulcrumError::InvalidOrderParams)?;
    if kind.is_trigger() {
        let p = obs.price;
        require!(!fulcrum_risk::outside_band(p.oracle, p.ema, trigger_band), FulcrumError::OrderTriggerOutsideBand);
        require!(order.triggered(p.oracle), FulcrumError::OrderNotTriggered);
    }
    let held = acct.find_perp(order.market_index).map_or(0, |s| acct.perps[s].base);
    let reduce_only = order.reduce_only != 0;
    // Reduce-only needs a position on the other side: none, or one that flipped, cancels.
    if reduce_only && (held == 0 || (held > 0) == order.is_buy()) {
        return Ok(Plan::Cancel(cancel_reason::REDUCE_ONLY));
    }
    let mut base_size = order.base_size;
    if order.whole_position != 0 || (reduce_only && base_size > held.unsigned_abs()) {
        base_size = held.unsigned_abs();
    }
    // The worst fill price: the slippage bound and, for a limit order, its limit.
    let limit = if kind == OrderKind::Limit { order.trigger_price } else { 0 };
    let limit_price = if order.is_buy() {
        let bound = if order.limit_price == 0 { u64::MAX } else { order.limit_price };
        if limit == 0 {
            bound
        } else {
            bound.min(limit)
        }
    } else {
        order.limit_price.max(limit)
    };
    let side = if order.is_buy() { Side::Buy } else { Side::Sell };
    Ok(Plan::Fill(TradeParams { side, base_size, limit_price, reduce_only }))
}

/// Removes slot `i` (with `OrderCancelled` when `cancelled` gives a reason) and pays its fee
/// to the keeper.
fn pay_keeper(accounts: &ExecuteOrder, book: &mut OrderBook, i: usize, cancelled: Option<u8>) -> Result<()> {
    let fee = match cancelled {
        Some(reason) => cancel_slot(book, i, reason, accounts.keeper.key)?,
        None => book.remove(i).overflow()?,
    };
    release(&accounts.order_book.to_account_info(), &accounts.keeper.to_account_info(), fee, book.escrowed_fees)
}

#[cfg(test)]
mod tests {
    use fulcrum_risk::Price;

    use super::*;

    fn obs(oracle: u64, ema: u64, publish_time: i64) -> FillObservation {
        FillObservation { price: Price { oracle, ema }, publish_time, conf_ratio: 0 }
    }

    fn holding(base: i64) -> Box<MarginAccount> {
        let mut acct: Box<MarginAccount> = Box::new(bytemuck::Zeroable::zeroed());
        if base != 0 {
            if let Some(i) = acct.perp_slot(0) {
                acct.perps[i].base = base;
            }
            assert_eq!(acct.perps[0].base, base, "a fresh account has a free perp slot");
        }
        acct
    }

    fn stop(sell: bool, base_size: u64, whole: bool) -> Order {
        Order {
            order_id: 1,
            kind: OrderKind::StopLoss as u8,
            side: u8::from(sell),
            reduce_only: 1,
            whole_position: u8::from(whole),
            base_size,
            trigger_price: 95,
            placed_ts: 10,
            ..Order::default()
        }
    }

    /// The trade a plan fills, or what it did instead (a refusal's error or a cancel reason).
    fn fill(p: Result<Plan>) -> std::result::Result<TradeParams, String> {
        match p {
            Ok(Plan::Fill(t)) => Ok(t),
            Ok(Plan::Cancel(r)) => Err(format!("cancelled: {r}")),
            Err(e) => Err(format!("refused: {e}")),
        }
    }

    /// Whether a plan was refused with `code`.
    fn refused_with(p: Result<Plan>, code: FulcrumError) -> bool {
        matches!(p, Err(e) if is_error(&e, code))
    }

    #[test]
    fn a_price_at_placement_is_refused() {
        let p = plan(&stop(true, 0, true), &holding(10), &obs(90, 90, 10), 100_000);
        assert!(refused_with(p, FulcrumError::OrderPriceNotNewer));
    }

    #[test]
    fn a_stop_takes_the_whole_position_held_now_and_clamps_a_larger_size() -> std::result::Result<(), String> {
        let t = fill(plan(&stop(true, 0, true), &holding(15), &obs(90, 90, 11), 100_000))?;
        assert_eq!((t.side, t.base_size, t.reduce_only, t.limit_price), (Side::Sell, 15, true, 0));
        let t = fill(plan(&stop(true, 40, false), &holding(15), &obs(90, 90, 11), 100_000))?;
        assert_eq!(t.base_size, 15);
        Ok(())
    }

    #[test]
    fn a_reduce_only_stop_after_a_flip_or_a_close_is_cancelled() {
        for held in [0, -5] {
            let p = plan(&stop(true, 0, true), &holding(held), &obs(90, 90, 11), 100_000);
            assert!(matches!(p, Ok(Plan::Cancel(cancel_reason::REDUCE_ONLY))));
        }
    }

    #[test]
    fn a_trigger_outside_the_band_or_not_reached_is_refused() {
        let p = plan(&stop(true, 0, true), &holding(10), &obs(90, 110, 11), 100_000);
        assert!(refused_with(p, FulcrumError::OrderTriggerOutsideBand));
        let p = plan(&stop(true, 0, true), &holding(10), &obs(96, 96, 11), 100_000);
        assert!(refused_with(p, FulcrumError::OrderNotTriggered));
    }

    #[test]
    fn a_limit_buy_is_bounded_by_the_tighter_of_its_limit_and_slippage_bound() -> std::result::Result<(), String> {
        let limit = Order {
            kind: OrderKind::Limit as u8,
            reduce_only: 0,
            whole_position: 0,
            side: 0,
            base_size: 3,
            ..stop(false, 3, false)
        };
        let t = fill(plan(&limit, &holding(0), &obs(90, 90, 11), 100_000))?;
        assert_eq!((t.side, t.base_size, t.limit_price), (Side::Buy, 3, 95));
        let t = fill(plan(&Order { limit_price: 93, ..limit }, &holding(0), &obs(90, 90, 11), 100_000))?;
        assert_eq!(t.limit_price, 93);
        let sell = Order { side: 1, ..limit };
        let t = fill(plan(&Order { limit_price: 97, ..sell }, &holding(0), &obs(90, 90, 11), 100_000))?;
        assert_eq!(t.limit_price, 97);
        Ok(())
    }
}
