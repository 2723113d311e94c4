use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};
use fulcrum_risk::{is_liquidatable, largest_requirement, plan_perp_liquidation, AccountHealth};

use crate::error::{FulcrumError, MathResultExt, OptionExt};
use crate::events::{sat_i64, LiquidationEvent};
use crate::health::{load_health_inputs_with, observe};
use crate::state::*;
use crate::token::{transfer_out, ExchangeSeeds};

#[derive(Accounts)]
pub struct LiquidatePerp<'info> {
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    /// Anyone: needs nothing but SOL for the fee.
    pub liquidator: Signer<'info>,
    /// Receives the liquidator fee (any quote token account the liquidator names).
    #[account(mut, constraint = liquidator_quote.mint == quote_vault.mint @ FulcrumError::WrongMint)]
    pub liquidator_quote: Box<Account<'info, TokenAccount>>,
    #[account(
        has_one = exchange @ FulcrumError::WrongExchange,
        constraint = quote_bank.load()?.index == CollateralBank::QUOTE_INDEX @ FulcrumError::WrongVault,
        constraint = quote_bank.load()?.vault == quote_vault.key() @ FulcrumError::WrongVault
    )]
    pub quote_bank: AccountLoader<'info, CollateralBank>,
    #[account(mut)]
    pub quote_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange, has_one = oracle @ FulcrumError::OracleMismatch)]
    pub market: AccountLoader<'info, PerpMarket>,
    /// CHECK: the market's oracle (read through the health accounts).
    pub oracle: UncheckedAccount<'info>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub pool: AccountLoader<'info, LiquidityPool>,
    pub token_program: Program<'info, Token>,
}

/// Permissionless: closes part of the account's largest position (by maintenance requirement)
/// against the pool at the oracle price, just enough to restore maintenance × (1 + buffer), or
/// all of it when that is out of reach or the rest would be dust. The liquidator fee goes to
/// `liquidator_quote`, the insurance fee to the fund, both from the account and capped by its
/// remaining equity. Remaining accounts: the margin check's, for the account before.
pub fn handler<'info>(ctx: Context<'info, LiquidatePerp<'info>>) -> Result<()> {
    let a = &ctx.accounts;
    let exchange = a.exchange.load()?;
    require!(!exchange.is_paused(pause::LIQUIDATIONS), FulcrumError::Paused);
    let clock = Clock::get()?;
    let key = a.margin_account.key();
    let mut acct = a.margin_account.load_mut()?;
    let mut inputs = load_health_inputs_with(
        &acct,
        &a.exchange.key(),
        exchange.quote_decimals,
        ctx.remaining_accounts,
        clock.unix_timestamp,
        true,
    )?;
    let before: AccountHealth =
        fulcrum_risk::account_health(&inputs.risk_account(acct.quote_balance, &exchange)).math()?;
    observe(&mut acct, &key, &before, &exchange, clock.slot)?;
    require!(!before.maint.is_met(), FulcrumError::NotLiquidatable);
    require!(
        is_liquidatable(
            &before.maint,
            acct.margin_call_slot,
            clock.slot,
            exchange.margin_call_grace_slots,
            exchange.liquidation_threshold_ratio,
        )
        .math()?,
        FulcrumError::MarginCallGracePeriod
    );

    let mut market = a.market.load_mut()?;
    require!(market.paused & pause::LIQUIDATIONS == 0, FulcrumError::MarketPaused);
    let i = largest_requirement(&inputs.risk_account(acct.quote_balance, &exchange))
        .math()?
        .ok_or(FulcrumError::NotLiquidatable)?;
    require!(acct.perps[i].market_index == market.index, FulcrumError::NotLargestPosition);
    let plan = plan_perp_liquidation(
        &inputs.risk_account(acct.quote_balance, &exchange),
        i,
        market.step_size,
        &exchange.liquidation_params(),
    )
    .math()?;

    let old = acct.perps[i].position();
    market.update_open_interest(&old, &plan.position).overflow()?;
    market.volume = market.volume.saturating_add(plan.fill_quote);
    let price = inputs.perps[i].market.price.oracle;
    let mut pool = a.pool.load_mut()?;
    pool.balance = u64::try_from(i128::from(pool.balance) - i128::from(plan.realized_pnl))
        .map_err(|_| FulcrumError::InsufficientPoolLiquidity)?;
    pool.insurance_balance = pool.insurance_balance.checked_add(plan.insurance_fee).overflow()?;
    let fees = i128::from(plan.liquidator_fee) + i128::from(plan.insurance_fee);
    acct.quote_balance = i64::try_from(i128::from(acct.quote_balance) + i128::from(plan.realized_pnl) - fees)
        .map_err(|_| FulcrumError::MathOverflow)?;
    acct.perps[i].set_position(&plan.position);
    acct.perps[i].realized_pnl = acct.perps[i].realized_pnl.saturating_add(plan.realized_pnl);
    acct.compact_perp(i);

    // Health after, from the same prices.
    inputs.perps[i].position = plan.position;
    let after = fulcrum_risk::account_health(&inputs.risk_account(acct.quote_balance, &exchange)).math()?;
    observe(&mut acct, &key, &after, &exchange, clock.slot)?;
    let seeds = ExchangeSeeds::of(&exchange);
    let market_index = market.index;
    drop((market, pool, acct, exchange));

    if plan.liquidator_fee > 0 {
        transfer_out(
            &a.token_program.to_account_info(),
            &a.quote_vault.to_account_info(),
            &a.liquidator_quote.to_account_info(),
            &a.exchange.to_account_info(),
            &seeds,
            plan.liquidator_fee,
        )?;
    }
    crate::emit_event!(LiquidationEvent {
        margin_account: key,
        liquidator: a.liquidator.key(),
        market_index,
        base_closed: plan.base_delta,
        price,
        realized_pnl: plan.realized_pnl,
        liquidator_fee: plan.liquidator_fee,
        insurance_fee: plan.insurance_fee,
        equity_before: sat_i64(before.maint.equity),
        requirement_before: sat_i64(before.maint.requirement),
        leverage_before: before.leverage.unwrap_or(u64::MAX),
        equity_after: sat_i64(after.maint.equity),
        requirement_after: sat_i64(after.maint.requirement),
        leverage_after: after.leverage.unwrap_or(u64::MAX),
    });
    Ok(())
}
