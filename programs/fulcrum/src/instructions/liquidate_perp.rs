use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};
use fulcrum_risk::{
    apply_fill, isolated_account, largest_requirement, model_account_health_after, plan_perp_liquidation,
    plan_perp_liquidation_from, portfolio_liquidation_target, portfolio_liquidation_target_from, AccountHealth,
    LiquidationBasis, MarginModel, PerpExposure, PerpLiquidation, PerpMarketRisk, PnlHaircut, RiskAccount,
};

use super::quote_vault::*;
use crate::error::{Cast, FulcrumError, MathResultExt, OptionExt};
use crate::events::{sat_i64, BankruptcyEvent, LiquidationEvent};
use crate::health::{load_health_inputs_with, observe, require_liquidatable, HealthInputs};
use crate::oracle::Pricing;
use crate::pool::cover_debt;
use crate::state::*;
use crate::token::{transfer_out, ExchangeSeeds};
use fulcrum_risk::profile as cu;

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
///
/// Load → [`plan_liquidation`] (may it be liquidated, and how much) → [`execute_liquidation`]
/// (the state change, on plain structs) → health after → fee transfer and events.
pub fn liquidate_perp<'info>(ctx: Context<'info, LiquidatePerp<'info>>) -> Result<()> {
    cu::entry();
    let accounts = &ctx.accounts;
    let exchange = accounts.exchange.load()?;
    require!(!exchange.is_paused(pause::LIQUIDATIONS), FulcrumError::Paused);
    let clock = Clock::get()?;
    let key = accounts.margin_account.key();
    let mut acct = accounts.margin_account.load_mut()?;
    // Before the market's borrow: it is among the health accounts (hence its pause checked late).
    let inputs = load_health_inputs_with(
        &acct,
        &accounts.exchange.key(),
        exchange.quote_decimals,
        ctx.remaining_accounts,
        clock.unix_timestamp,
        Pricing::Liquidation,
    )?;
    let mut market = accounts.market.load_mut()?;
    require!(!market.is_paused(pause::LIQUIDATIONS), FulcrumError::MarketPaused);
    let liq = plan_liquidation(&inputs, &mut acct, &key, &mut market, &exchange, &clock)?;

    let mut pool = accounts.pool.load_mut()?;
    let bankruptcy = execute_liquidation(&mut acct, &mut market, &mut pool, &liq, key, &clock)?;
    super::reputation::setback(&mut acct, &key, &exchange, Setback::Liquidation, &clock);
    cu::phase("liquidation: execute (state change)");
    let after = health_after(inputs, &liq, &mut acct, &key, market.index, &exchange, clock.slot)?;
    cu::phase("liquidation: health after + observe");
    let seeds = ExchangeSeeds::of(&exchange);
    let market_index = market.index;
    drop((market, pool, acct, exchange));

    if liq.plan.liquidator_fee > 0 {
        transfer_out(
            &accounts.token_program.to_account_info(),
            &accounts.quote.vault.to_account_info(),
            &accounts.liquidator_quote.to_account_info(),
            &accounts.exchange.to_account_info(),
            &seeds,
            liq.plan.liquidator_fee,
        )?;
    }
    cu::phase("token transfer (CPI)");
    crate::emit_event!(LiquidationEvent {
        margin_account: key,
        liquidator: accounts.liquidator.key(),
        market_index,
        base_closed: liq.plan.base_delta,
        price: liq.price,
        realized_pnl: liq.plan.realized_pnl,
        liquidator_fee: liq.plan.liquidator_fee,
        insurance_fee: liq.plan.insurance_fee,
        equity_before: sat_i64(liq.before.maint.equity),
        requirement_before: sat_i64(liq.before.maint.requirement),
        leverage_before: liq.before.leverage.unwrap_or(u64::MAX),
        equity_after: sat_i64(after.maint.equity),
        requirement_after: sat_i64(after.maint.requirement),
        leverage_after: after.leverage.unwrap_or(u64::MAX),
    });
    if let Some(event) = bankruptcy {
        crate::emit_event!(event);
    }
    cu::phase("event");
    super::orders::cancel_on_liquidation(accounts.order_book.as_ref(), &accounts.liquidator.to_account_info())?;
    Ok(())
}

