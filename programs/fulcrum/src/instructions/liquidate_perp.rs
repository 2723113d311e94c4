use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};
use fulcrum_risk::{
    apply_fill, isolated_account, largest_requirement, plan_perp_liquidation, plan_perp_liquidation_in,
    portfolio_liquidation_target, MarginModel, PerpExposure, PerpMarketRisk, PnlHaircut, RiskAccount,
};

use super::quote_vault::*;
use crate::error::{FulcrumError, MathResultExt, OptionExt};
use crate::events::{sat_i64, BankruptcyEvent, LiquidationEvent};
use crate::health::{load_health_inputs_with, observe, require_liquidatable};
use crate::oracle::Pricing;
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
    #[account(mut, constraint = liquidator_quote.mint == quote.vault.mint @ FulcrumError::WrongMint)]
    pub liquidator_quote: Box<Account<'info, TokenAccount>>,
    #[account(constraint = quote.is_of(&exchange)? @ FulcrumError::WrongExchange)]
    pub quote: QuoteVault<'info>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange, has_one = oracle @ FulcrumError::OracleMismatch)]
    pub market: AccountLoader<'info, PerpMarket>,
    /// CHECK: the market's oracle (read through the health accounts).
    pub oracle: UncheckedAccount<'info>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub pool: AccountLoader<'info, LiquidityPool>,
    pub token_program: Program<'info, Token>,
    /// Optional: the account's order book; its risk-increasing orders are cancelled, their
    /// fees to the liquidator (then writable).
    #[account(mut, has_one = margin_account @ FulcrumError::WrongOrderBook)]
    pub order_book: Option<AccountLoader<'info, OrderBook>>,
}

