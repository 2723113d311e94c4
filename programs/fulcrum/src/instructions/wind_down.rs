//! Winding a market down: reduce-only, then settled at a final price (every position closed at
//! it by anyone, with `settle_position`), then closed once no position is left.

use anchor_lang::prelude::*;
use fulcrum_risk::{apply_fill, PerpMarketRisk, Price};

use crate::error::{FulcrumError, MathResultExt, OptionExt};
use crate::instructions::UpdateMarket;
use crate::pool::cover_debt;
use crate::state::*;

/// Moves market `status` along [`market_status`]: `ACTIVE` ↔ `WINDING_DOWN` (reduce-only),
/// `WINDING_DOWN` → `SETTLED` at `settlement_price` (0: the last valid oracle price, which must
/// have been published within the market's `liquidation_max_age`), `SETTLED` → `CLOSED` with no
/// open interest left. A settled market has trading and liquidations paused for good.
pub fn set_market_status(ctx: Context<UpdateMarket>, status: u8, settlement_price: u64) -> Result<()> {
    use market_status::*;
    let mut market = ctx.accounts.market.load_mut()?;
    match (market.status, status) {
        (ACTIVE, WINDING_DOWN) | (WINDING_DOWN, ACTIVE) => {}
        (WINDING_DOWN, SETTLED) => {
            let now = Clock::get()?.unix_timestamp;
            let price = if settlement_price > 0 {
                settlement_price
            } else {
                let (p, published) = market.last_valid().ok_or(FulcrumError::OracleStale)?;
                require!(
                    now.saturating_sub(published) <= i64::from(market.liquidation_max_age),
                    FulcrumError::OracleStale
                );
                p.oracle
            };
            market.settlement_price = price;
            market.paused = pause::TRADING | pause::LIQUIDATIONS;
            market.funding_rate = 0;
            market.borrow_rate = 0;
        }
        (SETTLED, CLOSED) => {
            require!(market.long_base == 0 && market.short_base == 0, FulcrumError::MarketHasOpenInterest);
        }
        _ => return err!(FulcrumError::InvalidMarketStatus),
    }
    market.status = status;
    Ok(())
}

#[derive(Accounts)]
pub struct SettlePosition<'info> {
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub market: AccountLoader<'info, PerpMarket>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub pool: AccountLoader<'info, LiquidityPool>,
}

/// See the instruction's doc in lib.rs. The slot is freed; an isolated deficit is covered as an
/// isolated liquidation's is ([`cover_debt`]).
pub fn settle_position(ctx: Context<SettlePosition>) -> Result<()> {
    let accounts = &ctx.accounts;
    let key = accounts.margin_account.key();
    let mut market = accounts.market.load_mut()?;
    require!(market.is_settled(), FulcrumError::MarketNotSettled);
    let mut acct = accounts.margin_account.load_mut()?;
    let i = acct.find_perp(market.index).ok_or(FulcrumError::NoPositionToSettle)?;
    let old = acct.perps[i].position();
    let mut pool = accounts.pool.load_mut()?;
    let mut realized = 0i64;
    if old.base != 0 {
        let price = market.settlement_price;
        // A gain is paid through the market's PnL cap on the pool's cash now.
        let uncapped = market.risk(Price::flat(price));
        let risk = PerpMarketRisk { pnl_haircut: market.pnl_haircut_at(price, pool.balance).math()?, ..uncapped };
        let fill = apply_fill(&old, &risk, -old.base, price, 0).math()?;
        let full = apply_fill(&old, &uncapped, -old.base, price, 0).math()?;
        market.record_withheld(full.realized_pnl, fill.realized_pnl);
        market.update_open_interest(&old, &fill.position).overflow()?;
        pool.pay_pnl(fill.realized_pnl).ok_or(FulcrumError::InsufficientPoolLiquidity)?;
        acct.perps[i].set_position(&fill.position);
        realized = fill.realized_pnl;
    }
    let slot = &mut acct.perps[i];
    slot.realized_pnl = 0;
    let mut back = if slot.is_isolated() { core::mem::take(&mut slot.isolated_collateral) } else { 0 };
    back = back.checked_add(realized).overflow()?;
    if back < 0 && slot.is_isolated() {
        // The isolated position's loss exceeds its collateral: the fund, then the pool.
        let (owed, event) = cover_debt(&mut pool, key, back.unsigned_abs())?;
        slot.isolated_collateral = owed;
        back = 0;
        crate::emit_event!(event);
    }
    acct.quote_balance = acct.quote_balance.checked_add(back).overflow()?;
    acct.compact_perp(i);
    Ok(())
}