/// One position's liquidation, decided before anything but funding and the margin-call record
/// is written.
pub struct Liquidation {
    /// The position's account slot, and its index among the isolated inputs when isolated.
    pub slot: usize,
    pub isolated: Option<usize>,
    /// The position's market as margin priced it (funding to now, PnL cap from the pool).
    pub exposure: PerpExposure,
    /// The oracle price the health inputs observed: the position closes at it, funding and the
    /// market's rates move at it.
    pub price: u64,
    pub before: AccountHealth,
    pub plan: PerpLiquidation,
    /// The collateral-backed part's check before (not for an isolated position) and its quote
    /// balance then: the health after is computed from them (issue 15).
    pub basis: Option<Box<LiquidationBasis>>,
    pub quote_before: i64,
}

/// Whether the position in `market` may be liquidated now, and how much of it: an isolated one
/// below its own maintenance; otherwise the account liquidatable (`observe` records its margin
/// call) and `market` the position [`liquidation_target`] names. Accrues the market's funding.
// Not inlined: its frame (the health sums) apart from the handler's 4 KB one.
#[inline(never)]
pub fn plan_liquidation(
    inputs: &HealthInputs,
    acct: &mut MarginAccount,
    key: &Pubkey,
    market: &mut PerpMarket,
    exchange: &Exchange,
    clock: &Clock,
) -> Result<Liquidation> {
    let params = exchange.liquidation_params();
    let slot = acct.find_perp(market.index).ok_or(FulcrumError::NotLargestPosition)?;
    let isolated = inputs.isolated_index(slot);
    // Funding to now, as the (read-only) health inputs priced it. The plan pays a gain through
    // the PnL cap the health inputs carry (read from the pool).
    let exposure = match isolated {
        Some(k) => inputs.isolated.get(k),
        None => inputs.main_index(slot).and_then(|i| inputs.perps.get(i)),
    };
    let exposure = *exposure.ok_or(FulcrumError::HealthAccountMismatch)?;
    let price = exposure.market.price.oracle;
    market.accrue_funding_to(price, clock.unix_timestamp).math()?;
    cu::phase("liquidation: funding accrual");
    let quote_before = acct.quote_balance;
    let (before, plan, basis) = match isolated {
        Some(k) => {
            let before = inputs.isolated_health(k, acct, exchange)?;
            require!(!before.maint.is_met(), FulcrumError::NotLiquidatable);
            let account = inputs.isolated_account(k, acct, exchange);
            (before, plan_perp_liquidation(&account, 0, market.step_size, &params).math()?, None)
        }
        None => {
            // The plan and the target reuse what this margin check computed (issue 15).
            let (before, basis) = inputs.main_health_basis(acct.quote_balance, exchange)?;
            cu::phase("margin computed");
            observe(acct, key, &before, exchange, clock.slot)?;
            require_liquidatable(&before.maint, acct, exchange, clock.slot)?;
            cu::phase("observe (margin-call record)");
            let account = inputs.risk_account(acct.quote_balance, exchange);
            let model = inputs.model();
            let i = liquidation_target(&account, &model, &basis)?;
            cu::phase("liquidation: target");
            require!(usize::from(inputs.perp_slots[i]) == slot, FulcrumError::NotLargestPosition);
            let plan = plan_perp_liquidation_from(&account, &model, i, market.step_size, &params, &basis).math()?;
            cu::phase("liquidation: plan");
            require!(plan.base_delta != 0, FulcrumError::LiquidationCannotReduceRisk);
            (before, plan, Some(Box::new(basis)))
        }
    };
    Ok(Liquidation { slot, isolated, exposure, price, before, plan, basis, quote_before })
}

