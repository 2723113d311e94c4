//! Auto-deleveraging: when a market's winners hold more profit against the pool's cash than its
//! `adl_threshold`, anyone may close (part of) a winning position there at the oracle price.

use anchor_lang::prelude::*;
use fulcrum_risk::{plan_auto_deleverage, pnl_ratio, uncapped_pnl, MarginKind, PerpMarketRisk, PnlHaircut};

use crate::error::{FulcrumError, MathResultExt, OptionExt};
use crate::events::AutoDeleverageEvent;
use crate::oracle::load_observation;
use crate::state::*;

#[derive(Accounts)]
pub struct AutoDeleverage<'info> {
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    /// Anyone (a keeper): needs nothing but SOL for the fee.
    pub keeper: Signer<'info>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange, has_one = oracle @ FulcrumError::OracleMismatch)]
    pub market: AccountLoader<'info, PerpMarket>,
    /// CHECK: the market's oracle, read and checked by `oracle::load_observation`.
    pub oracle: UncheckedAccount<'info>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub pool: AccountLoader<'info, LiquidityPool>,
}

impl AutoDeleverage<'_> {
    /// The access checks that belong to these accounts, on them as loaded: liquidations are
    /// paused neither on the exchange (`Paused`) nor in the market (`MarketPaused`), the market
    /// still trades (`MarketSettled`) and has auto-deleveraging on (`AdlDisabled`).
    pub fn validate(exchange: &Exchange, market: &PerpMarket) -> Result<()> {
        require!(!exchange.is_paused(pause::LIQUIDATIONS), FulcrumError::Paused);
        require!(!market.is_paused(pause::LIQUIDATIONS), FulcrumError::MarketPaused);
        require!(!market.is_settled(), FulcrumError::MarketSettled);
        require!(market.adl_threshold > 0, FulcrumError::AdlDisabled);
        Ok(())
    }
}

/// Permissionless: while the market's winners' profit / pool cash (`fulcrum_risk::pnl_ratio`)
/// is above `adl_threshold`, closes the account's winning position in `market` at the oracle
/// price, no fee, its profit paid through the PnL cap: as much of it as keeps the ratio at or
/// above `adl_floor`. Refused by name when the market has it off (`AdlDisabled`), the ratio is
/// not above the threshold (`AdlBelowThreshold`), the position does not win
/// (`AdlPositionNotProfitable`), or the close would not lower the ratio without going below the
/// floor (`AdlRatioNotLowered`): the ratio after is measured on the market and pool as written.
/// Which account to deleverage first is ranked off chain (the SDK's `adlRanking`: PnL ratio ×
/// leverage). A close only lowers the account's risk: no margin check, no remaining accounts.
pub fn auto_deleverage(ctx: Context<AutoDeleverage>) -> Result<()> {
    let accounts = &ctx.accounts;
    let exchange = accounts.exchange.load()?;
    let now = Clock::get()?.unix_timestamp;
    let mut market = accounts.market.load_mut()?;
    AutoDeleverage::validate(&exchange, &market)?;
    let oracle = accounts.oracle.to_account_info();
    let (price, _) = load_observation(&oracle, &market.oracle_config(), exchange.quote_decimals, now)?;
    market.accrue_funding_to(price.oracle, now).math()?;
    let mut pool = accounts.pool.load_mut()?;
    let balance = pool.balance;
    let ratio_before = pnl_ratio(market.profit_at(price.oracle).math()?, balance).math()?;
    require!(ratio_before > u64::from(market.adl_threshold), FulcrumError::AdlBelowThreshold);

    let mut acct = accounts.margin_account.load_mut()?;
    let slot_i = acct.find_perp(market.index).ok_or(FulcrumError::AdlPositionNotProfitable)?;
    let old = acct.perps[slot_i].position();
    let haircut = market.pnl_haircut_at(price.oracle, balance).math()?;
    let risk = PerpMarketRisk { pnl_haircut: haircut, ..market.risk(price) };
    let wins = old.base != 0 && uncapped_pnl(&old, &risk, MarginKind::Maintenance).math()? > 0;
    require!(wins, FulcrumError::AdlPositionNotProfitable);
    let exposure = market.exposure(price.oracle);
    let plan = plan_auto_deleverage(&old, &risk, &exposure, balance, market.adl_floor, market.step_size).math()?;
    require!(plan.base_delta != 0, FulcrumError::AdlRatioNotLowered);
    let fill = plan.fill;
    let uncapped = PerpMarketRisk { pnl_haircut: PnlHaircut::NONE, ..risk };
    let full = fulcrum_risk::apply_fill(&old, &uncapped, plan.base_delta, price.oracle, 0).math()?;

    market.update_open_interest(&old, &fill.position).overflow()?;
    market.volume = market.volume.saturating_add(fill.fill_quote);
    market.record_withheld(full.realized_pnl, fill.realized_pnl);
    pool.pay_pnl(fill.realized_pnl).ok_or(FulcrumError::InsufficientPoolLiquidity)?;
    market.refresh_ratios(price.oracle, now, pool.balance).math()?;
    // The proof, on the state as written: lower than before, not below the floor.
    let ratio_after = pnl_ratio(market.profit_at(price.oracle).math()?, pool.balance).math()?;
    require!(
        ratio_after < ratio_before && ratio_after >= u64::from(market.adl_floor),
        FulcrumError::AdlRatioNotLowered
    );

    acct.settle_fill(slot_i, &fill.position, fill.realized_pnl, 0).overflow()?;
    acct.compact_perp(slot_i);
    crate::emit_event!(AutoDeleverageEvent {
        margin_account: accounts.margin_account.key(),
        keeper: accounts.keeper.key(),
        market_index: market.index,
        base_closed: plan.base_delta,
        price: price.oracle,
        realized_pnl: fill.realized_pnl,
        withheld: full.realized_pnl.saturating_sub(fill.realized_pnl),
        ratio_before,
        ratio_after,
    });
    Ok(())
}
