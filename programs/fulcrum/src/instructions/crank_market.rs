use anchor_lang::prelude::*;

use crate::error::{FulcrumError, MathResultExt};
use crate::events::MarketStateEvent;
use crate::instructions::place_perp_trade::emit_breaker;
use crate::oracle::load_observation;
use crate::state::*;

#[derive(Accounts)]
pub struct CrankMarket<'info> {
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange, has_one = oracle @ FulcrumError::OracleMismatch)]
    pub market: AccountLoader<'info, PerpMarket>,
    /// CHECK: the market's oracle, read and checked by `oracle::load_observation`.
    pub oracle: UncheckedAccount<'info>,
    #[account(has_one = exchange @ FulcrumError::WrongExchange)]
    pub pool: AccountLoader<'info, LiquidityPool>,
}

/// See the instruction's doc in lib.rs. The volatility estimate updates only on a newer publish
/// time.
pub fn crank_market(ctx: Context<CrankMarket>) -> Result<()> {
    let accounts = &ctx.accounts;
    let exchange = accounts.exchange.load()?;
    let now = Clock::get()?.unix_timestamp;
    let mut market = accounts.market.load_mut()?;
    require!(!market.is_settled(), FulcrumError::MarketSettled);
    let (price, publish_time) =
        load_observation(&accounts.oracle.to_account_info(), &market.oracle_config(), exchange.quote_decimals, now)?;
    let depth = accounts.pool.load()?.depth(Clock::get()?.slot);
    let fresh = publish_time >= market.last_publish_time;
    if market.observe(price, publish_time, now, depth).math()? {
        emit_breaker(&market, price);
    }
    // A price seen in this slot bounds the slot's next fills (see `place_perp_trade`).
    if fresh {
        market.observe_in_slot(price.oracle, Clock::get()?.slot);
    }
    crate::emit_event!(MarketStateEvent::of(&market));
    Ok(())
}