/// Permissionless: closes part of a position against the pool at the oracle price, just enough
/// to restore maintenance × (1 + buffer), or all of it when that is out of reach or the rest
/// would be dust. The liquidator fee goes to `liquidator_quote`, the insurance fee to the fund,
/// both from the position's backing and capped by its remaining equity.
///
/// `market` picks the position. An isolated one is liquidated alone, as soon as its own
/// collateral is below its maintenance requirement: its loss never reaches the rest of the
/// account, and a deficit left once it is closed is covered at once by the insurance fund, then
/// the pool. Otherwise the account (cross or portfolio, by its mode) must be liquidatable and
/// `market` must be the position [`liquidation_target`] names (`NotLargestPosition`
/// otherwise). Remaining accounts: the margin check's, for the account before.
pub fn handler<'info>(ctx: Context<'info, LiquidatePerp<'info>>) -> Result<()> {
    let a = &ctx.accounts;
    let exchange = a.exchange.load()?;
    require!(!exchange.is_paused(pause::LIQUIDATIONS), FulcrumError::Paused);
    let clock = Clock::get()?;
    let key = a.margin_account.key();
    let mut acct = a.margin_account.load_mut()?;
    let inputs = load_health_inputs_with(
        &acct,
        &a.exchange.key(),
        exchange.quote_decimals,
        ctx.remaining_accounts,
        clock.unix_timestamp,
        Pricing::Liquidation,
    )?;
    let mut market = a.market.load_mut()?;
    require!(market.paused & pause::LIQUIDATIONS == 0, FulcrumError::MarketPaused);
    let params = exchange.liquidation_params();
    let slot_i = acct.find_perp(market.index).ok_or(FulcrumError::NotLargestPosition)?;
    let isolated = inputs.isolated_index(slot_i);
    // Funding to now, as the (read-only) health inputs priced it.
    let observed = match isolated {
        Some(k) => inputs.isolated.get(k),
        None => inputs.main_index(slot_i).and_then(|i| inputs.perps.get(i)),
    };
    let observed = observed.ok_or(FulcrumError::HealthAccountMismatch)?.market.price.oracle;
    market.accrue_funding_to(observed, clock.unix_timestamp).math()?;

    // The plan pays a gain through the PnL cap the health inputs carry (read from the pool).
    let exposure = match isolated {
        Some(k) => inputs.isolated[k],
        None => inputs.main_index(slot_i).map(|i| inputs.perps[i]).ok_or(FulcrumError::HealthAccountMismatch)?,
    };
    let (before, plan, price) = match isolated {
        Some(k) => {
            let before = inputs.isolated_health(k, &acct, &exchange)?;
            require!(!before.maint.is_met(), FulcrumError::NotLiquidatable);
            let plan =
                plan_perp_liquidation(&inputs.isolated_account(k, &acct, &exchange), 0, market.step_size, &params)
                    .math()?;
            (before, plan, inputs.isolated[k].market.price.oracle)
        }
        None => {
            let before = inputs.main_health(acct.quote_balance, &exchange)?;
            observe(&mut acct, &key, &before, &exchange, clock.slot)?;
            require_liquidatable(&before.maint, &acct, &exchange, clock.slot)?;
            let account = inputs.risk_account(acct.quote_balance, &exchange);
            let model = inputs.model();
            let i = liquidation_target(&account, &model)?;
            require!(usize::from(inputs.perp_slots[i]) == slot_i, FulcrumError::NotLargestPosition);
            let plan = plan_perp_liquidation_in(&account, &model, i, market.step_size, &params).math()?;
            require!(plan.base_delta != 0, FulcrumError::LiquidationCannotReduceRisk);
            (before, plan, inputs.perps[i].market.price.oracle)
        }
    };

    let old = acct.perps[slot_i].position();
    let uncapped = PerpMarketRisk { pnl_haircut: PnlHaircut::NONE, ..exposure.market };
    let full = apply_fill(&old, &uncapped, plan.base_delta, price, 0).math()?;
    market.record_withheld(full.realized_pnl, plan.realized_pnl);
    market.update_open_interest(&old, &plan.position).overflow()?;
    market.volume = market.volume.saturating_add(plan.fill_quote);
    let mut pool = a.pool.load_mut()?;
    pool.balance = u64::try_from(i128::from(pool.balance) - i128::from(plan.realized_pnl))
        .map_err(|_| FulcrumError::InsufficientPoolLiquidity)?;
    pool.insurance_balance = pool.insurance_balance.checked_add(plan.insurance_fee).overflow()?;
    // Open interest moved: the OI premium and the funding rate follow.
    market.refresh_ratios(observed, clock.unix_timestamp, pool.depth(clock.slot)).math()?;
    let fees = i128::from(plan.liquidator_fee) + i128::from(plan.insurance_fee);
    let backing = match isolated {
        Some(_) => &mut acct.perps[slot_i].isolated_collateral,
        None => &mut acct.quote_balance,
    };
    *backing = i64::try_from(i128::from(*backing) + i128::from(plan.realized_pnl) - fees)
        .map_err(|_| FulcrumError::MathOverflow)?;
    let slot = &mut acct.perps[slot_i];
    slot.set_position(&plan.position);
    slot.realized_pnl = slot.realized_pnl.saturating_add(plan.realized_pnl);
    let mut bankruptcy = None;
    if isolated.is_some() && plan.position.base == 0 && slot.isolated_collateral < 0 {
        // The position is gone and its collateral did not cover it: the fund, then the pool.
        // Nothing stays uncovered: the pool, the counterparty, has just been credited the whole
        // realised loss, which is at least the deficit (fees are zero once equity is).
        let debt = slot.isolated_collateral.unsigned_abs();
        let r = pool.cover_bad_debt(debt).overflow()?;
        slot.isolated_collateral = -i64::try_from(r.uncovered).map_err(|_| FulcrumError::MathOverflow)?;
        bankruptcy = Some(BankruptcyEvent {
            margin_account: key,
            debt,
            insurance_paid: r.insurance_paid,
            socialised: r.socialised,
            uncovered: r.uncovered,
            socialised_total: pool.socialised_loss,
        });
    }
    acct.compact_perp(slot_i);
    // A bankrupting liquidation is bad debt from now (LP flows price it in), not only once
    // `resolve_bankruptcy` runs.
    pool.sync_bad_debt(&mut acct).overflow()?;

    // Health after, from the same prices.
    let after = match isolated {
        Some(_) => {
            let e = PerpExposure { position: plan.position, market: inputs.isolated[isolated.unwrap_or(0)].market };
            let collateral = acct.find_perp(market.index).map_or(0, |i| acct.perps[i].isolated_collateral);
            fulcrum_risk::account_health(&isolated_account(collateral, &e, exchange.account_params())).math()?
        }
        None => {
            let mut inputs = inputs;
            if let Some(i) = inputs.main_index(slot_i) {
                inputs.perps[i].position = plan.position;
            }
            let after = inputs.main_health(acct.quote_balance, &exchange)?;
            observe(&mut acct, &key, &after, &exchange, clock.slot)?;
            after
        }
    };
    let seeds = ExchangeSeeds::of(&exchange);
    let market_index = market.index;
    drop((market, pool, acct, exchange));

    if plan.liquidator_fee > 0 {
        transfer_out(
            &a.token_program.to_account_info(),
            &a.quote.vault.to_account_info(),
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
    if let Some(e) = bankruptcy {
        crate::emit_event!(e);
    }
    super::orders::cancel_on_liquidation(a.order_book.as_ref(), &a.liquidator.to_account_info())?;
    Ok(())
}

/// The position a liquidation of the collateral-backed part cuts: in cross the one with the
/// largest maintenance requirement; in portfolio the one whose close lowers the netted
/// requirement most per unit of notional (`LiquidationCannotReduceRisk` when none does: the
/// account's collateral is then liquidated instead). Either way the plan never raises the
/// requirement (`fulcrum_risk::plan_perp_liquidation_in`).
pub fn liquidation_target(account: &RiskAccount, model: &MarginModel) -> Result<usize> {
    match model {
        MarginModel::Cross => largest_requirement(account).math()?.ok_or_else(|| error!(FulcrumError::NotLiquidatable)),
        MarginModel::Portfolio(p) => portfolio_liquidation_target(account, p)
            .math()?
            .ok_or_else(|| error!(FulcrumError::LiquidationCannotReduceRisk)),
    }
}