/// The state change of a planned liquidation, on plain structs: the position closes
/// `plan.base_delta` against the pool at `liq.price` (a gain paid through the PnL cap, the
/// withheld part recorded), the fees leave the position's backing (the insurance fee to the
/// fund), open interest and the market's rates follow, and an isolated position closed in
/// deficit is covered at once (returned: its event). Bad debt is recorded from now.
pub fn execute_liquidation(
    acct: &mut MarginAccount,
    market: &mut PerpMarket,
    pool: &mut LiquidityPool,
    liq: &Liquidation,
    key: Pubkey,
    clock: &Clock,
) -> Result<Option<BankruptcyEvent>> {
    let plan = &liq.plan;
    let old = acct.perps[liq.slot].position();
    let uncapped = PerpMarketRisk { pnl_haircut: PnlHaircut::NONE, ..liq.exposure.market };
    let full = apply_fill(&old, &uncapped, plan.base_delta, liq.price, 0).math()?;
    market.record_withheld(full.realized_pnl, plan.realized_pnl);
    market.update_open_interest(&old, &plan.position).overflow()?;
    market.volume = market.volume.saturating_add(plan.fill_quote);
    pool.pay_pnl(plan.realized_pnl).ok_or(FulcrumError::InsufficientPoolLiquidity)?;
    pool.insurance_balance = pool.insurance_balance.checked_add(plan.insurance_fee).overflow()?;
    // Open interest moved: the OI premium and the funding rate follow.
    market.refresh_ratios(liq.price, clock.unix_timestamp, pool.depth(clock.slot)).math()?;
    let fees = i128::from(plan.liquidator_fee) + i128::from(plan.insurance_fee);
    let backing = match liq.isolated {
        Some(_) => &mut acct.perps[liq.slot].isolated_collateral,
        None => &mut acct.quote_balance,
    };
    *backing = (i128::from(*backing) + i128::from(plan.realized_pnl) - fees).cast::<i64>()?;
    let slot = &mut acct.perps[liq.slot];
    slot.set_position(&plan.position);
    slot.realized_pnl = slot.realized_pnl.saturating_add(plan.realized_pnl);
    let mut bankruptcy = None;
    if liq.isolated.is_some() && plan.position.base == 0 && slot.isolated_collateral < 0 {
        // The position is gone and its collateral did not cover it: the fund, then the pool.
        // Nothing stays uncovered: the pool, the counterparty, has just been credited the whole
        // realised loss, which is at least the deficit (fees are zero once equity is).
        let debt = slot.isolated_collateral.unsigned_abs();
        let (owed, event) = cover_debt(pool, key, debt)?;
        slot.isolated_collateral = owed;
        bankruptcy = Some(event);
    }
    acct.compact_perp(liq.slot);
    // A bankrupting liquidation is bad debt from now (LP flows price it in), not only once
    // `resolve_bankruptcy` runs.
    pool.sync_bad_debt(acct).overflow()?;
    Ok(bankruptcy)
}

