use anchor_lang::prelude::*;
use fulcrum_risk::MarginMode;

use crate::error::{FulcrumError, MathResultExt};
use crate::events::{sat_i64, MarginModeEvent};
use crate::health::{load_holdings, observe};
use crate::oracle::Pricing;
use crate::seeds;
use crate::state::*;

#[derive(Accounts)]
pub struct SetMarginMode<'info> {
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange, has_one = owner @ FulcrumError::NotAccountOwner)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    pub owner: Signer<'info>,
    #[account(
        seeds = [seeds::CORRELATIONS, exchange.key().as_ref()],
        bump = correlations.load()?.bump,
        has_one = exchange @ FulcrumError::WrongExchange
    )]
    pub correlations: AccountLoader<'info, Correlations>,
}

/// Switches how the account's collateral backs its (non-isolated) positions. To portfolio: the
/// account's equity at full value must reach the exchange's minimum (a bank or market the
/// correlations do not map is margined on its own, netting with nothing). Back to cross: refused if the account would then
/// be below initial margin. Remaining accounts: the account's health accounts (without the
/// correlations, which are named here), then the pool when it holds a perp slot.
pub fn set_margin_mode<'info>(ctx: Context<'info, SetMarginMode<'info>>, mode: u8) -> Result<()> {
    let mode = MarginMode::from_u8(mode).ok_or(FulcrumError::InvalidParameter)?;
    let accounts = &ctx.accounts;
    let exchange = accounts.exchange.load()?;
    let key = accounts.margin_account.key();
    let mut acct = accounts.margin_account.load_mut()?;
    require!(acct.margin_mode != mode as u8, FulcrumError::MarginModeUnchanged);
    let now = Clock::get()?.unix_timestamp;
    let (mut inputs, used) = load_holdings(
        &acct,
        &accounts.exchange.key(),
        exchange.quote_decimals,
        ctx.remaining_accounts,
        now,
        Pricing::Strict,
    )?;
    let used = used + inputs.read_pool(ctx.remaining_accounts, used, &accounts.exchange.key())?;
    require!(ctx.remaining_accounts.len() <= used, FulcrumError::ExtraHealthAccounts);
    match mode {
        MarginMode::Portfolio => {
            let corr = accounts.correlations.load()?;
            inputs.set_portfolio(&acct, &corr);
            let equity = fulcrum_risk::raw_equity(&inputs.risk_account(acct.quote_balance, &exchange)).math()?;
            require!(equity >= i128::from(corr.min_equity), FulcrumError::PortfolioMinimumEquity);
        }
        MarginMode::Cross => {}
    }
    let health = inputs.main_health(acct.quote_balance, &exchange)?;
    if mode == MarginMode::Cross {
        require!(health.init.is_met(), FulcrumError::CrossModeBelowInitialMargin);
    }
    acct.margin_mode = mode as u8;
    observe(&mut acct, &key, &health, &exchange, Clock::get()?.slot)?;
    crate::emit_event!(MarginModeEvent {
        margin_account: key,
        mode: mode as u8,
        equity: sat_i64(health.equity),
        init_equity: sat_i64(health.init.equity),
        init_requirement: sat_i64(health.init.requirement),
        maint_equity: sat_i64(health.maint.equity),
        maint_requirement: sat_i64(health.maint.requirement),
    });
    Ok(())
}
