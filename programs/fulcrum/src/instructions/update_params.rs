//! Admin parameter updates: exchange, bank, market, pause flags. Each validates its ranges as
//! listing does.

use anchor_lang::prelude::*;

use super::{BankParams, ExchangeParams, MarketParams};
use crate::error::FulcrumError;
use crate::state::*;

#[derive(Accounts)]
pub struct UpdateExchange<'info> {
    pub admin: Signer<'info>,
    #[account(mut, has_one = admin @ FulcrumError::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
}

pub fn update_exchange_params(ctx: Context<UpdateExchange>, params: ExchangeParams) -> Result<()> {
    params.validate()?;
    params.apply(&mut *ctx.accounts.exchange.load_mut()?);
    Ok(())
}

/// Sets the [`pause`] flags (a bit set; 0 resumes everything).
pub fn set_paused(ctx: Context<UpdateExchange>, flags: u8) -> Result<()> {
    require!(flags & !pause::ALL == 0, FulcrumError::InvalidParameter);
    ctx.accounts.exchange.load_mut()?.paused = flags;
    crate::emit_event!(crate::events::ExchangePausedEvent { exchange: ctx.accounts.exchange.key(), flags });
    Ok(())
}

#[derive(Accounts)]
pub struct UpdateBank<'info> {
    pub admin: Signer<'info>,
    #[account(has_one = admin @ FulcrumError::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub bank: AccountLoader<'info, CollateralBank>,
}

pub fn update_bank_params(ctx: Context<UpdateBank>, params: BankParams) -> Result<()> {
    params.validate()?;
    let mut b = ctx.accounts.bank.load_mut()?;
    if b.index == CollateralBank::QUOTE_INDEX {
        // The quote is the unit of account: only its cap is a parameter.
        b.deposit_cap = params.deposit_cap;
    } else {
        params.apply(&mut b);
    }
    Ok(())
}

#[derive(Accounts)]
pub struct UpdateMarket<'info> {
    pub admin: Signer<'info>,
    #[account(has_one = admin @ FulcrumError::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub market: AccountLoader<'info, PerpMarket>,
}

pub fn update_market_params(ctx: Context<UpdateMarket>, params: MarketParams) -> Result<()> {
    params.validate()?;
    params.apply(&mut *ctx.accounts.market.load_mut()?);
    Ok(())
}

/// Pauses trading and/or liquidations of one market ([`pause::TRADING`], [`pause::LIQUIDATIONS`]).
pub fn set_market_paused(ctx: Context<UpdateMarket>, flags: u8) -> Result<()> {
    require!(flags & !(pause::TRADING | pause::LIQUIDATIONS) == 0, FulcrumError::InvalidParameter);
    let mut m = ctx.accounts.market.load_mut()?;
    require!(!m.is_settled(), FulcrumError::MarketSettled);
    m.paused = flags;
    crate::emit_event!(crate::events::MarketStateEvent {
        market_index: m.index,
        variance: m.variance,
        effective_init_ratio: m.effective_init_ratio,
        effective_maint_ratio: m.effective_maint_ratio,
        funding_rate: m.funding_rate,
        reduce_only_until: m.reduce_only_until,
        paused: m.paused,
    });
    Ok(())
}