/// Health after the liquidation, from the same prices: the isolated position alone, or the
/// collateral-backed part (its margin call recorded).
// Not inlined: its frame (the health sums) apart from the handler's 4 KB one.
#[inline(never)]
fn health_after(
    mut inputs: Box<HealthInputs>,
    liq: &Liquidation,
    acct: &mut MarginAccount,
    key: &Pubkey,
    market_index: u16,
    exchange: &Exchange,
    slot: u64,
) -> Result<AccountHealth> {
    if liq.isolated.is_some() {
        let exposure = PerpExposure { position: liq.plan.position, market: liq.exposure.market };
        let collateral = acct.find_perp(market_index).map_or(0, |i| acct.perps[i].isolated_collateral);
        return fulcrum_risk::account_health(&isolated_account(collateral, &exposure, exchange.account_params()))
            .math();
    }
    let after = match (&liq.basis, inputs.main_index(liq.slot)) {
        // The check before with this position and the quote balance replaced: the same health
        // as summing every holding again, at one position's cost (issue 15).
        (Some(basis), Some(i)) => {
            let old = inputs.perps[i];
            let new = PerpExposure { position: liq.plan.position, ..old };
            let quotes = (liq.quote_before, acct.quote_balance);
            let params = exchange.account_params();
            model_account_health_after(&inputs.model(), basis, &params, quotes, (&old, &new), i).math()?
        }
        (_, i) => {
            if let Some(i) = i {
                inputs.perps[i].position = liq.plan.position;
            }
            inputs.main_health(acct.quote_balance, exchange)?
        }
    };
    observe(acct, key, &after, exchange, slot)?;
    Ok(after)
}

/// The position a liquidation of the collateral-backed part cuts: in cross the one with the
/// largest maintenance requirement; in portfolio the one whose close lowers the netted
/// requirement most per unit of notional (`LiquidationCannotReduceRisk` when none does: the
/// account's collateral is then liquidated instead). Either way the plan never raises the
/// requirement (`fulcrum_risk::plan_perp_liquidation_in`).
/// `basis`: the account's under `model` ([`HealthInputs::main_health_basis`]).
pub fn liquidation_target(account: &RiskAccount, model: &MarginModel, basis: &LiquidationBasis) -> Result<usize> {
    match model {
        MarginModel::Cross => largest_requirement(account).math()?.ok_or_else(|| error!(FulcrumError::NotLiquidatable)),
        MarginModel::Portfolio(p) => match &basis.exposures {
            Some(e) => portfolio_liquidation_target_from(account, p, e, basis.correlated),
            None => portfolio_liquidation_target(account, p),
        }
        .math()?
        .ok_or_else(|| error!(FulcrumError::LiquidationCannotReduceRisk)),
    }
}

#[cfg(test)]
mod tests {
    //! [`execute_liquidation`] on plain structs, without the bank.
    use fulcrum_risk::{Health, HealthState, PerpPosition, Price};

    use super::*;

    /// $80 in engine units for a 9-decimal base against a 6-decimal quote.
    const PRICE: u64 = 80_000_000;
    const SOL: i64 = 1_000_000_000;
    const USDC: i64 = 1_000_000;

    /// A market holding one long of 1 SOL bought at $100, an account holding it (isolated with
    /// `isolated_collateral` when given, else cross with $1,000), a pool with $100 and `insurance`.
    fn world(
        isolated_collateral: Option<i64>,
        insurance: u64,
    ) -> (Box<MarginAccount>, Box<PerpMarket>, Box<LiquidityPool>) {
        let mut acct: Box<MarginAccount> = Box::new(bytemuck::Zeroable::zeroed());
        let mut market: Box<PerpMarket> = Box::new(bytemuck::Zeroable::zeroed());
        let mut pool: Box<LiquidityPool> = Box::new(bytemuck::Zeroable::zeroed());
        let old = PerpPosition { base: SOL, quote_entry: -100 * USDC, funding_snapshot: 0 };
        acct.num_perps = 1;
        acct.perps[0].set_position(&old);
        match isolated_collateral {
            Some(c) => {
                acct.perps[0].isolated = 1;
                acct.perps[0].isolated_collateral = c;
            }
            None => acct.quote_balance = 1_000 * USDC,
        }
        assert!(market.update_open_interest(&PerpPosition::default(), &old).is_some());
        market.step_size = 1;
        pool.balance = 100_000_000;
        pool.insurance_balance = insurance;
        (acct, market, pool)
    }

