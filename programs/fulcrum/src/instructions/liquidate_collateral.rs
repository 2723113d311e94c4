use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};
use anchor_spl::token_interface::TokenAccount as AnyTokenAccount;
use fulcrum_risk::{plan_collateral_liquidation_in, portfolio_liquidation_target, MarginModel};

use super::quote_vault::*;
use crate::error::{Cast, FulcrumError, MathResultExt, OptionExt};
use crate::events::{sat_i64, CollateralLiquidationEvent};
use crate::health::{load_health_inputs_with, observe, require_liquidatable, HealthInputs};
use crate::oracle::Pricing;
use crate::state::*;
use crate::token::{transfer_in, BankToken, ExchangeSeeds};

#[derive(Accounts)]
pub struct LiquidateCollateral<'info> {
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    pub liquidator: Signer<'info>,
    /// Pays the repaid debt (authority: the liquidator).
    #[account(mut, constraint = liquidator_quote.mint == quote.vault.mint @ FulcrumError::WrongMint)]
    pub liquidator_quote: Box<Account<'info, TokenAccount>>,
    /// Receives the collateral.
    #[account(mut, constraint = liquidator_collateral.mint == vault.mint @ FulcrumError::WrongMint)]
    pub liquidator_collateral: Box<InterfaceAccount<'info, AnyTokenAccount>>,
    #[account(constraint = quote.is_of(&exchange)? @ FulcrumError::WrongExchange)]
    pub quote: QuoteVault<'info>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange, has_one = vault @ FulcrumError::WrongVault)]
    pub bank: AccountLoader<'info, CollateralBank>,
    /// SPL Token or Token-2022 (its owner is the collateral's token program).
    #[account(mut)]
    pub vault: Box<InterfaceAccount<'info, AnyTokenAccount>>,
    /// The quote's token program (SPL Token).
    pub token_program: Program<'info, Token>,
    /// Records the bad debt a liquidation of the last collateral leaves (LP flows price it in).
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub pool: AccountLoader<'info, LiquidityPool>,
}

impl<'info> LiquidateCollateral<'info> {
    /// The token movements of a collateral liquidation: the liquidator pays `repay` of quote into
    /// the vault and receives `collateral_out` of the bank's mint.
    fn swap(&self, token: &BankToken<'_, 'info>, seeds: &ExchangeSeeds, repay: u64, collateral_out: u64) -> Result<()> {
        let token_program = self.token_program.to_account_info();
        let liquidator_quote = self.liquidator_quote.to_account_info();
        let quote_vault = self.quote.vault.to_account_info();
        transfer_in(&token_program, &liquidator_quote, &quote_vault, &self.liquidator.to_account_info(), repay)?;
        if collateral_out > 0 {
            let vault = self.vault.to_account_info();
            let destination = self.liquidator_collateral.to_account_info();
            token.transfer_out(&vault, &destination, &self.exchange.to_account_info(), seeds, collateral_out)?;
        }
        Ok(())
    }
}

