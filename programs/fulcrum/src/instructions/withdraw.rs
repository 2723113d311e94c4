use anchor_lang::prelude::*;
use anchor_spl::token_interface::{TokenAccount, TokenInterface};

use crate::error::{Cast, FulcrumError, OptionExt};
use crate::events::WithdrawEvent;
use crate::health::{load_health_inputs_with, observe};
use crate::oracle::Pricing;
use crate::state::*;
use crate::token::{BankToken, ExchangeSeeds};
use fulcrum_risk::profile as cu;

#[derive(Accounts)]
pub struct Withdraw<'info> {
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange, has_one = owner @ FulcrumError::NotAccountOwner)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    pub owner: Signer<'info>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange, has_one = vault @ FulcrumError::WrongVault)]
    pub bank: AccountLoader<'info, CollateralBank>,
    #[account(mut)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(
        mut,
        constraint = destination.mint == vault.mint @ FulcrumError::WrongMint,
        constraint = destination.owner == owner.key() @ FulcrumError::WrongDestinationOwner
    )]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,
    /// SPL Token, or Token-2022 for a Token-2022 bank.
    pub token_program: Interface<'info, TokenInterface>,
}

/// See the instruction's doc in lib.rs. Quote cannot be borrowed. The account is debited `amount`,
/// what leaves the vault; a Token-2022 transfer fee comes out of what the owner receives.
pub fn withdraw<'info>(ctx: Context<'info, Withdraw<'info>>, amount: u64) -> Result<()> {
    cu::entry();
    require!(amount > 0, FulcrumError::ZeroAmount);
    let accounts = &ctx.accounts;
    let exchange = accounts.exchange.load()?;
    require!(!exchange.is_paused(pause::WITHDRAWALS), FulcrumError::Paused);
    let mut acct = accounts.margin_account.load_mut()?;
    let program = accounts.token_program.key();
    let (token, remaining) =
        BankToken::of_bank(program, &accounts.vault.to_account_info(), &accounts.bank, ctx.remaining_accounts)?;
    let bank_index = {
        let mut bank = accounts.bank.load_mut()?;
        if bank.index == CollateralBank::QUOTE_INDEX {
            let sub = amount.cast::<i64>()?;
            require!(acct.quote_balance >= sub, FulcrumError::InsufficientBalance);
            acct.quote_balance -= sub;
            // What the vault holds for accounts as of the last deposit (the cap reads the vault).
            bank.total_deposits = bank.total_deposits.saturating_sub(amount);
        } else {
            let i = acct.find_collateral(bank.index).ok_or(FulcrumError::InsufficientBalance)?;
            let slot = &mut acct.collateral[i];
            slot.amount = slot.amount.checked_sub(amount).ok_or(FulcrumError::InsufficientBalance)?;
            acct.compact_collateral(i);
            bank.total_deposits = bank.total_deposits.checked_sub(amount).overflow()?;
        }
        bank.index
    };
    cu::phase("withdraw: balance change");
    let now = Clock::get()?.unix_timestamp;
    // Taking out quote is an exit: an unfit oracle on collateral does not block it, the
    // collateral counts at its conservative bound or at zero.
    let pricing = if bank_index == CollateralBank::QUOTE_INDEX { Pricing::Exit } else { Pricing::Strict };
    let inputs =
        load_health_inputs_with(&acct, &accounts.exchange.key(), exchange.quote_decimals, remaining, now, pricing)?;
    let health = inputs.main_health(acct.quote_balance, &exchange)?;
    cu::phase("margin computed");
    require!(health.init.is_met(), FulcrumError::WithdrawalExceedsInitialMargin);
    super::reputation::lower_sample(&mut acct, health.maint.equity);
    observe(&mut acct, &accounts.margin_account.key(), &health, &exchange, Clock::get()?.slot)?;
    cu::phase("observe (margin-call record)");
    let seeds = ExchangeSeeds::of(&exchange);
    drop(acct);
    drop(exchange);
    token.transfer_out(
        &accounts.vault.to_account_info(),
        &accounts.destination.to_account_info(),
        &accounts.exchange.to_account_info(),
        &seeds,
        amount,
    )?;
    cu::phase("token transfer (CPI)");
    crate::emit_event!(WithdrawEvent {
        margin_account: accounts.margin_account.key(),
        owner: accounts.owner.key(),
        bank_index,
        amount,
        free_collateral: i64::try_from(health.init.free_collateral()).unwrap_or(i64::MAX),
    });
    cu::phase("event");
    Ok(())
}
