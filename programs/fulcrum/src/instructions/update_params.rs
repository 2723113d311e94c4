//! Admin parameter updates: exchange, bank, market, pause flags. Each validates its ranges as
//! listing does, and the rules that tie one side to the other (collateral discount against bank
//! weights, liquidation fees against market ratios) are checked from whichever side changes.

use anchor_lang::prelude::*;

use super::{BankParams, ExchangeParams, MarketParams};
use crate::error::FulcrumError;
use crate::state::*;
use crate::validate::{admit_bank_weight, admit_market_ratio, admit_pnl_factor};

#[derive(Accounts)]
pub struct UpdateExchange<'info> {
    pub admin: Signer<'info>,
    #[account(mut, has_one = admin @ FulcrumError::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
}

pub fn update_exchange_params(ctx: Context<UpdateExchange>, params: ExchangeParams) -> Result<()> {
    params.validate()?;
    let mut exchange = ctx.accounts.exchange.load_mut()?;
    params.fits_listed(&exchange)?;
    params.apply(&mut exchange);
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
    /// Mutable: records the bank's weight (see `Exchange::max_maint_asset_weight`).
    #[account(mut, has_one = admin @ FulcrumError::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub bank: AccountLoader<'info, CollateralBank>,
}

pub fn update_bank_params(ctx: Context<UpdateBank>, params: BankParams) -> Result<()> {
    params.validate()?;
    let mut bank = ctx.accounts.bank.load_mut()?;
    if bank.index == CollateralBank::QUOTE_INDEX {
        // The quote is the unit of account: only its cap is a parameter.
        bank.deposit_cap = params.deposit_cap;
    } else {
        admit_bank_weight(&mut *ctx.accounts.exchange.load_mut()?, params.maint_asset_weight)?;
        params.apply(&mut bank);
    }
    Ok(())
}

#[derive(Accounts)]
pub struct UpdateMarket<'info> {
    pub admin: Signer<'info>,
    /// Mutable: records the market's ratio (see `Exchange::min_maint_margin_ratio`).
    #[account(mut, has_one = admin @ FulcrumError::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub market: AccountLoader<'info, PerpMarket>,
}

pub fn update_market_params(ctx: Context<UpdateMarket>, params: MarketParams) -> Result<()> {
    params.validate()?;
    let mut exchange = ctx.accounts.exchange.load_mut()?;
    let mut market = ctx.accounts.market.load_mut()?;
    admit_market_ratio(&mut exchange, params.maint_margin_ratio)?;
    admit_pnl_factor(&mut exchange, market.max_pnl_factor, params.max_pnl_factor)?;
    market.apply_params(&params);
    Ok(())
}

/// Pauses trading and/or liquidations of one market ([`pause::TRADING`], [`pause::LIQUIDATIONS`]).
pub fn set_market_paused(ctx: Context<UpdateMarket>, flags: u8) -> Result<()> {
    require!(flags & !(pause::TRADING | pause::LIQUIDATIONS) == 0, FulcrumError::InvalidParameter);
    let mut market = ctx.accounts.market.load_mut()?;
    require!(!market.is_settled(), FulcrumError::MarketSettled);
    market.paused = flags;
    crate::emit_event!(crate::events::MarketStateEvent::of(&market));
    Ok(())
}