/// Permissionless, for an account in liquidation with quote debt and no perp positions left (or,
/// in portfolio margin, none whose close would lower the netted requirement):
/// the liquidator repays up to `max_repay` of the debt and receives the bank's collateral at
/// oracle × (1 − discount), never more than the account holds and never past what restores
/// maintenance. Remaining accounts: for a Token-2022 bank its mint and the Token-2022 program
/// (optional for SPL Token: the mint), then the margin check's, for the account before. The
/// account is debited what leaves the vault; a Token-2022 transfer fee is the liquidator's.
pub fn liquidate_collateral<'info>(ctx: Context<'info, LiquidateCollateral<'info>>, max_repay: u64) -> Result<()> {
    require!(max_repay > 0, FulcrumError::ZeroAmount);
    let accounts = &ctx.accounts;
    let exchange = accounts.exchange.load()?;
    require!(!exchange.is_paused(pause::LIQUIDATIONS), FulcrumError::Paused);
    let clock = Clock::get()?;
    let key = accounts.margin_account.key();
    let mut acct = accounts.margin_account.load_mut()?;
    require!(acct.quote_balance < 0, FulcrumError::NoDebt);
    let (token, remaining) = collateral_token(accounts, ctx.remaining_accounts)?;
    let mut inputs = load_health_inputs_with(
        &acct,
        &accounts.exchange.key(),
        exchange.quote_decimals,
        remaining,
        clock.unix_timestamp,
        Pricing::Liquidation,
    )?;
    // Positions go first, unless (portfolio) no position's close lowers the netted requirement.
    if !acct.active_perps().iter().all(PerpSlot::is_isolated) {
        let blocked = inputs.portfolio && portfolio_target(&inputs, acct.quote_balance, &exchange)?.is_none();
        require!(blocked, FulcrumError::PerpPositionsOpen);
    }
    let before = inputs.main_health(acct.quote_balance, &exchange)?;
    observe(&mut acct, &key, &before, &exchange, clock.slot)?;
    require_liquidatable(&before.maint, &acct, &exchange, clock.slot)?;

    let mut bank = accounts.bank.load_mut()?;
    let ci = acct.find_collateral(bank.index).ok_or(FulcrumError::CollateralNotHeld)?;
    let plan = plan_collateral_liquidation_in(
        &inputs.risk_account(acct.quote_balance, &exchange),
        &inputs.model(),
        ci,
        max_repay,
        exchange.collateral_liquidation_discount,
        exchange.liquidation_buffer,
    )
    .math()?;
    let repay = plan.repay.cast::<i64>()?;
    acct.quote_balance = acct.quote_balance.checked_add(repay).overflow()?;
    acct.collateral[ci].amount = acct.collateral[ci].amount.checked_sub(plan.collateral_out).overflow()?;
    bank.total_deposits = bank.total_deposits.checked_sub(plan.collateral_out).overflow()?;
    let price = inputs.collateral[ci].price.oracle;
    inputs.collateral[ci].amount = acct.collateral[ci].amount;
    acct.compact_collateral(ci);
    super::reputation::setback(&mut acct, &key, &exchange, Setback::Liquidation, &clock);
    let after = inputs.main_health(acct.quote_balance, &exchange)?;
    observe(&mut acct, &key, &after, &exchange, clock.slot)?;
    // Selling the last collateral may leave debt nothing backs: bad debt from now.
    accounts.pool.load_mut()?.sync_bad_debt(&mut acct).overflow()?;
    let seeds = ExchangeSeeds::of(&exchange);
    let bank_index = bank.index;
    drop((bank, acct, exchange));

    accounts.swap(&token, &seeds, plan.repay, plan.collateral_out)?;
    crate::emit_event!(CollateralLiquidationEvent {
        margin_account: key,
        liquidator: accounts.liquidator.key(),
        bank_index,
        repaid: plan.repay,
        collateral_out: plan.collateral_out,
        price,
        equity_before: sat_i64(before.maint.equity),
        equity_after: sat_i64(after.maint.equity),
    });
    Ok(())
}

/// The collateral's token movement (its program is the vault's owner, whose account must follow
/// the mint for Token-2022) and the margin-check accounts after them.
#[allow(clippy::type_complexity)]
fn collateral_token<'a, 'info>(
    accounts: &LiquidateCollateral<'info>,
    remaining: &'a [AccountInfo<'info>],
) -> Result<(BankToken<'a, 'info>, &'a [AccountInfo<'info>])> {
    let program = *accounts.vault.to_account_info().owner;
    let (token, rest) = BankToken::of_bank(program, &accounts.vault.to_account_info(), &accounts.bank, remaining)?;
    if program == anchor_spl::token::ID {
        return Ok((token, rest));
    }
    match rest.split_first() {
        Some((p, rest)) if *p.key == program => Ok((token, rest)),
        _ => err!(FulcrumError::MintAccountRequired),
    }
}

/// The position a portfolio liquidation would cut, if any.
fn portfolio_target(inputs: &HealthInputs, quote_balance: i64, exchange: &Exchange) -> Result<Option<usize>> {
    match inputs.model() {
        MarginModel::Portfolio(p) => {
            portfolio_liquidation_target(&inputs.risk_account(quote_balance, exchange), &p).math()
        }
        MarginModel::Cross => Ok(None),
    }
}