    /// Closing the whole position at $80: a $20 loss, `fees` to the liquidator and the fund.
    fn close_all(isolated: Option<usize>, (liquidator_fee, insurance_fee): (u64, u64)) -> Liquidation {
        let zero = Health { equity: 0, requirement: 0 };
        let health = AccountHealth {
            init: zero,
            maint: zero,
            equity: 0,
            notional: 0,
            leverage: None,
            state: HealthState::MarginCall,
        };
        let old = PerpPosition { base: SOL, quote_entry: -100 * USDC, funding_snapshot: 0 };
        let market = PerpMarketRisk { price: Price::flat(PRICE), base_decimals: 9, ..Default::default() };
        Liquidation {
            slot: 0,
            isolated,
            exposure: PerpExposure { position: old, market },
            price: PRICE,
            before: health,
            plan: PerpLiquidation {
                base_delta: -SOL,
                position: PerpPosition::default(),
                realized_pnl: -20 * USDC,
                fill_quote: 80_000_000,
                liquidator_fee,
                insurance_fee,
                maint_after: zero,
                equity_after: 0,
            },
            basis: None,
            quote_before: 0,
        }
    }

    fn clock() -> Clock {
        Clock { slot: 10, unix_timestamp: 1_750_000_000, ..Default::default() }
    }

    #[test]
    fn a_cross_liquidation_moves_the_loss_to_the_pool_and_the_fees_out_of_the_balance() {
        let (mut acct, mut market, mut pool) = world(None, 0);
        let liq = close_all(None, (400_000, 100_000));
        let bankruptcy = execute_liquidation(&mut acct, &mut market, &mut pool, &liq, Pubkey::default(), &clock());
        assert!(bankruptcy.is_ok_and(|b| b.is_none()));
        assert_eq!(acct.quote_balance, 1_000 * USDC - 20 * USDC - 500_000);
        assert_eq!(acct.num_perps, 0, "the closed slot is freed");
        assert_eq!(pool.balance, 120_000_000, "the pool takes the realised loss");
        assert_eq!(pool.insurance_balance, 100_000);
        assert_eq!((market.long_base, market.long_quote_entry), (0, 0));
        assert_eq!(market.volume, 80_000_000);
        assert_eq!(market.pnl_withheld, 0);
    }

    #[test]
    fn an_isolated_deficit_is_covered_by_the_fund_then_the_pool() {
        // $10 of collateral behind a $20 loss: $4 from the fund, $6 from the pool.
        let (mut acct, mut market, mut pool) = world(Some(10 * USDC), 4 * USDC as u64);
        let liq = close_all(Some(0), (0, 0));
        let key = Pubkey::new_unique();
        let event = execute_liquidation(&mut acct, &mut market, &mut pool, &liq, key, &clock());
        let event = event.ok().flatten();
        assert!(event.as_ref().is_some_and(|e| e.margin_account == key
            && (e.debt, e.insurance_paid, e.socialised, e.uncovered) == (10_000_000, 4_000_000, 6_000_000, 0)));
        assert_eq!(acct.quote_balance, 0, "an isolated loss never reaches the account");
        assert_eq!(acct.num_perps, 0, "covered in full: the slot is freed");
        assert_eq!(pool.balance, 100_000_000 + 20_000_000 - 6_000_000);
        assert_eq!((pool.insurance_balance, pool.socialised_loss), (0, 6_000_000));
        assert_eq!(pool.unresolved_bad_debt, 0);
    }

    #[test]
    fn a_gain_the_pool_cannot_pay_is_refused() {
        let (mut acct, mut market, mut pool) = world(None, 0);
        let mut liq = close_all(None, (0, 0));
        liq.plan.realized_pnl = 100_000_001; // more than the pool's $100
        let r = execute_liquidation(&mut acct, &mut market, &mut pool, &liq, Pubkey::default(), &clock());
        let code = match r {
            Err(Error::AnchorError(e)) => e.error_code_number,
            _ => 0,
        };
        assert_eq!(code, u32::from(FulcrumError::InsufficientPoolLiquidity));
    }
}
